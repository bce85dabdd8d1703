// Core wasm pieces: value/ref types, rec groups, extern types, and a core module's type, import
// and export sections (everything else in a module is skipped by size).
#include <algorithm>
#include <cstring>

#include "component/binary.h"
#include "component/binary_internal.h"

namespace lepton::component::binary {
namespace detail {
namespace {

bool abstract_heap_code(uint8_t b) {
  switch (b) {
    case 0x68:  // cont
    case 0x69:  // exn
    case 0x6a:  // array
    case 0x6b:  // struct
    case 0x6c:  // i31
    case 0x6d:  // eq
    case 0x6e:  // any
    case 0x6f:  // extern
    case 0x70:  // func
    case 0x71:  // none
    case 0x72:  // noextern
    case 0x73:  // nofunc
    case 0x74:  // noexn
    case 0x75:  // nocont
      return true;
    default:
      return false;
  }
}

int64_t read_heap_type(Reader& r) {
  size_t at = r.pos();
  if (r.peek() == 0x65) r.u8();  // shared
  uint8_t b = r.peek();
  int64_t v = r.s33();
  if (r.ok() && v < 0 && !abstract_heap_code(b)) r.fail_at(at, "unknown heap type {:#04x}", b);
  return v;
}

CoreValType read_storage_type(Reader& r) {
  uint8_t b = r.peek();
  if (b == 0x78) {
    r.u8();
    return CoreValType{CoreValKind::kI8};
  }
  if (b == 0x77) {
    r.u8();
    return CoreValType{CoreValKind::kI16};
  }
  return read_core_valtype(r);
}

CoreFieldType read_field_type(Reader& r) {
  CoreFieldType f;
  f.type = read_storage_type(r);
  size_t at = r.pos();
  uint8_t m = r.u8();
  if (m > 1) r.fail_at(at, "invalid mutability flag {:#04x}", m);
  f.mut = m == 1;
  return f;
}

CoreSubType read_sub_type(Reader& r) {
  CoreSubType t;
  t.offset = r.pos();
  uint8_t b = r.peek();
  if (b == 0x50 || b == 0x4f) {
    r.u8();
    t.final = b == 0x4f;
    uint32_t n = r.count("supertype");
    for (uint32_t i = 0; i < n && r.ok(); ++i) t.supertypes.push_back(r.u32());
  }
  size_t at = r.pos();
  uint8_t c = r.u8();
  switch (c) {
    case 0x60: {
      t.kind = CoreCompKind::kFunc;
      uint32_t np = r.count("core func param");
      for (uint32_t i = 0; i < np && r.ok(); ++i) t.func.params.push_back(read_core_valtype(r));
      uint32_t nr = r.count("core func result");
      for (uint32_t i = 0; i < nr && r.ok(); ++i) t.func.results.push_back(read_core_valtype(r));
      break;
    }
    case 0x5f: {
      t.kind = CoreCompKind::kStruct;
      uint32_t n = r.count("struct field", 2);
      for (uint32_t i = 0; i < n && r.ok(); ++i) t.fields.push_back(read_field_type(r));
      break;
    }
    case 0x5e:
      t.kind = CoreCompKind::kArray;
      t.fields.push_back(read_field_type(r));
      break;
    case 0x5d:
      t.kind = CoreCompKind::kCont;
      t.cont_type = r.u32();
      break;
    default:
      r.fail_at(at, "unknown core composite type opcode {:#04x}", c);
  }
  return t;
}

void read_limits(Reader& r, CoreLimits& l) {
  size_t at = r.pos();
  uint8_t flags = r.u8();
  if (flags & ~0x0fu) {
    r.fail_at(at, "invalid limits flags {:#04x}", flags);
    return;
  }
  l.is64 = flags & 0x04;
  l.shared = flags & 0x02;
  l.min = l.is64 ? r.u64() : r.u32();
  if (flags & 0x01) l.max = l.is64 ? r.u64() : r.u32();
  if (flags & 0x08) l.page_size_log2 = r.u32();
}

}  // namespace

CoreValType read_core_valtype(Reader& r) {
  size_t at = r.pos();
  uint8_t b = r.u8();
  switch (b) {
    case 0x7f:
      return CoreValType{CoreValKind::kI32};
    case 0x7e:
      return CoreValType{CoreValKind::kI64};
    case 0x7d:
      return CoreValType{CoreValKind::kF32};
    case 0x7c:
      return CoreValType{CoreValKind::kF64};
    case 0x7b:
      return CoreValType{CoreValKind::kV128};
    case 0x63:
    case 0x64:
      return CoreValType{CoreValKind::kRef, b == 0x63, read_heap_type(r)};
    default:
      if (abstract_heap_code(b)) return CoreValType{CoreValKind::kRef, true, int64_t{b} - 0x80};
      r.fail_at(at, "unknown core value type {:#04x}", b);
      return {};
  }
}

CoreRecGroup read_rec_group(Reader& r) {
  CoreRecGroup g;
  if (r.peek() == 0x4e) {
    r.u8();
    g.explicit_rec = true;
    uint32_t n = r.count("rec group type");
    for (uint32_t i = 0; i < n && r.ok(); ++i) g.types.push_back(read_sub_type(r));
  } else {
    g.types.push_back(read_sub_type(r));
  }
  return g;
}

CoreExternType read_core_extern_type(Reader& r) {
  CoreExternType t;
  size_t at = r.pos();
  uint8_t k = r.u8();
  switch (k) {
    case 0x00:
      t.kind = CoreExternKind::kFunc;
      t.type_index = r.u32();
      break;
    case 0x01:
      t.kind = CoreExternKind::kTable;
      t.value = read_core_valtype(r);
      if (r.ok() && t.value.kind != CoreValKind::kRef)
        r.fail_at(at + 1, "table element type is not a reference type");
      read_limits(r, t.limits);
      break;
    case 0x02:
      t.kind = CoreExternKind::kMemory;
      read_limits(r, t.limits);
      break;
    case 0x03: {
      t.kind = CoreExternKind::kGlobal;
      t.value = read_core_valtype(r);
      size_t mat = r.pos();
      uint8_t m = r.u8();
      if (m > 1) r.fail_at(mat, "invalid global mutability {:#04x}", m);
      t.mut = m == 1;
      break;
    }
    case 0x04: {
      t.kind = CoreExternKind::kTag;
      size_t aat = r.pos();
      uint8_t attr = r.u8();
      if (attr != 0) r.fail_at(aat, "invalid tag attribute {:#04x}", attr);
      t.type_index = r.u32();
      break;
    }
    default:
      r.fail_at(at, "unknown core extern kind {:#04x}", k);
  }
  return t;
}

Sort core_kind_sort(CoreExternKind kind) {
  switch (kind) {
    case CoreExternKind::kFunc:
      return Sort::kCoreFunc;
    case CoreExternKind::kTable:
      return Sort::kCoreTable;
    case CoreExternKind::kMemory:
      return Sort::kCoreMemory;
    case CoreExternKind::kGlobal:
      return Sort::kCoreGlobal;
    case CoreExternKind::kTag:
      return Sort::kCoreTag;
  }
  return Sort::kCoreFunc;
}

}  // namespace detail

Result<CoreModuleInfo> parse_core_module(std::span<const uint8_t> module_bytes,
                                         size_t base_offset) {
  using detail::Reader;
  Reader r(module_bytes);
  r.set_origin(base_offset);
  static constexpr uint8_t kPreamble[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  auto pre = r.bytes(8);
  if (r.ok() && std::memcmp(pre.data(), kPreamble, 8) != 0)
    r.fail_at(0, "not a core wasm module (bad magic or version)");

  CoreModuleInfo info;
  while (!r.at_end()) {
    size_t sec_at = r.pos();
    uint8_t id = r.u8();
    uint32_t size = r.u32();
    if (!r.ok()) break;
    if (size > r.remaining()) {
      r.fail_at(sec_at, "core section {} size {} exceeds the {} bytes left", id, size,
                r.remaining());
      break;
    }
    size_t sec_end = r.pos() + size;
    size_t old_end = r.limit(sec_end);
    const char* what = id == 1 ? "core type" : id == 2 ? "core import" : "core export";
    if (id == 0) {
      CustomSection cs;
      cs.offset = sec_at;
      r.set_where("custom section");
      cs.name = r.name();
      r.set_where("");
      cs.data_offset = r.pos();
      cs.data_size = sec_end - r.pos();
      if (r.ok()) info.customs.push_back(std::move(cs));
    } else if (id == 1 || id == 2 || id == 7) {
      uint32_t n = r.count(what);
      for (uint32_t i = 0; i < n && r.ok(); ++i) {
        r.set_where(fmt::format("{} section, entry {}", what, i));
        if (id == 1) {
          auto g = detail::read_rec_group(r);
          for (auto& t : g.types) info.types.push_back(std::move(t));
        } else if (id == 2) {
          CoreImport imp;
          imp.offset = r.pos();
          imp.module = r.name();
          imp.name = r.name();
          imp.type = detail::read_core_extern_type(r);
          info.imports.push_back(std::move(imp));
        } else {
          CoreExport exp;
          exp.offset = r.pos();
          exp.name = r.name();
          size_t kat = r.pos();
          uint8_t k = r.u8();
          if (k > 4) r.fail_at(kat, "unknown core export kind {:#04x}", k);
          exp.kind = static_cast<CoreExternKind>(k);
          exp.index = r.u32();
          info.exports.push_back(std::move(exp));
        }
      }
      r.set_where(fmt::format("{} section", what));
      if (r.ok() && r.pos() != sec_end)
        r.fail("{} trailing bytes at the end of the section", sec_end - r.pos());
      r.set_where("");
    }
    r.restore_end(old_end);
    r.seek(sec_end);
  }
  if (!r.ok()) return Error{"core module: " + r.message()};
  return info;
}

bool has_component_type(std::span<const uint8_t> bytes) {
  if (is_component(bytes)) return false;
  auto info = parse_core_module(bytes);
  if (!info) return false;
  return std::any_of(info->customs.begin(), info->customs.end(),
                     [](const CustomSection& c) { return is_component_type_section(c.name); });
}

Result<CoreModuleInfo> parse_core_module(std::span<const uint8_t> component_bytes,
                                         const CoreModule& module) {
  if (module.offset > component_bytes.size() ||
      module.size > component_bytes.size() - module.offset)
    return fail("core module: range {:#x}+{} is outside the component", module.offset, module.size);
  return parse_core_module(component_bytes.subspan(module.offset, module.size), module.offset);
}

}  // namespace lepton::component::binary
