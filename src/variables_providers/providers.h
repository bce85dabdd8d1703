// Variable providers from the runtime config ([[variables_provider]]), in Spin's precedence
// order: `--variable` values, then each configured provider in file order, then the default
// environment provider (SPIN_VARIABLE_<NAME>, then ./.env), then the manifest default.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "app/variables.h"
#include "common/result.h"
#include "runtime_config/runtime_config.h"

namespace lepton::variables_providers {

// HashiCorp Vault, KV secrets engine v2 (Spin's `vault` provider): the value of key `k` is the
// field "value" of the secret at `<prefix>/<k>` (or `<k>`) under mount `mount`, read with
// GET <url>/v1/<mount>/data/<path> and header X-Vault-Token. 404 means "no value" (the next
// provider is asked); any other failure is a provider error. Messages never carry the token.
class VaultVariableProvider : public app::VariableProvider {
 public:
  VaultVariableProvider(std::string url, std::string token, std::string mount,
                        std::optional<std::string> prefix);
  Result<std::optional<std::string>> get(const std::string& key) const override;
  std::string name() const override { return "vault"; }

 private:
  std::string url_, token_, mount_;
  std::optional<std::string> prefix_;
};

// The full provider list for `lepton up`. `cwd_dotenv` is the default env provider's .env file
// (Spin reads ".env" in the working directory).
Result<app::VariableResolver::Providers> build(const runtime_config::RuntimeConfig& config,
                                               std::map<std::string, std::string> cli_values,
                                               const std::filesystem::path& cwd_dotenv = ".env");

}  // namespace lepton::variables_providers
