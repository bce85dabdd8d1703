// End-to-end: [[client_tls]] in the runtime config decides which CA an outbound https request
// from a component trusts. The target is an in-test HTTPS server whose certificate comes from a
// throwaway CA (support/test_ca): trusted only when a [[client_tls]] entry for this component
// and host names that CA's file; otherwise the guest sees TLS-certificate-error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "http/server.h"
#include "lepton_process.h"
#include "support/test_ca.h"

namespace lepton::testing {
namespace {

std::string component_path(const std::string& name) { return guest("components/" + name); }

class HttpsTarget {
 public:
  explicit HttpsTarget(const TestCa& ca) {
    http::Server::Options options;
    options.listen = "127.0.0.1:0";
    options.threads = 1;
    options.tls = http::Server::TlsFiles{ca.server_cert(), ca.server_key()};
    auto server = http::Server::start(options, [](http::Request&) {
      http::Response r;
      r.body = "secret greeting";
      return r;
    });
    EXPECT_TRUE(server.ok()) << server.error().message;
    if (server.ok()) server_ = std::move(*server);
  }
  std::string authority() const { return server_->bound_address(); }
  std::string url() const { return "https://" + authority() + "/"; }

 private:
  std::unique_ptr<http::Server> server_;
};

std::string app_toml(const std::string& source, const std::string& authority) {
  return fmt::format(R"(spin_manifest_version = 2
[application]
name = "client-tls"
[[trigger.http]]
route = "/..."
component = "fetcher"
[component.fetcher]
source = "{}"
allowed_outbound_hosts = ["https://{}"]
)",
                     source, authority);
}

std::string call(LeptonServer& server, const std::string& path) {
  auto r = server.get(path);
  if (!r.ok()) return "request failed: " + r.error().message;
  return fmt::format("{} {}", r->status, r->body);
}

std::string client_tls(const std::string& component, const std::string& host,
                       const std::filesystem::path& ca) {
  return fmt::format(
      "[[client_tls]]\ncomponent_ids = [\"{}\"]\nhosts = [\"{}\"]\nca_roots_file = \"{}\"\n",
      component, host, ca.string());
}

TEST(ClientTlsEndToEnd, WasiHttpTrustsOnlyTheConfiguredCa) {
  if (auto why = missing_component("outbound"); !why.empty()) GTEST_SKIP() << why;
  std::string why;
  auto ca = TestCa::create(&why);
  ASSERT_TRUE(ca) << why;
  HttpsTarget target(*ca);
  TempApp app(app_toml(component_path("outbound"), target.authority()));
  {  // No [[client_tls]]: the system roots don't know the test CA.
    auto server = serve_with_runtime_config(app, "");
    ASSERT_TRUE(server);
    EXPECT_EQ(call(*server, "/?url=" + target.url()), "502 error: 13");  // TLS-certificate-error
  }
  {  // Trusted for this component and host: the request goes through.
    auto server =
        serve_with_runtime_config(app, client_tls("fetcher", target.authority(), ca->ca_cert()));
    ASSERT_TRUE(server);
    EXPECT_EQ(call(*server, "/?url=" + target.url()), "200 status 200");
    EXPECT_EQ(call(*server, "/?url=" + target.url()), "200 status 200");  // and again
  }
  {  // An entry for another component, or an unrelated CA, does not help.
    auto other_component =
        serve_with_runtime_config(app, client_tls("other", target.authority(), ca->ca_cert()));
    ASSERT_TRUE(other_component);
    EXPECT_EQ(call(*other_component, "/?url=" + target.url()), "502 error: 13");
    auto other_ca = serve_with_runtime_config(
        app, client_tls("fetcher", target.authority(), ca->other_ca_cert()));
    ASSERT_TRUE(other_ca);
    EXPECT_EQ(call(*other_ca, "/?url=" + target.url()), "502 error: 13");
    EXPECT_EQ(call(*other_ca, "/?url=" + target.url()), "502 error: 13");  // still serving
  }
}

TEST(ClientTlsEndToEnd, Spin1HttpUsesTheConfiguredCa) {
  std::string why;
  auto ca = TestCa::create(&why);
  ASSERT_TRUE(ca) << why;
  HttpsTarget target(*ca);
  TempApp app(app_toml(guest("spin1_probe"), target.authority()));
  auto denied = serve_with_runtime_config(app, "");
  ASSERT_TRUE(denied);
  EXPECT_EQ(call(*denied, "/outbound?" + target.url()), "502 http-error 4");  // runtime-error
  auto trusted =
      serve_with_runtime_config(app, client_tls("fetcher", target.authority(), ca->ca_cert()));
  ASSERT_TRUE(trusted);
  EXPECT_EQ(call(*trusted, "/outbound?" + target.url()).substr(0, 15), "200 status: 200");
}

TEST(ClientTlsEndToEnd, BadEntryStopsStartupNamingTheField) {
  TempApp app(app_toml(guest("spin1_probe"), "127.0.0.1:1"));
  app.write("rc.toml", client_tls("fetcher", "127.0.0.1:1", "/nonexistent/ca.pem"));
  auto result = run_lepton({"up", "-f", app.manifest().string(), "--runtime-config-file",
                            (app.dir() / "rc.toml").string(), "--listen", "127.0.0.1:0"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("client_tls[0]: ca_roots_file"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("/nonexistent/ca.pem"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace lepton::testing
