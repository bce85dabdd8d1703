// End-to-end: fermyon:spin/llm@2.0.0 through `lepton up` with the C guest `llm`
// (tests/guests/components/llm.c). [llm_compute] type "remote_http" is served by an in-test HTTP
// server speaking Spin's remote protocol (POST /infer, /embed with a bearer token) or, with
// api_type = "open_ai", OpenAI's (/v1/chat/completions, /v1/embeddings).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "http/server.h"
#include "lepton_process.h"

namespace lepton::testing {
namespace {

using json = nlohmann::json;

std::string llm_guest() { return guest("components/llm"); }

std::string missing_llm() {
  if (std::filesystem::exists(llm_guest())) return "";
  std::ifstream in(std::string(LEPTON_GUEST_DIR) + "/components/llm.skip");
  std::stringstream s;
  s << in.rdbuf();
  return s.str().empty() ? "component llm was not built" : s.str();
}

struct Seen {
  std::string path, authorization;
  json body;
};

class FakeLlmService {
 public:
  FakeLlmService() {
    http::Server::Options options;
    options.listen = "127.0.0.1:0";
    options.threads = 1;
    options.handler_threads = 2;
    auto server = http::Server::start(options, [this](http::Request& r) { return handle(r); });
    EXPECT_TRUE(server.ok()) << server.error().message;
    if (server.ok()) server_ = std::move(*server);
  }
  std::string url() const { return "http://" + server_->bound_address(); }
  std::vector<Seen> seen() const {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  http::Response handle(http::Request& r) {
    Seen s{r.path, std::string(r.header("authorization").value_or("")),
           json::parse(r.body, nullptr, false)};
    {
      std::lock_guard lock(mu_);
      seen_.push_back(s);
    }
    http::Response out;
    out.headers.push_back({"content-type", "application/json"});
    if (s.authorization != "bearer sekret") {
      out.status = 401;
      out.body = R"({"error": {"message": "bad token"}})";
      return out;
    }
    const json& b = s.body;
    if (r.path == "/infer") {
      out.body = json{{"text", "echo:" + b.value("prompt", std::string())},
                      {"usage", {{"promptTokenCount", 3}, {"generatedTokenCount", 4}}}}
                     .dump();
    } else if (r.path == "/embed") {
      json rows = json::array();
      for (size_t i = 0; i < b["input"].size(); ++i) rows.push_back({0.5 + i, -1.25});
      out.body = json{{"embeddings", rows}, {"usage", {{"promptTokenCount", 9}}}}.dump();
    } else if (r.path == "/v1/chat/completions") {
      out.body =
          json{{"choices",
                {{{"message",
                   {{"role", "assistant"},
                    {"content", "openai:" + b["messages"][0]["content"].get<std::string>()}}}}}},
               {"usage", {{"prompt_tokens", 5}, {"completion_tokens", 6}}}}
              .dump();
    } else if (r.path == "/v1/embeddings") {
      json data = json::array();
      for (size_t i = 0; i < b["input"].size(); ++i)
        data.push_back({{"embedding", {2.0 + i, 0.25}}, {"index", i}});
      out.body = json{{"data", data}, {"usage", {{"prompt_tokens", 11}}}}.dump();
    } else {
      out.status = 404;
      out.body = "{}";
    }
    return out;
  }

  mutable std::mutex mu_;
  std::vector<Seen> seen_;
  std::unique_ptr<http::Server> server_;
};

std::string llm_app(const std::string& ai_models) {
  return fmt::format(R"(spin_manifest_version = 2
[application]
name = "llm"
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = "{}"
ai_models = [{}]
)",
                     llm_guest(), ai_models);
}

std::string call(LeptonServer& server, const std::string& path) {
  auto r = server.get(path);
  if (!r.ok()) return "request failed: " + r.error().message;
  return fmt::format("{} {}", r->status, r->body);
}

// No [llm_compute]: Spin without local models answers runtime-error; an ungranted model is
// refused first with invalid-input, in Spin's words.
TEST(Llm, WithoutComputeConfigFailsAsSpin) {
  if (auto why = missing_llm(); !why.empty()) GTEST_SKIP() << why;
  TempApp app(llm_app("\"llama2-chat\""));
  std::string failure;
  auto server = LeptonServer::start({"-f", app.manifest().string()}, &failure);
  ASSERT_TRUE(server) << failure;
  EXPECT_EQ(call(*server, "/infer/llama2-chat?hi"),
            "500 runtime-error: Local LLM operations are not supported in this version of Spin.");
  EXPECT_EQ(call(*server, "/embed/llama2-chat?a"),
            "500 runtime-error: Local LLM operations are not supported in this version of Spin.");
  EXPECT_EQ(call(*server, "/infer/other-model?hi"),
            "500 invalid-input: The component does not have access to use 'other-model'. To give "
            "the component access, add 'other-model' to the 'ai_models' key for the component in "
            "your spin.toml manifest");
}

TEST(Llm, RemoteHttpSpeaksSpinProtocol) {
  if (auto why = missing_llm(); !why.empty()) GTEST_SKIP() << why;
  FakeLlmService service;
  TempApp app(llm_app("\"llama2-chat\", \"all-minilm-l6-v2\""));
  app.write("rc.toml", fmt::format(R"(
[llm_compute]
type = "remote_http"
url = "{}"
auth_token = "sekret"
)",
                                   service.url()));
  std::string failure;
  auto server = LeptonServer::start(
      {"-f", app.manifest().string(), "--runtime-config-file", (app.dir() / "rc.toml").string()},
      &failure);
  ASSERT_TRUE(server) << failure;
  EXPECT_EQ(call(*server, "/infer/llama2-chat?hello"), "200 echo:hello|3|4");
  EXPECT_EQ(call(*server, "/infer-opts/llama2-chat?again"), "200 echo:again|3|4");
  EXPECT_EQ(call(*server, "/embed/all-minilm-l6-v2?one,two"), "200 0.5,-1.25;1.5,-1.25|9");
  // Not granted: refused before the service is asked.
  size_t before = service.seen().size();
  EXPECT_EQ(call(*server, "/infer/gpt-4?x").substr(0, 18), "500 invalid-input:");
  EXPECT_EQ(service.seen().size(), before);

  auto seen = service.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].path, "/infer");
  EXPECT_EQ(seen[0].authorization, "bearer sekret");
  EXPECT_EQ(seen[0].body["model"], "llama2-chat");
  EXPECT_EQ(seen[0].body["prompt"], "hello");
  // Spin's defaults when the guest passes no params, in Spin's camelCase field names.
  const json& d = seen[0].body["options"];
  EXPECT_EQ(d["maxTokens"], 100);
  EXPECT_DOUBLE_EQ(d["repeatPenalty"].get<double>(), 1.1);
  EXPECT_EQ(d["repeatPenaltyLastNTokenCount"], 64);
  EXPECT_DOUBLE_EQ(d["temperature"].get<double>(), 0.8);
  EXPECT_EQ(d["topK"], 40);
  EXPECT_DOUBLE_EQ(d["topP"].get<double>(), 0.9);
  const json& o = seen[1].body["options"];
  EXPECT_EQ(o["maxTokens"], 7);
  EXPECT_DOUBLE_EQ(o["repeatPenalty"].get<double>(), 1.5);
  EXPECT_EQ(o["repeatPenaltyLastNTokenCount"], 3);
  EXPECT_DOUBLE_EQ(o["temperature"].get<double>(), 0.25);
  EXPECT_EQ(o["topK"], 5);
  EXPECT_DOUBLE_EQ(o["topP"].get<double>(), 0.5);
  EXPECT_EQ(seen[2].path, "/embed");
  EXPECT_EQ(seen[2].body["model"], "all-minilm-l6-v2");
  EXPECT_EQ(seen[2].body["input"], json::array({"one", "two"}));
}

TEST(Llm, RemoteHttpOpenAiApi) {
  if (auto why = missing_llm(); !why.empty()) GTEST_SKIP() << why;
  FakeLlmService service;
  TempApp app(llm_app("\"gpt-x\", \"embed-x\""));
  app.write("rc.toml", fmt::format(R"(
[llm_compute]
type = "remote_http"
url = "{}"
auth_token = "sekret"
api_type = "open_ai"
)",
                                   service.url()));
  std::string failure;
  auto server = LeptonServer::start(
      {"-f", app.manifest().string(), "--runtime-config-file", (app.dir() / "rc.toml").string()},
      &failure);
  ASSERT_TRUE(server) << failure;
  EXPECT_EQ(call(*server, "/infer-opts/gpt-x?hey"), "200 openai:hey|5|6");
  EXPECT_EQ(call(*server, "/embed/embed-x?a,b"), "200 2,0.25;3,0.25|11");
  auto seen = service.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].path, "/v1/chat/completions");
  EXPECT_EQ(seen[0].body["model"], "gpt-x");
  EXPECT_EQ(seen[0].body["messages"], json::parse(R"([{"role":"user","content":"hey"}])"));
  EXPECT_EQ(seen[0].body["max_completion_tokens"], 7);
  EXPECT_DOUBLE_EQ(seen[0].body["frequency_penalty"].get<double>(), 1.5);
  EXPECT_EQ(seen[1].path, "/v1/embeddings");
}

// A service that refuses the token: its error body is not an inference result, so the guest
// gets runtime-error, and the call does not hang or trap.
TEST(Llm, RemoteHttpFailureIsRuntimeError) {
  if (auto why = missing_llm(); !why.empty()) GTEST_SKIP() << why;
  FakeLlmService service;
  TempApp app(llm_app("\"m\""));
  app.write("rc.toml", fmt::format(R"(
[llm_compute]
type = "remote_http"
url = "{}"
auth_token = "wrong"
)",
                                   service.url()));
  std::string failure;
  auto server = LeptonServer::start(
      {"-f", app.manifest().string(), "--runtime-config-file", (app.dir() / "rc.toml").string()},
      &failure);
  ASSERT_TRUE(server) << failure;
  std::string r = call(*server, "/infer/m?x");
  EXPECT_EQ(r.substr(0, 18), "500 runtime-error:") << r;
  EXPECT_NE(r.find("/infer"), std::string::npos) << r;
}

}  // namespace
}  // namespace lepton::testing
