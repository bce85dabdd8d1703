#include "engine/store.h"

#include <limits>

#include "engine/wasmtime_ext.h"

namespace lepton::engine {

Store::Store(Engine& engine, const StoreLimits& limits)
    : engine_(engine),
      store_(wasmtime_store_new(engine.raw(), &data_, nullptr)),
      context_(wasmtime_store_context(store_)) {
  // Epoch interruption is always on in the engine, so every store needs a deadline; "no
  // timeout" is a deadline far beyond any real run.
  uint64_t ticks =
      limits.timeout ? engine.ticks_for(*limits.timeout) : std::numeric_limits<uint64_t>::max() / 2;
  wasmtime_context_set_epoch_deadline(context_, ticks);
  if (limits.max_memory_bytes) {
    wasmtime_store_limiter(store_, static_cast<int64_t>(*limits.max_memory_bytes), -1, -1, -1, -1);
  }
}

Store::~Store() { wasmtime_store_delete(store_); }

std::optional<wasmtime_func_t> find_export_func(wasmtime_context_t* context,
                                                const wasmtime_instance_t& instance,
                                                std::string_view name) {
  wasmtime_extern_t item;
  if (!wasmtime_instance_export_get(context, &instance, name.data(), name.size(), &item))
    return std::nullopt;
  if (item.kind != WASMTIME_EXTERN_FUNC) {
    wasmtime_extern_delete(&item);
    return std::nullopt;
  }
  return item.of.func;
}

Result<wasmtime_func_t> export_func(wasmtime_context_t* context,
                                    const wasmtime_instance_t& instance, std::string_view name) {
  if (auto f = find_export_func(context, instance, name)) return *f;
  return fail("the module exports no function '{}'", name);
}

Result<wasmtime_memory_t> export_memory(wasmtime_context_t* context,
                                        const wasmtime_instance_t& instance,
                                        std::string_view name) {
  wasmtime_extern_t item;
  if (!wasmtime_instance_export_get(context, &instance, name.data(), name.size(), &item))
    return fail("the module exports no memory '{}'", name);
  if (item.kind != WASMTIME_EXTERN_MEMORY) {
    wasmtime_extern_delete(&item);
    return fail("the export '{}' is not a memory", name);
  }
  return item.of.memory;
}

ExportIndex::ExportIndex(const wasmtime_module_t* module, std::string_view name)
    : export_(lepton_module_export_index(module, name.data(), name.size())), name_(name) {}

void ExportIndex::Deleter::operator()(lepton_module_export* e) const {
  lepton_module_export_delete(e);
}

std::optional<wasmtime_func_t> ExportIndex::func(wasmtime_context_t* context,
                                                 const wasmtime_instance_t& instance) const {
  if (!export_) return std::nullopt;
  wasmtime_extern_t item;
  if (!lepton_instance_module_export(context, &instance, export_.get(), &item)) return std::nullopt;
  if (item.kind != WASMTIME_EXTERN_FUNC) {
    wasmtime_extern_delete(&item);
    return std::nullopt;
  }
  return item.of.func;
}

std::optional<wasmtime_memory_t> ExportIndex::memory(wasmtime_context_t* context,
                                                     const wasmtime_instance_t& instance) const {
  if (!export_) return std::nullopt;
  wasmtime_extern_t item;
  if (!lepton_instance_module_export(context, &instance, export_.get(), &item)) return std::nullopt;
  if (item.kind != WASMTIME_EXTERN_MEMORY) {
    wasmtime_extern_delete(&item);
    return std::nullopt;
  }
  return item.of.memory;
}

Result<wasmtime_func_t> export_func(wasmtime_context_t* context,
                                    const wasmtime_instance_t& instance, const ExportIndex& index) {
  if (auto f = index.func(context, instance)) return *f;
  return fail("the module exports no function '{}'", index.name());
}

Result<wasmtime_memory_t> export_memory(wasmtime_context_t* context,
                                        const wasmtime_instance_t& instance,
                                        const ExportIndex& index) {
  if (auto m = index.memory(context, instance)) return *m;
  // The by-name lookup tells a missing export from one of another kind.
  return export_memory(context, instance, index.name());
}

}  // namespace lepton::engine
