// One connection to a Redis server, plain TCP (redis://) or TLS (rediss://, OpenSSL), used by
// both the blocking Client and the trigger's Subscriber. hiredis only formats commands
// (redisFormatCommandArgv) and parses replies (redisReader); the I/O is done here on a
// non-blocking socket, so every wait has a deadline and can also watch a wake-up descriptor.
//
// TLS: the server name is sent (SNI, for a host name) and verified against the certificate
// (host name or IP address); what is trusted (and the client certificate) comes from the runtime
// config's [[client_tls]] for (component id, host, port), else the system roots.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "redis/client.h"

struct ssl_st;
struct ssl_ctx_st;
struct redisReader;

namespace lepton::redis {

class Connection {
 public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    // Whose [[client_tls]] rules apply (empty: none match, the system roots are trusted).
    std::string component_id;
    // [outbound_networking] block_networks applies (guest and key-value connections; not the
    // trigger's own subscription).
    bool apply_block_networks = true;
    // When this descriptor becomes readable, every wait ends with the error kStopped.
    int wake_fd = -1;
  };
  static constexpr std::string_view kStopped = "stopped";

  // TCP connect (each resolved address in turn) and, for rediss, the TLS handshake, all before
  // `deadline`. Errors name host:port and the step ("TLS handshake with 127.0.0.1:6380 failed:
  // certificate verify failed (unable to get local issuer certificate)").
  static Result<std::unique_ptr<Connection>> open(const Address& address, const Options& options,
                                                  Clock::time_point deadline);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Writes the commands (pipelined) before `deadline`.
  Status send(const std::vector<std::vector<std::string>>& commands, Clock::time_point deadline);
  // The next reply, reading more bytes as needed before `deadline`.
  Result<Reply> receive(Clock::time_point deadline);
  // "host:port" as given in the address.
  const std::string& where() const { return where_; }

 private:
  Connection() = default;
  Status wait(short events, Clock::time_point deadline, std::string_view step);
  Status write_all(std::string_view data, Clock::time_point deadline);
  Status read_some(Clock::time_point deadline);

  int fd_ = -1;
  int wake_fd_ = -1;
  ssl_ctx_st* ctx_ = nullptr;
  ssl_st* ssl_ = nullptr;
  redisReader* reader_ = nullptr;
  std::string where_;
};

}  // namespace lepton::redis
