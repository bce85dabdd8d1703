// End-to-end key-value on the `redis` backend (runtime config `[key_value_store.<label>] type =
// "redis"`) with the guests of key_value_test.cc and the Spin 1 probe, checking what lands in
// a real redis-server; and the durability of the default SQLite store across `kill -9`.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lepton_process.h"
#include "support/redis_server.h"

namespace lepton::testing {
namespace {

std::string app_manifest(const std::string& source, const std::string& stores) {
  return fmt::format(R"(spin_manifest_version = 2
[application]
name = "kv"
[[trigger.http]]
route = "/..."
component = "kv"
[component.kv]
source = "{}"
key_value_stores = [{}]
)",
                     source, stores);
}

std::string call(LeptonServer& server, const std::string& path) {
  auto r = server.get(path);
  if (!r) return "error: " + r.error().message;
  return fmt::format("{} {}", r->status, r->body);
}

class KeyValueRedis : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!RedisServer::binary()) GTEST_SKIP() << "redis-server is not installed";
    redis_ = RedisServer::start(&why);
    ASSERT_TRUE(redis_) << why;
  }
  // `lepton up` on the guest with the runtime config `rc`; extra flags after.
  std::unique_ptr<LeptonServer> up(const std::string& source, const std::string& stores,
                                   const std::string& rc, std::vector<std::string> extra = {}) {
    app_ = std::make_unique<TempApp>(app_manifest(source, stores));
    app_->write("rc.toml", rc);
    std::vector<std::string> args = {"-f", app_->manifest().string(), "--runtime-config-file",
                                     (app_->dir() / "rc.toml").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string failure;
    auto server = LeptonServer::start(args, &failure);
    EXPECT_TRUE(server) << failure;
    return server;
  }
  std::string redis_store(const std::string& label) const {
    return fmt::format("[key_value_store.{}]\ntype = \"redis\"\nurl = \"{}\"\n", label,
                       redis_->url());
  }
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<TempApp> app_;
};

TEST_F(KeyValueRedis, SpinKeyValueOperationsLandInRedis) {
  if (auto why = missing_guest("components/kv"); !why.empty()) GTEST_SKIP() << why;
  // `default` redefined as Redis; `cache` a second label on the same server; `local` SQLite.
  auto server = up(
      guest("components/kv"), R"("default", "cache", "local")",
      redis_store("default") + redis_store("cache") + "[key_value_store.local]\ntype = \"spin\"\n");
  ASSERT_TRUE(server);
  EXPECT_EQ(call(*server, "/default/get/a"), "404 none");
  EXPECT_EQ(call(*server, "/default/exists/a"), "200 false");
  EXPECT_EQ(call(*server, "/default/set/a/one"), "200 ok");
  EXPECT_EQ(redis_->command({"GET", "a"}), "one");
  EXPECT_EQ(call(*server, "/default/set/b/two/with/slashes"), "200 ok");
  EXPECT_EQ(redis_->command({"GET", "b"}), "two/with/slashes");
  EXPECT_EQ(call(*server, "/default/get/a"), "200 one");
  EXPECT_EQ(call(*server, "/default/exists/a"), "200 true");
  EXPECT_EQ(call(*server, "/default/keys"), "200 a\nb\n");
  EXPECT_EQ(redis_->command({"SET", "c", "from-outside"}), "OK");
  EXPECT_EQ(call(*server, "/default/get/c"), "200 from-outside");
  EXPECT_EQ(call(*server, "/default/delete/a"), "200 ok");
  EXPECT_EQ(redis_->command({"EXISTS", "a"}), "0");
  EXPECT_EQ(call(*server, "/default/get/a"), "404 none");
  // As Spin: labels on one Redis share its keyspace.
  EXPECT_EQ(call(*server, "/cache/get/b"), "200 two/with/slashes");
  EXPECT_EQ(call(*server, "/cache/keys"), "200 b\nc\n");
  // The SQLite label (no path: in memory) is separate; `default` on Redis makes no file.
  EXPECT_EQ(call(*server, "/local/get/b"), "404 none");
  EXPECT_EQ(call(*server, "/local/set/only-local/1"), "200 ok");
  EXPECT_EQ(call(*server, "/local/get/only-local"), "200 1");
  EXPECT_EQ(redis_->command({"EXISTS", "only-local"}), "0");
  EXPECT_FALSE(std::filesystem::exists(app_->dir() / ".spin" / "sqlite_key_value.db"));
}

TEST_F(KeyValueRedis, WasiKeyValueStoreAtomicsAndBatchOnRedis) {
  if (auto why = missing_guest("components/kv-wasi"); !why.empty()) GTEST_SKIP() << why;
  auto server = up(guest("components/kv-wasi"), R"("default")", redis_store("default"),
                   {"--key-value", "x=seeded"});
  ASSERT_TRUE(server);
  EXPECT_EQ(redis_->command({"GET", "x"}), "seeded");  // --key-value seeds the Redis store
  // The same transcript as on SQLite (key_value_test.cc): a lost cas race hands back a cas that
  // has read the key again.
  EXPECT_EQ(call(*server, "/default"),
            "200 get a: 1\nincr n: 5\nincr n: 3\nget n: 3\nmany x=10\nmany y=20\nmany "
            "z=none\ncas current: 1\nswap 3: cas-failed\ncas current: 2\nswap 3: ok\nget a: "
            "3\nget x: none\nkey a\nkey n\ncursor: none\n");
  EXPECT_EQ(redis_->command({"GET", "a"}), "3");
  EXPECT_EQ(redis_->command({"GET", "n"}), "3");
  EXPECT_EQ(redis_->command({"EXISTS", "x"}), "0");
  EXPECT_EQ(redis_->command({"EXISTS", "y"}), "0");
}

TEST_F(KeyValueRedis, Spin1KeyValueOnRedis) {
  if (auto why = missing_guest("spin1_probe"); !why.empty()) GTEST_SKIP() << why;
  std::string manifest = fmt::format(R"(spin_manifest_version = 2
[application]
name = "probe-app"
[variables]
secret_name = {{ required = true }}
[[trigger.http]]
route = "/..."
component = "probe"
[component.probe]
source = "{}"
variables = {{ message = "{{{{ secret_name }}}}" }}
key_value_stores = ["default"]
)",
                                     guest("spin1_probe"));
  app_ = std::make_unique<TempApp>(manifest);
  app_->write("rc.toml", redis_store("default"));
  std::string failure;
  auto server =
      LeptonServer::start({"-f", app_->manifest().string(), "--runtime-config-file",
                           (app_->dir() / "rc.toml").string(), "--variable", "secret_name=x"},
                          &failure);
  ASSERT_TRUE(server) << failure;
  EXPECT_EQ(call(*server, "/kv?default/get/a"), "500 error 4");  // no-such-key
  EXPECT_EQ(call(*server, "/kv?default/set/a/v1"), "200 ok");
  EXPECT_EQ(redis_->command({"GET", "a"}), "v1");
  EXPECT_EQ(call(*server, "/kv?default/get/a"), "200 v1");
  EXPECT_EQ(call(*server, "/kv?default/exists/a"), "200 true");
  EXPECT_EQ(call(*server, "/kv?default/keys"), "200 a\n");
  EXPECT_EQ(call(*server, "/kv?default/delete/a"), "200 ok");
  EXPECT_EQ(redis_->command({"EXISTS", "a"}), "0");
}

// Redis not there: lepton starts (as Spin, it connects when first used), each operation answers
// the guest `other` with the cause, and the server keeps serving.
TEST_F(KeyValueRedis, UnreachableRedisIsAnOtherErrorForTheGuest) {
  if (auto why = missing_guest("components/kv"); !why.empty()) GTEST_SKIP() << why;
  std::string url = "redis://127.0.0.1:" + std::to_string(free_port());
  auto server = up(
      guest("components/kv"), R"("default", "up")",
      "[key_value_store.default]\ntype = \"redis\"\nurl = \"" + url + "\"\n" + redis_store("up"));
  ASSERT_TRUE(server);
  for (int i = 0; i < 3; ++i) {
    std::string got = call(*server, "/default/set/a/b");
    EXPECT_TRUE(got.starts_with("500 set: other: Redis at 127.0.0.1:")) << got;
    EXPECT_NE(got.find("onnection refused"), std::string::npos) << got;
  }
  EXPECT_TRUE(call(*server, "/default/get/a").starts_with("500 get: other: Redis at")) << "";
  EXPECT_EQ(call(*server, "/up/set/a/b"), "200 ok");  // the reachable store is unaffected
  EXPECT_EQ(redis_->command({"GET", "a"}), "b");
}

TEST_F(KeyValueRedis, BadRedisUrlFailsAtStartup) {
  if (auto why = missing_guest("components/kv"); !why.empty()) GTEST_SKIP() << why;
  app_ = std::make_unique<TempApp>(app_manifest(guest("components/kv"), R"("default")"));
  app_->write("rc.toml", "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://h:0\"\n");
  std::string failure;
  auto server = LeptonServer::start({"-f", app_->manifest().string(), "--runtime-config-file",
                                     (app_->dir() / "rc.toml").string()},
                                    &failure);
  EXPECT_FALSE(server);
  EXPECT_NE(failure.find("key-value store 'default': bad Redis URL: bad port"), std::string::npos)
      << failure;
}

// Every write that got its 200 is on disk: many sets, SIGKILL right after the last response,
// then a new server on the same state dir reads every one back.
TEST(KeyValueDurability, AcknowledgedWritesSurviveKill9) {
  if (auto why = missing_guest("components/kv"); !why.empty()) GTEST_SKIP() << why;
  TempApp app(app_manifest(guest("components/kv"), R"("default")"));
  std::string state = (app.dir() / "state").string();
  std::vector<std::string> args = {"-f", app.manifest().string(), "--state-dir", state};
  constexpr int kKeys = 300;
  {
    std::string failure;
    auto server = LeptonServer::start(args, &failure);
    ASSERT_TRUE(server) << failure;
    for (int i = 0; i < kKeys; ++i)
      ASSERT_EQ(call(*server, fmt::format("/default/set/key{}/value-{}", i, i * 7)), "200 ok");
    server->stop(SIGKILL);
  }
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(state) / "sqlite_key_value.db"));
  std::string failure;
  auto server = LeptonServer::start(args, &failure);
  ASSERT_TRUE(server) << failure;
  int missing = 0;
  for (int i = 0; i < kKeys; ++i) {
    std::string got = call(*server, fmt::format("/default/get/key{}", i));
    if (got != fmt::format("200 value-{}", i * 7)) {
      ++missing;
      ADD_FAILURE() << "key" << i << ": " << got;
    }
  }
  EXPECT_EQ(missing, 0);
}

}  // namespace
}  // namespace lepton::testing
