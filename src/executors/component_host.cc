#include "executors/component_host.h"

#include <algorithm>

#include "app/template.h"
#include "component/binary.h"

namespace lepton::executors {

namespace {

std::vector<std::string> export_names(const wasmtime_module_t* module) {
  wasm_exporttype_vec_t exports;
  wasmtime_module_exports(module, &exports);
  std::vector<std::string> names;
  for (size_t i = 0; i < exports.size; ++i) {
    const wasm_name_t* name = wasm_exporttype_name(exports.data[i]);
    names.emplace_back(name->data, name->size);
  }
  wasm_exporttype_vec_delete(&exports);
  return names;
}

}  // namespace

Result<std::unique_ptr<ComponentHost>> ComponentHost::load(engine::Engine& engine,
                                                           wasmtime_linker_t* linker,
                                                           const component::HostRegistry& registry,
                                                           const app::Component& spec,
                                                           const app::VariableResolver& variables,
                                                           const ComponentOptions& options) {
  auto host = std::unique_ptr<ComponentHost>(new ComponentHost());
  host->spec_ = &spec;
  host->engine_ = &engine;
  host->variables_ = &variables;
  host->limits_ = options.limits;
  host->key_value_ = options.key_value;
  host->sqlite_ = options.sqlite;
  std::string what = fmt::format("component '{}' ({})", spec.id, spec.source.string());

  LEPTON_TRY(std::string wasm, engine::read_file(spec.source));
  auto bytes = std::span(reinterpret_cast<const uint8_t*>(wasm.data()), wasm.size());
  component::LinkOptions link;
  link.trap_missing_imports = options.trap_missing_imports;
  if (component::binary::is_component(bytes)) {
    LEPTON_TRY(host->component_,
               component::ComponentTemplate::load(engine, registry, bytes, what, link));
  } else if (component::binary::has_component_type(bytes)) {
    // wit-bindgen output not yet componentized: Spin converts it at load, so does lepton.
    LEPTON_TRY(host->component_,
               component::ComponentTemplate::load_core_module(engine, registry, bytes, what, link));
  } else {
    LEPTON_TRY(auto loaded, engine::load_module(engine, bytes, what));
    host->module_ = std::move(loaded.module);
    host->origin_ = loaded.origin;
    host->exports_ = export_names(host->module_.get());
    host->initialize_ = engine::ExportIndex(host->module_.get(), "_initialize");

    wasmtime_instance_pre_t* pre = nullptr;
    if (wasmtime_error_t* error =
            wasmtime_linker_instantiate_pre(linker, host->module_.get(), &pre))
      return engine::take_error(error).context(fmt::format("linking {}", what));
    host->pre_.reset(pre);
  }

  LEPTON_TRY(host->files_, wasi::FileTree::build(spec.files));
  for (const auto& [k, v] : spec.environment) host->env_.emplace_back(k, v);
  for (const auto& kv : options.extra_env) host->env_.push_back(kv);

  // allowed_outbound_hosts may use {{ variables }}: render them once, at startup.
  std::vector<std::string> hosts;
  for (const auto& entry : spec.allowed_outbound_hosts) {
    LEPTON_TRY(auto rendered, variables.render(entry));
    hosts.push_back(std::move(rendered));
  }
  // The rendered entries may hold secret variables: errors name them redacted.
  auto allowed = app::AllowedHosts::parse(hosts);
  if (!allowed) return Error{variables.redact_secrets(allowed.error().message)};
  host->allowed_hosts_ = std::move(*allowed);

  bool followed = options.follow.empty() || std::find(options.follow.begin(), options.follow.end(),
                                                      spec.id) != options.follow.end();
  LEPTON_TRY(host->logs_,
             ComponentLogs::open(options.log_dir, spec.id, options.echo_output && followed));
  return host;
}

bool ComponentHost::exports_function(std::string_view name) const {
  return std::find(exports_.begin(), exports_.end(), name) != exports_.end();
}

Result<wasmtime_instance_t> ComponentHost::instantiate(engine::Store& store) const {
  if (!pre_) return fail("component '{}' is a component-model component, not a core module", id());
  wasmtime_instance_t instance;
  wasm_trap_t* trap = nullptr;
  if (wasmtime_error_t* error =
          wasmtime_instance_pre_instantiate(pre_.get(), store.context(), &instance, &trap))
    return engine::take_error(error).context(fmt::format("instantiating component '{}'", id()));
  if (trap != nullptr)
    return engine::take_trap(trap).context(fmt::format("starting component '{}'", id()));
  return instance;
}

}  // namespace lepton::executors
