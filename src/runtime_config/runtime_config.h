// The runtime config file of `lepton up --runtime-config-file` (Spin's runtime-config.toml):
// where state lives and which backends serve the app's key-value stores, databases, variables,
// LLM and outbound connections. Parsed strictly: unknown keys and wrong types are errors that
// name the file, the key path and line:column.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace lepton::runtime_config {

// [key_value_store.<label>]: type "spin" (SQLite, `path` relative to the config file's dir)
// or "redis" (`url`).
struct KeyValueStore {
  enum class Type { kSpin, kRedis };
  Type type = Type::kSpin;
  std::optional<std::filesystem::path> path;  // spin: absolute once parsed
  std::string url;                            // redis
};

// [sqlite_database.<label>]: type "spin" (`path`) or "libsql" (`url`, `token`).
struct SqliteDatabase {
  enum class Type { kSpin, kLibsql };
  Type type = Type::kSpin;
  std::optional<std::filesystem::path> path;
  std::string url;
  std::string token;
  bool allow_attach_file = false;  // spin: may ATTACH other files
};

// [[variables_provider]]: type "env" (`prefix`, `dotenv_path`), "static" (`values`) or "vault".
struct VariablesProvider {
  enum class Type { kEnv, kStatic, kVault };
  Type type = Type::kEnv;
  std::optional<std::string> prefix;                 // env, vault
  std::optional<std::filesystem::path> dotenv_path;  // env
  std::map<std::string, std::string> values;         // static
  std::string url, token;                            // vault
  std::optional<std::string> mount;                  // vault
};

// [llm_compute]: type "spin" or "remote_http" (`url`, `auth_token`).
struct LlmCompute {
  enum class Type { kSpin, kRemoteHttp };
  Type type = Type::kSpin;
  std::string url;
  std::string auth_token;
  std::string api_type = "default";  // remote_http: "default" (Spin's /infer, /embed) or "open_ai"
};

struct OutboundHttp {
  std::optional<bool> connection_pooling;
  std::optional<int64_t> max_concurrent_requests;
};

struct ClientTls {
  std::vector<std::string> component_ids;
  std::vector<std::string> hosts;
  std::optional<bool> ca_use_webpki_roots;
  std::optional<std::filesystem::path> ca_roots_file;
  std::optional<std::filesystem::path> cert_chain_file;
  std::optional<std::filesystem::path> private_key_file;
};

struct RuntimeConfig {
  std::filesystem::path file;  // where it was read from ("" when parsed from text)
  std::optional<std::filesystem::path> state_dir;
  std::optional<std::filesystem::path> log_dir;
  std::optional<uint64_t> max_instance_memory;  // bytes
  std::map<std::string, KeyValueStore> key_value_stores;
  std::map<std::string, SqliteDatabase> sqlite_databases;
  std::vector<VariablesProvider> variables_providers;
  std::optional<LlmCompute> llm_compute;
  std::optional<OutboundHttp> outbound_http;
  std::vector<std::string> block_networks;  // [outbound_networking]
  std::vector<ClientTls> client_tls;
};

// Relative paths in the file are resolved against `base_dir` (Spin: the config file's dir).
Result<RuntimeConfig> parse(std::string_view toml_text, const std::filesystem::path& file,
                            const std::filesystem::path& base_dir);
Result<RuntimeConfig> load(const std::filesystem::path& file);

}  // namespace lepton::runtime_config
