#include "outbound/client_tls.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>

namespace lepton::outbound {

namespace {

ClientTlsPolicy g_policy;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

// "host" or "host:port" (IPv6 in brackets: "[::1]:443"); the port, when given, in 1..65535.
Status check_host(const std::string& host) {
  if (host.empty()) return fail("empty host");
  std::string_view h = host;
  std::string_view port;
  if (h.front() == '[') {
    size_t close = h.find(']');
    if (close == std::string_view::npos) return fail("'{}': unclosed '['", host);
    if (close + 1 < h.size()) {
      if (h[close + 1] != ':') return fail("'{}': expected ':' after ']'", host);
      port = h.substr(close + 2);
    }
  } else if (size_t colon = h.rfind(':'); colon != std::string_view::npos) {
    port = h.substr(colon + 1);
    if (h.substr(0, colon).find(':') != std::string_view::npos)
      return fail("'{}': write IPv6 addresses in brackets", host);
  }
  if (host.find('/') != std::string::npos || host.find("://") != std::string::npos)
    return fail("'{}' is not a host or host:port (no scheme or path)", host);
  if (!port.empty() || (h.back() == ':')) {
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoi(std::string(port)) == 0 || std::stoi(std::string(port)) > 65535)
      return fail("'{}': port must be a number 1-65535", host);
  }
  return {};
}

Status check_pem(const std::filesystem::path& path, std::string_view field, bool key) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "r"), std::fclose);
  if (!f) return fail("{} '{}' cannot be read", field, path.string());
  if (key) {
    EVP_PKEY* pkey = PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr);
    if (pkey == nullptr) return fail("{} '{}' holds no PEM private key", field, path.string());
    EVP_PKEY_free(pkey);
  } else {
    X509* cert = PEM_read_X509(f.get(), nullptr, nullptr, nullptr);
    if (cert == nullptr) return fail("{} '{}' holds no PEM certificate", field, path.string());
    X509_free(cert);
  }
  ERR_clear_error();
  return {};
}

bool host_matches(const std::string& pattern, std::string_view host, uint16_t port) {
  std::string with_port = (host.find(':') != std::string_view::npos && host.front() != '[')
                              ? fmt::format("[{}]:{}", host, port)
                              : fmt::format("{}:{}", host, port);
  if (iequals(pattern, with_port)) return true;
  std::string_view bare = pattern;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']')
    bare = bare.substr(1, bare.size() - 2);
  return iequals(bare, host) || iequals(pattern, host);
}

}  // namespace

Result<ClientTlsPolicy> ClientTlsPolicy::build(std::vector<ClientTlsRule> rules) {
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& rule = rules[i];
    std::string what = fmt::format("client_tls[{}]", i);
    if (rule.component_ids.empty()) return fail("{}: component_ids is empty", what);
    if (rule.hosts.empty()) return fail("{}: hosts is empty", what);
    for (const auto& host : rule.hosts)
      if (auto st = check_host(host); !st) return fail("{}: hosts: {}", what, st.error().message);
    if (rule.ca_roots_file)
      LEPTON_CHECK(check_pem(*rule.ca_roots_file, what + ": ca_roots_file", false));
    if (rule.cert_chain_file.has_value() != rule.private_key_file.has_value())
      return fail("{}: cert_chain_file and private_key_file must be given together", what);
    if (rule.cert_chain_file)
      LEPTON_CHECK(check_pem(*rule.cert_chain_file, what + ": cert_chain_file", false));
    if (rule.private_key_file)
      LEPTON_CHECK(check_pem(*rule.private_key_file, what + ": private_key_file", true));
  }
  ClientTlsPolicy policy;
  policy.rules_ = std::move(rules);
  return policy;
}

TlsClientConfig ClientTlsPolicy::for_connection(std::string_view component_id,
                                                std::string_view host, uint16_t port) const {
  for (const auto& rule : rules_) {
    bool component = std::find(rule.component_ids.begin(), rule.component_ids.end(),
                               component_id) != rule.component_ids.end();
    if (!component) continue;
    bool matched = std::any_of(rule.hosts.begin(), rule.hosts.end(),
                               [&](const std::string& p) { return host_matches(p, host, port); });
    if (!matched) continue;
    TlsClientConfig config;
    config.use_system_roots = rule.ca_use_webpki_roots.value_or(!rule.ca_roots_file.has_value());
    config.ca_roots_file = rule.ca_roots_file;
    config.cert_chain_file = rule.cert_chain_file;
    config.private_key_file = rule.private_key_file;
    return config;
  }
  return {};
}

void set_client_tls(ClientTlsPolicy policy) { g_policy = std::move(policy); }
const ClientTlsPolicy& client_tls() { return g_policy; }
TlsClientConfig tls_for(std::string_view component_id, std::string_view host, uint16_t port) {
  return g_policy.for_connection(component_id, host, port);
}

Status configure_ssl_ctx(SSL_CTX* ctx, const TlsClientConfig& config) {
  if (config.use_system_roots && SSL_CTX_set_default_verify_paths(ctx) != 1)
    return fail("cannot load the system's trusted certificates: {}", openssl_error());
  if (config.ca_roots_file &&
      SSL_CTX_load_verify_locations(ctx, config.ca_roots_file->c_str(), nullptr) != 1)
    return fail("cannot load ca_roots_file '{}': {}", config.ca_roots_file->string(),
                openssl_error());
  if (config.cert_chain_file &&
      SSL_CTX_use_certificate_chain_file(ctx, config.cert_chain_file->c_str()) != 1)
    return fail("cannot load cert_chain_file '{}': {}", config.cert_chain_file->string(),
                openssl_error());
  if (config.private_key_file &&
      SSL_CTX_use_PrivateKey_file(ctx, config.private_key_file->c_str(), SSL_FILETYPE_PEM) != 1)
    return fail("cannot load private_key_file '{}': {}", config.private_key_file->string(),
                openssl_error());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  return {};
}

}  // namespace lepton::outbound
