// A component ready to serve: compiled once at startup, imports resolved once into an instance
// template, plus everything its manifest grants (files, environment, hosts, variables).
// Each request instantiates the template into a fresh store.
#pragma once

#include <wasmtime.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "app/allowed_hosts.h"
#include "app/app.h"
#include "app/variables.h"
#include "common/result.h"
#include "component/host.h"
#include "component/linker.h"
#include "engine/engine.h"
#include "engine/module.h"
#include "engine/store.h"
#include "executors/component_logs.h"
#include "factors/key_value_access.h"
#include "factors/sqlite_access.h"
#include "wasi/preview1.h"

namespace lepton::executors {

struct InstancePreDeleter {
  void operator()(wasmtime_instance_pre_t* p) const { wasmtime_instance_pre_delete(p); }
};
using InstancePre = std::unique_ptr<wasmtime_instance_pre_t, InstancePreDeleter>;

// Process-wide settings every component shares.
struct ComponentOptions {
  std::filesystem::path log_dir;                               // empty: no log files
  bool echo_output = true;                                     // copy guest output to the terminal
  std::vector<std::string> follow;                             // --follow ids; empty = all
  std::vector<std::pair<std::string, std::string>> extra_env;  // --env K=V
  engine::StoreLimits limits;
  // Component imports lepton does not provide link to traps instead of failing the load.
  bool trap_missing_imports = false;
  const key_value::Stores* key_value = nullptr;  // the app's stores (owned by the runtime)
  const sqlite::Databases* sqlite = nullptr;     // the app's SQLite databases (same)
};

class ComponentHost {
 public:
  static Result<std::unique_ptr<ComponentHost>> load(engine::Engine& engine,
                                                     wasmtime_linker_t* linker,
                                                     const component::HostRegistry& registry,
                                                     const app::Component& spec,
                                                     const app::VariableResolver& variables,
                                                     const ComponentOptions& options);

  const std::string& id() const { return spec_->id; }
  const app::Component& spec() const { return *spec_; }
  engine::Engine& engine() const { return *engine_; }
  bool exports_function(std::string_view name) const;
  // A component-model component (its linked template), or nullptr for a core module.
  const std::shared_ptr<const component::ComponentTemplate>& component() const {
    return component_;
  }
  engine::ModuleOrigin module_origin() const { return origin_; }
  const wasmtime_module_t* module() const { return module_.get(); }
  // The reactor initializer `_initialize`, located once (empty when the module has none).
  const engine::ExportIndex& initialize_export() const { return initialize_; }

  // A fresh instance in `store`; the error names the component.
  Result<wasmtime_instance_t> instantiate(engine::Store& store) const;

  const std::shared_ptr<const wasi::FileTree>& files() const { return files_; }
  const std::vector<std::pair<std::string, std::string>>& environment() const { return env_; }
  const app::AllowedHosts& allowed_hosts() const { return allowed_hosts_; }
  const app::VariableResolver& variables() const { return *variables_; }
  ComponentLogs& logs() const { return *logs_; }
  const engine::StoreLimits& limits() const { return limits_; }
  // The stores this component may open (its key_value_stores grants).
  factors::KeyValueAccess key_value() const {
    return {key_value_, &spec_->key_value_stores, spec_->id};
  }
  // The SQLite databases this component may open (its sqlite_databases grants).
  factors::SqliteAccess sqlite() const { return {sqlite_, &spec_->sqlite_databases}; }

 private:
  ComponentHost() = default;

  const app::Component* spec_ = nullptr;
  engine::Engine* engine_ = nullptr;
  engine::Module module_;
  std::shared_ptr<const component::ComponentTemplate> component_;
  engine::ModuleOrigin origin_ = engine::ModuleOrigin::Compiled;
  InstancePre pre_;
  std::vector<std::string> exports_;
  engine::ExportIndex initialize_;
  std::shared_ptr<const wasi::FileTree> files_;
  std::vector<std::pair<std::string, std::string>> env_;
  app::AllowedHosts allowed_hosts_;
  const app::VariableResolver* variables_ = nullptr;
  std::unique_ptr<ComponentLogs> logs_;
  engine::StoreLimits limits_;
  const key_value::Stores* key_value_ = nullptr;
  const sqlite::Databases* sqlite_ = nullptr;
};

}  // namespace lepton::executors
