// A Redis pub/sub subscriber for the Redis trigger: one connection to one server, subscribed to a
// set of channels, delivering each message to a callback on its own thread. When the connection
// is lost it reconnects with exponential backoff and subscribes again. Every wait (connect, read,
// backoff) also watches a wake-up descriptor, so stop() returns promptly (after the message being
// handled, if any).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "redis/client.h"

namespace lepton::redis {

class Subscriber {
 public:
  // Called on the subscriber's thread, one message at a time.
  using Handler = std::function<void(const std::string& channel, const std::string& payload)>;

  struct Options {
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds initial_backoff{100};  // doubled after each failed attempt
    std::chrono::milliseconds max_backoff{5000};
    // rediss://: whose [[client_tls]] rules apply (empty: the system roots are trusted).
    std::string component_id = {};
  };

  Subscriber(Address address, std::vector<std::string> channels, Handler handler, Options options);
  Subscriber(Address address, std::vector<std::string> channels, Handler handler)
      : Subscriber(std::move(address), std::move(channels), std::move(handler), Options{}) {}
  ~Subscriber();  // stop()
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // "host:port", as Spin names a server in its output.
  std::string display() const;

  // Connects and subscribes once, synchronously (the error says why it could not); then start()
  // serves that connection on a thread.
  Status connect();
  void start();
  // Wakes the thread and waits up to `grace` for it to finish (it finishes the message being
  // handled first). Returns false when it is still running, e.g. a guest that never returns:
  // the caller should then exit the process rather than destroy the subscriber (which waits).
  bool stop(std::chrono::milliseconds grace = std::chrono::milliseconds::max());

 private:
  struct Connection;
  enum class Wait { kReady, kTimeout, kStopped };

  Result<std::unique_ptr<Connection>> open();
  Wait wait(std::chrono::steady_clock::time_point deadline) const;
  void run();
  // Reads until the connection fails (returns why) or stop() is called (returns "").
  std::string serve(Connection& c);
  bool sleep(std::chrono::milliseconds d) const;  // false when stopped meanwhile

  Address address_;
  std::vector<std::string> channels_;
  Handler handler_;
  Options options_;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable finished_cv_;
  bool finished_ = false;
  std::unique_ptr<Connection> connection_;  // the one connect() made, handed to the thread
  std::thread thread_;
};

}  // namespace lepton::redis
