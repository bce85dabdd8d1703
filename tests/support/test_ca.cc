#include "support/test_ca.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace lepton::testing {

namespace {

// Runs a shell command quietly (output into the CA dir's log); true on exit 0.
bool run(const std::filesystem::path& dir, const std::string& command) {
  std::string full = "cd '" + dir.string() + "' && " + command + " >>openssl.log 2>&1";
  return std::system(full.c_str()) == 0;
}

}  // namespace

std::unique_ptr<TestCa> TestCa::create(std::string* why) {
  auto ca = std::unique_ptr<TestCa>(new TestCa());
  char tmpl[] = "/tmp/lepton-ca-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    *why = "mkdtemp failed";
    return nullptr;
  }
  ca->dir_ = tmpl;
  {
    std::ofstream ext(ca->dir_ / "server.ext");
    ext << "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
           "basicConstraints=CA:FALSE\n"
           "keyUsage=digitalSignature,keyEncipherment\n"
           "extendedKeyUsage=serverAuth\n";
  }
  const char* steps[] = {
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2"
      " -subj '/CN=lepton test CA'",
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.crt -days 2"
      " -subj '/CN=lepton unrelated CA'",
      "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr"
      " -subj '/CN=127.0.0.1'",
      "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial"
      " -out server.crt -days 2 -extfile server.ext",
  };
  for (const char* step : steps) {
    if (!run(ca->dir_, step)) {
      *why = std::string("openssl failed: ") + step +
             " (log: " + (ca->dir_ / "openssl.log").string() + ")";
      return nullptr;
    }
  }
  chmod(ca->server_key().c_str(), 0600);
  return ca;
}

TestCa::~TestCa() {
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

}  // namespace lepton::testing
