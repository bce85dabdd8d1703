// MQTT TLS at the client level: Client::publish to an mqtts:// listener of mosquitto serving a
// TestCa certificate, the trust taken from [[client_tls]] (outbound::set_client_tls).
#include <gtest/gtest.h>

#include "mqtt/client.h"
#include "outbound/client_tls.h"
#include "support/mosquitto_server.h"
#include "support/test_ca.h"

namespace lepton::mqtt {
namespace {

using testing::MosquittoServer;

class MqttTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    ca_ = testing::TestCa::create(&why);
    ASSERT_TRUE(ca_) << why;
    server_ = MosquittoServer::start({ca_->server_cert(), ca_->server_key(), ca_->ca_cert()}, &why);
    if (!server_ && why.find("not found") != std::string::npos) GTEST_SKIP() << why;
    ASSERT_TRUE(server_) << why;
    outbound::ClientTlsRule rule;
    rule.component_ids = {"trusting"};
    rule.hosts = {"127.0.0.1:" + std::to_string(server_->tls_port())};
    rule.ca_roots_file = ca_->ca_cert();
    auto policy = outbound::ClientTlsPolicy::build({rule});
    ASSERT_TRUE(policy) << policy.error().message;
    outbound::set_client_tls(std::move(*policy));
  }
  void TearDown() override { outbound::set_client_tls({}); }
  Address address(const std::string& id) {
    auto a = parse_address("mqtts://127.0.0.1:" + std::to_string(server_->tls_port()) +
                           "?client_id=" + id);
    EXPECT_TRUE(a);
    return *a;
  }

  std::unique_ptr<testing::TestCa> ca_;
  std::unique_ptr<MosquittoServer> server_;
};

TEST_F(MqttTlsTest, TrustedThroughClientTlsPublishes) {
  std::string why;
  auto sub = testing::MqttSubscriber::start(server_->port(), "tls/#", &why);
  ASSERT_TRUE(sub) << why;
  Client client(address("tls-ok"), "", "", 30, "trusting");
  auto failed = client.publish("tls/t", "hello", 1, std::nullopt);
  EXPECT_FALSE(failed) << failed->message;
  auto got = sub->wait(1, std::chrono::seconds(10));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload, "hello");
}

TEST_F(MqttTlsTest, UntrustedFailsNamingTheCertificate) {
  Client client(address("tls-bad"), "", "", 30, "someone-else");
  auto failed = client.publish("tls/t", "hello", 1, std::nullopt);
  ASSERT_TRUE(failed);
  EXPECT_TRUE(failed->connection);
  EXPECT_NE(failed->message.find("certificate verify failed"), std::string::npos)
      << failed->message;
}

}  // namespace
}  // namespace lepton::mqtt
