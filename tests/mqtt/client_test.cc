// The MQTT client (src/mqtt) against a real mosquitto broker (tests/support/mosquitto_server.h):
// address parsing as rumqttc does it, publishes at each QoS arriving at a subscriber, failures.
#include "mqtt/client.h"

#include <gtest/gtest.h>

#include "support/mosquitto_server.h"
#include "support/redis_server.h"  // free_port

namespace lepton::mqtt {
namespace {

using testing::MosquittoServer;
using testing::MqttSubscriber;

TEST(MqttAddress, ParsesHostPortAndOptions) {
  auto a = parse_address("mqtt://broker.example:1999?client_id=spin&clean_session=false");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->host, "broker.example");
  EXPECT_EQ(a->port, 1999);
  EXPECT_EQ(a->client_id, "spin");
  EXPECT_FALSE(a->clean_session);
  EXPECT_FALSE(a->tls);
  auto b = parse_address("mqtts://[::1]?client_id=x");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 8883);
  EXPECT_TRUE(b->tls);
  auto c = parse_address("tcp://h?client_id=x");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->port, 1883);
}

TEST(MqttAddress, RejectsWhatRumqttcRejects) {
  EXPECT_FALSE(parse_address("mqtt://h:1883"));                 // no client_id
  EXPECT_FALSE(parse_address("mqtt://h:1883?client_id="));      // empty client_id
  EXPECT_FALSE(parse_address("mqtt://h?client_id=a&bogus=1"));  // unknown option
  EXPECT_FALSE(parse_address("http://h?client_id=a"));          // scheme
  EXPECT_FALSE(parse_address("h:1883?client_id=a"));            // no scheme
  EXPECT_FALSE(parse_address("mqtt://h:70000?client_id=a"));    // port
  EXPECT_FALSE(parse_address("mqtt://:1883?client_id=a"));      // host
  EXPECT_FALSE(parse_address("mqtt://h?client_id=a&clean_session=maybe"));
}

class MqttClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    server_ = MosquittoServer::start(&why).release();
    if (server_ == nullptr) skip_ = why;
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    if (server_ == nullptr) GTEST_SKIP() << skip_;
  }
  Address address(const std::string& id) {
    auto a = parse_address(server_->url() + "?client_id=" + id);
    EXPECT_TRUE(a);
    return *a;
  }
  static MosquittoServer* server_;
  static std::string skip_;
};
MosquittoServer* MqttClientTest::server_ = nullptr;
std::string MqttClientTest::skip_;

TEST_F(MqttClientTest, PublishesAtEveryQosArriveAtASubscriber) {
  std::string why;
  auto sub = MqttSubscriber::start(server_->port(), "lepton/#", &why);
  ASSERT_TRUE(sub) << why;
  Client client(address("qos-test"), "", "", 30);
  std::string binary("bin\x00\xff", 5);
  EXPECT_FALSE(client.publish("lepton/q0", "zero", 0, std::nullopt));
  EXPECT_FALSE(client.publish("lepton/q1", "one", 1, std::nullopt));
  EXPECT_FALSE(client.publish("lepton/q2", binary, 2, std::nullopt));
  auto got = sub->wait(3, std::chrono::seconds(10));
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].topic, "lepton/q0");
  EXPECT_EQ(got[0].payload, "zero");
  EXPECT_EQ(got[1].topic, "lepton/q1");
  EXPECT_EQ(got[1].payload, "one");
  EXPECT_EQ(got[1].qos, 1);
  EXPECT_EQ(got[2].payload, binary);
  EXPECT_EQ(got[2].qos, 2);
}

TEST_F(MqttClientTest, AnUnreachableBrokerIsAConnectionFailure) {
  auto a = parse_address("mqtt://127.0.0.1:" + std::to_string(testing::free_port()) +
                         "?client_id=nobody");
  ASSERT_TRUE(a);
  Client client(*a, "", "", 5);
  auto f = client.publish("t", "x", 0, std::nullopt);
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->connection);
  EXPECT_NE(f->message.find("could not connect"), std::string::npos) << f->message;
}

TEST_F(MqttClientTest, AnInvalidTopicIsNotAConnectionFailure) {
  Client client(address("bad-topic"), "", "", 30);
  auto f = client.publish("a/+/b", "x", 0, std::nullopt);  // wildcards are not allowed here
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->connection);
}

}  // namespace
}  // namespace lepton::mqtt
