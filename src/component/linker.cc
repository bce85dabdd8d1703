#include "component/linker.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <set>

#include "component/binary.h"

namespace lepton::component {

using binary::Origin;
using binary::Sort;

namespace {

struct Scope;
struct InstTypeEnv;

// Where a type index is looked up: a component scope being evaluated, or the declarations of a
// component/instance type (which form their own index spaces).
struct TypeEnv {
  Scope* scope = nullptr;
  InstTypeEnv* inst = nullptr;
  bool operator<(const TypeEnv& o) const {
    return std::pair(scope, inst) < std::pair(o.scope, o.inst);
  }
};

// The declarations of an instance or component type. Resources it exports are host resources
// when the type is that of an imported host interface.
struct InstTypeEnv {
  const binary::TypeDef* def = nullptr;
  TypeEnv parent;  // the scope the type was written in (for outer aliases)
  const HostInterface* host = nullptr;
};

struct TypeValue {
  enum class Kind : uint8_t { kValue, kResource, kFunc, kInstance, kComponent };
  Kind kind = Kind::kValue;
  TypePtr value;
  ResourcePtr resource;
  const binary::TypeDef* def = nullptr;  // kFunc, kInstance, kComponent
  TypeEnv env;                           // where `def` was written
};

// A reference to index `index` of `sort` in an evaluated scope.
struct ItemRef {
  Scope* scope = nullptr;
  Sort sort = Sort::kFunc;
  uint32_t index = 0;
};

// A component-level function.
struct FuncValue {
  const HostFunctionDef* host = nullptr;  // imported from the host
  bool missing = false;                   // imported, not provided: `type` is the import's
  std::string host_name;                  // "wasi:http/types@0.2.3#[constructor]fields"
  // lifted by the component
  CoreItem core;
  FunctionType type;
  CanonOptions options;
  uint32_t instance = 0;  // the component instance that lifts it
};

// A component-level instance: an imported host interface, the exports of an instantiated nested
// component, or an inline bag of exports.
struct InstanceValue {
  const HostInterface* host = nullptr;
  std::string host_name;  // as imported, with version
  std::shared_ptr<InstTypeEnv> type_env;
  Scope* child = nullptr;                                    // instantiated component
  std::map<std::string, ItemRef, std::less<>> inline_items;  // inline exports
};

struct Scope {
  const binary::Component* comp = nullptr;
  Scope* parent = nullptr;                           // lexical parent (outer aliases)
  uint32_t instance = 0;                             // component instance number (linker.h)
  std::map<std::string, ItemRef, std::less<>> args;  // nested: import name -> argument
  bool root = false;
  std::map<uint32_t, TypeValue> types;
  std::map<uint32_t, FuncValue> funcs;
  std::map<uint32_t, CoreItem> core_items[5];   // by CoreExternKind
  std::map<uint32_t, uint32_t> core_instances;  // -> plan index
  std::map<uint32_t, std::shared_ptr<InstanceValue>> instances;
  std::map<uint32_t, uint32_t> modules;  // core module index -> template module
};

binary::CoreExternKind core_kind(Sort sort) {
  switch (sort) {
    case Sort::kCoreTable:
      return binary::CoreExternKind::kTable;
    case Sort::kCoreMemory:
      return binary::CoreExternKind::kMemory;
    case Sort::kCoreGlobal:
      return binary::CoreExternKind::kGlobal;
    case Sort::kCoreTag:
      return binary::CoreExternKind::kTag;
    default:
      return binary::CoreExternKind::kFunc;
  }
}

wasm_valtype_t* core_valtype(CoreType t) {
  switch (t) {
    case CoreType::kI32:
      return wasm_valtype_new(WASM_I32);
    case CoreType::kI64:
      return wasm_valtype_new(WASM_I64);
    case CoreType::kF32:
      return wasm_valtype_new(WASM_F32);
    case CoreType::kF64:
      return wasm_valtype_new(WASM_F64);
  }
  return wasm_valtype_new(WASM_I32);
}

bool same_core_signature(const FlatSignature& sig, const binary::CoreFuncType& f) {
  auto eq = [](CoreType a, const binary::CoreValType& b) {
    switch (a) {
      case CoreType::kI32:
        return b.kind == binary::CoreValKind::kI32;
      case CoreType::kI64:
        return b.kind == binary::CoreValKind::kI64;
      case CoreType::kF32:
        return b.kind == binary::CoreValKind::kF32;
      case CoreType::kF64:
        return b.kind == binary::CoreValKind::kF64;
    }
    return false;
  };
  if (sig.params.size() != f.params.size() || sig.results.size() != f.results.size()) return false;
  for (size_t i = 0; i < sig.params.size(); ++i)
    if (!eq(sig.params[i], f.params[i])) return false;
  for (size_t i = 0; i < sig.results.size(); ++i)
    if (!eq(sig.results[i], f.results[i])) return false;
  return true;
}

std::string describe_signature(const FlatSignature& sig) {
  auto list = [](const std::vector<CoreType>& v) {
    std::string s;
    for (auto t : v) s += fmt::format("{}{}", s.empty() ? "" : " ", core_type_name(t));
    return s;
  };
  return fmt::format("(param {}) (result {})", list(sig.params), list(sig.results));
}

bool same_wasm_signature(const FlatSignature& sig, const wasm_functype_t* f) {
  auto eq = [](const std::vector<CoreType>& a, const wasm_valtype_vec_t* b) {
    if (a.size() != b->size) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      wasm_valkind_t k = wasm_valtype_kind(b->data[i]);
      if ((a[i] == CoreType::kI32 && k != WASM_I32) || (a[i] == CoreType::kI64 && k != WASM_I64) ||
          (a[i] == CoreType::kF32 && k != WASM_F32) || (a[i] == CoreType::kF64 && k != WASM_F64))
        return false;
    }
    return true;
  };
  return eq(sig.params, wasm_functype_params(f)) && eq(sig.results, wasm_functype_results(f));
}

std::optional<FlatSignature> flat_of(const binary::CoreFuncType& f) {
  auto conv = [](const std::vector<binary::CoreValType>& in, std::vector<CoreType>& out) {
    for (const auto& t : in) {
      switch (t.kind) {
        case binary::CoreValKind::kI32:
          out.push_back(CoreType::kI32);
          break;
        case binary::CoreValKind::kI64:
          out.push_back(CoreType::kI64);
          break;
        case binary::CoreValKind::kF32:
          out.push_back(CoreType::kF32);
          break;
        case binary::CoreValKind::kF64:
          out.push_back(CoreType::kF64);
          break;
        default:
          return false;
      }
    }
    return true;
  };
  FlatSignature sig;
  if (!conv(f.params, sig.params) || !conv(f.results, sig.results)) return std::nullopt;
  return sig;
}

std::string describe_core_func(const binary::CoreFuncType& f) {
  auto list = [](const std::vector<binary::CoreValType>& v) {
    std::string s;
    for (const auto& t : v) {
      const char* n = "?";
      switch (t.kind) {
        case binary::CoreValKind::kI32:
          n = "i32";
          break;
        case binary::CoreValKind::kI64:
          n = "i64";
          break;
        case binary::CoreValKind::kF32:
          n = "f32";
          break;
        case binary::CoreValKind::kF64:
          n = "f64";
          break;
        default:
          n = "ref";
          break;
      }
      s += fmt::format("{}{}", s.empty() ? "" : " ", n);
    }
    return s;
  };
  return fmt::format("(param {}) (result {})", list(f.params), list(f.results));
}

}  // namespace

// Builds a ComponentTemplate by evaluating the component graph symbolically.
class Loader {
 public:
  Loader(engine::Engine& engine, const HostRegistry& host, std::span<const uint8_t> bytes,
         ComponentTemplate& out, const LinkOptions& options)
      : engine_(engine), host_(host), bytes_(bytes), out_(out), options_(options) {}

  Status run_core();

  Status run(const binary::Component& root) {
    Scope& scope = new_scope(&root, nullptr, -1);
    scope.root = true;
    LEPTON_CHECK(check_imports(scope));
    LEPTON_CHECK(evaluate(scope));
    LEPTON_CHECK(collect_exports(scope));
    resolve_exports();
    return define_trampolines();
  }

 private:
  // `parent`: the lexical parent; `instantiator`: the instance of the component whose
  // `instance` definition instantiates this one (-1 for the root).
  Scope& new_scope(const binary::Component* comp, Scope* parent, int32_t instantiator) {
    scopes_.emplace_back();
    scopes_.back().comp = comp;
    scopes_.back().parent = parent;
    scopes_.back().instance = static_cast<uint32_t>(out_.instance_parents_.size());
    out_.instance_parents_.push_back(instantiator);
    return scopes_.back();
  }

  Error at(const Scope& s, size_t offset, std::string message) const {
    (void)s;
    return Error{fmt::format("at byte 0x{:x}: {}", offset, message)};
  }

  // ---- imports of the root component --------------------------------------------------------

  Status check_imports(Scope& scope) {
    std::vector<std::string> missing;
    for (const auto& import : scope.comp->imports) {
      out_.imports_.push_back(import.name.name);
      if (import.type.sort != Sort::kInstance) continue;  // types/funcs are checked when used
      const HostInterface* iface = host_.find(import.name.name);
      if (iface == nullptr) {
        missing.push_back(import.name.name);
        continue;
      }
      LEPTON_TRY(TypeValue t, resolve_type(TypeEnv{&scope, nullptr}, import.type.index));
      if (t.kind != TypeValue::Kind::kInstance) continue;
      for (const auto& decl : t.def->decls) {
        if (decl.kind != binary::DeclKind::kExport) continue;
        if (decl.extern_type.sort == Sort::kFunc) {
          if (iface->find_function(decl.name.name) == nullptr)
            missing.push_back(fmt::format("{}#{}", import.name.name, decl.name.name));
        } else if (decl.extern_type.sort == Sort::kType && decl.extern_type.sub_resource) {
          if (iface->find_resource(decl.name.name) == nullptr)
            missing.push_back(fmt::format("{}#{} (resource)", import.name.name, decl.name.name));
        }
      }
    }
    if (!missing.empty() && options_.trap_missing_imports) {
      out_.missing_ = std::move(missing);
      return {};
    }
    if (!missing.empty()) {
      std::string list;
      for (const auto& m : missing) list += "\n  " + m;
      return fail("imports that lepton does not provide:{}", list);
    }
    return {};
  }

  // ---- evaluation of a scope: core instances and instances in definition order --------------

  Status evaluate(Scope& scope) {
    struct Def {
      size_t offset;
      bool core;
      uint32_t item;
    };
    std::vector<Def> defs;
    const auto& core_space = scope.comp->space(Sort::kCoreInstance);
    for (uint32_t i = 0; i < core_space.size(); ++i)
      if (core_space[i].origin == Origin::kCoreInstance)
        defs.push_back({scope.comp->core_instances[core_space[i].item].offset, true, i});
    const auto& inst_space = scope.comp->space(Sort::kInstance);
    for (uint32_t i = 0; i < inst_space.size(); ++i)
      if (inst_space[i].origin == Origin::kInstance)
        defs.push_back({scope.comp->instances[inst_space[i].item].offset, false, i});
    std::sort(defs.begin(), defs.end(),
              [](const Def& a, const Def& b) { return a.offset < b.offset; });
    for (const auto& d : defs) {
      if (d.core) {
        LEPTON_TRY(uint32_t step, core_instance(scope, d.item));
        (void)step;
      } else {
        LEPTON_TRY(auto inst, instance(scope, d.item));
        (void)inst;
      }
    }
    return {};
  }

  // ---- core modules and core instances ------------------------------------------------------

  Result<uint32_t> module(Scope& scope, uint32_t index) {
    if (auto it = scope.modules.find(index); it != scope.modules.end()) return it->second;
    const binary::IndexEntry* e = scope.comp->lookup(Sort::kCoreModule, index);
    if (e == nullptr) return fail("core module index {} out of range", index);
    if (e->origin == Origin::kAlias) {
      const auto& a = scope.comp->aliases[e->item];
      if (a.kind != binary::AliasKind::kOuter)
        return fail("core module {}: unsupported alias", index);
      LEPTON_TRY(Scope * outer, outer_scope(scope, a.outer_count));
      return module(*outer, a.outer_index);
    }
    if (e->origin == Origin::kImport) return fail("core module imports are not supported");
    const binary::CoreModule& m = scope.comp->core_modules[e->item];
    auto bytes = bytes_.subspan(m.offset, m.size);
    LEPTON_TRY(auto info, binary::parse_core_module(bytes, m.offset));
    LEPTON_TRY(
        auto loaded,
        engine::load_module(engine_, bytes, fmt::format("{}, core module {}", out_.what_, index)));
    uint32_t id = static_cast<uint32_t>(out_.modules_.size());
    out_.modules_.push_back(std::move(loaded.module));
    module_info_.push_back(std::move(info));
    scope.modules[index] = id;
    return id;
  }

  Result<uint32_t> core_instance(Scope& scope, uint32_t index) {
    if (auto it = scope.core_instances.find(index); it != scope.core_instances.end())
      return it->second;
    const binary::IndexEntry* e = scope.comp->lookup(Sort::kCoreInstance, index);
    if (e == nullptr) return fail("core instance index {} out of range", index);
    if (e->origin != Origin::kCoreInstance)
      return fail("core instance {}: only defined core instances are supported", index);
    const binary::CoreInstance& def = scope.comp->core_instances[e->item];
    CoreStep step;
    if (def.instantiate) {
      LEPTON_TRY(uint32_t mod, module(scope, def.module));
      step.module = mod;
      step.what = fmt::format("core instance {} (module {})", index, def.module);
      const binary::CoreModuleInfo& info = module_info_[mod];
      for (const auto& import : info.imports) {
        auto arg = std::find_if(def.args.begin(), def.args.end(),
                                [&](const auto& a) { return a.name == import.module; });
        if (arg == def.args.end())
          return at(
              scope, def.offset,
              fmt::format("{}: no argument for import module '{}'", step.what, import.module));
        LEPTON_TRY(uint32_t from, core_instance(scope, arg->instance));
        LEPTON_TRY(CoreItem item, core_export(from, import.name));
        if (item.sort != import.type.kind)
          return at(scope, def.offset,
                    fmt::format("{}: import '{}' '{}' is a {} but a {} was given", step.what,
                                import.module, import.name,
                                binary::core_extern_kind_name(import.type.kind),
                                binary::core_extern_kind_name(item.sort)));
        if (item.kind == CoreItem::Kind::kTrampoline &&
            import.type.kind == binary::CoreExternKind::kFunc) {
          const Trampoline& t = out_.trampolines_[item.trampoline];
          const auto& ft = info.types.at(import.type.type_index).func;
          if (!same_core_signature(t.signature, ft))
            return at(scope, def.offset,
                      fmt::format("{}: import '{}' '{}' expects {} but '{}' lowers to {}",
                                  step.what, import.module, import.name, describe_core_func(ft),
                                  t.name, describe_signature(t.signature)));
        }
        step.imports.push_back(std::move(item));
      }
    } else {
      step.instantiate = false;
      step.what = fmt::format("core instance {} (exports)", index);
      for (const auto& ex : def.exports) {
        LEPTON_TRY(CoreItem item, core_item(scope, ex.item.sort, ex.item.index));
        step.items[ex.name] = std::move(item);
      }
    }
    uint32_t id = static_cast<uint32_t>(out_.plan_.size());
    out_.plan_.push_back(std::move(step));
    scope.core_instances[index] = id;
    return id;
  }

  // Export `name` of plan entry `step`.
  Result<CoreItem> core_export(uint32_t step, std::string_view name) {
    const CoreStep& s = out_.plan_[step];
    if (!s.instantiate) {
      auto it = s.items.find(name);
      if (it == s.items.end()) return fail("{} has no export '{}'", s.what, name);
      return it->second;
    }
    const auto& info = module_info_[s.module];
    for (const auto& ex : info.exports) {
      if (ex.name == name) {
        CoreItem item;
        item.kind = CoreItem::Kind::kExport;
        item.sort = ex.kind;
        item.instance = step;
        item.name = std::string(name);
        return item;
      }
    }
    return fail("{} has no export '{}'", s.what, name);
  }

  Result<CoreItem> core_item(Scope& scope, Sort sort, uint32_t index) {
    auto& memo = scope.core_items[static_cast<size_t>(core_kind(sort))];
    if (auto it = memo.find(index); it != memo.end()) return it->second;
    const binary::IndexEntry* e = scope.comp->lookup(sort, index);
    if (e == nullptr) return fail("{} index {} out of range", binary::sort_name(sort), index);
    CoreItem item;
    if (e->origin == Origin::kAlias) {
      const auto& a = scope.comp->aliases[e->item];
      if (a.kind != binary::AliasKind::kCoreInstanceExport)
        return at(scope, a.offset,
                  fmt::format("unsupported alias of a {}", binary::sort_name(sort)));
      LEPTON_TRY(uint32_t step, core_instance(scope, a.instance));
      LEPTON_TRY(item, core_export(step, a.name));
    } else if (e->origin == Origin::kCanon && sort == Sort::kCoreFunc) {
      LEPTON_TRY(item, canon_core_func(scope, scope.comp->canons[e->item]));
    } else {
      return fail("{} {}: unsupported definition ({})", binary::sort_name(sort), index,
                  binary::origin_name(e->origin));
    }
    memo[index] = item;
    return item;
  }

  int32_t slot_of(const CoreItem& item) {
    for (size_t i = 0; i < out_.slots_.size(); ++i) {
      const auto& s = out_.slots_[i];
      if (s.kind == item.kind && s.instance == item.instance && s.name == item.name &&
          s.trampoline == item.trampoline && s.sort == item.sort)
        return static_cast<int32_t>(i);
    }
    out_.slots_.push_back(item);
    out_.slots_.back().slot = static_cast<int32_t>(out_.slots_.size() - 1);
    return out_.slots_.back().slot;
  }

  Result<CanonOptions> options(Scope& scope, const binary::CanonOptions& o) {
    if (o.async || o.callback || o.gc)
      return fail("async and gc canonical options are not supported");
    CanonOptions out;
    out.encoding = o.string_encoding;
    if (o.memory) {
      LEPTON_TRY(CoreItem m, core_item(scope, Sort::kCoreMemory, *o.memory));
      out.memory = slot_of(m);
    }
    if (o.realloc) {
      LEPTON_TRY(CoreItem r, core_item(scope, Sort::kCoreFunc, *o.realloc));
      out.realloc = slot_of(r);
    }
    if (o.post_return) {
      LEPTON_TRY(CoreItem p, core_item(scope, Sort::kCoreFunc, *o.post_return));
      out.post_return = slot_of(p);
    }
    return out;
  }

  // How component `scope` names its function `index`, for errors: "lepton:guests/greeter#greet".
  std::string func_label(const Scope& scope, uint32_t index) const {
    const binary::IndexEntry* e = scope.comp->lookup(Sort::kFunc, index);
    if (e != nullptr && e->origin == Origin::kImport) return scope.comp->imports[e->item].name.name;
    if (e != nullptr && e->origin == Origin::kAlias) {
      const auto& a = scope.comp->aliases[e->item];
      if (a.kind == binary::AliasKind::kInstanceExport) {
        const binary::IndexEntry* i = scope.comp->lookup(Sort::kInstance, a.instance);
        if (i != nullptr && i->origin == Origin::kImport)
          return fmt::format("{}#{}", scope.comp->imports[i->item].name.name, a.name);
        return a.name;
      }
    }
    return fmt::format("func {}", index);
  }

  Result<CoreItem> canon_core_func(Scope& scope, const binary::Canon& canon) {
    Trampoline t;
    t.instance = scope.instance;
    switch (canon.kind) {
      case binary::CanonKind::kLower: {
        LEPTON_TRY(FuncValue f, func(scope, canon.func));
        if (f.missing) {
          t.kind = Trampoline::Kind::kMissing;
          t.name = f.host_name;
          t.signature = flatten_functype(f.type, Direction::kLower);
          break;
        }
        if (f.host == nullptr) {
          // Lifted by a component instance (another one, or this one lowering its own lift):
          // the trampoline calls it through the host.
          t.kind = Trampoline::Kind::kAdapter;
          t.name = func_label(scope, canon.func);
          LEPTON_TRY(t.options, options(scope, canon.options));
          t.signature = flatten_functype(f.type, Direction::kLower);
          t.callee.name = t.name;
          t.callee.core_func = slot_of(f.core);
          t.callee.type = f.type;
          t.callee.options = f.options;
          t.callee.signature = flatten_functype(f.type, Direction::kLift);
          t.callee.instance = f.instance;
          break;
        }
        t.kind = Trampoline::Kind::kHost;
        t.host = f.host;
        t.name = f.host_name;
        LEPTON_TRY(t.options, options(scope, canon.options));
        t.signature = flatten_functype(f.host->type, Direction::kLower);
        break;
      }
      case binary::CanonKind::kResourceNew:
      case binary::CanonKind::kResourceRep:
      case binary::CanonKind::kResourceDrop: {
        LEPTON_TRY(TypeValue r, resolve_type(TypeEnv{&scope, nullptr}, canon.type));
        if (r.kind != TypeValue::Kind::kResource)
          return at(scope, canon.offset,
                    fmt::format("{}: type {} is not a resource", canon.builtin, canon.type));
        t.resource = r.resource;
        t.name = fmt::format("{} {}", canon.builtin, r.resource->name());
        if (canon.kind == binary::CanonKind::kResourceDrop) {
          t.kind = Trampoline::Kind::kResourceDrop;
          t.host_resource = host_.find_resource(*r.resource);
          for (const auto& g : out_.guest_resources_)
            if (g.type == r.resource) t.guest_dtor = g.dtor;
          t.signature.params = {CoreType::kI32};
        } else {
          t.kind = canon.kind == binary::CanonKind::kResourceNew ? Trampoline::Kind::kResourceNew
                                                                 : Trampoline::Kind::kResourceRep;
          t.signature.params = {CoreType::kI32};
          t.signature.results = {CoreType::kI32};
        }
        break;
      }
      default:
        return at(scope, canon.offset,
                  fmt::format("canonical built-in '{}' is not supported", canon.builtin));
    }
    CoreItem item;
    item.kind = CoreItem::Kind::kTrampoline;
    item.sort = binary::CoreExternKind::kFunc;
    item.trampoline = static_cast<uint32_t>(out_.trampolines_.size());
    out_.trampolines_.push_back(std::move(t));
    return item;
  }

  // ---- component functions ------------------------------------------------------------------

  Result<FuncValue> func(Scope& scope, uint32_t index) {
    if (auto it = scope.funcs.find(index); it != scope.funcs.end()) return it->second;
    const binary::IndexEntry* e = scope.comp->lookup(Sort::kFunc, index);
    if (e == nullptr) return fail("func index {} out of range", index);
    FuncValue f;
    switch (e->origin) {
      case Origin::kAlias: {
        const auto& a = scope.comp->aliases[e->item];
        if (a.kind == binary::AliasKind::kOuter)
          return at(scope, a.offset, "outer aliases of functions are not allowed");
        LEPTON_TRY(auto inst, instance(scope, a.instance));
        LEPTON_TRY(f, instance_func(*inst, a.name));
        break;
      }
      case Origin::kCanon: {
        const binary::Canon& c = scope.comp->canons[e->item];
        if (c.kind != binary::CanonKind::kLift) return fail("func {} is not a lift", index);
        LEPTON_TRY(CoreItem core, core_item(scope, Sort::kCoreFunc, c.func));
        f.core = core;
        LEPTON_TRY(TypeValue t, resolve_type(TypeEnv{&scope, nullptr}, c.type));
        if (t.kind != TypeValue::Kind::kFunc)
          return at(scope, c.offset,
                    fmt::format("canon lift: type {} is not a function type", c.type));
        LEPTON_TRY(f.type, function_type(t));
        LEPTON_TRY(f.options, options(scope, c.options));
        f.instance = scope.instance;
        break;
      }
      case Origin::kImport: {
        const auto& import = scope.comp->imports[e->item];
        LEPTON_TRY(ItemRef arg, argument(scope, import.name.name, Sort::kFunc, import.offset));
        LEPTON_TRY(f, func(*arg.scope, arg.index));
        break;
      }
      case Origin::kExport: {
        const auto& ex = scope.comp->exports[e->item];
        LEPTON_TRY(f, func(scope, ex.item.index));
        break;
      }
      default:
        return fail("func {}: unsupported definition ({})", index, binary::origin_name(e->origin));
    }
    scope.funcs[index] = f;
    return f;
  }

  Result<FuncValue> instance_func(const InstanceValue& inst, std::string_view name) {
    if (inst.host != nullptr || inst.type_env) {
      FuncValue f;
      f.host = inst.host != nullptr ? inst.host->find_function(name) : nullptr;
      f.host_name = fmt::format("{}#{}", inst.host_name, name);
      if (f.host != nullptr) return f;
      if (!options_.trap_missing_imports) return fail("lepton does not provide {}", f.host_name);
      // Linked to trap: the trampoline needs the signature the component imports.
      const binary::TypeDef& def = *inst.type_env->def;
      for (const auto& decl : def.decls) {
        if (decl.kind != binary::DeclKind::kExport || decl.name.name != name) continue;
        if (decl.extern_type.sort != Sort::kFunc) break;
        LEPTON_TRY(TypeValue t,
                   resolve_type(TypeEnv{nullptr, inst.type_env.get()}, decl.extern_type.index));
        if (t.kind != TypeValue::Kind::kFunc) break;
        LEPTON_TRY(f.type, function_type(t));
        f.missing = true;
        return f;
      }
      return fail("'{}' exports no function '{}'", inst.host_name, name);
    }
    LEPTON_TRY(ItemRef ref, instance_export(inst, name, Sort::kFunc));
    return func(*ref.scope, ref.index);
  }

  Result<ItemRef> instance_export(const InstanceValue& inst, std::string_view name, Sort sort) {
    if (inst.child != nullptr) {
      for (const auto& ex : inst.child->comp->exports) {
        if (ex.name.name == name) {
          if (ex.item.sort != sort)
            return fail("export '{}' is a {}, not a {}", name, binary::sort_name(ex.item.sort),
                        binary::sort_name(sort));
          return ItemRef{inst.child, sort, ex.item.index};
        }
      }
      return fail("the instance has no export '{}'", name);
    }
    auto it = inst.inline_items.find(name);
    if (it == inst.inline_items.end()) return fail("the instance has no export '{}'", name);
    if (it->second.sort != sort)
      return fail("export '{}' is a {}, not a {}", name, binary::sort_name(it->second.sort),
                  binary::sort_name(sort));
    return it->second;
  }

  Result<ItemRef> argument(Scope& scope, std::string_view name, Sort sort, size_t offset) {
    auto it = scope.args.find(name);
    if (it == scope.args.end())
      return at(scope, offset,
                scope.root ? fmt::format("top-level {} import '{}' is not supported",
                                         binary::sort_name(sort), name)
                           : fmt::format("no argument given for {} import '{}'",
                                         binary::sort_name(sort), name));
    if (it->second.sort != sort)
      return at(scope, offset,
                fmt::format("argument '{}' is a {}, expected a {}", name,
                            binary::sort_name(it->second.sort), binary::sort_name(sort)));
    return it->second;
  }

  Result<Scope*> outer_scope(Scope& scope, uint32_t count) {
    Scope* s = &scope;
    for (uint32_t i = 0; i < count; ++i) {
      if (s->parent == nullptr) return fail("outer alias count {} leaves the component", count);
      s = s->parent;
    }
    return s;
  }

  // ---- component instances ------------------------------------------------------------------

  Result<std::shared_ptr<InstanceValue>> instance(Scope& scope, uint32_t index) {
    if (auto it = scope.instances.find(index); it != scope.instances.end()) return it->second;
    const binary::IndexEntry* e = scope.comp->lookup(Sort::kInstance, index);
    if (e == nullptr) return fail("instance index {} out of range", index);
    auto value = std::make_shared<InstanceValue>();
    switch (e->origin) {
      case Origin::kImport: {
        const auto& import = scope.comp->imports[e->item];
        if (!scope.root) {
          LEPTON_TRY(ItemRef arg,
                     argument(scope, import.name.name, Sort::kInstance, import.offset));
          LEPTON_TRY(value, instance(*arg.scope, arg.index));
          break;
        }
        value->host = host_.find(import.name.name);
        value->host_name = import.name.name;
        if (value->host == nullptr && !options_.trap_missing_imports)
          return fail("lepton does not provide '{}'", import.name.name);
        LEPTON_TRY(TypeValue t, resolve_type(TypeEnv{&scope, nullptr}, import.type.index));
        if (t.kind != TypeValue::Kind::kInstance)
          return at(scope, import.offset,
                    fmt::format("import '{}' is not an instance type", import.name.name));
        value->type_env = std::make_shared<InstTypeEnv>(InstTypeEnv{t.def, t.env, value->host});
        type_envs_.push_back(value->type_env);
        break;
      }
      case Origin::kInstance: {
        const binary::Instance& def = scope.comp->instances[e->item];
        if (!def.instantiate) {
          for (const auto& ex : def.exports)
            value->inline_items[ex.name.name] = ItemRef{&scope, ex.item.sort, ex.item.index};
          break;
        }
        LEPTON_TRY(Scope * child, instantiate_component(scope, def));
        value->child = child;
        break;
      }
      case Origin::kAlias: {
        const auto& a = scope.comp->aliases[e->item];
        if (a.kind != binary::AliasKind::kInstanceExport)
          return at(scope, a.offset, "unsupported alias of an instance");
        LEPTON_TRY(auto outer, instance(scope, a.instance));
        LEPTON_TRY(ItemRef ref, instance_export(*outer, a.name, Sort::kInstance));
        LEPTON_TRY(value, instance(*ref.scope, ref.index));
        break;
      }
      case Origin::kExport: {
        const auto& ex = scope.comp->exports[e->item];
        LEPTON_TRY(value, instance(scope, ex.item.index));
        break;
      }
      default:
        return fail("instance {}: unsupported definition ({})", index,
                    binary::origin_name(e->origin));
    }
    scope.instances[index] = value;
    return value;
  }

  Result<const binary::Component*> component_def(Scope& scope, uint32_t index, Scope** defining) {
    const binary::IndexEntry* e = scope.comp->lookup(Sort::kComponent, index);
    if (e == nullptr) return fail("component index {} out of range", index);
    if (e->origin == Origin::kComponent) {
      *defining = &scope;
      return &scope.comp->components[e->item];
    }
    if (e->origin == Origin::kAlias) {
      const auto& a = scope.comp->aliases[e->item];
      if (a.kind == binary::AliasKind::kOuter) {
        LEPTON_TRY(Scope * outer, outer_scope(scope, a.outer_count));
        return component_def(*outer, a.outer_index, defining);
      }
    }
    return fail("component {}: unsupported definition ({})", index, binary::origin_name(e->origin));
  }

  Result<Scope*> instantiate_component(Scope& scope, const binary::Instance& def) {
    if (++depth_ > 32) return at(scope, def.offset, "components nested too deeply");
    Scope* defining = nullptr;
    LEPTON_TRY(const binary::Component* comp, component_def(scope, def.component, &defining));
    Scope& child = new_scope(comp, defining, static_cast<int32_t>(scope.instance));
    for (const auto& arg : def.args)
      child.args[arg.name] = ItemRef{&scope, arg.item.sort, arg.item.index};
    LEPTON_CHECK(evaluate(child));
    --depth_;
    return &child;
  }

  // ---- types --------------------------------------------------------------------------------

  Result<TypeValue> resolve_type(TypeEnv env, uint32_t index) {
    auto key = std::pair(env, index);
    if (auto it = type_memo_.find(key); it != type_memo_.end()) return it->second;
    if (++type_depth_ > 200) return fail("type definitions nested too deeply");
    auto r = env.scope ? resolve_in_scope(*env.scope, index) : resolve_in_type(*env.inst, index);
    --type_depth_;
    if (r) type_memo_[key] = *r;
    return r;
  }

  Result<TypeValue> from_def(TypeEnv env, const binary::TypeDef& def) {
    TypeValue v;
    switch (def.kind) {
      case binary::TypeKind::kDefined: {
        v.kind = TypeValue::Kind::kValue;
        LEPTON_TRY(v.value, defined(env, def.defined));
        return v;
      }
      case binary::TypeKind::kFunc:
        v.kind = TypeValue::Kind::kFunc;
        break;
      case binary::TypeKind::kInstance:
        v.kind = TypeValue::Kind::kInstance;
        break;
      case binary::TypeKind::kComponent:
        v.kind = TypeValue::Kind::kComponent;
        break;
      case binary::TypeKind::kResource: {
        v.kind = TypeValue::Kind::kResource;
        v.resource = Resource::component_defined(fmt::format("resource@0x{:x}", def.offset),
                                                 env.scope ? env.scope->instance : 0);
        GuestResource g{v.resource, -1};
        if (def.resource.dtor && env.scope) {
          LEPTON_TRY(CoreItem d, core_item(*env.scope, Sort::kCoreFunc, *def.resource.dtor));
          g.dtor = slot_of(d);
        }
        out_.guest_resources_.push_back(g);
        return v;
      }
    }
    v.def = &def;
    v.env = env;
    return v;
  }

  Result<TypeValue> resolve_in_scope(Scope& scope, uint32_t index) {
    const binary::IndexEntry* e = scope.comp->lookup(Sort::kType, index);
    if (e == nullptr) return fail("type index {} out of range", index);
    switch (e->origin) {
      case Origin::kType:
        return from_def(TypeEnv{&scope, nullptr}, scope.comp->types[e->item]);
      case Origin::kAlias: {
        const auto& a = scope.comp->aliases[e->item];
        if (a.kind == binary::AliasKind::kOuter) {
          LEPTON_TRY(Scope * outer, outer_scope(scope, a.outer_count));
          return resolve_type(TypeEnv{outer, nullptr}, a.outer_index);
        }
        if (a.kind != binary::AliasKind::kInstanceExport)
          return at(scope, a.offset, "unsupported alias of a type");
        LEPTON_TRY(auto inst, instance(scope, a.instance));
        return instance_type_export(*inst, a.name);
      }
      case Origin::kImport: {
        const auto& import = scope.comp->imports[e->item];
        if (scope.root) {
          if (import.type.sort == Sort::kType && !import.type.sub_resource)
            return resolve_type(TypeEnv{&scope, nullptr}, import.type.index);
          return at(
              scope, import.offset,
              fmt::format("top-level resource import '{}' is not supported", import.name.name));
        }
        LEPTON_TRY(ItemRef arg, argument(scope, import.name.name, Sort::kType, import.offset));
        return resolve_type(TypeEnv{arg.scope, nullptr}, arg.index);
      }
      case Origin::kExport: {
        const auto& ex = scope.comp->exports[e->item];
        return resolve_type(TypeEnv{&scope, nullptr}, ex.item.index);
      }
      default:
        return fail("type {}: unsupported definition ({})", index, binary::origin_name(e->origin));
    }
  }

  Result<TypeValue> instance_type_export(const InstanceValue& inst, std::string_view name) {
    if (inst.type_env) {
      auto t = type_export(*inst.type_env, name);
      if (!t) return fail("'{}' exports no type '{}'", inst.host_name, name);
      return t;
    }
    LEPTON_TRY(ItemRef ref, instance_export(inst, name, Sort::kType));
    return resolve_type(TypeEnv{ref.scope, nullptr}, ref.index);
  }

  // The type an instance type exports as `name`.
  Result<TypeValue> type_export(InstTypeEnv& env, std::string_view name) {
    const auto& space = env.def->spaces[static_cast<size_t>(Sort::kType)];
    for (uint32_t i = 0; i < space.size(); ++i) {
      const auto& decl = env.def->decls[space[i].item];
      if (decl.kind == binary::DeclKind::kExport && decl.name.name == name)
        return resolve_type(TypeEnv{nullptr, &env}, i);
    }
    return fail("the instance type exports no type '{}'", name);
  }

  // The type of an instance a component type (a world) imports or exports, one per declaration;
  // an imported one's resources are the host's.
  Result<InstTypeEnv*> instance_decl_env(InstTypeEnv& world, const binary::Decl& decl) {
    if (auto it = decl_envs_.find(&decl); it != decl_envs_.end()) return it->second.get();
    if ((decl.kind != binary::DeclKind::kImport && decl.kind != binary::DeclKind::kExport) ||
        decl.extern_type.sort != Sort::kInstance)
      return fail("declaration at byte 0x{:x} is not an imported or exported instance",
                  decl.offset);
    LEPTON_TRY(TypeValue t, resolve_type(TypeEnv{nullptr, &world}, decl.extern_type.index));
    if (t.kind != TypeValue::Kind::kInstance)
      return fail("'{}' is not an instance type", decl.name.name);
    const HostInterface* host =
        decl.kind == binary::DeclKind::kImport ? host_.find(decl.name.name) : nullptr;
    auto env = std::make_shared<InstTypeEnv>(InstTypeEnv{t.def, t.env, host});
    decl_envs_[&decl] = env;
    return env.get();
  }

  Result<TypeValue> resolve_in_type(InstTypeEnv& env, uint32_t index) {
    const auto& space = env.def->spaces[static_cast<size_t>(Sort::kType)];
    if (index >= space.size())
      return fail("type index {} out of range in a type declaration", index);
    const binary::Decl& decl = env.def->decls[space[index].item];
    TypeEnv here{nullptr, &env};
    switch (decl.kind) {
      case binary::DeclKind::kType:
        return from_def(here, *decl.type);
      case binary::DeclKind::kAlias: {
        if (decl.alias.kind == binary::AliasKind::kInstanceExport &&
            env.def->kind == binary::TypeKind::kComponent) {
          // A world's `(alias export <import> "name" (type))`: a type of an instance it imports.
          const auto& insts = env.def->spaces[static_cast<size_t>(Sort::kInstance)];
          if (decl.alias.instance >= insts.size())
            return fail("instance index {} out of range at byte 0x{:x}", decl.alias.instance,
                        decl.offset);
          LEPTON_TRY(InstTypeEnv * inst,
                     instance_decl_env(env, env.def->decls[insts[decl.alias.instance].item]));
          return type_export(*inst, decl.alias.name);
        }
        if (decl.alias.kind != binary::AliasKind::kOuter)
          return fail("unsupported alias in a type declaration at byte 0x{:x}", decl.offset);
        TypeEnv target = here;
        for (uint32_t i = 0; i < decl.alias.outer_count; ++i) {
          if (target.inst == nullptr)
            return fail("outer alias leaves the component at byte 0x{:x}", decl.offset);
          target = target.inst->parent;
        }
        return resolve_type(target, decl.alias.outer_index);
      }
      case binary::DeclKind::kExport:
      case binary::DeclKind::kImport: {
        if (decl.extern_type.sort != Sort::kType)
          return fail("declaration {} is not a type", index);
        if (!decl.extern_type.sub_resource) return resolve_type(here, decl.extern_type.index);
        TypeValue v;
        v.kind = TypeValue::Kind::kResource;
        const HostResourceDef* r =
            env.host != nullptr ? env.host->find_resource(decl.name.name) : nullptr;
        if (r != nullptr) {
          v.resource = r->type;
        } else if (env.host != nullptr && !options_.trap_missing_imports) {
          return fail("lepton's {} has no resource '{}'", env.host->name(), decl.name.name);
        } else {
          // An abstract resource of a type (e.g. the exported resource of a nested component's
          // type): one identity per declaration.
          auto& r = abstract_resources_[&decl];
          if (!r) r = std::make_shared<const Resource>(decl.name.name);
          v.resource = r;
        }
        return v;
      }
      default:
        return fail("declaration {} is not a type", index);
    }
  }

  Result<TypePtr> valtype(TypeEnv env, const binary::ValType& vt) {
    if (vt.primitive) {
      switch (vt.prim) {
        case binary::PrimType::kBool:
          return ty::bool_();
        case binary::PrimType::kS8:
          return ty::s8();
        case binary::PrimType::kU8:
          return ty::u8();
        case binary::PrimType::kS16:
          return ty::s16();
        case binary::PrimType::kU16:
          return ty::u16();
        case binary::PrimType::kS32:
          return ty::s32();
        case binary::PrimType::kU32:
          return ty::u32();
        case binary::PrimType::kS64:
          return ty::s64();
        case binary::PrimType::kU64:
          return ty::u64();
        case binary::PrimType::kF32:
          return ty::f32();
        case binary::PrimType::kF64:
          return ty::f64();
        case binary::PrimType::kChar:
          return ty::char_();
        case binary::PrimType::kString:
          return ty::string();
        case binary::PrimType::kErrorContext:
          return fail("error-context is not supported");
      }
    }
    LEPTON_TRY(TypeValue t, resolve_type(env, vt.index));
    if (t.kind != TypeValue::Kind::kValue) return fail("type {} is not a value type", vt.index);
    return t.value;
  }

  Result<TypePtr> optional_valtype(TypeEnv env, const std::optional<binary::ValType>& vt) {
    if (!vt) return TypePtr{};
    return valtype(env, *vt);
  }

  Result<ResourcePtr> resource_of(TypeEnv env, uint32_t index) {
    LEPTON_TRY(TypeValue t, resolve_type(env, index));
    if (t.kind != TypeValue::Kind::kResource) return fail("type {} is not a resource", index);
    return t.resource;
  }

  Result<TypePtr> defined(TypeEnv env, const binary::DefinedType& d) {
    using K = binary::DefinedKind;
    switch (d.kind) {
      case K::kPrimitive:
        return valtype(env, binary::ValType::of(d.prim));
      case K::kRecord: {
        std::vector<Type::Field> fields;
        for (const auto& f : d.fields) {
          LEPTON_TRY(TypePtr t, valtype(env, f.type));
          fields.push_back({f.name, t});
        }
        return Type::record(std::move(fields));
      }
      case K::kVariant: {
        std::vector<Type::Case> cases;
        for (const auto& c : d.cases) {
          LEPTON_TRY(TypePtr t, optional_valtype(env, c.type));
          cases.push_back({c.name, t});
        }
        return Type::variant(std::move(cases));
      }
      case K::kList: {
        LEPTON_TRY(TypePtr t, valtype(env, *d.element));
        return Type::list(t);
      }
      case K::kFixedList: {
        LEPTON_TRY(TypePtr t, valtype(env, *d.element));
        return Type::fixed_list(t, d.length);
      }
      case K::kTuple: {
        std::vector<TypePtr> types;
        for (const auto& vt : d.types) {
          LEPTON_TRY(TypePtr t, valtype(env, vt));
          types.push_back(t);
        }
        return Type::tuple(std::move(types));
      }
      case K::kFlags:
        return Type::flags(d.labels);
      case K::kEnum:
        return Type::enumeration(d.labels);
      case K::kOption: {
        LEPTON_TRY(TypePtr t, valtype(env, *d.element));
        return Type::option(t);
      }
      case K::kResult: {
        LEPTON_TRY(TypePtr ok, optional_valtype(env, d.element));
        LEPTON_TRY(TypePtr err, optional_valtype(env, d.error));
        return Type::result(ok, err);
      }
      case K::kOwn: {
        LEPTON_TRY(ResourcePtr r, resource_of(env, d.resource));
        return Type::own(r);
      }
      case K::kBorrow: {
        LEPTON_TRY(ResourcePtr r, resource_of(env, d.resource));
        return Type::borrow(r);
      }
      default:
        return fail("{} types are not supported", binary::defined_kind_name(d.kind));
    }
  }

  Result<FunctionType> function_type(const TypeValue& t) {
    const binary::FuncType& f = t.def->func;
    if (f.async) return fail("async functions are not supported");
    FunctionType out;
    for (const auto& p : f.params) {
      LEPTON_TRY(TypePtr pt, valtype(t.env, p.type));
      out.param_names.push_back(p.name);
      out.params.push_back(pt);
    }
    if (f.result) {
      LEPTON_TRY(TypePtr rt, valtype(t.env, *f.result));
      out.results.push_back(rt);
    }
    return out;
  }

  // ---- exports of the root ------------------------------------------------------------------

  Status add_lifted(std::string interface, std::string name, const FuncValue& f) {
    if (f.host != nullptr || f.missing) return {};  // re-exporting a host function: nothing to call
    LiftedFunction lifted;
    lifted.interface = std::move(interface);
    lifted.name = std::move(name);
    lifted.core_func = slot_of(f.core);
    lifted.type = f.type;
    lifted.options = f.options;
    lifted.signature = flatten_functype(f.type, Direction::kLift);
    lifted.instance = f.instance;
    out_.exports_.push_back(std::move(lifted));
    return {};
  }

  Status collect_exports(Scope& scope) {
    for (const auto& ex : scope.comp->exports) {
      if (ex.item.sort == Sort::kFunc) {
        LEPTON_TRY(FuncValue f, func(scope, ex.item.index));
        LEPTON_CHECK(add_lifted("", ex.name.name, f));
      } else if (ex.item.sort == Sort::kInstance) {
        LEPTON_TRY(auto inst, instance(scope, ex.item.index));
        std::vector<std::string> names;
        if (inst->child != nullptr) {
          for (const auto& cex : inst->child->comp->exports)
            if (cex.item.sort == Sort::kFunc) names.push_back(cex.name.name);
        } else {
          for (const auto& [n, ref] : inst->inline_items)
            if (ref.sort == Sort::kFunc) names.push_back(n);
        }
        for (const auto& n : names) {
          auto f = instance_func(*inst, n);
          if (!f)
            return std::move(f).error().context(fmt::format("export '{}#{}'", ex.name.name, n));
          LEPTON_CHECK(add_lifted(ex.name.name, n, *f));
        }
      }
    }
    return {};
  }

  // ---- adapted core modules (a component-type section) --------------------------------------

  // Reads each component-type section's world (the component type that the payload's root
  // type exports) and its string encoding (the payload's wit-component-encoding section).
  Status read_worlds(const binary::CoreModuleInfo& info) {
    for (const auto& cs : info.customs) {
      if (!binary::is_component_type_section(cs.name)) continue;
      std::string where =
          fmt::format("custom section '{}' at byte 0x{:x} (payload offsets count from byte 0x{:x})",
                      cs.name, cs.offset, cs.data_offset);
      auto payload = bytes_.subspan(cs.data_offset, cs.data_size);
      auto parsed = binary::parse_component(payload);
      if (!parsed) return std::move(parsed).error().context(where);
      payloads_.push_back(std::move(*parsed));
      const binary::Component& c = payloads_.back();
      for (const auto& custom : c.customs) {
        if (custom.name != "wit-component-encoding" || custom.data_size < 2) continue;
        switch (payload[custom.data_offset + 1]) {
          case 0:
            encoding_ = StringEncoding::kUtf8;
            break;
          case 1:
            encoding_ = StringEncoding::kUtf16;
            break;
          case 2:
            encoding_ = StringEncoding::kLatin1Utf16;
            break;
          default:
            return fail("{}: unknown string encoding {} at byte 0x{:x}", where,
                        payload[custom.data_offset + 1], custom.data_offset + 1);
        }
      }
      Scope& scope = new_scope(&c, nullptr, -1);
      size_t before = worlds_.size();
      for (const auto& ex : c.exports) {
        if (ex.item.sort != Sort::kType) continue;
        const binary::IndexEntry* e = c.lookup(Sort::kType, ex.item.index);
        if (e == nullptr || e->origin != Origin::kType) continue;
        const binary::TypeDef& def = c.types[e->item];
        if (def.kind != binary::TypeKind::kComponent) continue;
        auto outer = std::make_shared<InstTypeEnv>(InstTypeEnv{&def, TypeEnv{&scope, nullptr}});
        type_envs_.push_back(outer);
        // wit-component wraps the world: (component (type (component <world>)) (export "ns:p/w"
        // (component (type 0)))).
        const binary::TypeDef* world = &def;
        TypeEnv parent{&scope, nullptr};
        for (const auto& decl : def.decls) {
          if (decl.kind != binary::DeclKind::kExport || decl.extern_type.sort != Sort::kComponent)
            continue;
          const auto& types = def.spaces[static_cast<size_t>(Sort::kType)];
          if (decl.extern_type.index >= types.size()) continue;
          const binary::Decl& wd = def.decls[types[decl.extern_type.index].item];
          if (wd.kind == binary::DeclKind::kType && wd.type &&
              wd.type->kind == binary::TypeKind::kComponent) {
            world = wd.type.get();
            parent = TypeEnv{nullptr, outer.get()};
          }
        }
        auto env = std::make_shared<InstTypeEnv>(InstTypeEnv{world, parent});
        type_envs_.push_back(env);
        worlds_.push_back(env.get());
      }
      if (worlds_.size() == before) return fail("{}: it defines no world", where);
    }
    return {};
  }

  // The world's exports: lifted functions and the guest's resources (their destructors).
  Status adapt_exports(const std::map<std::string, const wasm_functype_t*, std::less<>>& funcs) {
    auto check = [&](std::string_view name, const FlatSignature& sig) -> Status {
      auto it = funcs.find(name);
      if (it == funcs.end()) return fail("the core module does not export function '{}'", name);
      if (!same_wasm_signature(sig, it->second))
        return fail("core export '{}' is not {}", name, describe_signature(sig));
      return {};
    };
    auto lift = [&](std::string interface, std::string name, std::string core,
                    const FunctionType& type) -> Status {
      LiftedFunction f;
      f.signature = flatten_functype(type, Direction::kLift);
      LEPTON_CHECK(check(core, f.signature));
      f.interface = std::move(interface);
      f.name = std::move(name);
      f.core_func = slot_of(core_export_item(core, binary::CoreExternKind::kFunc));
      f.type = type;
      f.options = export_options_;
      std::string post = "cabi_post_" + core;
      if (funcs.contains(post)) {
        FlatSignature post_sig{f.signature.results, {}};
        LEPTON_CHECK(check(post, post_sig));
        f.options.post_return = slot_of(core_export_item(post, binary::CoreExternKind::kFunc));
      }
      out_.exports_.push_back(std::move(f));
      return {};
    };
    // First the resources the guest defines (its exported interfaces' resources), so every
    // type that mentions one resolves to that definition.
    for (InstTypeEnv* world : worlds_) {
      for (const auto& decl : world->def->decls) {
        if (decl.kind != binary::DeclKind::kExport || decl.extern_type.sort != Sort::kInstance)
          continue;
        const std::string& iface = decl.name.name;
        LEPTON_TRY(InstTypeEnv * env, instance_decl_env(*world, decl));
        for (const auto& d : env->def->decls) {
          if (d.kind != binary::DeclKind::kExport || d.extern_type.sort != Sort::kType ||
              !d.extern_type.sub_resource)
            continue;
          std::string full = fmt::format("{}#{}", iface, d.name.name);
          ResourcePtr r = Resource::component_defined(d.name.name);
          abstract_resources_[&d] = r;
          GuestResource g{r, -1};
          std::string dtor = fmt::format("{}#[dtor]{}", iface, d.name.name);
          if (funcs.contains(dtor)) {
            LEPTON_CHECK(check(dtor, FlatSignature{{CoreType::kI32}, {}}));
            g.dtor = slot_of(core_export_item(dtor, binary::CoreExternKind::kFunc));
          }
          out_.guest_resources_.push_back(g);
          exported_resources_[full] = r;
        }
      }
    }
    for (InstTypeEnv* world : worlds_) {
      for (const auto& decl : world->def->decls) {
        if (decl.kind != binary::DeclKind::kExport) continue;
        if (decl.extern_type.sort == Sort::kFunc) {
          LEPTON_TRY(TypeValue t, resolve_type(TypeEnv{nullptr, world}, decl.extern_type.index));
          if (t.kind != TypeValue::Kind::kFunc)
            return fail("'{}' is not a function", decl.name.name);
          LEPTON_TRY(FunctionType type, function_type(t));
          LEPTON_CHECK(lift("", decl.name.name, decl.name.name, type));
          continue;
        }
        if (decl.extern_type.sort != Sort::kInstance) continue;
        const std::string& iface = decl.name.name;
        LEPTON_TRY(InstTypeEnv * env, instance_decl_env(*world, decl));
        for (const auto& d : env->def->decls) {
          if (d.kind != binary::DeclKind::kExport || d.extern_type.sort != Sort::kFunc) continue;
          std::string full = fmt::format("{}#{}", iface, d.name.name);
          LEPTON_TRY(TypeValue t, resolve_type(TypeEnv{nullptr, env}, d.extern_type.index));
          if (t.kind != TypeValue::Kind::kFunc) return fail("'{}' is not a function", full);
          auto type = function_type(t);
          if (!type) return std::move(type).error().context(full);
          LEPTON_CHECK(lift(iface, d.name.name, full, *type));
        }
      }
    }
    return {};
  }

  // A core import from an interface: a lowered host function or a resource built-in; nullopt
  // when lepton does not provide it.
  Result<std::optional<Trampoline>> adapt_import(const binary::CoreImport& import) {
    Trampoline t;
    std::string_view module = import.module, name = import.name;
    bool exported = module.starts_with("[export]");
    std::string_view iface = exported ? module.substr(8) : module;
    t.name = fmt::format("{}#{}", iface, name);
    for (auto [prefix, kind] : {std::pair{"[resource-drop]", Trampoline::Kind::kResourceDrop},
                                std::pair{"[resource-new]", Trampoline::Kind::kResourceNew},
                                std::pair{"[resource-rep]", Trampoline::Kind::kResourceRep}}) {
      if (!name.starts_with(prefix)) continue;
      std::string_view resource = name.substr(std::string_view(prefix).size());
      t.kind = kind;
      t.signature.params = {CoreType::kI32};
      if (kind != Trampoline::Kind::kResourceDrop) t.signature.results = {CoreType::kI32};
      if (exported) {
        auto it = exported_resources_.find(fmt::format("{}#{}", iface, resource));
        if (it == exported_resources_.end())
          return fail("the world exports no resource '{}' in '{}'", resource, iface);
        t.resource = it->second;
        for (const auto& g : out_.guest_resources_)
          if (g.type == t.resource) t.guest_dtor = g.dtor;
        return std::optional<Trampoline>(std::move(t));
      }
      if (kind != Trampoline::Kind::kResourceDrop)
        return fail("{} of an imported resource", prefix);
      const HostInterface* h = host_.find(iface);
      const HostResourceDef* r = h != nullptr ? h->find_resource(resource) : nullptr;
      if (r == nullptr) return std::optional<Trampoline>{};
      t.resource = r->type;
      t.host_resource = r;
      return std::optional<Trampoline>(std::move(t));
    }
    if (exported) return fail("unknown import of an exported interface");
    const HostInterface* h = host_.find(iface);
    const HostFunctionDef* f = h != nullptr ? h->find_function(name) : nullptr;
    if (f == nullptr) return std::optional<Trampoline>{};
    t.kind = Trampoline::Kind::kHost;
    t.host = f;
    t.options = import_options_;
    t.signature = flatten_functype(f->type, Direction::kLower);
    return std::optional<Trampoline>(std::move(t));
  }

  Status check_realloc(const wasm_functype_t* f) {
    FlatSignature sig{{CoreType::kI32, CoreType::kI32, CoreType::kI32, CoreType::kI32},
                      {CoreType::kI32}};
    if (!same_wasm_signature(sig, f))
      return fail("core export 'cabi_realloc' is not {}", describe_signature(sig));
    return {};
  }

  CoreItem core_export_item(std::string_view name, binary::CoreExternKind sort) {
    CoreItem item;
    item.kind = CoreItem::Kind::kExport;
    item.sort = sort;
    item.instance = 0;
    item.name = std::string(name);
    return item;
  }

  // ---- trampolines --------------------------------------------------------------------------

  Status define_trampolines();

  // Locates every export a request imports or caches in its module, once.
  void resolve_exports() {
    auto resolve = [&](CoreItem& item) {
      if (item.kind != CoreItem::Kind::kExport || item.instance >= out_.plan_.size()) return;
      const CoreStep& from = out_.plan_[item.instance];
      if (!from.instantiate || from.module >= out_.modules_.size()) return;
      lepton_module_export_t* e = lepton_module_export_index(out_.modules_[from.module].get(),
                                                             item.name.data(), item.name.size());
      if (e == nullptr) return;  // reported by name when a request looks it up
      out_.export_refs_.emplace_back(e);
      item.export_ref = static_cast<int32_t>(out_.export_refs_.size() - 1);
    };
    for (CoreStep& step : out_.plan_)
      for (CoreItem& item : step.imports) resolve(item);
    for (CoreItem& item : out_.slots_) resolve(item);
  }

  engine::Engine& engine_;
  const HostRegistry& host_;
  std::span<const uint8_t> bytes_;
  ComponentTemplate& out_;
  LinkOptions options_;
  std::deque<Scope> scopes_;
  std::vector<binary::CoreModuleInfo> module_info_;
  std::vector<std::shared_ptr<InstTypeEnv>> type_envs_;
  std::map<std::pair<TypeEnv, uint32_t>, TypeValue> type_memo_;
  std::map<const binary::Decl*, ResourcePtr> abstract_resources_;
  std::map<const binary::Decl*, std::shared_ptr<InstTypeEnv>> decl_envs_;
  // Adapted core modules: the parsed component-type payloads and their worlds.
  std::deque<binary::Component> payloads_;
  std::vector<InstTypeEnv*> worlds_;
  StringEncoding encoding_ = StringEncoding::kUtf8;
  CanonOptions import_options_;
  CanonOptions export_options_;
  std::map<std::string, ResourcePtr, std::less<>> exported_resources_;  // "iface#name"
  int depth_ = 0;
  int type_depth_ = 0;
};

Status Loader::run_core() {
  LEPTON_TRY(binary::CoreModuleInfo info, binary::parse_core_module(bytes_));
  LEPTON_CHECK(read_worlds(info));
  for (InstTypeEnv* world : worlds_)
    for (const auto& decl : world->def->decls)
      if (decl.kind == binary::DeclKind::kImport) out_.imports_.push_back(decl.name.name);

  LEPTON_TRY(auto loaded, engine::load_module(engine_, bytes_, out_.what_));
  out_.modules_.push_back(std::move(loaded.module));
  // The exported functions' types, to check what the world says against the code.
  std::map<std::string, const wasm_functype_t*, std::less<>> funcs;
  wasm_exporttype_vec_t exports;
  wasmtime_module_exports(out_.modules_[0].get(), &exports);
  struct Free {
    wasm_exporttype_vec_t* v;
    ~Free() { wasm_exporttype_vec_delete(v); }
  } free_exports{&exports};
  bool has_memory = false;
  for (size_t i = 0; i < exports.size; ++i) {
    const wasm_name_t* n = wasm_exporttype_name(exports.data[i]);
    const wasm_externtype_t* type = wasm_exporttype_type(exports.data[i]);
    std::string name(n->data, n->size);
    if (const wasm_functype_t* f = wasm_externtype_as_functype_const(type))
      funcs[name] = f;
    else if (name == "memory" && wasm_externtype_kind(type) == WASM_EXTERN_MEMORY)
      has_memory = true;
  }

  // The options `wasm-tools component new` gives every lift and lower of such a module.
  CanonOptions options;
  options.encoding = encoding_;
  if (has_memory)
    options.memory = slot_of(core_export_item("memory", binary::CoreExternKind::kMemory));
  if (funcs.contains("cabi_realloc")) {
    LEPTON_CHECK(check_realloc(funcs.at("cabi_realloc")));
    options.realloc = slot_of(core_export_item("cabi_realloc", binary::CoreExternKind::kFunc));
  }
  import_options_ = export_options_ = options;
  LEPTON_CHECK(adapt_exports(funcs));

  CoreStep step;
  step.module = 0;
  step.what = "core module";
  std::vector<std::string> missing;
  for (const auto& import : info.imports) {
    std::string what =
        fmt::format("import '{}' '{}' (at byte 0x{:x})", import.module, import.name, import.offset);
    if (import.type.kind != binary::CoreExternKind::kFunc)
      return fail("{}: a {} import; only functions can be provided", what,
                  binary::core_extern_kind_name(import.type.kind));
    if (import.type.type_index >= info.types.size() ||
        info.types[import.type.type_index].kind != binary::CoreCompKind::kFunc)
      return fail("{}: type {} is not a function type", what, import.type.type_index);
    const binary::CoreFuncType& ft = info.types[import.type.type_index].func;
    CoreItem item;
    item.sort = binary::CoreExternKind::kFunc;
    if (const CoreImportProvider* p = host_.find_core_imports(import.module);
        p != nullptr &&
        std::find(p->functions.begin(), p->functions.end(), import.name) != p->functions.end()) {
      auto used = std::find(out_.core_imports_.begin(), out_.core_imports_.end(), p);
      if (used == out_.core_imports_.end()) used = out_.core_imports_.insert(used, p);
      item.kind = CoreItem::Kind::kHostCore;
      item.instance = static_cast<uint32_t>(used - out_.core_imports_.begin());
      item.name = import.name;
      step.imports.push_back(std::move(item));
      continue;  // its type is checked when a request links it
    }
    auto t = adapt_import(import);
    if (!t) return std::move(t).error().context(what);
    if (!*t) {
      // Not provided: linked to trap (LinkOptions) with the signature the module imports.
      missing.push_back(fmt::format("{}#{}", import.module, import.name));
      auto sig = flat_of(ft);
      if (!sig) return fail("{}: unsupported core function type", what);
      t->emplace();
      (*t)->kind = Trampoline::Kind::kMissing;
      (*t)->name = missing.back();
      (*t)->signature = *sig;
    } else if (!same_core_signature((*t)->signature, ft)) {
      return fail("{} expects {} but '{}' lowers to {}", what, describe_core_func(ft), (*t)->name,
                  describe_signature((*t)->signature));
    }
    item.kind = CoreItem::Kind::kTrampoline;
    item.trampoline = static_cast<uint32_t>(out_.trampolines_.size());
    out_.trampolines_.push_back(std::move(**t));
    step.imports.push_back(std::move(item));
  }
  if (!missing.empty() && !options_.trap_missing_imports) {
    std::string list;
    for (const auto& m : missing) list += "\n  " + m;
    return fail("imports that lepton does not provide:{}", list);
  }
  out_.missing_ = std::move(missing);
  out_.plan_.push_back(std::move(step));

  // wit-component runs a reactor's _initialize from a start function after instantiation.
  if (auto it = funcs.find("_initialize"); it != funcs.end()) {
    if (!same_wasm_signature(FlatSignature{}, it->second))
      return fail("core export '_initialize' is not (param) (result)");
    out_.initialize_ = slot_of(core_export_item("_initialize", binary::CoreExternKind::kFunc));
  }
  resolve_exports();
  LEPTON_CHECK(define_trampolines());
  for (const CoreImportProvider* p : out_.core_imports_) {
    Status s = p->define(out_.linker_);
    if (!s.ok()) return std::move(s).error().context(p->module);
  }
  return {};
}

// Implemented in instance.cc: the callback every trampoline runs.
wasm_trap_t* run_trampoline(void* env, wasmtime_caller_t* caller, wasmtime_val_raw_t* values,
                            size_t count);

Status Loader::define_trampolines() {
  out_.linker_ = wasmtime_linker_new(engine_.raw());
  for (size_t i = 0; i < out_.trampolines_.size(); ++i) {
    const Trampoline& t = out_.trampolines_[i];
    wasm_valtype_vec_t params, results;
    wasm_valtype_vec_new_uninitialized(&params, t.signature.params.size());
    for (size_t p = 0; p < t.signature.params.size(); ++p)
      params.data[p] = core_valtype(t.signature.params[p]);
    wasm_valtype_vec_new_uninitialized(&results, t.signature.results.size());
    for (size_t r = 0; r < t.signature.results.size(); ++r)
      results.data[r] = core_valtype(t.signature.results[r]);
    wasm_functype_t* type = wasm_functype_new(&params, &results);
    std::string name = std::to_string(i);
    wasmtime_error_t* error = wasmtime_linker_define_func_unchecked(
        out_.linker_, "lepton", 6, name.data(), name.size(), type, run_trampoline,
        const_cast<Trampoline*>(&t), nullptr);
    wasm_functype_delete(type);
    if (error != nullptr) return engine::take_error(error).context(t.name);
  }
  return {};
}

Result<std::shared_ptr<const ComponentTemplate>> ComponentTemplate::load(
    engine::Engine& engine, const HostRegistry& host, std::span<const uint8_t> bytes,
    std::string_view what, const LinkOptions& options) {
  LEPTON_TRY(binary::Component parsed, binary::parse_component(bytes));
  auto tmpl = std::shared_ptr<ComponentTemplate>(new ComponentTemplate());
  tmpl->what_ = std::string(what);
  tmpl->host_ = &host;
  Loader loader(engine, host, bytes, *tmpl, options);
  Status s = loader.run(parsed);
  if (!s.ok()) return std::move(s).error().context(fmt::format("linking {}", what));
  return std::shared_ptr<const ComponentTemplate>(std::move(tmpl));
}

Result<std::shared_ptr<const ComponentTemplate>> ComponentTemplate::load_core_module(
    engine::Engine& engine, const HostRegistry& host, std::span<const uint8_t> bytes,
    std::string_view what, const LinkOptions& options) {
  auto tmpl = std::shared_ptr<ComponentTemplate>(new ComponentTemplate());
  tmpl->what_ = std::string(what);
  tmpl->host_ = &host;
  Loader loader(engine, host, bytes, *tmpl, options);
  Status s = loader.run_core();
  if (!s.ok()) return std::move(s).error().context(fmt::format("adapting core module {}", what));
  return std::shared_ptr<const ComponentTemplate>(std::move(tmpl));
}

ComponentTemplate::~ComponentTemplate() {
  if (linker_ != nullptr) wasmtime_linker_delete(linker_);
}

const LiftedFunction* ComponentTemplate::find_export(std::string_view interface,
                                                     std::string_view name) const {
  for (const auto& e : exports_)
    if (strip_version(e.interface) == strip_version(interface) && e.name == name) return &e;
  return nullptr;
}

}  // namespace lepton::component
