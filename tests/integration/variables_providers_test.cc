// End-to-end: runtime-config variable providers ([[variables_provider]] env, static, vault) and
// Spin's precedence (--variable > providers in file order > SPIN_VARIABLE_* > manifest default),
// through `lepton up` serving the Spin 1 probe (its /config?<key> reads a component variable).
// Vault is not a Debian package: the tests serve Vault's KV v2 read endpoint
// (GET /v1/<mount>/data/<path>, X-Vault-Token) from an in-test HTTP server.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "http/server.h"
#include "lepton_process.h"

namespace lepton::testing {
namespace {

// A KV v2 secrets engine at mount `mount` holding `secrets` (path -> value), guarded by `token`.
class FakeVault {
 public:
  FakeVault(std::string mount, std::string token, std::map<std::string, std::string> secrets)
      : mount_(std::move(mount)), token_(std::move(token)), secrets_(std::move(secrets)) {
    http::Server::Options options;
    options.listen = "127.0.0.1:0";
    options.threads = 1;
    options.handler_threads = 2;
    auto server = http::Server::start(options, [this](http::Request& r) { return handle(r); });
    EXPECT_TRUE(server.ok()) << server.error().message;
    if (server.ok()) server_ = std::move(*server);
  }
  std::string url() const { return "http://" + server_->bound_address(); }
  std::vector<std::string> paths() const {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  http::Response handle(http::Request& r) {
    {
      std::lock_guard lock(mu_);
      seen_.push_back(r.path);
    }
    http::Response out;
    out.headers.push_back({"content-type", "application/json"});
    if (r.header("x-vault-token").value_or("") != token_) {
      out.status = 403;
      out.body = R"({"errors":["permission denied"]})";
      return out;
    }
    std::string prefix = "/v1/" + mount_ + "/data/";
    if (r.method != "GET" || !r.path.starts_with(prefix)) {
      out.status = 404;
      out.body = R"({"errors":[]})";
      return out;
    }
    auto it = secrets_.find(r.path.substr(prefix.size()));
    if (it == secrets_.end()) {
      out.status = 404;
      out.body = R"({"errors":[]})";
      return out;
    }
    out.body =
        fmt::format(R"({{"request_id":"x","lease_id":"","renewable":false,"lease_duration":0,)"
                    R"("data":{{"data":{{"value":"{}"}},"metadata":{{"version":1}}}}}})",
                    it->second);
    return out;
  }

  std::string mount_, token_;
  std::map<std::string, std::string> secrets_;
  mutable std::mutex mu_;
  std::vector<std::string> seen_;
  std::unique_ptr<http::Server> server_;
};

// Sets an environment variable for the test's lifetime (the lepton child inherits it).
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
    setenv(name_.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() { unsetenv(name_.c_str()); }

 private:
  std::string name_;
};

// The probe reads component variable `v_<name>` = "{{ <name> }}" for each app variable.
std::string probe_app(const std::vector<std::pair<std::string, std::string>>& variables) {
  std::string decl, refs;
  for (const auto& [name, spec] : variables) {
    decl += fmt::format("{} = {}\n", name, spec);
    refs += fmt::format("{}v_{} = \"{{{{ {} }}}}\"", refs.empty() ? "" : ", ", name, name);
  }
  return fmt::format(R"(spin_manifest_version = 2
[application]
name = "providers"
[variables]
{}
[[trigger.http]]
route = "/..."
component = "probe"
[component.probe]
source = "{}"
variables = {{ {} }}
)",
                     decl, guest("spin1_probe"), refs);
}

std::string body_of(LeptonServer& server, const std::string& path) {
  auto r = server.get(path);
  if (!r.ok()) return "request failed: " + r.error().message;
  return fmt::format("{} {}", r->status, r->body);
}

TEST(VariablesProviders, StaticEnvAndVaultServeValues) {
  FakeVault vault("secret", "root-token", {{"app/db_password", "from-vault"}});
  TempApp app(probe_app({{"from_static", "{ required = true }"},
                         {"from_env", "{ required = true }"},
                         {"from_dotenv", "{ required = true }"},
                         {"db_password", "{ required = true, secret = true }"}}));
  app.write(".env.custom", "MYAPP_FROM_DOTENV=dotenv-value\n");
  app.write("runtime-config.toml", fmt::format(R"(
[[variables_provider]]
type = "static"
values = {{ from_static = "static-value" }}

[[variables_provider]]
type = "env"
prefix = "MYAPP"
dotenv_path = ".env.custom"

[[variables_provider]]
type = "vault"
url = "{}"
token = "root-token"
mount = "secret"
prefix = "app"
)",
                                               vault.url()));
  ScopedEnv env("MYAPP_FROM_ENV", "env-value");
  std::string failure;
  auto server = LeptonServer::start({"-f", app.manifest().string(), "--runtime-config-file",
                                     (app.dir() / "runtime-config.toml").string()},
                                    &failure);
  ASSERT_TRUE(server) << failure;
  EXPECT_EQ(body_of(*server, "/config?v_from_static"), "200 static-value");
  EXPECT_EQ(body_of(*server, "/config?v_from_env"), "200 env-value");
  EXPECT_EQ(body_of(*server, "/config?v_from_dotenv"), "200 dotenv-value");
  EXPECT_EQ(body_of(*server, "/config?v_db_password"), "200 from-vault");
  // Spin's vault provider reads <mount>/data/<prefix>/<key>.
  auto paths = vault.paths();
  EXPECT_NE(std::find(paths.begin(), paths.end(), "/v1/secret/data/app/db_password"), paths.end());
  // The runtime config's providers are acted on: no "not used" warning for them.
  EXPECT_EQ(server->output().find("variables_provider"), std::string::npos) << server->output();
}

// --variable > providers in file order > SPIN_VARIABLE_* > manifest default, each level shown by
// a variable whose value only it (and the levels below) can give.
TEST(VariablesProviders, PrecedenceOrder) {
  FakeVault vault("kv", "t0k3n", {{"vault_vs_static", "vault"}, {"all", "vault"}});
  TempApp app(probe_app({{"all", "{ default = \"default\" }"},
                         {"vault_vs_static", "{ default = \"default\" }"},
                         {"env_vs_default", "{ default = \"default\" }"},
                         {"only_default", "{ default = \"default\" }"},
                         {"static_vs_env", "{ default = \"default\" }"}}));
  // Vault comes first in the file, so it beats the static provider for vault_vs_static.
  app.write("rc.toml", fmt::format(R"(
[[variables_provider]]
type = "vault"
url = "{}"
token = "t0k3n"
mount = "kv"

[[variables_provider]]
type = "static"
values = {{ vault_vs_static = "static", static_vs_env = "static", all = "static" }}
)",
                                   vault.url()));
  ScopedEnv e1("SPIN_VARIABLE_ALL", "env");
  ScopedEnv e2("SPIN_VARIABLE_STATIC_VS_ENV", "env");
  ScopedEnv e3("SPIN_VARIABLE_ENV_VS_DEFAULT", "env");
  std::string failure;
  auto server = LeptonServer::start({"-f", app.manifest().string(), "--runtime-config-file",
                                     (app.dir() / "rc.toml").string(), "--variable", "all=cli"},
                                    &failure);
  ASSERT_TRUE(server) << failure;
  EXPECT_EQ(body_of(*server, "/config?v_all"), "200 cli");
  EXPECT_EQ(body_of(*server, "/config?v_vault_vs_static"), "200 vault");
  EXPECT_EQ(body_of(*server, "/config?v_static_vs_env"), "200 static");
  EXPECT_EQ(body_of(*server, "/config?v_env_vs_default"), "200 env");
  EXPECT_EQ(body_of(*server, "/config?v_only_default"), "200 default");
}

// A Vault that refuses the token is a provider error, not "no value": a required variable fails
// the start, naming the provider and the variable.
TEST(VariablesProviders, VaultFailureStopsStartup) {
  FakeVault vault("secret", "right-token", {{"pw", "x"}});
  TempApp app(probe_app({{"pw", "{ required = true, secret = true }"}}));
  app.write("rc.toml", fmt::format(R"(
[[variables_provider]]
type = "vault"
url = "{}"
token = "wrong-token-value"
mount = "secret"
)",
                                   vault.url()));
  auto result = run_lepton({"up", "-f", app.manifest().string(), "--runtime-config-file",
                            (app.dir() / "rc.toml").string(), "--listen", "127.0.0.1:0"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("variable \"pw\": vault provider failed"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("HTTP status 403"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("wrong-token-value"), std::string::npos) << result.output;
}

// A vault provider without `mount` is refused at startup (Spin requires it).
TEST(VariablesProviders, VaultNeedsMount) {
  TempApp app(probe_app({{"x", "{ default = \"d\" }"}}));
  app.write("rc.toml", R"(
[[variables_provider]]
type = "vault"
url = "http://127.0.0.1:1"
token = "t"
)");
  auto result = run_lepton({"up", "-f", app.manifest().string(), "--runtime-config-file",
                            (app.dir() / "rc.toml").string(), "--listen", "127.0.0.1:0"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("needs 'mount'"), std::string::npos) << result.output;
}

std::string read_all(const std::filesystem::path& dir) {
  std::string all;
  if (!std::filesystem::exists(dir)) return all;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    all += s.str();
  }
  return all;
}

// A secret value in use never shows in lepton's output or log files, even when a request's
// variable lookup fails (the error path names variables) and the guest prints around it.
TEST(VariablesProviders, SecretValuesNeverLogged) {
  const std::string secret = "s3cr3t-Value-9f27";
  FakeVault vault("secret", "vault-token-abc", {{"api_key", secret}});
  TempApp app(probe_app(
      {{"api_key", "{ required = true, secret = true }"}, {"broken", "{ required = true }"}}));
  app.write("rc.toml", fmt::format(R"(
[[variables_provider]]
type = "vault"
url = "{}"
token = "vault-token-abc"
mount = "secret"

[[variables_provider]]
type = "static"
values = {{ broken = "ok" }}
)",
                                   vault.url()));
  std::string failure;
  auto server = LeptonServer::start(
      {"-f", app.manifest().string(), "--runtime-config-file", (app.dir() / "rc.toml").string()},
      &failure);
  ASSERT_TRUE(server) << failure;
  EXPECT_EQ(body_of(*server, "/config?v_api_key"), "200 " + secret);
  // Error paths: an undefined key, an invalid name, a missing component variable.
  EXPECT_EQ(body_of(*server, "/config?v_nope").substr(0, 4), "500 ");
  std::string bad = body_of(*server, "/config?Bad-Name");
  EXPECT_EQ(bad.substr(0, 4), "500 ") << bad;
  EXPECT_NE(bad.find("invalid variable name"), std::string::npos) << bad;
  EXPECT_EQ(server->stop(SIGTERM), 0);
  std::string out = server->output();
  std::string logs = read_all(app.dir() / ".spin");
  EXPECT_EQ(out.find(secret), std::string::npos) << out;
  EXPECT_EQ(logs.find(secret), std::string::npos) << logs;
  EXPECT_EQ(out.find("vault-token-abc"), std::string::npos) << out;
  EXPECT_EQ(logs.find("vault-token-abc"), std::string::npos) << logs;
}

// The one startup error that prints rendered variables (a bad allowed_outbound_hosts entry
// built from a template) redacts secret values.
TEST(VariablesProviders, SecretRedactedFromStartupErrors) {
  const std::string secret = "Hidden-Host-7c1d";
  FakeVault vault("secret", "tok", {{"api_host", secret + "/with/path"}});
  TempApp app(fmt::format(R"(spin_manifest_version = 2
[application]
name = "redact"
[variables]
api_host = {{ required = true, secret = true }}
[[trigger.http]]
route = "/..."
component = "probe"
[component.probe]
source = "{}"
allowed_outbound_hosts = ["http://{{{{ api_host }}}}"]
)",
                          guest("spin1_probe")));
  app.write("rc.toml", fmt::format(R"(
[[variables_provider]]
type = "vault"
url = "{}"
token = "tok"
mount = "secret"
)",
                                   vault.url()));
  auto result = run_lepton({"up", "-f", app.manifest().string(), "--runtime-config-file",
                            (app.dir() / "rc.toml").string(), "--listen", "127.0.0.1:0"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("allowed_outbound_hosts entry"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("<secret>"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find(secret), std::string::npos) << result.output;
}

// Invalid variable names are refused: in the manifest at startup, naming the fault.
TEST(VariablesProviders, InvalidNamesAreErrors) {
  TempApp app(probe_app({{"Bad_Name", "{ default = \"x\" }"}}));
  auto result = run_lepton({"up", "-f", app.manifest().string(), "--listen", "127.0.0.1:0"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("invalid variable name \"Bad_Name\""), std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace lepton::testing
