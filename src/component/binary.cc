// The component binary reader. One Parser walks the whole buffer with a single bounds-checked
// Reader (sticky first error); nested components and component/instance types push a Scope whose
// index spaces are filled as definitions are read, so every index is checked against exactly the
// definitions that precede it, as the spec's incremental validation does.
#include "component/binary.h"

#include <cstring>
#include <map>
#include <optional>
#include <set>

#include "component/binary_internal.h"

namespace lepton::component::binary {
namespace {

using detail::Reader;

constexpr uint8_t kMagic[4] = {0x00, 0x61, 0x73, 0x6d};

size_t idx(Sort s) { return static_cast<size_t>(s); }

std::optional<PrimType> prim_from_byte(uint8_t b) {
  if (b >= 0x73 && b <= 0x7f) return static_cast<PrimType>(0x7f - b);
  if (b == 0x64) return PrimType::kErrorContext;
  return std::nullopt;
}

// One index-space scope: a component, or a component/instance type.
struct Scope {
  IndexSpaces* spaces = nullptr;
  Component* component = nullptr;  // component scope
  TypeDef* type = nullptr;         // type scope
  std::set<std::string> import_names;
  std::set<std::string> export_names;
};

// An instance's or core instance's exports, when statically known.
struct ExportShape {
  std::string name;
  Sort sort;
};
using Shapes = std::vector<ExportShape>;

class Parser {
 public:
  Parser(std::span<const uint8_t> bytes, const ParseOptions& options)
      : bytes_(bytes), r_(bytes), options_(options) {}

  Result<Component> run() {
    Component c;
    parse_component(c, 0, bytes_.size());
    if (!r_.ok()) return Error{"component binary: " + r_.message()};
    return c;
  }

 private:
  // ---- scopes and index spaces ---------------------------------------------------------------

  Scope& scope() { return scopes_.back(); }
  uint32_t count(Sort s) { return static_cast<uint32_t>((*scope().spaces)[idx(s)].size()); }
  void add(Sort s, IndexEntry e) { (*scope().spaces)[idx(s)].push_back(e); }

  bool check_index(Sort s, uint32_t i, size_t at, std::string_view what) {
    if (!r_.ok()) return false;
    uint32_t n = count(s);
    if (i >= n) {
      r_.fail_at(at, "{}: {} index {} out of range ({} defined)", what, sort_name(s), i, n);
      return false;
    }
    return true;
  }

  // The TypeDef behind type index `i` of the current scope, when it is a local definition.
  const TypeDef* local_type(uint32_t i) {
    auto& space = (*scope().spaces)[idx(Sort::kType)];
    if (i >= space.size()) return nullptr;
    const IndexEntry& e = space[i];
    if (scope().component && e.origin == Origin::kType) return &scope().component->types[e.item];
    if (scope().type && e.origin == Origin::kDecl) {
      const Decl& d = scope().type->decls[e.item];
      if (d.kind == DeclKind::kType) return d.type.get();
    }
    return nullptr;
  }

  // Checks a type index and, when the type is locally defined, that it has the expected kind.
  void check_type(uint32_t i, size_t at, std::string_view what, TypeKind want) {
    if (!check_index(Sort::kType, i, at, what)) return;
    const TypeDef* t = local_type(i);
    if (t && t->kind != want)
      r_.fail_at(at, "{}: type {} is not a {} type", what, i, kind_word(want));
  }
  static std::string_view kind_word(TypeKind k) {
    switch (k) {
      case TypeKind::kDefined:
        return "value";
      case TypeKind::kFunc:
        return "func";
      case TypeKind::kComponent:
        return "component";
      case TypeKind::kInstance:
        return "instance";
      case TypeKind::kResource:
        return "resource";
    }
    return "?";
  }

  bool enter(size_t at) {
    if (depth_ >= options_.max_depth) {
      r_.fail_at(at, "nesting deeper than {} levels", options_.max_depth);
      return false;
    }
    ++depth_;
    return true;
  }
  void leave() { --depth_; }

  // ---- components ----------------------------------------------------------------------------

  void parse_component(Component& c, size_t begin, size_t end) {
    c.offset = begin;
    c.size = end - begin;
    auto pre = r_.bytes(8);
    if (!r_.ok()) return;
    if (std::memcmp(pre.data(), kMagic, 4) != 0) {
      r_.fail_at(begin, "bad magic (not a wasm binary)");
      return;
    }
    uint16_t version = pre[4] | (pre[5] << 8);
    uint16_t layer = pre[6] | (pre[7] << 8);
    if (layer == 0) {
      r_.fail_at(begin + 6, "this is a core wasm module (layer 0), not a component");
      return;
    }
    if (layer != 1) {
      r_.fail_at(begin + 6, "unknown layer {:#x}", layer);
      return;
    }
    if (version != 0x0d) {
      r_.fail_at(begin + 4, "unsupported component version {:#x} (expected 0xd)", version);
      return;
    }

    scopes_.push_back(Scope{.spaces = &c.spaces, .component = &c});
    while (!r_.at_end()) {
      size_t sec_at = r_.pos();
      r_.set_where("section header");
      uint8_t id = r_.u8();
      uint32_t size = r_.u32();
      if (!r_.ok()) break;
      if (id > 12) {
        r_.fail_at(sec_at, "unknown section id {}", id);
        break;
      }
      if (size > r_.remaining()) {
        r_.fail_at(sec_at, "{} section size {} exceeds the {} bytes left", section_name(id), size,
                   r_.remaining());
        break;
      }
      Section sec{id, sec_at, r_.pos(), size};
      size_t sec_end = r_.pos() + size;
      size_t old_end = r_.limit(sec_end);
      r_.set_where(fmt::format("{} section", section_name(id)));
      parse_section(c, sec, sec_end);
      r_.set_where(fmt::format("{} section", section_name(id)));
      if (r_.ok() && r_.pos() != sec_end)
        r_.fail("{} trailing bytes at the end of the section", sec_end - r_.pos());
      r_.restore_end(old_end);
      r_.seek(sec_end);
      c.sections.push_back(sec);
    }
    scopes_.pop_back();
    r_.set_where("");
  }

  template <typename F>
  void each(Section& sec, std::string_view what, F&& f) {
    uint32_t n = r_.count(what);
    sec.count = n;
    for (uint32_t i = 0; i < n && r_.ok(); ++i) {
      r_.set_where(fmt::format("{} section, entry {}", section_name(sec.id), i));
      f(i);
    }
  }

  void parse_section(Component& c, Section& sec, size_t sec_end) {
    switch (sec.id) {
      case 0:
        sec.first = static_cast<uint32_t>(c.customs.size());
        sec.count = 1;
        parse_custom(c, sec, sec_end);
        break;
      case 1: {
        sec.first = static_cast<uint32_t>(c.core_modules.size());
        sec.count = 1;
        size_t at = r_.pos();
        auto head = r_.bytes(8);
        if (!r_.ok()) return;
        static constexpr uint8_t kCore[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
        if (std::memcmp(head.data(), kCore, 8) != 0) {
          r_.fail_at(at, "embedded core module has a bad preamble");
          return;
        }
        add(Sort::kCoreModule, {Origin::kCoreModule, sec.first});
        c.core_modules.push_back(CoreModule{at, sec_end - at});
        r_.seek(sec_end);
        break;
      }
      case 2:
        sec.first = static_cast<uint32_t>(c.core_instances.size());
        each(sec, "core instance", [&](uint32_t) { parse_core_instance(c); });
        break;
      case 3:
        sec.first = static_cast<uint32_t>(c.core_types.size());
        each(sec, "core type", [&](uint32_t) {
          uint32_t item = static_cast<uint32_t>(c.core_types.size());
          c.core_types.push_back(read_core_type());
          for (uint32_t k = 0; k < c.core_types.back().index_count(); ++k)
            add(Sort::kCoreType, {Origin::kCoreType, item, k});
        });
        break;
      case 4: {
        sec.first = static_cast<uint32_t>(c.components.size());
        sec.count = 1;
        size_t at = r_.pos();
        if (!enter(at)) return;
        Component nested;
        std::string saved_prefix = r_.prefix();
        r_.set_prefix(
            fmt::format("{}nested component {} (at byte {:#x}): ", saved_prefix, sec.first, at));
        r_.set_where("");
        parse_component(nested, at, sec_end);
        r_.set_prefix(saved_prefix);
        leave();
        if (!r_.ok()) return;
        add(Sort::kComponent, {Origin::kComponent, sec.first});
        c.components.push_back(std::move(nested));
        break;
      }
      case 5:
        sec.first = static_cast<uint32_t>(c.instances.size());
        each(sec, "instance", [&](uint32_t) { parse_instance(c); });
        break;
      case 6:
        sec.first = static_cast<uint32_t>(c.aliases.size());
        each(sec, "alias", [&](uint32_t) {
          Alias a = read_alias();
          if (!r_.ok()) return;
          add(a.sort, {Origin::kAlias, static_cast<uint32_t>(c.aliases.size())});
          c.aliases.push_back(std::move(a));
        });
        break;
      case 7:
        sec.first = static_cast<uint32_t>(c.types.size());
        each(sec, "type", [&](uint32_t) {
          TypeDef t = read_deftype();
          if (!r_.ok()) return;
          add(Sort::kType, {Origin::kType, static_cast<uint32_t>(c.types.size())});
          c.types.push_back(std::move(t));
        });
        break;
      case 8:
        sec.first = static_cast<uint32_t>(c.canons.size());
        each(sec, "canon", [&](uint32_t) { parse_canon(c); });
        break;
      case 9: {
        sec.first = static_cast<uint32_t>(c.starts.size());
        sec.count = 1;
        r_.set_where("start section");
        parse_start(c);
        break;
      }
      case 10:
        sec.first = static_cast<uint32_t>(c.imports.size());
        each(sec, "import", [&](uint32_t) {
          Import imp;
          imp.offset = r_.pos();
          imp.name = read_extern_name();
          imp.type = read_extern_type();
          if (!r_.ok()) return;
          if (!scope().import_names.insert(imp.name.name).second)
            r_.fail_at(imp.offset, "duplicate import name \"{}\"", imp.name.name);
          add(imp.type.sort, {Origin::kImport, static_cast<uint32_t>(c.imports.size())});
          c.imports.push_back(std::move(imp));
        });
        break;
      case 11:
        sec.first = static_cast<uint32_t>(c.exports.size());
        each(sec, "export", [&](uint32_t) { parse_export(c); });
        break;
      case 12:
        sec.first = static_cast<uint32_t>(c.values.size());
        each(sec, "value", [&](uint32_t) {
          Value v;
          v.offset = r_.pos();
          v.type = read_valtype();
          uint32_t len = r_.u32();
          v.data_offset = r_.pos();
          v.data_size = len;
          r_.bytes(len);
          if (!r_.ok()) return;
          add(Sort::kValue, {Origin::kValue, static_cast<uint32_t>(c.values.size())});
          c.values.push_back(v);
        });
        break;
    }
  }

  // ---- custom sections and the name section --------------------------------------------------

  void parse_custom(Component& c, Section& sec, size_t sec_end) {
    CustomSection cs;
    cs.offset = sec.offset;
    cs.name = r_.name();
    if (!r_.ok()) return;
    cs.data_offset = r_.pos();
    cs.data_size = sec_end - r_.pos();
    r_.seek(sec_end);
    if (cs.name == "component-name") c.names = parse_names(cs.data_offset, sec_end);
    c.customs.push_back(std::move(cs));
  }

  // Lenient by spec: a bad name section never fails the component.
  Names parse_names(size_t begin, size_t end) {
    Names names;
    Reader nr(bytes_);
    nr.seek(begin);
    nr.limit(end);
    nr.set_where("component-name section");
    while (!nr.at_end()) {
      size_t sub_at = nr.pos();
      uint8_t id = nr.u8();
      uint32_t size = nr.u32();
      if (!nr.ok()) break;
      if (size > nr.remaining()) {
        nr.fail_at(sub_at, "subsection size {} exceeds the {} bytes left", size, nr.remaining());
        break;
      }
      size_t sub_end = nr.pos() + size;
      size_t old = nr.limit(sub_end);
      if (id == 0) {
        names.component = nr.name();
      } else if (id == 1) {
        size_t sat = nr.pos();
        uint8_t bad = 0;
        std::optional<Sort> sort = read_sort_from(nr, bad);
        if (!sort) nr.fail_at(sat, "unknown sort {:#04x}", bad);
        SortNames sn;
        sn.sort = sort.value_or(Sort::kFunc);
        uint32_t n = nr.count("name map");
        for (uint32_t i = 0; i < n && nr.ok(); ++i) {
          uint32_t index = nr.u32();
          std::string name = nr.name();
          if (nr.ok()) sn.names.emplace_back(index, std::move(name));
        }
        if (nr.ok()) names.sorts.push_back(std::move(sn));
      }
      if (nr.ok() && id <= 1 && nr.pos() != sub_end)
        nr.fail("{} trailing bytes in name subsection {}", sub_end - nr.pos(), id);
      nr.restore_end(old);
      nr.seek(sub_end);
    }
    if (!nr.ok()) names.error = nr.message();
    return names;
  }

  // ---- sorts ---------------------------------------------------------------------------------

  static std::optional<Sort> core_sort_from_byte(uint8_t b) {
    switch (b) {
      case 0x00:
        return Sort::kCoreFunc;
      case 0x01:
        return Sort::kCoreTable;
      case 0x02:
        return Sort::kCoreMemory;
      case 0x03:
        return Sort::kCoreGlobal;
      case 0x04:
        return Sort::kCoreTag;
      case 0x10:
        return Sort::kCoreType;
      case 0x11:
        return Sort::kCoreModule;
      case 0x12:
        return Sort::kCoreInstance;
      default:
        return std::nullopt;
    }
  }

  // A sort (one byte, or 0x00 + a core sort byte); on an unknown byte, `bad` holds it.
  static std::optional<Sort> read_sort_from(Reader& r, uint8_t& bad) {
    uint8_t b = r.u8();
    switch (b) {
      case 0x00: {
        uint8_t c = r.u8();
        auto s = core_sort_from_byte(c);
        if (!s) bad = c;
        return s;
      }
      case 0x01:
        return Sort::kFunc;
      case 0x02:
        return Sort::kValue;
      case 0x03:
        return Sort::kType;
      case 0x04:
        return Sort::kComponent;
      case 0x05:
        return Sort::kInstance;
      default:
        bad = b;
        return std::nullopt;
    }
  }

  Sort read_sort() {
    size_t at = r_.pos();
    uint8_t bad = 0;
    std::optional<Sort> s = read_sort_from(r_, bad);
    if (!s) r_.fail_at(at, "unknown sort {:#04x}", bad);
    return s.value_or(Sort::kFunc);
  }

  Sort read_core_sort() {
    size_t at = r_.pos();
    uint8_t b = r_.u8();
    std::optional<Sort> s = core_sort_from_byte(b);
    if (!s) r_.fail_at(at, "unknown core sort {:#04x}", b);
    return s.value_or(Sort::kCoreFunc);
  }

  SortIdx read_sortidx(std::string_view what) {
    SortIdx s;
    s.sort = read_sort();
    size_t at = r_.pos();
    s.index = r_.u32();
    check_index(s.sort, s.index, at, what);
    return s;
  }

  // ---- names ---------------------------------------------------------------------------------

  ExternName read_extern_name() {
    ExternName n;
    size_t at = r_.pos();
    uint8_t form = r_.u8();
    if (form > 2) {
      r_.fail_at(at, "unknown extern name form {:#04x}", form);
      return n;
    }
    n.name = r_.name();
    if (r_.ok() && n.name.empty()) r_.fail_at(at, "empty extern name");
    if (form == 2) {
      uint32_t count = r_.count("name attribute");
      for (uint32_t i = 0; i < count && r_.ok(); ++i) {
        size_t aat = r_.pos();
        uint8_t kind = r_.u8();
        std::optional<std::string>* slot = kind == 0   ? &n.implements
                                           : kind == 1 ? &n.version_suffix
                                           : kind == 2 ? &n.external_id
                                                       : nullptr;
        if (!slot) {
          r_.fail_at(aat, "unknown name attribute {:#04x}", kind);
          break;
        }
        if (slot->has_value()) {
          r_.fail_at(aat, "duplicate name attribute {:#04x}", kind);
          break;
        }
        *slot = r_.name();
      }
    }
    return n;
  }

  // ---- types ---------------------------------------------------------------------------------

  ValType read_valtype() {
    size_t at = r_.pos();
    uint8_t b = r_.peek();
    if (auto p = prim_from_byte(b)) {
      r_.u8();
      return ValType::of(*p);
    }
    int64_t v = r_.s33();
    if (!r_.ok()) return {};
    if (v < 0) {
      r_.fail_at(at, "unknown value type opcode {:#04x}", b);
      return {};
    }
    auto i = static_cast<uint32_t>(v);
    check_type(i, at, "value type", TypeKind::kDefined);
    return ValType::ref(i);
  }

  std::optional<ValType> read_opt_valtype() {
    size_t at = r_.pos();
    uint8_t b = r_.u8();
    if (b == 0) return std::nullopt;
    if (b != 1) {
      r_.fail_at(at, "invalid optional-type flag {:#04x}", b);
      return std::nullopt;
    }
    return read_valtype();
  }

  std::string read_label(std::set<std::string>& seen, std::string_view what) {
    size_t at = r_.pos();
    std::string l = r_.name();
    if (!r_.ok()) return l;
    if (l.empty()) r_.fail_at(at, "empty {} label", what);
    if (!seen.insert(l).second) r_.fail_at(at, "duplicate {} label \"{}\"", what, l);
    return l;
  }

  std::vector<Field> read_fields(std::string_view what) {
    std::vector<Field> fields;
    std::set<std::string> seen;
    uint32_t n = r_.count(what, 2);
    for (uint32_t i = 0; i < n && r_.ok(); ++i) {
      Field f;
      f.name = read_label(seen, what);
      f.type = read_valtype();
      fields.push_back(std::move(f));
    }
    return fields;
  }

  std::optional<ValType> read_resultlist() {
    size_t at = r_.pos();
    uint8_t b = r_.u8();
    if (b == 0x00) return read_valtype();
    if (b == 0x01) {
      size_t zat = r_.pos();
      uint8_t z = r_.u8();
      if (z != 0) r_.fail_at(zat, "invalid result list {:#04x} {:#04x}", b, z);
      return std::nullopt;
    }
    r_.fail_at(at, "invalid result list opcode {:#04x}", b);
    return std::nullopt;
  }

  DefinedType read_defvaltype() {
    DefinedType d;
    size_t at = r_.pos();
    uint8_t op = r_.u8();
    if (auto p = prim_from_byte(op)) {
      d.kind = DefinedKind::kPrimitive;
      d.prim = *p;
      return d;
    }
    switch (op) {
      case 0x72:
        d.kind = DefinedKind::kRecord;
        d.fields = read_fields("record field");
        if (r_.ok() && d.fields.empty()) r_.fail_at(at, "record type has no fields");
        break;
      case 0x71: {
        d.kind = DefinedKind::kVariant;
        std::set<std::string> seen;
        uint32_t n = r_.count("variant case", 3);
        for (uint32_t i = 0; i < n && r_.ok(); ++i) {
          Case c;
          c.name = read_label(seen, "variant case");
          c.type = read_opt_valtype();
          size_t zat = r_.pos();
          uint8_t z = r_.u8();
          if (z != 0) r_.fail_at(zat, "variant case refinement {:#04x} is not supported", z);
          d.cases.push_back(std::move(c));
        }
        if (r_.ok() && d.cases.empty()) r_.fail_at(at, "variant type has no cases");
        break;
      }
      case 0x70:
        d.kind = DefinedKind::kList;
        d.element = read_valtype();
        break;
      case 0x67:
        d.kind = DefinedKind::kFixedList;
        d.element = read_valtype();
        d.length = r_.u32();
        if (r_.ok() && d.length == 0) r_.fail_at(at, "fixed-size list has length 0");
        break;
      case 0x6f: {
        d.kind = DefinedKind::kTuple;
        uint32_t n = r_.count("tuple type");
        for (uint32_t i = 0; i < n && r_.ok(); ++i) d.types.push_back(read_valtype());
        if (r_.ok() && d.types.empty()) r_.fail_at(at, "tuple type has no fields");
        break;
      }
      case 0x6e:
      case 0x6d: {
        bool flags = op == 0x6e;
        d.kind = flags ? DefinedKind::kFlags : DefinedKind::kEnum;
        std::set<std::string> seen;
        uint32_t n = r_.count(flags ? "flag" : "enum case");
        for (uint32_t i = 0; i < n && r_.ok(); ++i)
          d.labels.push_back(read_label(seen, flags ? "flag" : "enum case"));
        if (r_.ok() && d.labels.empty())
          r_.fail_at(at, "{} type has no {}", flags ? "flags" : "enum", flags ? "flags" : "cases");
        if (r_.ok() && flags && d.labels.size() > 32)
          r_.fail_at(at, "flags type has {} flags (at most 32)", d.labels.size());
        break;
      }
      case 0x6b:
        d.kind = DefinedKind::kOption;
        d.element = read_valtype();
        break;
      case 0x6a:
        d.kind = DefinedKind::kResult;
        d.element = read_opt_valtype();
        d.error = read_opt_valtype();
        break;
      case 0x69:
      case 0x68: {
        d.kind = op == 0x69 ? DefinedKind::kOwn : DefinedKind::kBorrow;
        size_t iat = r_.pos();
        d.resource = r_.u32();
        check_type(d.resource, iat, op == 0x69 ? "own" : "borrow", TypeKind::kResource);
        break;
      }
      case 0x66:
        d.kind = DefinedKind::kStream;
        d.element = read_opt_valtype();
        break;
      case 0x65:
        d.kind = DefinedKind::kFuture;
        d.element = read_opt_valtype();
        break;
      case 0x63:
        d.kind = DefinedKind::kMap;
        d.element = read_valtype();
        d.error = read_valtype();
        break;
      default:
        r_.fail_at(at, "unknown defined-type opcode {:#04x}", op);
    }
    return d;
  }

  TypeDef read_deftype() {
    TypeDef t;
    t.offset = r_.pos();
    uint8_t op = r_.peek();
    if (!r_.ok()) return t;
    switch (op) {
      case 0x3f: {
        r_.u8();
        t.kind = TypeKind::kResource;
        if (!scope().component) {
          r_.fail_at(t.offset,
                     "resource types cannot be defined inside a component or instance type");
          return t;
        }
        size_t rat = r_.pos();
        t.resource.rep = detail::read_core_valtype(r_);
        if (r_.ok() && t.resource.rep.kind != CoreValKind::kI32)
          r_.fail_at(rat, "resource representation must be i32");
        size_t fat = r_.pos();
        uint8_t has = r_.u8();
        if (has == 1) {
          size_t dat = r_.pos();
          t.resource.dtor = r_.u32();
          check_index(Sort::kCoreFunc, *t.resource.dtor, dat, "resource destructor");
        } else if (has != 0) {
          r_.fail_at(fat, "invalid optional-destructor flag {:#04x}", has);
        }
        break;
      }
      case 0x40:
      case 0x43:
        r_.u8();
        t.kind = TypeKind::kFunc;
        t.func.async = op == 0x43;
        t.func.params = read_fields("param");
        t.func.result = read_resultlist();
        break;
      case 0x41:
      case 0x42:
        r_.u8();
        t.kind = op == 0x41 ? TypeKind::kComponent : TypeKind::kInstance;
        read_decls(t);
        break;
      default:
        t.kind = TypeKind::kDefined;
        t.defined = read_defvaltype();
    }
    return t;
  }

  void read_decls(TypeDef& t) {
    if (!enter(t.offset)) return;
    scopes_.push_back(Scope{.spaces = &t.spaces, .type = &t});
    bool component = t.kind == TypeKind::kComponent;
    uint32_t n = r_.count("declarator");
    for (uint32_t i = 0; i < n && r_.ok(); ++i) {
      Decl d;
      d.offset = r_.pos();
      uint8_t op = r_.u8();
      auto item = static_cast<uint32_t>(t.decls.size());
      switch (op) {
        case 0x00:
          d.kind = DeclKind::kCoreType;
          d.core_type = std::make_unique<CoreTypeDef>(read_core_type());
          if (!r_.ok()) break;
          for (uint32_t k = 0; k < d.core_type->index_count(); ++k)
            add(Sort::kCoreType, {Origin::kDecl, item, k});
          break;
        case 0x01:
          d.kind = DeclKind::kType;
          d.type = std::make_unique<TypeDef>(read_deftype());
          if (r_.ok()) add(Sort::kType, {Origin::kDecl, item});
          break;
        case 0x02:
          d.kind = DeclKind::kAlias;
          d.alias = read_alias();
          if (r_.ok()) add(d.alias.sort, {Origin::kDecl, item});
          break;
        case 0x03:
        case 0x04: {
          if (op == 0x03 && !component) {
            r_.fail_at(d.offset, "import declarator inside an instance type");
            break;
          }
          d.kind = op == 0x03 ? DeclKind::kImport : DeclKind::kExport;
          d.name = read_extern_name();
          d.extern_type = read_extern_type();
          if (!r_.ok()) break;
          auto& names = op == 0x03 ? scope().import_names : scope().export_names;
          if (!names.insert(d.name.name).second)
            r_.fail_at(d.offset, "duplicate {} name \"{}\"", op == 0x03 ? "import" : "export",
                       d.name.name);
          add(d.extern_type.sort, {Origin::kDecl, item});
          break;
        }
        default:
          r_.fail_at(d.offset, "unknown {} type declarator {:#04x}",
                     component ? "component" : "instance", op);
      }
      t.decls.push_back(std::move(d));
    }
    scopes_.pop_back();
    leave();
  }

  ExternType read_extern_type() {
    ExternType e;
    size_t at = r_.pos();
    uint8_t b = r_.u8();
    size_t iat = r_.pos();
    switch (b) {
      case 0x00: {
        uint8_t b2 = r_.u8();
        if (b2 != 0x11) {
          r_.fail_at(iat, "unknown core extern type {:#04x} (only core module)", b2);
          break;
        }
        e.sort = Sort::kCoreModule;
        iat = r_.pos();
        e.index = r_.u32();
        if (check_index(Sort::kCoreType, e.index, iat, "core module type")) {
          const CoreTypeDef* ct = local_core_type(e.index);
          if (ct && !ct->is_module)
            r_.fail_at(iat, "core module type: core type {} is not a module type", e.index);
        }
        break;
      }
      case 0x01:
        e.sort = Sort::kFunc;
        e.index = r_.u32();
        check_type(e.index, iat, "func extern type", TypeKind::kFunc);
        break;
      case 0x02:
        // The spec's valuebound (0x00 eq / 0x01 t) is not what today's toolchains emit:
        // wasm-tools writes the valtype right after 0x02. Follow the toolchain.
        e.sort = Sort::kValue;
        e.value = read_valtype();
        break;
      case 0x03: {
        e.sort = Sort::kType;
        uint8_t tb = r_.u8();
        if (tb == 0x00) {
          size_t tat = r_.pos();
          e.index = r_.u32();
          check_index(Sort::kType, e.index, tat, "type bound");
        } else if (tb == 0x01) {
          e.sub_resource = true;
        } else {
          r_.fail_at(iat, "unknown type bound {:#04x}", tb);
        }
        break;
      }
      case 0x04:
        e.sort = Sort::kComponent;
        e.index = r_.u32();
        check_type(e.index, iat, "component extern type", TypeKind::kComponent);
        break;
      case 0x05:
        e.sort = Sort::kInstance;
        e.index = r_.u32();
        check_type(e.index, iat, "instance extern type", TypeKind::kInstance);
        break;
      default:
        r_.fail_at(at, "unknown extern type {:#04x}", b);
    }
    return e;
  }

  // ---- core types ----------------------------------------------------------------------------

  const CoreTypeDef* local_core_type(uint32_t i) {
    auto& space = (*scope().spaces)[idx(Sort::kCoreType)];
    if (i >= space.size()) return nullptr;
    const IndexEntry& e = space[i];
    if (scope().component && e.origin == Origin::kCoreType)
      return &scope().component->core_types[e.item];
    if (scope().type && e.origin == Origin::kDecl)
      return scope().type->decls[e.item].core_type.get();
    return nullptr;
  }

  CoreTypeDef read_core_type() {
    CoreTypeDef t;
    t.offset = r_.pos();
    uint8_t b = r_.peek();
    if (b == 0x00) {
      r_.u8();
      size_t at = r_.pos();
      if (r_.peek() != 0x50 && r_.ok()) {
        r_.fail_at(at, "expected a non-final sub type (0x50) after 0x00, got {:#04x}", r_.peek());
        return t;
      }
      t.rec = detail::read_rec_group(r_);
      return t;
    }
    if (b != 0x50) {
      t.rec = detail::read_rec_group(r_);
      return t;
    }
    r_.u8();
    t.is_module = true;
    uint32_t local_types = 0;
    uint32_t n = r_.count("module type declaration");
    for (uint32_t i = 0; i < n && r_.ok(); ++i) {
      ModuleDecl d;
      d.offset = r_.pos();
      uint8_t op = r_.u8();
      switch (op) {
        case 0x00:
        case 0x03: {
          d.kind = op == 0x00 ? ModuleDeclKind::kImport : ModuleDeclKind::kExport;
          if (op == 0x00) d.module = r_.name();
          d.name = r_.name();
          size_t tat = r_.pos();
          d.type = detail::read_core_extern_type(r_);
          if (r_.ok() &&
              (d.type.kind == CoreExternKind::kFunc || d.type.kind == CoreExternKind::kTag) &&
              d.type.type_index >= local_types)
            r_.fail_at(tat, "module type {}: core type index {} out of range ({} defined)",
                       op == 0 ? "import" : "export", d.type.type_index, local_types);
          break;
        }
        case 0x01: {
          d.kind = ModuleDeclKind::kType;
          size_t tat = r_.pos();
          if (r_.peek() == 0x50 && r_.ok()) {
            r_.fail_at(tat, "module types cannot be nested in module types");
            break;
          }
          if (r_.peek() == 0x00) {
            r_.u8();
            if (r_.peek() != 0x50 && r_.ok())
              r_.fail_at(tat, "expected a non-final sub type (0x50) after 0x00");
          }
          d.rec = detail::read_rec_group(r_);
          local_types += static_cast<uint32_t>(d.rec.types.size());
          break;
        }
        case 0x02: {
          d.kind = ModuleDeclKind::kOuterAlias;
          size_t aat = r_.pos();
          uint8_t s = r_.u8();
          uint8_t k = r_.u8();
          if (s != 0x10 || k != 0x01) {
            r_.fail_at(aat, "unsupported module type alias {:#04x} {:#04x}", s, k);
            break;
          }
          d.outer_count = r_.u32();
          size_t iat = r_.pos();
          d.outer_index = r_.u32();
          if (!r_.ok()) break;
          if (d.outer_count == 0) {
            if (d.outer_index >= local_types)
              r_.fail_at(iat, "outer alias: core type index {} out of range ({} defined)",
                         d.outer_index, local_types);
          } else if (d.outer_count > scopes_.size()) {
            r_.fail_at(aat, "outer alias count {} exceeds the {} enclosing scopes", d.outer_count,
                       scopes_.size());
          } else {
            const Scope& target = scopes_[scopes_.size() - d.outer_count];
            uint32_t have = static_cast<uint32_t>((*target.spaces)[idx(Sort::kCoreType)].size());
            if (d.outer_index >= have)
              r_.fail_at(iat, "outer alias: core type index {} out of range ({} defined)",
                         d.outer_index, have);
          }
          ++local_types;
          break;
        }
        default:
          r_.fail_at(d.offset, "unknown module type declarator {:#04x}", op);
      }
      t.decls.push_back(std::move(d));
    }
    return t;
  }

  // ---- aliases -------------------------------------------------------------------------------

  Alias read_alias() {
    Alias a;
    a.offset = r_.pos();
    a.sort = read_sort();
    size_t kat = r_.pos();
    uint8_t kind = r_.u8();
    if (!r_.ok()) return a;
    switch (kind) {
      case 0x00: {
        a.kind = AliasKind::kInstanceExport;
        size_t iat = r_.pos();
        a.instance = r_.u32();
        a.name = r_.name();
        if (!check_index(Sort::kInstance, a.instance, iat, "alias")) break;
        check_export_exists(instance_shapes(a.instance), a, "instance");
        break;
      }
      case 0x01: {
        a.kind = AliasKind::kCoreInstanceExport;
        if (!is_core_sort(a.sort)) {
          r_.fail_at(a.offset, "core export alias of non-core sort {}", sort_name(a.sort));
          break;
        }
        size_t iat = r_.pos();
        a.instance = r_.u32();
        a.name = r_.name();
        if (!check_index(Sort::kCoreInstance, a.instance, iat, "alias")) break;
        check_export_exists(core_instance_shapes(a.instance), a, "core instance");
        break;
      }
      case 0x02: {
        a.kind = AliasKind::kOuter;
        bool allowed = scope().component
                           ? (a.sort == Sort::kCoreModule || a.sort == Sort::kCoreType ||
                              a.sort == Sort::kType || a.sort == Sort::kComponent)
                           : (a.sort == Sort::kCoreType || a.sort == Sort::kType);
        if (!allowed) {
          r_.fail_at(a.offset, "outer alias of sort {} is not allowed here", sort_name(a.sort));
          break;
        }
        size_t cat = r_.pos();
        a.outer_count = r_.u32();
        size_t iat = r_.pos();
        a.outer_index = r_.u32();
        if (!r_.ok()) break;
        if (a.outer_count >= scopes_.size()) {
          r_.fail_at(cat, "outer alias count {} exceeds the {} enclosing scopes", a.outer_count,
                     scopes_.size() - 1);
          break;
        }
        const Scope& target = scopes_[scopes_.size() - 1 - a.outer_count];
        uint32_t have = static_cast<uint32_t>((*target.spaces)[idx(a.sort)].size());
        if (a.outer_index >= have)
          r_.fail_at(iat, "outer alias: {} index {} out of range ({} defined)", sort_name(a.sort),
                     a.outer_index, have);
        break;
      }
      default:
        r_.fail_at(kat, "unknown alias kind {:#04x}", kind);
    }
    return a;
  }

  void check_export_exists(const std::optional<Shapes>& shapes, const Alias& a,
                           std::string_view what) {
    if (!r_.ok() || !shapes) return;
    for (const auto& s : *shapes) {
      if (s.name != a.name) continue;
      if (s.sort != a.sort)
        r_.fail_at(a.offset, "alias: {} {} export \"{}\" is a {}, not a {}", what, a.instance,
                   a.name, sort_name(s.sort), sort_name(a.sort));
      return;
    }
    r_.fail_at(a.offset, "alias: {} {} has no export named \"{}\"", what, a.instance, a.name);
  }

  static Shapes decl_exports(const TypeDef& t) {
    Shapes out;
    for (const auto& d : t.decls)
      if (d.kind == DeclKind::kExport) out.push_back({d.name.name, d.extern_type.sort});
    return out;
  }

  // The exports of component instance `i` in the current scope, when statically known.
  std::optional<Shapes> instance_shapes(uint32_t i) {
    const IndexEntry& e = (*scope().spaces)[idx(Sort::kInstance)][i];
    const TypeDef* t = nullptr;
    if (Component* c = scope().component) {
      if (e.origin == Origin::kImport) {
        t = local_type(c->imports[e.item].type.index);
      } else if (e.origin == Origin::kInstance) {
        const Instance& inst = c->instances[e.item];
        if (!inst.instantiate) {
          Shapes out;
          for (const auto& x : inst.exports) out.push_back({x.name.name, x.item.sort});
          return out;
        }
        const IndexEntry& ce = c->spaces[idx(Sort::kComponent)][inst.component];
        if (ce.origin == Origin::kComponent) {
          Shapes out;
          for (const auto& x : c->components[ce.item].exports)
            out.push_back({x.name.name, x.item.sort});
          return out;
        }
        if (ce.origin == Origin::kImport) {
          const TypeDef* ct = local_type(c->imports[ce.item].type.index);
          if (ct && ct->kind == TypeKind::kComponent) return decl_exports(*ct);
        }
        return std::nullopt;
      }
    } else if (TypeDef* td = scope().type) {
      const Decl& d = td->decls[e.item];
      if (d.kind == DeclKind::kImport || d.kind == DeclKind::kExport)
        t = local_type(d.extern_type.index);
    }
    if (t && t->kind == TypeKind::kInstance) return decl_exports(*t);
    return std::nullopt;
  }

  std::optional<Shapes> core_instance_shapes(uint32_t i) {
    Component* c = scope().component;
    if (!c) return std::nullopt;
    const IndexEntry& e = c->spaces[idx(Sort::kCoreInstance)][i];
    if (e.origin != Origin::kCoreInstance) return std::nullopt;
    const CoreInstance& inst = c->core_instances[e.item];
    Shapes out;
    if (!inst.instantiate) {
      for (const auto& x : inst.exports) out.push_back({x.name, x.item.sort});
      return out;
    }
    const IndexEntry& me = c->spaces[idx(Sort::kCoreModule)][inst.module];
    if (me.origin == Origin::kCoreModule) {
      const CoreModule& m = c->core_modules[me.item];
      auto info = parse_core_module(bytes_, m);
      if (!info.ok()) {
        r_.fail_at(m.offset, "core module {}: {}", me.item, info.error().message);
        return std::nullopt;
      }
      for (const auto& x : info->exports) out.push_back({x.name, detail::core_kind_sort(x.kind)});
      return out;
    }
    if (me.origin == Origin::kImport) {
      const CoreTypeDef* ct = local_core_type(c->imports[me.item].type.index);
      if (!ct || !ct->is_module) return std::nullopt;
      for (const auto& d : ct->decls)
        if (d.kind == ModuleDeclKind::kExport)
          out.push_back({d.name, detail::core_kind_sort(d.type.kind)});
      return out;
    }
    return std::nullopt;
  }

  // ---- instances -----------------------------------------------------------------------------

  void parse_core_instance(Component& c) {
    CoreInstance inst;
    inst.offset = r_.pos();
    uint8_t op = r_.u8();
    if (op == 0x00) {
      inst.instantiate = true;
      size_t mat = r_.pos();
      inst.module = r_.u32();
      check_index(Sort::kCoreModule, inst.module, mat, "instantiate");
      std::set<std::string> seen;
      uint32_t n = r_.count("instantiate argument", 3);
      for (uint32_t i = 0; i < n && r_.ok(); ++i) {
        CoreInstantiateArg arg;
        size_t aat = r_.pos();
        arg.name = r_.name();
        size_t sat = r_.pos();
        uint8_t sort = r_.u8();
        if (r_.ok() && sort != 0x12) {
          r_.fail_at(sat, "core instantiate argument \"{}\" has sort {:#04x}, not instance",
                     arg.name, sort);
          break;
        }
        size_t iat = r_.pos();
        arg.instance = r_.u32();
        check_index(Sort::kCoreInstance, arg.instance, iat, "instantiate argument");
        if (r_.ok() && !seen.insert(arg.name).second)
          r_.fail_at(aat, "duplicate instantiate argument \"{}\"", arg.name);
        inst.args.push_back(std::move(arg));
      }
    } else if (op == 0x01) {
      inst.instantiate = false;
      std::set<std::string> seen;
      uint32_t n = r_.count("inline export", 3);
      for (uint32_t i = 0; i < n && r_.ok(); ++i) {
        CoreInlineExport x;
        size_t xat = r_.pos();
        x.name = r_.name();
        x.item.sort = read_core_sort();
        size_t iat = r_.pos();
        x.item.index = r_.u32();
        check_index(x.item.sort, x.item.index, iat, "inline export");
        if (r_.ok() && !seen.insert(x.name).second)
          r_.fail_at(xat, "duplicate export name \"{}\"", x.name);
        inst.exports.push_back(std::move(x));
      }
    } else {
      r_.fail_at(inst.offset, "unknown core instance opcode {:#04x}", op);
    }
    if (!r_.ok()) return;
    add(Sort::kCoreInstance,
        {Origin::kCoreInstance, static_cast<uint32_t>(c.core_instances.size())});
    c.core_instances.push_back(std::move(inst));
  }

  void parse_instance(Component& c) {
    Instance inst;
    inst.offset = r_.pos();
    uint8_t op = r_.u8();
    std::set<std::string> seen;
    if (op == 0x00) {
      inst.instantiate = true;
      size_t cat = r_.pos();
      inst.component = r_.u32();
      check_index(Sort::kComponent, inst.component, cat, "instantiate");
      uint32_t n = r_.count("instantiate argument", 3);
      for (uint32_t i = 0; i < n && r_.ok(); ++i) {
        InstantiateArg arg;
        size_t aat = r_.pos();
        arg.name = r_.name();
        arg.item = read_sortidx("instantiate argument");
        if (r_.ok() && !seen.insert(arg.name).second)
          r_.fail_at(aat, "duplicate instantiate argument \"{}\"", arg.name);
        inst.args.push_back(std::move(arg));
      }
    } else if (op == 0x01) {
      inst.instantiate = false;
      uint32_t n = r_.count("inline export", 3);
      for (uint32_t i = 0; i < n && r_.ok(); ++i) {
        InlineExport x;
        size_t xat = r_.pos();
        x.name = read_extern_name();
        x.item = read_sortidx("inline export");
        if (r_.ok() && !seen.insert(x.name.name).second)
          r_.fail_at(xat, "duplicate export name \"{}\"", x.name.name);
        inst.exports.push_back(std::move(x));
      }
    } else {
      r_.fail_at(inst.offset, "unknown instance opcode {:#04x}", op);
    }
    if (!r_.ok()) return;
    add(Sort::kInstance, {Origin::kInstance, static_cast<uint32_t>(c.instances.size())});
    c.instances.push_back(std::move(inst));
  }

  // ---- canon ---------------------------------------------------------------------------------

  CanonOptions read_canon_opts() {
    CanonOptions o;
    std::set<uint8_t> seen;
    uint32_t n = r_.count("canonical option");
    for (uint32_t i = 0; i < n && r_.ok(); ++i) {
      size_t at = r_.pos();
      uint8_t op = r_.u8();
      uint8_t group = op <= 0x02 ? 0 : op;  // the string encodings conflict with each other
      if (r_.ok() && !seen.insert(group).second) {
        r_.fail_at(at, "duplicate or conflicting canonical option {:#04x}", op);
        break;
      }
      size_t iat = at + 1;
      switch (op) {
        case 0x00:
        case 0x01:
        case 0x02:
          o.string_encoding = static_cast<StringEncoding>(op);
          break;
        case 0x03:
          o.memory = r_.u32();
          check_index(Sort::kCoreMemory, *o.memory, iat, "memory option");
          break;
        case 0x04:
          o.realloc = r_.u32();
          check_index(Sort::kCoreFunc, *o.realloc, iat, "realloc option");
          break;
        case 0x05:
          o.post_return = r_.u32();
          check_index(Sort::kCoreFunc, *o.post_return, iat, "post-return option");
          break;
        case 0x06:
          o.async = true;
          break;
        case 0x07:
          o.callback = r_.u32();
          check_index(Sort::kCoreFunc, *o.callback, iat, "callback option");
          break;
        case 0x08:
          o.core_type = r_.u32();
          check_index(Sort::kCoreType, *o.core_type, iat, "core-type option");
          break;
        case 0x09:
          o.gc = true;
          break;
        default:
          r_.fail_at(at, "unknown canonical option {:#04x}", op);
      }
    }
    return o;
  }

  void read_zero_flag(std::string_view what, bool allow_one) {
    size_t at = r_.pos();
    uint8_t b = r_.u8();
    if (b > (allow_one ? 1 : 0)) r_.fail_at(at, "invalid {} flag {:#04x}", what, b);
  }

  uint32_t read_type_ref(std::string_view what) {
    size_t at = r_.pos();
    uint32_t t = r_.u32();
    check_index(Sort::kType, t, at, what);
    return t;
  }

  void parse_canon(Component& c) {
    Canon k;
    k.offset = r_.pos();
    k.opcode = r_.u8();
    if (!r_.ok()) return;
    k.kind = CanonKind::kUnsupported;
    switch (k.opcode) {
      case 0x00:
      case 0x01: {
        bool lift = k.opcode == 0x00;
        k.kind = lift ? CanonKind::kLift : CanonKind::kLower;
        k.builtin = lift ? "lift" : "lower";
        size_t zat = r_.pos();
        uint8_t z = r_.u8();
        if (r_.ok() && z != 0x00) {
          r_.fail_at(zat, "canon {}: expected 0x00 (func sort), got {:#04x}", k.builtin, z);
          return;
        }
        size_t fat = r_.pos();
        k.func = r_.u32();
        check_index(lift ? Sort::kCoreFunc : Sort::kFunc, k.func, fat, k.builtin);
        k.options = read_canon_opts();
        if (lift) {
          size_t tat = r_.pos();
          k.type = r_.u32();
          check_type(k.type, tat, "canon lift", TypeKind::kFunc);
        }
        break;
      }
      case 0x02:
      case 0x03:
      case 0x04: {
        static constexpr std::string_view kNames[] = {"resource.new", "resource.drop",
                                                      "resource.rep"};
        k.kind = static_cast<CanonKind>(static_cast<int>(CanonKind::kResourceNew) + k.opcode - 2);
        k.builtin = kNames[k.opcode - 2];
        size_t tat = r_.pos();
        k.type = r_.u32();
        check_type(k.type, tat, k.builtin, TypeKind::kResource);
        break;
      }
      case 0x05:
        k.builtin = "task.cancel";
        break;
      case 0x06:
        k.builtin = "subtask.cancel";
        read_zero_flag("async", true);
        break;
      case 0x09:
        k.builtin = "task.return";
        read_resultlist();
        k.options = read_canon_opts();
        break;
      case 0x0a:
      case 0x0b:
        k.builtin = k.opcode == 0x0a ? "context.get" : "context.set";
        detail::read_core_valtype(r_);
        r_.u32();
        break;
      case 0x0c:
        k.builtin = "thread.yield";
        read_zero_flag("cancellable", false);
        break;
      case 0x0d:
        k.builtin = "subtask.drop";
        break;
      case 0x0e:
        k.builtin = "stream.new";
        k.type = read_type_ref(k.builtin);
        break;
      case 0x0f:
      case 0x10:
      case 0x16:
      case 0x17: {
        k.builtin = k.opcode == 0x0f   ? "stream.read"
                    : k.opcode == 0x10 ? "stream.write"
                    : k.opcode == 0x16 ? "future.read"
                                       : "future.write";
        k.type = read_type_ref(k.builtin);
        k.options = read_canon_opts();
        break;
      }
      case 0x11:
      case 0x12:
      case 0x18:
      case 0x19: {
        k.builtin = k.opcode == 0x11   ? "stream.cancel-read"
                    : k.opcode == 0x12 ? "stream.cancel-write"
                    : k.opcode == 0x18 ? "future.cancel-read"
                                       : "future.cancel-write";
        k.type = read_type_ref(k.builtin);
        read_zero_flag("async", true);
        break;
      }
      case 0x13:
        k.builtin = "stream.drop-readable";
        k.type = read_type_ref(k.builtin);
        break;
      case 0x14:
        k.builtin = "stream.drop-writable";
        k.type = read_type_ref(k.builtin);
        break;
      case 0x15:
        k.builtin = "future.new";
        k.type = read_type_ref(k.builtin);
        break;
      case 0x1a:
        k.builtin = "future.drop-readable";
        k.type = read_type_ref(k.builtin);
        break;
      case 0x1b:
        k.builtin = "future.drop-writable";
        k.type = read_type_ref(k.builtin);
        break;
      case 0x2e:
        k.builtin = "stream.forward";
        k.type = read_type_ref(k.builtin);
        break;
      case 0x2f:
        k.builtin = "future.forward";
        k.type = read_type_ref(k.builtin);
        break;
      case 0x1c:
        k.builtin = "error-context.new";
        k.options = read_canon_opts();
        break;
      case 0x1d:
        k.builtin = "error-context.debug-message";
        k.options = read_canon_opts();
        break;
      case 0x1e:
        k.builtin = "error-context.drop";
        break;
      case 0x1f:
        k.builtin = "waitable-set.new";
        break;
      case 0x20:
      case 0x21: {
        k.builtin = k.opcode == 0x20 ? "waitable-set.wait" : "waitable-set.poll";
        read_zero_flag("cancellable", false);
        size_t mat = r_.pos();
        uint32_t m = r_.u32();
        check_index(Sort::kCoreMemory, m, mat, k.builtin);
        break;
      }
      case 0x22:
        k.builtin = "waitable-set.drop";
        break;
      case 0x23:
        k.builtin = "waitable.join";
        break;
      case 0x24:
        k.builtin = "backpressure.inc";
        break;
      case 0x25:
        k.builtin = "backpressure.dec";
        break;
      case 0x26:
        k.builtin = "thread.index";
        break;
      case 0x27:
        k.builtin = "thread.new-indirect";
        r_.u32();
        r_.u32();
        break;
      case 0x28:
        k.builtin = "thread.resume-later";
        break;
      case 0x29:
        k.builtin = "thread.suspend";
        read_zero_flag("cancellable", false);
        break;
      case 0x2a:
        k.builtin = "thread.suspend-then-resume";
        read_zero_flag("cancellable", false);
        break;
      case 0x2b:
        k.builtin = "thread.yield-then-resume";
        read_zero_flag("cancellable", false);
        break;
      case 0x2c:
        k.builtin = "thread.suspend-then-promote";
        read_zero_flag("cancellable", false);
        break;
      case 0x2d:
        k.builtin = "thread.yield-then-promote";
        read_zero_flag("cancellable", false);
        break;
      case 0x40:
        k.builtin = "thread.spawn-ref";
        r_.u32();
        break;
      case 0x41:
        k.builtin = "thread.spawn-indirect";
        r_.u32();
        r_.u32();
        break;
      case 0x42:
        k.builtin = "thread.available-parallelism";
        break;
      default:
        r_.fail_at(k.offset, "unknown canonical function opcode {:#04x}", k.opcode);
    }
    if (!r_.ok()) return;
    auto item = static_cast<uint32_t>(c.canons.size());
    add(k.kind == CanonKind::kLift ? Sort::kFunc : Sort::kCoreFunc, {Origin::kCanon, item});
    c.canons.push_back(std::move(k));
  }

  // ---- start, export -------------------------------------------------------------------------

  void parse_start(Component& c) {
    Start s;
    s.offset = r_.pos();
    size_t fat = r_.pos();
    s.func = r_.u32();
    check_index(Sort::kFunc, s.func, fat, "start");
    uint32_t n = r_.count("start argument");
    for (uint32_t i = 0; i < n && r_.ok(); ++i) {
      size_t at = r_.pos();
      s.args.push_back(r_.u32());
      check_index(Sort::kValue, s.args.back(), at, "start argument");
    }
    size_t rat = r_.pos();
    s.results = r_.u32();
    if (r_.ok() && s.results > 1)
      r_.fail_at(rat, "start function has {} results (at most 1)", s.results);
    if (!r_.ok()) return;
    auto item = static_cast<uint32_t>(c.starts.size());
    for (uint32_t k = 0; k < s.results; ++k) add(Sort::kValue, {Origin::kStart, item, k});
    c.starts.push_back(std::move(s));
  }

  void parse_export(Component& c) {
    Export e;
    e.offset = r_.pos();
    e.name = read_extern_name();
    size_t sat = r_.pos();
    e.item = read_sortidx("export");
    if (r_.ok() && is_core_sort(e.item.sort) && e.item.sort != Sort::kCoreModule)
      r_.fail_at(sat, "cannot export a {}", sort_name(e.item.sort));
    size_t tat = r_.pos();
    uint8_t has = r_.u8();
    if (has == 1) {
      ExternType t = read_extern_type();
      if (r_.ok() && t.sort != e.item.sort)
        r_.fail_at(tat + 1, "export type ascription is a {}, the export a {}", sort_name(t.sort),
                   sort_name(e.item.sort));
      e.type = t;
    } else if (has != 0) {
      r_.fail_at(tat, "invalid optional export type flag {:#04x}", has);
    }
    if (!r_.ok()) return;
    if (!scope().export_names.insert(e.name.name).second) {
      r_.fail_at(e.offset, "duplicate export name \"{}\"", e.name.name);
      return;
    }
    add(e.item.sort, {Origin::kExport, static_cast<uint32_t>(c.exports.size())});
    c.exports.push_back(std::move(e));
  }

  std::span<const uint8_t> bytes_;
  Reader r_;
  ParseOptions options_;
  std::vector<Scope> scopes_;
  uint32_t depth_ = 0;
};

}  // namespace

bool is_component(std::span<const uint8_t> bytes) {
  return bytes.size() >= 8 && std::memcmp(bytes.data(), kMagic, 4) == 0 && bytes[6] == 0x01 &&
         bytes[7] == 0x00;
}

Result<Component> parse_component(std::span<const uint8_t> bytes, const ParseOptions& options) {
  return Parser(bytes, options).run();
}

}  // namespace lepton::component::binary
