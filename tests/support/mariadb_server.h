// A throwaway MariaDB server for tests: `mariadb-install-db` into a temporary directory, then
// mariadbd on a free port of 127.0.0.1 (socket in the same directory, --skip-grant-tables so
// root needs no password), ready once a connection succeeds; stopped and removed at destruction.
// Tests skip only when the binaries are missing (scripts/setup.sh installs mariadb-server).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace lepton::testing {

class MariadbServer {
 public:
  // Starts a server with an empty database `test`; nullptr with *why set when it could not.
  static std::unique_ptr<MariadbServer> start(std::string* why);
  // The PEM files of a TLS server (mariadbd --ssl-cert/--ssl-key/--ssl-ca).
  struct Tls {
    std::filesystem::path cert;
    std::filesystem::path key;
    std::filesystem::path ca;
  };
  // As start, with TLS offered (plain text still accepted).
  static std::unique_ptr<MariadbServer> start(const Tls& tls, std::string* why);
  ~MariadbServer();

  uint16_t port() const { return port_; }
  // mysql://root@127.0.0.1:<port>/test
  std::string url() const { return "mysql://root@127.0.0.1:" + std::to_string(port_) + "/test"; }
  // Runs statements over a direct libmariadb connection (database `test`); returns "" on success
  // or the error text. For setting up and checking what the code under test did.
  std::string run(const std::string& sql) const;
  // The first column of the first row of a query, as text ("(null)" for NULL, "(error: ...)").
  std::string scalar(const std::string& sql) const;

 private:
  MariadbServer() = default;
  static std::unique_ptr<MariadbServer> start_with(const Tls* tls, std::string* why);
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::filesystem::path dir_;
};

}  // namespace lepton::testing
