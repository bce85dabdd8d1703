// LLM inferencing engines for fermyon:spin/llm ([llm_compute] in the runtime config), as Spin
// serves them: without [llm_compute] (or with type "spin", which needs local models lepton does
// not run) every call fails with runtime-error "Local LLM operations are not supported in this
// version of Spin." (Spin's answer when built without local models); type "remote_http" sends
// each call to an HTTP service speaking Spin's protocol (api_type "default": POST /infer and
// /embed) or OpenAI's (api_type "open_ai": POST /v1/chat/completions and /v1/embeddings).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "common/result.h"

namespace lepton::llm {

// Spin's defaults when the guest passes no params.
struct Params {
  uint32_t max_tokens = 100;
  float repeat_penalty = 1.1f;
  uint32_t repeat_penalty_last_n_token_count = 64;
  float temperature = 0.8f;
  uint32_t top_k = 40;
  float top_p = 0.9f;
};

// fermyon:spin/llm error: model-not-supported, runtime-error(string), invalid-input(string).
struct Error {
  enum class Kind : uint32_t { kModelNotSupported = 0, kRuntimeError = 1, kInvalidInput = 2 };
  Kind kind = Kind::kRuntimeError;
  std::string message;
};

struct InferResult {
  std::string text;
  uint32_t prompt_token_count = 0;
  uint32_t generated_token_count = 0;
};

struct EmbeddingsResult {
  std::vector<std::vector<float>> embeddings;
  uint32_t prompt_token_count = 0;
};

template <typename T>
using Outcome = std::variant<T, Error>;

class Engine {
 public:
  virtual ~Engine() = default;
  virtual Outcome<InferResult> infer(const std::string& model, const std::string& prompt,
                                     const Params& params) const = 0;
  virtual Outcome<EmbeddingsResult> generate_embeddings(
      const std::string& model, const std::vector<std::string>& data) const = 0;
};

enum class ApiType { kDefault, kOpenAi };

// Fails every call as Spin does without local models.
std::shared_ptr<const Engine> make_unavailable_engine();
// `url`: the service's base URL (its path is replaced by the endpoint's, as Spin's Url::join
// with an absolute path does). Errors: a URL lepton cannot use.
Result<std::shared_ptr<const Engine>> make_remote_http_engine(const std::string& url,
                                                              std::string auth_token,
                                                              ApiType api_type);

// The app's engine: set once at startup; the default is make_unavailable_engine().
void set_engine(std::shared_ptr<const Engine> engine);
std::shared_ptr<const Engine> engine();

// The error for a model missing from the component's ai_models (Spin's wording).
Error access_denied(const std::string& model);

}  // namespace lepton::llm
