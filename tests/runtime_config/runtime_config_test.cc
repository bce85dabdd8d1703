#include "runtime_config/runtime_config.h"

#include <gtest/gtest.h>

namespace lepton::runtime_config {
namespace {

Result<RuntimeConfig> parse_text(std::string_view text) { return parse(text, "rc.toml", "/base"); }

// The error message of a config that must fail.
std::string error_of(std::string_view text) {
  auto parsed = parse_text(text);
  if (parsed) return "(parsed)";
  return parsed.error().message;
}

TEST(RuntimeConfig, EmptyFileIsAllDefaults) {
  auto c = parse_text("");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_FALSE(c->state_dir);
  EXPECT_FALSE(c->log_dir);
  EXPECT_FALSE(c->max_instance_memory);
  EXPECT_TRUE(c->key_value_stores.empty());
}

TEST(RuntimeConfig, TopLevelKeys) {
  auto c = parse_text(R"(state_dir = "st"
log_dir = "/var/log/app"
max_instance_memory = "64MiB"
)");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(*c->state_dir, "/base/st");
  EXPECT_EQ(*c->log_dir, "/var/log/app");
  EXPECT_EQ(*c->max_instance_memory, 64u << 20);
  auto n = parse_text("max_instance_memory = 1048576");
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n->max_instance_memory, 1048576u);
  EXPECT_EQ(error_of("max_instance_memory = \"lots\""),
            "rc.toml:1:23: invalid max_instance_memory 'lots' (bytes, or with KiB/MiB/GiB)");
}

TEST(RuntimeConfig, KeyValueStores) {
  auto c = parse_text(R"(
[key_value_store.default]
type = "spin"
path = "kv/default.db"
[key_value_store.mem]
type = "spin"
[key_value_store.cache]
type = "redis"
url = "redis://localhost:6379"
)");
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->key_value_stores.size(), 3u);
  EXPECT_EQ(*c->key_value_stores["default"].path, "/base/kv/default.db");
  EXPECT_FALSE(c->key_value_stores["mem"].path);
  EXPECT_EQ(c->key_value_stores["cache"].type, KeyValueStore::Type::kRedis);
  EXPECT_EQ(c->key_value_stores["cache"].url, "redis://localhost:6379");
  EXPECT_EQ(error_of("[key_value_store.x]\ntype = \"redis\"\n"),
            "rc.toml:1:1: missing field 'url' in key_value_store.x");
  EXPECT_EQ(error_of("[key_value_store.x]\ntype = \"mongo\"\n"),
            "rc.toml:2:8: unknown type 'mongo' in key_value_store.x (expected one of: spin, "
            "redis)");
  EXPECT_EQ(error_of("[key_value_store.x]\ntype = \"spin\"\nurl = \"u\"\n"),
            "rc.toml:3:1: unknown field 'url' in key_value_store.x (expected one of: type, path)");
  EXPECT_EQ(error_of("[key_value_store.x]\ntype = \"spin\"\npath = 3\n"),
            "rc.toml:3:8: invalid type for 'path' in key_value_store.x: expected a string, found "
            "integer");
  EXPECT_EQ(error_of("key_value_store = 1"),
            "rc.toml:1:19: invalid type for 'key_value_store' in the runtime config: expected a "
            "table, found integer");
}

TEST(RuntimeConfig, SqliteDatabases) {
  auto c = parse_text(R"(
[sqlite_database.default]
type = "spin"
path = "db.sqlite"
[sqlite_database.remote]
type = "libsql"
url = "https://x.turso.io"
token = "t"
)");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(*c->sqlite_databases["default"].path, "/base/db.sqlite");
  EXPECT_EQ(c->sqlite_databases["remote"].type, SqliteDatabase::Type::kLibsql);
  EXPECT_EQ(c->sqlite_databases["remote"].token, "t");
  EXPECT_EQ(error_of("[sqlite_database.r]\ntype = \"libsql\"\nurl = \"u\"\n"),
            "rc.toml:1:1: missing field 'token' in sqlite_database.r");
}

TEST(RuntimeConfig, SqliteAllowAttachFile) {
  auto c = parse_text("[sqlite_database.a]\ntype = \"spin\"\nallow_attach_file = true\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->sqlite_databases["a"].allow_attach_file);
  EXPECT_FALSE(c->sqlite_databases["a"].path);
  auto d = parse_text("[sqlite_database.a]\ntype = \"spin\"\n");
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->sqlite_databases["a"].allow_attach_file);
}

TEST(RuntimeConfig, VariablesProviders) {
  auto c = parse_text(R"(
[[variables_provider]]
type = "env"
prefix = "MYAPP"
dotenv_path = ".env"
[[variables_provider]]
type = "static"
values = { a = "1", b = "2" }
[[variables_provider]]
type = "vault"
url = "http://127.0.0.1:8200"
token = "root"
mount = "secret"
prefix = "app"
)");
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->variables_providers.size(), 3u);
  EXPECT_EQ(*c->variables_providers[0].prefix, "MYAPP");
  EXPECT_EQ(*c->variables_providers[0].dotenv_path, "/base/.env");
  EXPECT_EQ(c->variables_providers[1].type, VariablesProvider::Type::kStatic);
  EXPECT_EQ(c->variables_providers[1].values.at("b"), "2");
  EXPECT_EQ(c->variables_providers[2].type, VariablesProvider::Type::kVault);
  EXPECT_EQ(*c->variables_providers[2].mount, "secret");
  EXPECT_EQ(error_of("[[variables_provider]]\ntype = \"env\"\nprefx = \"A\"\n"),
            "rc.toml:3:1: unknown field 'prefx' in variables_provider[0] (did you mean "
            "'prefix'?)");
  EXPECT_EQ(error_of("variables_provider = { type = \"env\" }"),
            "rc.toml:1:22: invalid type for 'variables_provider' in the runtime config: "
            "expected an array of tables, found table");
}

TEST(RuntimeConfig, LlmOutboundAndTls) {
  auto c = parse_text(R"(
[llm_compute]
type = "remote_http"
url = "http://llm"
auth_token = "secret"
[outbound_http]
connection_pooling = false
max_concurrent_requests = 8
[outbound_networking]
block_networks = ["10.0.0.0/8", "private"]
[[client_tls]]
component_ids = ["web"]
hosts = ["example.com:443"]
ca_use_webpki_roots = true
ca_roots_file = "ca.pem"
cert_chain_file = "cert.pem"
private_key_file = "key.pem"
)");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->llm_compute->type, LlmCompute::Type::kRemoteHttp);
  EXPECT_EQ(c->llm_compute->auth_token, "secret");
  EXPECT_EQ(*c->outbound_http->connection_pooling, false);
  EXPECT_EQ(*c->outbound_http->max_concurrent_requests, 8);
  EXPECT_EQ(c->block_networks, (std::vector<std::string>{"10.0.0.0/8", "private"}));
  ASSERT_EQ(c->client_tls.size(), 1u);
  EXPECT_EQ(c->client_tls[0].hosts, std::vector<std::string>{"example.com:443"});
  EXPECT_EQ(*c->client_tls[0].ca_roots_file, "/base/ca.pem");
  auto spin_llm = parse_text("[llm_compute]\ntype = \"spin\"\n");
  ASSERT_TRUE(spin_llm) << spin_llm.error().message;
  EXPECT_EQ(spin_llm->llm_compute->type, LlmCompute::Type::kSpin);
  EXPECT_EQ(error_of("[outbound_http]\nconnection_pooling = \"yes\"\n"),
            "rc.toml:2:22: invalid type for 'connection_pooling' in [outbound_http]: expected a "
            "boolean, found string");
  EXPECT_EQ(error_of("[[client_tls]]\nhosts = [\"a\"]\ncert_chain_file = \"c.pem\"\n"),
            "rc.toml:1:1: client_tls[0]: cert_chain_file and private_key_file must be given "
            "together");
  EXPECT_EQ(error_of("[outbound_networking]\nblock = []\n"),
            "rc.toml:2:1: unknown field 'block' in [outbound_networking] (did you mean "
            "'block_networks'?)");
}

TEST(RuntimeConfig, UnknownTopLevelKeysAndSyntaxErrors) {
  EXPECT_EQ(error_of("\nstate_dri = \"x\"\n"),
            "rc.toml:2:1: unknown field 'state_dri' in the runtime config (did you mean "
            "'state_dir'?)");
  EXPECT_EQ(error_of("[key_value]\n"),
            "rc.toml:1:2: unknown field 'key_value' in the runtime config (did you mean "
            "'key_value_store'?)");
  std::string syntax = error_of("state_dir = \n");
  EXPECT_TRUE(syntax.starts_with("rc.toml:1:")) << syntax;
  EXPECT_NE(syntax.find("TOML parse error"), std::string::npos) << syntax;
}

}  // namespace
}  // namespace lepton::runtime_config

namespace lepton::runtime_config {
namespace {

TEST(RuntimeConfig, LlmApiType) {
  auto parsed = parse(
      "[llm_compute]\ntype = \"remote_http\"\nurl = \"http://llm\"\n"
      "auth_token = \"t\"\napi_type = \"open_ai\"\n",
      "rc.toml", "/base");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->llm_compute->api_type, "open_ai");
  auto plain =
      parse("[llm_compute]\ntype = \"remote_http\"\nurl = \"http://llm\"\nauth_token = \"t\"\n",
            "rc.toml", "/base");
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ(plain->llm_compute->api_type, "default");
  auto bad = parse(
      "[llm_compute]\ntype = \"remote_http\"\nurl = \"u\"\nauth_token = \"t\"\n"
      "api_type = \"anthropic\"\n",
      "rc.toml", "/base");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "rc.toml:5:12: unknown api_type 'anthropic' in [llm_compute] (expected one of: "
            "default, open_ai)");
}

}  // namespace
}  // namespace lepton::runtime_config
