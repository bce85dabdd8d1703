// Dynamic component-model values: what the canonical ABI lifts out of and lowers into a guest.
// A `Val` is interpreted against a `Type` (types.h): records and tuples are both records,
// variants, enums, options and results are all a case index with an optional payload. Strings
// are UTF-8 on the host side whatever the guest's encoding; list<u8> is held as one byte string
// (never a vector of per-byte values), so request and response bodies move with one memcpy.
// Resource handles are lifted to their representation (`rep`), as in the spec.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace lepton::component {

class Val {
 public:
  enum class Kind : uint8_t {
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
    kList,     // list and fixed-size list; items() or, for bytes, bytes()
    kRecord,   // record and tuple: items() in field order
    kVariant,  // variant, enum, option, result: case_index() and payload()
    kFlags,    // bit i set = label i set
    kOwn,      // resource rep
    kBorrow,   // resource rep
  };

  Val() = default;  // bool false

  static Val bool_(bool b) { return Val(Kind::kBool, b ? 1 : 0); }
  static Val s8(int8_t v) { return Val(Kind::kS8, static_cast<uint64_t>(int64_t{v})); }
  static Val u8(uint8_t v) { return Val(Kind::kU8, v); }
  static Val s16(int16_t v) { return Val(Kind::kS16, static_cast<uint64_t>(int64_t{v})); }
  static Val u16(uint16_t v) { return Val(Kind::kU16, v); }
  static Val s32(int32_t v) { return Val(Kind::kS32, static_cast<uint64_t>(int64_t{v})); }
  static Val u32(uint32_t v) { return Val(Kind::kU32, v); }
  static Val s64(int64_t v) { return Val(Kind::kS64, static_cast<uint64_t>(v)); }
  static Val u64(uint64_t v) { return Val(Kind::kU64, v); }
  static Val f32(float v);
  static Val f64(double v);
  static Val char_(char32_t c) { return Val(Kind::kChar, c); }
  static Val string(std::string utf8);
  static Val bytes(std::string data);  // list<u8>
  static Val list(std::vector<Val> items);
  static Val record(std::vector<Val> fields);
  static Val tuple(std::vector<Val> items) { return record(std::move(items)); }
  static Val variant(uint32_t case_index);
  static Val variant(uint32_t case_index, Val payload);
  static Val enum_(uint32_t case_index) { return variant(case_index); }
  static Val none() { return variant(0); }
  static Val some(Val v) { return variant(1, std::move(v)); }
  static Val ok() { return variant(0); }
  static Val ok(Val v) { return variant(0, std::move(v)); }
  static Val err() { return variant(1); }
  static Val err(Val v) { return variant(1, std::move(v)); }
  static Val flags(uint32_t bits) { return Val(Kind::kFlags, bits); }
  static Val own(uint32_t rep) { return Val(Kind::kOwn, rep); }
  static Val borrow(uint32_t rep) { return Val(Kind::kBorrow, rep); }

  Kind kind() const { return kind_; }

  bool as_bool() const { return bits() != 0; }
  // Integers of any width: signed kinds sign-extended, unsigned zero-extended.
  int64_t as_int() const { return static_cast<int64_t>(bits()); }
  uint64_t as_uint() const { return bits(); }
  float as_f32() const;
  double as_f64() const;
  char32_t as_char() const { return static_cast<char32_t>(bits()); }
  // The raw 64-bit payload of a scalar (floats as their IEEE bits).
  uint64_t bits() const {
    return std::holds_alternative<uint64_t>(data_) ? std::get<uint64_t>(data_) : 0;
  }

  // kString: UTF-8 text; kList holding bytes: the bytes.
  const std::string& as_string() const;
  bool is_bytes() const {
    return kind_ == Kind::kList && std::holds_alternative<std::string>(data_);
  }
  const std::string& as_bytes() const { return as_string(); }
  std::string& mutable_string();

  // kList (not bytes): the elements; kRecord: the fields; kVariant: the payload if any.
  std::span<const Val> items() const;
  size_t list_size() const { return is_bytes() ? as_bytes().size() : items().size(); }

  uint32_t case_index() const { return index_; }
  const Val* payload() const;
  uint32_t flag_bits() const { return static_cast<uint32_t>(bits()); }
  uint32_t rep() const { return static_cast<uint32_t>(bits()); }

  // Structural equality; a list<u8> held as bytes equals the same list held as u8 values, and
  // floats compare by bits (so lifted NaNs, being canonical, compare equal).
  bool operator==(const Val& other) const;

  // Debug spelling: `[1, 2]`, `{a, "x"}`, `case#1(7)`, `b"\x00ab"`.
  std::string to_string() const;

 private:
  Val(Kind kind, uint64_t bits) : kind_(kind), data_(bits) {}

  Kind kind_ = Kind::kBool;
  uint32_t index_ = 0;  // kVariant: case index
  std::variant<uint64_t, std::string, std::vector<Val>> data_{uint64_t{0}};
};

std::string_view val_kind_name(Val::Kind kind);

// For gtest output.
inline void PrintTo(const Val& v, std::ostream* os) { *os << v.to_string(); }

}  // namespace lepton::component
