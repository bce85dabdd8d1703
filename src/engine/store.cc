#include "engine/store.h"

#include <limits>

namespace lepton::engine {

Store::Store(Engine& engine, const StoreLimits& limits)
    : store_(wasmtime_store_new(engine.raw(), &data_, nullptr)),
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

}  // namespace lepton::engine
