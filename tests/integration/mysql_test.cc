// End-to-end outbound MySQL (fermyon:spin/mysql@2.0.0): `lepton up` serving the C guest
// tests/guests/components/mysql.c against a real MariaDB (tests/support/mariadb_server.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lepton_process.h"
#include "support/mariadb_server.h"
#include "support/redis_server.h"  // free_port

namespace lepton::testing {
namespace {

std::string mysql_guest() { return guest("components/mysql"); }

std::string guest_missing() {
  if (std::filesystem::exists(mysql_guest())) return "";
  std::ifstream in(std::string(LEPTON_GUEST_DIR) + "/components/mysql.skip");
  std::stringstream s;
  s << in.rdbuf();
  return s.str().empty() ? "component mysql was not built" : s.str();
}

std::string app(const std::string& hosts) {
  return fmt::format(R"(spin_manifest_version = 2
[application]
name = "mysql"
[[trigger.http]]
route = "/..."
component = "m"
[component.m]
source = "{}"
allowed_outbound_hosts = [{}]
)",
                     mysql_guest(), hosts);
}

std::string encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

class MysqlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!guest_missing().empty()) return;
    server_ = MariadbServer::start(&why_).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    if (auto why = guest_missing(); !why.empty()) GTEST_SKIP() << why;
    // Skip only where MariaDB isn't installed; a server that is there but won't start fails.
    if (server_ == nullptr && why_.find("not found") != std::string::npos) GTEST_SKIP() << why_;
    ASSERT_NE(server_, nullptr) << why_;
  }

  // `runtime_config`: text of a --runtime-config-file, if any.
  void serve(const std::string& hosts, const std::string& runtime_config = "") {
    app_ = std::make_unique<TempApp>(app(hosts));
    std::vector<std::string> args{"-f", app_->manifest().string()};
    if (!runtime_config.empty()) {
      app_->write("rc.toml", runtime_config);
      args.insert(args.end(), {"--runtime-config-file", (app_->dir() / "rc.toml").string()});
    }
    std::string failure;
    lepton_ = LeptonServer::start(args, &failure);
    ASSERT_TRUE(lepton_) << failure;
  }
  std::string granted() { return "\"mysql://127.0.0.1:" + std::to_string(server_->port()) + "\""; }

  // GET /?op=..&addr=..&sql=..&params=..; returns "<status> <body>".
  std::string call(const std::string& op, const std::string& sql,
                   const std::vector<std::string>& params = {}, std::string addr = "") {
    if (addr.empty()) addr = server_->url();
    std::string p;
    for (const auto& x : params) p += (p.empty() ? "" : ",") + encode(x);
    auto r = lepton_->get("/?op=" + op + "&addr=" + encode(addr) + "&sql=" + encode(sql) +
                          "&params=" + p);
    if (!r) return "request failed: " + r.error().message;
    return std::to_string(r->status) + " " + r->body;
  }

  static MariadbServer* server_;
  static std::string why_;
  std::unique_ptr<TempApp> app_;
  std::unique_ptr<LeptonServer> lepton_;
};
MariadbServer* MysqlTest::server_ = nullptr;
std::string MysqlTest::why_;

TEST_F(MysqlTest, ExecuteAndQueryWithParametersOfEveryType) {
  serve(granted());
  ASSERT_EQ(server_->run("CREATE TABLE e2e (i TINYINT, u SMALLINT UNSIGNED, n INT, b BIGINT, "
                         "ub BIGINT UNSIGNED, f FLOAT, d DOUBLE, s VARCHAR(20), bin VARBINARY(8), "
                         "z INT, t TINYINT)"),
            "");
  EXPECT_EQ(call("execute", "INSERT INTO e2e VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                 {"s8:-5", "u16:65535", "s32:-70000", "s64:-9000000000", "u64:18446744073709551615",
                  "f32:0.5", "f64:2.75", "str:héllo, world", "bin:AB", "null", "bool:true"}),
            "200 ok");
  EXPECT_EQ(server_->scalar("SELECT s FROM e2e"), "héllo, world");
  EXPECT_EQ(call("query", "SELECT * FROM e2e WHERE n = ?", {"s32:-70000"}),
            "200 i:1,u:6,n:3,b:4,ub:8,f:9,d:10,s:11,bin:12,z:3,t:1\n"
            "s8:-5|u16:65535|s32:-70000|s64:-9000000000|u64:18446744073709551615|f32:0.5|"
            "f64:2.75|str:héllo, world|bin:4142|null|s8:1\n");
  EXPECT_EQ(call("query", "SELECT * FROM e2e WHERE n = ?", {"s32:1"}),
            "200 i:1,u:6,n:3,b:4,ub:8,f:9,d:10,s:11,bin:12,z:3,t:1\n");
}

TEST_F(MysqlTest, StatementErrorsAreQueryFailed) {
  serve(granted());
  std::string r = call("query", "SELECT * FROM missing_table");
  EXPECT_TRUE(r.starts_with("502 error: query-failed: ")) << r;
  EXPECT_NE(r.find("missing_table"), std::string::npos) << r;
  r = call("query", "SELECT CAST('2024-01-02' AS DATE)");
  EXPECT_TRUE(r.starts_with("502 error: value-conversion-failed: ")) << r;
}

TEST_F(MysqlTest, AnAddressNotGrantedIsDeniedAsInSpin) {
  serve("\"mysql://127.0.0.1:1\"");
  std::string addr = server_->url();
  EXPECT_EQ(call("query", "SELECT 1", {}, addr),
            "502 error: connection-failed: address " + addr + " is not permitted");
  serve("");
  EXPECT_EQ(call("query", "SELECT 1", {}, addr),
            "502 error: connection-failed: address " + addr + " is not permitted");
}

// [outbound_networking] block_networks wins over allowed_outbound_hosts.
TEST_F(MysqlTest, ABlockedNetworkIsDeniedEvenWhenGranted) {
  serve(granted(), "[outbound_networking]\nblock_networks = [\"127.0.0.0/8\"]\n");
  std::string r = call("execute", "CREATE TABLE blocked (x INT)");
  EXPECT_TRUE(r.starts_with("502 error: connection-failed: destination IP prohibited")) << r;
  EXPECT_EQ(server_->scalar("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = "
                            "'blocked'"),
            "0");
}

// TLS where the address asks for it (`ssl-mode`): the fixture has no TLS, so the connection
// fails instead of falling back to plain text; without ssl-mode it is plain text.
TEST_F(MysqlTest, SslModeRequiredInsistsOnTls) {
  serve(granted());
  EXPECT_EQ(call("query", "SHOW SESSION STATUS LIKE 'Ssl_cipher'"),
            "200 Variable_name:11,Value:11\nstr:Ssl_cipher|str:\n");
  std::string r = call("query", "SELECT 1", {}, server_->url() + "?ssl-mode=required");
  EXPECT_TRUE(r.starts_with("502 error: connection-failed: ")) << r;
  EXPECT_NE(r.find("SSL"), std::string::npos) << r;
}

TEST_F(MysqlTest, DefaultPortAndUnreachableServer) {
  // mysql://127.0.0.1 (no port) is checked as port 3306: granting the fixture's port does not
  // grant it.
  serve(granted());
  EXPECT_EQ(call("query", "SELECT 1", {}, "mysql://root@127.0.0.1/test"),
            "502 error: connection-failed: address mysql://root@127.0.0.1/test is not permitted");
  uint16_t port = free_port();
  serve("\"mysql://127.0.0.1:" + std::to_string(port) + "\"");
  std::string r =
      call("query", "SELECT 1", {}, "mysql://root@127.0.0.1:" + std::to_string(port) + "/test");
  EXPECT_TRUE(r.starts_with("502 error: connection-failed: ")) << r;
}

TEST_F(MysqlTest, ConnectionsAreReusedWithinARequestNotShared) {
  serve(granted());
  std::string r = call("ids", "");
  ASSERT_TRUE(r.starts_with("200 ")) << r;
  long long a = 0, b = 0, c = 0;
  ASSERT_EQ(std::sscanf(r.c_str() + 4, "%lld,%lld,%lld", &a, &b, &c), 3) << r;
  EXPECT_NE(a, b);                     // two live handles: two sessions
  EXPECT_TRUE(c == a || c == b) << r;  // a later open reuses a dropped handle's session
}

}  // namespace
}  // namespace lepton::testing
