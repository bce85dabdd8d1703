// Malformed components built byte by byte: every error is clean, names the section, the entry
// and the absolute byte offset.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "component/binary.h"
#include "component/binary_reader.h"
#include "test_bytes.h"

namespace lepton::component::binary {
namespace {

using namespace test_bytes;  // NOLINT
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string error_of(const Bytes& b) {
  auto r = parse_component(b);
  if (r.ok()) return "<ok>";
  return r.error().message;
}

TEST(ComponentBinaryErrors, Preamble) {
  EXPECT_EQ(error_of({}), "component binary: at byte 0x0: unexpected end: need 8 bytes, 0 left");
  EXPECT_THAT(error_of({0x00, 0x61, 0x73, 0x6e, 0x0d, 0x00, 0x01, 0x00}), HasSubstr("bad magic"));
  EXPECT_EQ(error_of({0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}),
            "component binary: at byte 0x6: this is a core wasm module (layer 0), not a component");
  EXPECT_EQ(error_of({0x00, 0x61, 0x73, 0x6d, 0x0c, 0x00, 0x01, 0x00}),
            "component binary: at byte 0x4: unsupported component version 0xc (expected 0xd)");
  EXPECT_TRUE(parse_component(preamble()).ok());
  EXPECT_TRUE(is_component(preamble()));
  EXPECT_FALSE(is_component(Bytes{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}));
}

TEST(ComponentBinaryErrors, SectionHeaders) {
  EXPECT_EQ(error_of(component({Bytes{13, 0}})),
            "component binary: section header, at byte 0x8: unknown section id 13");
  EXPECT_EQ(error_of(component({Bytes{7, 5, 0}})),
            "component binary: section header, at byte 0x8: type section size 5 exceeds the 1 "
            "bytes left");
  // LEB128 overflow in a section size: five bytes with bits beyond u32.
  EXPECT_EQ(error_of(component({Bytes{7, 0xff, 0xff, 0xff, 0xff, 0x7f}})),
            "component binary: section header, at byte 0x9: LEB128 integer too large for u32");
  // Trailing bytes inside a section.
  EXPECT_EQ(error_of(component({section(7, cat({vec({Bytes{0x73}}), Bytes{0x00}}))})),
            "component binary: type section, at byte 0xc: 1 trailing bytes at the end of the "
            "section");
}

TEST(ComponentBinaryErrors, UnknownDefinedTypeOpcode) {
  // entry 0 = string (0x73), entry 1 = 0x60 (a core func type opcode, invalid here).
  Bytes b = component({section(7, vec({Bytes{0x73}, Bytes{0x60}}))});
  EXPECT_EQ(error_of(b),
            "component binary: type section, entry 1, at byte 0xc: unknown defined-type opcode "
            "0x60");
}

TEST(ComponentBinaryErrors, TypeIndexOutOfRange) {
  // type 0 = u8, type 1 = list<type 5>
  Bytes b = component({section(7, vec({Bytes{0x7d}, Bytes{0x70, 0x05}}))});
  EXPECT_EQ(error_of(b),
            "component binary: type section, entry 1, at byte 0xd: value type: type index 5 out "
            "of range (1 defined)");
  // own<0> where type 0 is not a resource.
  b = component({section(7, vec({Bytes{0x7d}, Bytes{0x69, 0x00}}))});
  EXPECT_THAT(error_of(b), HasSubstr("own: type 0 is not a resource type"));
  // A value type naming a func type.
  b = component({section(7, vec({Bytes{0x40, 0x00, 0x01, 0x00}, Bytes{0x70, 0x00}}))});
  EXPECT_THAT(error_of(b), HasSubstr("type 0 is not a value type"));
}

TEST(ComponentBinaryErrors, DefinedTypeRules) {
  EXPECT_THAT(error_of(component({section(7, vec({Bytes{0x72, 0x00}}))})),
              HasSubstr("record type has no fields"));
  // duplicate record labels
  EXPECT_THAT(error_of(component(
                  {section(7, vec({cat({Bytes{0x72}, vec({cat({str("a"), Bytes{0x79}}),
                                                          cat({str("a"), Bytes{0x79}})})})}))})),
              HasSubstr("duplicate record field label \"a\""));
  // 33 flags
  Bytes flags = {0x6e};
  leb(flags, 33);
  for (int i = 0; i < 33; ++i) {
    Bytes l = str("f" + std::to_string(i));
    flags.insert(flags.end(), l.begin(), l.end());
  }
  EXPECT_THAT(error_of(component({section(7, vec({flags}))})),
              HasSubstr("flags type has 33 flags (at most 32)"));
  EXPECT_THAT(error_of(component({section(7, vec({Bytes{0x67, 0x79, 0x00}}))})),
              HasSubstr("fixed-size list has length 0"));
  EXPECT_THAT(error_of(component({section(7, vec({Bytes{0x6a, 0x02}}))})),
              HasSubstr("invalid optional-type flag 0x02"));
  // Resource with a non-i32 representation.
  EXPECT_THAT(error_of(component({section(7, vec({Bytes{0x3f, 0x7e, 0x00}}))})),
              HasSubstr("resource representation must be i32"));
  // Resource destructor referring to a missing core func.
  EXPECT_THAT(error_of(component({section(7, vec({Bytes{0x3f, 0x7f, 0x01, 0x00}}))})),
              HasSubstr("resource destructor: core func index 0 out of range (0 defined)"));
}

TEST(ComponentBinaryErrors, Utf8Names) {
  // import with an overlong-encoded NUL as its name
  Bytes bad_name = {0x00, 0x02, 0xc0, 0x80};
  Bytes b = component({section(10, vec({cat({bad_name, Bytes{0x03, 0x01}})}))});
  EXPECT_EQ(error_of(b),
            "component binary: import section, entry 0, at byte 0xc: name is not "
            "valid UTF-8");
  // A surrogate (U+D800) in a custom section name.
  b = component({section(0, Bytes{0x03, 0xed, 0xa0, 0x80})});
  EXPECT_THAT(error_of(b), HasSubstr("custom section, at byte 0xa: name is not valid UTF-8"));
  EXPECT_TRUE(detail::valid_utf8("h\xc3\xa9llo \xf0\x9f\x98\x80"));
  EXPECT_FALSE(detail::valid_utf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(detail::valid_utf8("\xe2\x82"));          // truncated
}

TEST(ComponentBinaryErrors, DuplicateNames) {
  Bytes imp = cat({Bytes{0x00}, str("x"), Bytes{0x03, 0x01}});
  EXPECT_THAT(error_of(component({section(10, vec({imp, imp}))})),
              HasSubstr("import section, entry 1, at byte 0x10: duplicate import name \"x\""));
}

TEST(ComponentBinaryErrors, AliasTargets) {
  // alias export of instance 0 when there is no instance
  Bytes alias = cat({Bytes{0x01, 0x00, 0x00}, str("f")});
  EXPECT_EQ(error_of(component({section(6, vec({alias}))})),
            "component binary: alias section, entry 0, at byte 0xd: alias: instance index 0 out "
            "of range (0 defined)");

  // core instance 0 = (export "memory" (core memory 0)) needs a memory: out of range.
  Bytes ci = cat({Bytes{0x01}, vec({cat({str("memory"), Bytes{0x02, 0x00}})})});
  EXPECT_THAT(error_of(component({section(2, vec({ci}))})),
              HasSubstr("inline export: core memory index 0 out of range (0 defined)"));

  // A core instance exporting "f" (an aliased... none available) - use an empty from-exports
  // instance and alias a missing export from it.
  Bytes empty_ci = Bytes{0x01, 0x00};
  Bytes core_alias = cat({Bytes{0x00, 0x00, 0x01, 0x00}, str("nope")});
  EXPECT_THAT(error_of(component({section(2, vec({empty_ci})), section(6, vec({core_alias}))})),
              HasSubstr("alias section, entry 0, at byte 0x10: alias: core instance 0 has no "
                        "export named \"nope\""));

  // Alias from an imported instance whose type lacks the export, and with the wrong sort.
  Bytes itype = cat({Bytes{0x42}, vec({cat({Bytes{0x04, 0x00}, str("f"), Bytes{0x03, 0x01}})})});
  Bytes import = cat({Bytes{0x00}, str("i"), Bytes{0x05, 0x00}});
  Bytes missing = cat({Bytes{0x01, 0x00, 0x00}, str("g")});
  EXPECT_THAT(error_of(component({section(7, vec({itype})), section(10, vec({import})),
                                  section(6, vec({missing}))})),
              HasSubstr("alias: instance 0 has no export named \"g\""));
  Bytes wrong = cat({Bytes{0x01, 0x00, 0x00}, str("f")});  // "f" is a type, aliased as func
  EXPECT_THAT(error_of(component({section(7, vec({itype})), section(10, vec({import})),
                                  section(6, vec({wrong}))})),
              HasSubstr("alias: instance 0 export \"f\" is a type, not a func"));
  Bytes right = cat({Bytes{0x03, 0x00, 0x00}, str("f")});
  auto ok = parse_component(
      component({section(7, vec({itype})), section(10, vec({import})), section(6, vec({right}))}));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->space(Sort::kType).size(), 2u);
  EXPECT_EQ(ok->lookup(Sort::kType, 1)->origin, Origin::kAlias);

  // Outer alias counting past the outermost scope.
  Bytes outer = Bytes{0x03, 0x02, 0x01, 0x00};
  EXPECT_THAT(error_of(component({section(6, vec({outer}))})),
              HasSubstr("outer alias count 1 exceeds the 0 enclosing scopes"));
}

TEST(ComponentBinaryErrors, CanonAndExports) {
  // lift of core func 0 with no core funcs
  Bytes lift = Bytes{0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(error_of(component({section(8, vec({lift}))})),
            "component binary: canon section, entry 0, at byte 0xd: lift: core func index 0 out "
            "of range (0 defined)");
  EXPECT_THAT(error_of(component({section(8, vec({Bytes{0x7a}}))})),
              HasSubstr("canon section, entry 0, at byte 0xb: unknown canonical function opcode "
                        "0x7a"));
  // Two string encodings conflict.
  Bytes lower = cat({Bytes{0x01, 0x00, 0x00}, vec({Bytes{0x00}, Bytes{0x01}})});
  Bytes import = cat({Bytes{0x00}, str("f"), Bytes{0x01, 0x00}});
  EXPECT_THAT(error_of(component({section(7, vec({Bytes{0x40, 0x00, 0x01, 0x00}})),
                                  section(10, vec({import})), section(8, vec({lower}))})),
              HasSubstr("duplicate or conflicting canonical option 0x01"));
  // Exporting a core func is not allowed.
  Bytes core_func_export = cat({Bytes{0x00}, str("f"), Bytes{0x00, 0x00, 0x00, 0x00}});
  EXPECT_THAT(error_of(component({section(11, vec({core_func_export}))})),
              HasSubstr("core func index 0 out of range"));
  // Unknown sort byte in an export.
  Bytes bad_sort = cat({Bytes{0x00}, str("f"), Bytes{0x09, 0x00, 0x00}});
  EXPECT_THAT(error_of(component({section(11, vec({bad_sort}))})),
              HasSubstr("export section, entry 0, at byte 0xe: unknown sort 0x09"));
}

TEST(ComponentBinaryErrors, HugeCountsDoNotAllocate) {
  // A type section claiming 2^32-1 entries in 6 bytes.
  EXPECT_THAT(error_of(component({section(7, Bytes{0xff, 0xff, 0xff, 0xff, 0x0f, 0x73})})),
              HasSubstr("type count 4294967295 exceeds the 1 bytes left"));
}

Bytes nested_components(int depth) {
  Bytes inner = preamble();
  for (int i = 0; i < depth; ++i) inner = component({section(4, inner)});
  return inner;
}

TEST(ComponentBinaryErrors, NestingDepthIsBounded) {
  EXPECT_TRUE(parse_component(nested_components(10)).ok());
  std::string e = error_of(nested_components(200));
  EXPECT_THAT(e, HasSubstr("nesting deeper than 64 levels"));
  EXPECT_THAT(e, HasSubstr("nested component 0 (at byte"));

  // Instance types nested in instance types, 200 deep.
  Bytes t = Bytes{0x42, 0x00};
  for (int i = 0; i < 200; ++i) t = cat({Bytes{0x42}, vec({cat({Bytes{0x01}, t})})});
  EXPECT_THAT(error_of(component({section(7, vec({t}))})),
              HasSubstr("nesting deeper than 64 levels"));
  ParseOptions shallow;
  shallow.max_depth = 2;
  EXPECT_FALSE(parse_component(nested_components(3), shallow).ok());
  EXPECT_TRUE(parse_component(nested_components(2), shallow).ok());
}

TEST(ComponentBinaryErrors, InvalidNameSectionIsKeptNotFatal) {
  Bytes names = cat({str("component-name"), Bytes{0x00, 0x05}, str("ab")});  // size 5 > 3
  auto r = parse_component(component({section(0, names)}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->names.has_value());
  EXPECT_THAT(r->names->error, HasSubstr("subsection size 5 exceeds"));
}

TEST(ComponentBinaryErrors, Leb128) {
  auto read_u32 = [](Bytes b) {
    detail::Reader r(b);
    uint32_t v = r.u32();
    return r.ok() ? std::to_string(v) : r.message();
  };
  EXPECT_EQ(read_u32({0xff, 0xff, 0xff, 0xff, 0x0f}), "4294967295");
  EXPECT_EQ(read_u32({0x80, 0x80, 0x80, 0x80, 0x10}),
            "at byte 0x0: LEB128 integer too large for u32");
  EXPECT_EQ(read_u32({0x80, 0x80, 0x80, 0x80, 0x80, 0x00}),
            "at byte 0x0: LEB128 integer too large for u32");
  EXPECT_EQ(read_u32({0x80, 0x80}), "at byte 0x2: unexpected end of input");
  EXPECT_EQ(read_u32({0x80, 0x00}), "0");  // non-minimal encodings are allowed
  auto read_s33 = [](Bytes b) {
    detail::Reader r(b);
    int64_t v = r.s33();
    return r.ok() ? std::to_string(v) : r.message();
  };
  EXPECT_EQ(read_s33({0x7f}), "-1");
  EXPECT_EQ(read_s33({0x73}), "-13");
  EXPECT_EQ(read_s33({0xff, 0xff, 0xff, 0xff, 0x0f}), "4294967295");
  EXPECT_EQ(read_s33({0x80, 0x80, 0x80, 0x80, 0x70}), "-4294967296");
  EXPECT_EQ(read_s33({0x80, 0x80, 0x80, 0x80, 0x20}),
            "at byte 0x0: LEB128 integer too large for s33");
}

}  // namespace
}  // namespace lepton::component::binary
