// Internal: the manifest as read from TOML (v1 converted to the v2 shape, as Spin's compat
// module does), before normalisation and path resolution. Holds source locations for messages
// and pointers into the parsed TOML document, which must outlive it.
#pragma once

#include <toml++/toml.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/app.h"
#include "manifest/files.h"
#include "manifest/toml_reader.h"

namespace lepton::manifest::detail {

struct RawSource {
  enum class Kind { kLocal, kRemote, kRegistry };
  Kind kind = Kind::kLocal;
  std::string path;                     // kLocal
  std::string url, digest;              // kRemote
  std::optional<std::string> registry;  // kRegistry
  std::string package, version;         // kRegistry
  Loc loc;
};

struct RawDependency {
  enum class Kind { kVersion, kPackage, kLocal, kHttp, kComponent };
  Kind kind = Kind::kVersion;
  std::string version;
  std::optional<std::string> registry;
  std::optional<std::string> package;
  std::optional<std::string> export_name;
  std::string path;
  std::string url, digest;
  std::string component;
  bool has_inherit = false;
  bool inherit_all = false;
  std::vector<std::string> inherit;
  Loc loc;
};

struct RawBuild {
  std::vector<std::string> commands;
  std::optional<std::string> workdir;
  std::vector<std::string> watch;
};

struct RawProfile {
  std::optional<RawSource> source;
  std::vector<std::pair<std::string, std::string>> environment;
  std::map<std::string, RawDependency> dependencies;
  std::optional<std::vector<std::string>> build_commands;
};

struct RawVariableRef {
  std::string key;
  std::string value;
  Loc loc;
};

struct RawComponent {
  RawSource source;
  std::string description;
  std::vector<RawVariableRef> variables;
  std::map<std::string, std::string> environment;
  std::vector<FileSpec> files;
  Loc files_loc;
  std::vector<std::string> exclude_files;
  std::vector<std::string> allowed_http_hosts;
  Loc allowed_http_hosts_loc;
  bool allowed_outbound_hosts_present = false;
  std::vector<std::string> allowed_outbound_hosts;
  Loc allowed_outbound_hosts_loc;
  std::vector<std::string> key_value_stores;
  std::vector<std::string> sqlite_databases;
  std::vector<std::string> ai_models;
  std::optional<RawBuild> build;
  std::optional<bool> dependencies_inherit_configuration;
  std::map<std::string, RawDependency> dependencies;
  std::map<std::string, RawProfile> profiles;
  Loc loc;
};

// `component = "id"` or `component = { ...inline... }`.
struct RawComponentSpec {
  std::string id;                          // reference (after normalisation: always set)
  std::unique_ptr<RawComponent> inline_c;  // inline definition, moved out by normalisation
  Loc loc;
};

struct RawTrigger {
  std::string type;
  std::string id;
  Loc loc;
  std::string what;  // "[[trigger.http]]" for messages
  std::optional<RawComponentSpec> component;
  std::vector<std::pair<std::string, std::vector<RawComponentSpec>>> components;
  bool has_dependencies = false;
  Loc dependencies_loc;
  // The trigger-type-specific settings: the [[trigger.x]] table itself (v2; the generic keys id,
  // component, components and dependencies are skipped) or [component.trigger] (v1).
  const toml::table* config = nullptr;
};

struct RawManifest {
  int version = 2;
  std::string name, app_version, description;
  std::vector<std::string> authors;
  // [application.trigger.<type>] (v2) or the v1 `trigger` table minus `type`.
  std::vector<std::pair<std::string, const toml::table*>> trigger_global_configs;
  std::map<std::string, app::Variable> variables;
  std::vector<RawTrigger> triggers;  // trigger types in file order, then array order
  std::map<std::string, RawComponent> components;
  std::vector<std::string> warnings;
};

// Reads the document into a RawManifest (v1 or v2 by its version key).
Result<RawManifest> read_manifest(const Ctx& ctx, const toml::table& doc);

}  // namespace lepton::manifest::detail
