// Host interfaces as components see them: named interfaces ("wasi:io/streams") made of resource
// types and functions with component-level types, implemented in C++ over lifted values.
//
// One HostRegistry holds every interface lepton provides (filled at one registration point,
// src/host/registry.cc). Interfaces are registered without a version: a component importing
// "wasi:io/streams@0.2.0" and one importing "@0.2.6" bind to the same functions and the same
// resource types, so a stream made by wasi:http 0.2.3 is usable through wasi:io 0.2.0.
//
// Per request, every component instance gets an InstanceState: the guest's handle table and the
// host interfaces' per-request state (objects behind host resources, configuration). Host
// functions reach it through HostCall; nothing is global.
#pragma once

#include <wasmtime.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "component/resources.h"
#include "component/types.h"
#include "component/values.h"

namespace lepton::component {

// Per-request state of one component instance, as host functions see it.
class InstanceState {
 public:
  InstanceState() = default;
  InstanceState(const InstanceState&) = delete;
  InstanceState& operator=(const InstanceState&) = delete;
  ~InstanceState();

  // The guest's handle table (own/borrow handles to host and guest resources).
  HandleTable& handles() { return handles_; }

  // Per-request state of a host interface, keyed by type, default-constructed on first use and
  // destroyed with the request (in reverse order of creation).
  template <typename T>
  T& state() {
    if (T* existing = find<T>()) return *existing;
    auto owned = std::make_unique<T>();
    T* raw = owned.get();
    states_.push_back({&key<T>, raw, [](void* p) { delete static_cast<T*>(p); }});
    owned.release();
    return *raw;
  }
  // Installs a state built by the caller (e.g. the executor's configuration), replacing any.
  template <typename T>
  T& emplace(std::unique_ptr<T> value) {
    erase<T>();
    T* raw = value.release();
    states_.push_back({&key<T>, raw, [](void* p) { delete static_cast<T*>(p); }});
    return *raw;
  }
  template <typename T>
  T* find() const {
    for (const auto& s : states_)
      if (s.key == &key<T>) return static_cast<T*>(s.value);
    return nullptr;
  }

 private:
  template <typename T>
  static inline const char key = 0;  // one address per T, no RTTI needed
  struct Slot {
    const void* key;
    void* value;
    void (*destroy)(void*);
  };
  template <typename T>
  void erase() {
    for (auto it = states_.begin(); it != states_.end(); ++it) {
      if (it->key == &key<T>) {
        it->destroy(it->value);
        states_.erase(it);
        return;
      }
    }
  }

  HandleTable handles_;
  std::vector<Slot> states_;
};

// Objects behind the handles of one host resource type within one request: rep = index + 1
// (rep 0 is never handed out, so a zeroed handle in guest memory never aliases an object).
template <typename T>
class ObjectTable {
 public:
  uint32_t insert(T value) {
    if (!free_.empty()) {
      uint32_t i = free_.back();
      free_.pop_back();
      slots_[i] = std::move(value);
      return i + 1;
    }
    slots_.push_back(std::move(value));
    return static_cast<uint32_t>(slots_.size());
  }
  T* get(uint32_t rep) {
    if (rep == 0 || rep > slots_.size() || !slots_[rep - 1]) return nullptr;
    return &*slots_[rep - 1];
  }
  std::optional<T> remove(uint32_t rep) {
    T* v = get(rep);
    if (v == nullptr) return std::nullopt;
    std::optional<T> out(std::move(*v));
    slots_[rep - 1].reset();
    free_.push_back(rep - 1);
    return out;
  }
  size_t size() const { return slots_.size() - free_.size(); }

 private:
  std::vector<std::optional<T>> slots_;
  std::vector<uint32_t> free_;
};

// One call of a host function: lifted arguments in, results out.
struct HostCall {
  InstanceState& instance;
  std::span<const Val> args;
  std::vector<Val>& results;  // the function appends exactly type.results.size() values
};
// An Error traps the calling guest (the request fails with 500); WASI-level failures are values
// (result<_, error-code>), not Errors.
using HostFunction = std::function<Status(HostCall&)>;
// Frees the object behind `rep` when the guest drops its own handle to a host resource.
using HostDrop = std::function<Status(InstanceState&, uint32_t rep)>;

struct HostFunctionDef {
  std::string name;  // the extern name: "get-environment", "[method]fields.get", "[static]…"
  FunctionType type;
  HostFunction fn;
  // fn blocks on a synchronous backend client: called from a guest task, it runs on a worker
  // thread while the task waits suspended (common/suspend.h run_off_loop), never on the loop.
  bool off_loop = false;
};

struct HostResourceDef {
  std::string name;  // "input-stream"
  ResourcePtr type;  // identity shared by every version of the interface
  HostDrop drop;
};

class HostInterface {
 public:
  explicit HostInterface(std::string name) : name_(std::move(name)) {}
  HostInterface(const HostInterface&) = delete;
  HostInterface& operator=(const HostInterface&) = delete;

  const std::string& name() const { return name_; }  // "wasi:io/streams"

  // Declares a resource type of this interface; the returned type is used in function types
  // (ty::own(r), ty::borrow(r)) here and in other interfaces.
  ResourcePtr resource(std::string name, HostDrop drop);
  void function(std::string name, FunctionType type, HostFunction fn);
  // This interface's functions (those defined already and later) call synchronous backend
  // clients: HostFunctionDef::off_loop.
  void run_off_loop();

  const HostResourceDef* find_resource(std::string_view name) const;
  const HostResourceDef* find_resource(const Resource& type) const;
  const HostFunctionDef* find_function(std::string_view name) const;
  const std::vector<HostResourceDef>& resources() const { return resources_; }
  const std::vector<HostFunctionDef>& functions() const { return functions_; }

 private:
  std::string name_;
  std::vector<HostResourceDef> resources_;
  std::vector<HostFunctionDef> functions_;
  bool off_loop_ = false;
};

// Core functions the host gives a core module directly, by import module name: a core module
// adapted at load (linker.h) imports "wasi_snapshot_preview1" itself, with no adapter between.
struct CoreImportProvider {
  std::string module;                  // "wasi_snapshot_preview1"
  std::vector<std::string> functions;  // every name `define` defines (checked at load)
  // Defines the functions in a linker under `module` (once per component template).
  std::function<Status(wasmtime_linker_t*)> define;
  // Per instance, before any guest code: prepares the state the functions find in the store
  // (built from the host interfaces' configuration in `instance`).
  std::function<void(InstanceState& instance, wasmtime_context_t* store)> attach;
};

class HostRegistry {
 public:
  HostRegistry() = default;
  HostRegistry(const HostRegistry&) = delete;
  HostRegistry& operator=(const HostRegistry&) = delete;

  // Adds (or returns the existing) interface `name` ("wasi:io/streams", no version).
  HostInterface& add(std::string_view name);
  // `name` with or without a version suffix ("wasi:io/streams@0.2.3" finds "wasi:io/streams");
  // an interface added under the exact versioned name wins over the unversioned one.
  const HostInterface* find(std::string_view name) const;
  // A resource type declared by an earlier interface; aborts when missing (a registration-order
  // bug, not an input error).
  ResourcePtr resource(std::string_view interface, std::string_view name) const;
  // The interface and definition behind a host resource type (for resource.drop).
  const HostResourceDef* find_resource(const Resource& type) const;

  void add_core_imports(CoreImportProvider provider);
  const CoreImportProvider* find_core_imports(std::string_view module) const;

 private:
  std::map<std::string, std::unique_ptr<HostInterface>, std::less<>> interfaces_;
  std::vector<std::unique_ptr<CoreImportProvider>> core_imports_;
};

// "wasi:io/streams@0.2.3" → "wasi:io/streams"; names without '@' are returned unchanged.
std::string_view strip_version(std::string_view name);

}  // namespace lepton::component
