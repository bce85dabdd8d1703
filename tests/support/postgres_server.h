// A throwaway PostgreSQL server for tests: initdb into a temporary directory (trust auth, user
// `postgres`), postgres started on a free port of 127.0.0.1 with its Unix socket inside that
// directory, ready once it accepts a connection, stopped (fast shutdown) and removed at
// destruction. PostgreSQL refuses to run as root: as root, initdb and postgres run as the
// `postgres` system user (the package creates it) over a directory chowned to it.
// Tests skip only when the server binaries are missing (scripts/setup.sh installs them).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace lepton::testing {

class PostgresServer {
 public:
  // The directory holding initdb and postgres ($LEPTON_POSTGRES_BIN, else the newest
  // /usr/lib/postgresql/<version>/bin), or nullopt.
  static std::optional<std::filesystem::path> bin_dir();
  // Starts a server; nullptr with *why set when it could not.
  static std::unique_ptr<PostgresServer> start(std::string* why);
  // Starts a server with TLS on (ssl=on; plain text still accepted): `cert` / `key` (PEM) are
  // copied into the server's directory, owned by the server's user, the key mode 0600.
  static std::unique_ptr<PostgresServer> start_tls(const std::filesystem::path& cert,
                                                   const std::filesystem::path& key,
                                                   std::string* why);
  ~PostgresServer();

  uint16_t port() const { return port_; }
  // postgres://postgres@127.0.0.1:<port>/postgres (append ?sslmode=... as needed).
  std::string url() const;
  // Runs `sql` on a fresh connection (simple protocol, text results): the first column of the
  // first row, "" when there is none, or "ERROR: <message>" on failure.
  std::string query(const std::string& sql) const;
  // How many connections the server has received so far (it runs with log_connections=on).
  size_t connections_received() const;

 private:
  PostgresServer() = default;
  static std::unique_ptr<PostgresServer> start_with(const std::filesystem::path* cert,
                                                    const std::filesystem::path* key,
                                                    std::string* why);
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::filesystem::path dir_;
};

}  // namespace lepton::testing
