// A throwaway redis-server for tests: started on a free port of 127.0.0.1 in a temporary
// directory (no persistence), ready once it answers PING, stopped and removed at destruction.
// Tests skip only when the redis-server binary is missing (scripts/setup.sh installs it).
#pragma once

#include <hiredis/hiredis.h>
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lepton::testing {

class TestCa;

class RedisServer {
 public:
  // The redis-server binary ($LEPTON_REDIS_SERVER, else found on PATH), or nullopt.
  static std::optional<std::string> binary();
  // Starts a server; nullptr with *why set when it could not (binary missing or no PING).
  static std::unique_ptr<RedisServer> start(std::string* why);
  // As start(), on a given port of 127.0.0.1 (e.g. the port of a server stopped earlier, to
  // restart "the same" Redis).
  static std::unique_ptr<RedisServer> start_on(uint16_t port, std::string* why);
  // As start(), also serving TLS on tls_port() with `ca`'s server certificate (clients are not
  // asked for certificates); the plain port stays open for checks (command(), connect()).
  static std::unique_ptr<RedisServer> start_tls(const TestCa& ca, std::string* why);
  ~RedisServer();
  // Kills the server now (SIGKILL: clients see the connection drop) and waits for it to exit.
  void kill_now();

  uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  uint16_t tls_port() const { return tls_port_; }  // 0 unless started by start_tls
  std::string tls_url() const { return "rediss://127.0.0.1:" + std::to_string(tls_port_); }

  using Context = std::unique_ptr<redisContext, void (*)(redisContext*)>;
  // A direct hiredis connection, for checking what the code under test did.
  Context connect() const;
  // Runs one command on a fresh connection and returns the reply spelled as text: strings and
  // statuses as is, integers in decimal, nil as "(nil)", errors as "ERR ...", arrays as their
  // elements joined by ",", sorted (set order is unspecified).
  std::string command(const std::vector<std::string>& argv) const;

 private:
  RedisServer() = default;
  static std::unique_ptr<RedisServer> launch(uint16_t port, const std::vector<std::string>& extra,
                                             std::string* why);
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  uint16_t tls_port_ = 0;
  std::filesystem::path dir_;
};

// An unused TCP port on 127.0.0.1 (bound and released: nothing listens there afterwards).
uint16_t free_port();

}  // namespace lepton::testing
