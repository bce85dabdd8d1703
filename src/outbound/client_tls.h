// Which certificates an outbound TLS connection trusts and presents, from the runtime config's
// [[client_tls]] entries (Spin's semantics): an entry applies to the components in
// `component_ids` when they connect to one of its `hosts` ("host" for any port, or "host:port").
// Its `ca_roots_file` (PEM) is trusted; the system roots stay trusted when `ca_use_webpki_roots`
// is true, which is the default only when no `ca_roots_file` is given; `cert_chain_file` +
// `private_key_file` are the client certificate. Without a matching entry a connection trusts
// the system roots (OpenSSL's default paths, which honour SSL_CERT_FILE / SSL_CERT_DIR).
//
// Every TLS client applies it: outbound HTTP (https), Redis (rediss), PostgreSQL (sslmode),
// MySQL (ssl-mode) and MQTT (mqtts). Set once at startup (`lepton up`), read-only afterwards.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace lepton::outbound {

// One [[client_tls]] entry, paths already resolved against the runtime config's directory.
struct ClientTlsRule {
  std::vector<std::string> component_ids;
  std::vector<std::string> hosts;
  std::optional<bool> ca_use_webpki_roots;
  std::optional<std::filesystem::path> ca_roots_file;
  std::optional<std::filesystem::path> cert_chain_file;
  std::optional<std::filesystem::path> private_key_file;
};

// What one connection trusts and presents.
struct TlsClientConfig {
  bool use_system_roots = true;
  std::optional<std::filesystem::path> ca_roots_file;
  std::optional<std::filesystem::path> cert_chain_file;
  std::optional<std::filesystem::path> private_key_file;
};

class ClientTlsPolicy {
 public:
  ClientTlsPolicy() = default;
  // Checks every rule: hosts are "host" or "host:port", files exist and are readable PEM. The
  // error names the entry ("client_tls[1]") and the field.
  static Result<ClientTlsPolicy> build(std::vector<ClientTlsRule> rules);
  // The first rule naming this component and host (case-insensitive) wins.
  TlsClientConfig for_connection(std::string_view component_id, std::string_view host,
                                 uint16_t port) const;

 private:
  std::vector<ClientTlsRule> rules_;
};

// ---- the process-wide policy ------------------------------------------------------------------
void set_client_tls(ClientTlsPolicy policy);
const ClientTlsPolicy& client_tls();
// Shorthand for client_tls().for_connection(...).
TlsClientConfig tls_for(std::string_view component_id, std::string_view host, uint16_t port);

// Applies `config` to an OpenSSL client context: verify paths / CA file, client certificate and
// key. The error names the file that failed to load.
Status configure_ssl_ctx(SSL_CTX* ctx, const TlsClientConfig& config);

}  // namespace lepton::outbound
