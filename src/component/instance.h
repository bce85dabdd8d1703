// One request's instance of a component: runs the template's plan (linker.h) in a fresh store —
// core modules instantiated in order, imports wired to earlier instances' exports or to host
// trampolines — and calls lifted exports with the canonical ABI. Host functions reach this
// object (and its InstanceState) from inside trampolines through the store's data.
#pragma once

#include <wasmtime.h>

#include <deque>
#include <memory>
#include <span>
#include <vector>

#include "common/result.h"
#include "component/host.h"
#include "component/linker.h"
#include "component/values.h"
#include "engine/store.h"

namespace lepton::component {

class ComponentInstance {
 public:
  // `configure` runs before any guest code (start functions, _initialize) so host interfaces
  // find their per-request configuration in the state.
  static Result<std::unique_ptr<ComponentInstance>> instantiate(
      std::shared_ptr<const ComponentTemplate> tmpl, engine::Store& store,
      const std::function<void(InstanceState&)>& configure = {});
  ~ComponentInstance();
  ComponentInstance(const ComponentInstance&) = delete;
  ComponentInstance& operator=(const ComponentInstance&) = delete;

  InstanceState& state() { return state_; }
  const ComponentTemplate& component() const { return *tmpl_; }
  wasmtime_context_t* context() const { return context_; }

  // Calls a lifted export: lowers `args`, runs the guest, lifts the results, runs post-return.
  Result<std::vector<Val>> call(const LiftedFunction& f, std::span<const Val> args) {
    return call_from(f, args, -1);
  }
  // The handle table of component instance `instance` (linker.h); 0 is state().handles().
  HandleTable& handles(uint32_t instance) { return *tables_.at(instance); }

  // Called by trampolines (instance.cc).
  Status run(const Trampoline& t, wasmtime_val_raw_t* values, size_t count);

 private:
  ComponentInstance(std::shared_ptr<const ComponentTemplate> tmpl, engine::Store& store);
  Result<wasmtime_extern_t> slot(int32_t index);
  Result<std::span<uint8_t>> memory(int32_t slot);
  Status drop_resource(const Trampoline& t, uint32_t index);
  // `f` called by component instance `caller` (-1: the host).
  Result<std::vector<Val>> call_from(const LiftedFunction& f, std::span<const Val> args,
                                     int32_t caller);
  // The spec's ComponentInstance.enter_from / leave_to: instance `callee` and its ancestors,
  // less those `caller` is already inside, are entered for the duration of a call.
  Status enter(uint32_t callee, int32_t caller);
  void leave(uint32_t callee, int32_t caller);
  bool inside(uint32_t instance, int32_t caller) const;

  std::shared_ptr<const ComponentTemplate> tmpl_;
  engine::Store& store_;
  wasmtime_context_t* context_;
  InstanceState state_;
  Result<wasmtime_extern_t> item(const CoreItem& item);

  std::vector<wasmtime_instance_t> cores_;  // by plan step (unused for export bags)
  std::vector<bool> instantiated_;
  std::vector<std::optional<wasmtime_extern_t>> slots_;
  std::vector<wasmtime_extern_t> trampolines_;  // by trampoline number, made once per instance
  // Per component instance (linker.h): its handle table (0: state_.handles()) and the spec's
  // may_enter (not on the call stack) and may_leave (not in post-return or realloc) flags.
  struct Flags {
    bool may_enter = true;
    bool may_leave = true;
  };
  std::vector<HandleTable*> tables_;
  std::deque<HandleTable> nested_tables_;
  std::vector<Flags> flags_;
  // Per-call buffers of run(), reused across calls (one set per nesting level: a guest realloc
  // run while lowering results may call another trampoline).
  struct Scratch {
    std::vector<Val> args;
    std::vector<Val> results;
    std::vector<wasmtime_val_raw_t> flat;
  };
  std::vector<std::unique_ptr<Scratch>> scratch_;
  size_t depth_ = 0;
};

}  // namespace lepton::component
