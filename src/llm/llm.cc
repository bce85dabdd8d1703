#include "llm/llm.h"

#include <fmt/format.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "http/client.h"

namespace lepton::llm {

namespace {

using json = nlohmann::json;

// An f32 as serde_json writes it (shortest form: 1.1, not 1.100000023841858).
double f32_json(float v) { return std::stod(fmt::format("{}", v)); }

Error runtime_error(std::string message) {
  return Error{Error::Kind::kRuntimeError, std::move(message)};
}

class UnavailableEngine final : public Engine {
 public:
  Outcome<InferResult> infer(const std::string&, const std::string&, const Params&) const override {
    return runtime_error("Local LLM operations are not supported in this version of Spin.");
  }
  Outcome<EmbeddingsResult> generate_embeddings(const std::string&,
                                                const std::vector<std::string>&) const override {
    return runtime_error("Local LLM operations are not supported in this version of Spin.");
  }
};

class RemoteHttpEngine final : public Engine {
 public:
  RemoteHttpEngine(http::Url base, std::string token, ApiType api)
      : base_(std::move(base)), token_(std::move(token)), api_(api) {}

  Outcome<InferResult> infer(const std::string& model, const std::string& prompt,
                             const Params& p) const override {
    json body;
    std::string endpoint;
    if (api_ == ApiType::kDefault) {
      endpoint = "/infer";
      body = {{"model", model},
              {"prompt", prompt},
              {"options",
               {{"maxTokens", p.max_tokens},
                {"repeatPenalty", f32_json(p.repeat_penalty)},
                {"repeatPenaltyLastNTokenCount", p.repeat_penalty_last_n_token_count},
                {"temperature", f32_json(p.temperature)},
                {"topK", p.top_k},
                {"topP", f32_json(p.top_p)}}}};
    } else {
      endpoint = "/v1/chat/completions";
      body = {{"messages", json::array({{{"role", "user"}, {"content", prompt}}})},
              {"model", model},
              {"max_completion_tokens", p.max_tokens},
              {"frequency_penalty", f32_json(p.repeat_penalty)}};
    }
    auto doc = post(endpoint, body);
    if (auto* e = std::get_if<Error>(&doc)) return std::move(*e);
    const json& j = std::get<json>(doc);
    try {
      InferResult out;
      if (api_ == ApiType::kDefault) {
        out.text = j.at("text").get<std::string>();
        out.prompt_token_count = j.at("usage").at("promptTokenCount").get<uint32_t>();
        out.generated_token_count = j.at("usage").at("generatedTokenCount").get<uint32_t>();
      } else {
        if (auto e = openai_error(j)) return std::move(*e);
        const json& choices = j.at("choices");
        if (!choices.empty())
          out.text = choices.at(0).at("message").at("content").get<std::string>();
        out.prompt_token_count = j.at("usage").at("prompt_tokens").get<uint32_t>();
        out.generated_token_count = j.at("usage").at("completion_tokens").get<uint32_t>();
      }
      return out;
    } catch (const std::exception& e) {
      return runtime_error(
          fmt::format("Failed to deserialize response for \"POST  {}\": {}", endpoint, e.what()));
    }
  }

  Outcome<EmbeddingsResult> generate_embeddings(
      const std::string& model, const std::vector<std::string>& data) const override {
    std::string endpoint = api_ == ApiType::kDefault ? "/embed" : "/v1/embeddings";
    json body = {{"model", model}, {"input", data}};
    auto doc = post(endpoint, body);
    if (auto* e = std::get_if<Error>(&doc)) return std::move(*e);
    const json& j = std::get<json>(doc);
    try {
      EmbeddingsResult out;
      if (api_ == ApiType::kDefault) {
        out.embeddings = j.at("embeddings").get<std::vector<std::vector<float>>>();
        out.prompt_token_count = j.at("usage").at("promptTokenCount").get<uint32_t>();
      } else {
        if (auto e = openai_error(j)) return std::move(*e);
        for (const auto& item : j.at("data"))
          out.embeddings.push_back(item.at("embedding").get<std::vector<float>>());
        out.prompt_token_count = j.at("usage").at("prompt_tokens").get<uint32_t>();
      }
      return out;
    } catch (const std::exception& e) {
      return runtime_error(
          fmt::format("Failed to deserialize response  for \"POST  {}\": {}", endpoint, e.what()));
    }
  }

 private:
  // OpenAI's {"error": {"message": ...}} body becomes runtime-error(message).
  static std::optional<Error> openai_error(const json& j) {
    if (j.is_object() && j.contains("error") && !j.contains("choices") && !j.contains("data")) {
      const json& e = j["error"];
      std::string message = e.is_object() && e.contains("message") && e["message"].is_string()
                                ? e["message"].get<std::string>()
                                : e.dump();
      return runtime_error(std::move(message));
    }
    return std::nullopt;
  }

  std::variant<json, Error> post(const std::string& endpoint, const json& body) const {
    http::OutgoingRequest request;
    request.method = "POST";
    request.url = base_;
    request.url.target = endpoint;
    request.headers.push_back({"authorization", "bearer " + token_});
    request.headers.push_back({"content-type", "application/json"});
    request.body = body.dump();
    request.timeout = std::chrono::minutes(10);
    request.apply_outbound_policy = false;  // the host's own request, not a guest's
    auto response = http::send(request);
    if (!response)
      return runtime_error(
          fmt::format("POST {} request error: {}", endpoint, response.error().message));
    json doc = json::parse(response->body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded())
      return runtime_error(
          fmt::format("Failed to deserialize response for \"POST  {}\": not JSON (HTTP status {})",
                      endpoint, response->status));
    return doc;
  }

  http::Url base_;
  std::string token_;
  ApiType api_;
};

std::mutex g_mu;
std::shared_ptr<const Engine> g_engine;

}  // namespace

std::shared_ptr<const Engine> make_unavailable_engine() {
  return std::make_shared<UnavailableEngine>();
}

Result<std::shared_ptr<const Engine>> make_remote_http_engine(const std::string& url,
                                                              std::string auth_token,
                                                              ApiType api_type) {
  LEPTON_TRY(http::Url base, http::parse_url(url));
  return std::shared_ptr<const Engine>(
      std::make_shared<RemoteHttpEngine>(std::move(base), std::move(auth_token), api_type));
}

void set_engine(std::shared_ptr<const Engine> engine) {
  std::lock_guard lock(g_mu);
  g_engine = std::move(engine);
}

std::shared_ptr<const Engine> engine() {
  std::lock_guard lock(g_mu);
  if (!g_engine) g_engine = make_unavailable_engine();
  return g_engine;
}

Error access_denied(const std::string& model) {
  return Error{Error::Kind::kInvalidInput,
               fmt::format("The component does not have access to use '{}'. To give the "
                           "component access, add '{}' to the 'ai_models' key for the component "
                           "in your spin.toml manifest",
                           model, model)};
}

}  // namespace lepton::llm
