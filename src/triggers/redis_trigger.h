// The Redis trigger ([[trigger.redis]]): one subscription per Redis server address, carrying every
// channel any trigger names on it. Each message runs a fresh instance of every component
// subscribed to its channel (in manifest order); a failure is logged against the component and
// the channel, and the subscription goes on. A lost connection is re-established with backoff
// (redis/subscriber.h).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "executors/redis_executor.h"
#include "redis/subscriber.h"
#include "triggers/app_runtime.h"

namespace lepton::triggers {

class RedisTrigger {
 public:
  // Resolves each trigger's address (its own or the application's default) and channel, both
  // templates over application variables, groups them by address, and picks each component's
  // executor. Errors name the trigger and what is wrong.
  static Result<std::unique_ptr<RedisTrigger>> create(const AppRuntime& runtime);
  ~RedisTrigger();

  // Connects and subscribes every address (the error names the first that fails), prints Spin's
  // "Active Channels on <addr>:" listing, and starts delivering messages.
  Status start();
  // Stops every subscription (after the message being handled), waiting at most `grace` for
  // handlers still running; false when one still is (see redis::Subscriber::stop).
  bool stop(std::chrono::milliseconds grace = std::chrono::milliseconds::max());

 private:
  struct Subscription {
    std::string url;  // as resolved
    redis::Address address;
    std::string component_id;  // the first component subscribed here: whose [[client_tls]]
    std::map<std::string, std::vector<const executors::RedisExecutor*>> channels;
    std::unique_ptr<redis::Subscriber> subscriber;
  };

  RedisTrigger() = default;
  void deliver(const Subscription& s, const std::string& channel, const std::string& payload) const;

  std::map<std::string, std::unique_ptr<executors::RedisExecutor>> executors_;  // by component
  std::map<std::string, std::unique_ptr<Subscription>> subscriptions_;          // by url
};

}  // namespace lepton::triggers
