#include "outbound/ca_bundle.h"

#include <openssl/x509.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace lepton::outbound {

namespace {

std::filesystem::path from_env_or(const char* env, const char* fallback) {
  const char* v = std::getenv(env);
  return std::filesystem::path(v != nullptr && *v != '\0' ? v : fallback);
}

Result<std::string> slurp(const std::filesystem::path& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read {} '{}'", what, path.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::filesystem::path system_ca_file() {
  return from_env_or(X509_get_default_cert_file_env(), X509_get_default_cert_file());
}

std::filesystem::path system_ca_dir() {
  return from_env_or(X509_get_default_cert_dir_env(), X509_get_default_cert_dir());
}

Result<std::filesystem::path> ca_file_for(const TlsClientConfig& config) {
  if (!config.ca_roots_file) {
    if (!config.use_system_roots)
      return fail(
          "client_tls trusts no certificate authority (no ca_roots_file, system roots off)");
    return system_ca_file();
  }
  if (!config.use_system_roots) return *config.ca_roots_file;

  static std::mutex mu;
  static auto* built = new std::map<std::filesystem::path, std::filesystem::path>();
  std::lock_guard lock(mu);
  if (auto it = built->find(*config.ca_roots_file); it != built->end()) return it->second;
  std::string pem;
  // The system bundle may be missing (minimal images): then only ca_roots_file is trusted.
  if (auto system = slurp(system_ca_file(), "the system CA file")) pem = std::move(*system) + "\n";
  LEPTON_TRY(std::string own, slurp(*config.ca_roots_file, "ca_roots_file"));
  pem += own;
  int fd = memfd_create("lepton-ca-bundle", MFD_CLOEXEC);
  if (fd < 0) return fail("cannot create the CA bundle for '{}'", config.ca_roots_file->string());
  for (size_t done = 0; done < pem.size();) {
    ssize_t n = write(fd, pem.data() + done, pem.size() - done);
    if (n <= 0) {
      close(fd);
      return fail("cannot write the CA bundle for '{}'", config.ca_roots_file->string());
    }
    done += static_cast<size_t>(n);
  }
  // Kept open for the life of the process: the path below names it.
  std::filesystem::path path = "/proc/self/fd/" + std::to_string(fd);
  built->emplace(*config.ca_roots_file, path);
  return path;
}

}  // namespace lepton::outbound
