// End-to-end outbound MQTT (fermyon:spin/mqtt@2.0.0): `lepton up` serving the C guest
// tests/guests/components/mqtt.c against a real mosquitto (tests/support/mosquitto_server.h);
// a libmosquitto subscriber checks what arrived.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lepton_process.h"
#include "support/mosquitto_server.h"
#include "support/redis_server.h"  // free_port

namespace lepton::testing {
namespace {

std::string mqtt_guest() { return guest("components/mqtt"); }

std::string guest_missing() {
  if (std::filesystem::exists(mqtt_guest())) return "";
  std::ifstream in(std::string(LEPTON_GUEST_DIR) + "/components/mqtt.skip");
  std::stringstream s;
  s << in.rdbuf();
  return s.str().empty() ? "component mqtt was not built" : s.str();
}

std::string encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

class MqttTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = guest_missing(); !why.empty()) GTEST_SKIP() << why;
    std::string why;
    broker_ = MosquittoServer::start(&why);
    if (!broker_ && why.find("not found") != std::string::npos) GTEST_SKIP() << why;
    ASSERT_TRUE(broker_) << why;
  }
  // `runtime_config`: text of a --runtime-config-file, if any.
  void serve(const std::string& hosts, const std::string& runtime_config = "") {
    app_ = std::make_unique<TempApp>(fmt::format(R"(spin_manifest_version = 2
[application]
name = "mqtt"
[[trigger.http]]
route = "/..."
component = "q"
[component.q]
source = "{}"
allowed_outbound_hosts = [{}]
)",
                                                 mqtt_guest(), hosts));
    std::vector<std::string> args{"-f", app_->manifest().string()};
    if (!runtime_config.empty()) {
      app_->write("rc.toml", runtime_config);
      args.insert(args.end(), {"--runtime-config-file", (app_->dir() / "rc.toml").string()});
    }
    std::string failure;
    lepton_ = LeptonServer::start(args, &failure);
    ASSERT_TRUE(lepton_) << failure;
  }
  std::string granted() { return "\"mqtt://127.0.0.1:" + std::to_string(broker_->port()) + "\""; }
  std::string address(const std::string& id = "lepton-e2e") {
    return broker_->url() + "?client_id=" + id;
  }
  std::string publish(const std::string& addr, const std::string& rest) {
    auto r = lepton_->get("/?addr=" + encode(addr) + "&" + rest);
    if (!r) return "request failed: " + r.error().message;
    return std::to_string(r->status) + " " + r->body;
  }

  std::unique_ptr<MosquittoServer> broker_;
  std::unique_ptr<TempApp> app_;
  std::unique_ptr<LeptonServer> lepton_;
};

TEST_F(MqttTest, PublishedMessagesReachASubscriberAtEachQos) {
  serve(granted());
  std::string why;
  auto sub = MqttSubscriber::start(broker_->port(), "e2e/#", &why);
  ASSERT_TRUE(sub) << why;
  EXPECT_EQ(publish(address(), "topic=e2e/zero&payload=hello%20zero&qos=0"), "200 published 1");
  EXPECT_EQ(publish(address(), "topic=e2e/one&payload=one&qos=1"), "200 published 1");
  EXPECT_EQ(publish(address(), "topic=e2e/two&payload=two&qos=2&count=3"), "200 published 3");
  auto got = sub->wait(5, std::chrono::seconds(10));
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].topic, "e2e/zero");
  EXPECT_EQ(got[0].payload, "hello zero");
  EXPECT_EQ(got[1].payload, "one");
  EXPECT_EQ(got[1].qos, 1);
  EXPECT_EQ(got[2].payload, "two-0");
  EXPECT_EQ(got[4].payload, "two-2");
  EXPECT_EQ(got[4].qos, 2);
}

TEST_F(MqttTest, AnAddressNotGrantedIsDeniedAsInSpin) {
  serve("\"mqtt://127.0.0.1:1\"");
  EXPECT_EQ(publish(address(), "topic=t&payload=x&qos=0"),
            "502 error: connection-failed: address " + address() + " is not permitted");
  serve("");
  EXPECT_EQ(publish(address(), "topic=t&payload=x&qos=0"),
            "502 error: connection-failed: address " + address() + " is not permitted");
  // Without a port the address is checked as mqtt's 1883.
  serve(granted());
  EXPECT_EQ(publish("mqtt://127.0.0.1?client_id=x", "topic=t&payload=x&qos=0"),
            "502 error: connection-failed: address mqtt://127.0.0.1?client_id=x is not permitted");
}

// [outbound_networking] block_networks wins over allowed_outbound_hosts.
TEST_F(MqttTest, ABlockedNetworkIsDeniedEvenWhenGranted) {
  serve(granted(), "[outbound_networking]\nblock_networks = [\"127.0.0.0/8\"]\n");
  std::string why;
  auto sub = MqttSubscriber::start(broker_->port(), "blocked/#", &why);
  ASSERT_TRUE(sub) << why;
  std::string r = publish(address(), "topic=blocked/t&payload=x&qos=1");
  EXPECT_TRUE(r.starts_with("502 error: connection-failed: destination IP prohibited")) << r;
  EXPECT_TRUE(sub->wait(1, std::chrono::milliseconds(500)).empty());
}

// TLS where the address asks for it (mqtts://): the broker speaks plain MQTT, so the TLS
// handshake fails and nothing is published.
TEST_F(MqttTest, MqttsInsistsOnTls) {
  std::string port = std::to_string(broker_->port());
  serve("\"mqtts://127.0.0.1:" + port + "\"");
  std::string why;
  auto sub = MqttSubscriber::start(broker_->port(), "tls/#", &why);
  ASSERT_TRUE(sub) << why;
  std::string r =
      publish("mqtts://127.0.0.1:" + port + "?client_id=tls", "topic=tls/t&payload=x&qos=1");
  EXPECT_TRUE(r.starts_with("502 error: connection-failed: ")) << r;
  EXPECT_TRUE(sub->wait(1, std::chrono::milliseconds(500)).empty());
}

TEST_F(MqttTest, BadAddressesAndUnreachableBrokers) {
  serve("\"mqtt://*:*\"");
  EXPECT_EQ(publish(broker_->url(), "topic=t&payload=x&qos=0"), "502 error: invalid-address");
  std::string dead = "mqtt://127.0.0.1:" + std::to_string(free_port()) + "?client_id=d";
  std::string r = publish(dead, "topic=t&payload=x&qos=1");
  EXPECT_TRUE(r.starts_with("502 error: connection-failed: ")) << r;
}

}  // namespace
}  // namespace lepton::testing
