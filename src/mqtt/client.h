// A blocking MQTT 3.1.1 publisher over Debian's libmosquitto, shaped after Spin's outbound MQTT
// factor (rumqttc): the address is parsed when the connection is opened, the broker is contacted
// on the first publish, and publish returns once the message is out (QoS 0), acknowledged
// (QoS 1, PUBACK) or completed (QoS 2, PUBCOMP). Used by factors/spin_mqtt.cc.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

struct mosquitto;

namespace lepton::mqtt {

// mqtt://host[:port]?client_id=ID[&clean_session=true|false][&keep_alive_secs=N]... (tcp:// is
// the same; mqtts:// and ssl:// use TLS, port 8883 by default, verifying the broker's chain and
// name against the CAs [[client_tls]] gives the component, the system CAs by default). As in
// rumqttc's MqttOptions::parse_url, client_id is required and unknown query keys are errors.
struct Address {
  std::string host;  // without IPv6 brackets
  uint16_t port = 1883;
  bool tls = false;
  std::string client_id;
  bool clean_session = true;
};
Result<Address> parse_address(std::string_view url);

class Client {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kTimeout{10};

  // `component_id` selects the [[client_tls]] entry (CAs, client certificate) for mqtts://.
  Client(Address address, std::string username, std::string password, uint64_t keep_alive_secs,
         std::string component_id = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The result of publish: ok, or a failure to connect (kConnection) or to publish (kOther).
  struct Failure {
    bool connection = false;
    std::string message;
  };
  // Connects first if needed; waits for the QoS handshake, never past `deadline` (nor kTimeout).
  std::optional<Failure> publish(std::string_view topic, std::string_view payload, int qos,
                                 std::optional<Clock::time_point> deadline);

 private:
  std::optional<Failure> ensure_connected(Clock::time_point until);
  Address address_;
  std::string username_;
  std::string password_;
  int keep_alive_;
  std::string component_id_;
  std::string tls_error_;  // OpenSSL's reason for the last failed handshake, from the log
  struct mosquitto* mosq_ = nullptr;
  bool connected_ = false;
  int connack_ = -1;         // CONNACK return code, -1 until it arrives
  int last_published_ = -1;  // message id of the last completed publish
  bool disconnected_ = false;

  static void on_connect(struct mosquitto*, void* self, int rc);
  static void on_publish(struct mosquitto*, void* self, int mid);
  static void on_disconnect(struct mosquitto*, void* self, int rc);
  static void on_log(struct mosquitto*, void* self, int level, const char* message);
  std::string why(int rc) const;
};

}  // namespace lepton::mqtt
