// rediss:// (Redis over TLS) end to end: `lepton up` against a real TLS redis-server
// (support/redis_server.h start_tls) whose certificate comes from a throwaway CA
// (support/test_ca.h). Outbound Redis (fermyon:spin/redis and Spin 1 outbound-redis) and the Redis
// trigger and the key-value `redis` backend trust that CA through a runtime-config [[client_tls]]
// entry for the component (for the key-value store: the component calling it).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "lepton_process.h"
#include "support/redis_server.h"
#include "support/test_ca.h"

namespace lepton::testing {
namespace {

using namespace std::chrono_literals;

class RedissTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RedisServer::binary()) GTEST_SKIP() << "redis-server is not installed";
    std::string why;
    ca_ = TestCa::create(&why);
    ASSERT_TRUE(ca_) << why;
    redis_ = RedisServer::start_tls(*ca_, &why);
    ASSERT_TRUE(redis_) << why;
  }

  std::string tls_host() const { return "127.0.0.1:" + std::to_string(redis_->tls_port()); }

  // A [[client_tls]] entry trusting `ca` for `component` on the TLS port.
  std::string client_tls(const std::string& component, const std::filesystem::path& ca) const {
    return fmt::format(
        "[[client_tls]]\ncomponent_ids = [\"{}\"]\nhosts = [\"{}\"]\nca_roots_file = \"{}\"\n",
        component, tls_host(), ca.string());
  }

  // `lepton up` with the manifest and runtime config; `ready` as LeptonServer::start_until
  // (empty: the HTTP banner).
  std::unique_ptr<LeptonServer> up(const std::string& manifest, const std::string& rc,
                                   const std::string& ready = "") {
    app_ = std::make_unique<TempApp>(manifest);
    app_->write("rc.toml", rc);
    std::vector<std::string> args = {"-f", app_->manifest().string(), "--runtime-config-file",
                                     (app_->dir() / "rc.toml").string()};
    std::string failure;
    auto server = ready.empty() ? LeptonServer::start(args, &failure)
                                : LeptonServer::start_until(args, ready, &failure);
    EXPECT_TRUE(server) << failure;
    return server;
  }

  static std::string call(LeptonServer& server, const std::string& path) {
    auto r = server.get(path);
    if (!r) return "request failed: " + r.error().message;
    return std::to_string(r->status) + " " + r->body;
  }

  std::unique_ptr<TestCa> ca_;
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<TempApp> app_;
};

std::string outbound_app(const std::string& hosts) {
  return fmt::format(R"(spin_manifest_version = 2
[application]
name = "rediss"
[[trigger.http]]
route = "/..."
component = "r"
[component.r]
source = "{}"
allowed_outbound_hosts = [{}]
)",
                     guest("components/redis"), hosts);
}

TEST_F(RedissTest, OutboundRedisOverTlsWithClientTls) {
  if (auto why = missing_guest("components/redis"); !why.empty()) GTEST_SKIP() << why;
  auto server =
      up(outbound_app("\"rediss://" + tls_host() + "\""), client_tls("r", ca_->ca_cert()));
  ASSERT_TRUE(server);
  std::string addr = "&addr=" + redis_->tls_url();
  EXPECT_EQ(call(*server, "/?op=set&key=greeting&value=over-tls" + addr), "200 ok");
  EXPECT_EQ(redis_->command({"GET", "greeting"}), "over-tls");
  EXPECT_EQ(call(*server, "/?op=get&key=greeting" + addr), "200 over-tls");
  EXPECT_EQ(call(*server, "/?op=incr&key=n" + addr), "200 1");
  EXPECT_EQ(call(*server, "/?op=execute&cmd=INCRBY&values=n,i:41" + addr), "200 int:42");
  // The grant is for rediss:// on that port: redis:// to the same host:port is not granted.
  EXPECT_EQ(call(*server, "/?op=get&key=greeting&addr=redis://" + tls_host()),
            "502 error: invalid-address");
}

TEST_F(RedissTest, OutboundRedisWithoutClientTlsFailsAndTheServerKeepsServing) {
  if (auto why = missing_guest("components/redis"); !why.empty()) GTEST_SKIP() << why;
  // A [[client_tls]] entry for another component only, and one trusting the wrong CA for "r" on
  // another port: neither applies, so the system roots are used and the test CA is unknown.
  auto server = up(outbound_app("\"rediss://" + tls_host() + "\", \"redis://127.0.0.1:*\""),
                   client_tls("someone-else", ca_->ca_cert()));
  ASSERT_TRUE(server);
  auto r = call(*server, "/?op=set&key=k&value=v&addr=" + redis_->tls_url());
  EXPECT_TRUE(r.starts_with("502 error: other: ")) << r;
  EXPECT_NE(r.find("certificate verify failed"), std::string::npos) << r;
  EXPECT_EQ(redis_->command({"EXISTS", "k"}), "0");
  // Still serving, plain Redis too.
  EXPECT_EQ(call(*server, "/?op=set&key=plain&value=yes&addr=" + redis_->url()), "200 ok");
  EXPECT_EQ(redis_->command({"GET", "plain"}), "yes");
}

TEST_F(RedissTest, OutboundRedisTrustingTheWrongCaFails) {
  if (auto why = missing_guest("components/redis"); !why.empty()) GTEST_SKIP() << why;
  auto server =
      up(outbound_app("\"rediss://" + tls_host() + "\""), client_tls("r", ca_->other_ca_cert()));
  ASSERT_TRUE(server);
  auto r = call(*server, "/?op=get&key=k&addr=" + redis_->tls_url());
  EXPECT_NE(r.find("certificate verify failed"), std::string::npos) << r;
}

TEST_F(RedissTest, Spin1OutboundRedisOverTls) {
  if (auto why = missing_guest("spin1_probe"); !why.empty()) GTEST_SKIP() << why;
  std::string manifest = fmt::format(R"(spin_manifest_version = 2
[application]
name = "rediss-spin1"
[variables]
secret_name = {{ default = "x" }}
[[trigger.http]]
route = "/..."
component = "probe"
[component.probe]
source = "{}"
allowed_outbound_hosts = ["rediss://{}"]
)",
                                     guest("spin1_probe"), tls_host());
  {
    auto untrusted = up(manifest, "");
    ASSERT_TRUE(untrusted);
    EXPECT_EQ(call(*untrusted, "/redis?" + redis_->tls_url()), "502 redis-error set");
    EXPECT_EQ(redis_->command({"EXISTS", "spin1-key"}), "0");
  }
  auto server = up(manifest, client_tls("probe", ca_->ca_cert()));
  ASSERT_TRUE(server);
  EXPECT_EQ(call(*server, "/redis?" + redis_->tls_url()),
            "200 get=v1 incr=1 sadd=2 smembers=2 exec-tag=3 hi del=2");
  EXPECT_EQ(redis_->command({"GET", "spin1-counter"}), "1");
}

TEST_F(RedissTest, KeyValueRedisStoreOverTls) {
  if (auto why = missing_guest("components/kv"); !why.empty()) GTEST_SKIP() << why;
  std::string manifest = fmt::format(R"(spin_manifest_version = 2
[application]
name = "kv-rediss"
[[trigger.http]]
route = "/..."
component = "kv"
[component.kv]
source = "{}"
key_value_stores = ["default"]
)",
                                     guest("components/kv"));
  std::string rc =
      fmt::format("[key_value_store.default]\ntype = \"redis\"\nurl = \"{}\"\n", redis_->tls_url());
  // Without a [[client_tls]] entry for the calling component: the system roots, which do not
  // know the test CA.
  {
    auto untrusted = up(manifest, rc);
    ASSERT_TRUE(untrusted);
    auto r = call(*untrusted, "/default/set/a/one");
    EXPECT_FALSE(r.starts_with("200")) << r;
    EXPECT_EQ(redis_->command({"EXISTS", "a"}), "0");
  }
  auto server = up(manifest, rc + client_tls("kv", ca_->ca_cert()));
  ASSERT_TRUE(server);
  EXPECT_EQ(call(*server, "/default/set/a/one"), "200 ok");
  EXPECT_EQ(redis_->command({"GET", "a"}), "one");
  EXPECT_EQ(redis_->command({"SET", "b", "from-outside"}), "OK");
  EXPECT_EQ(call(*server, "/default/get/b"), "200 from-outside");
  EXPECT_EQ(call(*server, "/default/get/a"), "200 one");
}

TEST_F(RedissTest, RedisTriggerSubscribesOverTls) {
  if (auto why = missing_guest("components/redis-trigger"); !why.empty()) GTEST_SKIP() << why;
  // The trigger subscribes over TLS, and the guest logs each message over TLS too (outbound).
  std::string manifest =
      fmt::format(R"(spin_manifest_version = 2
[application]
name = "rediss-trigger"
[[trigger.redis]]
address = "{0}"
channel = "messages"
component = "worker"
[component.worker]
source = "{1}"
allowed_outbound_hosts = ["rediss://{2}"]
environment = {{ REDIS_ADDRESS = "{0}", LOG_KEY = "log" }}
)",
                  redis_->tls_url(), guest("components/redis-trigger"), tls_host());
  auto server = up(manifest, client_tls("worker", ca_->ca_cert()), "Active Channels on [^\n]*\n");
  ASSERT_TRUE(server);
  EXPECT_TRUE(server->wait_for_output("Active Channels on " + tls_host() + ":"))
      << server->output();
  EXPECT_EQ(redis_->command({"PUBLISH", "messages", "hello over tls"}), "1");
  auto until = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < until && redis_->command({"LLEN", "log"}) != "1")
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(redis_->command({"LINDEX", "log", "0"}), "hello over tls") << server->output();
}

TEST_F(RedissTest, RedisTriggerWithoutTrustFailsAtStartup) {
  if (auto why = missing_guest("components/redis-trigger"); !why.empty()) GTEST_SKIP() << why;
  std::string manifest = fmt::format(R"(spin_manifest_version = 2
[application]
name = "rediss-trigger"
[[trigger.redis]]
address = "{0}"
channel = "messages"
component = "worker"
[component.worker]
source = "{1}"
)",
                                     redis_->tls_url(), guest("components/redis-trigger"));
  TempApp app(manifest);
  auto result = run_lepton({"up", "-f", app.manifest().string()}, 30s);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("certificate verify failed"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace lepton::testing
