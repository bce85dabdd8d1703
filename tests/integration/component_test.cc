// End-to-end: `lepton up` serving wasi:http components built from source by the test build
// (C via wit-bindgen, JS via @spinframework/build-tools, Python via componentize-py).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lepton_process.h"

namespace lepton::testing {
namespace {

std::string component(const std::string& name) { return guest("components/" + name); }

// Why the test build did not produce a component (its .skip file), or empty when it did.
std::string missing_reason(const std::string& name) {
  if (std::filesystem::exists(component(name))) return "";
  std::ifstream in(std::string(LEPTON_GUEST_DIR) + "/components/" + name + ".skip");
  std::stringstream s;
  s << in.rdbuf();
  return s.str().empty() ? "component " + name + " was not built" : s.str();
}

std::string app_with(const std::string& name, const std::string& route,
                     const std::string& extra = "") {
  return fmt::format(R"(spin_manifest_version = 2
[application]
name = "components"
[[trigger.http]]
route = "{}"
component = "c"
[component.c]
source = "{}"
{}
)",
                     route, component(name), extra);
}

TEST(Components, ServesCHelloComponent) {
  if (auto why = missing_reason("hello"); !why.empty()) GTEST_SKIP() << why;
  TempApp app(app_with("hello", "/hello"));
  std::string failure;
  auto server = LeptonServer::start({"-f", app.manifest().string()}, &failure);
  ASSERT_TRUE(server) << failure;
  for (int i = 0; i < 3; ++i) {
    auto r = server->get("/hello");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "Hello from a C component");
    EXPECT_EQ(r->header("content-type"), "text/plain");
  }
  auto none = server->get("/other");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->status, 404);
}

// Two C components composed into one by `wasm-tools compose` (greeted + greeter): the handler's
// calls into its sibling component run through lepton's component-to-component adapters.
TEST(Components, ServesAComposedComponent) {
  if (auto why = missing_reason("greeted-composed"); !why.empty()) GTEST_SKIP() << why;
  TempApp app(app_with("greeted-composed", "/..."));
  std::string failure;
  auto server = LeptonServer::start({"-f", app.manifest().string()}, &failure);
  ASSERT_TRUE(server) << failure;
  for (int i = 0; i < 3; ++i) {
    auto r = server->get("/composition");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "Hello, composition! (tally 33)");
    EXPECT_EQ(r->header("content-type"), "text/plain");
  }
  auto r = server->get("/");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->body, "Hello, world! (tally 15)");
}

TEST(Components, EchoReturnsTheRequestBody) {
  if (auto why = missing_reason("echo"); !why.empty()) GTEST_SKIP() << why;
  TempApp app(app_with("echo", "/..."));
  std::string failure;
  auto server = LeptonServer::start({"-f", app.manifest().string()}, &failure);
  ASSERT_TRUE(server) << failure;
  std::string body(300 * 1024, 'x');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  auto r = server->request("POST", "/echo", body);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "application/octet-stream");
  EXPECT_EQ(r->body.size(), body.size());
  EXPECT_TRUE(r->body == body);
}

// A guest writing 100 MiB: the response goes out as it is written (chunked), so lepton's peak
// memory stays far below the body size.
TEST(Components, LargeResponseIsStreamedNotBuffered) {
  if (auto why = missing_reason("stream"); !why.empty()) GTEST_SKIP() << why;
  TempApp app(app_with("stream", "/..."));
  std::string failure;
  auto server = LeptonServer::start({"-f", app.manifest().string()}, &failure);
  ASSERT_TRUE(server) << failure;
  auto small = server->get("/?mb=0");
  ASSERT_TRUE(small.ok()) << small.error().message;
  size_t before = peak_rss(server->pid());
  auto r = server->request("GET", "/?mb=100", {}, {}, std::chrono::seconds(120));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(r->body.size(), 100u << 20);
  for (size_t i : {size_t{0}, size_t{65535}, size_t{65536}, (size_t{100} << 20) - 1})
    ASSERT_EQ(r->body[i], static_cast<char>('a' + (i % 65536) % 26)) << "byte " << i;
  size_t after = peak_rss(server->pid());
  EXPECT_LT(after - before, size_t{32} << 20) << "peak RSS grew from " << before << " to " << after;
}

TEST(Components, OutboundHttpHonoursAllowedHosts) {
  if (auto why = missing_reason("outbound"); !why.empty()) GTEST_SKIP() << why;
  // The hello app is the outbound target: one lepton serves it, another calls it.
  TempApp target(app_with("hello", "/hello"));
  std::string failure;
  auto hello = LeptonServer::start({"-f", target.manifest().string()}, &failure);
  ASSERT_TRUE(hello) << failure;
  std::string authority = hello->base_url().substr(std::string("http://").size());

  TempApp allowed(app_with("outbound", "/...",
                           fmt::format("allowed_outbound_hosts = [\"http://{}\"]", authority)));
  auto caller = LeptonServer::start({"-f", allowed.manifest().string()}, &failure);
  ASSERT_TRUE(caller) << failure;
  auto ok = caller->get("/?url=" + hello->base_url() + "/hello");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(ok->body, "status 200");

  TempApp denied(
      app_with("outbound", "/...", "allowed_outbound_hosts = [\"https://example.com\"]"));
  auto closed = LeptonServer::start({"-f", denied.manifest().string()}, &failure);
  ASSERT_TRUE(closed) << failure;
  auto no = closed->get("/?url=" + hello->base_url() + "/hello");
  ASSERT_TRUE(no.ok()) << no.error().message;
  EXPECT_EQ(no->status, 502);
  EXPECT_EQ(no->body, "error: 15");  // error-code case 15 = HTTP-request-denied
}

// An app of two components: `target` (the hello component) on `target_route`, and "out" (the
// outbound caller) on /out/... with `hosts` as its allowed_outbound_hosts entries.
std::string caller_app(const std::string& target, const std::string& target_route,
                       const std::string& hosts) {
  return fmt::format(R"(spin_manifest_version = 2
[application]
name = "callers"
[[trigger.http]]
{}
component = "{}"
[[trigger.http]]
route = "/out/..."
component = "out"
[component.{}]
source = "{}"
[component.out]
source = "{}"
allowed_outbound_hosts = [{}]
)",
                     target_route, target, target, component("hello"), component("outbound"),
                     hosts);
}

// A path-only outbound request goes to the app itself when `allowed_outbound_hosts` grants
// "http://self" (as in Spin), and is denied otherwise.
TEST(Components, RelativeOutboundRequestsGoToTheAppItself) {
  if (auto why = missing_reason("outbound"); !why.empty()) GTEST_SKIP() << why;
  auto app_text = [](const std::string& hosts) {
    return caller_app("hello", "route = \"/hello\"", hosts);
  };
  std::string failure;
  TempApp allowed(app_text("\"http://self\""));
  auto server = LeptonServer::start({"-f", allowed.manifest().string()}, &failure);
  ASSERT_TRUE(server) << failure;
  auto ok = server->get("/out/?url=/hello");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(ok->body, "status 200");
  auto missing = server->get("/out/?url=/nowhere");
  ASSERT_TRUE(missing.ok()) << missing.error().message;
  EXPECT_EQ(missing->body, "status 404");

  TempApp denied(app_text("\"https://example.com\""));
  auto closed = LeptonServer::start({"-f", denied.manifest().string()}, &failure);
  ASSERT_TRUE(closed) << failure;
  auto no = closed->get("/out/?url=/hello");
  ASSERT_TRUE(no.ok()) << no.error().message;
  EXPECT_EQ(no->status, 502);
  EXPECT_EQ(no->body, "error: 15");
}

// Service chaining: http://<component>.spin.internal/... reaches that component in memory, even
// on a private route, when allowed_outbound_hosts lists it; otherwise HTTP-request-denied.
TEST(Components, ServiceChainingReachesPrivateComponents) {
  if (auto why = missing_reason("outbound"); !why.empty()) GTEST_SKIP() << why;
  auto app_text = [](const std::string& hosts) {
    return caller_app("backend", "route = { private = true }", hosts);
  };
  std::string failure;
  TempApp allowed(app_text("\"http://backend.spin.internal\""));
  auto server = LeptonServer::start({"-f", allowed.manifest().string()}, &failure);
  ASSERT_TRUE(server) << failure;
  auto ok = server->get("/out/?url=http://backend.spin.internal/anything");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(ok->body, "status 200");
  auto no_route = server->get("/backend");  // private: not routable from outside
  ASSERT_TRUE(no_route.ok());
  EXPECT_EQ(no_route->status, 404);

  TempApp denied(app_text("\"http://other.spin.internal\""));
  auto closed = LeptonServer::start({"-f", denied.manifest().string()}, &failure);
  ASSERT_TRUE(closed) << failure;
  auto no = closed->get("/out/?url=http://backend.spin.internal/anything");
  ASSERT_TRUE(no.ok()) << no.error().message;
  EXPECT_EQ(no->status, 502);
  EXPECT_EQ(no->body, "error: 15");
}

TEST(Components, ServesJavaScriptComponent) {
  if (auto why = missing_reason("js-hello"); !why.empty()) GTEST_SKIP() << why;
  TempApp app(app_with("js-hello", "/..."));
  std::string failure;
  auto server = LeptonServer::start({"-f", app.manifest().string()}, &failure);
  ASSERT_TRUE(server) << failure;
  for (int i = 0; i < 2; ++i) {
    auto r = server->get("/js");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "Hello from JS");
  }
}

TEST(Components, PythonComponentNeedsTrapMissingImports) {
  if (auto why = missing_reason("py-hello"); !why.empty()) GTEST_SKIP() << why;
  TempApp app(app_with("py-hello", "/..."));
  auto strict = run_lepton({"up", "-f", app.manifest().string(), "--listen", "127.0.0.1:0"});
  EXPECT_EQ(strict.exit_code, 1) << strict.output;
  EXPECT_NE(strict.output.find("imports that lepton does not provide"), std::string::npos)
      << strict.output;
  std::string failure;
  auto server =
      LeptonServer::start({"-f", app.manifest().string(), "--trap-missing-imports"}, &failure);
  ASSERT_TRUE(server) << failure;
  auto r = server->get("/py");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "Hello from Python");
}

}  // namespace
}  // namespace lepton::testing
