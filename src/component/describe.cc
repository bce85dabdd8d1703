// Names of the model's enums, extern-name splitting, and the describe() debugging dump.
#include <fmt/format.h>

#include <map>
#include <tuple>

#include "component/binary.h"

namespace lepton::component::binary {

std::string_view sort_name(Sort sort) {
  static constexpr std::string_view kNames[kSortCount] = {
      "core func", "core table",  "core memory",   "core global", "core tag",
      "core type", "core module", "core instance", "func",        "value",
      "type",      "component",   "instance"};
  auto i = static_cast<size_t>(sort);
  return i < kSortCount ? kNames[i] : "?";
}

std::string_view origin_name(Origin origin) {
  switch (origin) {
    case Origin::kCoreModule:
      return "core module";
    case Origin::kCoreInstance:
      return "core instance";
    case Origin::kCoreType:
      return "core type";
    case Origin::kComponent:
      return "component";
    case Origin::kInstance:
      return "instance";
    case Origin::kAlias:
      return "alias";
    case Origin::kType:
      return "type";
    case Origin::kCanon:
      return "canon";
    case Origin::kStart:
      return "start";
    case Origin::kImport:
      return "import";
    case Origin::kExport:
      return "export";
    case Origin::kValue:
      return "value";
    case Origin::kDecl:
      return "decl";
  }
  return "?";
}

std::string_view core_extern_kind_name(CoreExternKind kind) {
  switch (kind) {
    case CoreExternKind::kFunc:
      return "func";
    case CoreExternKind::kTable:
      return "table";
    case CoreExternKind::kMemory:
      return "memory";
    case CoreExternKind::kGlobal:
      return "global";
    case CoreExternKind::kTag:
      return "tag";
  }
  return "?";
}

std::string_view prim_name(PrimType type) {
  static constexpr std::string_view kNames[] = {"bool", "s8",   "u8",     "s16",          "u16",
                                                "s32",  "u32",  "s64",    "u64",          "f32",
                                                "f64",  "char", "string", "error-context"};
  auto i = static_cast<size_t>(type);
  return i < std::size(kNames) ? kNames[i] : "?";
}

std::string_view defined_kind_name(DefinedKind kind) {
  static constexpr std::string_view kNames[] = {
      "primitive", "record", "variant", "list",   "fixed-size list", "tuple",  "flags", "enum",
      "option",    "result", "own",     "borrow", "stream",          "future", "map"};
  auto i = static_cast<size_t>(kind);
  return i < std::size(kNames) ? kNames[i] : "?";
}

std::string_view section_name(uint8_t id) {
  static constexpr std::string_view kNames[] = {
      "custom", "core module", "core instance", "core type", "component", "instance", "alias",
      "type",   "canon",       "start",         "import",    "export",    "value"};
  return id < std::size(kNames) ? kNames[id] : "unknown";
}

NameParts split_extern_name(std::string_view name) {
  NameParts p;
  auto take_bracket = [&](std::string_view tag) {
    if (name.substr(0, tag.size()) != tag) return false;
    name.remove_prefix(tag.size());
    return true;
  };
  auto split_dot = [&](std::string_view rest) {
    size_t dot = rest.find('.');
    if (dot == std::string_view::npos) {
      p.func = rest;
    } else {
      p.resource = rest.substr(0, dot);
      p.func = rest.substr(dot + 1);
    }
  };
  if (take_bracket("[constructor]")) {
    p.kind = NameParts::Kind::kConstructor;
    p.resource = name;
    return p;
  }
  for (auto [tag, kind, async] : {std::tuple{"[method]", NameParts::Kind::kMethod, false},
                                  std::tuple{"[async method]", NameParts::Kind::kMethod, true},
                                  std::tuple{"[static]", NameParts::Kind::kStatic, false},
                                  std::tuple{"[async static]", NameParts::Kind::kStatic, true}}) {
    if (take_bracket(tag)) {
      p.kind = kind;
      p.async = async;
      split_dot(name);
      return p;
    }
  }
  if (take_bracket("[async]")) {
    p.kind = NameParts::Kind::kAsync;
    p.async = true;
    p.func = name;
    return p;
  }
  size_t eq = name.find('=');
  size_t colon = name.find(':');
  if (eq != std::string_view::npos && (colon == std::string_view::npos || eq < colon)) {
    p.kind = NameParts::Kind::kOther;
    return p;
  }
  size_t slash = name.find('/');
  if (colon != std::string_view::npos && slash != std::string_view::npos && colon < slash) {
    p.kind = NameParts::Kind::kInterface;
    p.ns = name.substr(0, colon);
    std::string_view rest = name.substr(colon + 1);
    size_t at = rest.find('@');
    std::string_view path = rest.substr(0, at);
    if (at != std::string_view::npos) p.version = rest.substr(at + 1);
    size_t s = path.find('/');
    p.package = path.substr(0, s);
    p.interface = path.substr(s + 1);
    return p;
  }
  p.kind = NameParts::Kind::kPlain;
  p.func = name;
  return p;
}

namespace {

std::string core_valtype(const CoreValType& t) {
  switch (t.kind) {
    case CoreValKind::kI32:
      return "i32";
    case CoreValKind::kI64:
      return "i64";
    case CoreValKind::kF32:
      return "f32";
    case CoreValKind::kF64:
      return "f64";
    case CoreValKind::kV128:
      return "v128";
    case CoreValKind::kI8:
      return "i8";
    case CoreValKind::kI16:
      return "i16";
    case CoreValKind::kRef:
      break;
  }
  std::string heap;
  if (t.heap >= 0) {
    heap = fmt::format("{}", t.heap);
  } else {
    static constexpr std::pair<int, std::string_view> kAbstract[] = {
        {0x70, "func"},   {0x6f, "extern"}, {0x6e, "any"},  {0x6d, "eq"},       {0x6c, "i31"},
        {0x6b, "struct"}, {0x6a, "array"},  {0x71, "none"}, {0x72, "noextern"}, {0x73, "nofunc"},
        {0x69, "exn"},    {0x74, "noexn"},  {0x68, "cont"}, {0x75, "nocont"}};
    heap = fmt::format("{:#x}", t.heap + 0x80);
    for (auto [code, name] : kAbstract)
      if (code == t.heap + 0x80) heap = name;
  }
  return fmt::format("(ref {}{})", t.nullable ? "null " : "", heap);
}

std::string core_subtype(const CoreSubType& t) {
  std::string body;
  switch (t.kind) {
    case CoreCompKind::kFunc: {
      body = "(func";
      for (const auto& p : t.func.params) body += " (param " + core_valtype(p) + ")";
      for (const auto& r : t.func.results) body += " (result " + core_valtype(r) + ")";
      body += ")";
      break;
    }
    case CoreCompKind::kStruct:
    case CoreCompKind::kArray: {
      body = t.kind == CoreCompKind::kStruct ? "(struct" : "(array";
      for (const auto& f : t.fields)
        body += fmt::format(" (field {}{})", f.mut ? "mut " : "", core_valtype(f.type));
      body += ")";
      break;
    }
    case CoreCompKind::kCont:
      body = fmt::format("(cont {})", t.cont_type);
      break;
  }
  if (t.final && t.supertypes.empty()) return body;
  std::string sup;
  for (uint32_t s : t.supertypes) sup += fmt::format(" {}", s);
  return fmt::format("(sub{}{} {})", t.final ? " final" : "", sup, body);
}

std::string core_extern(const CoreExternType& t) {
  switch (t.kind) {
    case CoreExternKind::kFunc:
      return fmt::format("func (type {})", t.type_index);
    case CoreExternKind::kTag:
      return fmt::format("tag (type {})", t.type_index);
    case CoreExternKind::kGlobal:
      return fmt::format("global {}{}", t.mut ? "mut " : "", core_valtype(t.value));
    case CoreExternKind::kTable:
    case CoreExternKind::kMemory: {
      std::string s = t.kind == CoreExternKind::kTable ? "table" : "memory";
      if (t.limits.is64) s += " i64";
      s += fmt::format(" {}", t.limits.min);
      if (t.limits.max) s += fmt::format(" {}", *t.limits.max);
      if (t.limits.shared) s += " shared";
      if (t.kind == CoreExternKind::kTable) s += " " + core_valtype(t.value);
      return s;
    }
  }
  return "?";
}

std::string core_type(const CoreTypeDef& t, const std::string& indent) {
  if (!t.is_module) {
    if (!t.rec.explicit_rec && t.rec.types.size() == 1) return core_subtype(t.rec.types[0]);
    std::string s = "(rec";
    for (const auto& st : t.rec.types) s += " " + core_subtype(st);
    return s + ")";
  }
  std::string s = "module {";
  for (const auto& d : t.decls) {
    s += "\n" + indent + "  ";
    switch (d.kind) {
      case ModuleDeclKind::kImport:
        s += fmt::format("import \"{}\" \"{}\": {}", d.module, d.name, core_extern(d.type));
        break;
      case ModuleDeclKind::kExport:
        s += fmt::format("export \"{}\": {}", d.name, core_extern(d.type));
        break;
      case ModuleDeclKind::kType: {
        CoreTypeDef tmp;
        tmp.rec = d.rec;
        s += "type " + core_type(tmp, indent + "  ");
        break;
      }
      case ModuleDeclKind::kOuterAlias:
        s += fmt::format("alias outer {} {} (core type)", d.outer_count, d.outer_index);
        break;
    }
  }
  return s + "\n" + indent + "}";
}

std::string opt_val(const std::optional<ValType>& t) { return t ? describe(*t) : "_"; }

std::string extern_type(const ExternType& e) {
  switch (e.sort) {
    case Sort::kCoreModule:
      return fmt::format("core module (core type {})", e.index);
    case Sort::kValue:
      return "value " + describe(e.value);
    case Sort::kType:
      return e.sub_resource ? "type (sub resource)" : fmt::format("type (eq {})", e.index);
    default:
      return fmt::format("{} (type {})", sort_name(e.sort), e.index);
  }
}

std::string extern_name(const ExternName& n) {
  std::string s = fmt::format("\"{}\"", n.name);
  if (n.implements) s += fmt::format(" (implements \"{}\")", *n.implements);
  if (n.version_suffix) s += fmt::format(" (versionsuffix \"{}\")", *n.version_suffix);
  if (n.external_id) s += fmt::format(" (external-id \"{}\")", *n.external_id);
  return s;
}

std::string alias(const Alias& a) {
  switch (a.kind) {
    case AliasKind::kInstanceExport:
      return fmt::format("export \"{}\" of instance {}", a.name, a.instance);
    case AliasKind::kCoreInstanceExport:
      return fmt::format("export \"{}\" of core instance {}", a.name, a.instance);
    case AliasKind::kOuter:
      return fmt::format("outer {} {} ({})", a.outer_count, a.outer_index, sort_name(a.sort));
  }
  return "?";
}

std::string type_text(const TypeDef& t, const std::string& indent);

std::string spaces_text(const IndexSpaces& spaces, const std::string& indent) {
  std::string s;
  for (size_t i = 0; i < kSortCount; ++i) {
    if (spaces[i].empty()) continue;
    s += fmt::format("{}{}[{}]:", indent, sort_name(static_cast<Sort>(i)), spaces[i].size());
    for (const auto& e : spaces[i]) {
      s += fmt::format(" {} {}", origin_name(e.origin), e.item);
      if (e.origin == Origin::kCoreType || e.origin == Origin::kStart ||
          (e.origin == Origin::kDecl && e.sub))
        s += fmt::format(".{}", e.sub);
      s += ",";
    }
    s.back() = '\n';
  }
  return s;
}

// The index (or range of indices, for rec groups and start results) a definition introduced in
// its sort's index space: "type 4", "core type 2..3".
class IndexNames {
 public:
  explicit IndexNames(const IndexSpaces& spaces) {
    for (size_t s = 0; s < kSortCount; ++s) {
      for (uint32_t i = 0; i < spaces[s].size(); ++i) {
        const IndexEntry& e = spaces[s][i];
        Range& r = ranges_[{static_cast<int>(e.origin), e.item}];
        if (r.count++ == 0) {
          r.sort = static_cast<Sort>(s);
          r.first = i;
        }
      }
    }
  }
  std::string operator()(Origin origin, uint32_t item) const {
    auto it = ranges_.find({static_cast<int>(origin), item});
    if (it == ranges_.end()) return "(no index)";
    const Range& r = it->second;
    if (r.count == 1) return fmt::format("{} {}", sort_name(r.sort), r.first);
    return fmt::format("{} {}..{}", sort_name(r.sort), r.first, r.first + r.count - 1);
  }

 private:
  struct Range {
    Sort sort = Sort::kFunc;
    uint32_t first = 0;
    uint32_t count = 0;
  };
  std::map<std::pair<int, uint32_t>, Range> ranges_;
};

std::string decls_text(const TypeDef& t, const std::string& indent) {
  std::string s = t.kind == TypeKind::kComponent ? "component {" : "instance {";
  IndexNames names(t.spaces);
  for (size_t i = 0; i < t.decls.size(); ++i) {
    const Decl& d = t.decls[i];
    s += fmt::format("\n{}  {}: ", indent, names(Origin::kDecl, static_cast<uint32_t>(i)));
    switch (d.kind) {
      case DeclKind::kCoreType:
        s += core_type(*d.core_type, indent + "  ");
        break;
      case DeclKind::kType:
        s += type_text(*d.type, indent + "  ");
        break;
      case DeclKind::kAlias:
        s += "alias " + alias(d.alias);
        break;
      case DeclKind::kImport:
      case DeclKind::kExport:
        s += fmt::format("{} {}: {}", d.kind == DeclKind::kImport ? "import" : "export",
                         extern_name(d.name), extern_type(d.extern_type));
        break;
    }
  }
  return s + "\n" + indent + "}";
}

std::string defined_text(const DefinedType& d) {
  auto join_fields = [](const std::vector<Field>& fs) {
    std::string s;
    for (const auto& f : fs)
      s += fmt::format("{}{}: {}", s.empty() ? "" : ", ", f.name, describe(f.type));
    return s;
  };
  auto join_labels = [](const std::vector<std::string>& ls) {
    std::string s;
    for (const auto& l : ls) s += (s.empty() ? "" : ", ") + l;
    return s;
  };
  switch (d.kind) {
    case DefinedKind::kPrimitive:
      return std::string(prim_name(d.prim));
    case DefinedKind::kRecord:
      return "record { " + join_fields(d.fields) + " }";
    case DefinedKind::kVariant: {
      std::string s;
      for (const auto& c : d.cases)
        s += (s.empty() ? "" : ", ") + c.name + (c.type ? "(" + describe(*c.type) + ")" : "");
      return "variant { " + s + " }";
    }
    case DefinedKind::kList:
      return "list<" + opt_val(d.element) + ">";
    case DefinedKind::kFixedList:
      return fmt::format("list<{}, {}>", opt_val(d.element), d.length);
    case DefinedKind::kTuple: {
      std::string s;
      for (const auto& t : d.types) s += (s.empty() ? "" : ", ") + describe(t);
      return "tuple<" + s + ">";
    }
    case DefinedKind::kFlags:
      return "flags { " + join_labels(d.labels) + " }";
    case DefinedKind::kEnum:
      return "enum { " + join_labels(d.labels) + " }";
    case DefinedKind::kOption:
      return "option<" + opt_val(d.element) + ">";
    case DefinedKind::kResult:
      if (!d.element && !d.error) return "result";
      return "result<" + opt_val(d.element) + ", " + opt_val(d.error) + ">";
    case DefinedKind::kOwn:
      return fmt::format("own<type {}>", d.resource);
    case DefinedKind::kBorrow:
      return fmt::format("borrow<type {}>", d.resource);
    case DefinedKind::kStream:
      return d.element ? "stream<" + describe(*d.element) + ">" : "stream";
    case DefinedKind::kFuture:
      return d.element ? "future<" + describe(*d.element) + ">" : "future";
    case DefinedKind::kMap:
      return "map<" + opt_val(d.element) + ", " + opt_val(d.error) + ">";
  }
  return "?";
}

std::string type_text(const TypeDef& t, const std::string& indent) {
  switch (t.kind) {
    case TypeKind::kDefined:
      return defined_text(t.defined);
    case TypeKind::kFunc: {
      std::string s = t.func.async ? "async func(" : "func(";
      for (size_t i = 0; i < t.func.params.size(); ++i)
        s += fmt::format("{}{}: {}", i ? ", " : "", t.func.params[i].name,
                         describe(t.func.params[i].type));
      s += ")";
      if (t.func.result) s += " -> " + describe(*t.func.result);
      return s;
    }
    case TypeKind::kResource:
      return "resource (rep " + core_valtype(t.resource.rep) + ")" +
             (t.resource.dtor ? fmt::format(" (dtor core func {})", *t.resource.dtor) : "");
    case TypeKind::kComponent:
    case TypeKind::kInstance:
      return decls_text(t, indent);
  }
  return "?";
}

std::string opts_text(const CanonOptions& o) {
  std::string s;
  if (o.string_encoding != StringEncoding::kUtf8)
    s += o.string_encoding == StringEncoding::kUtf16 ? " string-encoding=utf16"
                                                     : " string-encoding=latin1+utf16";
  if (o.memory) s += fmt::format(" (memory {})", *o.memory);
  if (o.realloc) s += fmt::format(" (realloc {})", *o.realloc);
  if (o.post_return) s += fmt::format(" (post-return {})", *o.post_return);
  if (o.async) s += " async";
  if (o.callback) s += fmt::format(" (callback {})", *o.callback);
  if (o.core_type) s += fmt::format(" (core-type {})", *o.core_type);
  if (o.gc) s += " gc";
  return s;
}

std::string sortidx(const SortIdx& s) { return fmt::format("{} {}", sort_name(s.sort), s.index); }

void describe_into(const Component& c, const std::string& label, const std::string& indent,
                   std::string& out) {
  out += fmt::format("{}{} @{:#x} ({} bytes)\n", indent, label, c.offset, c.size);
  std::string in = indent + "  ";
  IndexNames names(c.spaces);
  for (const Section& sec : c.sections) {
    for (uint32_t k = sec.first; k < sec.first + sec.count; ++k) {
      auto head = [&](Origin origin, size_t offset) {
        return fmt::format("{}{} @{:#x}: ", in, names(origin, k), offset);
      };
      switch (sec.id) {
        case 0: {
          const auto& cs = c.customs[k];
          out += fmt::format("{}custom \"{}\" @{:#x} ({} bytes)\n", in, cs.name, cs.offset,
                             cs.data_size);
          break;
        }
        case 1: {
          const auto& m = c.core_modules[k];
          out += fmt::format("{}{} @{:#x} ({} bytes)\n", in, names(Origin::kCoreModule, k),
                             m.offset, m.size);
          break;
        }
        case 2: {
          const auto& ci = c.core_instances[k];
          out += head(Origin::kCoreInstance, ci.offset);
          if (ci.instantiate) {
            out += fmt::format("instantiate core module {}", ci.module);
            for (const auto& a : ci.args)
              out += fmt::format(" (with \"{}\" core instance {})", a.name, a.instance);
          } else {
            out += "exports";
            for (const auto& x : ci.exports)
              out += fmt::format(" (\"{}\" {})", x.name, sortidx(x.item));
          }
          out += "\n";
          break;
        }
        case 3: {
          const auto& t = c.core_types[k];
          out += head(Origin::kCoreType, t.offset) + core_type(t, in) + "\n";
          break;
        }
        case 4:
          describe_into(c.components[k], names(Origin::kComponent, k), in, out);
          break;
        case 5: {
          const auto& inst = c.instances[k];
          out += head(Origin::kInstance, inst.offset);
          if (inst.instantiate) {
            out += fmt::format("instantiate component {}", inst.component);
            for (const auto& a : inst.args)
              out += fmt::format(" (with \"{}\" {})", a.name, sortidx(a.item));
          } else {
            out += "exports";
            for (const auto& x : inst.exports)
              out += fmt::format(" ({} {})", extern_name(x.name), sortidx(x.item));
          }
          out += "\n";
          break;
        }
        case 6:
          out += head(Origin::kAlias, c.aliases[k].offset) + "alias " + alias(c.aliases[k]) + "\n";
          break;
        case 7:
          out += head(Origin::kType, c.types[k].offset) + type_text(c.types[k], in) + "\n";
          break;
        case 8: {
          const auto& cn = c.canons[k];
          out += head(Origin::kCanon, cn.offset) + "canon " + std::string(cn.builtin);
          switch (cn.kind) {
            case CanonKind::kLift:
              out +=
                  fmt::format(" core func {}{} (type {})", cn.func, opts_text(cn.options), cn.type);
              break;
            case CanonKind::kLower:
              out += fmt::format(" func {}{}", cn.func, opts_text(cn.options));
              break;
            case CanonKind::kResourceNew:
            case CanonKind::kResourceDrop:
            case CanonKind::kResourceRep:
              out += fmt::format(" type {}", cn.type);
              break;
            case CanonKind::kUnsupported:
              out += fmt::format(" (unsupported, opcode {:#04x})", cn.opcode);
              break;
          }
          out += "\n";
          break;
        }
        case 9: {
          const auto& s = c.starts[k];
          out += fmt::format("{}start @{:#x}: func {} args [", in, s.offset, s.func);
          for (size_t i = 0; i < s.args.size(); ++i)
            out += fmt::format("{}value {}", i ? ", " : "", s.args[i]);
          out += fmt::format("] results {}", s.results);
          if (s.results) out += " -> " + names(Origin::kStart, k);
          out += "\n";
          break;
        }
        case 10: {
          const auto& imp = c.imports[k];
          out += head(Origin::kImport, imp.offset) +
                 fmt::format("import {}: {}\n", extern_name(imp.name), extern_type(imp.type));
          break;
        }
        case 11: {
          const auto& e = c.exports[k];
          out += head(Origin::kExport, e.offset) +
                 fmt::format("export {} = {}", extern_name(e.name), sortidx(e.item));
          if (e.type) out += ": " + extern_type(*e.type);
          out += "\n";
          break;
        }
        case 12: {
          const auto& v = c.values[k];
          out += head(Origin::kValue, v.offset) +
                 fmt::format("value {} ({} bytes)\n", describe(v.type), v.data_size);
          break;
        }
      }
    }
  }
  if (c.names) {
    out += in + "names:";
    if (c.names->component) out += fmt::format(" component \"{}\"", *c.names->component);
    for (const auto& sn : c.names->sorts)
      for (const auto& [i, n] : sn.names)
        out += fmt::format(" {} {} \"{}\"", sort_name(sn.sort), i, n);
    if (!c.names->error.empty()) out += " (error: " + c.names->error + ")";
    out += "\n";
  }
  out += spaces_text(c.spaces, in);
}

}  // namespace

std::string describe(const ValType& type) {
  return type.primitive ? std::string(prim_name(type.prim)) : fmt::format("type {}", type.index);
}

std::string describe(const TypeDef& type) { return type_text(type, ""); }

std::string describe(const Component& component) {
  std::string out;
  describe_into(component, "component", "", out);
  return out;
}

}  // namespace lepton::component::binary
