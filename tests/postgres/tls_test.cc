// PostgreSQL TLS at the client level: Connection::open against a server with ssl=on and a TestCa
// certificate, the trust taken from [[client_tls]] (outbound::set_client_tls) for the component.
#include <gtest/gtest.h>

#include "outbound/client_tls.h"
#include "postgres/client.h"
#include "support/postgres_server.h"
#include "support/test_ca.h"

namespace lepton::postgres {
namespace {

using component::Val;

class PostgresTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = testing::TestCa::create(&why_).release();
    if (ca_ != nullptr)
      server_ = testing::PostgresServer::start_tls(ca_->server_cert(), ca_->server_key(), &why_)
                    .release();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete ca_;
    server_ = nullptr;
    ca_ = nullptr;
  }
  void SetUp() override {
    if (server_ == nullptr && !testing::PostgresServer::bin_dir()) GTEST_SKIP() << why_;
    ASSERT_NE(server_, nullptr) << why_;
    outbound::ClientTlsRule rule;
    rule.component_ids = {"trusting"};
    rule.hosts = {"127.0.0.1:" + std::to_string(server_->port())};
    rule.ca_roots_file = ca_->ca_cert();
    auto policy = outbound::ClientTlsPolicy::build({rule});
    ASSERT_TRUE(policy) << policy.error().message;
    outbound::set_client_tls(std::move(*policy));
  }
  void TearDown() override { outbound::set_client_tls({}); }

  static std::string is_ssl(Connection& c) {
    auto got = c.query("SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()", {});
    if (auto* f = std::get_if<Failure>(&got)) return "failed: " + f->message;
    return std::get<Val>(got).items()[1].items()[0].items()[0].payload()->as_string();
  }

  static inline testing::TestCa* ca_ = nullptr;
  static inline testing::PostgresServer* server_ = nullptr;
  static inline std::string why_;
};

TEST_F(PostgresTlsTest, TrustedThroughClientTlsIsEncrypted) {
  for (std::string query : {"?sslmode=require", "", "?sslmode=verify-ca"}) {
    auto c = Connection::open(server_->url() + query, "trusting");
    ASSERT_TRUE(std::holds_alternative<std::unique_ptr<Connection>>(c))
        << query << ": " << std::get<Failure>(c).message;
    EXPECT_EQ(is_ssl(*std::get<0>(c)), "true") << query;
  }
  auto plain = Connection::open(server_->url() + "?sslmode=disable", "trusting");
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<Connection>>(plain));
  EXPECT_EQ(is_ssl(*std::get<0>(plain)), "false");
}

TEST_F(PostgresTlsTest, UntrustedFailsWithoutFallingBackToPlainText) {
  for (std::string query : {"?sslmode=require", ""}) {
    auto c = Connection::open(server_->url() + query, "someone-else");
    ASSERT_TRUE(std::holds_alternative<Failure>(c)) << query;
    EXPECT_EQ(std::get<Failure>(c).kind, Failure::Kind::kConnectionFailed);
    EXPECT_NE(std::get<Failure>(c).message.find("certificate verify failed"), std::string::npos)
        << std::get<Failure>(c).message;
  }
}

// Pooled connections are kept apart by TLS settings: an untrusting component never gets a
// connection a trusting one opened.
TEST_F(PostgresTlsTest, ThePoolIsKeyedByTlsSettings) {
  std::string url = server_->url() + "?sslmode=require&application_name=tlspool";
  auto first = Connection::pooled(url, "trusting");
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<Connection>>(first))
      << std::get<Failure>(first).message;
  Connection::release(url, std::move(std::get<0>(first)));
  auto other = Connection::pooled(url, "someone-else");
  ASSERT_TRUE(std::holds_alternative<Failure>(other));
  auto again = Connection::pooled(url, "trusting");
  EXPECT_TRUE(std::holds_alternative<std::unique_ptr<Connection>>(again));
}

}  // namespace
}  // namespace lepton::postgres
