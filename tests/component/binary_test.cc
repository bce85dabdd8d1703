// The component reader over components produced by real tools: WAT fixtures converted by
// `wasm-tools parse`, and a C reactor componentized by `wasm-tools component new`.
#include "component/binary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <set>

#include "test_bytes.h"

namespace lepton::component::binary {
namespace {

using namespace test_bytes;  // NOLINT
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Component parse_ok(const Bytes& b) {
  auto r = parse_component(b);
  EXPECT_TRUE(r.ok()) << r.error().message;
  if (!r.ok()) return {};
  return std::move(r).value();
}

const TypeDef* find_type(const Component& c, DefinedKind kind) {
  for (const auto& t : c.types)
    if (t.kind == TypeKind::kDefined && t.defined.kind == kind) return &t;
  return nullptr;
}

const Export* find_export(const Component& c, std::string_view name) {
  for (const auto& e : c.exports)
    if (e.name.name == name) return &e;
  return nullptr;
}

TEST(ComponentBinary, EverySectionKind) {
  Bytes bytes = fixture("sections.wasm");
  Component c = parse_ok(bytes);
  std::string dump = describe(c);
  SCOPED_TRACE(dump);

  // custom + name section
  ASSERT_GE(c.customs.size(), 2u);
  auto note = std::find_if(c.customs.begin(), c.customs.end(),
                           [](const CustomSection& s) { return s.name == "lepton-note"; });
  ASSERT_NE(note, c.customs.end());
  EXPECT_EQ(std::string(bytes.begin() + note->data_offset,
                        bytes.begin() + note->data_offset + note->data_size),
            "hello");
  ASSERT_TRUE(c.names.has_value());
  EXPECT_EQ(c.names->component, "root");
  EXPECT_TRUE(c.names->error.empty()) << c.names->error;

  // imports, with structured names
  ASSERT_EQ(c.imports.size(), 2u);
  EXPECT_EQ(c.imports[0].name.name, "wasi:http/types@0.2.3");
  EXPECT_EQ(c.imports[0].type.sort, Sort::kInstance);
  const TypeDef* itype = c.defined_type(c.imports[0].type.index);
  ASSERT_NE(itype, nullptr);
  ASSERT_EQ(itype->kind, TypeKind::kInstance);
  std::vector<std::string> decl_exports;
  for (const auto& d : itype->decls)
    if (d.kind == DeclKind::kExport) decl_exports.push_back(d.name.name);
  EXPECT_THAT(decl_exports, ElementsAre("fields", "[method]fields.get"));
  EXPECT_EQ(itype->spaces[static_cast<size_t>(Sort::kFunc)].size(), 1u);
  EXPECT_EQ(c.imports[1].name.name, "tick");
  EXPECT_EQ(c.imports[1].type.sort, Sort::kFunc);
  const TypeDef* tick_type = c.defined_type(c.imports[1].type.index);
  ASSERT_NE(tick_type, nullptr);
  ASSERT_EQ(tick_type->kind, TypeKind::kFunc);
  ASSERT_EQ(tick_type->func.params.size(), 1u);
  EXPECT_EQ(tick_type->func.params[0].name, "n");
  EXPECT_EQ(tick_type->func.params[0].type, ValType::of(PrimType::kU32));

  // core module, with its imports and exports on demand
  ASSERT_EQ(c.core_modules.size(), 1u);
  EXPECT_EQ(bytes[c.core_modules[0].offset + 1], 'a');
  auto info = parse_core_module(bytes, c.core_modules[0]);
  ASSERT_TRUE(info.ok()) << info.error().message;
  ASSERT_EQ(info->imports.size(), 1u);
  EXPECT_EQ(info->imports[0].module, "host");
  EXPECT_EQ(info->imports[0].name, "tick");
  EXPECT_EQ(info->imports[0].type.kind, CoreExternKind::kFunc);
  std::vector<std::string> exports;
  for (const auto& e : info->exports)
    exports.push_back(fmt::format("{} {}", core_extern_kind_name(e.kind), e.name));
  EXPECT_THAT(exports, ElementsAre("memory memory", "func run", "func realloc", "func dtor"));
  ASSERT_EQ(info->types.size(), 3u);  // (i32), (i32 i32)->i32, (i32 x4)->i32
  EXPECT_EQ(info->types[0].func.params.size(), 1u);

  // core instances: from-exports and instantiate
  ASSERT_EQ(c.core_instances.size(), 2u);
  EXPECT_FALSE(c.core_instances[0].instantiate);
  ASSERT_EQ(c.core_instances[0].exports.size(), 1u);
  EXPECT_EQ(c.core_instances[0].exports[0].name, "tick");
  EXPECT_EQ(c.core_instances[0].exports[0].item.sort, Sort::kCoreFunc);
  EXPECT_TRUE(c.core_instances[1].instantiate);
  ASSERT_EQ(c.core_instances[1].args.size(), 1u);
  EXPECT_EQ(c.core_instances[1].args[0].name, "host");
  EXPECT_EQ(c.core_instances[1].args[0].instance, 0u);

  // core types: func, module, rec group of two
  ASSERT_EQ(c.core_types.size(), 3u);
  EXPECT_FALSE(c.core_types[0].is_module);
  EXPECT_EQ(c.core_types[0].rec.types[0].func.results.size(), 1u);
  ASSERT_TRUE(c.core_types[1].is_module);
  ASSERT_EQ(c.core_types[1].decls.size(), 4u);  // the import's inline type comes first
  EXPECT_EQ(c.core_types[1].decls[0].kind, ModuleDeclKind::kType);
  EXPECT_EQ(c.core_types[1].decls[1].kind, ModuleDeclKind::kImport);
  EXPECT_EQ(c.core_types[1].decls[1].module, "a");
  EXPECT_EQ(c.core_types[1].decls[3].kind, ModuleDeclKind::kExport);
  EXPECT_EQ(c.core_types[1].decls[3].name, "c");
  EXPECT_TRUE(c.core_types[2].rec.explicit_rec);
  EXPECT_EQ(c.core_types[2].rec.types.size(), 2u);
  ASSERT_EQ(c.space(Sort::kCoreType).size(), 4u);
  EXPECT_EQ(c.lookup(Sort::kCoreType, 3)->item, 2u);
  EXPECT_EQ(c.lookup(Sort::kCoreType, 3)->sub, 1u);

  // defined value types
  const TypeDef* rec = find_type(c, DefinedKind::kRecord);
  ASSERT_NE(rec, nullptr);
  EXPECT_EQ(describe(*rec), "record { a: u32, b: string }");
  EXPECT_EQ(describe(*find_type(c, DefinedKind::kVariant)), "variant { none, some(u64) }");
  EXPECT_EQ(describe(*find_type(c, DefinedKind::kTuple)), "tuple<u8, s16, f64>");
  EXPECT_EQ(describe(*find_type(c, DefinedKind::kFlags)), "flags { read, write }");
  EXPECT_EQ(describe(*find_type(c, DefinedKind::kEnum)), "enum { red, green }");
  EXPECT_EQ(describe(*find_type(c, DefinedKind::kOption)), "option<char>");
  const TypeDef* list = find_type(c, DefinedKind::kList);
  ASSERT_NE(list, nullptr);
  ASSERT_FALSE(list->defined.element->primitive);
  EXPECT_EQ(c.defined_type(list->defined.element->index), rec);
  const TypeDef* result = find_type(c, DefinedKind::kResult);
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(result->defined.error, ValType::of(PrimType::kString));
  const TypeDef* own = find_type(c, DefinedKind::kOwn);
  const TypeDef* borrow = find_type(c, DefinedKind::kBorrow);
  ASSERT_TRUE(own && borrow);
  const TypeDef* res = c.defined_type(own->defined.resource);
  ASSERT_NE(res, nullptr);
  EXPECT_EQ(res->kind, TypeKind::kResource);
  EXPECT_EQ(borrow->defined.resource, own->defined.resource);
  ASSERT_TRUE(res->resource.dtor.has_value());
  EXPECT_EQ(describe(*res),
            fmt::format("resource (rep i32) (dtor core func {})", *res->resource.dtor));
  const IndexEntry* dtor = c.lookup(Sort::kCoreFunc, *res->resource.dtor);
  ASSERT_NE(dtor, nullptr);
  ASSERT_EQ(dtor->origin, Origin::kAlias);
  EXPECT_EQ(c.aliases[dtor->item].kind, AliasKind::kCoreInstanceExport);
  EXPECT_EQ(c.aliases[dtor->item].name, "dtor");

  // component type with import and export declarators
  const TypeDef* ct = nullptr;
  for (const auto& t : c.types)
    if (t.kind == TypeKind::kComponent) ct = &t;
  ASSERT_NE(ct, nullptr);
  EXPECT_THAT(describe(*ct), HasSubstr("import \"x\": func (type 0)"));
  EXPECT_THAT(describe(*ct), HasSubstr("export \"y\": func (type 1)"));

  // canon: lower, resource.*, lift with options
  std::vector<std::string> canons;
  for (const auto& k : c.canons) canons.emplace_back(k.builtin);
  EXPECT_THAT(canons,
              ElementsAre("lower", "resource.new", "resource.drop", "resource.rep", "lift"));
  const Canon& lift = c.canons.back();
  EXPECT_EQ(lift.kind, CanonKind::kLift);
  EXPECT_EQ(lift.options.memory, 0u);
  EXPECT_TRUE(lift.options.realloc.has_value());
  EXPECT_EQ(lift.options.string_encoding, StringEncoding::kUtf8);
  const TypeDef* lift_type = c.defined_type(lift.type);
  ASSERT_NE(lift_type, nullptr);
  EXPECT_EQ(describe(*lift_type), "func(x: string) -> u32");
  const IndexEntry* run_core = c.lookup(Sort::kCoreFunc, lift.func);
  ASSERT_NE(run_core, nullptr);
  EXPECT_EQ(c.aliases[run_core->item].name, "run");

  // nested component
  ASSERT_EQ(c.components.size(), 1u);
  const Component& inner = c.components[0];
  ASSERT_EQ(inner.imports.size(), 1u);
  EXPECT_EQ(inner.imports[0].name.name, "f");
  ASSERT_EQ(inner.exports.size(), 1u);
  EXPECT_EQ(inner.exports[0].name.name, "g");
  EXPECT_GT(inner.offset, 0u);
  EXPECT_EQ(inner.space(Sort::kFunc).size(), 2u);  // import + export

  // instances and the alias of the instantiated component's export
  ASSERT_EQ(c.instances.size(), 2u);
  EXPECT_TRUE(c.instances[0].instantiate);
  ASSERT_EQ(c.instances[0].args.size(), 1u);
  EXPECT_EQ(c.instances[0].args[0].name, "f");
  EXPECT_EQ(c.instances[0].args[0].item.sort, Sort::kFunc);
  EXPECT_FALSE(c.instances[1].instantiate);
  ASSERT_EQ(c.instances[1].exports.size(), 2u);
  EXPECT_EQ(c.instances[1].exports[1].item.sort, Sort::kType);

  // exports
  ASSERT_EQ(c.exports.size(), 3u);
  const Export* run = find_export(c, "run");
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->item.sort, Sort::kFunc);
  const IndexEntry* run_def = c.lookup(Sort::kFunc, run->item.index);
  ASSERT_NE(run_def, nullptr);
  EXPECT_EQ(run_def->origin, Origin::kCanon);
  const Export* api = find_export(c, "wasi:cli/run@0.2.3");
  ASSERT_NE(api, nullptr);
  EXPECT_EQ(api->item.sort, Sort::kInstance);
  EXPECT_EQ(c.lookup(Sort::kInstance, api->item.index)->origin, Origin::kInstance);

  // index spaces: exports add an index too
  EXPECT_EQ(c.space(Sort::kCoreModule).size(), 1u);
  EXPECT_EQ(c.space(Sort::kCoreInstance).size(), 2u);
  EXPECT_EQ(c.space(Sort::kCoreMemory).size(), 1u);
  EXPECT_EQ(c.space(Sort::kCoreFunc).size(), 7u);  // lower, 3 aliases, 3 resource built-ins
  EXPECT_EQ(c.space(Sort::kComponent).size(), 1u);
  EXPECT_EQ(c.space(Sort::kInstance).size(), 4u);  // import, instantiate, from-exports, export
  EXPECT_EQ(c.space(Sort::kFunc).size(), 4u);      // import, lift, alias, export
  EXPECT_EQ(c.space(Sort::kFunc).back().origin, Origin::kExport);
  EXPECT_EQ(c.space(Sort::kType).back().origin, Origin::kExport);

  // the dump names everything in binary order
  EXPECT_THAT(dump, HasSubstr("instance 0 @0x5f: import \"wasi:http/types@0.2.3\": instance "
                              "(type 0)"));
  EXPECT_THAT(dump, HasSubstr("type 1 @0x7b: alias export \"fields\" of instance 0"));
  EXPECT_THAT(dump, HasSubstr(": instantiate core module 0 (with \"host\" core instance 0)"));
  EXPECT_THAT(dump, HasSubstr("core memory 0 @0x134: alias export \"memory\" of core instance 1"));
  EXPECT_THAT(dump, HasSubstr("core type 2..3 @"));
  EXPECT_THAT(dump, HasSubstr("type 4 @0x197: record { a: u32, b: string }"));
  EXPECT_THAT(dump, HasSubstr("func 1 @0x200: canon lift core func 1 (memory 0) (realloc 2) "
                              "(type 14)"));
  EXPECT_THAT(dump, HasSubstr("names: component \"root\""));
  EXPECT_THAT(dump, HasSubstr("core func[7]:"));
  EXPECT_THAT(dump, HasSubstr("\n  component 0 @0x20c (74 bytes)\n    type 0 @"));
}

TEST(ComponentBinary, StartAndValues) {
  Component c = parse_ok(fixture("values.wasm"));
  SCOPED_TRACE(describe(c));
  ASSERT_EQ(c.starts.size(), 1u);
  EXPECT_EQ(c.starts[0].func, 0u);
  EXPECT_THAT(c.starts[0].args, ElementsAre(0u));
  EXPECT_EQ(c.starts[0].results, 1u);
  ASSERT_EQ(c.space(Sort::kValue).size(), 3u);  // import, start result, export
  EXPECT_EQ(c.lookup(Sort::kValue, 1)->origin, Origin::kStart);
  EXPECT_EQ(c.imports[1].type.sort, Sort::kValue);
  EXPECT_EQ(c.imports[1].type.value, ValType::of(PrimType::kU32));

  // A value section, hand-encoded: (value u32 7) and (value string "hi").
  Bytes b =
      component({section(12, vec({Bytes{0x79, 0x01, 0x07}, Bytes{0x73, 0x03, 0x02, 'h', 'i'}})),
                 section(11, vec({cat({Bytes{0x00}, str("v"), Bytes{0x02, 0x01, 0x00}})}))});
  Component v = parse_ok(b);
  ASSERT_EQ(v.values.size(), 2u);
  EXPECT_EQ(v.values[1].type, ValType::of(PrimType::kString));
  EXPECT_EQ(v.values[1].data_size, 3u);
  EXPECT_EQ(b[v.values[1].data_offset + 1], 'h');
  EXPECT_EQ(v.space(Sort::kValue).size(), 3u);
}

TEST(ComponentBinary, AsyncBuiltinsAreUnsupportedNodes) {
  Component c = parse_ok(fixture("async.wasm"));
  SCOPED_TRACE(describe(c));
  std::vector<std::string> seen;
  for (const auto& k : c.canons) {
    EXPECT_EQ(k.kind, CanonKind::kUnsupported);
    EXPECT_GT(k.offset, 8u);
    seen.push_back(fmt::format("{} {:#04x}", k.builtin, k.opcode));
  }
  EXPECT_THAT(seen,
              ElementsAre("backpressure.inc 0x24", "task.cancel 0x05", "waitable-set.new 0x1f",
                          "stream.new 0x0e", "future.new 0x15", "subtask.drop 0x0d"));
  EXPECT_EQ(c.space(Sort::kCoreFunc).size(), 6u);
  EXPECT_EQ(c.canons[3].type, 0u);
  EXPECT_EQ(describe(*c.defined_type(0)), "stream<u8>");
  EXPECT_EQ(describe(*c.defined_type(1)), "future<string>");
  EXPECT_THAT(describe(c),
              HasSubstr("core func 3 @0x17: canon stream.new (unsupported, opcode 0x0e)"));
}

TEST(ComponentBinary, ToolchainComponent) {
  std::string path = fixture_path("reactor.component.wasm");
  if (!std::filesystem::exists(path))
    GTEST_SKIP() << "no " << path
                 << ": the WASI adapter comes from `npm install @bytecodealliance/jco` in the "
                    "build dir, which failed or npm is missing (see the build log)";
  Bytes bytes = read_file(path);
  Component c = parse_ok(bytes);
  std::string dump = describe(c);
  SCOPED_TRACE(dump);

  std::set<std::string> exports;
  for (const auto& e : c.exports) exports.insert(e.name.name);
  EXPECT_TRUE(exports.count("add")) << dump;
  EXPECT_TRUE(exports.count("greet")) << dump;
  bool host_log = false, wasi = false;
  for (const auto& i : c.imports) {
    if (i.name.name == "host-log") host_log = true;
    NameParts p = split_extern_name(i.name.name);
    if (p.kind == NameParts::Kind::kInterface && p.ns == "wasi" && !p.version.empty()) wasi = true;
  }
  EXPECT_TRUE(host_log);
  EXPECT_TRUE(wasi);
  // main module + adapter + shims: every embedded module lists its imports/exports.
  EXPECT_GE(c.core_modules.size(), 2u);
  for (const auto& m : c.core_modules) {
    auto info = parse_core_module(bytes, m);
    ASSERT_TRUE(info.ok()) << info.error().message;
    EXPECT_FALSE(info->imports.empty() && info->exports.empty());
  }
  // Every canon lift refers to a core func and a func type that resolve.
  int lifts = 0;
  for (const auto& k : c.canons) {
    if (k.kind != CanonKind::kLift) continue;
    ++lifts;
    EXPECT_NE(c.lookup(Sort::kCoreFunc, k.func), nullptr);
    EXPECT_NE(c.lookup(Sort::kType, k.type), nullptr);
  }
  EXPECT_EQ(lifts, 2);
}

// Truncating a valid component anywhere gives a clean error — except exactly at a section
// boundary, where the prefix is itself a valid (smaller) component.
void check_truncations(const Bytes& bytes) {
  auto full = parse_component(bytes);
  ASSERT_TRUE(full.ok()) << full.error().message;
  std::set<size_t> boundaries = {8};
  for (const auto& s : full->sections) boundaries.insert(s.payload_offset + s.payload_size);
  for (size_t n = 0; n < bytes.size(); ++n) {
    Bytes prefix(bytes.begin(), bytes.begin() + n);
    auto r = parse_component(prefix);
    if (boundaries.count(n)) {
      EXPECT_TRUE(r.ok()) << "prefix " << n << ": " << r.error().message;
      continue;
    }
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes parsed";
    EXPECT_THAT(r.error().message, StartsWith("component binary: ")) << n;
    EXPECT_THAT(r.error().message, HasSubstr("at byte 0x")) << n;
  }
}

TEST(ComponentBinary, TruncatedAtEveryByte) {
  check_truncations(fixture("sections.wasm"));
  check_truncations(fixture("values.wasm"));
  check_truncations(fixture("async.wasm"));
}

TEST(ComponentBinary, RandomCorruptionNeverCrashes) {
  Bytes base = fixture("sections.wasm");
  std::mt19937 rng(42);
  int errors = 0;
  for (int i = 0; i < 3000; ++i) {
    Bytes b = base;
    int flips = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < flips; ++k) b[8 + rng() % (b.size() - 8)] = static_cast<uint8_t>(rng());
    auto r = parse_component(b);
    if (!r.ok()) {
      ++errors;
      EXPECT_THAT(r.error().message, HasSubstr("at byte 0x"));
    } else {
      (void)describe(*r);
    }
  }
  EXPECT_GT(errors, 1000);
}

TEST(ComponentBinary, SplitExternName) {
  NameParts p = split_extern_name("wasi:http/types@0.2.3");
  EXPECT_EQ(p.kind, NameParts::Kind::kInterface);
  EXPECT_EQ(p.ns, "wasi");
  EXPECT_EQ(p.package, "http");
  EXPECT_EQ(p.interface, "types");
  EXPECT_EQ(p.version, "0.2.3");
  p = split_extern_name("wasi:cli/run");
  EXPECT_EQ(p.interface, "run");
  EXPECT_EQ(p.version, "");
  p = split_extern_name("[method]fields.get");
  EXPECT_EQ(p.kind, NameParts::Kind::kMethod);
  EXPECT_EQ(p.resource, "fields");
  EXPECT_EQ(p.func, "get");
  p = split_extern_name("[static]fields.from-list");
  EXPECT_EQ(p.kind, NameParts::Kind::kStatic);
  EXPECT_EQ(p.func, "from-list");
  p = split_extern_name("[constructor]fields");
  EXPECT_EQ(p.kind, NameParts::Kind::kConstructor);
  EXPECT_EQ(p.resource, "fields");
  p = split_extern_name("[async method]body.read");
  EXPECT_EQ(p.kind, NameParts::Kind::kMethod);
  EXPECT_TRUE(p.async);
  p = split_extern_name("handle");
  EXPECT_EQ(p.kind, NameParts::Kind::kPlain);
  EXPECT_EQ(p.func, "handle");
  EXPECT_EQ(split_extern_name("url=<https://example.com>").kind, NameParts::Kind::kOther);
}

}  // namespace
}  // namespace lepton::component::binary
