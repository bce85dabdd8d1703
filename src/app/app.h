// The resolved ("locked") application: what the manifest means, with every path made absolute,
// every file mount expanded and v1 manifests converted. Everything downstream (engine, router,
// executors, host interfaces) reads this model and never the TOML.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lepton::app {

// An application variable declared in [variables].
struct Variable {
  std::optional<std::string> default_value;
  bool required = false;
  bool secret = false;
};

// One file visible to a component: a host file exposed read-only at an absolute guest path.
struct FileMount {
  std::filesystem::path host_path;  // absolute, a regular file
  std::string guest_path;           // absolute, '/'-separated, normalised ("/static/a.txt")
};

struct BuildConfig {
  std::string command;
  std::string workdir;              // relative to the app dir; empty = app dir
  std::vector<std::string> watch;   // globs
};

struct Component {
  std::string id;                    // kebab-case
  std::filesystem::path source;      // absolute path to the .wasm
  std::optional<std::string> source_digest;   // "sha256:<hex>" when source was {url, digest}
  std::optional<std::string> source_url;
  std::string description;
  std::vector<FileMount> files;      // sorted by guest_path, unique
  std::vector<std::string> allowed_outbound_hosts;  // raw entries; may contain {{ var }}
  std::vector<std::string> key_value_stores;
  std::vector<std::string> sqlite_databases;
  std::vector<std::string> ai_models;
  std::map<std::string, std::string> environment;
  std::map<std::string, std::string> variables;    // name -> template ("{{ app_var }}-x")
  std::optional<BuildConfig> build;
};

struct StaticResponse {
  uint16_t status_code = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct WagiExecutor {
  std::string entrypoint = "_start";
  std::string argv = "${SCRIPT_NAME} ${ARGS}";
};

// What runs a route: a component (Spin/wasi-http executor chosen by its exports, or WAGI),
// or a static response.
struct HttpTrigger {
  std::string route;                 // as written: "/a/...", "/users/:id", "/"
  bool is_private = false;           // { private = true }: reachable only by service chaining
  std::string component;             // component id; empty with a static response
  std::optional<WagiExecutor> wagi;  // executor = { type = "wagi" }
  std::optional<StaticResponse> static_response;
};

struct RedisTrigger {
  std::string channel;
  std::string address;               // empty = the application's default address
  std::string component;
};

struct App {
  std::filesystem::path manifest_path;  // absolute
  std::filesystem::path dir;            // directory holding the manifest; relative paths resolve here
  std::string name;
  std::string version;
  std::string description;
  std::vector<std::string> authors;
  std::string http_base = "/";          // v1 trigger base
  std::string redis_address;            // [application.trigger.redis] address
  std::map<std::string, Variable> variables;
  std::map<std::string, Component> components;  // by id
  std::vector<HttpTrigger> http_triggers;       // in manifest order
  std::vector<RedisTrigger> redis_triggers;
};

}  // namespace lepton::app
