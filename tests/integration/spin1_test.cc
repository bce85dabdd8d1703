// End-to-end: `lepton up` serving a Spin 1.x ABI module (tests/guests/spin1_probe.c) over real
// HTTP.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "lepton_process.h"
#include "support/mariadb_server.h"
#include "support/redis_server.h"

namespace lepton::testing {
namespace {

std::string probe_manifest(const std::string& extra_component = "", const std::string& extra = "") {
  return fmt::format(R"(spin_manifest_version = 2

[application]
name = "probe-app"
version = "1.2.3"

[variables]
greeting = {{ default = "hello" }}
secret_name = {{ required = true }}

[[trigger.http]]
route = "/..."
component = "probe"

{}

[component.probe]
source = "{}"
variables = {{ message = "{{{{ greeting }}}}, {{{{ secret_name }}}}!" }}
environment = {{ FROM_MANIFEST = "yes" }}
{}
)",
                     extra, guest("spin1_probe"), extra_component);
}

class Spin1Test : public ::testing::Test {
 protected:
  std::unique_ptr<LeptonServer> start(const std::string& manifest,
                                      std::vector<std::string> args = {}) {
    app_ = std::make_unique<TempApp>(manifest);
    std::vector<std::string> full = {"-f", app_->manifest().string(), "--variable",
                                     "secret_name=world"};
    full.insert(full.end(), args.begin(), args.end());
    std::string failure;
    auto server = LeptonServer::start(full, &failure);
    EXPECT_NE(server, nullptr) << failure;
    return server;
  }
  std::unique_ptr<TempApp> app_;
};

TEST_F(Spin1Test, ServesHelloWithBanner) {
  auto server = start(probe_manifest());
  ASSERT_TRUE(server);
  auto response = server->get("/hello");
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "Hello from spin1");
  EXPECT_EQ(response->header("content-type").value_or(""), "text/plain");
  std::string out = server->output();
  EXPECT_NE(out.find("Serving " + server->base_url()), std::string::npos) << out;
  EXPECT_NE(out.find("Available Routes:"), std::string::npos) << out;
  EXPECT_NE(out.find("  probe: " + server->base_url() + " (wildcard)"), std::string::npos) << out;
  EXPECT_EQ(server->stop(SIGTERM), 0);
}

TEST_F(Spin1Test, RequestReachesGuestWithSpinHeaders) {
  auto server = start(probe_manifest());
  ASSERT_TRUE(server);
  auto response = server->request("POST", "/echo/tail?x=1", "the body", {{"X-Custom", "Value"}});
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  const std::string& b = response->body;
  EXPECT_NE(b.find("method: POST\n"), std::string::npos) << b;
  EXPECT_NE(b.find("uri: /echo/tail?x=1\n"), std::string::npos) << b;
  EXPECT_NE(b.find("params: 0\n"), std::string::npos) << b;
  EXPECT_NE(b.find("x-custom: Value\n"), std::string::npos) << b;
  EXPECT_NE(b.find("spin-path-info: /echo/tail\n"), std::string::npos) << b;
  EXPECT_NE(b.find("spin-matched-route: /...\n"), std::string::npos) << b;
  EXPECT_NE(b.find("spin-raw-component-route: /...\n"), std::string::npos) << b;
  EXPECT_NE(b.find("spin-full-url: http://" + server->base_url().substr(7) + "/echo/tail?x=1\n"),
            std::string::npos)
      << b;
  EXPECT_NE(b.find("spin-client-addr: 127.0.0.1:"), std::string::npos) << b;
  EXPECT_NE(b.find("body-tag: 1\nbody: the body"), std::string::npos) << b;
}

TEST_F(Spin1Test, WellKnownEndpointsAndUnknownMethod) {
  auto server = start(probe_manifest());
  ASSERT_TRUE(server);
  auto health = server->get("/.well-known/spin/health");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "OK");
  auto info = server->get("/.well-known/spin/info");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->status, 200);
  EXPECT_NE(info->body.find("\"probe-app\""), std::string::npos) << info->body;
  auto other = server->get("/.well-known/spin/nope");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->status, 404);
  auto method = server->request("PROPFIND", "/hello");
  ASSERT_TRUE(method.ok());
  EXPECT_EQ(method->status, 405);
  EXPECT_EQ(method->body, "");
}

TEST_F(Spin1Test, InvalidStatusFromGuestIs500) {
  auto server = start(probe_manifest());
  ASSERT_TRUE(server);
  auto ok = server->get("/status?418");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->status, 418);
  auto bad = server->get("/status?99");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 500);
  EXPECT_EQ(bad->body, "");
}

TEST_F(Spin1Test, TrapFailsOnlyThatRequest) {
  auto server = start(probe_manifest());
  ASSERT_TRUE(server);
  auto trapped = server->get("/trap");
  ASSERT_TRUE(trapped.ok()) << trapped.error().message;
  EXPECT_EQ(trapped->status, 500);
  EXPECT_EQ(trapped->body, "");
  auto after = server->get("/hello");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, 200);
  EXPECT_TRUE(server->wait_for_output("unreachable"));
  std::string out = server->output();
  EXPECT_NE(out.find("component 'probe' failed"), std::string::npos) << out;
  EXPECT_NE(out.find("unreachable"), std::string::npos) << out;
}

TEST_F(Spin1Test, RunawayLoopHitsRequestTimeout) {
  auto server = start(probe_manifest(), {"--request-timeout", "300ms"});
  ASSERT_TRUE(server);
  auto begin = std::chrono::steady_clock::now();
  auto looped = server->get("/loop");
  auto elapsed = std::chrono::steady_clock::now() - begin;
  ASSERT_TRUE(looped.ok()) << looped.error().message;
  EXPECT_EQ(looped->status, 500);
  EXPECT_LT(elapsed, std::chrono::seconds(10));
  EXPECT_TRUE(server->wait_for_output("exceeded the request timeout")) << server->output();
  auto after = server->get("/hello");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, 200);
}

TEST_F(Spin1Test, MemoryHogIsCappedByMaxInstanceMemory) {
  auto server = start(probe_manifest(), {"--max-instance-memory", "32MiB"});
  ASSERT_TRUE(server);
  auto hog = server->get("/hog");
  ASSERT_TRUE(hog.ok()) << hog.error().message;
  ASSERT_EQ(hog->status, 200) << hog->body;
  ASSERT_TRUE(hog->body.starts_with("grew ")) << hog->body;
  long pages = std::stol(hog->body.substr(5));
  EXPECT_GT(pages, 0);
  EXPECT_LE(pages * 65536, 32l << 20);
  auto after = server->get("/hello");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, 200);
}

// CVE-2026-34988 class: a pooled slot reused by a new instance must not expose the previous
// request's memory (static data or grown pages).
TEST_F(Spin1Test, NewInstanceNeverSeesPreviousRequestMemory) {
  for (const char* flag : {"", "--disable-pooling"}) {
    std::vector<std::string> args;
    if (*flag) args.push_back(flag);
    auto server = start(probe_manifest(), args);
    ASSERT_TRUE(server);
    for (int i = 0; i < 20; ++i) {
      auto r = server->get("/memory");
      ASSERT_TRUE(r.ok()) << r.error().message;
      ASSERT_EQ(r->body, "clean") << "request " << i << " with '" << flag << "'";
    }
  }
}

TEST_F(Spin1Test, SpinConfigReadsComponentVariables) {
  auto server = start(probe_manifest());
  ASSERT_TRUE(server);
  auto message = server->get("/config?message");
  ASSERT_TRUE(message.ok());
  EXPECT_EQ(message->status, 200);
  EXPECT_EQ(message->body, "hello, world!");
  auto missing = server->get("/config?greeting");  // an app variable the component didn't map
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 500);
  EXPECT_TRUE(missing->body.starts_with("error 3: ")) << missing->body;
  auto invalid = server->get("/config?Bad-Key");
  ASSERT_TRUE(invalid.ok());
  EXPECT_TRUE(invalid->body.starts_with("error 1: ")) << invalid->body;
}

TEST_F(Spin1Test, RequiredVariableWithoutValueFailsAtStartup) {
  TempApp app(probe_manifest());
  auto result = run_lepton({"up", "-f", app.manifest().string(), "--listen", "127.0.0.1:0"});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("secret_name"), std::string::npos) << result.output;
}

TEST_F(Spin1Test, GuestOutputGoesToLogFilesAndTerminal) {
  auto server = start(probe_manifest());
  ASSERT_TRUE(server);
  auto r = server->get("/stdout");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "printed");
  server->stop();
  auto read = [](const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  auto logs = app_->dir() / ".spin" / "logs";
  EXPECT_NE(read(logs / "probe_stdout.txt").find("to stdout from spin1"), std::string::npos);
  EXPECT_NE(read(logs / "probe_stderr.txt").find("to stderr from spin1"), std::string::npos);
  EXPECT_TRUE(server->wait_for_output("to stdout from spin1"));
}

TEST_F(Spin1Test, QuietKeepsGuestOutputOffTheTerminal) {
  auto server = start(probe_manifest(), {"--quiet"});
  ASSERT_TRUE(server);
  ASSERT_TRUE(server->get("/stdout").ok());
  server->stop();
  EXPECT_EQ(server->output().find("to stdout from spin1"), std::string::npos);
}

TEST_F(Spin1Test, OutboundHttpHonoursAllowedHosts) {
  // A second lepton serves the target; the probe may call it only when granted.
  auto target = start(probe_manifest());
  ASSERT_TRUE(target);
  std::string target_url = target->base_url() + "/hello";
  auto target_app = std::move(app_);

  auto denied = start(probe_manifest());
  ASSERT_TRUE(denied);
  auto r = denied->get("/outbound?" + target_url);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(r->body, "http-error 1");  // destination-not-allowed
  denied.reset();

  auto allowed = start(probe_manifest("allowed_outbound_hosts = [\"http://127.0.0.1:*\"]"));
  ASSERT_TRUE(allowed);
  r = allowed->get("/outbound?" + target_url);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, "status: 200\nHello from spin1");
  auto bad_url = allowed->get("/outbound?not-a-url");
  ASSERT_TRUE(bad_url.ok());
  EXPECT_EQ(bad_url->body, "http-error 2");  // invalid-url
}

TEST_F(Spin1Test, StaticResponseAndPrivateRoutes) {
  auto server = start(probe_manifest("", R"([[trigger.http]]
route = "/static"
static_response = { status_code = 201, headers = { x-static = "yes" }, body = "fixed" }

[[trigger.http]]
route = { private = true }
component = "hidden"

[component.hidden]
source = ")" + guest("spin1_probe") + R"("
)"));
  ASSERT_TRUE(server);
  auto s = server->get("/static");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->status, 201);
  EXPECT_EQ(s->body, "fixed");
  EXPECT_EQ(s->header("x-static").value_or(""), "yes");
}

TEST(UpErrors, BadManifestNamesFileAndLine) {
  TempApp app("spin_manifest_version = 2\n[application]\nname = \"x\"\nbogus = 1\n");
  auto result = run_lepton({"up", "-f", app.manifest().string(), "--listen", "127.0.0.1:0"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("spin.toml:4"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("bogus"), std::string::npos) << result.output;
}

TEST(UpErrors, BadFlagsNameTheFlag) {
  auto unknown = run_lepton({"up", "--no-such-flag"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.output.find("--no-such-flag"), std::string::npos) << unknown.output;
  TempApp app("spin_manifest_version = 2\n[application]\nname = \"x\"\n");
  auto timeout = run_lepton({"up", "-f", app.manifest().string(), "--request-timeout", "soon"});
  EXPECT_EQ(timeout.exit_code, 2);
  EXPECT_NE(timeout.output.find("--request-timeout"), std::string::npos) << timeout.output;
  auto missing = run_lepton({"up", "-f", "/nonexistent/spin.toml"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("/nonexistent/spin.toml"), std::string::npos) << missing.output;
}

TEST(UpErrors, HelpAndVersion) {
  auto help = run_lepton({"up", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("--request-timeout"), std::string::npos);
  auto version = run_lepton({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.output.find("lepton "), std::string::npos);
}

TEST(UpErrors, PortInUseIsReported) {
  TempApp app(probe_manifest());
  std::string failure;
  auto first =
      LeptonServer::start({"-f", app.manifest().string(), "--variable", "secret_name=x"}, &failure);
  ASSERT_TRUE(first) << failure;
  std::string addr = first->base_url().substr(7);
  auto second = run_lepton(
      {"up", "-f", app.manifest().string(), "--variable", "secret_name=x", "--listen", addr},
      std::chrono::seconds(30));
  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_NE(second.output.find(addr), std::string::npos) << second.output;
}

// The Spin 1 `key-value` import over the same stores as the component interfaces: error tags
// are Spin 1's (2 access-denied, 4 no-such-key).
TEST_F(Spin1Test, KeyValueThroughTheSpin1Abi) {
  auto server =
      start(probe_manifest("key_value_stores = [\"default\"]"), {"--key-value", "seed=s"});
  ASSERT_TRUE(server);
  auto body = [&](const std::string& path) {
    auto r = server->get(path);
    return r ? std::to_string(r->status) + " " + r->body : r.error().message;
  };
  EXPECT_EQ(body("/kv?default/get/seed"), "200 s");
  EXPECT_EQ(body("/kv?default/get/a"), "500 error 4");
  EXPECT_EQ(body("/kv?default/exists/a"), "200 false");
  EXPECT_EQ(body("/kv?default/set/a/value/with/slash"), "200 ok");
  EXPECT_EQ(body("/kv?default/get/a"), "200 value/with/slash");
  EXPECT_EQ(body("/kv?default/exists/a"), "200 true");
  EXPECT_EQ(body("/kv?default/keys"), "200 a\nseed\n");
  EXPECT_EQ(body("/kv?default/delete/a"), "200 ok");
  EXPECT_EQ(body("/kv?default/keys"), "200 seed\n");
  EXPECT_EQ(body("/kv?private/get/a"), "500 error 2");
}

}  // namespace
}  // namespace lepton::testing

namespace lepton::testing {
namespace {

// outbound-redis (Spin 1, address per call) against a real redis-server.
TEST_F(Spin1Test, OutboundRedisAgainstARealServer) {
  std::string why;
  auto redis = RedisServer::start(&why);
  if (!redis && !RedisServer::binary()) GTEST_SKIP() << why;
  ASSERT_TRUE(redis) << why;

  auto denied = start(probe_manifest("allowed_outbound_hosts = [\"redis://example.com\"]"));
  ASSERT_TRUE(denied);
  auto r = denied->get("/redis?" + redis->url());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(r->body, "redis-error set");
  EXPECT_EQ(redis->command({"EXISTS", "spin1-key"}), "0");
  denied.reset();

  auto allowed = start(probe_manifest("allowed_outbound_hosts = [\"redis://127.0.0.1:*\"]"));
  ASSERT_TRUE(allowed);
  r = allowed->get("/redis?" + redis->url());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, "get=v1 incr=1 sadd=2 smembers=2 exec-tag=3 hi del=2");
  EXPECT_EQ(redis->command({"GET", "spin1-counter"}), "1");
  EXPECT_EQ(redis->command({"EXISTS", "spin1-key", "spin1-set"}), "0");
}

}  // namespace
}  // namespace lepton::testing

namespace lepton::testing {
namespace {

// outbound-mysql (Spin 1, address per call) against a real MariaDB.
TEST_F(Spin1Test, OutboundMysqlAgainstARealServer) {
  std::string why;
  auto db = MariadbServer::start(&why);
  if (!db && why.find("not found") != std::string::npos) GTEST_SKIP() << why;
  ASSERT_TRUE(db) << why;
  ASSERT_EQ(db->run("CREATE TABLE spin1 (id INT, name VARCHAR(20))"), "");

  auto denied = start(probe_manifest("allowed_outbound_hosts = [\"mysql://example.com\"]"));
  ASSERT_TRUE(denied);
  auto r = denied->get("/mysql?" + db->url());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(r->body, "mysql-error 1 address " + db->url() + " is not permitted");
  EXPECT_EQ(db->scalar("SELECT COUNT(*) FROM spin1"), "0");
  denied.reset();

  auto allowed = start(probe_manifest("allowed_outbound_hosts = [\"mysql://127.0.0.1:*\"]"));
  ASSERT_TRUE(allowed);
  r = allowed->get("/mysql?" + db->url());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, "cols=id:3,name:11 rows=1 7 seven");
  EXPECT_EQ(db->scalar("SELECT name FROM spin1 WHERE id = 7"), "seven");

  r = allowed->get("/mysql?mysql://root@127.0.0.1:" + std::to_string(db->port()) + "/nodb");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 502);
  EXPECT_TRUE(r->body.starts_with("mysql-error 1 ")) << r->body;  // connection-failed
}

}  // namespace
}  // namespace lepton::testing
