// Everything a running app needs, owned in one place and passed down: the engine, the linker
// with every host interface, the variable resolver and the loaded components.
#pragma once

#include <wasmtime.h>

#include <map>
#include <memory>
#include <string>

#include "app/app.h"
#include "app/variables.h"
#include "common/result.h"
#include "engine/engine.h"
#include "executors/component_host.h"
#include "key_value/store.h"
#include "sqlite/database.h"

namespace lepton::triggers {

struct RuntimeOptions {
  engine::EngineOptions engine;
  executors::ComponentOptions components;
  std::map<std::string, std::string> variables;  // --variable values (highest precedence)
  // The full provider list (variables_providers::build: --variable, runtime-config providers,
  // environment); when unset, --variable values then the environment.
  std::optional<app::VariableResolver::Providers> variable_providers;
  // Key-value stores: `default` at default_path (nullopt: in memory), the runtime config's
  // stores, and --key-value pairs written to `default` at startup.
  std::optional<std::filesystem::path> key_value_default_path;
  std::vector<key_value::StoreSpec> key_value_stores;
  std::vector<std::pair<std::string, std::string>> key_value_seed;
  // SQLite databases: `default` at sqlite_default_path (nullopt: in memory), the runtime
  // config's labels, and the --sqlite statements run before serving.
  std::optional<std::filesystem::path> sqlite_default_path;
  std::vector<sqlite::DatabaseSpec> sqlite_databases;
  std::vector<std::string> sqlite_statements;
};

class AppRuntime {
 public:
  // Validates variables, compiles every component some trigger uses (through the module
  // cache) and resolves its imports. All load-time errors surface here, none at request time.
  static Result<std::unique_ptr<AppRuntime>> load(app::App app, RuntimeOptions options);
  ~AppRuntime();

  const app::App& app() const { return app_; }
  engine::Engine& engine() const { return *engine_; }
  const app::VariableResolver& variables() const { return *variables_; }
  // nullptr when no trigger uses the component.
  const executors::ComponentHost* component(const std::string& id) const;

 private:
  AppRuntime() = default;
  Status open_sqlite(RuntimeOptions& options);

  app::App app_;
  std::unique_ptr<engine::Engine> engine_;
  wasmtime_linker_t* linker_ = nullptr;
  component::HostRegistry registry_;  // component-model host interfaces
  std::unique_ptr<app::VariableResolver> variables_;
  std::shared_ptr<key_value::Stores> key_value_;
  std::shared_ptr<sqlite::Databases> sqlite_;
  std::map<std::string, std::unique_ptr<executors::ComponentHost>> components_;
};

}  // namespace lepton::triggers
