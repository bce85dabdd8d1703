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
  std::string description;
};

// One file visible to a component: a host file exposed read-only at an absolute guest path.
struct FileMount {
  std::filesystem::path host_path;  // absolute, a regular file
  std::string guest_path;           // absolute, '/'-separated, normalised ("/static/a.txt")
};

struct BuildConfig {
  std::string command;              // the commands joined with " && " (one command: as written)
  std::string workdir;              // relative to the app dir; empty = app dir
  std::vector<std::string> watch;   // globs
  std::vector<std::string> commands;  // `command = "x"` or `command = ["x", "y"]`, in order
};

// source = { registry = "ttl.sh", package = "ns:name", version = "1.0.0" }
struct RegistrySource {
  std::optional<std::string> registry;  // none = the default registry
  std::string package;
  std::string version;
};

// One entry of [component.<id>.dependencies], normalised like Spin: `{ component = "x" }`
// references are replaced by that component's source, `"x:y" = ">=1.0"` becomes a registry
// dependency on package "x:y", and `dependencies_inherit_configuration = true` is folded into
// every entry's inherit_all.
struct ComponentDependency {
  enum class Kind { kRegistry, kLocal, kHttp };
  Kind kind = Kind::kRegistry;
  std::string version;                  // kRegistry: semver requirement (">= 0.1.0", "1.2.3")
  std::optional<std::string> registry;  // kRegistry: none = default registry
  std::string package;                  // kRegistry: "ns:name"
  std::filesystem::path path;           // kLocal: absolute
  std::string url;                      // kHttp
  std::string digest;                   // kHttp: "sha256:<hex>"
  std::optional<std::string> export_name;  // export of the dependency that satisfies the import
  bool inherit_all = false;                // inherit_configuration = true
  std::vector<std::string> inherit;        // inherit_configuration = ["ai_models", ...]
};

struct Component {
  std::string id;                    // kebab-case
  std::filesystem::path source;      // absolute path to the .wasm; empty for url/registry sources
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
  std::optional<RegistrySource> source_registry;  // source = { registry?, package, version }
  // Component-model imports to satisfy by composition, by dependency name
  // ("foo:bar/baz@0.1.0", "foo:bar", or a plain kebab name).
  std::map<std::string, ComponentDependency> dependencies;
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
  std::string id;                    // [[trigger.http]] id, or generated like Spin
};

struct RedisTrigger {
  std::string channel;               // may contain {{ var }}
  std::string address;               // empty = the application's default address; may contain {{ var }}
  std::string component;
  std::string id;                    // as HttpTrigger::id
};

// A trigger of a type lepton does not run itself ([[trigger.cron]], [[trigger.sqs]], ...): kept so
// that the CLI can report it, with its (normalised) component reference.
struct OtherTrigger {
  std::string type;
  std::string id;
  std::string component;             // empty when the trigger names none
};

struct App {
  std::filesystem::path manifest_path;  // absolute
  std::filesystem::path dir;            // directory holding the manifest; relative paths resolve here
  std::string name;
  std::string version;
  std::string description;
  std::vector<std::string> authors;
  // v1 `trigger = { type = "http", base = "/x" }` or v2 [application.trigger.http] base.
  // Routes are kept as written: the router serves "<http_base without one trailing '/'><route>"
  // (Spin's sanitize_with_base). Spin 3+ refuses a base other than "/"; lepton accepts it and
  // adds a warning.
  std::string http_base = "/";
  std::string redis_address;            // [application.trigger.redis] address; may contain {{ var }}
  std::map<std::string, Variable> variables;
  std::map<std::string, Component> components;  // by id
  std::vector<HttpTrigger> http_triggers;       // in manifest order
  std::vector<RedisTrigger> redis_triggers;
  std::vector<OtherTrigger> other_triggers;  // trigger types other than http and redis
  int manifest_version = 2;                  // 1 or 2, as written; the model is the same
  // Non-fatal findings worth printing (deprecated fields, ignored keys), in manifest order.
  std::vector<std::string> warnings;
};

}  // namespace lepton::app
