// The plain C++ model of a component binary (design/mvp/Binary.md of the component model), as
// produced by parse_component() in binary.h. Every definition keeps its absolute byte offset in the
// input buffer; nothing here owns or points into the input bytes.
//
// Index spaces: a Component (and each component/instance *type*, which is its own scope) keeps one
// vector per sort mapping "sort index N" to the definition that introduced it (IndexEntry), so a
// later stage resolves "core func 7" or "type 12" without replaying the section order.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "component/string_encoding.h"

namespace lepton::component::binary {

// ---- sorts and index spaces ------------------------------------------------------------------

// Every index space of a component scope. Core sorts first, in core:sort order.
enum class Sort : uint8_t {
  kCoreFunc,
  kCoreTable,
  kCoreMemory,
  kCoreGlobal,
  kCoreTag,
  kCoreType,
  kCoreModule,
  kCoreInstance,
  kFunc,
  kValue,
  kType,
  kComponent,
  kInstance,
};
inline constexpr size_t kSortCount = 13;
std::string_view sort_name(Sort sort);  // "core func", "type", ...
inline bool is_core_sort(Sort sort) { return sort <= Sort::kCoreInstance; }

// Which definition introduced an index. `item` indexes the matching vector of the owning scope
// (Component::aliases, Component::canons, ... or, inside a component/instance type,
// TypeDef::decls).
enum class Origin : uint8_t {
  kCoreModule,    // Component::core_modules
  kCoreInstance,  // Component::core_instances
  kCoreType,      // Component::core_types; `sub` = position inside the rec group
  kComponent,     // Component::components
  kInstance,      // Component::instances
  kAlias,         // Component::aliases
  kType,          // Component::types
  kCanon,         // Component::canons
  kStart,         // Component::starts; `sub` = which result
  kImport,        // Component::imports
  kExport,        // Component::exports
  kValue,         // Component::values
  kDecl,          // TypeDef::decls (inside a component or instance type)
};
std::string_view origin_name(Origin origin);

struct IndexEntry {
  Origin origin;
  uint32_t item = 0;
  uint32_t sub = 0;
};
using IndexSpaces = std::array<std::vector<IndexEntry>, kSortCount>;

// ---- core types ------------------------------------------------------------------------------

enum class CoreValKind : uint8_t { kI32, kI64, kF32, kF64, kV128, kRef, kI8, kI16 };
struct CoreValType {
  CoreValKind kind = CoreValKind::kI32;
  bool nullable = true;  // kRef
  // kRef: >= 0 a concrete type index, < 0 an abstract heap type as its s33 value
  // (-0x10 func, -0x11 extern, -0x12 any, ...).
  int64_t heap = 0;
};

struct CoreFuncType {
  std::vector<CoreValType> params;
  std::vector<CoreValType> results;
};
struct CoreFieldType {
  CoreValType type;  // storage type (kI8/kI16 only here)
  bool mut = false;
};
enum class CoreCompKind : uint8_t { kFunc, kStruct, kArray, kCont };
struct CoreSubType {
  size_t offset = 0;
  bool final = true;
  std::vector<uint32_t> supertypes;
  CoreCompKind kind = CoreCompKind::kFunc;
  CoreFuncType func;                  // kFunc
  std::vector<CoreFieldType> fields;  // kStruct; kArray has exactly one
  uint32_t cont_type = 0;             // kCont
};
struct CoreRecGroup {
  bool explicit_rec = false;  // written as 0x4e vec(subtype)
  std::vector<CoreSubType> types;
};

enum class CoreExternKind : uint8_t { kFunc, kTable, kMemory, kGlobal, kTag };
std::string_view core_extern_kind_name(CoreExternKind kind);
struct CoreLimits {
  uint64_t min = 0;
  std::optional<uint64_t> max;
  bool shared = false;
  bool is64 = false;
  std::optional<uint32_t> page_size_log2;
};
struct CoreExternType {
  CoreExternKind kind = CoreExternKind::kFunc;
  uint32_t type_index = 0;  // kFunc, kTag
  CoreValType value;        // kTable element type, kGlobal value type
  CoreLimits limits;        // kTable, kMemory
  bool mut = false;         // kGlobal
};

enum class ModuleDeclKind : uint8_t { kImport, kType, kOuterAlias, kExport };
struct ModuleDecl {
  ModuleDeclKind kind = ModuleDeclKind::kType;
  size_t offset = 0;
  std::string module;                         // kImport
  std::string name;                           // kImport, kExport
  CoreExternType type;                        // kImport, kExport
  CoreRecGroup rec;                           // kType
  uint32_t outer_count = 0, outer_index = 0;  // kOuterAlias (of a core type)
};

// One entry of a core type section (or a core type declarator): a rec group of GC/func types, or
// a module type.
struct CoreTypeDef {
  size_t offset = 0;
  bool is_module = false;
  CoreRecGroup rec;               // !is_module
  std::vector<ModuleDecl> decls;  // is_module
  // The number of core type indices the definition introduces.
  uint32_t index_count() const { return is_module ? 1 : static_cast<uint32_t>(rec.types.size()); }
};

// ---- component value types -------------------------------------------------------------------

enum class PrimType : uint8_t {
  kBool,
  kS8,
  kU8,
  kS16,
  kU16,
  kS32,
  kU32,
  kS64,
  kU64,
  kF32,
  kF64,
  kChar,
  kString,
  kErrorContext,
};
std::string_view prim_name(PrimType type);

// A valtype: a primitive, or an index into the type index space of the enclosing scope.
struct ValType {
  bool primitive = true;
  PrimType prim = PrimType::kBool;
  uint32_t index = 0;
  static ValType of(PrimType p) { return ValType{true, p, 0}; }
  static ValType ref(uint32_t i) { return ValType{false, PrimType::kBool, i}; }
  bool operator==(const ValType&) const = default;
};

enum class DefinedKind : uint8_t {
  kPrimitive,
  kRecord,
  kVariant,
  kList,
  kFixedList,
  kTuple,
  kFlags,
  kEnum,
  kOption,
  kResult,
  kOwn,
  kBorrow,
  kStream,
  kFuture,
  kMap,
};
std::string_view defined_kind_name(DefinedKind kind);

struct Field {
  std::string name;
  ValType type;
};
struct Case {
  std::string name;
  std::optional<ValType> type;
};

// A defvaltype. Which members are meaningful depends on `kind`.
struct DefinedType {
  DefinedKind kind = DefinedKind::kPrimitive;
  PrimType prim = PrimType::kBool;  // kPrimitive
  std::vector<Field> fields;        // kRecord
  std::vector<Case> cases;          // kVariant
  std::vector<ValType> types;       // kTuple
  std::vector<std::string> labels;  // kFlags, kEnum
  // kList, kFixedList, kOption: the element; kResult: ok type; kStream/kFuture: payload;
  // kMap: key type.
  std::optional<ValType> element;
  std::optional<ValType> error;  // kResult: error type; kMap: value type
  uint32_t length = 0;           // kFixedList
  uint32_t resource = 0;         // kOwn, kBorrow: type index of the resource
};

struct FuncType {
  bool async = false;
  std::vector<Field> params;
  std::optional<ValType> result;
};

struct ResourceType {
  CoreValType rep;               // always i32 today
  std::optional<uint32_t> dtor;  // core func index
};

// ---- names, sort indices, extern types -------------------------------------------------------

// An import/export name (`nameattributes`): the plain extern name plus optional attributes.
struct ExternName {
  std::string name;  // e.g. "wasi:http/types@0.2.3", "[method]fields.get", "run"
  std::optional<std::string> implements;
  std::optional<std::string> version_suffix;
  std::optional<std::string> external_id;
};

struct SortIdx {
  Sort sort = Sort::kFunc;
  uint32_t index = 0;
};

// An externtype (also used for the type of imports/exports in type declarators).
struct ExternType {
  Sort sort = Sort::kFunc;  // kCoreModule, kFunc, kValue, kType, kComponent, kInstance
  // kCoreModule: core type index; kFunc/kComponent/kInstance: type index; kType with
  // !sub_resource: the (eq i) type index.
  uint32_t index = 0;
  bool sub_resource = false;  // kType: (sub resource)
  ValType value;              // kValue: the value's type (encoded as 0x02 valtype)
};

enum class AliasKind : uint8_t { kInstanceExport, kCoreInstanceExport, kOuter };
struct Alias {
  size_t offset = 0;
  Sort sort = Sort::kFunc;
  AliasKind kind = AliasKind::kInstanceExport;
  uint32_t instance = 0;                      // kInstanceExport, kCoreInstanceExport
  std::string name;                           // kInstanceExport, kCoreInstanceExport
  uint32_t outer_count = 0, outer_index = 0;  // kOuter
};

// ---- component and instance types ------------------------------------------------------------

struct TypeDef;

enum class DeclKind : uint8_t { kCoreType, kType, kAlias, kImport, kExport };
struct Decl {
  DeclKind kind = DeclKind::kType;
  size_t offset = 0;
  std::unique_ptr<CoreTypeDef> core_type;  // kCoreType
  std::unique_ptr<TypeDef> type;           // kType
  Alias alias;                             // kAlias
  ExternName name;                         // kImport, kExport
  ExternType extern_type;                  // kImport, kExport
};

enum class TypeKind : uint8_t { kDefined, kFunc, kComponent, kInstance, kResource };
struct TypeDef {
  TypeKind kind = TypeKind::kDefined;
  size_t offset = 0;
  DefinedType defined;      // kDefined
  FuncType func;            // kFunc
  ResourceType resource;    // kResource
  std::vector<Decl> decls;  // kComponent, kInstance
  // kComponent, kInstance: the type's own index spaces (origin kDecl, item = decl index).
  IndexSpaces spaces;
};

// ---- component-level definitions -------------------------------------------------------------

struct CoreModule {
  size_t offset = 0;  // first byte of the embedded module (its magic)
  size_t size = 0;
};

struct CoreInstantiateArg {
  std::string name;
  uint32_t instance = 0;  // core instance index
};
struct CoreInlineExport {
  std::string name;
  SortIdx item;  // a core sort
};
struct CoreInstance {
  size_t offset = 0;
  bool instantiate = true;
  uint32_t module = 0;                    // instantiate
  std::vector<CoreInstantiateArg> args;   // instantiate
  std::vector<CoreInlineExport> exports;  // !instantiate
};

struct InstantiateArg {
  std::string name;
  SortIdx item;
};
struct InlineExport {
  ExternName name;
  SortIdx item;
};
struct Instance {
  size_t offset = 0;
  bool instantiate = true;
  uint32_t component = 0;             // instantiate
  std::vector<InstantiateArg> args;   // instantiate
  std::vector<InlineExport> exports;  // !instantiate
};

struct CanonOptions {
  StringEncoding string_encoding = StringEncoding::kUtf8;
  std::optional<uint32_t> memory;       // core memory index
  std::optional<uint32_t> realloc;      // core func index
  std::optional<uint32_t> post_return;  // core func index
  bool async = false;
  std::optional<uint32_t> callback;   // core func index
  std::optional<uint32_t> core_type;  // core type index (0x08)
  bool gc = false;
};

enum class CanonKind : uint8_t {
  kLift,          // core func -> func
  kLower,         // func -> core func
  kResourceNew,   // -> core func
  kResourceDrop,  // -> core func
  kResourceRep,   // -> core func
  kUnsupported,   // an async/thread/error-context built-in: parsed, kept with its opcode
};
struct Canon {
  size_t offset = 0;
  CanonKind kind = CanonKind::kLift;
  uint8_t opcode = 0;
  std::string_view builtin;  // static name, e.g. "lift", "stream.read"
  uint32_t func = 0;         // kLift: core func index; kLower: func index
  uint32_t type = 0;         // kLift: func type index; kResource*: resource type index
  CanonOptions options;      // kLift, kLower (and built-ins that carry options)
};

struct Start {
  size_t offset = 0;
  uint32_t func = 0;
  std::vector<uint32_t> args;  // value indices
  uint32_t results = 0;
};

struct Import {
  size_t offset = 0;
  ExternName name;
  ExternType type;
};
struct Export {
  size_t offset = 0;
  ExternName name;
  SortIdx item;
  std::optional<ExternType> type;
};

struct Value {
  size_t offset = 0;
  ValType type;
  size_t data_offset = 0;  // the encoded val(t), left undecoded
  size_t data_size = 0;
};

struct CustomSection {
  std::string name;
  size_t offset = 0;  // the section id byte
  size_t data_offset = 0;
  size_t data_size = 0;
};

// The `component-name` custom section. Per the spec an invalid name section never fails the
// parse: what was read is kept and `error` says what went wrong.
struct SortNames {
  Sort sort = Sort::kFunc;
  std::vector<std::pair<uint32_t, std::string>> names;
};
struct Names {
  std::optional<std::string> component;
  std::vector<SortNames> sorts;
  std::string error;
};

struct Section {
  uint8_t id = 0;
  size_t offset = 0;          // the id byte
  size_t payload_offset = 0;  // after the size
  size_t payload_size = 0;
  uint32_t first = 0;  // index of the section's first item in its Component vector
  uint32_t count = 0;  // items the section contributed
};
std::string_view section_name(uint8_t id);  // "type", "core module", "custom", ...

struct Component {
  size_t offset = 0;  // the preamble's first byte
  size_t size = 0;
  std::vector<Section> sections;  // in binary order

  std::vector<CustomSection> customs;
  std::vector<CoreModule> core_modules;
  std::vector<CoreInstance> core_instances;
  std::vector<CoreTypeDef> core_types;
  std::vector<Component> components;
  std::vector<Instance> instances;
  std::vector<Alias> aliases;
  std::vector<TypeDef> types;
  std::vector<Canon> canons;
  std::vector<Start> starts;
  std::vector<Import> imports;
  std::vector<Export> exports;
  std::vector<Value> values;
  std::optional<Names> names;

  IndexSpaces spaces;

  const std::vector<IndexEntry>& space(Sort sort) const {
    return spaces[static_cast<size_t>(sort)];
  }
  // The definition that introduced index `index` of `sort`, or nullptr when out of range.
  const IndexEntry* lookup(Sort sort, uint32_t index) const {
    const auto& s = space(sort);
    return index < s.size() ? &s[index] : nullptr;
  }
  // The TypeDef behind type index `index` when it was defined by this component's type section
  // (not an alias, import or export); nullptr otherwise.
  const TypeDef* defined_type(uint32_t index) const {
    const IndexEntry* e = lookup(Sort::kType, index);
    return e && e->origin == Origin::kType ? &types[e->item] : nullptr;
  }
};

}  // namespace lepton::component::binary
