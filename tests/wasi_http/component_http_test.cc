// wasi:http components built from source by the test build (tests/guests/components), linked by
// lepton's component linker and driven through incoming-handler.handle without a server.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "component/instance.h"
#include "component/linker.h"
#include "engine/engine.h"
#include "engine/module.h"
#include "engine/store.h"
#include "support/test_engine.h"
#include "wasi2/wasi2.h"
#include "wasi_http/wasi_http.h"

namespace lepton {
namespace {

std::filesystem::path component_path(const std::string& name) {
  return std::filesystem::path(LEPTON_GUEST_DIR) / "components" / (name + ".wasm");
}

// The reason a guest component was not built (its .skip file), or empty.
std::string skip_reason(const std::string& name) {
  std::ifstream in(std::filesystem::path(LEPTON_GUEST_DIR) / "components" / (name + ".skip"));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ComponentHttp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto e = lepton::testing::make_test_engine();
    ASSERT_TRUE(e.ok()) << e.error().message;
    engine_ = std::move(*e).release();
    registry_ = new component::HostRegistry();
    wasi2::register_wasi(*registry_);
    wasi_http::register_http(*registry_);
  }

  static Result<std::shared_ptr<const component::ComponentTemplate>> try_load(
      const std::string& name, component::LinkOptions options = {}) {
    LEPTON_TRY(auto bytes, engine::read_file(component_path(name)));
    return component::ComponentTemplate::load(
        *engine_, *registry_,
        std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), name, options);
  }

  std::shared_ptr<const component::ComponentTemplate> load(const std::string& name,
                                                           component::LinkOptions options = {}) {
    if (!std::filesystem::exists(component_path(name))) return nullptr;
    auto t = try_load(name, options);
    EXPECT_TRUE(t.ok()) << t.error().message;
    return t.ok() ? *t : nullptr;
  }

  struct Served {
    std::optional<wasi_http::ResponseOut> response;
    std::string error;
    std::string body;
  };

  Served serve(const std::shared_ptr<const component::ComponentTemplate>& t,
               http::Request request) {
    Served out;
    engine::Store store(*engine_, {});
    auto inst = component::ComponentInstance::instantiate(t, store);
    if (!inst) return out.error = inst.error().message, out;
    const component::LiftedFunction* handle =
        t->find_export("wasi:http/incoming-handler", "handle");
    if (handle == nullptr) return out.error = "no handle export", out;
    auto& state = (*inst)->state();
    uint32_t req = wasi_http::new_incoming_request(state, request);
    uint32_t param = wasi_http::new_response_outparam(state);
    auto r =
        (*inst)->call(*handle, std::vector{component::Val::own(req), component::Val::own(param)});
    if (!r) return out.error = r.error().message, out;
    if (const auto* resp = wasi_http::response(state)) {
      out.response = *resp;
      if (resp->body) out.body = resp->body->data;
    }
    return out;
  }

  static engine::Engine* engine_;
  static component::HostRegistry* registry_;
};

engine::Engine* ComponentHttp::engine_ = nullptr;
component::HostRegistry* ComponentHttp::registry_ = nullptr;

http::Request get(std::string target) {
  http::Request r;
  r.method = "GET";
  r.target = target;
  r.path = target;
  r.host = "localhost:3000";
  r.scheme = "http";
  return r;
}

TEST_F(ComponentHttp, HelloAnswers) {
  auto t = load("hello");
  if (!t) GTEST_SKIP() << skip_reason("hello");
  auto served = serve(t, get("/"));
  ASSERT_EQ(served.error, "");
  ASSERT_TRUE(served.response);
  EXPECT_FALSE(served.response->is_error);
  EXPECT_EQ(served.response->status, 200);
  EXPECT_EQ(served.body, "Hello from a C component");
  ASSERT_TRUE(served.response->headers);
  EXPECT_EQ(http::find_header(served.response->headers->entries, "content-type"), "text/plain");
}

TEST_F(ComponentHttp, EachRequestGetsAFreshInstance) {
  auto t = load("hello");
  if (!t) GTEST_SKIP() << skip_reason("hello");
  for (int i = 0; i < 50; ++i) {
    auto served = serve(t, get("/"));
    ASSERT_EQ(served.error, "") << "request " << i;
    ASSERT_EQ(served.body, "Hello from a C component");
  }
}

TEST_F(ComponentHttp, JavaScriptHandlerAnswers) {
  auto t = load("js-hello");
  if (!t) GTEST_SKIP() << skip_reason("js-hello");
  auto served = serve(t, get("/"));
  ASSERT_EQ(served.error, "");
  ASSERT_TRUE(served.response);
  EXPECT_EQ(served.response->status, 200);
  EXPECT_EQ(served.body, "Hello from JS");
  EXPECT_EQ(http::find_header(served.response->headers->entries, "content-type"), "text/plain");
}

// The Python SDK imports the whole Spin 3 platform. Unprovided imports are a load-time error
// listing each one; with trap_missing_imports they link to traps and the handler still serves.
TEST_F(ComponentHttp, PythonHandlerNeedsMissingImportsToTrap) {
  if (!std::filesystem::exists(component_path("py-hello"))) GTEST_SKIP() << skip_reason("py-hello");
  auto strict = try_load("py-hello");
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.error().message.find("imports that lepton does not provide:"),
            std::string::npos);
  EXPECT_NE(strict.error().message.find("\n  fermyon:spin/key-value@2.0.0"), std::string::npos)
      << strict.error().message;
  auto t = load("py-hello", component::LinkOptions{.trap_missing_imports = true});
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->missing().empty());
  auto served = serve(t, get("/"));
  ASSERT_EQ(served.error, "");
  ASSERT_TRUE(served.response);
  EXPECT_EQ(served.response->status, 200);
  EXPECT_EQ(served.body, "Hello from Python");
}

// A composed component (greeted with greeter plugged in by `wasm-tools compose`): the handler
// calls functions lifted by its sibling component; a string and a guest resource cross between
// the two nested component instances.
TEST_F(ComponentHttp, ComposedComponentAnswers) {
  auto t = load("greeted-composed");
  if (!t) GTEST_SKIP() << skip_reason("greeted-composed");
  for (int i = 0; i < 3; ++i) {
    auto served = serve(t, get("/lepton"));
    ASSERT_EQ(served.error, "") << "request " << i;
    ASSERT_TRUE(served.response);
    EXPECT_EQ(served.response->status, 200);
    EXPECT_EQ(served.body, "Hello, lepton! (tally 18)");
  }
  auto served = serve(t, get("/"));
  ASSERT_EQ(served.error, "");
  EXPECT_EQ(served.body, "Hello, world! (tally 15)");
}

// Without its greeter the handler imports an interface lepton does not provide.
TEST_F(ComponentHttp, HandlerWithoutItsGreeterDoesNotLink) {
  if (!std::filesystem::exists(component_path("greeted"))) GTEST_SKIP() << skip_reason("greeted");
  auto t = try_load("greeted");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("lepton:guests/greeter@0.1.0"), std::string::npos)
      << t.error().message;
}

TEST_F(ComponentHttp, AllTestComponentsLink) {
  for (std::string name :
       {"hello", "echo", "outbound", "resources", "all-types", "js-hello", "greeted-composed"}) {
    SCOPED_TRACE(name);
    if (!std::filesystem::exists(component_path(name))) continue;
    auto t = load(name);
    if (!t) continue;
    engine::Store store(*engine_, {});
    auto inst = component::ComponentInstance::instantiate(t, store);
    EXPECT_TRUE(inst.ok()) << inst.error().message;
  }
}

}  // namespace
}  // namespace lepton
