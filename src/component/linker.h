// Component linking: a parsed component (binary.h) and the host interfaces (host.h) are resolved
// once, at load time, into a ComponentTemplate — a flat plan of core-module instantiations whose
// every import is either an export of an earlier core instance or a host trampoline (a lowered
// host function, a resource built-in, or a function lifted by another component instance).
// Nested components, instance and type aliases, `with` arguments and export ascriptions are all
// resolved here, so a request only runs the plan (instance.h). Every failure names what could not
// be linked and where.
//
// A core module carrying a `component-type` custom section (wit-bindgen's output before
// `wasm-tools component new`) loads as the component that command would make, without an
// adapter: its interface imports become lowered host functions and resource built-ins, its
// `iface#func` exports lifted functions (memory "memory", realloc "cabi_realloc", post-return
// "cabi_post_iface#func"), its wasi_snapshot_preview1 imports lepton's preview 1 (through the
// registry's CoreImportProvider), and a reactor's `_initialize` runs once after instantiation.
//
// Component instances: the top-level component is instance 0 and every nested instantiation gets
// the next number, so a request gives each its own handle table and its own may_enter/may_leave
// flags (CanonicalABI.md's ComponentInstance). A function lifted by one component instance and
// lowered by another (a composed component, e.g. `wac plug` output) becomes an adapter
// trampoline: it lifts the arguments out of the caller, calls the callee's lifted function
// through the host (values pass as `Val`s, so strings transcode between the two encodings and
// own/borrow handles move between the two tables) and lowers the results back.
//
// Limits of this version: async, streams, futures and error-context are rejected at load.
#pragma once

#include <wasmtime.h>

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "component/binary_types.h"
#include "component/canonical_abi.h"
#include "component/host.h"
#include "component/types.h"
#include "engine/engine.h"
#include "engine/module.h"
#include "engine/wasmtime_ext.h"

namespace lepton::component {

// A core item (func, table, memory, global) as a request sees it: the export `name` of plan
// entry `instance`, host trampoline number `trampoline`, or (kHostCore) function `name` of the
// host's core import provider number `instance` (ComponentTemplate::core_imports()).
struct CoreItem {
  enum class Kind : uint8_t { kExport, kTrampoline, kHostCore };
  Kind kind = Kind::kExport;
  binary::CoreExternKind sort = binary::CoreExternKind::kFunc;
  uint32_t instance = 0;
  std::string name;
  uint32_t trampoline = 0;
  // Per-request cache slot for items the host itself uses (memory, realloc, post-return,
  // lifted functions, resource destructors); -1 when the host never looks it up.
  int32_t slot = -1;
  // kExport: index into ComponentTemplate::export_refs() (the export located once at load, so a
  // request needs no lookup by name); -1 when the module has no such export.
  int32_t export_ref = -1;
};

// Canonical options of a lift or lower, with memory/realloc/post-return as cache slots.
struct CanonOptions {
  StringEncoding encoding = StringEncoding::kUtf8;
  int32_t memory = -1;
  int32_t realloc = -1;
  int32_t post_return = -1;
};

// A resource type defined by the component itself (not by the host).
struct GuestResource {
  ResourcePtr type;
  int32_t dtor = -1;  // slot of the core destructor function, -1 when it has none
};

// A function the component exports (lifted), by its full name.
struct LiftedFunction {
  std::string interface;   // "wasi:http/incoming-handler@0.2.3" (empty for a root function)
  std::string name;        // "handle"
  int32_t core_func = -1;  // slot
  FunctionType type;
  CanonOptions options;
  FlatSignature signature;
  uint32_t instance = 0;  // the component instance that lifts it (its handles, its flags)
};

// A core function the host provides to the guest.
struct Trampoline {
  // kMissing: an import the host does not provide, linked to trap when called (LinkOptions).
  // kAdapter: a function lifted by another component instance (`callee`).
  enum class Kind : uint8_t {
    kHost,
    kResourceNew,
    kResourceRep,
    kResourceDrop,
    kMissing,
    kAdapter
  };
  Kind kind = Kind::kHost;
  std::string name;       // for errors: "wasi:http/types@0.2.3#[constructor]fields"
  uint32_t instance = 0;  // the component instance whose core code calls it
  // kHost, kAdapter: the lower's options and core signature
  const HostFunctionDef* host = nullptr;
  CanonOptions options;
  FlatSignature signature;
  LiftedFunction callee;  // kAdapter
  // kResource*: the resource, and how an own handle's drop frees it
  ResourcePtr resource;
  const HostResourceDef* host_resource = nullptr;  // host resource: its drop
  int32_t guest_dtor = -1;                         // guest resource: destructor slot
};

// One step of the plan: instantiate a core module, or group items into an instance (no code).
struct CoreStep {
  bool instantiate = true;
  uint32_t module = 0;                                 // index into ComponentTemplate::modules()
  std::vector<CoreItem> imports;                       // in the module's import order
  std::map<std::string, CoreItem, std::less<>> items;  // !instantiate: the inline exports
  std::string what;                                    // "core instance 4 (module 0)" for errors
};

struct LinkOptions {
  // Imports the host does not provide fail the load (listing them all) unless this is set; then
  // they link to functions that trap when called, and missing() lists them.
  bool trap_missing_imports = false;
};

class ComponentTemplate {
 public:
  // `what` names the component in errors ("component 'hello' (/app/hello.wasm)").
  static Result<std::shared_ptr<const ComponentTemplate>> load(engine::Engine& engine,
                                                               const HostRegistry& host,
                                                               std::span<const uint8_t> bytes,
                                                               std::string_view what,
                                                               const LinkOptions& options = {});
  ~ComponentTemplate();
  ComponentTemplate(const ComponentTemplate&) = delete;
  ComponentTemplate& operator=(const ComponentTemplate&) = delete;

  // An exported function, matching the interface without its version:
  // find_export("wasi:http/incoming-handler", "handle") finds "...@0.2.3#handle".
  const LiftedFunction* find_export(std::string_view interface, std::string_view name) const;
  const std::vector<LiftedFunction>& exports() const { return exports_; }
  // A core module with a `component-type` section (binary::has_component_type), adapted.
  static Result<std::shared_ptr<const ComponentTemplate>> load_core_module(
      engine::Engine& engine, const HostRegistry& host, std::span<const uint8_t> bytes,
      std::string_view what, const LinkOptions& options = {});

  // Interfaces and root functions imported, as written ("wasi:http/types@0.2.3").
  const std::vector<std::string>& imports() const { return imports_; }
  // Imports linked to trap (LinkOptions::trap_missing_imports).
  const std::vector<std::string>& missing() const { return missing_; }

  const std::vector<engine::Module>& modules() const { return modules_; }
  const std::vector<CoreStep>& plan() const { return plan_; }
  const std::vector<Trampoline>& trampolines() const { return trampolines_; }
  const std::vector<CoreItem>& slots() const { return slots_; }
  const std::vector<GuestResource>& guest_resources() const { return guest_resources_; }
  // Host core imports the plan uses (kHostCore items): each attaches its state per instance.
  const std::vector<const CoreImportProvider*>& core_imports() const { return core_imports_; }
  // Slot of a core function to call once after the plan ran (an adapted reactor's
  // `_initialize`); -1 when none.
  int32_t initialize() const { return initialize_; }
  // The parent of each component instance (the one whose `instance` definition instantiates
  // it); -1 for instance 0, the top-level component.
  const std::vector<int32_t>& instance_parents() const { return instance_parents_; }
  wasmtime_linker_t* trampoline_linker() const { return linker_; }
  // Where each CoreItem::export_ref is in its module (lepton_instance_module_export).
  const lepton_module_export_t* export_ref(int32_t i) const {
    return export_refs_[static_cast<size_t>(i)].get();
  }
  const HostRegistry& host() const { return *host_; }
  const std::string& what() const { return what_; }

 private:
  friend class Loader;
  ComponentTemplate() = default;

  std::string what_;
  const HostRegistry* host_ = nullptr;
  std::vector<engine::Module> modules_;
  std::vector<CoreStep> plan_;
  std::vector<Trampoline> trampolines_;
  std::vector<CoreItem> slots_;
  std::vector<GuestResource> guest_resources_;
  std::vector<const CoreImportProvider*> core_imports_;
  int32_t initialize_ = -1;
  std::vector<int32_t> instance_parents_;
  std::vector<LiftedFunction> exports_;
  std::vector<std::string> imports_;
  std::vector<std::string> missing_;
  struct ExportRefDeleter {
    void operator()(lepton_module_export_t* e) const { lepton_module_export_delete(e); }
  };
  std::vector<std::unique_ptr<lepton_module_export_t, ExportRefDeleter>> export_refs_;
  // Defines trampoline i as ("lepton", "<i>"), and the functions of core_imports_.
  wasmtime_linker_t* linker_ = nullptr;
};

}  // namespace lepton::component
