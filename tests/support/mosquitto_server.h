// A throwaway mosquitto broker for tests: a generated config (listener on a free port of
// 127.0.0.1, allow_anonymous true, no persistence) in a temporary directory, ready once a client
// connects; stopped and removed at destruction. Subscriber collects what a guest published.
// Tests skip only when the mosquitto binary is missing (scripts/setup.sh installs it).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct mosquitto;
struct mosquitto_message;

namespace lepton::testing {

class MosquittoServer {
 public:
  static std::unique_ptr<MosquittoServer> start(std::string* why);
  // The PEM files of a TLS listener (cafile / certfile / keyfile).
  struct Tls {
    std::filesystem::path cert;
    std::filesystem::path key;
    std::filesystem::path ca;
  };
  // As start, plus a second listener speaking MQTT over TLS on tls_port().
  static std::unique_ptr<MosquittoServer> start(const Tls& tls, std::string* why);
  ~MosquittoServer();

  uint16_t port() const { return port_; }
  uint16_t tls_port() const { return tls_port_; }
  // mqtt://127.0.0.1:<port>
  std::string url() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }

 private:
  MosquittoServer() = default;
  static std::unique_ptr<MosquittoServer> start_with(const Tls* tls, std::string* why);
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  uint16_t tls_port_ = 0;
  std::filesystem::path dir_;
};

// A libmosquitto subscriber (its own network thread) recording the messages of one topic filter.
class MqttSubscriber {
 public:
  struct Message {
    std::string topic;
    std::string payload;
    int qos = 0;
  };
  // Connects and subscribes; nullptr with *why set on failure.
  static std::unique_ptr<MqttSubscriber> start(uint16_t port, const std::string& topic,
                                               std::string* why);
  ~MqttSubscriber();
  // Waits until `count` messages have arrived (or the timeout passes); returns all so far.
  std::vector<Message> wait(size_t count, std::chrono::milliseconds timeout);

 private:
  MqttSubscriber() = default;
  static void on_message(struct mosquitto*, void* self, const struct mosquitto_message* m);
  static void on_subscribe(struct mosquitto*, void* self, int, int, const int*);
  struct mosquitto* mosq_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Message> messages_;
  bool subscribed_ = false;
};

}  // namespace lepton::testing
