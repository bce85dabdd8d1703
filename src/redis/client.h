// A blocking Redis client: one connection (TCP for redis://, TLS for rediss://, see
// connection.h), commands as argument vectors, replies as plain values. Used by the outbound
// Redis host interfaces (factors/spin_redis.cc, spin1_redis.cc) and the key-value backend.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace lepton::redis {

// redis://[user:password@]host[:port][/db] (rediss:// for TLS). Port 6379 when absent.
struct Address {
  std::string scheme;  // "redis" or "rediss"
  std::string host;    // without IPv6 brackets
  uint16_t port = 6379;
  std::string user;
  std::string password;
  int db = 0;
};
Result<Address> parse_address(std::string_view url);

struct Reply {
  enum class Kind { kNil, kStatus, kInteger, kString, kArray, kError };
  Kind kind = Kind::kNil;
  int64_t integer = 0;
  std::string text;  // status, string (binary-safe) or error message
  std::vector<Reply> elements;
};

class Connection;

class Client {
 public:
  using Clock = std::chrono::steady_clock;
  // How long connecting, and each command, may take at most.
  static constexpr std::chrono::seconds kConnectTimeout{5};
  static constexpr std::chrono::seconds kCommandTimeout{30};

  // Connects (and AUTH / SELECT when the address asks), never waiting past `deadline`. For
  // rediss://, `component_id` selects the [[client_tls]] rules that apply (empty: none, the
  // system roots are trusted).
  static Result<std::unique_ptr<Client>> connect(const Address& address,
                                                 std::optional<Clock::time_point> deadline,
                                                 std::string_view component_id = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one command and reads its reply. A Redis error reply is a Reply of kind kError; an
  // Error means the connection failed (it is then unusable).
  Result<Reply> command(const std::vector<std::string>& argv);

 private:
  Client(std::unique_ptr<Connection> connection, std::optional<Clock::time_point> deadline);
  std::unique_ptr<Connection> connection_;
  bool broken_ = false;
  std::optional<Clock::time_point> deadline_;
};

}  // namespace lepton::redis
