// rediss:// against a real TLS redis-server (support/redis_server.h start_tls) whose certificate
// is issued by a throwaway CA (support/test_ca.h); what the client trusts comes from
// [[client_tls]] rules (outbound::set_client_tls), keyed by component id and host:port.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "outbound/client_tls.h"
#include "redis/client.h"
#include "redis/subscriber.h"
#include "support/redis_server.h"
#include "support/test_ca.h"

namespace lepton::redis {
namespace {

using lepton::testing::RedisServer;
using lepton::testing::TestCa;

class RedisTlsTest : public ::testing::Test {
 protected:
  // One CA and one TLS server for the suite (making them takes seconds on a busy machine).
  static void SetUpTestSuite() {
    if (!RedisServer::binary()) return;
    ca_ = TestCa::create(&why_).release();
    if (ca_ != nullptr) server_ = RedisServer::start_tls(*ca_, &why_).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete ca_;
    server_ = nullptr;
    ca_ = nullptr;
  }

  void SetUp() override {
    if (!RedisServer::binary()) GTEST_SKIP() << "redis-server not installed";
    ASSERT_TRUE(ca_ != nullptr && server_ != nullptr) << why_;
    std::string host = "127.0.0.1:" + std::to_string(server_->tls_port());
    outbound::ClientTlsRule good;
    good.component_ids = {"trusting"};
    good.hosts = {host};
    good.ca_roots_file = ca_->ca_cert();
    outbound::ClientTlsRule bad;
    bad.component_ids = {"other-ca"};
    bad.hosts = {host};
    bad.ca_roots_file = ca_->other_ca_cert();
    auto policy = outbound::ClientTlsPolicy::build({good, bad});
    ASSERT_TRUE(policy.ok()) << policy.error().message;
    outbound::set_client_tls(std::move(*policy));
  }
  void TearDown() override { outbound::set_client_tls({}); }

  Address tls_address() {
    auto a = parse_address(server_->tls_url());
    EXPECT_TRUE(a.ok());
    return a.ok() ? *a : Address{};
  }

  static inline std::string why_;
  static inline TestCa* ca_ = nullptr;
  static inline RedisServer* server_ = nullptr;
};

TEST_F(RedisTlsTest, SetAndGetOverTlsTrustingTheCa) {
  auto c = Client::connect(tls_address(), std::nullopt, "trusting");
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto set = (*c)->command({"SET", "tls-key", std::string("bin\0ary", 7)});
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->kind, Reply::Kind::kStatus);
  EXPECT_EQ(set->text, "OK");
  auto get = (*c)->command({"GET", "tls-key"});
  ASSERT_TRUE(get.ok()) << get.error().message;
  EXPECT_EQ(get->kind, Reply::Kind::kString);
  EXPECT_EQ(get->text, std::string("bin\0ary", 7));
  // The value really is on the server (read back over its plain port).
  EXPECT_EQ(server_->command({"STRLEN", "tls-key"}), "7");
  // A large value crosses several TLS records both ways.
  std::string big(300000, 'x');
  ASSERT_TRUE((*c)->command({"SET", "big", big}).ok());
  auto back = (*c)->command({"GET", "big"});
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->text, big);
}

TEST_F(RedisTlsTest, UntrustedCertificateFailsWithACertificateError) {
  auto c = Client::connect(tls_address(), std::nullopt, "other-ca");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("certificate verify failed"), std::string::npos)
      << c.error().message;
  EXPECT_NE(c.error().message.find(std::to_string(server_->tls_port())), std::string::npos)
      << c.error().message;
}

TEST_F(RedisTlsTest, NoRuleMeansSystemRootsWhichDoNotTrustTheTestCa) {
  auto c = Client::connect(tls_address(), std::nullopt, "someone-else");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("certificate verify failed"), std::string::npos)
      << c.error().message;
}

TEST_F(RedisTlsTest, TlsToAPlainPortFailsTheHandshake) {
  auto a = tls_address();
  a.port = server_->port();
  auto c =
      Client::connect(a, std::chrono::steady_clock::now() + std::chrono::seconds(5), "trusting");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("TLS handshake"), std::string::npos) << c.error().message;
}

TEST_F(RedisTlsTest, PlainRedisStillWorks) {
  auto a = parse_address(server_->url());
  ASSERT_TRUE(a.ok());
  auto c = Client::connect(*a, std::nullopt);
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto r = (*c)->command({"INCR", "n"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->integer, 1);
}

TEST_F(RedisTlsTest, SubscriberReceivesOverTls) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> got;
  Subscriber::Options options;
  options.component_id = "trusting";
  Subscriber sub(
      tls_address(), {"news"},
      [&](const std::string& channel, const std::string& payload) {
        std::lock_guard lock(mu);
        got.push_back(channel + ":" + payload);
        cv.notify_all();
      },
      options);
  auto connected = sub.connect();
  ASSERT_TRUE(connected.ok()) << connected.error().message;
  sub.start();
  EXPECT_EQ(server_->command({"PUBLISH", "news", "over tls"}), "1");
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return !got.empty(); }));
  EXPECT_EQ(got.front(), "news:over tls");
  lock.unlock();
  EXPECT_TRUE(sub.stop(std::chrono::seconds(5)));
}

TEST_F(RedisTlsTest, SubscriberWithTheWrongCaFailsToConnect) {
  Subscriber::Options options;
  options.component_id = "other-ca";
  Subscriber sub(tls_address(), {"news"}, [](const std::string&, const std::string&) {}, options);
  auto connected = sub.connect();
  ASSERT_FALSE(connected.ok());
  EXPECT_NE(connected.error().message.find("certificate verify failed"), std::string::npos)
      << connected.error().message;
}

}  // namespace
}  // namespace lepton::redis
