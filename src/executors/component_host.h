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
#include "engine/engine.h"
#include "engine/module.h"
#include "engine/store.h"
#include "executors/component_logs.h"
#include "wasi/preview1.h"

namespace lepton::executors {

struct InstancePreDeleter {
  void operator()(wasmtime_instance_pre_t* p) const { wasmtime_instance_pre_delete(p); }
};
using InstancePre = std::unique_ptr<wasmtime_instance_pre_t, InstancePreDeleter>;

// Process-wide settings every component shares.
struct ComponentOptions {
  std::filesystem::path log_dir;                 // empty: no log files
  bool echo_output = true;                       // copy guest output to the terminal
  std::vector<std::string> follow;               // --follow ids; empty = all
  std::vector<std::pair<std::string, std::string>> extra_env;  // --env K=V
  engine::StoreLimits limits;
};

class ComponentHost {
 public:
  static Result<std::unique_ptr<ComponentHost>> load(engine::Engine& engine,
                                                     wasmtime_linker_t* linker,
                                                     const app::Component& spec,
                                                     const app::VariableResolver& variables,
                                                     const ComponentOptions& options);

  const std::string& id() const { return spec_->id; }
  const app::Component& spec() const { return *spec_; }
  engine::Engine& engine() const { return *engine_; }
  bool exports_function(std::string_view name) const;
  engine::ModuleOrigin module_origin() const { return origin_; }

  // A fresh instance in `store`; the error names the component.
  Result<wasmtime_instance_t> instantiate(engine::Store& store) const;

  const std::shared_ptr<const wasi::FileTree>& files() const { return files_; }
  const std::vector<std::pair<std::string, std::string>>& environment() const { return env_; }
  const app::AllowedHosts& allowed_hosts() const { return allowed_hosts_; }
  const app::VariableResolver& variables() const { return *variables_; }
  ComponentLogs& logs() const { return *logs_; }
  const engine::StoreLimits& limits() const { return limits_; }

 private:
  ComponentHost() = default;

  const app::Component* spec_ = nullptr;
  engine::Engine* engine_ = nullptr;
  engine::Module module_;
  engine::ModuleOrigin origin_ = engine::ModuleOrigin::Compiled;
  InstancePre pre_;
  std::vector<std::string> exports_;
  std::shared_ptr<const wasi::FileTree> files_;
  std::vector<std::pair<std::string, std::string>> env_;
  app::AllowedHosts allowed_hosts_;
  const app::VariableResolver* variables_ = nullptr;
  std::unique_ptr<ComponentLogs> logs_;
  engine::StoreLimits limits_;
};

}  // namespace lepton::executors
