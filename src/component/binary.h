// The component binary format reader: bytes of a component (preamble 00 61 73 6d 0d 00 01 00)
// → the plain model of binary_types.h, with index spaces built and the structural validation the
// runtime relies on (indices in range, alias targets exist, names UTF-8 and unique, LEB128 and
// section bounds, bounded nesting). Errors name the section, the entry and the absolute offset:
//   component binary: type section, entry 3, at byte 0x1a2: unknown defined-type opcode 0x60
//
// Not checked here (later stages do it with full type information): subtyping of instantiation
// arguments and export ascriptions, canonical ABI signature agreement, value consumption.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "component/binary_types.h"

namespace lepton::component::binary {

struct ParseOptions {
  // Nesting limit shared by nested components and component/instance types.
  uint32_t max_depth = 64;
};

// True when `bytes` starts with a component preamble (layer 1), false for core modules/garbage.
bool is_component(std::span<const uint8_t> bytes);

Result<Component> parse_component(std::span<const uint8_t> bytes, const ParseOptions& options = {});

// ---- core modules ----------------------------------------------------------------------------

struct CoreImport {
  size_t offset = 0;
  std::string module;
  std::string name;
  CoreExternType type;
};
struct CoreExport {
  size_t offset = 0;
  std::string name;
  CoreExternKind kind = CoreExternKind::kFunc;
  uint32_t index = 0;
};
// What lepton needs to know about a core module without compiling it.
struct CoreModuleInfo {
  std::vector<CoreSubType> types;  // the type section, rec groups flattened
  std::vector<CoreImport> imports;
  std::vector<CoreExport> exports;
  std::vector<CustomSection> customs;  // offsets within module_bytes (base_offset not added)
};

// Parses the type, import and export sections of a core module (other sections are skipped by
// size). `base_offset` is added to reported offsets (the module's position in a component).
Result<CoreModuleInfo> parse_core_module(std::span<const uint8_t> module_bytes,
                                         size_t base_offset = 0);
// The same for a module embedded in a component; `component_bytes` is the buffer given to
// parse_component().
Result<CoreModuleInfo> parse_core_module(std::span<const uint8_t> component_bytes,
                                         const CoreModule& module);

// True when `bytes` is a core module carrying a `component-type` custom section (the world that
// wit-bindgen embeds and `wasm-tools component new` reads): lepton adapts such a module to a
// component at load (linker.h) instead of running it as a Spin 1 / WAGI module.
bool has_component_type(std::span<const uint8_t> bytes);
inline bool is_component_type_section(std::string_view name) {
  return name == "component-type" || name.starts_with("component-type:");
}

// ---- extern names ----------------------------------------------------------------------------

// The structure of an import/export name (Explainer.md "Import and Export Definitions").
struct NameParts {
  enum class Kind : uint8_t {
    kPlain,        // "run", "my-func"
    kInterface,    // "wasi:http/types@0.2.3"
    kConstructor,  // "[constructor]fields"
    kMethod,       // "[method]fields.get"
    kStatic,       // "[static]fields.from-list"
    kAsync,        // "[async]foo", "[async method]r.m", "[async static]r.m"
    kOther,        // url=, dep=, integrity=, locked-dep=, unlocked-dep=, ...
  };
  Kind kind = Kind::kPlain;
  bool async = false;
  std::string_view ns;         // kInterface: "wasi"
  std::string_view package;    // kInterface: "http"
  std::string_view interface;  // kInterface: "types"
  std::string_view version;    // kInterface: "0.2.3" (empty when unversioned)
  std::string_view resource;   // kConstructor/kMethod/kStatic: "fields"
  std::string_view func;       // kPlain/kMethod/kStatic/kAsync: the function label
};
NameParts split_extern_name(std::string_view name);

// ---- debugging -------------------------------------------------------------------------------

// A stable, indented text dump of the model (one definition per line, with offsets), for tests
// and `lepton` debugging output.
std::string describe(const Component& component);
std::string describe(const TypeDef& type);
std::string describe(const ValType& type);

}  // namespace lepton::component::binary
