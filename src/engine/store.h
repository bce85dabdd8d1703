// Per-request state: one Wasmtime store per request, created from the pooling allocator and
// dropped when the response is done, so no guest state survives between requests.
#pragma once

#include <wasmtime.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "engine/engine.h"

struct lepton_module_export;  // engine/wasmtime_ext.h

namespace lepton::engine {

class GuestTask;

namespace detail {
template <typename T>
inline constexpr char type_key = 0;  // one distinct address per T, no RTTI needed
}

// The store's data: host interfaces put their per-request state here, keyed by type, and find
// it again from inside host functions through the caller's context. The engine knows none of
// these types.
class StoreData {
 public:
  template <typename T>
  void set(T* state) {
    for (auto& e : entries_) {
      if (e.key == nullptr || e.key == &detail::type_key<T>) {
        e = {&detail::type_key<T>, state};
        return;
      }
    }
    std::abort();  // more host interfaces in one store than slots: raise kSlots
  }

  template <typename T>
  T* get() const {
    for (const auto& e : entries_)
      if (e.key == &detail::type_key<T>) return static_cast<T*>(e.value);
    return nullptr;
  }

  static StoreData& of(wasmtime_context_t* context) {
    return *static_cast<StoreData*>(wasmtime_context_get_data(context));
  }
  static StoreData& of(wasmtime_caller_t* caller) { return of(wasmtime_caller_context(caller)); }

  // The task whose fiber runs this store's guest code (guest_task.h), while there is one.
  GuestTask* task() const { return task_; }
  void set_task(GuestTask* task) { task_ = task; }

 private:
  GuestTask* task_ = nullptr;
  static constexpr size_t kSlots = 12;
  struct Entry {
    const void* key = nullptr;
    void* value = nullptr;
  };
  std::array<Entry, kSlots> entries_{};
};

struct StoreLimits {
  std::optional<std::chrono::milliseconds> timeout;  // epoch deadline; none = run until done
  std::optional<uint64_t> max_memory_bytes;          // per linear memory
};

class Store {
 public:
  Store(Engine& engine, const StoreLimits& limits);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  wasmtime_context_t* context() const { return context_; }
  wasmtime_store_t* raw() const { return store_; }
  Engine& engine() const { return engine_; }
  StoreData& data() { return data_; }

 private:
  Engine& engine_;
  StoreData data_;
  wasmtime_store_t* store_;
  wasmtime_context_t* context_;
};

// Looks up an exported function / memory of an instance; the error names the export.
Result<wasmtime_func_t> export_func(wasmtime_context_t* context,
                                    const wasmtime_instance_t& instance, std::string_view name);
std::optional<wasmtime_func_t> find_export_func(wasmtime_context_t* context,
                                                const wasmtime_instance_t& instance,
                                                std::string_view name);
Result<wasmtime_memory_t> export_memory(wasmtime_context_t* context,
                                        const wasmtime_instance_t& instance,
                                        std::string_view name = "memory");

// An export of one module, located once (at load) so that each request's instance finds it
// without a lookup by name. Empty when the module has no such export. Thread-safe to share.
class ExportIndex {
 public:
  ExportIndex() = default;
  ExportIndex(const wasmtime_module_t* module, std::string_view name);

  explicit operator bool() const { return export_ != nullptr; }
  std::string_view name() const { return name_; }

  // The export in `instance`, which must be an instance of the module (nullopt otherwise, or
  // when the export is of another kind).
  std::optional<wasmtime_func_t> func(wasmtime_context_t* context,
                                      const wasmtime_instance_t& instance) const;
  std::optional<wasmtime_memory_t> memory(wasmtime_context_t* context,
                                          const wasmtime_instance_t& instance) const;

 private:
  struct Deleter {
    void operator()(lepton_module_export* e) const;
  };
  std::unique_ptr<lepton_module_export, Deleter> export_;
  std::string name_;
};

// As export_func / export_memory, with the same errors.
Result<wasmtime_func_t> export_func(wasmtime_context_t* context,
                                    const wasmtime_instance_t& instance, const ExportIndex& index);
Result<wasmtime_memory_t> export_memory(wasmtime_context_t* context,
                                        const wasmtime_instance_t& instance,
                                        const ExportIndex& index);

}  // namespace lepton::engine
