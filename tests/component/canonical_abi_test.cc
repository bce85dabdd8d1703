#include "component/canonical_abi.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "component/abi_test_util.h"

namespace lepton::component {
namespace {

using testing::BumpRealloc;
using testing::FailsWith;
using testing::raw_i32;
using testing::raw_i64;
using testing::ReallocCall;

constexpr auto I32 = CoreType::kI32;
constexpr auto I64 = CoreType::kI64;
constexpr auto F32 = CoreType::kF32;
constexpr auto F64 = CoreType::kF64;

std::vector<std::string> labels(size_t n) {
  std::vector<std::string> v;
  for (size_t i = 0; i < n; ++i) v.push_back("l" + std::to_string(i));
  return v;
}

// ---- layout ------------------------------------------------------------------------------------

struct LayoutCase {
  TypePtr type;
  uint32_t alignment;
  uint32_t size;
  std::vector<CoreType> flat;
};

// Expected values worked out by hand from alignment/elem_size/flatten_type in definitions.py.
TEST(CanonicalAbiLayout, MatchesTheSpecForEveryKind) {
  auto res = std::make_shared<Resource>("r");
  std::vector<LayoutCase> cases = {
      {ty::bool_(), 1, 1, {I32}},
      {ty::s8(), 1, 1, {I32}},
      {ty::u8(), 1, 1, {I32}},
      {ty::s16(), 2, 2, {I32}},
      {ty::u16(), 2, 2, {I32}},
      {ty::s32(), 4, 4, {I32}},
      {ty::u32(), 4, 4, {I32}},
      {ty::s64(), 8, 8, {I64}},
      {ty::u64(), 8, 8, {I64}},
      {ty::f32(), 4, 4, {F32}},
      {ty::f64(), 8, 8, {F64}},
      {ty::char_(), 4, 4, {I32}},
      {ty::string(), 4, 8, {I32, I32}},
      {ty::list(ty::u64()), 4, 8, {I32, I32}},
      {ty::list(ty::u8()), 4, 8, {I32, I32}},
      {ty::list(ty::u16(), 3), 2, 6, {I32, I32, I32}},
      {ty::list(ty::f64(), 2), 8, 16, {F64, F64}},
      {ty::record({{"a", ty::u8()}, {"b", ty::u32()}, {"c", ty::u8()}}), 4, 12, {I32, I32, I32}},
      {ty::record({{"a", ty::u8()}, {"b", ty::u64()}}), 8, 16, {I32, I64}},
      {ty::tuple({ty::u8(), ty::u16()}), 2, 4, {I32, I32}},
      {ty::tuple({ty::f32(), ty::string(), ty::u8()}), 4, 16, {F32, I32, I32, I32}},
      {ty::enum_({"a", "b", "c"}), 1, 1, {I32}},
      {ty::enum_(labels(256)), 1, 1, {I32}},
      {ty::enum_(labels(257)), 2, 2, {I32}},
      {ty::option(ty::u8()), 1, 2, {I32, I32}},
      {ty::option(ty::u64()), 8, 16, {I32, I64}},
      {ty::option(ty::string()), 4, 12, {I32, I32, I32}},
      {ty::result(nullptr, nullptr), 1, 1, {I32}},
      {ty::result(ty::u32(), ty::string()), 4, 12, {I32, I32, I32}},
      {ty::result(ty::string(), nullptr), 4, 12, {I32, I32, I32}},
      {ty::variant({{"a", ty::f32()}, {"b", ty::u32()}}), 4, 8, {I32, I32}},
      {ty::variant({{"a", ty::f32()}, {"b", ty::f32()}}), 4, 8, {I32, F32}},
      {ty::variant({{"a", ty::f32()}, {"b", ty::u64()}}), 8, 16, {I32, I64}},
      {ty::variant({{"a", ty::f64()}, {"b", ty::f32()}}), 8, 16, {I32, I64}},
      {ty::variant({{"a", ty::f64()}, {"b", ty::u32()}}), 8, 16, {I32, I64}},
      {ty::variant({{"a", ty::tuple({ty::f32(), ty::u8()})}, {"b", ty::u64()}, {"c", nullptr}}),
       8,
       16,
       {I32, I64, I32}},
      {ty::variant({{"a", ty::u16()}, {"b", ty::tuple({ty::u8(), ty::u8(), ty::u8()})}}),
       2,
       6,
       {I32, I32, I32, I32}},
      {ty::flags({"a"}), 1, 1, {I32}},
      {ty::flags(labels(8)), 1, 1, {I32}},
      {ty::flags(labels(9)), 2, 2, {I32}},
      {ty::flags(labels(16)), 2, 2, {I32}},
      {ty::flags(labels(17)), 4, 4, {I32}},
      {ty::flags(labels(32)), 4, 4, {I32}},
      {ty::own(res), 4, 4, {I32}},
      {ty::borrow(res), 4, 4, {I32}},
      {ty::list(ty::option(ty::string())), 4, 8, {I32, I32}},
      {ty::record({{"x", ty::option(ty::u64())}, {"y", ty::u8()}}), 8, 24, {I32, I64, I32}},
  };
  for (const LayoutCase& c : cases) {
    SCOPED_TRACE(c.type->to_string());
    EXPECT_EQ(alignment(*c.type), c.alignment);
    EXPECT_EQ(elem_size(*c.type), c.size);
    auto flat = flatten_type(*c.type);
    ASSERT_TRUE(flat.has_value());
    EXPECT_EQ(std::vector<CoreType>(flat->begin(), flat->end()), c.flat);
    EXPECT_EQ(c.type->flat_count(), c.flat.size());
  }
}

TEST(CanonicalAbiLayout, RecordFieldOffsetsAndVariantPayloadOffset) {
  auto r = ty::record({{"a", ty::u8()}, {"b", ty::u64()}, {"c", ty::u16()}, {"d", ty::string()}});
  std::vector<uint32_t> offsets;
  for (const auto& f : r->fields()) offsets.push_back(f.offset);
  EXPECT_EQ(offsets, (std::vector<uint32_t>{0, 8, 16, 20}));
  EXPECT_EQ(r->size(), 32u);
  auto v = ty::variant({{"a", ty::u64()}, {"b", nullptr}});
  EXPECT_EQ(v->discriminant_size(), 1u);
  EXPECT_EQ(v->payload_offset(), 8u);
  auto e = ty::enum_(labels(70000));
  EXPECT_EQ(e->discriminant_size(), 4u);
  EXPECT_EQ(e->size(), 4u);
}

TEST(CanonicalAbiLayout, RejectsInvalidTypes) {
  EXPECT_TRUE(FailsWith(Type::record({}), "record without fields"));
  EXPECT_TRUE(FailsWith(Type::tuple({}), "tuple without elements"));
  EXPECT_TRUE(FailsWith(Type::variant({}), "variant without cases"));
  EXPECT_TRUE(FailsWith(Type::enumeration({}), "enum without cases"));
  EXPECT_TRUE(FailsWith(Type::flags({}), "flags without labels"));
  EXPECT_TRUE(FailsWith(Type::flags(labels(33)), "33 labels"));
  EXPECT_TRUE(FailsWith(Type::fixed_list(ty::u8(), 0), "length 0"));
  EXPECT_TRUE(FailsWith(Type::fixed_list(ty::u64(), 1u << 30), "too large"));
  EXPECT_TRUE(FailsWith(Type::own(nullptr), "without a resource"));
  TypePtr t = ty::u8();
  for (uint32_t i = 1; i < Type::kMaxDepth; ++i) t = ty::option(t);
  EXPECT_TRUE(FailsWith(Type::option(t), "nested deeper"));
}

TEST(CanonicalAbiLayout, LongFlatteningsAreCountedNotStored) {
  auto big = ty::list(ty::u32(), 100);
  EXPECT_EQ(big->flat_count(), 100u);
  EXPECT_FALSE(flatten_type(*big).has_value());
  auto huge = ty::list(ty::list(ty::u8(), 1u << 16), 1u << 15);  // 2^31 flat values
  EXPECT_EQ(huge->flat_count(), 1u << 31);
  EXPECT_EQ(huge->size(), 1u << 31);
  auto v = ty::variant({{"a", big}, {"b", ty::u8()}});
  EXPECT_EQ(v->flat_count(), 101u);
  BumpRealloc mem;
  Context cx = mem.context();
  FlatReader in({});
  EXPECT_TRUE(FailsWith(lift_flat(cx, in, *big), "too many to pass flat"));
}

TEST(CanonicalAbiLayout, FlattenFunctype) {
  auto f = ty::func({{"a", ty::u32()}, {"b", ty::string()}}, {ty::u64()});
  FlatSignature lift = flatten_functype(f, Direction::kLift);
  EXPECT_EQ(lift.params, (std::vector<CoreType>{I32, I32, I32}));
  EXPECT_EQ(lift.results, (std::vector<CoreType>{I64}));
  EXPECT_FALSE(lift.params_indirect || lift.results_indirect);
  EXPECT_EQ(flatten_functype(f, Direction::kLower), lift);

  FunctionType sixteen, seventeen;
  for (int i = 0; i < 16; ++i) sixteen.params.push_back(ty::u32());
  seventeen = sixteen;
  seventeen.params.push_back(ty::f32());
  EXPECT_EQ(flatten_functype(sixteen, Direction::kLift).params.size(), 16u);
  FlatSignature spilled = flatten_functype(seventeen, Direction::kLift);
  EXPECT_EQ(spilled.params, (std::vector<CoreType>{I32}));
  EXPECT_TRUE(spilled.params_indirect);
  EXPECT_TRUE(spilled.results.empty());

  auto g = ty::func({{"x", ty::f64()}}, {ty::string()});
  FlatSignature gl = flatten_functype(g, Direction::kLift);
  EXPECT_EQ(gl.params, (std::vector<CoreType>{F64}));
  EXPECT_EQ(gl.results, (std::vector<CoreType>{I32}));
  EXPECT_TRUE(gl.results_indirect);
  FlatSignature gw = flatten_functype(g, Direction::kLower);
  EXPECT_EQ(gw.params, (std::vector<CoreType>{F64, I32}));
  EXPECT_TRUE(gw.results.empty());
  EXPECT_TRUE(gw.results_indirect);

  auto h = ty::func({}, {ty::option(ty::u8())});  // two flat results: spilled too
  EXPECT_TRUE(flatten_functype(h, Direction::kLift).results_indirect);
  auto big = ty::func({{"l", ty::list(ty::u32(), 100)}}, {});
  EXPECT_TRUE(flatten_functype(big, Direction::kLift).params_indirect);
}

// ---- round trips -------------------------------------------------------------------------------

struct RoundTrip {
  TypePtr type;
  Val value;
};

std::vector<RoundTrip> round_trips() {
  auto point = ty::record({{"x", ty::s16()}, {"y", ty::f64()}, {"name", ty::string()}});
  auto shape = ty::variant({{"circle", ty::f32()},
                            {"rect", ty::tuple({ty::u32(), ty::u64()})},
                            {"empty", nullptr},
                            {"label", ty::string()}});
  return {
      {ty::bool_(), Val::bool_(true)},
      {ty::bool_(), Val::bool_(false)},
      {ty::s8(), Val::s8(-128)},
      {ty::u8(), Val::u8(255)},
      {ty::s16(), Val::s16(-30000)},
      {ty::u16(), Val::u16(65535)},
      {ty::s32(), Val::s32(std::numeric_limits<int32_t>::min())},
      {ty::u32(), Val::u32(0xdeadbeef)},
      {ty::s64(), Val::s64(std::numeric_limits<int64_t>::min())},
      {ty::u64(), Val::u64(0xfedcba9876543210)},
      {ty::f32(), Val::f32(-1.5f)},
      {ty::f32(), Val::f32(std::numeric_limits<float>::infinity())},
      {ty::f64(), Val::f64(3.141592653589793)},
      {ty::f64(), Val::f64(-0.0)},
      {ty::char_(), Val::char_(U'😀')},
      {ty::char_(), Val::char_(0xD7FF)},
      {ty::string(), Val::string("")},
      {ty::string(), Val::string("héllo, 世界 😀")},
      {ty::list(ty::u8()), Val::bytes(std::string("\0\1\2\xff", 4))},
      {ty::list(ty::u8()), Val::bytes("")},
      {ty::list(ty::u32()), Val::list({Val::u32(1), Val::u32(2), Val::u32(3)})},
      {ty::list(ty::string()), Val::list({Val::string("a"), Val::string(""), Val::string("ccc")})},
      {ty::list(ty::list(ty::u8())), Val::list({Val::bytes("ab"), Val::bytes("")})},
      {ty::list(ty::u16(), 3), Val::list({Val::u16(1), Val::u16(2), Val::u16(3)})},
      {ty::list(ty::u8(), 4), Val::bytes("wxyz")},
      {point, Val::record({Val::s16(-7), Val::f64(2.5), Val::string("p")})},
      {ty::tuple({ty::u8(), ty::string(), ty::u64()}),
       Val::tuple({Val::u8(1), Val::string("two"), Val::u64(3)})},
      {shape, Val::variant(0, Val::f32(1.25f))},
      {shape, Val::variant(1, Val::tuple({Val::u32(7), Val::u64(1ull << 40)}))},
      {shape, Val::variant(2)},
      {shape, Val::variant(3, Val::string("lbl"))},
      {ty::enum_({"a", "b", "c"}), Val::enum_(2)},
      {ty::enum_(labels(300)), Val::enum_(299)},
      {ty::option(ty::string()), Val::none()},
      {ty::option(ty::string()), Val::some(Val::string("yes"))},
      {ty::option(ty::option(ty::u8())), Val::some(Val::none())},
      {ty::result(ty::u32(), ty::string()), Val::ok(Val::u32(5))},
      {ty::result(ty::u32(), ty::string()), Val::err(Val::string("bad"))},
      {ty::result(nullptr, nullptr), Val::err()},
      {ty::result(nullptr, ty::u8()), Val::ok()},
      {ty::flags({"r", "w", "x"}), Val::flags(0b101)},
      {ty::flags(labels(32)), Val::flags(0x80000001)},
      {ty::flags(labels(12)), Val::flags(0xfff)},
      {ty::list(point), Val::list({Val::record({Val::s16(1), Val::f64(1), Val::string("a")}),
                                   Val::record({Val::s16(2), Val::f64(2), Val::string("b")})})},
      {ty::list(shape), Val::list({Val::variant(2), Val::variant(3, Val::string("x")),
                                   Val::variant(0, Val::f32(0.5f))})},
      {ty::option(ty::list(ty::tuple({ty::string(), ty::list(ty::u8())}))),
       Val::some(Val::list({Val::tuple({Val::string("content-type"), Val::bytes("text/plain")}),
                            Val::tuple({Val::string("x"), Val::bytes("")})}))},
  };
}

TEST(CanonicalAbiRoundTrip, StoreThenLoadEveryType) {
  for (StringEncoding enc :
       {StringEncoding::kUtf8, StringEncoding::kUtf16, StringEncoding::kLatin1Utf16}) {
    for (const RoundTrip& rt : round_trips()) {
      SCOPED_TRACE(rt.type->to_string() + " = " + rt.value.to_string());
      BumpRealloc mem;
      Context cx = mem.context(enc);
      uint32_t ptr = 64;
      ASSERT_TRUE(store(cx, rt.value, ptr, *rt.type).ok());
      auto back = load(cx, ptr, *rt.type);
      ASSERT_TRUE(back.ok()) << back.error().message;
      EXPECT_EQ(*back, rt.value);
    }
  }
}

TEST(CanonicalAbiRoundTrip, LowerFlatThenLiftFlatEveryType) {
  for (StringEncoding enc :
       {StringEncoding::kUtf8, StringEncoding::kUtf16, StringEncoding::kLatin1Utf16}) {
    for (const RoundTrip& rt : round_trips()) {
      SCOPED_TRACE(rt.type->to_string() + " = " + rt.value.to_string());
      BumpRealloc mem;
      Context cx = mem.context(enc);
      std::vector<wasmtime_val_raw_t> flat;
      ASSERT_TRUE(lower_flat(cx, rt.value, *rt.type, flat).ok());
      EXPECT_EQ(flat.size(), rt.type->flat_count());
      FlatReader in(flat);
      auto back = lift_flat(cx, in, *rt.type);
      ASSERT_TRUE(back.ok()) << back.error().message;
      EXPECT_TRUE(in.done());
      EXPECT_EQ(*back, rt.value);
    }
  }
}

TEST(CanonicalAbiRoundTrip, ListOfU8ValuesEqualsBytes) {
  BumpRealloc mem;
  Context cx = mem.context();
  auto t = ty::list(ty::u8());
  Val as_values = Val::list({Val::u8('h'), Val::u8('i')});
  ASSERT_TRUE(store(cx, as_values, 16, *t).ok());
  auto back = load(cx, 16, *t);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->is_bytes());
  EXPECT_EQ(back->as_bytes(), "hi");
  EXPECT_EQ(*back, as_values);
}

TEST(CanonicalAbiRoundTrip, FlatValuesSpillThroughMemory) {
  std::vector<TypePtr> types;
  std::vector<Val> values;
  for (uint32_t i = 0; i < 17; ++i) {
    types.push_back(i % 2 ? ty::u8() : ty::u64());
    values.push_back(i % 2 ? Val::u8(static_cast<uint8_t>(i)) : Val::u64(i * 1000));
  }
  BumpRealloc mem;
  Context cx = mem.context();
  std::vector<wasmtime_val_raw_t> out;
  ASSERT_TRUE(lower_flat_values(cx, kMaxFlatParams, values, types, out).ok());
  ASSERT_EQ(out.size(), 1u);  // one pointer to tuple<u64, u8, …> allocated with alignment 8
  ASSERT_EQ(mem.calls.size(), 1u);
  EXPECT_EQ(mem.calls[0].alignment, 8u);
  EXPECT_EQ(mem.calls[0].new_size, 17u * 8);  // 9 × u64 + 8 × (u8 padded to 8)
  FlatReader in(out);
  auto back = lift_flat_values(cx, kMaxFlatParams, in, types);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, values);

  // Results lowered to a caller-provided pointer (a lowered import's out-param).
  std::vector<TypePtr> rt = {ty::string()};
  std::vector<Val> rv = {Val::string("result")};
  std::vector<wasmtime_val_raw_t> none;
  ASSERT_TRUE(lower_flat_values(cx, kMaxFlatResults, rv, rt, none, 200).ok());
  EXPECT_TRUE(none.empty());
  wasmtime_val_raw_t ptr = raw_i32(200);
  FlatReader rin(std::span(&ptr, 1));
  auto r = lift_flat_values(cx, kMaxFlatResults, rin, rt);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], Val::string("result"));

  std::vector<wasmtime_val_raw_t> again;
  EXPECT_TRUE(FailsWith(lower_flat_values(cx, kMaxFlatResults, rv, rt, again, 202),
                        "spilled values pointer 0xca not aligned to 4"));
  wasmtime_val_raw_t bad = raw_i32(201);
  FlatReader bin(std::span(&bad, 1));
  EXPECT_TRUE(FailsWith(lift_flat_values(cx, kMaxFlatResults, bin, rt),
                        "spilled values pointer 0xc9 not aligned to 4"));
  wasmtime_val_raw_t oob = raw_i32(static_cast<uint32_t>(mem.bytes.size() - 4));
  FlatReader oin(std::span(&oob, 1));
  EXPECT_TRUE(FailsWith(lift_flat_values(cx, kMaxFlatResults, oin, rt), "out of bounds"));
}

// ---- flat coercions ----------------------------------------------------------------------------

TEST(CanonicalAbiFlat, VariantPayloadsUseJoinedSlots) {
  BumpRealloc mem;
  Context cx = mem.context();
  auto v = ty::variant({{"a", ty::f32()}, {"b", ty::u64()}, {"c", ty::s8()}});  // [i32, i64]
  std::vector<wasmtime_val_raw_t> out;
  ASSERT_TRUE(lower_flat(cx, Val::variant(0, Val::f32(1.5f)), *v, out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].i32, 0);
  EXPECT_EQ(static_cast<uint64_t>(out[1].i64), std::bit_cast<uint32_t>(1.5f));  // zero-extended
  out.clear();
  ASSERT_TRUE(lower_flat(cx, Val::variant(2, Val::s8(-1)), *v, out).ok());
  EXPECT_EQ(static_cast<uint64_t>(out[1].i64), 0xffffffffu);  // i32 -1, then zero-extended

  // Lifting wraps an i64 slot to the i32 the payload wants.
  std::vector<wasmtime_val_raw_t> in = {raw_i32(2), raw_i64(0xaaaaaaaa000000ffull)};
  FlatReader r(in);
  auto lifted = lift_flat(cx, r, *v);
  ASSERT_TRUE(lifted.ok());
  EXPECT_EQ(*lifted, Val::variant(2, Val::s8(-1)));

  // A case with a shorter payload still consumes every slot of the variant.
  auto w = ty::variant({{"a", ty::u8()}, {"b", ty::tuple({ty::u32(), ty::u32(), ty::u32()})}});
  std::vector<wasmtime_val_raw_t> in2 = {raw_i32(0), raw_i32(9), raw_i32(1), raw_i32(2),
                                         raw_i32(77)};
  FlatReader r2(in2);
  auto a = lift_flat(cx, r2, *w);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, Val::variant(0, Val::u8(9)));
  auto next = lift_flat(cx, r2, *ty::u32());
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, Val::u32(77));
  out.clear();
  ASSERT_TRUE(lower_flat(cx, Val::variant(0, Val::u8(9)), *w, out).ok());
  EXPECT_EQ(out.size(), 4u);
  EXPECT_EQ(out[2].i64, 0);
  EXPECT_EQ(out[3].i64, 0);
}

TEST(CanonicalAbiFlat, IntegersAreTruncatedAndSignExtended) {
  BumpRealloc mem;
  Context cx = mem.context();
  std::vector<wasmtime_val_raw_t> in = {raw_i32(0x1ff), raw_i32(0xff80), raw_i32(2)};
  FlatReader r(in);
  EXPECT_EQ(*lift_flat(cx, r, *ty::u8()), Val::u8(0xff));
  EXPECT_EQ(*lift_flat(cx, r, *ty::s8()), Val::s8(-128));
  EXPECT_EQ(*lift_flat(cx, r, *ty::bool_()), Val::bool_(true));
  EXPECT_TRUE(FailsWith(lift_flat(cx, r, *ty::u32()), "too few core values"));
  std::vector<wasmtime_val_raw_t> out;
  ASSERT_TRUE(lower_flat(cx, Val::s16(-2), *ty::s16(), out).ok());
  EXPECT_EQ(static_cast<uint32_t>(out[0].i32), 0xfffffffeu);
  EXPECT_EQ(static_cast<uint64_t>(out[0].i64), 0xfffffffeu);  // slot's high half stays zero
}

// ---- normalisation -----------------------------------------------------------------------------

TEST(CanonicalAbiValues, BoolIsNormalised) {
  BumpRealloc mem;
  Context cx = mem.context();
  mem.bytes[10] = 2;
  EXPECT_EQ(*load(cx, 10, *ty::bool_()), Val::bool_(true));
  ASSERT_TRUE(store(cx, Val::bool_(true), 11, *ty::bool_()).ok());
  EXPECT_EQ(mem.bytes[11], 1);
}

TEST(CanonicalAbiValues, NaNsAreCanonicalised) {
  BumpRealloc mem;
  Context cx = mem.context();
  mem.put_le<uint32_t>(8, 0xffc12345);
  mem.put_le<uint64_t>(16, 0x7ff0000000000001);
  EXPECT_EQ(load(cx, 8, *ty::f32())->bits(), kCanonicalNan32);
  EXPECT_EQ(load(cx, 16, *ty::f64())->bits(), kCanonicalNan64);
  wasmtime_val_raw_t slots[2];
  std::memset(slots, 0, sizeof(slots));
  slots[0].f32 = std::bit_cast<float>(0x7f800001u);
  slots[1].f64 = std::bit_cast<double>(0xfff8000000000123ull);
  FlatReader r(slots);
  EXPECT_EQ(lift_flat(cx, r, *ty::f32())->bits(), kCanonicalNan32);
  EXPECT_EQ(lift_flat(cx, r, *ty::f64())->bits(), kCanonicalNan64);
  ASSERT_TRUE(store(cx, Val::f32(std::bit_cast<float>(0xff800001u)), 24, *ty::f32()).ok());
  EXPECT_EQ(mem.get_le<uint32_t>(24), kCanonicalNan32);
  std::vector<wasmtime_val_raw_t> out;
  ASSERT_TRUE(lower_flat(cx, Val::f64(std::nan("7")), *ty::f64(), out).ok());
  EXPECT_EQ(std::bit_cast<uint64_t>(out[0].f64), kCanonicalNan64);
}

TEST(CanonicalAbiValues, FlagBitsBeyondTheLabelsAreIgnoredOnLiftRejectedOnLower) {
  BumpRealloc mem;
  Context cx = mem.context();
  auto f = ty::flags({"a", "b", "c"});
  mem.bytes[4] = 0xff;
  EXPECT_EQ(*load(cx, 4, *f), Val::flags(0b111));
  wasmtime_val_raw_t slot = raw_i32(0xfffffff9);
  FlatReader r(std::span(&slot, 1));
  EXPECT_EQ(*lift_flat(cx, r, *f), Val::flags(0b001));
  EXPECT_TRUE(FailsWith(store(cx, Val::flags(0b1000), 4, *f), "bits beyond the 3 labels"));
}

// ---- strings -----------------------------------------------------------------------------------

struct Encoded {
  std::string bytes;
  uint32_t tagged_units;
  std::vector<ReallocCall> calls;  // with ptr fields left as 0 for the first allocation
};

Encoded lower_string(StringEncoding enc, const std::string& s) {
  BumpRealloc mem;
  Context cx = mem.context(enc);
  std::vector<wasmtime_val_raw_t> out;
  Status st = lower_flat(cx, Val::string(s), *ty::string(), out);
  EXPECT_TRUE(st.ok()) << st.error().message;
  uint32_t ptr = static_cast<uint32_t>(out[0].i32);
  uint32_t units = static_cast<uint32_t>(out[1].i32);
  uint32_t byte_len = (enc == StringEncoding::kUtf8) ? units
                      : (enc == StringEncoding::kUtf16)
                          ? 2 * units
                          : ((units & kUtf16Tag) ? 2 * (units ^ kUtf16Tag) : units);
  EXPECT_EQ(ptr % (enc == StringEncoding::kUtf8 ? 1 : 2), 0u);
  // Lifting the result gives the string back.
  FlatReader in(out);
  auto back = lift_flat(cx, in, *ty::string());
  EXPECT_TRUE(back.ok());
  if (back.ok()) EXPECT_EQ(back->as_string(), s);
  return Encoded{mem.get(ptr, byte_len), units, mem.calls};
}

std::string u16le(std::u16string_view s) {
  std::string out;
  for (char16_t c : s) {
    out += static_cast<char>(c & 0xff);
    out += static_cast<char>(c >> 8);
  }
  return out;
}

TEST(CanonicalAbiStrings, Utf8IsCopied) {
  Encoded e = lower_string(StringEncoding::kUtf8, "aé日😀");
  EXPECT_EQ(e.bytes, "aé日😀");
  EXPECT_EQ(e.tagged_units, 10u);
  ASSERT_EQ(e.calls.size(), 1u);
  EXPECT_EQ(e.calls[0], (ReallocCall{0, 0, 1, 10}));
}

TEST(CanonicalAbiStrings, Utf16AllocatesWorstCaseThenShrinks) {
  Encoded ascii = lower_string(StringEncoding::kUtf16, "hello");
  EXPECT_EQ(ascii.bytes, u16le(u"hello"));
  EXPECT_EQ(ascii.tagged_units, 5u);
  ASSERT_EQ(ascii.calls.size(), 1u);  // 2×5 bytes is exact: no shrink
  EXPECT_EQ(ascii.calls[0], (ReallocCall{0, 0, 2, 10}));

  Encoded cjk = lower_string(StringEncoding::kUtf16, "日本");  // 6 UTF-8 bytes, 2 code units
  EXPECT_EQ(cjk.bytes, u16le(u"日本"));
  EXPECT_EQ(cjk.tagged_units, 2u);
  ASSERT_EQ(cjk.calls.size(), 2u);
  EXPECT_EQ(cjk.calls[0], (ReallocCall{0, 0, 2, 12}));
  EXPECT_EQ(cjk.calls[1].old_size, 12u);
  EXPECT_EQ(cjk.calls[1].new_size, 4u);

  Encoded astral = lower_string(StringEncoding::kUtf16, "😀");
  EXPECT_EQ(astral.bytes, std::string("\x3d\xd8\x00\xde", 4));  // D83D DE00
  EXPECT_EQ(astral.tagged_units, 2u);
}

TEST(CanonicalAbiStrings, Latin1OrUtf16) {
  Encoded ascii = lower_string(StringEncoding::kLatin1Utf16, "plain");
  EXPECT_EQ(ascii.bytes, "plain");
  EXPECT_EQ(ascii.tagged_units, 5u);
  ASSERT_EQ(ascii.calls.size(), 1u);
  EXPECT_EQ(ascii.calls[0], (ReallocCall{0, 0, 2, 5}));

  Encoded latin1 = lower_string(StringEncoding::kLatin1Utf16, "café");  // 5 UTF-8 bytes
  EXPECT_EQ(latin1.bytes, "caf\xe9");
  EXPECT_EQ(latin1.tagged_units, 4u);
  ASSERT_EQ(latin1.calls.size(), 2u);
  EXPECT_EQ(latin1.calls[1].old_size, 5u);
  EXPECT_EQ(latin1.calls[1].new_size, 4u);

  Encoded mixed = lower_string(StringEncoding::kLatin1Utf16, "aé日");  // 6 UTF-8 bytes
  EXPECT_EQ(mixed.bytes, u16le(u"aé日"));
  EXPECT_EQ(mixed.tagged_units, 3u | kUtf16Tag);
  ASSERT_EQ(mixed.calls.size(), 3u);
  EXPECT_EQ(mixed.calls[0], (ReallocCall{0, 0, 2, 6}));
  EXPECT_EQ(mixed.calls[1].old_size, 6u);
  EXPECT_EQ(mixed.calls[1].new_size, 12u);
  EXPECT_EQ(mixed.calls[2].old_size, 12u);
  EXPECT_EQ(mixed.calls[2].new_size, 6u);

  Encoded astral = lower_string(StringEncoding::kLatin1Utf16, "😀");
  EXPECT_EQ(astral.tagged_units, 2u | kUtf16Tag);
}

Result<Val> lift_string_at(StringEncoding enc, const std::string& bytes, uint32_t tagged_units,
                           uint32_t ptr = 32) {
  BumpRealloc mem;
  mem.put(ptr, bytes);
  Context cx = mem.context(enc);
  std::vector<wasmtime_val_raw_t> in = {raw_i32(ptr), raw_i32(tagged_units)};
  FlatReader r(in);
  return lift_flat(cx, r, *ty::string());
}

TEST(CanonicalAbiStrings, LiftingTranscodesToUtf8) {
  EXPECT_EQ(lift_string_at(StringEncoding::kUtf16, u16le(u"aé日😀"), 5)->as_string(), "aé日😀");
  EXPECT_EQ(lift_string_at(StringEncoding::kLatin1Utf16, "caf\xe9\xff", 5)->as_string(), "caféÿ");
  EXPECT_EQ(
      lift_string_at(StringEncoding::kLatin1Utf16, u16le(u"日本"), 2 | kUtf16Tag)->as_string(),
      "日本");
  EXPECT_EQ(lift_string_at(StringEncoding::kUtf8, "\xf4\x8f\xbf\xbf", 4)->as_string(),
            "\xf4\x8f\xbf\xbf");  // U+10FFFF
}

TEST(CanonicalAbiStrings, InvalidTextTraps) {
  for (const char* bad : {"\xc0\x80", "\xed\xa0\x80", "\xe6\x97", "\xf4\x90\x80\x80", "\x80",
                          "ok\xff", "\xf8\x88\x80\x80\x80"}) {
    SCOPED_TRACE(bad);
    std::string s(bad);
    EXPECT_TRUE(FailsWith(lift_string_at(StringEncoding::kUtf8, s, static_cast<uint32_t>(s.size())),
                          "invalid UTF-8"));
  }
  EXPECT_TRUE(FailsWith(lift_string_at(StringEncoding::kUtf16, u16le(u"a\xd800"), 2),
                        "unpaired surrogate 0xd800 at code unit 1"));
  EXPECT_TRUE(FailsWith(lift_string_at(StringEncoding::kUtf16,
                                       u16le(u"\xdc00"
                                             "a"),
                                       2),
                        "unpaired surrogate 0xdc00"));
  EXPECT_TRUE(FailsWith(lift_string_at(StringEncoding::kUtf16, u16le(u"\xd800\xd800"), 2),
                        "unpaired surrogate"));
  EXPECT_TRUE(
      FailsWith(lift_string_at(StringEncoding::kLatin1Utf16, u16le(u"\xdfff"), 1 | kUtf16Tag),
                "unpaired surrogate"));
  EXPECT_TRUE(FailsWith(lift_string_at(StringEncoding::kUtf16, u16le(u"ab"), 2, 33),
                        "string pointer 0x21 not aligned to 2"));
  EXPECT_TRUE(
      FailsWith(lift_string_at(StringEncoding::kUtf8, "x", 1u << 28), "exceeds the maximum"));
  EXPECT_TRUE(
      FailsWith(lift_string_at(StringEncoding::kUtf16, "", 1u << 27), "exceeds the maximum"));
  EXPECT_TRUE(FailsWith(lift_string_at(StringEncoding::kUtf8, "x", 70000), "out of bounds"));
  EXPECT_TRUE(
      FailsWith(lift_string_at(StringEncoding::kUtf8, "x", 0xffffffff, 2), "exceeds the maximum"));

  BumpRealloc mem;
  Context cx = mem.context();
  std::vector<wasmtime_val_raw_t> out;
  EXPECT_TRUE(
      FailsWith(lower_flat(cx, Val::string("\xff"), *ty::string(), out), "not valid UTF-8"));
}

// ---- traps -------------------------------------------------------------------------------------

TEST(CanonicalAbiTraps, Chars) {
  BumpRealloc mem;
  Context cx = mem.context();
  mem.put_le<uint32_t>(0, 0xD800);
  mem.put_le<uint32_t>(4, 0x110000);
  mem.put_le<uint32_t>(8, 0xDFFF);
  EXPECT_TRUE(FailsWith(load(cx, 0, *ty::char_()), "invalid char 0xd800 (a surrogate)"));
  EXPECT_TRUE(FailsWith(load(cx, 4, *ty::char_()), "invalid char 0x110000 (above U+10FFFF)"));
  EXPECT_TRUE(FailsWith(load(cx, 8, *ty::char_()), "a surrogate"));
  wasmtime_val_raw_t slot = raw_i32(0xffffffff);
  FlatReader r(std::span(&slot, 1));
  EXPECT_TRUE(FailsWith(lift_flat(cx, r, *ty::char_()), "invalid char 0xffffffff"));
  std::vector<wasmtime_val_raw_t> out;
  EXPECT_TRUE(FailsWith(lower_flat(cx, Val::char_(0xDABC), *ty::char_(), out), "invalid char"));
  EXPECT_TRUE(FailsWith(store(cx, Val::char_(0x110000), 0, *ty::char_()), "invalid char"));
}

TEST(CanonicalAbiTraps, Discriminants) {
  BumpRealloc mem;
  Context cx = mem.context();
  mem.bytes[0] = 2;
  EXPECT_TRUE(FailsWith(load(cx, 0, *ty::option(ty::u8())),
                        "option discriminant 2 out of range (2 cases)"));
  mem.bytes[0] = 3;
  EXPECT_TRUE(FailsWith(load(cx, 0, *ty::enum_({"a", "b", "c"})), "enum discriminant 3"));
  EXPECT_TRUE(FailsWith(load(cx, 0, *ty::result(nullptr, nullptr)), "result discriminant 3"));
  mem.put_le<uint16_t>(2, 300);
  EXPECT_TRUE(FailsWith(load(cx, 2, *ty::enum_(labels(300))), "enum discriminant 300"));
  std::vector<wasmtime_val_raw_t> in = {raw_i32(5), raw_i32(0)};
  FlatReader r(in);
  EXPECT_TRUE(FailsWith(lift_flat(cx, r, *ty::variant({{"a", ty::u8()}, {"b", nullptr}})),
                        "variant discriminant 5 out of range (2 cases)"));
  std::vector<wasmtime_val_raw_t> out;
  EXPECT_TRUE(FailsWith(lower_flat(cx, Val::variant(2), *ty::option(ty::u8()), out),
                        "cannot lower case 2"));
  EXPECT_TRUE(
      FailsWith(lower_flat(cx, Val::variant(1), *ty::option(ty::u8()), out), "needs a payload"));
  EXPECT_TRUE(FailsWith(lower_flat(cx, Val::variant(0, Val::u8(1)), *ty::option(ty::u8()), out),
                        "takes no payload"));
}

TEST(CanonicalAbiTraps, ListPointersAndLengths) {
  BumpRealloc mem;
  Context cx = mem.context();
  auto t = ty::list(ty::u32());
  std::vector<wasmtime_val_raw_t> in = {raw_i32(0x13), raw_i32(1)};
  FlatReader r(in);
  EXPECT_TRUE(FailsWith(lift_flat(cx, r, *t), "canonical ABI: list pointer 0x13 not aligned to 4"));
  mem.put_le<uint32_t>(0, 0xfff0);
  mem.put_le<uint32_t>(4, 8);
  EXPECT_TRUE(FailsWith(load(cx, 0, *t), "list 0xfff0+32 out of bounds of memory (65536 bytes)"));
  mem.put_le<uint32_t>(4, 1u << 26);  // 2^28 bytes of u32
  EXPECT_TRUE(FailsWith(load(cx, 0, *t), "list of 268435456 bytes exceeds the maximum"));
  mem.put_le<uint32_t>(4, 0xffffffff);
  EXPECT_TRUE(FailsWith(load(cx, 0, *ty::list(ty::u64())), "exceeds the maximum"));
  mem.put_le<uint32_t>(0, 0xffffffff);  // empty list at any aligned-enough pointer is fine…
  mem.put_le<uint32_t>(4, 0);
  EXPECT_TRUE(
      FailsWith(load(cx, 0, *ty::list(ty::u8())), "out of bounds"));  // …but not past the end
  mem.put_le<uint32_t>(0, 0x10000);
  EXPECT_TRUE(load(cx, 0, *ty::list(ty::u8())).ok());  // one past the end, empty: allowed
}

TEST(CanonicalAbiTraps, TopLevelPointers) {
  BumpRealloc mem;
  Context cx = mem.context();
  EXPECT_TRUE(FailsWith(load(cx, 2, *ty::u32()), "pointer 0x2 to u32 not aligned to 4"));
  EXPECT_TRUE(FailsWith(load(cx, 0x10000 - 8, *ty::list(ty::u64(), 2)), "out of bounds"));
  EXPECT_TRUE(FailsWith(load(cx, 0xfffffff8, *ty::u64()), "out of bounds"));
  EXPECT_TRUE(FailsWith(store(cx, Val::u32(1), 6, *ty::u32()), "not aligned to 4"));
  EXPECT_TRUE(FailsWith(store(cx, Val::u64(1), 0x10000, *ty::u64()), "out of bounds"));
}

TEST(CanonicalAbiTraps, Realloc) {
  BumpRealloc mem;
  Context cx = mem.context(StringEncoding::kUtf16);
  std::vector<wasmtime_val_raw_t> out;
  mem.fixed_result = 101;
  EXPECT_TRUE(FailsWith(lower_flat(cx, Val::string("x"), *ty::string(), out),
                        "realloc returned pointer 0x65 not aligned to 2"));
  mem.fixed_result = 0xfffe;
  EXPECT_TRUE(FailsWith(lower_flat(cx, Val::list({Val::u32(1)}), *ty::list(ty::u32()), out),
                        "not aligned to 4"));
  EXPECT_TRUE(FailsWith(lower_flat(cx, Val::string("abc"), *ty::string(), out),
                        "realloc result 0xfffe+6 out of bounds"));
  mem.fixed_result.reset();
  mem.grow = false;
  EXPECT_TRUE(
      FailsWith(lower_flat(cx, Val::bytes(std::string(1 << 17, 'x')), *ty::list(ty::u8()), out),
                "canonical ABI: realloc: out of memory"));
  Context no_realloc{.memory = mem.bytes};
  EXPECT_TRUE(FailsWith(lower_flat(no_realloc, Val::string("x"), *ty::string(), out),
                        "needs a realloc function"));
}

TEST(CanonicalAbiTraps, ValueDoesNotMatchType) {
  BumpRealloc mem;
  Context cx = mem.context();
  std::vector<wasmtime_val_raw_t> out;
  EXPECT_TRUE(
      FailsWith(lower_flat(cx, Val::s32(1), *ty::u32(), out), "cannot lower a s32 value as u32"));
  EXPECT_TRUE(
      FailsWith(lower_flat(cx, Val::record({Val::u8(1)}), *ty::tuple({ty::u8(), ty::u8()}), out),
                "record of 1 fields"));
  EXPECT_TRUE(FailsWith(lower_flat(cx, Val::bytes("ab"), *ty::list(ty::u8(), 3), out),
                        "list of 2 elements"));
  EXPECT_TRUE(
      FailsWith(lower_flat(cx, Val::bytes("ab"), *ty::list(ty::u16()), out), "cannot lower bytes"));
  EXPECT_TRUE(FailsWith(lower_flat(cx, Val::own(1), *ty::own(std::make_shared<Resource>("r")), out),
                        "needs a handle table"));
}

TEST(CanonicalAbiTraps, LiftBudgetBoundsAliasedLists) {
  // 1000 inner lists all pointing at the same 4 KiB: 4 MB of lifted data from 12 KiB of memory.
  BumpRealloc mem(1 << 16);
  for (uint32_t i = 0; i < 1000; ++i) {
    mem.put_le<uint32_t>(8192 + 8 * i, 0);
    mem.put_le<uint32_t>(8192 + 8 * i + 4, 4096);
  }
  Context cx = mem.context();
  cx.lift_budget = 1 << 20;
  std::vector<wasmtime_val_raw_t> in = {raw_i32(8192), raw_i32(1000)};
  FlatReader r(in);
  EXPECT_TRUE(FailsWith(lift_flat(cx, r, *ty::list(ty::list(ty::u8()))), "lift budget"));
}

// ---- bulk copies -------------------------------------------------------------------------------

TEST(CanonicalAbiBulk, LargeByteListsAreOneMemcpyEachWay) {
  constexpr uint32_t kSize = 8 << 20;
  BumpRealloc mem(kSize + (1 << 20), 64);
  for (uint32_t i = 0; i < kSize; ++i) mem.bytes[1024 + i] = static_cast<uint8_t>(i * 7);
  Context cx = mem.context();
  std::vector<wasmtime_val_raw_t> in = {raw_i32(1024), raw_i32(kSize)};
  FlatReader r(in);
  auto body = lift_flat(cx, r, *ty::list(ty::u8()));
  ASSERT_TRUE(body.ok());
  ASSERT_TRUE(body->is_bytes());  // one byte string, not 8 Mi values
  EXPECT_TRUE(body->items().empty());
  EXPECT_EQ(body->as_bytes().size(), kSize);
  EXPECT_EQ(cx.bulk_copies, 1u);
  EXPECT_EQ(0, std::memcmp(body->as_bytes().data(), mem.bytes.data() + 1024, kSize));

  BumpRealloc dst(kSize + 4096, 64);
  Context dcx = dst.context();
  std::vector<wasmtime_val_raw_t> out;
  ASSERT_TRUE(lower_flat(dcx, *body, *ty::list(ty::u8()), out).ok());
  EXPECT_EQ(dcx.bulk_copies, 1u);
  ASSERT_EQ(dst.calls.size(), 1u);
  EXPECT_EQ(dst.calls[0], (ReallocCall{0, 0, 1, kSize}));
  EXPECT_EQ(static_cast<uint32_t>(out[1].i32), kSize);
  EXPECT_EQ(0, std::memcmp(dst.bytes.data() + out[0].i32, body->as_bytes().data(), kSize));
}

TEST(CanonicalAbiBulk, LoweringSurvivesMemoryGrowth) {
  // The bump allocator grows (moves) the vector: later writes must use the fresh view.
  BumpRealloc mem(256, 16);
  Context cx = mem.context();
  Val v = Val::list({Val::string(std::string(200, 'a')), Val::string(std::string(300, 'b')),
                     Val::string(std::string(1000, 'c'))});
  std::vector<wasmtime_val_raw_t> out;
  ASSERT_TRUE(lower_flat(cx, v, *ty::list(ty::string()), out).ok());
  EXPECT_GT(mem.bytes.size(), 256u);
  FlatReader in(out);
  auto back = lift_flat(cx, in, *ty::list(ty::string()));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, v);
}

TEST(CanonicalAbiValues, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii that is longer than eight bytes"));
  EXPECT_TRUE(is_valid_utf8("\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80"));
  EXPECT_FALSE(is_valid_utf8("\xc1\xbf"));
  EXPECT_FALSE(is_valid_utf8("\xe0\x9f\xbf"));
  EXPECT_FALSE(is_valid_utf8("\xf0\x8f\xbf\xbf"));
  EXPECT_FALSE(is_valid_utf8("abcdefgh\xf5"));
}

}  // namespace
}  // namespace lepton::component
