// End-to-end TLS for outbound PostgreSQL, MySQL and MQTT: `lepton up` serving the C guests
// (components/postgres.c, mysql.c, mqtt.c) against real servers with TLS on, their certificate
// issued by a throwaway CA (support/test_ca.h). Trusting that CA through the runtime config's
// [[client_tls]] makes the connection work (and it is encrypted, checked from the server's
// side); without it the connection fails naming the certificate problem, and lepton keeps
// serving.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lepton_process.h"
#include "support/mariadb_server.h"
#include "support/mosquitto_server.h"
#include "support/postgres_server.h"
#include "support/test_ca.h"

namespace lepton::testing {
namespace {

std::string encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out.push_back(static_cast<char>(c));
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::string manifest(const std::string& guest_name, const std::string& hosts) {
  return fmt::format(R"(spin_manifest_version = 2
[application]
name = "tls"
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = "{}"
allowed_outbound_hosts = [{}]
)",
                     guest("components/" + guest_name), hosts);
}

// A [[client_tls]] entry trusting `ca` for `component` connecting to 127.0.0.1:<port>.
std::string client_tls(const std::string& component, uint16_t port,
                       const std::filesystem::path& ca) {
  return fmt::format(
      "[[client_tls]]\ncomponent_ids = [\"{}\"]\nhosts = [\"127.0.0.1:{}\"]\nca_roots_file = "
      "\"{}\"\n",
      component, port, ca.string());
}

// The CA and one lepton serving one guest with an optional runtime config.
class TlsE2E : public ::testing::Test {
 protected:
  static void make_ca() {
    std::string why;
    ca_ = TestCa::create(&why).release();
    if (ca_ == nullptr) ca_why_ = why;
  }
  static void drop_ca() {
    delete ca_;
    ca_ = nullptr;
  }

  void serve(const std::string& guest_name, const std::string& hosts,
             const std::string& runtime_config = "") {
    app_ = std::make_unique<TempApp>(manifest(guest_name, hosts));
    std::vector<std::string> args{"-f", app_->manifest().string()};
    if (!runtime_config.empty()) {
      app_->write("rc.toml", runtime_config);
      args.insert(args.end(), {"--runtime-config-file", (app_->dir() / "rc.toml").string()});
    }
    std::string failure;
    lepton_ = LeptonServer::start(args, &failure);
    ASSERT_TRUE(lepton_) << failure;
  }
  std::string get(const std::string& path) {
    auto r = lepton_->get(path);
    if (!r) return "request failed: " + r.error().message;
    return std::to_string(r->status) + " " + r->body;
  }
  // lepton still answers after a failed TLS connection.
  void expect_still_serving() { EXPECT_EQ(get("/.well-known/spin/health"), "200 OK"); }

  static inline TestCa* ca_ = nullptr;
  static inline std::string ca_why_;
  std::unique_ptr<TempApp> app_;
  std::unique_ptr<LeptonServer> lepton_;
};

// ---- PostgreSQL ------------------------------------------------------------------------------

class PostgresTlsE2E : public TlsE2E {
 protected:
  static void SetUpTestSuite() {
    make_ca();
    if (ca_ == nullptr) return;
    server_ = PostgresServer::start_tls(ca_->server_cert(), ca_->server_key(), &why_).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    drop_ca();
  }
  void SetUp() override {
    if (auto why = missing_component("postgres"); !why.empty()) GTEST_SKIP() << why;
    ASSERT_NE(ca_, nullptr) << ca_why_;
    if (server_ == nullptr && !PostgresServer::bin_dir()) GTEST_SKIP() << why_;
    ASSERT_NE(server_, nullptr) << why_;
  }
  std::string granted() {
    return "\"postgres://127.0.0.1:" + std::to_string(server_->port()) + "\"";
  }
  std::string call(const std::string& op, const std::string& sql, const std::string& query = "",
                   const std::vector<std::string>& params = {}) {
    std::string path =
        "/?op=" + op + "&addr=" + encode(server_->url() + query) + "&sql=" + encode(sql);
    for (const auto& p : params) path += "&p=" + encode(p);
    return get(path);
  }
  static constexpr const char* kIsSsl = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
  static inline PostgresServer* server_ = nullptr;
  static inline std::string why_;
};

TEST_F(PostgresTlsE2E, TrustedCaGivesAnEncryptedSessionAndDataRoundTrips) {
  serve("postgres", granted(), client_tls("c", server_->port(), ca_->ca_cert()));
  // sslmode=require, and Spin's default (prefer): both verified TLS with this server.
  for (const std::string query : {"?sslmode=require", ""}) {
    EXPECT_EQ(call("query", kIsSsl, query), "200 ssl:boolean\ntrue") << query;
  }
  ASSERT_EQ(call("execute", "CREATE TABLE IF NOT EXISTS tls_notes (id int, body text)",
                 "?sslmode=require"),
            "200 0");
  EXPECT_EQ(call("execute", "INSERT INTO tls_notes VALUES ($1, $2)", "?sslmode=require",
                 {"i32:7", "str:secret é"}),
            "200 1");
  EXPECT_EQ(call("query", "SELECT id, body FROM tls_notes", "?sslmode=require"),
            "200 id:int32,body:str\n7|secret é");
  EXPECT_EQ(server_->query("SELECT body FROM tls_notes WHERE id = 7"), "secret é");
  // sslmode=disable is plain text, even with TLS on offer.
  EXPECT_EQ(call("query", kIsSsl, "?sslmode=disable"), "200 ssl:boolean\nfalse");
}

TEST_F(PostgresTlsE2E, UntrustedCertificateFailsAndNothingFallsBackToPlainText) {
  // No [[client_tls]]: the system roots don't know the test CA.
  serve("postgres", granted());
  for (const std::string query : {"?sslmode=require", ""}) {
    std::string r = call("query", kIsSsl, query);
    EXPECT_TRUE(r.starts_with("502 error: connection-failed: ")) << r;
    EXPECT_NE(r.find("certificate verify failed"), std::string::npos) << r;
  }
  expect_still_serving();
  // An entry trusting another CA, and one for another component, don't help either.
  serve("postgres", granted(), client_tls("c", server_->port(), ca_->other_ca_cert()));
  std::string r = call("query", kIsSsl, "?sslmode=require");
  EXPECT_NE(r.find("certificate verify failed"), std::string::npos) << r;
  serve("postgres", granted(), client_tls("other", server_->port(), ca_->ca_cert()));
  r = call("query", kIsSsl, "?sslmode=require");
  EXPECT_NE(r.find("certificate verify failed"), std::string::npos) << r;
  expect_still_serving();
  EXPECT_EQ(call("query", kIsSsl, "?sslmode=disable"), "200 ssl:boolean\nfalse");
}

// The certificate is for 127.0.0.1 and localhost: a trusted chain presented for another name
// fails the name check (Spin's driver checks it too). libpq connects to hostaddr and verifies
// against host.
TEST_F(PostgresTlsE2E, TheServerNameIsVerified) {
  std::string port = std::to_string(server_->port());
  serve("postgres", "\"postgres://wrong.example:" + port + "\", " + granted(),
        "[[client_tls]]\ncomponent_ids = [\"c\"]\nhosts = [\"wrong.example\"]\nca_roots_file = \"" +
            ca_->ca_cert().string() + "\"\n");
  std::string addr = "host=wrong.example hostaddr=127.0.0.1 port=" + port +
                     " user=postgres dbname=postgres sslmode=require";
  std::string r = get("/?op=query&addr=" + encode(addr) + "&sql=" + encode("SELECT 1"));
  EXPECT_TRUE(r.starts_with("502 error: connection-failed: ")) << r;
  EXPECT_NE(r.find("does not match host name \"wrong.example\""), std::string::npos) << r;
  // The same with the right name works.
  addr = "host=localhost hostaddr=127.0.0.1 port=" + port +
         " user=postgres dbname=postgres sslmode=require";
  serve("postgres", "\"postgres://localhost:" + port + "\", " + granted(),
        "[[client_tls]]\ncomponent_ids = [\"c\"]\nhosts = [\"localhost\"]\nca_roots_file = \"" +
            ca_->ca_cert().string() + "\"\n");
  EXPECT_EQ(get("/?op=query&addr=" + encode(addr) + "&sql=" + encode(kIsSsl)),
            "200 ssl:boolean\ntrue");
}

// ---- MySQL (MariaDB) -------------------------------------------------------------------------

class MysqlTlsE2E : public TlsE2E {
 protected:
  static void SetUpTestSuite() {
    make_ca();
    if (ca_ == nullptr || !missing_component("mysql").empty()) return;
    server_ = MariadbServer::start({ca_->server_cert(), ca_->server_key(), ca_->ca_cert()}, &why_)
                  .release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    drop_ca();
  }
  void SetUp() override {
    if (auto why = missing_component("mysql"); !why.empty()) GTEST_SKIP() << why;
    ASSERT_NE(ca_, nullptr) << ca_why_;
    if (server_ == nullptr && why_.find("not found") != std::string::npos) GTEST_SKIP() << why_;
    ASSERT_NE(server_, nullptr) << why_;
  }
  std::string granted() { return "\"mysql://127.0.0.1:" + std::to_string(server_->port()) + "\""; }
  std::string call(const std::string& op, const std::string& sql, const std::string& query,
                   const std::vector<std::string>& params = {}) {
    std::string p;
    for (const auto& x : params) p += (p.empty() ? "" : ",") + encode(x);
    return get("/?op=" + op + "&addr=" + encode(server_->url() + query) + "&sql=" + encode(sql) +
               "&params=" + p);
  }
  static inline MariadbServer* server_ = nullptr;
  static inline std::string why_;
};

TEST_F(MysqlTlsE2E, TrustedCaGivesAnEncryptedSessionAndDataRoundTrips) {
  serve("mysql", granted(), client_tls("c", server_->port(), ca_->ca_cert()));
  std::string r = call("query", "SHOW SESSION STATUS LIKE 'Ssl_cipher'", "?ssl-mode=required");
  ASSERT_TRUE(r.starts_with("200 Variable_name:11,Value:11\nstr:Ssl_cipher|str:")) << r;
  EXPECT_GT(r.size(), std::string("200 Variable_name:11,Value:11\nstr:Ssl_cipher|str:\n").size())
      << "no cipher: " << r;
  ASSERT_EQ(server_->run("CREATE TABLE tls_notes (id INT, body VARCHAR(40))"), "");
  EXPECT_EQ(call("execute", "INSERT INTO tls_notes VALUES (?, ?)", "?ssl-mode=required",
                 {"s32:7", "str:secret é"}),
            "200 ok");
  EXPECT_EQ(
      call("query", "SELECT body FROM tls_notes WHERE id = ?", "?ssl-mode=required", {"s32:7"}),
      "200 body:11\nstr:secret é\n");
  EXPECT_EQ(server_->scalar("SELECT body FROM tls_notes"), "secret é");
}

TEST_F(MysqlTlsE2E, UntrustedCertificateFailsNamingIt) {
  serve("mysql", granted());
  std::string r = call("query", "SELECT 1", "?ssl-mode=required");
  EXPECT_TRUE(r.starts_with("502 error: connection-failed: ")) << r;
  EXPECT_NE(r.find("certificate"), std::string::npos) << r;
  expect_still_serving();
  serve("mysql", granted(), client_tls("c", server_->port(), ca_->other_ca_cert()));
  r = call("query", "SELECT 1", "?ssl-mode=required");
  EXPECT_TRUE(r.starts_with("502 error: connection-failed: ")) << r;
  EXPECT_NE(r.find("certificate"), std::string::npos) << r;
  expect_still_serving();
  // Without ssl-mode it is plain text, as in Spin.
  EXPECT_EQ(call("query", "SHOW SESSION STATUS LIKE 'Ssl_cipher'", ""),
            "200 Variable_name:11,Value:11\nstr:Ssl_cipher|str:\n");
}

// ---- MQTT (mosquitto) ------------------------------------------------------------------------

class MqttTlsE2E : public TlsE2E {
 protected:
  static void SetUpTestSuite() { make_ca(); }
  static void TearDownTestSuite() { drop_ca(); }
  void SetUp() override {
    if (auto why = missing_component("mqtt"); !why.empty()) GTEST_SKIP() << why;
    ASSERT_NE(ca_, nullptr) << ca_why_;
    std::string why;
    broker_ = MosquittoServer::start({ca_->server_cert(), ca_->server_key(), ca_->ca_cert()}, &why);
    if (!broker_ && why.find("not found") != std::string::npos) GTEST_SKIP() << why;
    ASSERT_TRUE(broker_) << why;
  }
  std::string tls_address(const std::string& id) {
    return "mqtts://127.0.0.1:" + std::to_string(broker_->tls_port()) + "?client_id=" + id;
  }
  std::string granted() {
    return "\"mqtts://127.0.0.1:" + std::to_string(broker_->tls_port()) + "\"";
  }
  std::string publish(const std::string& addr, const std::string& rest) {
    return get("/?addr=" + encode(addr) + "&" + rest);
  }
  std::unique_ptr<MosquittoServer> broker_;
};

TEST_F(MqttTlsE2E, TrustedCaPublishesOverTls) {
  serve("mqtt", granted(), client_tls("c", broker_->tls_port(), ca_->ca_cert()));
  std::string why;
  auto sub = MqttSubscriber::start(broker_->port(), "tls/#", &why);
  ASSERT_TRUE(sub) << why;
  EXPECT_EQ(publish(tls_address("tls-ok"), "topic=tls/a&payload=over%20tls&qos=1"),
            "200 published 1");
  EXPECT_EQ(publish(tls_address("tls-ok"), "topic=tls/b&payload=two&qos=2"), "200 published 1");
  auto got = sub->wait(2, std::chrono::seconds(10));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].topic, "tls/a");
  EXPECT_EQ(got[0].payload, "over tls");
  EXPECT_EQ(got[1].payload, "two");
}

TEST_F(MqttTlsE2E, UntrustedCertificateFailsNamingItAndNothingIsPublished) {
  std::string why;
  auto sub = MqttSubscriber::start(broker_->port(), "tls/#", &why);
  ASSERT_TRUE(sub) << why;
  serve("mqtt", granted());
  std::string r = publish(tls_address("tls-bad"), "topic=tls/x&payload=x&qos=1");
  EXPECT_TRUE(r.starts_with("502 error: connection-failed: ")) << r;
  EXPECT_NE(r.find("certificate verify failed"), std::string::npos) << r;
  expect_still_serving();
  serve("mqtt", granted(), client_tls("c", broker_->tls_port(), ca_->other_ca_cert()));
  r = publish(tls_address("tls-bad"), "topic=tls/x&payload=x&qos=1");
  EXPECT_TRUE(r.starts_with("502 error: connection-failed: ")) << r;
  EXPECT_NE(r.find("certificate verify failed"), std::string::npos) << r;
  expect_still_serving();
  EXPECT_TRUE(sub->wait(1, std::chrono::milliseconds(500)).empty());
}

}  // namespace
}  // namespace lepton::testing
