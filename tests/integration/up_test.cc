// End-to-end: `lepton up` app sources (v1 manifest, directory, single .wasm) and flags.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdlib>

#include "lepton_process.h"

namespace lepton::testing {
namespace {

TEST(Up, ServesSpinV1Manifest) {
  TempApp app(fmt::format(R"(spin_manifest_version = "1"
name = "legacy"
version = "0.1.0"
trigger = {{ type = "http", base = "/" }}

[variables]
greeting = {{ default = "hey" }}

[[component]]
id = "probe"
source = "{}"
allowed_http_hosts = []
[component.trigger]
route = "/legacy/..."
[component.config]
message = "{{{{ greeting }}}} from v1"
)",
                          guest("spin1_probe")));
  std::string failure;
  auto server = LeptonServer::start({"-f", app.manifest().string()}, &failure);
  ASSERT_TRUE(server) << failure;
  auto hello = server->get("/legacy/hello");
  ASSERT_TRUE(hello.ok()) << hello.error().message;
  EXPECT_EQ(hello->status, 200);
  EXPECT_EQ(hello->body, "Hello from spin1");
  auto config = server->get("/legacy/config?message");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->body, "hey from v1");
  auto echo = server->get("/legacy/echo/x");
  ASSERT_TRUE(echo.ok());
  EXPECT_NE(echo->body.find("spin-path-info: /echo/x\n"), std::string::npos) << echo->body;
  EXPECT_NE(echo->body.find("spin-component-route: /legacy\n"), std::string::npos) << echo->body;
  auto outside = server->get("/elsewhere");
  ASSERT_TRUE(outside.ok());
  EXPECT_EQ(outside->status, 404);
  EXPECT_EQ(outside->body, "");
  EXPECT_NE(server->output().find("probe: " + server->base_url() + "/legacy (wildcard)"),
            std::string::npos)
      << server->output();
}

// The pooling allocator reserves address space for every slot up front (1000 x 4 GiB by default).
// Where that is refused (here: an address-space limit, as under a container's or ulimit's cap),
// `lepton up` must say what failed and what to change, and exit 1, not abort.
TEST(Up, PoolReservationFailureIsAClearError) {
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_AS, &saved), 0);
  rlimit capped = saved;
  capped.rlim_cur = 8ull << 30;  // the child inherits it; plenty for this test process
  ASSERT_EQ(setrlimit(RLIMIT_AS, &capped), 0);
  TempApp app(fmt::format(R"(spin_manifest_version = 2
[application]
name = "capped"
[[trigger.http]]
route = "/..."
component = "probe"
[component.probe]
source = "{}"
)",
                          guest("spin1_probe")));
  auto result = run_lepton({"up", "-f", app.manifest().string(), "--listen", "127.0.0.1:0"});
  // The fallback the message suggests works under the same cap.
  std::string failure;
  auto unpooled =
      LeptonServer::start({"-f", app.manifest().string(), "--disable-pooling"}, &failure);
  std::optional<int> status;
  if (unpooled) {
    auto hello = unpooled->get("/hello");
    if (hello.ok()) status = hello->status;
  }
  unpooled.reset();
  ASSERT_EQ(setrlimit(RLIMIT_AS, &saved), 0);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("cannot create the pooling allocator for 1000 instances"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("--disable-pooling"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("panicked"), std::string::npos) << result.output;
  EXPECT_EQ(status, 200) << failure;
}

TEST(Up, ServesDirectoryAndSingleWasm) {
  TempApp app(fmt::format(R"(spin_manifest_version = 2
[application]
name = "dir-app"
[[trigger.http]]
route = "/..."
component = "probe"
[component.probe]
source = "{}"
)",
                          guest("spin1_probe")));
  std::string failure;
  auto by_dir = LeptonServer::start({"-f", app.dir().string()}, &failure);
  ASSERT_TRUE(by_dir) << failure;
  auto r = by_dir->get("/hello");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "Hello from spin1");
  by_dir.reset();

  auto by_wasm = LeptonServer::start({"-f", guest("spin1_probe")}, &failure);
  ASSERT_TRUE(by_wasm) << failure;
  r = by_wasm->get("/hello");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "Hello from spin1");
}

TEST(Up, EnvFlagReachesGuestsAndFollowFiltersOutput) {
  TempApp app(fmt::format(R"(spin_manifest_version = 2
[application]
name = "env-app"
[[trigger.http]]
route = "/a/..."
component = "a"
executor = {{ type = "wagi" }}
[[trigger.http]]
route = "/b/..."
component = "b"
executor = {{ type = "wagi" }}
[component.a]
source = "{0}"
[component.b]
source = "{0}"
)",
                          guest("wagi_probe")));
  std::string failure;
  auto server = LeptonServer::start(
      {"-f", app.manifest().string(), "--env", "EXTRA=from-flag", "--follow", "b"}, &failure);
  ASSERT_TRUE(server) << failure;
  auto a = server->get("/a/?env-a");
  ASSERT_TRUE(a.ok());
  EXPECT_NE(a->body.find("EXTRA=from-flag\n"), std::string::npos) << a->body;
  auto b = server->get("/b/?env-b");
  ASSERT_TRUE(b.ok());
  server->stop();
  std::string out = server->output();
  EXPECT_EQ(out.find("wagi_probe served env-a"), std::string::npos) << out;
  EXPECT_NE(out.find("wagi_probe served env-b"), std::string::npos) << out;
}

TEST(Up, ServesHttpsWithTlsFlags) {
  TempApp app(fmt::format(R"(spin_manifest_version = 2
[application]
name = "tls-app"
[[trigger.http]]
route = "/..."
component = "probe"
[component.probe]
source = "{}"
)",
                          guest("spin1_probe")));
  auto cert = app.dir() / "cert.pem";
  auto key = app.dir() / "key.pem";
  std::string cmd = fmt::format(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
      "-subj /CN=localhost -keyout {} -out {} >/dev/null 2>&1",
      key.string(), cert.string());
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "openssl command not available";
  std::string failure;
  auto server = LeptonServer::start(
      {"-f", app.manifest().string(), "--tls-cert", cert.string(), "--tls-key", key.string()},
      &failure);
  ASSERT_TRUE(server) << failure;
  EXPECT_TRUE(server->base_url().starts_with("https://")) << server->base_url();
  // A plain-HTTP client against the TLS port gets no HTTP answer.
  auto url = http::parse_url("http://" + server->base_url().substr(8) + "/hello");
  ASSERT_TRUE(url.ok());
  http::OutgoingRequest plain;
  plain.url = *url;
  plain.timeout = std::chrono::seconds(5);
  auto r = http::send(plain);
  EXPECT_TRUE(!r.ok() || r->status == 400);
  auto bad_key = run_lepton({"up", "-f", app.manifest().string(), "--listen", "127.0.0.1:0",
                             "--tls-cert", cert.string(), "--tls-key", cert.string()});
  EXPECT_EQ(bad_key.exit_code, 1) << bad_key.output;
  EXPECT_NE(bad_key.output.find("cert.pem"), std::string::npos) << bad_key.output;
}

}  // namespace
}  // namespace lepton::testing
