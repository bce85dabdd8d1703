#include "triggers/app_runtime.h"

#include <spdlog/spdlog.h>

#include <set>

#include "factors/registry.h"

namespace lepton::triggers {

Result<std::unique_ptr<AppRuntime>> AppRuntime::load(app::App app, RuntimeOptions options) {
  auto runtime = std::unique_ptr<AppRuntime>(new AppRuntime());
  runtime->app_ = std::move(app);
  const app::App& a = runtime->app_;

  LEPTON_TRY(auto resolver,
             app::VariableResolver::create(
                 a, options.variable_providers
                        ? *options.variable_providers
                        : app::VariableResolver::standard_providers(options.variables)));
  runtime->variables_ = std::make_unique<app::VariableResolver>(std::move(resolver));
  LEPTON_CHECK(runtime->variables_->validate());

  // Store files are only created for apps that use key-value, so an app in a read-only
  // directory that doesn't still starts.
  bool uses_key_value = !options.key_value_seed.empty();
  for (const auto& [id, component] : a.components)
    uses_key_value |= !component.key_value_stores.empty();
  if (uses_key_value) {
    LEPTON_TRY(runtime->key_value_,
               key_value::Stores::open(options.key_value_default_path, options.key_value_stores));
  } else {
    runtime->key_value_ = std::make_shared<key_value::Stores>();
  }
  // As Spin: a granted label must exist, so a typo fails at startup rather than per request.
  for (const auto& [id, component] : a.components) {
    for (const auto& label : component.key_value_stores) {
      if (!runtime->key_value_->has(label))
        return fail(
            "component '{}' uses key-value store '{}', which is not defined: define it in the "
            "runtime config ([key_value_store.{}]); only 'default' exists without one",
            id, label, label);
    }
  }
  if (!options.key_value_seed.empty()) {
    const key_value::Store* store = runtime->key_value_->find("default");
    for (const auto& [key, value] : options.key_value_seed) LEPTON_CHECK(store->set(key, value));
  }
  options.components.key_value = runtime->key_value_.get();
  LEPTON_CHECK(runtime->open_sqlite(options));

  LEPTON_TRY(runtime->engine_, engine::Engine::create(options.engine));
  runtime->linker_ = wasmtime_linker_new(runtime->engine_->raw());
  LEPTON_CHECK(factors::define_all(runtime->linker_));
  factors::register_all(runtime->registry_);

  std::set<std::string> used;
  for (const auto& t : a.http_triggers)
    if (!t.component.empty()) used.insert(t.component);
  for (const auto& t : a.redis_triggers) used.insert(t.component);
  for (const auto& id : used) {
    auto it = a.components.find(id);
    if (it == a.components.end())
      return fail("a trigger names component '{}', which is not defined", id);
    LEPTON_TRY(auto host, executors::ComponentHost::load(*runtime->engine_, runtime->linker_,
                                                         runtime->registry_, it->second,
                                                         *runtime->variables_, options.components));
    spdlog::debug(
        "component '{}' ready ({})", id,
        host->module_origin() == engine::ModuleOrigin::CacheHit ? "precompiled cache" : "compiled");
    runtime->components_.emplace(id, std::move(host));
  }
  return runtime;
}

AppRuntime::~AppRuntime() {
  components_.clear();  // instance templates before the linker and engine they came from
  if (linker_ != nullptr) wasmtime_linker_delete(linker_);
}

const executors::ComponentHost* AppRuntime::component(const std::string& id) const {
  auto it = components_.find(id);
  return it == components_.end() ? nullptr : it->second.get();
}

}  // namespace lepton::triggers

namespace lepton::triggers {

// SQLite databases: created only when some component or --sqlite uses them (as key-value), every
// granted label must be defined (Spin refuses to start otherwise), then --sqlite runs.
Status AppRuntime::open_sqlite(RuntimeOptions& options) {
  bool used = !options.sqlite_statements.empty();
  for (const auto& [id, component] : app_.components) used |= !component.sqlite_databases.empty();
  if (used) {
    LEPTON_TRY(sqlite_,
               sqlite::Databases::create(options.sqlite_default_path, options.sqlite_databases));
  } else {
    sqlite_ = std::make_shared<sqlite::Databases>();
  }
  for (const auto& [id, component] : app_.components) {
    for (const auto& label : component.sqlite_databases) {
      if (sqlite_->find(label) == nullptr)
        return fail(
            "component '{}' uses SQLite database '{}', which is not defined: define it in the "
            "runtime config ([sqlite_database.{}]); only 'default' exists without one",
            id, label, label);
    }
  }
  LEPTON_CHECK(sqlite::run_startup_statements(*sqlite_, options.sqlite_statements));
  options.components.sqlite = sqlite_.get();
  return {};
}

}  // namespace lepton::triggers
