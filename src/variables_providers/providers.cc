#include "variables_providers/providers.h"

#include <nlohmann/json.hpp>

#include "http/client.h"

namespace lepton::variables_providers {

VaultVariableProvider::VaultVariableProvider(std::string url, std::string token, std::string mount,
                                             std::optional<std::string> prefix)
    : url_(std::move(url)),
      token_(std::move(token)),
      mount_(std::move(mount)),
      prefix_(std::move(prefix)) {
  while (url_.ends_with("/")) url_.pop_back();
}

Result<std::optional<std::string>> VaultVariableProvider::get(const std::string& key) const {
  std::string path = prefix_ ? *prefix_ + "/" + key : key;
  std::string location = fmt::format("{}/v1/{}/data/{}", url_, mount_, path);
  auto url = http::parse_url(location);
  if (!url) return fail("vault url: {}", url.error().message);
  http::OutgoingRequest request;
  request.method = "GET";
  request.url = *url;
  request.headers.push_back({"X-Vault-Token", token_});
  request.timeout = std::chrono::seconds(30);
  request.apply_outbound_policy = false;  // the host's own request, not a guest's
  auto response = http::send(request);
  if (!response) return fail("reading secret '{}' from Vault: {}", path, response.error().message);
  if (response->status == 404) return std::optional<std::string>();
  if (response->status != 200)
    return fail("reading secret '{}' from Vault ({}): HTTP status {}", path, location,
                response->status);
  nlohmann::json doc = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail("reading secret '{}' from Vault: response is not JSON", path);
  const auto* value = &doc;
  for (const char* step : {"data", "data", "value"}) {
    if (!value->is_object() || !value->contains(step)) {
      return fail(
          "reading secret '{}' from Vault: the KV v2 response has no data.data.value (Spin "
          "reads the secret's field \"value\")",
          path);
    }
    value = &(*value)[step];
  }
  if (!value->is_string())
    return fail("reading secret '{}' from Vault: field \"value\" is not a string", path);
  return std::optional<std::string>(value->get<std::string>());
}

Result<app::VariableResolver::Providers> build(const runtime_config::RuntimeConfig& config,
                                               std::map<std::string, std::string> cli_values,
                                               const std::filesystem::path& cwd_dotenv) {
  using runtime_config::VariablesProvider;
  app::VariableResolver::Providers providers;
  providers.push_back(std::make_shared<app::StaticVariableProvider>(std::move(cli_values)));
  for (size_t index = 0; index < config.variables_providers.size(); ++index) {
    const VariablesProvider& p = config.variables_providers[index];
    std::string where = fmt::format("{}: variables_provider[{}]", config.file.string(), index);
    switch (p.type) {
      case VariablesProvider::Type::kEnv: {
        std::map<std::string, std::string> dotenv;
        if (p.dotenv_path) {
          auto loaded = app::load_dotenv(*p.dotenv_path);
          if (!loaded) return loaded.error().context(where);
          dotenv = std::move(*loaded);
        }
        providers.push_back(std::make_shared<app::EnvVariableProvider>(
            p.prefix.value_or("SPIN_VARIABLE"), app::EnvVariableProvider::EnvLookup{},
            std::move(dotenv)));
        break;
      }
      case VariablesProvider::Type::kStatic:
        providers.push_back(std::make_shared<app::StaticVariableProvider>(
            p.values, fmt::format("static (variables_provider[{}])", index)));
        break;
      case VariablesProvider::Type::kVault: {
        if (!p.mount) return fail("{}: type 'vault' needs 'mount' (the KV v2 mount path)", where);
        if (auto url = http::parse_url(p.url); !url)
          return fail("{}: url: {}", where, url.error().message);
        providers.push_back(
            std::make_shared<VaultVariableProvider>(p.url, p.token, *p.mount, p.prefix));
        break;
      }
    }
  }
  // Spin always appends the default environment provider: SPIN_VARIABLE_*, then ./.env.
  auto dotenv = app::load_dotenv(cwd_dotenv);
  if (!dotenv) return dotenv.error();
  providers.push_back(std::make_shared<app::EnvVariableProvider>(
      "SPIN_VARIABLE", app::EnvVariableProvider::EnvLookup{}, std::move(*dotenv)));
  return providers;
}

}  // namespace lepton::variables_providers
