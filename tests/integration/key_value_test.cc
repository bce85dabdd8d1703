// End-to-end key-value: the C guest `kv` (fermyon:spin/key-value@2.0.0) served by `lepton up`,
// with the stores in SQLite under the state dir or where the runtime config puts them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lepton_process.h"

namespace lepton::testing {
namespace {

std::string kv_guest(const std::string& name = "kv") { return guest("components/" + name); }

std::string missing_reason(const std::string& name = "kv") { return missing_component(name); }

std::string kv_app(const std::string& stores, const std::string& name = "kv") {
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
                     kv_guest(name), stores);
}

// "status body" of a GET, for compact expectations.
std::string call(LeptonServer& server, const std::string& path) {
  auto r = server.get(path);
  if (!r) return "error: " + r.error().message;
  return fmt::format("{} {}", r->status, r->body);
}

std::unique_ptr<LeptonServer> start(const std::vector<std::string>& args) {
  std::string failure;
  auto server = LeptonServer::start(args, &failure);
  EXPECT_TRUE(server) << failure;
  return server;
}

TEST(KeyValue, SetGetDeleteExistsKeysAcrossRequests) {
  if (auto why = missing_reason(); !why.empty()) GTEST_SKIP() << why;
  TempApp app(kv_app(R"("default")"));
  auto server = start({"-f", app.manifest().string()});
  ASSERT_TRUE(server);
  EXPECT_EQ(call(*server, "/default/get/a"), "404 none");
  EXPECT_EQ(call(*server, "/default/exists/a"), "200 false");
  EXPECT_EQ(call(*server, "/default/set/a/one"), "200 ok");
  EXPECT_EQ(call(*server, "/default/set/b/two/with/slashes"), "200 ok");
  EXPECT_EQ(call(*server, "/default/get/a"), "200 one");
  EXPECT_EQ(call(*server, "/default/get/b"), "200 two/with/slashes");
  EXPECT_EQ(call(*server, "/default/exists/a"), "200 true");
  EXPECT_EQ(call(*server, "/default/keys"), "200 a\nb\n");
  EXPECT_EQ(call(*server, "/default/set/a/uno"), "200 ok");
  EXPECT_EQ(call(*server, "/default/get/a"), "200 uno");
  EXPECT_EQ(call(*server, "/default/delete/a"), "200 ok");
  EXPECT_EQ(call(*server, "/default/delete/a"), "200 ok");  // deleting nothing is fine
  EXPECT_EQ(call(*server, "/default/get/a"), "404 none");
  EXPECT_EQ(call(*server, "/default/keys"), "200 b\n");
  // The default store is Spin's file in the state dir.
  EXPECT_TRUE(std::filesystem::exists(app.dir() / ".spin" / "sqlite_key_value.db"));
}

TEST(KeyValue, ValuesSurviveARestartAndAKill9) {
  if (auto why = missing_reason(); !why.empty()) GTEST_SKIP() << why;
  TempApp app(kv_app(R"("default")"));
  {
    auto server = start({"-f", app.manifest().string()});
    ASSERT_TRUE(server);
    EXPECT_EQ(call(*server, "/default/set/kept/1"), "200 ok");
    server->stop();
  }
  {
    auto server = start({"-f", app.manifest().string()});
    ASSERT_TRUE(server);
    EXPECT_EQ(call(*server, "/default/get/kept"), "200 1");
    // Acknowledged, then killed at once: no chance to flush or close anything.
    EXPECT_EQ(call(*server, "/default/set/killed/2"), "200 ok");
    server->stop(SIGKILL);
  }
  auto server = start({"-f", app.manifest().string()});
  ASSERT_TRUE(server);
  EXPECT_EQ(call(*server, "/default/get/kept"), "200 1");
  EXPECT_EQ(call(*server, "/default/get/killed"), "200 2");
}

TEST(KeyValue, UngrantedLabelsAreAccessDenied) {
  if (auto why = missing_reason(); !why.empty()) GTEST_SKIP() << why;
  // `other` is configured but not granted; `default` is not granted either.
  TempApp app(kv_app(R"("extra")"));
  app.write("rc.toml",
            "[key_value_store.extra]\ntype = \"spin\"\n[key_value_store.other]\ntype = \"spin\"\n");
  auto server = start(
      {"-f", app.manifest().string(), "--runtime-config-file", (app.dir() / "rc.toml").string()});
  ASSERT_TRUE(server);
  EXPECT_EQ(call(*server, "/default/get/a"), "500 open: access-denied");
  EXPECT_EQ(call(*server, "/other/get/a"), "500 open: access-denied");
  EXPECT_EQ(call(*server, "/nowhere/get/a"), "500 open: access-denied");
  EXPECT_EQ(call(*server, "/extra/set/a/b"), "200 ok");
  EXPECT_EQ(call(*server, "/extra/get/a"), "200 b");
}

TEST(KeyValue, GrantedButUndefinedLabelFailsAtStartup) {
  if (auto why = missing_reason(); !why.empty()) GTEST_SKIP() << why;
  TempApp app(kv_app(R"("default", "missing")"));
  std::string failure;
  auto server = LeptonServer::start({"-f", app.manifest().string()}, &failure);
  EXPECT_FALSE(server);
  EXPECT_NE(failure.find("key-value store 'missing', which is not defined"), std::string::npos)
      << failure;
}

TEST(KeyValue, KeyValueFlagSeedsTheDefaultStore) {
  if (auto why = missing_reason(); !why.empty()) GTEST_SKIP() << why;
  TempApp app(kv_app(R"("default")"));
  auto server = start(
      {"-f", app.manifest().string(), "--key-value", "greeting=hello=world", "--key-value", "n=1"});
  ASSERT_TRUE(server);
  EXPECT_EQ(call(*server, "/default/get/greeting"), "200 hello=world");
  EXPECT_EQ(call(*server, "/default/keys"), "200 greeting\nn\n");
}

TEST(KeyValue, RuntimeConfigStoreAtACustomPathAndStateDir) {
  if (auto why = missing_reason(); !why.empty()) GTEST_SKIP() << why;
  TempApp app(kv_app(R"("default", "custom")"));
  // Relative paths are relative to the runtime config file.
  app.write("conf/rc.toml",
            "state_dir = \"state\"\nlog_dir = \"logs-here\"\n[key_value_store.custom]\ntype = "
            "\"spin\"\npath = "
            "\"data/custom.db\"\n");
  std::vector<std::string> args = {"-f", app.manifest().string(), "--runtime-config-file",
                                   (app.dir() / "conf" / "rc.toml").string()};
  {
    auto server = start(args);
    ASSERT_TRUE(server);
    std::string logs = (app.dir() / "conf" / "logs-here").string();
    EXPECT_NE(server->output().find("Logging component stdio to \"" + logs + "/\""),
              std::string::npos)
        << server->output();
    EXPECT_EQ(call(*server, "/custom/set/k/v"), "200 ok");
    EXPECT_EQ(call(*server, "/default/set/k/d"), "200 ok");
    EXPECT_EQ(call(*server, "/custom/get/k"), "200 v");  // separate stores
    server->stop();
  }
  EXPECT_TRUE(std::filesystem::exists(app.dir() / "conf" / "data" / "custom.db"));
  EXPECT_TRUE(std::filesystem::exists(app.dir() / "conf" / "state" / "sqlite_key_value.db"));
  EXPECT_FALSE(std::filesystem::exists(app.dir() / ".spin" / "sqlite_key_value.db"));
  auto server = start(args);
  ASSERT_TRUE(server);
  EXPECT_EQ(call(*server, "/custom/get/k"), "200 v");
  EXPECT_EQ(call(*server, "/default/get/k"), "200 d");
}

TEST(KeyValue, AppsWithoutKeyValueCreateNoStateFiles) {
  if (auto why = missing_reason(); !why.empty()) GTEST_SKIP() << why;
  TempApp app(kv_app(""));
  auto server = start({"-f", app.manifest().string()});
  ASSERT_TRUE(server);
  EXPECT_EQ(call(*server, "/default/get/a"), "500 open: access-denied");
  EXPECT_FALSE(std::filesystem::exists(app.dir() / ".spin" / "sqlite_key_value.db"));
}

TEST(KeyValue, BadRuntimeConfigIsReportedWithItsLocation) {
  TempApp app(kv_app(R"("default")"));
  app.write("rc.toml", "[key_value_store.x]\ntype = \"spin\"\npaht = \"x.db\"\n");
  std::string failure;
  auto server = LeptonServer::start(
      {"-f", app.manifest().string(), "--runtime-config-file", (app.dir() / "rc.toml").string()},
      &failure);
  EXPECT_FALSE(server);
  EXPECT_NE(failure.find("rc.toml:3:1: unknown field 'paht' in key_value_store.x"),
            std::string::npos)
      << failure;
}

// wasi:keyvalue (the draft Spin 3 serves) over the same stores: store, atomics (increment, a
// cas that loses a race and is handed back having read the key again, as Spin's, one that wins),
// batch; buckets obey the grants.
TEST(KeyValue, WasiKeyValueStoreAtomicsAndBatch) {
  if (auto why = missing_reason("kv-wasi"); !why.empty()) GTEST_SKIP() << why;
  TempApp app(kv_app(R"("default")", "kv-wasi"));
  auto server = start({"-f", app.manifest().string(), "--key-value", "x=seeded"});
  ASSERT_TRUE(server);
  EXPECT_EQ(call(*server, "/default"),
            "200 get a: 1\nincr n: 5\nincr n: 3\nget n: 3\nmany x=10\nmany y=20\nmany "
            "z=none\ncas current: 1\nswap 3: cas-failed\ncas current: 2\nswap 3: ok\nget a: "
            "3\nget x: none\nkey a\nkey n\ncursor: none\n");
  EXPECT_EQ(call(*server, "/other"), "500 open: access-denied");
}

}  // namespace
}  // namespace lepton::testing
