#include "outbound/client_tls.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include <cstdio>

#include "support/test_ca.h"

namespace lepton::outbound {
namespace {

using ::testing::HasSubstr;

ClientTlsRule rule(std::vector<std::string> components, std::vector<std::string> hosts) {
  ClientTlsRule r;
  r.component_ids = std::move(components);
  r.hosts = std::move(hosts);
  return r;
}

TEST(ClientTls, NoRuleTrustsSystemRootsOnly) {
  auto policy = ClientTlsPolicy::build({});
  ASSERT_TRUE(policy.ok());
  TlsClientConfig c = policy->for_connection("web", "example.com", 443);
  EXPECT_TRUE(c.use_system_roots);
  EXPECT_FALSE(c.ca_roots_file);
}

TEST(ClientTls, MatchesComponentAndHostWithOrWithoutPort) {
  std::string why;
  auto ca = testing::TestCa::create(&why);
  ASSERT_TRUE(ca) << why;
  auto r = rule({"web"}, {"db.internal:5432", "Cache.Internal"});
  r.ca_roots_file = ca->ca_cert();
  auto policy = ClientTlsPolicy::build({r});
  ASSERT_TRUE(policy.ok()) << policy.error().message;
  // Host with port: only that port.
  EXPECT_TRUE(policy->for_connection("web", "db.internal", 5432).ca_roots_file);
  EXPECT_FALSE(policy->for_connection("web", "db.internal", 5433).ca_roots_file);
  // Host without port: any port, case-insensitive.
  EXPECT_TRUE(policy->for_connection("web", "cache.internal", 6380).ca_roots_file);
  // Another component: the default.
  EXPECT_FALSE(policy->for_connection("other", "db.internal", 5432).ca_roots_file);
  // ca_roots_file given, ca_use_webpki_roots unset: system roots off (Spin's default).
  EXPECT_FALSE(policy->for_connection("web", "db.internal", 5432).use_system_roots);
  r.ca_use_webpki_roots = true;
  auto both = ClientTlsPolicy::build({r});
  ASSERT_TRUE(both.ok());
  EXPECT_TRUE(both->for_connection("web", "db.internal", 5432).use_system_roots);
}

TEST(ClientTls, BadEntriesNameTheFault) {
  auto bad_host = ClientTlsPolicy::build({rule({"web"}, {"https://db:5432"})});
  ASSERT_FALSE(bad_host.ok());
  EXPECT_THAT(bad_host.error().message, HasSubstr("client_tls[0]: hosts"));
  auto bad_port = ClientTlsPolicy::build({rule({"web"}, {"db:99999"})});
  ASSERT_FALSE(bad_port.ok());
  EXPECT_THAT(bad_port.error().message, HasSubstr("port"));
  auto r = rule({"web"}, {"db"});
  r.ca_roots_file = "/nonexistent/ca.pem";
  auto missing = ClientTlsPolicy::build({rule({"web"}, {"a"}), r});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message, HasSubstr("client_tls[1]: ca_roots_file"));
  EXPECT_THAT(missing.error().message, HasSubstr("/nonexistent/ca.pem"));
  std::string why;
  auto ca = testing::TestCa::create(&why);
  ASSERT_TRUE(ca) << why;
  auto key_as_cert = rule({"web"}, {"db"});
  key_as_cert.ca_roots_file = ca->server_key();
  auto not_cert = ClientTlsPolicy::build({key_as_cert});
  ASSERT_FALSE(not_cert.ok());
  EXPECT_THAT(not_cert.error().message, HasSubstr("no PEM certificate"));
  auto half = rule({"web"}, {"db"});
  half.cert_chain_file = ca->server_cert();
  EXPECT_FALSE(ClientTlsPolicy::build({half}).ok());
}

// Verifies the test server certificate against the trust store configure_ssl_ctx built.
bool trusts_server(const TlsClientConfig& config, const testing::TestCa& ca) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  EXPECT_TRUE(configure_ssl_ctx(ctx, config).ok());
  FILE* f = std::fopen(ca.server_cert().c_str(), "r");
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  X509_STORE_CTX* verify = X509_STORE_CTX_new();
  X509_STORE_CTX_init(verify, SSL_CTX_get_cert_store(ctx), cert, nullptr);
  bool ok = X509_verify_cert(verify) == 1;
  X509_STORE_CTX_free(verify);
  X509_free(cert);
  SSL_CTX_free(ctx);
  return ok;
}

TEST(ClientTls, ConfiguredCaIsTrustedAndOthersAreNot) {
  std::string why;
  auto ca = testing::TestCa::create(&why);
  ASSERT_TRUE(ca) << why;
  TlsClientConfig ours;
  ours.use_system_roots = false;
  ours.ca_roots_file = ca->ca_cert();
  EXPECT_TRUE(trusts_server(ours, *ca));
  TlsClientConfig other;
  other.use_system_roots = false;
  other.ca_roots_file = ca->other_ca_cert();
  EXPECT_FALSE(trusts_server(other, *ca));
  EXPECT_FALSE(trusts_server(TlsClientConfig{}, *ca));  // system roots only
}

TEST(ClientTls, ClientCertificateLoadsAndMissingFileIsNamed) {
  std::string why;
  auto ca = testing::TestCa::create(&why);
  ASSERT_TRUE(ca) << why;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  TlsClientConfig c;
  c.cert_chain_file = ca->server_cert();
  c.private_key_file = ca->server_key();
  EXPECT_TRUE(configure_ssl_ctx(ctx, c).ok());
  c.private_key_file = "/nonexistent/key.pem";
  auto st = configure_ssl_ctx(ctx, c);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error().message, HasSubstr("/nonexistent/key.pem"));
  SSL_CTX_free(ctx);
}

}  // namespace
}  // namespace lepton::outbound
