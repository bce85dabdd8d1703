// [[client_tls]] for client libraries that take file names instead of an SSL_CTX (libpq,
// libmariadb, libmosquitto): one PEM file holding every certificate authority a connection
// trusts, so that "system roots plus ca_roots_file" fits into a single CA-file option.
#pragma once

#include <filesystem>

#include "common/result.h"
#include "outbound/client_tls.h"

namespace lepton::outbound {

// OpenSSL's default CA file and directory ($SSL_CERT_FILE / $SSL_CERT_DIR when set, else the
// compiled-in paths, on Debian /usr/lib/ssl/cert.pem and /usr/lib/ssl/certs).
std::filesystem::path system_ca_file();
std::filesystem::path system_ca_dir();

// The CA file for `config`: the system file when only the system roots are trusted,
// ca_roots_file when only it is, and otherwise an in-memory file (memfd, named by a
// /proc/self/fd path valid for this process) holding both, built once per ca_roots_file. Fails
// when nothing is trusted (ca_use_webpki_roots = false without ca_roots_file) or a file cannot be
// read.
Result<std::filesystem::path> ca_file_for(const TlsClientConfig& config);

}  // namespace lepton::outbound
