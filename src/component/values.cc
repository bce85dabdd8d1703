#include "component/values.h"

#include <fmt/format.h>

#include <bit>

namespace lepton::component {

namespace {
const std::string kEmptyString;
}

Val Val::f32(float v) { return Val(Kind::kF32, std::bit_cast<uint32_t>(v)); }
Val Val::f64(double v) { return Val(Kind::kF64, std::bit_cast<uint64_t>(v)); }
float Val::as_f32() const { return std::bit_cast<float>(static_cast<uint32_t>(bits())); }
double Val::as_f64() const { return std::bit_cast<double>(bits()); }

Val Val::string(std::string utf8) {
  Val v(Kind::kString, 0);
  v.data_ = std::move(utf8);
  return v;
}

Val Val::bytes(std::string data) {
  Val v(Kind::kList, 0);
  v.data_ = std::move(data);
  return v;
}

Val Val::list(std::vector<Val> items) {
  Val v(Kind::kList, 0);
  v.data_ = std::move(items);
  return v;
}

Val Val::record(std::vector<Val> fields) {
  Val v(Kind::kRecord, 0);
  v.data_ = std::move(fields);
  return v;
}

Val Val::variant(uint32_t case_index) {
  Val v(Kind::kVariant, 0);
  v.index_ = case_index;
  return v;
}

Val Val::variant(uint32_t case_index, Val payload) {
  Val v(Kind::kVariant, 0);
  v.index_ = case_index;
  std::vector<Val> items;
  items.push_back(std::move(payload));
  v.data_ = std::move(items);
  return v;
}

const std::string& Val::as_string() const {
  if (const auto* s = std::get_if<std::string>(&data_)) return *s;
  return kEmptyString;
}

std::string& Val::mutable_string() {
  if (!std::holds_alternative<std::string>(data_)) data_ = std::string();
  return std::get<std::string>(data_);
}

std::span<const Val> Val::items() const {
  if (const auto* v = std::get_if<std::vector<Val>>(&data_)) return *v;
  return {};
}

const Val* Val::payload() const {
  auto v = items();
  return kind_ == Kind::kVariant && !v.empty() ? &v[0] : nullptr;
}

bool Val::operator==(const Val& other) const {
  if (kind_ != other.kind_) return false;
  switch (kind_) {
    case Kind::kString:
      return as_string() == other.as_string();
    case Kind::kList: {
      if (is_bytes() && other.is_bytes()) return as_bytes() == other.as_bytes();
      if (is_bytes() || other.is_bytes()) {
        const Val& b = is_bytes() ? *this : other;
        const Val& l = is_bytes() ? other : *this;
        auto items = l.items();
        const std::string& bytes = b.as_bytes();
        if (items.size() != bytes.size()) return false;
        for (size_t i = 0; i < items.size(); ++i) {
          if (items[i].kind() != Kind::kU8 || items[i].bits() != static_cast<uint8_t>(bytes[i]))
            return false;
        }
        return true;
      }
      auto a = items(), b = other.items();
      return std::equal(a.begin(), a.end(), b.begin(), b.end());
    }
    case Kind::kRecord: {
      auto a = items(), b = other.items();
      return std::equal(a.begin(), a.end(), b.begin(), b.end());
    }
    case Kind::kVariant: {
      if (index_ != other.index_) return false;
      const Val* a = payload();
      const Val* b = other.payload();
      if ((a == nullptr) != (b == nullptr)) return false;
      return a == nullptr || *a == *b;
    }
    default:
      return bits() == other.bits();
  }
}

std::string Val::to_string() const {
  auto join = [](std::span<const Val> items) {
    std::string out;
    for (const Val& v : items) {
      if (!out.empty()) out += ", ";
      out += v.to_string();
    }
    return out;
  };
  switch (kind_) {
    case Kind::kBool:
      return as_bool() ? "true" : "false";
    case Kind::kS8:
    case Kind::kS16:
    case Kind::kS32:
    case Kind::kS64:
      return std::to_string(as_int());
    case Kind::kU8:
    case Kind::kU16:
    case Kind::kU32:
    case Kind::kU64:
      return std::to_string(as_uint());
    case Kind::kF32:
      return fmt::format("{}f32", as_f32());
    case Kind::kF64:
      return fmt::format("{}f64", as_f64());
    case Kind::kChar:
      return fmt::format("char(U+{:04X})", static_cast<uint32_t>(as_char()));
    case Kind::kString:
      return fmt::format("\"{}\"", as_string());
    case Kind::kList: {
      if (!is_bytes()) return fmt::format("[{}]", join(items()));
      std::string out = "b\"";
      for (unsigned char c : as_bytes()) {
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
          out += static_cast<char>(c);
        } else {
          out += fmt::format("\\x{:02x}", c);
        }
      }
      return out + "\"";
    }
    case Kind::kRecord:
      return fmt::format("{{{}}}", join(items()));
    case Kind::kVariant: {
      const Val* p = payload();
      return p ? fmt::format("case#{}({})", index_, p->to_string())
               : fmt::format("case#{}", index_);
    }
    case Kind::kFlags:
      return fmt::format("flags({:#x})", flag_bits());
    case Kind::kOwn:
      return fmt::format("own({})", rep());
    case Kind::kBorrow:
      return fmt::format("borrow({})", rep());
  }
  return "?";
}

std::string_view val_kind_name(Val::Kind kind) {
  using K = Val::Kind;
  switch (kind) {
    case K::kBool:
      return "bool";
    case K::kS8:
      return "s8";
    case K::kU8:
      return "u8";
    case K::kS16:
      return "s16";
    case K::kU16:
      return "u16";
    case K::kS32:
      return "s32";
    case K::kU32:
      return "u32";
    case K::kS64:
      return "s64";
    case K::kU64:
      return "u64";
    case K::kF32:
      return "f32";
    case K::kF64:
      return "f64";
    case K::kChar:
      return "char";
    case K::kString:
      return "string";
    case K::kList:
      return "list";
    case K::kRecord:
      return "record";
    case K::kVariant:
      return "variant";
    case K::kFlags:
      return "flags";
    case K::kOwn:
      return "own";
    case K::kBorrow:
      return "borrow";
  }
  return "?";
}

}  // namespace lepton::component
