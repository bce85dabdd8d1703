// MySQL TLS at the client level: Client::connect with ssl-mode against MariaDB serving a TestCa
// certificate, the trust taken from [[client_tls]] (outbound::set_client_tls) for the component.
#include <gtest/gtest.h>

#include "mysql/client.h"
#include "outbound/client_tls.h"
#include "support/mariadb_server.h"
#include "support/test_ca.h"

namespace lepton::mysql {
namespace {

using testing::MariadbServer;

class MysqlTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = testing::TestCa::create(&why_).release();
    if (ca_ != nullptr)
      server_ = MariadbServer::start({ca_->server_cert(), ca_->server_key(), ca_->ca_cert()}, &why_)
                    .release();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete ca_;
    server_ = nullptr;
    ca_ = nullptr;
  }
  void SetUp() override {
    if (server_ == nullptr && why_.find("not found") != std::string::npos) GTEST_SKIP() << why_;
    ASSERT_NE(server_, nullptr) << why_;
    outbound::ClientTlsRule rule;
    rule.component_ids = {"trusting"};
    rule.hosts = {"127.0.0.1"};
    rule.ca_roots_file = ca_->ca_cert();
    auto policy = outbound::ClientTlsPolicy::build({rule});
    ASSERT_TRUE(policy) << policy.error().message;
    outbound::set_client_tls(std::move(*policy));
  }
  void TearDown() override { outbound::set_client_tls({}); }

  static inline testing::TestCa* ca_ = nullptr;
  static inline MariadbServer* server_ = nullptr;
  static inline std::string why_;
};

TEST_F(MysqlTlsTest, TrustedThroughClientTlsIsEncrypted) {
  auto a = parse_address(server_->url() + "?ssl-mode=required");
  ASSERT_TRUE(a);
  auto c = Client::connect(*a, "trusting");
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<Client>>(c)) << std::get<DbError>(c).message;
  auto r = std::get<std::unique_ptr<Client>>(c)->query("SHOW SESSION STATUS LIKE 'Ssl_cipher'", {});
  ASSERT_TRUE(std::holds_alternative<RowSet>(r)) << std::get<DbError>(r).message;
  ASSERT_EQ(std::get<RowSet>(r).rows.size(), 1u);
  EXPECT_NE(std::get<std::string>(std::get<RowSet>(r).rows[0][1]), "");
}

TEST_F(MysqlTlsTest, UntrustedFailsNamingTheCertificate) {
  auto a = parse_address(server_->url() + "?ssl-mode=required");
  ASSERT_TRUE(a);
  auto c = Client::connect(*a, "someone-else");
  ASSERT_TRUE(std::holds_alternative<DbError>(c));
  EXPECT_EQ(std::get<DbError>(c).kind, ErrorKind::kConnectionFailed);
  EXPECT_NE(std::get<DbError>(c).message.find("certificate"), std::string::npos)
      << std::get<DbError>(c).message;
}

}  // namespace
}  // namespace lepton::mysql
