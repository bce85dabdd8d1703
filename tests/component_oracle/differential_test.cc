// Differential test: the every-value-type guest component (tests/guests/components/all_types.c,
// world `all-types` in tests/guests/components/wit/guests.wit) called through lepton's own
// component-model implementation and through Wasmtime's component C API with the same inputs.
// Every result must be equal: structurally, floats bit for bit except that any NaN equals any
// NaN (the component model does not fix NaN payloads), resources by what they hold.
#include <gtest/gtest.h>
#include <wasmtime.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "component/host.h"
#include "component/instance.h"
#include "component/linker.h"
#include "component/types.h"
#include "component/values.h"
#include "engine/engine.h"
#include "engine/module.h"
#include "engine/store.h"
#include "factors/registry.h"
#include "support/test_engine.h"

namespace lepton {
namespace {

using component::FunctionType;
using component::LiftedFunction;
using component::Type;
using component::TypePtr;
using component::Val;
using K = Type::Kind;

constexpr std::string_view kComponent = "all-types";
constexpr std::string_view kInterface = "lepton:guests/types";

std::filesystem::path component_path() {
  return std::filesystem::path(LEPTON_GUEST_DIR) / "components" /
         (std::string(kComponent) + ".wasm");
}

std::string skip_reason() {
  std::ifstream in(std::filesystem::path(LEPTON_GUEST_DIR) / "components" /
                   (std::string(kComponent) + ".skip"));
  std::stringstream s;
  s << in.rdbuf();
  std::string r = s.str();
  return r.empty() ? component_path().string() + " was not built" : r;
}

// Takes ownership of `e` and returns its message.
Error wasmtime_failure(std::string_view what, wasmtime_error_t* e) {
  wasm_name_t msg;
  wasmtime_error_message(e, &msg);
  std::string text(msg.data, msg.size);
  wasm_byte_vec_delete(&msg);
  wasmtime_error_delete(e);
  return fail("{}: {}", what, text);
}

void set_name(wasm_name_t& out, std::string_view s) { wasm_byte_vec_new(&out, s.size(), s.data()); }

std::string_view name_of(const wasm_name_t& n) {
  return n.size == 0 ? std::string_view() : std::string_view(n.data, n.size);
}

// --- lepton Val -> wasmtime_component_val_t --------------------------------------------------
// `out` is always left deletable with wasmtime_component_val_delete, also on error.

Status to_wasmtime(const Val& v, const Type& t, wasmtime_component_val_t& out);

Status to_wasmtime_heap(const Val& v, const Type& t, wasmtime_component_val_t*& out) {
  wasmtime_component_val_t tmp{};
  Status s = to_wasmtime(v, t, tmp);
  out = wasmtime_component_val_new(&tmp);
  return s;
}

Status to_wasmtime(const Val& v, const Type& t, wasmtime_component_val_t& out) {
  std::memset(&out, 0, sizeof out);
  out.kind = WASMTIME_COMPONENT_BOOL;
  switch (t.kind()) {
    case K::kBool:
      out.of.boolean = v.as_bool();
      return {};
    case K::kS8:
      out.kind = WASMTIME_COMPONENT_S8;
      out.of.s8 = static_cast<int8_t>(v.as_int());
      return {};
    case K::kU8:
      out.kind = WASMTIME_COMPONENT_U8;
      out.of.u8 = static_cast<uint8_t>(v.as_uint());
      return {};
    case K::kS16:
      out.kind = WASMTIME_COMPONENT_S16;
      out.of.s16 = static_cast<int16_t>(v.as_int());
      return {};
    case K::kU16:
      out.kind = WASMTIME_COMPONENT_U16;
      out.of.u16 = static_cast<uint16_t>(v.as_uint());
      return {};
    case K::kS32:
      out.kind = WASMTIME_COMPONENT_S32;
      out.of.s32 = static_cast<int32_t>(v.as_int());
      return {};
    case K::kU32:
      out.kind = WASMTIME_COMPONENT_U32;
      out.of.u32 = static_cast<uint32_t>(v.as_uint());
      return {};
    case K::kS64:
      out.kind = WASMTIME_COMPONENT_S64;
      out.of.s64 = v.as_int();
      return {};
    case K::kU64:
      out.kind = WASMTIME_COMPONENT_U64;
      out.of.u64 = v.as_uint();
      return {};
    case K::kF32:
      out.kind = WASMTIME_COMPONENT_F32;
      out.of.f32 = v.as_f32();
      return {};
    case K::kF64:
      out.kind = WASMTIME_COMPONENT_F64;
      out.of.f64 = v.as_f64();
      return {};
    case K::kChar:
      out.kind = WASMTIME_COMPONENT_CHAR;
      out.of.character = static_cast<uint32_t>(v.as_char());
      return {};
    case K::kString:
      out.kind = WASMTIME_COMPONENT_STRING;
      set_name(out.of.string, v.as_string());
      return {};
    case K::kList: {
      out.kind = WASMTIME_COMPONENT_LIST;
      size_t n = v.list_size();
      if (n == 0) {
        wasmtime_component_vallist_new_empty(&out.of.list);
        return {};
      }
      wasmtime_component_vallist_new_uninit(&out.of.list, n);
      std::memset(static_cast<void*>(out.of.list.data), 0, n * sizeof(wasmtime_component_val_t));
      for (size_t i = 0; i < n; ++i) {
        if (v.is_bytes()) {
          out.of.list.data[i].kind = WASMTIME_COMPONENT_U8;
          out.of.list.data[i].of.u8 = static_cast<uint8_t>(v.as_bytes()[i]);
        } else {
          LEPTON_CHECK(to_wasmtime(v.items()[i], *t.element(), out.of.list.data[i]));
        }
      }
      return {};
    }
    case K::kRecord: {
      out.kind = WASMTIME_COMPONENT_RECORD;
      size_t n = t.fields().size();
      if (v.items().size() != n) return fail("record of {} fields for {}", n, t.to_string());
      wasmtime_component_valrecord_new_uninit(&out.of.record, n);
      std::memset(static_cast<void*>(out.of.record.data), 0,
                  n * sizeof(wasmtime_component_valrecord_entry_t));
      for (size_t i = 0; i < n; ++i) {
        set_name(out.of.record.data[i].name, t.fields()[i].name);
        LEPTON_CHECK(to_wasmtime(v.items()[i], *t.fields()[i].type, out.of.record.data[i].val));
      }
      return {};
    }
    case K::kTuple: {
      out.kind = WASMTIME_COMPONENT_TUPLE;
      size_t n = t.fields().size();
      if (v.items().size() != n) return fail("tuple of {} items for {}", n, t.to_string());
      wasmtime_component_valtuple_new_uninit(&out.of.tuple, n);
      std::memset(static_cast<void*>(out.of.tuple.data), 0, n * sizeof(wasmtime_component_val_t));
      for (size_t i = 0; i < n; ++i)
        LEPTON_CHECK(to_wasmtime(v.items()[i], *t.fields()[i].type, out.of.tuple.data[i]));
      return {};
    }
    case K::kVariant: {
      out.kind = WASMTIME_COMPONENT_VARIANT;
      const auto& c = t.cases()[v.case_index()];
      set_name(out.of.variant.discriminant, c.name);
      out.of.variant.val = nullptr;
      if (c.type) return to_wasmtime_heap(*v.payload(), *c.type, out.of.variant.val);
      return {};
    }
    case K::kEnum:
      out.kind = WASMTIME_COMPONENT_ENUM;
      set_name(out.of.enumeration, t.cases()[v.case_index()].name);
      return {};
    case K::kOption:
      out.kind = WASMTIME_COMPONENT_OPTION;
      out.of.option = nullptr;
      if (v.case_index() == 1) return to_wasmtime_heap(*v.payload(), *t.element(), out.of.option);
      return {};
    case K::kResult: {
      out.kind = WASMTIME_COMPONENT_RESULT;
      out.of.result.is_ok = v.case_index() == 0;
      out.of.result.val = nullptr;
      const auto& c = t.cases()[v.case_index()];
      if (c.type) return to_wasmtime_heap(*v.payload(), *c.type, out.of.result.val);
      return {};
    }
    case K::kFlags: {
      out.kind = WASMTIME_COMPONENT_FLAGS;
      std::vector<std::string_view> set;
      for (size_t i = 0; i < t.labels().size(); ++i)
        if ((v.flag_bits() >> i) & 1) set.push_back(t.labels()[i]);
      if (set.empty()) {
        wasmtime_component_valflags_new_empty(&out.of.flags);
        return {};
      }
      wasmtime_component_valflags_new_uninit(&out.of.flags, set.size());
      for (size_t i = 0; i < set.size(); ++i) set_name(out.of.flags.data[i], set[i]);
      return {};
    }
    default:
      return fail("no conversion of {} to a Wasmtime value", t.to_string());
  }
}

// --- wasmtime_component_val_t -> lepton Val --------------------------------------------------

Result<Val> from_wasmtime(const wasmtime_component_val_t& w, const Type& t);

Result<uint32_t> case_named(const Type& t, std::string_view name) {
  for (size_t i = 0; i < t.cases().size(); ++i)
    if (t.cases()[i].name == name) return static_cast<uint32_t>(i);
  return fail("no case '{}' in {}", name, t.to_string());
}

Result<Val> payload_of(const wasmtime_component_val_t* p, const TypePtr& t, uint32_t index) {
  if ((p != nullptr) != (t != nullptr)) return fail("case {} payload presence differs", index);
  if (p == nullptr) return Val::variant(index);
  LEPTON_TRY(Val inner, from_wasmtime(*p, *t));
  return Val::variant(index, std::move(inner));
}

Result<Val> from_wasmtime(const wasmtime_component_val_t& w, const Type& t) {
  auto expect = [&](wasmtime_component_valkind_t kind) -> Status {
    if (w.kind != kind)
      return fail("Wasmtime gave value kind {} for {}", static_cast<int>(w.kind), t.to_string());
    return {};
  };
  switch (t.kind()) {
    case K::kBool:
      LEPTON_CHECK(expect(WASMTIME_COMPONENT_BOOL));
      return Val::bool_(w.of.boolean);
    case K::kS8:
      LEPTON_CHECK(expect(WASMTIME_COMPONENT_S8));
      return Val::s8(w.of.s8);
    case K::kU8:
      LEPTON_CHECK(expect(WASMTIME_COMPONENT_U8));
      return Val::u8(w.of.u8);
    case K::kS16:
      LEPTON_CHECK(expect(WASMTIME_COMPONENT_S16));
      return Val::s16(w.of.s16);
    case K::kU16:
      LEPTON_CHECK(expect(WASMTIME_COMPONENT_U16));
      return Val::u16(w.of.u16);
    case K::kS32:
      LEPTON_CHECK(expect(WASMTIME_COMPONENT_S32));
      return Val::s32(w.of.s32);
    case K::kU32:
      LEPTON_CHECK(expect(WASMTIME_COMPONENT_U32));
      return Val::u32(w.of.u32);
    case K::kS64:
      LEPTON_CHECK(expect(WASMTIME_COMPONENT_S64));
      return Val::s64(w.of.s64);
    case K::kU64:
      LEPTON_CHECK(expect(WASMTIME_COMPONENT_U64));
      return Val::u64(w.of.u64);
    case K::kF32:
      LEPTON_CHECK(expect(WASMTIME_COMPONENT_F32));
      return Val::f32(w.of.f32);
    case K::kF64:
      LEPTON_CHECK(expect(WASMTIME_COMPONENT_F64));
      return Val::f64(w.of.f64);
    case K::kChar:
      LEPTON_CHECK(expect(WASMTIME_COMPONENT_CHAR));
      return Val::char_(static_cast<char32_t>(w.of.character));
    case K::kString:
      LEPTON_CHECK(expect(WASMTIME_COMPONENT_STRING));
      return Val::string(std::string(name_of(w.of.string)));
    case K::kList: {
      LEPTON_CHECK(expect(WASMTIME_COMPONENT_LIST));
      if (t.element()->kind() == K::kU8) {
        std::string bytes;
        bytes.reserve(w.of.list.size);
        for (size_t i = 0; i < w.of.list.size; ++i) {
          if (w.of.list.data[i].kind != WASMTIME_COMPONENT_U8) return fail("list<u8> item kind");
          bytes.push_back(static_cast<char>(w.of.list.data[i].of.u8));
        }
        return Val::bytes(std::move(bytes));
      }
      std::vector<Val> items;
      items.reserve(w.of.list.size);
      for (size_t i = 0; i < w.of.list.size; ++i) {
        LEPTON_TRY(Val item, from_wasmtime(w.of.list.data[i], *t.element()));
        items.push_back(std::move(item));
      }
      return Val::list(std::move(items));
    }
    case K::kRecord: {
      LEPTON_CHECK(expect(WASMTIME_COMPONENT_RECORD));
      if (w.of.record.size != t.fields().size()) return fail("record field count differs");
      std::vector<Val> fields;
      for (size_t i = 0; i < t.fields().size(); ++i) {
        const auto& e = w.of.record.data[i];
        if (name_of(e.name) != t.fields()[i].name)
          return fail("record field {} is '{}', expected '{}'", i, name_of(e.name),
                      t.fields()[i].name);
        LEPTON_TRY(Val f, from_wasmtime(e.val, *t.fields()[i].type));
        fields.push_back(std::move(f));
      }
      return Val::record(std::move(fields));
    }
    case K::kTuple: {
      LEPTON_CHECK(expect(WASMTIME_COMPONENT_TUPLE));
      if (w.of.tuple.size != t.fields().size()) return fail("tuple size differs");
      std::vector<Val> items;
      for (size_t i = 0; i < t.fields().size(); ++i) {
        LEPTON_TRY(Val f, from_wasmtime(w.of.tuple.data[i], *t.fields()[i].type));
        items.push_back(std::move(f));
      }
      return Val::tuple(std::move(items));
    }
    case K::kVariant: {
      LEPTON_CHECK(expect(WASMTIME_COMPONENT_VARIANT));
      LEPTON_TRY(uint32_t index, case_named(t, name_of(w.of.variant.discriminant)));
      return payload_of(w.of.variant.val, t.cases()[index].type, index);
    }
    case K::kEnum: {
      LEPTON_CHECK(expect(WASMTIME_COMPONENT_ENUM));
      LEPTON_TRY(uint32_t index, case_named(t, name_of(w.of.enumeration)));
      return Val::enum_(index);
    }
    case K::kOption:
      LEPTON_CHECK(expect(WASMTIME_COMPONENT_OPTION));
      return payload_of(w.of.option, w.of.option ? t.element() : nullptr, w.of.option ? 1 : 0);
    case K::kResult: {
      LEPTON_CHECK(expect(WASMTIME_COMPONENT_RESULT));
      uint32_t index = w.of.result.is_ok ? 0 : 1;
      return payload_of(w.of.result.val, t.cases()[index].type, index);
    }
    case K::kFlags: {
      LEPTON_CHECK(expect(WASMTIME_COMPONENT_FLAGS));
      uint32_t bits = 0;
      for (size_t i = 0; i < w.of.flags.size; ++i) {
        std::string_view name = name_of(w.of.flags.data[i]);
        bool found = false;
        for (size_t j = 0; j < t.labels().size(); ++j)
          if (t.labels()[j] == name) bits |= 1u << j, found = true;
        if (!found) return fail("no flag '{}' in {}", name, t.to_string());
      }
      return Val::flags(bits);
    }
    default:
      return fail("no conversion of a Wasmtime value to {}", t.to_string());
  }
}

// --- comparison ------------------------------------------------------------------------------

bool same(const Val& a, const Val& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Val::Kind::kF32:
      if (std::isnan(a.as_f32()) && std::isnan(b.as_f32())) return true;
      return a.bits() == b.bits();
    case Val::Kind::kF64:
      if (std::isnan(a.as_f64()) && std::isnan(b.as_f64())) return true;
      return a.bits() == b.bits();
    case Val::Kind::kString:
      return a.as_string() == b.as_string();
    case Val::Kind::kList:
      if (a.is_bytes() || b.is_bytes()) return a == b;
      [[fallthrough]];
    case Val::Kind::kRecord: {
      if (a.items().size() != b.items().size()) return false;
      for (size_t i = 0; i < a.items().size(); ++i)
        if (!same(a.items()[i], b.items()[i])) return false;
      return true;
    }
    case Val::Kind::kVariant:
      if (a.case_index() != b.case_index()) return false;
      if ((a.payload() == nullptr) != (b.payload() == nullptr)) return false;
      return a.payload() == nullptr || same(*a.payload(), *b.payload());
    default:
      return a.bits() == b.bits();
  }
}

// Long values are shortened in failure messages.
std::string show(const Val& v) {
  std::string s = v.to_string();
  if (s.size() > 300) s = s.substr(0, 300) + fmt::format("... ({} chars)", s.size());
  return s;
}

std::string show(const std::vector<Val>& vs) {
  std::string s = "(";
  for (size_t i = 0; i < vs.size(); ++i) s += (i ? ", " : "") + show(vs[i]);
  return s + ")";
}

// --- Wasmtime side ---------------------------------------------------------------------------

// Owned results of a Wasmtime call.
struct WasmtimeVals {
  std::vector<wasmtime_component_val_t> v;
  explicit WasmtimeVals(size_t n) : v(n) {
    for (auto& x : v) std::memset(&x, 0, sizeof x);
  }
  WasmtimeVals(const WasmtimeVals&) = delete;
  WasmtimeVals& operator=(const WasmtimeVals&) = delete;
  ~WasmtimeVals() {
    for (auto& x : v) wasmtime_component_val_delete(&x);
  }
};

class WasmtimeComponent {
 public:
  static Result<std::unique_ptr<WasmtimeComponent>> load(std::span<const uint8_t> bytes) {
    auto c = std::unique_ptr<WasmtimeComponent>(new WasmtimeComponent());
    c->engine_ = wasm_engine_new();
    if (c->engine_ == nullptr) return fail("wasm_engine_new failed");
    if (auto* e = wasmtime_component_new(c->engine_, bytes.data(), bytes.size(), &c->component_))
      return wasmtime_failure("wasmtime_component_new", e);
    c->linker_ = wasmtime_component_linker_new(c->engine_);
    // The component imports nothing; anything it might import traps rather than fails the link
    // (this Wasmtime build has no WASI).
    if (auto* e =
            wasmtime_component_linker_define_unknown_imports_as_traps(c->linker_, c->component_))
      return wasmtime_failure("define_unknown_imports_as_traps", e);
    return c;
  }
  ~WasmtimeComponent() {
    if (linker_) wasmtime_component_linker_delete(linker_);
    if (component_) wasmtime_component_delete(component_);
    if (engine_) wasm_engine_delete(engine_);
  }
  WasmtimeComponent(const WasmtimeComponent&) = delete;
  WasmtimeComponent& operator=(const WasmtimeComponent&) = delete;

  wasm_engine_t* engine() const { return engine_; }
  const wasmtime_component_t* component() const { return component_; }
  const wasmtime_component_linker_t* linker() const { return linker_; }

 private:
  WasmtimeComponent() = default;
  wasm_engine_t* engine_ = nullptr;
  wasmtime_component_t* component_ = nullptr;
  wasmtime_component_linker_t* linker_ = nullptr;
};

class WasmtimeInstance {
 public:
  static Result<std::unique_ptr<WasmtimeInstance>> create(const WasmtimeComponent& c,
                                                          std::string interface) {
    auto i = std::unique_ptr<WasmtimeInstance>(new WasmtimeInstance());
    i->store_ = wasmtime_store_new(c.engine(), nullptr, nullptr);
    i->interface_ = std::move(interface);
    if (auto* e = wasmtime_component_linker_instantiate(c.linker(), i->context(), c.component(),
                                                        &i->instance_))
      return wasmtime_failure("wasmtime_component_linker_instantiate", e);
    return i;
  }
  ~WasmtimeInstance() { wasmtime_store_delete(store_); }
  WasmtimeInstance(const WasmtimeInstance&) = delete;
  WasmtimeInstance& operator=(const WasmtimeInstance&) = delete;

  wasmtime_context_t* context() const { return wasmtime_store_context(store_); }

  Result<wasmtime_component_func_t> func(std::string_view name) {
    if (interface_.empty()) return root_func(name);
    auto* iface = wasmtime_component_instance_get_export_index(
        &instance_, context(), nullptr, interface_.data(), interface_.size());
    if (iface == nullptr) return fail("Wasmtime: no export {}", interface_);
    auto* index = wasmtime_component_instance_get_export_index(&instance_, context(), iface,
                                                               name.data(), name.size());
    wasmtime_component_export_index_delete(iface);
    if (index == nullptr) return fail("Wasmtime: no export {}#{}", interface_, name);
    wasmtime_component_func_t f;
    bool found = wasmtime_component_instance_get_func(&instance_, context(), index, &f);
    wasmtime_component_export_index_delete(index);
    if (!found) return fail("Wasmtime: {}#{} is not a function", interface_, name);
    return f;
  }

  // A function the component exports by itself (no interface).
  Result<wasmtime_component_func_t> root_func(std::string_view name) {
    auto* index = wasmtime_component_instance_get_export_index(&instance_, context(), nullptr,
                                                               name.data(), name.size());
    if (index == nullptr) return fail("Wasmtime: no export {}", name);
    wasmtime_component_func_t f;
    bool found = wasmtime_component_instance_get_func(&instance_, context(), index, &f);
    wasmtime_component_export_index_delete(index);
    if (!found) return fail("Wasmtime: {} is not a function", name);
    return f;
  }

  // Calls with raw Wasmtime values; `results` must have the function's result count.
  Status call_raw(std::string_view name, std::span<const wasmtime_component_val_t> args,
                  WasmtimeVals& results) {
    LEPTON_TRY(auto f, func(name));
    if (auto* e = wasmtime_component_func_call(&f, context(), args.data(), args.size(),
                                               results.v.data(), results.v.size()))
      return wasmtime_failure(fmt::format("Wasmtime call {}", name), e);
    return {};
  }

  Result<std::vector<Val>> call(std::string_view name, const FunctionType& type,
                                std::span<const Val> args) {
    WasmtimeVals wargs(args.size());
    for (size_t i = 0; i < args.size(); ++i)
      LEPTON_CHECK(to_wasmtime(args[i], *type.params[i], wargs.v[i]));
    WasmtimeVals results(type.results.size());
    LEPTON_CHECK(call_raw(name, wargs.v, results));
    std::vector<Val> out;
    for (size_t i = 0; i < type.results.size(); ++i) {
      LEPTON_TRY(Val v, from_wasmtime(results.v[i], *type.results[i]));
      out.push_back(std::move(v));
    }
    return out;
  }

 private:
  WasmtimeInstance() = default;
  wasmtime_store_t* store_ = nullptr;
  wasmtime_component_instance_t instance_{};
  std::string interface_;
};

// --- lepton side -----------------------------------------------------------------------------

struct LeptonInstance {
  std::unique_ptr<engine::Store> store;
  std::unique_ptr<component::ComponentInstance> instance;
};

// --- fixture ---------------------------------------------------------------------------------

class Differential : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(component_path())) return;
    auto e = lepton::testing::make_test_engine();
    ASSERT_TRUE(e.ok()) << e.error().message;
    engine_ = std::move(*e).release();
    registry_ = new component::HostRegistry();
    factors::register_all(*registry_);
    auto bytes = engine::read_file(component_path());
    ASSERT_TRUE(bytes.ok()) << bytes.error().message;
    std::span<const uint8_t> span(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size());
    auto t = component::ComponentTemplate::load(*engine_, *registry_, span, kComponent);
    ASSERT_TRUE(t.ok()) << t.error().message;
    tmpl_ = new std::shared_ptr<const component::ComponentTemplate>(*t);
    auto w = WasmtimeComponent::load(span);
    ASSERT_TRUE(w.ok()) << w.error().message;
    wasmtime_ = std::move(*w).release();
    for (const auto& f : (*tmpl_)->exports())
      if (f.interface.starts_with(kInterface)) interface_ = f.interface;
  }

  void SetUp() override {
    if (!std::filesystem::exists(component_path())) GTEST_SKIP() << skip_reason();
    ASSERT_NE(tmpl_, nullptr);
    ASSERT_NE(wasmtime_, nullptr);
    ASSERT_FALSE(interface_.empty()) << "lepton finds no export of " << kInterface;
  }

  static Result<LeptonInstance> lepton_instance() {
    LeptonInstance l;
    l.store = std::make_unique<engine::Store>(*engine_, engine::StoreLimits{});
    LEPTON_TRY(l.instance, component::ComponentInstance::instantiate(*tmpl_, *l.store));
    return l;
  }

  static Result<const LiftedFunction*> lepton_func(std::string_view name) {
    const LiftedFunction* f = (*tmpl_)->find_export(kInterface, name);
    if (f == nullptr) return fail("lepton: no export {}#{}", kInterface, name);
    return f;
  }

  // Calls `name` with every argument list through both, on one instance per side (fresh
  // instances after a trap), and reports every difference.
  void check(std::string_view name, const std::vector<std::vector<Val>>& cases) {
    auto f = lepton_func(name);
    ASSERT_TRUE(f.ok()) << f.error().message;
    std::optional<LeptonInstance> l;
    std::unique_ptr<WasmtimeInstance> w;
    for (size_t i = 0; i < cases.size(); ++i) {
      const auto& args = cases[i];
      SCOPED_TRACE(fmt::format("{}{} (case {})", name, show(args), i));
      if (!l) {
        auto li = lepton_instance();
        ASSERT_TRUE(li.ok()) << li.error().message;
        l = std::move(*li);
      }
      if (!w) {
        auto wi = WasmtimeInstance::create(*wasmtime_, interface_);
        ASSERT_TRUE(wi.ok()) << wi.error().message;
        w = std::move(*wi);
      }
      auto lr = l->instance->call(**f, args);
      auto wr = w->call(name, (*f)->type, args);
      if (!lr.ok() || !wr.ok()) {
        // Every input here is valid for its type: neither side may fail.
        ADD_FAILURE() << (lr.ok() == wr.ok() ? "both failed" : "one side failed") << ": lepton "
                      << (lr.ok() ? show(*lr) : "error: " + lr.error().message) << "; Wasmtime "
                      << (wr.ok() ? show(*wr) : "error: " + wr.error().message);
        l.reset();
        w.reset();
        continue;
      }
      ++compared_;
      bool equal = lr->size() == wr->size();
      for (size_t j = 0; equal && j < lr->size(); ++j) equal = same((*lr)[j], (*wr)[j]);
      EXPECT_TRUE(equal) << "results differ: lepton " << show(*lr) << ", Wasmtime " << show(*wr);
    }
    total_cases_ += cases.size();
  }

  void TearDown() override {
    if (total_cases_ > 0)
      std::printf("  %zu of %zu cases succeeded on both sides and were compared\n", compared_,
                  total_cases_);
  }

  static engine::Engine* engine_;
  static component::HostRegistry* registry_;
  static std::shared_ptr<const component::ComponentTemplate>* tmpl_;
  static WasmtimeComponent* wasmtime_;
  static std::string interface_;
  size_t compared_ = 0;
  size_t total_cases_ = 0;
};

engine::Engine* Differential::engine_ = nullptr;
component::HostRegistry* Differential::registry_ = nullptr;
std::shared_ptr<const component::ComponentTemplate>* Differential::tmpl_ = nullptr;
WasmtimeComponent* Differential::wasmtime_ = nullptr;
std::string Differential::interface_;

// --- inputs ----------------------------------------------------------------------------------

template <typename F, typename T>
std::vector<std::vector<Val>> each(F make, std::initializer_list<T> values) {
  std::vector<std::vector<Val>> out;
  for (const T& v : values) out.push_back({make(v)});
  return out;
}

std::vector<std::vector<Val>> singles(const std::vector<Val>& values) {
  std::vector<std::vector<Val>> out;
  for (const Val& v : values) out.push_back({v});
  return out;
}

float f32_bits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}
double f64_bits(uint64_t b) {
  double d;
  std::memcpy(&d, &b, sizeof d);
  return d;
}

std::vector<float> f32_inputs() {
  using L = std::numeric_limits<float>;
  return {0.0f,
          -0.0f,
          1.0f,
          -1.5f,
          3.14159f,
          L::min(),
          L::max(),
          L::lowest(),
          L::denorm_min(),
          -L::denorm_min(),
          L::epsilon(),
          L::infinity(),
          -L::infinity(),
          L::quiet_NaN(),
          f32_bits(0xffc00000),
          f32_bits(0x7fc00001),
          f32_bits(0x7f800001) /* signalling */,
          f32_bits(0x7fffffff)};
}

std::vector<double> f64_inputs() {
  using L = std::numeric_limits<double>;
  return {0.0,
          -0.0,
          1.0,
          -1.5,
          3.141592653589793,
          L::min(),
          L::max(),
          L::lowest(),
          L::denorm_min(),
          -L::denorm_min(),
          L::epsilon(),
          L::infinity(),
          -L::infinity(),
          L::quiet_NaN(),
          f64_bits(0xfff8000000000000),
          f64_bits(0x7ff8000000000001),
          f64_bits(0x7ff0000000000001) /* signalling */,
          f64_bits(0x7fffffffffffffff),
          1e300,
          -1e-300};
}

std::string repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

std::vector<std::string> string_inputs() {
  return {"",
          "a",
          "hello, world",
          std::string("nul\0inside", 10),
          "h\xc3\xa9llo",                                  // 2-byte
          "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",          // 3-byte
          "\xf0\x9f\x98\x80 emoji \xf0\x9d\x84\x9e clef",  // 4-byte
          "\xef\xbf\xbf\xf4\x8f\xbf\xbf\xee\x80\x80",      // U+FFFF U+10FFFF U+E000
          "MiXeD case 123 \xc3\x9f\xc3\xa0",               // non-ASCII letters stay
          "\x7f\x01\x1f control",
          repeat("abcdefghij", 10000),                 // 100 000 bytes
          repeat("\xc3\xa9\xf0\x9f\x98\x80x", 5000)};  // multi-byte, long
}

std::vector<Val> strings() {
  std::vector<Val> out;
  for (auto& s : string_inputs()) out.push_back(Val::string(s));
  return out;
}

std::vector<Val> byte_lists() {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  std::string big;
  for (int i = 0; i < 100000; ++i) big.push_back(static_cast<char>((i * 7) & 0xff));
  return {Val::bytes(""), Val::bytes("x"), Val::bytes(std::string("\0\xff", 2)), Val::bytes(all),
          Val::bytes(big)};
}

std::vector<Val> string_lists() {
  std::vector<Val> thousand;
  for (int i = 0; i < 1000; ++i)
    thousand.push_back(
        Val::string(i % 3 ? std::to_string(i) : "\xf0\x9f\x98\x80" + std::to_string(i)));
  std::vector<Val> all;
  for (auto& s : string_inputs()) all.push_back(Val::string(s));
  return {Val::list({}), Val::list({Val::string("")}),
          Val::list({Val::string("a"), Val::string(""), Val::string("b")}), Val::list(all),
          Val::list(thousand)};
}

Val point(int32_t x, int32_t y, std::string label) {
  return Val::record({Val::s32(x), Val::s32(y), Val::string(std::move(label))});
}

std::vector<Val> points() {
  return {point(0, 0, ""), point(1, -1, "p"),
          point(std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(), "edge"),
          point(-7, 42, "\xc3\xbcn\xc3\xaf\xf0\x9f\x98\x80"),
          point(123456, -654321, repeat("long label ", 1000))};
}

std::vector<Val> shapes() {
  std::vector<Val> out;
  for (double d : {0.0, 1.5, -2.0, 1e300, std::numeric_limits<double>::infinity(),
                   std::numeric_limits<double>::quiet_NaN(), -0.0})
    out.push_back(Val::variant(0, Val::f64(d)));
  const float inf = std::numeric_limits<float>::infinity();
  for (auto [w, h] : std::initializer_list<std::pair<float, float>>{
           {0.0f, 0.0f},
           {2.0f, 3.5f},
           {-1.0f, 4.0f},
           {inf, -0.0f},
           {3e38f, 3e38f},
           {std::numeric_limits<float>::quiet_NaN(), 1.0f}})
    out.push_back(Val::variant(1, Val::tuple({Val::f32(w), Val::f32(h)})));
  out.push_back(Val::variant(2, Val::string("")));
  out.push_back(Val::variant(2, Val::string("\xf0\x9f\x98\x80 named")));
  out.push_back(Val::variant(3));
  return out;
}

std::vector<Val> all_flags() {
  std::vector<Val> out;
  for (uint32_t bits = 0; bits < 16; ++bits) out.push_back(Val::flags(bits));
  return out;
}

std::vector<Val> chars() {
  std::vector<Val> out;
  for (char32_t c : {0x0u, 0x41u, 0x7fu, 0x80u, 0xe9u, 0x7ffu, 0x800u, 0xd7ffu, 0xe000u, 0xfffdu,
                     0xffffu, 0x10000u, 0x1f600u, 0x10fffeu, 0x10ffffu})
    out.push_back(Val::char_(c));
  return out;
}

// --- tests -----------------------------------------------------------------------------------

TEST_F(Differential, Bool) {
  check("echo-bool", singles({Val::bool_(false), Val::bool_(true)}));
  check("negate", singles({Val::bool_(false), Val::bool_(true)}));
}

TEST_F(Differential, Integers) {
  using std::numeric_limits;
  check("echo-u8", each(Val::u8, {uint8_t{0}, uint8_t{1}, uint8_t{127}, uint8_t{128},
                                  numeric_limits<uint8_t>::max()}));
  check("echo-s8", each(Val::s8, {numeric_limits<int8_t>::min(), int8_t{-1}, int8_t{0}, int8_t{1},
                                  numeric_limits<int8_t>::max()}));
  check("echo-u16", each(Val::u16, {uint16_t{0}, uint16_t{255}, uint16_t{256}, uint16_t{32768},
                                    numeric_limits<uint16_t>::max()}));
  check("echo-s16", each(Val::s16, {numeric_limits<int16_t>::min(), int16_t{-1}, int16_t{0},
                                    int16_t{-129}, numeric_limits<int16_t>::max()}));
  check("echo-u32", each(Val::u32, {0u, 1u, 0x7fffffffu, 0x80000000u, 0xffffffffu}));
  check("echo-s32",
        each(Val::s32, {numeric_limits<int32_t>::min(), -1, 0, 1, numeric_limits<int32_t>::max()}));
  check("echo-u64",
        each(Val::u64, {uint64_t{0}, uint64_t{1}, uint64_t{0xffffffff}, uint64_t{0x100000000},
                        uint64_t{0x8000000000000000}, numeric_limits<uint64_t>::max()}));
  check("echo-s64", each(Val::s64, {numeric_limits<int64_t>::min(), int64_t{-1}, int64_t{0},
                                    int64_t{0x7fffffff} + 1, numeric_limits<int64_t>::max()}));
}

TEST_F(Differential, AddU32) {
  std::vector<std::vector<Val>> cases;
  for (uint32_t a : {0u, 1u, 0x7fffffffu, 0x80000000u, 0xffffffffu})
    for (uint32_t b : {0u, 1u, 0x80000000u, 0xffffffffu})
      cases.push_back({Val::u32(a), Val::u32(b)});
  check("add-u32", cases);
}

TEST_F(Differential, Floats) {
  std::vector<Val> f32s, f64s;
  for (float f : f32_inputs()) f32s.push_back(Val::f32(f));
  for (double d : f64_inputs()) f64s.push_back(Val::f64(d));
  check("echo-f32", singles(f32s));
  check("echo-f64", singles(f64s));
}

TEST_F(Differential, Chars) {
  check("echo-char", singles(chars()));
  check("char-code", singles(chars()));
}

TEST_F(Differential, Strings) {
  check("echo-string", singles(strings()));
  check("upper", singles(strings()));
  check("count-chars", singles(strings()));
  check("stats", singles(strings()));
}

TEST_F(Differential, ParseU32) {
  std::vector<Val> inputs = strings();
  for (const char* s : {"0", "7", "42", "007", "4294967295", "4294967296", "99999999999", "-1",
                        "+1", " 1", "1 ", "12a", "0x10", "\xd9\xa3" /* arabic-indic 3 */})
    inputs.push_back(Val::string(s));
  check("parse-u32", singles(inputs));
}

TEST_F(Differential, Bytes) {
  check("echo-bytes", singles(byte_lists()));
  check("reverse-bytes", singles(byte_lists()));
}

TEST_F(Differential, StringLists) {
  check("echo-strings", singles(string_lists()));
  std::vector<std::vector<Val>> joins;
  for (const Val& list : string_lists())
    for (const char* sep : {"", ",", ", ", "\xf0\x9f\x98\x80"})
      joins.push_back({list, Val::string(sep)});
  check("join", joins);
}

TEST_F(Differential, Records) {
  check("echo-record", singles(points()));
  check("mirror", singles(points()));
}

TEST_F(Differential, ListOfRecords) {
  std::vector<Val> thousand;
  for (int i = 0; i < 1000; ++i) thousand.push_back(point(i, -i, "p" + std::to_string(i)));
  check("echo-list-records", singles({Val::list({}), Val::list({point(1, 2, "one")}),
                                      Val::list(points()), Val::list(thousand)}));
}

TEST_F(Differential, Tuples) {
  std::vector<Val> tuples;
  for (uint8_t u : {uint8_t{0}, uint8_t{255}})
    for (const char* s : {"", "x", "\xf0\x9f\x98\x80"})
      for (double d : {0.0, -1.25, std::numeric_limits<double>::infinity(),
                       std::numeric_limits<double>::quiet_NaN()})
        tuples.push_back(Val::tuple({Val::u8(u), Val::string(s), Val::f64(d)}));
  check("echo-tuple", singles(tuples));
}

TEST_F(Differential, Variants) {
  check("echo-variant", singles(shapes()));
  check("area", singles(shapes()));
}

TEST_F(Differential, Enums) {
  std::vector<Val> colors = {Val::enum_(0), Val::enum_(1), Val::enum_(2)};
  check("echo-enum", singles(colors));
  check("next-color", singles(colors));
}

TEST_F(Differential, Options) {
  std::vector<Val> opts = {Val::none()};
  for (const Val& s : strings()) opts.push_back(Val::some(s));
  check("echo-option", singles(opts));
  check("bump", singles({Val::none(), Val::some(Val::u32(0)), Val::some(Val::u32(41)),
                         Val::some(Val::u32(0xfffffffe)), Val::some(Val::u32(0xffffffff))}));
}

TEST_F(Differential, Results) {
  check("echo-result",
        singles({Val::ok(Val::u32(0)), Val::ok(Val::u32(0xffffffff)), Val::err(Val::string("")),
                 Val::err(Val::string("bad \xf0\x9f\x98\x80")),
                 Val::err(Val::string(repeat("e", 70000)))}));
}

TEST_F(Differential, Flags) {
  check("echo-flags", singles(all_flags()));
  check("invert", singles(all_flags()));
}

// The harness itself: the comparison sees differences (and only NaN-ness for NaNs), and every
// input converts to a Wasmtime value and back unchanged.
TEST_F(Differential, HarnessSanity) {
  EXPECT_FALSE(same(Val::u32(1), Val::u32(2)));
  EXPECT_FALSE(same(Val::f64(0.0), Val::f64(-0.0)));
  EXPECT_TRUE(same(Val::f32(f32_bits(0x7fc00000)), Val::f32(f32_bits(0xffc00001))));
  EXPECT_FALSE(same(Val::string("a"), Val::string("b")));
  EXPECT_FALSE(same(Val::some(Val::u32(1)), Val::none()));
  EXPECT_FALSE(same(Val::list({Val::string("a")}), Val::list({})));
  for (const auto& export_name : {"echo-record", "echo-variant", "echo-strings", "echo-option",
                                  "echo-flags", "echo-tuple", "echo-list-records", "echo-result"}) {
    auto f = lepton_func(export_name);
    ASSERT_TRUE(f.ok()) << f.error().message;
    const Type& t = *(*f)->type.params[0];
    std::vector<Val> values;
    if (t.kind() == K::kRecord) values = points();
    if (t.kind() == K::kVariant) values = shapes();
    if (t.kind() == K::kList) values = string_lists();
    if (t.kind() == K::kOption) values = {Val::none(), Val::some(Val::string("x"))};
    if (t.kind() == K::kFlags) values = all_flags();
    if (t.kind() == K::kTuple) values = {Val::tuple({Val::u8(1), Val::string("s"), Val::f64(2)})};
    if (t.kind() == K::kResult) values = {Val::ok(Val::u32(3)), Val::err(Val::string("e"))};
    if (std::string_view(export_name) == "echo-list-records") values = {Val::list(points())};
    ASSERT_FALSE(values.empty()) << export_name;
    for (const Val& v : values) {
      WasmtimeVals w(1);
      ASSERT_TRUE(to_wasmtime(v, t, w.v[0]).ok()) << show(v);
      auto back = from_wasmtime(w.v[0], t);
      ASSERT_TRUE(back.ok()) << back.error().message;
      EXPECT_TRUE(same(v, *back)) << show(v) << " came back as " << show(*back);
    }
  }
}

// Resources: a blob made by the constructor, read through its methods, extended with
// blob-append (borrow in, own out) and consumed with blob-take; the observable bytes and sizes
// must agree (handle numbers and reps are each side's own business).
struct BlobObservation {
  std::vector<uint32_t> sizes;
  std::vector<std::string> bytes;
  bool operator==(const BlobObservation&) const = default;
};

std::string show(const BlobObservation& o) {
  std::string s = "sizes [";
  for (uint32_t n : o.sizes) s += fmt::format("{} ", n);
  s += "] bytes [";
  for (const auto& b : o.bytes) s += show(Val::bytes(b)) + " ";
  return s + "]";
}

Status push_size(BlobObservation& o, const std::vector<Val>& r) {
  if (r.size() != 1 || r[0].kind() != Val::Kind::kU32) return fail("size: {}", show(r));
  o.sizes.push_back(static_cast<uint32_t>(r[0].as_uint()));
  return {};
}

Status push_bytes(BlobObservation& o, const std::vector<Val>& r) {
  if (r.size() != 1 || !r[0].is_bytes()) return fail("bytes: {}", show(r));
  o.bytes.push_back(r[0].as_bytes());
  return {};
}

class DifferentialResources : public Differential {
 protected:
  Result<BlobObservation> lepton_blobs(const std::string& data, const std::string& extra) {
    BlobObservation o;
    LEPTON_TRY(LeptonInstance l, lepton_instance());
    auto call = [&](std::string_view name, std::vector<Val> args) -> Result<std::vector<Val>> {
      LEPTON_TRY(const LiftedFunction* f, lepton_func(name));
      auto r = l.instance->call(*f, args);
      if (!r) return r.error().context(fmt::format("{}{}", name, show(args)));
      return r;
    };
    LEPTON_TRY(auto made, call("[constructor]blob", {Val::bytes(data)}));
    if (made.size() != 1 || made[0].kind() != Val::Kind::kOwn)
      return fail("constructor: {}", show(made));
    uint32_t a = made[0].rep();
    LEPTON_TRY(auto size, call("[method]blob.size", {Val::borrow(a)}));
    LEPTON_CHECK(push_size(o, size));
    LEPTON_TRY(auto bytes, call("[method]blob.data", {Val::borrow(a)}));
    LEPTON_CHECK(push_bytes(o, bytes));
    LEPTON_TRY(auto appended, call("blob-append", {Val::borrow(a), Val::bytes(extra)}));
    if (appended.size() != 1 || appended[0].kind() != Val::Kind::kOwn)
      return fail("blob-append: {}", show(appended));
    uint32_t b = appended[0].rep();
    LEPTON_TRY(auto size_b, call("[method]blob.size", {Val::borrow(b)}));
    LEPTON_CHECK(push_size(o, size_b));
    LEPTON_TRY(auto bytes_b, call("[method]blob.data", {Val::borrow(b)}));
    LEPTON_CHECK(push_bytes(o, bytes_b));
    LEPTON_TRY(auto taken_b, call("blob-take", {Val::own(b)}));
    LEPTON_CHECK(push_bytes(o, taken_b));
    // The first blob is still usable after being borrowed by blob-append.
    LEPTON_TRY(auto size_a, call("[method]blob.size", {Val::borrow(a)}));
    LEPTON_CHECK(push_size(o, size_a));
    LEPTON_TRY(auto taken_a, call("blob-take", {Val::own(a)}));
    LEPTON_CHECK(push_bytes(o, taken_a));
    return o;
  }

  Result<BlobObservation> wasmtime_blobs(const std::string& data, const std::string& extra) {
    BlobObservation o;
    LEPTON_TRY(auto w, WasmtimeInstance::create(*wasmtime_, interface_));
    auto u8s = component::ty::list(component::ty::u8());
    auto bytes_arg = [&](const std::string& s, wasmtime_component_val_t& out) {
      return to_wasmtime(Val::bytes(s), *u8s, out);
    };
    auto resource_arg = [](wasmtime_component_resource_any_t* r, wasmtime_component_val_t& out) {
      out.kind = WASMTIME_COMPONENT_RESOURCE;
      out.of.resource = wasmtime_component_resource_any_clone(r);
    };
    auto read = [&](wasmtime_component_resource_any_t* r) -> Status {
      WasmtimeVals args(1), size(1), bytes(1);
      resource_arg(r, args.v[0]);
      LEPTON_CHECK(w->call_raw("[method]blob.size", args.v, size));
      LEPTON_TRY(Val n, from_wasmtime(size.v[0], *component::ty::u32()));
      LEPTON_CHECK(push_size(o, {n}));
      LEPTON_CHECK(w->call_raw("[method]blob.data", args.v, bytes));
      LEPTON_TRY(Val b, from_wasmtime(bytes.v[0], *u8s));
      return push_bytes(o, {b});
    };
    auto take = [&](wasmtime_component_resource_any_t* r) -> Status {
      WasmtimeVals args(1), bytes(1);
      resource_arg(r, args.v[0]);
      LEPTON_CHECK(w->call_raw("blob-take", args.v, bytes));
      LEPTON_TRY(Val b, from_wasmtime(bytes.v[0], *u8s));
      return push_bytes(o, {b});
    };

    WasmtimeVals ctor_args(1), made(1);
    LEPTON_CHECK(bytes_arg(data, ctor_args.v[0]));
    LEPTON_CHECK(w->call_raw("[constructor]blob", ctor_args.v, made));
    if (made.v[0].kind != WASMTIME_COMPONENT_RESOURCE) return fail("constructor: not a resource");
    wasmtime_component_resource_any_t* a = made.v[0].of.resource;
    LEPTON_CHECK(read(a));
    WasmtimeVals append_args(2), appended(1);
    resource_arg(a, append_args.v[0]);
    LEPTON_CHECK(bytes_arg(extra, append_args.v[1]));
    LEPTON_CHECK(w->call_raw("blob-append", append_args.v, appended));
    if (appended.v[0].kind != WASMTIME_COMPONENT_RESOURCE)
      return fail("blob-append: not a resource");
    wasmtime_component_resource_any_t* b = appended.v[0].of.resource;
    LEPTON_CHECK(read(b));
    LEPTON_CHECK(take(b));
    WasmtimeVals args(1), size(1);
    resource_arg(a, args.v[0]);
    LEPTON_CHECK(w->call_raw("[method]blob.size", args.v, size));
    LEPTON_TRY(Val n, from_wasmtime(size.v[0], *component::ty::u32()));
    LEPTON_CHECK(push_size(o, {n}));
    LEPTON_CHECK(take(a));
    return o;
  }
};

TEST_F(DifferentialResources, BlobLifecycle) {
  std::string big;
  for (int i = 0; i < 70000; ++i) big.push_back(static_cast<char>(i & 0xff));
  for (const auto& [data, extra] :
       std::initializer_list<std::pair<std::string, std::string>>{{"", ""},
                                                                  {"abc", ""},
                                                                  {"", "xyz"},
                                                                  {"hello ", "world"},
                                                                  {std::string("\0\xff", 2), big},
                                                                  {big, big}}) {
    SCOPED_TRACE(fmt::format("blob {} + {} bytes", data.size(), extra.size()));
    auto l = lepton_blobs(data, extra);
    auto w = wasmtime_blobs(data, extra);
    ASSERT_TRUE(w.ok()) << "Wasmtime: " << w.error().message;
    ASSERT_TRUE(l.ok()) << "lepton: " << l.error().message;
    EXPECT_EQ(*l, *w) << "lepton " << show(*l) << "\nWasmtime " << show(*w);
    EXPECT_EQ(l->sizes, (std::vector<uint32_t>{static_cast<uint32_t>(data.size()),
                                               static_cast<uint32_t>(data.size() + extra.size()),
                                               static_cast<uint32_t>(data.size())}));
  }
}

// Many calls on one instance of each side: state (allocator, handle tables) must not drift.
TEST_F(DifferentialResources, ManyBlobsOnOneInstance) {
  auto l = lepton_instance();
  ASSERT_TRUE(l.ok()) << l.error().message;
  auto w = WasmtimeInstance::create(*wasmtime_, interface_);
  ASSERT_TRUE(w.ok()) << w.error().message;
  auto ctor = lepton_func("[constructor]blob");
  auto take = lepton_func("blob-take");
  ASSERT_TRUE(ctor.ok() && take.ok());
  auto u8s = component::ty::list(component::ty::u8());
  for (int i = 0; i < 300; ++i) {
    std::string data = repeat("\xf0\x9f\x98\x80", static_cast<size_t>(i));
    auto made = l->instance->call(**ctor, std::vector{Val::bytes(data)});
    ASSERT_TRUE(made.ok()) << made.error().message;
    auto lt = l->instance->call(**take, std::vector{Val::own((*made)[0].rep())});
    ASSERT_TRUE(lt.ok()) << lt.error().message;

    WasmtimeVals args(1), res(1), targs(1), tres(1);
    ASSERT_TRUE(to_wasmtime(Val::bytes(data), *u8s, args.v[0]).ok());
    auto s = (*w)->call_raw("[constructor]blob", args.v, res);
    ASSERT_TRUE(s.ok()) << s.error().message;
    targs.v[0].kind = WASMTIME_COMPONENT_RESOURCE;
    targs.v[0].of.resource = wasmtime_component_resource_any_clone(res.v[0].of.resource);
    s = (*w)->call_raw("blob-take", targs.v, tres);
    ASSERT_TRUE(s.ok()) << s.error().message;
    auto wt = from_wasmtime(tres.v[0], *u8s);
    ASSERT_TRUE(wt.ok()) << wt.error().message;
    ASSERT_TRUE(same((*lt)[0], *wt)) << "iteration " << i;
    ASSERT_EQ((*lt)[0].as_bytes(), data);
  }
}

// A composed component (tests/component/data/<fixture>.wat) called through lepton's
// component-to-component adapters and through Wasmtime's fused adapters: the same calls in the
// same order give the same results, and the calls that trap fail on both sides (a trapped
// instance is replaced on both sides). Returns how many calls trapped.
struct ComposeCase {
  std::string name;
  std::vector<Val> args;
};

size_t compare_composed(std::string_view fixture, const std::vector<ComposeCase>& cases) {
  auto path = std::filesystem::path(LEPTON_COMPONENT_FIXTURES) / (std::string(fixture) + ".wasm");
  auto bytes = engine::read_file(path);
  EXPECT_TRUE(bytes.ok()) << bytes.error().message;
  if (!bytes.ok()) return 0;
  std::span<const uint8_t> span(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size());
  engine::EngineOptions options;
  options.max_instances = 4;
  options.max_instance_memory = 16 << 20;
  options.cache = false;
  auto engine = engine::Engine::create(options);
  EXPECT_TRUE(engine.ok()) << engine.error().message;
  if (!engine.ok()) return 0;
  component::HostRegistry registry;
  auto tmpl = component::ComponentTemplate::load(**engine, registry, span, fixture);
  EXPECT_TRUE(tmpl.ok()) << tmpl.error().message;
  auto wasmtime = WasmtimeComponent::load(span);
  EXPECT_TRUE(wasmtime.ok()) << wasmtime.error().message;
  if (!tmpl.ok() || !wasmtime.ok()) return 0;

  std::unique_ptr<engine::Store> store;
  std::unique_ptr<component::ComponentInstance> lepton;
  std::unique_ptr<WasmtimeInstance> reference;
  size_t trapped = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(fmt::format("{}: {}{}", fixture, c.name, show(c.args)));
    if (!lepton) {
      store = std::make_unique<engine::Store>(**engine, engine::StoreLimits{});
      auto i = component::ComponentInstance::instantiate(*tmpl, *store);
      EXPECT_TRUE(i.ok()) << i.error().message;
      auto w = WasmtimeInstance::create(**wasmtime, "");
      EXPECT_TRUE(w.ok()) << w.error().message;
      if (!i.ok() || !w.ok()) return trapped;
      lepton = std::move(*i);
      reference = std::move(*w);
    }
    const LiftedFunction* f = (*tmpl)->find_export("", c.name);
    EXPECT_NE(f, nullptr);
    if (f == nullptr) continue;
    auto lr = lepton->call(*f, c.args);
    auto wr = reference->call(c.name, f->type, c.args);
    EXPECT_EQ(lr.ok(), wr.ok()) << "lepton " << (lr.ok() ? show(*lr) : lr.error().message)
                                << "; Wasmtime " << (wr.ok() ? show(*wr) : wr.error().message);
    if (!lr.ok() || !wr.ok()) {
      ++trapped;
      lepton.reset();
      store.reset();
      reference.reset();
      continue;
    }
    EXPECT_EQ(lr->size(), wr->size());
    for (size_t i = 0; i < lr->size() && i < wr->size(); ++i)
      EXPECT_TRUE(same((*lr)[i], (*wr)[i])) << "lepton " << show(*lr) << ", Wasmtime " << show(*wr);
  }
  return trapped;
}

// compose.wat: component B calls functions lifted by component A (integers, strings in
// different encodings, list<u8>, record, variant, result, a resource A implements).
TEST(DifferentialCompose, ValuesStringsResources) {
  size_t trapped = compare_composed(
      "compose", {
                     {"run-add", {Val::u32(40), Val::u32(2)}},
                     {"run-add", {Val::u32(0xffffffff), Val::u32(7)}},
                     {"run-greet", {Val::string("wörld ✓ 𝄞")}},
                     {"run-greet", {Val::string("")}},
                     {"run-greet-latin1", {Val::string("café")}},
                     {"run-greet-latin1", {Val::string("日本 and ascii")}},
                     {"run-posts", {}},
                     {"posts", {}},
                     {"run-sum", {Val::bytes(std::string("\x00\x01\x80\xff", 4))}},
                     {"run-measure", {Val::record({Val::u32(3), Val::string("héllo 𝄞")})}},
                     {"run-classify", {Val::variant(0, Val::u32(0x80000001))}},
                     {"run-classify", {Val::variant(1, Val::string("ünïcödé"))}},
                     {"run-counter", {Val::u32(11)}},
                     {"run-consume", {Val::u32(12)}},
                     {"run-counter", {Val::u32(13)}},
                     {"run-fail", {}},
                     {"run-add", {Val::u32(1), Val::u32(2)}},
                     {"run-bad-handle", {}},
                     {"run-counter", {Val::u32(0)}},
                 });
  EXPECT_EQ(trapped, 2u);
}

// compose_reenter.wat: the parent calling into its child again while the child runs traps, as
// does the child calling an import from its post-return. (The child calling back into its parent,
// ping(6), is left out: the current CanonicalABI.md allows it — entering_set() leaves out the
// instances the caller is already inside — and lepton does, Compose.ReentranceTraps; the Wasmtime
// lepton tests against traps with "cannot enter component instance".)
TEST(DifferentialCompose, Reentrance) {
  size_t trapped = compare_composed("compose_reenter", {
                                                           {"ping", {Val::u32(0)}},
                                                           {"ping", {Val::u32(1)}},
                                                           {"ping", {Val::u32(0)}},
                                                           {"ping-post", {Val::u32(0)}},
                                                           {"ping", {Val::u32(0)}},
                                                       });
  EXPECT_EQ(trapped, 2u);
}

}  // namespace
}  // namespace lepton
