#include "component/instance.h"

#include <fmt/format.h>

#include "common/suspend.h"
#include "engine/guest_call.h"

namespace lepton::component {

namespace {

// The guest's cabi_realloc, resolved per call from the options' slot. The instance may not call
// imports while it runs (the spec clears may_leave).
class SlotRealloc final : public Realloc {
 public:
  SlotRealloc(wasmtime_context_t* cx, wasmtime_func_t func, wasmtime_memory_t memory,
              bool& may_leave)
      : cx_(cx), func_(func), memory_(memory), may_leave_(may_leave) {}
  Result<uint32_t> realloc(uint32_t old_ptr, uint32_t old_size, uint32_t alignment,
                           uint32_t new_size) override {
    uint32_t out = 0;
    may_leave_ = false;
    Status s =
        engine::call_i32(cx_, func_, {old_ptr, old_size, alignment, new_size}, std::span(&out, 1));
    may_leave_ = true;
    LEPTON_CHECK(std::move(s));
    return out;
  }
  std::span<uint8_t> memory() override {
    return {wasmtime_memory_data(cx_, &memory_), wasmtime_memory_data_size(cx_, &memory_)};
  }

 private:
  wasmtime_context_t* cx_;
  wasmtime_func_t func_;
  wasmtime_memory_t memory_;
  bool& may_leave_;
};

constexpr std::string_view kMayNotLeave =
    "canonical ABI: a component instance may not call imports during post-return or realloc";

}  // namespace

wasm_trap_t* run_trampoline(void* env, wasmtime_caller_t* caller, wasmtime_val_raw_t* values,
                            size_t count) {
  const auto& t = *static_cast<const Trampoline*>(env);
  auto* instance = engine::StoreData::of(caller).get<ComponentInstance>();
  if (instance == nullptr) {
    static constexpr std::string_view kMsg =
        "component trampoline called outside a component instance";
    return wasmtime_trap_new(kMsg.data(), kMsg.size());
  }
  Status s = instance->run(t, values, count);
  if (s.ok()) return nullptr;
  std::string message = fmt::format("{}: {}", t.name, s.error().message);
  return wasmtime_trap_new(message.data(), message.size());
}

ComponentInstance::ComponentInstance(std::shared_ptr<const ComponentTemplate> tmpl,
                                     engine::Store& store)
    : tmpl_(std::move(tmpl)), store_(store), context_(store.context()) {}

ComponentInstance::~ComponentInstance() {
  if (store_.data().get<ComponentInstance>() == this) store_.data().set<ComponentInstance>(nullptr);
}

Result<std::unique_ptr<ComponentInstance>> ComponentInstance::instantiate(
    std::shared_ptr<const ComponentTemplate> tmpl, engine::Store& store,
    const std::function<void(InstanceState&)>& configure) {
  auto self = std::unique_ptr<ComponentInstance>(new ComponentInstance(std::move(tmpl), store));
  const ComponentTemplate& t = *self->tmpl_;
  store.data().set<ComponentInstance>(self.get());
  if (configure) configure(self->state_);
  for (const CoreImportProvider* p : t.core_imports()) p->attach(self->state_, self->context_);
  self->cores_.resize(t.plan().size());
  self->instantiated_.assign(t.plan().size(), false);
  self->slots_.assign(t.slots().size(), std::nullopt);
  size_t instances = std::max<size_t>(t.instance_parents().size(), 1);
  self->tables_.push_back(&self->state_.handles());
  for (size_t i = 1; i < instances; ++i) {
    self->nested_tables_.emplace_back(static_cast<uint32_t>(i));
    self->tables_.push_back(&self->nested_tables_.back());
  }
  self->flags_.assign(instances, Flags{});
  if (size_t n = t.trampolines().size(); n > 0) {
    self->trampolines_.resize(n);
    size_t got = lepton_linker_get_indexed(t.trampoline_linker(), self->context_, "lepton", 6,
                                           self->trampolines_.data(), n);
    if (got != n) return fail("{} of {} trampolines missing", n - got, n);
  }
  std::vector<wasmtime_extern_t> imports;
  for (size_t i = 0; i < t.plan().size(); ++i) {
    const CoreStep& step = t.plan()[i];
    if (!step.instantiate) continue;
    imports.clear();
    for (const CoreItem& item : step.imports) {
      auto ext = self->item(item);
      if (!ext) return std::move(ext).error().context(step.what);
      imports.push_back(*ext);
    }
    wasm_trap_t* trap = nullptr;
    wasmtime_error_t* error =
        wasmtime_instance_new(self->context_, t.modules()[step.module].get(), imports.data(),
                              imports.size(), &self->cores_[i], &trap);
    if (error != nullptr) return engine::take_error(error).context(step.what);
    if (trap != nullptr) {
      wasmtime_trap_code_t code;
      bool interrupted = wasmtime_trap_code(trap, &code) && code == WASMTIME_TRAP_CODE_INTERRUPT;
      Error e = engine::take_trap(trap);
      if (interrupted) e.message = "interrupt (" + e.message + ")";
      return e.context(step.what);
    }
    self->instantiated_[i] = true;
  }
  if (t.initialize() >= 0) {
    LEPTON_TRY(wasmtime_extern_t init, self->slot(t.initialize()));
    if (init.kind != WASMTIME_EXTERN_FUNC) return fail("_initialize is not a function");
    Status s = engine::call_raw(self->context_, init.of.func, {});
    if (!s.ok())  // an interrupt keeps its marker first (engine::is_interrupt)
      return engine::is_interrupt(s.error()) ? std::move(s).error()
                                             : std::move(s).error().context("_initialize");
  }
  return self;
}

Result<wasmtime_extern_t> ComponentInstance::item(const CoreItem& item) {
  if (item.kind == CoreItem::Kind::kTrampoline) {
    if (item.trampoline >= trampolines_.size())
      return fail("trampoline {} missing", item.trampoline);
    return trampolines_[item.trampoline];
  }
  if (item.kind == CoreItem::Kind::kHostCore) {
    const auto& providers = tmpl_->core_imports();
    if (item.instance >= providers.size())
      return fail("core import provider {} missing", item.instance);
    const std::string& module = providers[item.instance]->module;
    wasmtime_extern_t ext;
    if (!wasmtime_linker_get(tmpl_->trampoline_linker(), context_, module.data(), module.size(),
                             item.name.data(), item.name.size(), &ext))
      return fail("'{}' '{}' is not defined", module, item.name);
    return ext;
  }
  if (item.instance >= instantiated_.size() || !instantiated_[item.instance])
    return fail("'{}' of core instance {} used before that instance exists", item.name,
                item.instance);
  wasmtime_extern_t ext;
  if (item.export_ref >= 0 &&
      lepton_instance_module_export(context_, &cores_[item.instance],
                                    tmpl_->export_ref(item.export_ref), &ext))
    return ext;
  if (!wasmtime_instance_export_get(context_, &cores_[item.instance], item.name.data(),
                                    item.name.size(), &ext))
    return fail("core instance {} has no export '{}'", item.instance, item.name);
  return ext;
}

Result<wasmtime_extern_t> ComponentInstance::slot(int32_t index) {
  auto& cached = slots_.at(static_cast<size_t>(index));
  if (cached) return *cached;
  LEPTON_TRY(wasmtime_extern_t ext, item(tmpl_->slots()[static_cast<size_t>(index)]));
  cached = ext;
  return ext;
}

Result<std::span<uint8_t>> ComponentInstance::memory(int32_t index) {
  LEPTON_TRY(wasmtime_extern_t ext, slot(index));
  if (ext.kind != WASMTIME_EXTERN_MEMORY) return fail("canonical option memory is not a memory");
  return std::span<uint8_t>(wasmtime_memory_data(context_, &ext.of.memory),
                            wasmtime_memory_data_size(context_, &ext.of.memory));
}

Status ComponentInstance::run(const Trampoline& t, wasmtime_val_raw_t* values, size_t count) {
  HandleTable& handles = *tables_[t.instance];
  Flags& flags = flags_[t.instance];
  if (!flags.may_leave && t.kind != Trampoline::Kind::kResourceRep) return fail("{}", kMayNotLeave);
  switch (t.kind) {
    case Trampoline::Kind::kResourceNew: {
      LEPTON_TRY(uint32_t index,
                 resource_new(handles, t.resource, static_cast<uint32_t>(values[0].i32)));
      values[0].i32 = static_cast<int32_t>(index);
      return {};
    }
    case Trampoline::Kind::kResourceRep: {
      LEPTON_TRY(uint32_t rep,
                 resource_rep(handles, *t.resource, static_cast<uint32_t>(values[0].i32)));
      values[0].i32 = static_cast<int32_t>(rep);
      return {};
    }
    case Trampoline::Kind::kResourceDrop:
      return drop_resource(t, static_cast<uint32_t>(values[0].i32));
    case Trampoline::Kind::kMissing:
      return fail(
          "lepton does not provide this import (linked to trap because of "
          "--trap-missing-imports)");
    case Trampoline::Kind::kHost:
    case Trampoline::Kind::kAdapter:
      break;
  }

  Context cx;
  cx.encoding = t.options.encoding;
  cx.handles = &handles;
  ImportCall call(handles);
  cx.import_call = &call;
  std::optional<SlotRealloc> realloc;
  if (t.options.memory >= 0) {
    LEPTON_TRY(cx.memory, memory(t.options.memory));
    if (t.options.realloc >= 0) {
      LEPTON_TRY(wasmtime_extern_t mem, slot(t.options.memory));
      LEPTON_TRY(wasmtime_extern_t fn, slot(t.options.realloc));
      if (fn.kind != WASMTIME_EXTERN_FUNC)
        return fail("canonical option realloc is not a function");
      realloc.emplace(context_, fn.of.func, mem.of.memory, flags.may_leave);
      cx.realloc = &*realloc;
    }
  }
  const FunctionType& type = t.kind == Trampoline::Kind::kAdapter ? t.callee.type : t.host->type;
  if (depth_ == scratch_.size()) scratch_.push_back(std::make_unique<Scratch>());
  Scratch& scratch = *scratch_[depth_];
  ++depth_;
  struct Leave {
    size_t& depth;
    Scratch& scratch;
    ~Leave() {
      scratch.args.clear();
      scratch.results.clear();
      --depth;
    }
  } leave{depth_, scratch};
  std::vector<Val>& args = scratch.args;
  std::vector<Val>& results = scratch.results;
  FlatReader in(std::span<const wasmtime_val_raw_t>(values, count));
  if (t.signature.params_indirect) {
    LEPTON_TRY(args, lift_flat_values(cx, kMaxFlatParams, in, type.params));
  } else {
    for (const TypePtr& p : type.params) {
      LEPTON_TRY(Val v, lift_flat(cx, in, *p));
      args.push_back(std::move(v));
    }
  }
  std::optional<uint32_t> out_ptr;
  if (t.signature.results_indirect) {
    LEPTON_TRY(const wasmtime_val_raw_t* p, in.next());
    out_ptr = static_cast<uint32_t>(p->i32);
  }
  if (t.kind == Trampoline::Kind::kAdapter) {
    LEPTON_TRY(results, call_from(t.callee, args, static_cast<int32_t>(t.instance)));
    // The callee may have run code that grew this instance's memory (a parent reentered by its
    // child, which the spec allows).
    if (t.options.memory >= 0) {
      LEPTON_TRY(cx.memory, memory(t.options.memory));
    }
  } else if (t.host->off_loop && Suspendable::current() != nullptr) {
    // The host function only sees lifted values and this instance's state, never the store:
    // it can run on a worker thread while this guest is suspended.
    HostCall host_call{state_, args, results};
    Status status;
    run_off_loop([&] { status = t.host->fn(host_call); });
    LEPTON_CHECK(status);
  } else {
    HostCall host_call{state_, args, results};
    LEPTON_CHECK(t.host->fn(host_call));
  }
  if (results.size() != type.results.size())
    return fail("host function returned {} values for {} results", results.size(),
                type.results.size());
  call.finish();  // borrows lent to the host end with the call, before results are lowered
  if (t.signature.results_indirect) {
    std::vector<wasmtime_val_raw_t> none;
    return lower_flat_values(cx, kMaxFlatResults, results, type.results, none, out_ptr);
  }
  std::vector<wasmtime_val_raw_t>& out = scratch.flat;
  out.clear();
  for (size_t i = 0; i < results.size(); ++i)
    LEPTON_CHECK(lower_flat(cx, results[i], *type.results[i], out));
  for (size_t i = 0; i < out.size() && i < count; ++i) values[i] = out[i];
  return {};
}

bool ComponentInstance::inside(uint32_t instance, int32_t caller) const {
  const auto& parents = tmpl_->instance_parents();
  for (int32_t i = caller; i >= 0; i = parents[static_cast<size_t>(i)])
    if (static_cast<uint32_t>(i) == instance) return true;
  return false;
}

Status ComponentInstance::enter(uint32_t callee, int32_t caller) {
  const auto& parents = tmpl_->instance_parents();
  for (int32_t i = static_cast<int32_t>(callee); i >= 0; i = parents[static_cast<size_t>(i)]) {
    if (inside(static_cast<uint32_t>(i), caller)) continue;
    if (!flags_[static_cast<size_t>(i)].may_enter)
      return fail(
          "canonical ABI: cannot enter component instance {} while it is already running "
          "(reentrance)",
          i);
  }
  for (int32_t i = static_cast<int32_t>(callee); i >= 0; i = parents[static_cast<size_t>(i)])
    if (!inside(static_cast<uint32_t>(i), caller)) flags_[static_cast<size_t>(i)].may_enter = false;
  return {};
}

void ComponentInstance::leave(uint32_t callee, int32_t caller) {
  const auto& parents = tmpl_->instance_parents();
  for (int32_t i = static_cast<int32_t>(callee); i >= 0; i = parents[static_cast<size_t>(i)])
    if (!inside(static_cast<uint32_t>(i), caller)) flags_[static_cast<size_t>(i)].may_enter = true;
}

Status ComponentInstance::drop_resource(const Trampoline& t, uint32_t index) {
  HandleTable& handles = *tables_[t.instance];
  LEPTON_TRY(ResourceHandle * h, handles.get(index));
  bool own = h->own;
  uint32_t rep = h->rep;
  LEPTON_CHECK(resource_drop(handles, *t.resource, index));
  if (!own) return {};
  if (t.host_resource != nullptr && t.host_resource->drop)
    return t.host_resource->drop(state_, rep);
  if (t.guest_dtor >= 0) {
    LEPTON_TRY(wasmtime_extern_t fn, slot(t.guest_dtor));
    if (fn.kind != WASMTIME_EXTERN_FUNC) return fail("resource destructor is not a function");
    // Like a call into the implementing instance (a no-op when it drops its own resource).
    uint32_t impl = t.resource->component_instance();
    auto caller = static_cast<int32_t>(t.instance);
    LEPTON_CHECK(enter(impl, caller));
    Status s = engine::call_i32(context_, fn.of.func, {rep}, {});
    leave(impl, caller);
    return s;
  }
  return {};
}

Result<std::vector<Val>> ComponentInstance::call_from(const LiftedFunction& f,
                                                      std::span<const Val> args, int32_t caller) {
  LEPTON_CHECK(enter(f.instance, caller));
  struct Left {
    ComponentInstance* self;
    uint32_t callee;
    int32_t caller;
    ~Left() { self->leave(callee, caller); }
  } left{this, f.instance, caller};
  Flags& flags = flags_[f.instance];
  Context cx;
  cx.encoding = f.options.encoding;
  cx.handles = tables_[f.instance];
  ExportCall export_call;
  cx.export_call = &export_call;
  std::optional<SlotRealloc> realloc;
  if (f.options.memory >= 0) {
    LEPTON_TRY(cx.memory, memory(f.options.memory));
    if (f.options.realloc >= 0) {
      LEPTON_TRY(wasmtime_extern_t mem, slot(f.options.memory));
      LEPTON_TRY(wasmtime_extern_t fn, slot(f.options.realloc));
      if (fn.kind != WASMTIME_EXTERN_FUNC)
        return fail("canonical option realloc is not a function");
      realloc.emplace(context_, fn.of.func, mem.of.memory, flags.may_leave);
      cx.realloc = &*realloc;
    }
  }
  std::vector<wasmtime_val_raw_t> flat;
  LEPTON_CHECK(lower_flat_values(cx, kMaxFlatParams, args, f.type.params, flat));
  size_t params = flat.size();
  flat.resize(std::max(params, f.signature.results.size()));
  LEPTON_TRY(wasmtime_extern_t fn, slot(f.core_func));
  if (fn.kind != WASMTIME_EXTERN_FUNC) return fail("lifted core export is not a function");
  LEPTON_CHECK(engine::call_raw(context_, fn.of.func, flat));
  if (f.options.memory >= 0) {
    LEPTON_TRY(cx.memory, memory(f.options.memory));
  }
  std::vector<wasmtime_val_raw_t> raw_results(
      flat.begin(), flat.begin() + static_cast<ptrdiff_t>(f.signature.results.size()));
  FlatReader in(raw_results);
  LEPTON_TRY(std::vector<Val> results, lift_flat_values(cx, kMaxFlatResults, in, f.type.results));
  if (f.options.post_return >= 0) {
    LEPTON_TRY(wasmtime_extern_t post, slot(f.options.post_return));
    if (post.kind != WASMTIME_EXTERN_FUNC) return fail("post-return is not a function");
    flags.may_leave = false;  // post-return may not call imports
    Status s = engine::call_raw(context_, post.of.func, raw_results);
    flags.may_leave = true;
    LEPTON_CHECK(std::move(s));
  }
  LEPTON_CHECK(export_call.finish());
  return results;
}

}  // namespace lepton::component
