// A throwaway certificate authority for TLS tests: a CA and one server certificate for
// 127.0.0.1 / localhost, made with the openssl CLI in a temporary directory that is removed at
// destruction. Servers under test (redis-server --tls-port, PostgreSQL ssl=on, MariaDB, mosquitto)
// use server_cert()/server_key(); clients trust ca_cert() (e.g. SSL_CERT_FILE or [[client_tls]]).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

namespace lepton::testing {

class TestCa {
 public:
  // Creates the CA and server certificate; nullptr with *why set when openssl fails.
  static std::unique_ptr<TestCa> create(std::string* why);
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path ca_cert() const { return dir_ / "ca.crt"; }
  std::filesystem::path server_cert() const { return dir_ / "server.crt"; }
  // Private key of the server certificate, mode 0600 (PostgreSQL refuses looser modes).
  std::filesystem::path server_key() const { return dir_ / "server.key"; }
  // A second, unrelated CA: a client trusting only this one must reject the server.
  std::filesystem::path other_ca_cert() const { return dir_ / "other-ca.crt"; }

 private:
  TestCa() = default;
  std::filesystem::path dir_;
};

}  // namespace lepton::testing
