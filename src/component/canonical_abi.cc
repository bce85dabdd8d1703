#include "component/canonical_abi.h"

#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "engine/guest_call.h"

namespace lepton::component {

namespace {

using K = Type::Kind;

template <typename... Args>
Error trap(fmt::format_string<Args...> format, Args&&... args) {
  return Error{"canonical ABI: " + fmt::format(format, std::forward<Args>(args)...)};
}

bool aligned(uint64_t ptr, uint32_t alignment) { return ptr % alignment == 0; }
uint64_t align_to(uint64_t n, uint64_t alignment) {
  return (n + alignment - 1) / alignment * alignment;
}

Status check_range(const Context& cx, std::string_view what, uint64_t ptr, uint64_t size) {
  if (ptr > cx.memory.size() || size > cx.memory.size() - ptr)
    return trap("{} {:#x}+{} out of bounds of memory ({} bytes)", what, ptr, size,
                cx.memory.size());
  return {};
}

// Little-endian access to memory already bounds-checked by the caller (wasm and the hosts lepton
// runs on are little-endian).
template <typename T>
T read(const Context& cx, uint32_t ptr) {
  T v;
  std::memcpy(&v, cx.memory.data() + ptr, sizeof(T));
  return v;
}
template <typename T>
void write(Context& cx, uint32_t ptr, T v) {
  std::memcpy(cx.memory.data() + ptr, &v, sizeof(T));
}

uint32_t read_uint(const Context& cx, uint32_t ptr, uint32_t size) {
  switch (size) {
    case 1:
      return read<uint8_t>(cx, ptr);
    case 2:
      return read<uint16_t>(cx, ptr);
    default:
      return read<uint32_t>(cx, ptr);
  }
}
void write_uint(Context& cx, uint32_t ptr, uint32_t size, uint32_t v) {
  switch (size) {
    case 1:
      write(cx, ptr, static_cast<uint8_t>(v));
      break;
    case 2:
      write(cx, ptr, static_cast<uint16_t>(v));
      break;
    default:
      write(cx, ptr, v);
      break;
  }
}

uint32_t canonical_f32_bits(uint32_t bits) {
  return std::isnan(std::bit_cast<float>(bits)) ? kCanonicalNan32 : bits;
}
uint64_t canonical_f64_bits(uint64_t bits) {
  return std::isnan(std::bit_cast<double>(bits)) ? kCanonicalNan64 : bits;
}

Result<Val> to_char(uint32_t i) {
  if (i >= 0x110000) return trap("invalid char {:#x} (above U+10FFFF)", i);
  if (i >= 0xD800 && i <= 0xDFFF) return trap("invalid char {:#x} (a surrogate)", i);
  return Val::char_(static_cast<char32_t>(i));
}

uint32_t flags_mask(const Type& t) {
  size_t n = t.labels().size();
  return n >= 32 ? 0xffffffffu : (1u << n) - 1;
}

// The value kind a type is lowered from.
Val::Kind val_kind_for(K kind) {
  switch (kind) {
    case K::kBool:
      return Val::Kind::kBool;
    case K::kS8:
      return Val::Kind::kS8;
    case K::kU8:
      return Val::Kind::kU8;
    case K::kS16:
      return Val::Kind::kS16;
    case K::kU16:
      return Val::Kind::kU16;
    case K::kS32:
      return Val::Kind::kS32;
    case K::kU32:
      return Val::Kind::kU32;
    case K::kS64:
      return Val::Kind::kS64;
    case K::kU64:
      return Val::Kind::kU64;
    case K::kF32:
      return Val::Kind::kF32;
    case K::kF64:
      return Val::Kind::kF64;
    case K::kChar:
      return Val::Kind::kChar;
    case K::kString:
      return Val::Kind::kString;
    case K::kList:
    case K::kFixedList:
      return Val::Kind::kList;
    case K::kRecord:
    case K::kTuple:
      return Val::Kind::kRecord;
    case K::kVariant:
    case K::kEnum:
    case K::kOption:
    case K::kResult:
      return Val::Kind::kVariant;
    case K::kFlags:
      return Val::Kind::kFlags;
    case K::kOwn:
      return Val::Kind::kOwn;
    case K::kBorrow:
      return Val::Kind::kBorrow;
  }
  return Val::Kind::kBool;
}

// Host values are checked against their type before lowering (the spec asserts these).
Status check_val(const Val& v, const Type& t) {
  if (v.kind() != val_kind_for(t.kind()))
    return trap("cannot lower a {} value as {}", val_kind_name(v.kind()), t.to_string());
  switch (t.kind()) {
    case K::kChar: {
      uint32_t c = v.as_char();
      if (c >= 0x110000 || (c >= 0xD800 && c <= 0xDFFF))
        return trap("cannot lower invalid char {:#x}", c);
      return {};
    }
    case K::kFixedList:
      if (v.list_size() != t.length())
        return trap("cannot lower a list of {} elements as {}", v.list_size(), t.to_string());
      [[fallthrough]];
    case K::kList:
      if (v.is_bytes() && t.element()->kind() != K::kU8)
        return trap("cannot lower bytes as {}", t.to_string());
      return {};
    case K::kRecord:
    case K::kTuple:
      if (v.items().size() != t.fields().size())
        return trap("cannot lower a record of {} fields as {}", v.items().size(), t.to_string());
      return {};
    case K::kVariant:
    case K::kEnum:
    case K::kOption:
    case K::kResult: {
      if (v.case_index() >= t.cases().size())
        return trap("cannot lower case {} of {}", v.case_index(), t.to_string());
      const Type::Case& c = t.cases()[v.case_index()];
      if ((c.type != nullptr) != (v.payload() != nullptr))
        return trap("case `{}` of {} {}", c.name, t.to_string(),
                    c.type ? "needs a payload" : "takes no payload");
      return {};
    }
    case K::kFlags:
      if ((v.flag_bits() & ~flags_mask(t)) != 0)
        return trap("cannot lower flags {:#x}: bits beyond the {} labels of {}", v.flag_bits(),
                    t.labels().size(), t.to_string());
      return {};
    default:
      return {};
  }
}

// ---- text ------------------------------------------------------------------------------------

// Decodes one code point from valid UTF-8 at s[i], advancing i.
char32_t next_code_point(std::string_view s, size_t& i) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t c = b(i);
  if (c < 0x80) {
    i += 1;
    return c;
  }
  if (c < 0xE0) {
    char32_t cp = ((c & 0x1Fu) << 6) | (b(i + 1) & 0x3Fu);
    i += 2;
    return cp;
  }
  if (c < 0xF0) {
    char32_t cp = ((c & 0x0Fu) << 12) | ((b(i + 1) & 0x3Fu) << 6) | (b(i + 2) & 0x3Fu);
    i += 3;
    return cp;
  }
  char32_t cp = ((c & 0x07u) << 18) | ((b(i + 1) & 0x3Fu) << 12) | ((b(i + 2) & 0x3Fu) << 6) |
                (b(i + 3) & 0x3Fu);
  i += 4;
  return cp;
}

// Length of the invalid-UTF-8-free prefix: s.size() when valid.
size_t utf8_valid_prefix(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t chunk;
      std::memcpy(&chunk, p + i, 8);
      if ((chunk & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
    uint8_t c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF;  // range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // no overlong forms
      if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // no overlong forms
      if (c == 0xF4) hi = 0x8F;  // at most U+10FFFF
    } else {
      return i;
    }
    if (i + len > n) return i;
    if (p[i + 1] < lo || p[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
    }
    i += len;
  }
  return n;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Writes the UTF-16LE encoding of valid UTF-8 `s` at dst; returns the number of code units.
uint32_t encode_utf16(std::string_view s, uint8_t* dst) {
  uint32_t units = 0;
  auto put = [&](uint16_t u) {
    std::memcpy(dst + 2 * units, &u, 2);
    ++units;
  };
  for (size_t i = 0; i < s.size();) {
    char32_t cp = next_code_point(s, i);
    if (cp < 0x10000) {
      put(static_cast<uint16_t>(cp));
    } else {
      cp -= 0x10000;
      put(static_cast<uint16_t>(0xD800 + (cp >> 10)));
      put(static_cast<uint16_t>(0xDC00 + (cp & 0x3FF)));
    }
  }
  return units;
}

Result<std::string> decode_utf16(const uint8_t* p, size_t units) {
  std::string out;
  out.reserve(units);
  for (size_t i = 0; i < units; ++i) {
    uint16_t u;
    std::memcpy(&u, p + 2 * i, 2);
    char32_t cp = u;
    if (u >= 0xD800 && u <= 0xDBFF) {
      uint16_t low = 0;
      if (i + 1 < units) std::memcpy(&low, p + 2 * (i + 1), 2);
      if (low < 0xDC00 || low > 0xDFFF)
        return trap("invalid UTF-16 string: unpaired surrogate {:#06x} at code unit {}", u, i);
      cp = 0x10000 + ((char32_t{u} - 0xD800) << 10) + (low - 0xDC00);
      ++i;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      return trap("invalid UTF-16 string: unpaired surrogate {:#06x} at code unit {}", u, i);
    }
    append_utf8(out, cp);
  }
  return out;
}

std::string decode_latin1(const uint8_t* p, size_t n) {
  std::string out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) append_utf8(out, p[i]);
  return out;
}

// ---- lifting ---------------------------------------------------------------------------------

Status spend(Context& cx, uint64_t bytes) {
  if (bytes > cx.lift_budget) return trap("lifted strings and lists exceed the lift budget");
  cx.lift_budget -= bytes;
  return {};
}

Result<Val> load_string_from_range(Context& cx, uint32_t ptr, uint32_t tagged_code_units) {
  uint32_t alignment = 1;
  uint64_t byte_length = tagged_code_units;
  enum { kUtf8, kUtf16, kLatin1 } encoding = kUtf8;
  switch (cx.encoding) {
    case StringEncoding::kUtf8:
      break;
    case StringEncoding::kUtf16:
      alignment = 2;
      byte_length = 2 * uint64_t{tagged_code_units};
      encoding = kUtf16;
      break;
    case StringEncoding::kLatin1Utf16:
      alignment = 2;
      if (tagged_code_units & kUtf16Tag) {
        byte_length = 2 * uint64_t{tagged_code_units ^ kUtf16Tag};
        encoding = kUtf16;
      } else {
        encoding = kLatin1;
      }
      break;
  }
  if (byte_length > kMaxStringByteLength)
    return trap("string of {} bytes exceeds the maximum of {}", byte_length, kMaxStringByteLength);
  if (!aligned(ptr, alignment))
    return trap("string pointer {:#x} not aligned to {}", ptr, alignment);
  LEPTON_CHECK(check_range(cx, "string", ptr, byte_length));
  LEPTON_CHECK(spend(cx, byte_length));
  const uint8_t* p = cx.memory.data() + ptr;
  switch (encoding) {
    case kUtf8: {
      std::string_view s(reinterpret_cast<const char*>(p), byte_length);
      size_t valid = utf8_valid_prefix(s);
      if (valid != s.size()) return trap("invalid UTF-8 string: bad byte at offset {}", valid);
      ++cx.bulk_copies;
      return Val::string(std::string(s));
    }
    case kUtf16: {
      LEPTON_TRY(std::string s, decode_utf16(p, byte_length / 2));
      return Val::string(std::move(s));
    }
    case kLatin1:
      return Val::string(decode_latin1(p, byte_length));
  }
  return trap("unknown string encoding");
}

Result<Val> load_at(Context& cx, uint32_t ptr, const Type& t);

Result<Val> load_list_from_valid_range(Context& cx, uint32_t ptr, uint32_t length,
                                       const Type& elem) {
  if (elem.kind() == K::kU8) {
    ++cx.bulk_copies;
    return Val::bytes(std::string(reinterpret_cast<const char*>(cx.memory.data() + ptr), length));
  }
  std::vector<Val> items;
  items.reserve(length);
  for (uint32_t i = 0; i < length; ++i) {
    LEPTON_TRY(Val v, load_at(cx, ptr + i * elem.size(), elem));
    items.push_back(std::move(v));
  }
  return Val::list(std::move(items));
}

Result<Val> load_list_from_range(Context& cx, uint32_t ptr, uint32_t length, const Type& elem) {
  uint64_t byte_length = uint64_t{length} * elem.size();
  if (byte_length > kMaxListByteLength)
    return trap("list of {} bytes exceeds the maximum of {}", byte_length, kMaxListByteLength);
  if (!aligned(ptr, elem.alignment()))
    return trap("list pointer {:#x} not aligned to {}", ptr, elem.alignment());
  LEPTON_CHECK(check_range(cx, "list", ptr, byte_length));
  LEPTON_CHECK(spend(cx, byte_length));
  return load_list_from_valid_range(cx, ptr, length, elem);
}

Result<Val> lift_handle(Context& cx, const Type& t, uint32_t index) {
  if (cx.handles == nullptr) return trap("{} needs a handle table", t.to_string());
  if (t.kind() == K::kOwn) {
    LEPTON_TRY(uint32_t rep, lift_own(*cx.handles, *t.resource(), index));
    return Val::own(rep);
  }
  LEPTON_TRY(uint32_t rep, lift_borrow(*cx.handles, *t.resource(), index, cx.import_call));
  return Val::borrow(rep);
}

Error bad_discriminant(uint32_t case_index, const Type& t) {
  return trap("{} discriminant {} out of range ({} cases)", kind_name(t.kind()), case_index,
              t.cases().size());
}

// Loads `t` at ptr; ptr is aligned and [ptr, ptr+size) lies inside memory.
Result<Val> load_at(Context& cx, uint32_t ptr, const Type& t) {
  switch (t.kind()) {
    case K::kBool:
      return Val::bool_(read<uint8_t>(cx, ptr) != 0);
    case K::kS8:
      return Val::s8(read<int8_t>(cx, ptr));
    case K::kU8:
      return Val::u8(read<uint8_t>(cx, ptr));
    case K::kS16:
      return Val::s16(read<int16_t>(cx, ptr));
    case K::kU16:
      return Val::u16(read<uint16_t>(cx, ptr));
    case K::kS32:
      return Val::s32(read<int32_t>(cx, ptr));
    case K::kU32:
      return Val::u32(read<uint32_t>(cx, ptr));
    case K::kS64:
      return Val::s64(read<int64_t>(cx, ptr));
    case K::kU64:
      return Val::u64(read<uint64_t>(cx, ptr));
    case K::kF32:
      return Val::f32(std::bit_cast<float>(canonical_f32_bits(read<uint32_t>(cx, ptr))));
    case K::kF64:
      return Val::f64(std::bit_cast<double>(canonical_f64_bits(read<uint64_t>(cx, ptr))));
    case K::kChar:
      return to_char(read<uint32_t>(cx, ptr));
    case K::kString:
      return load_string_from_range(cx, read<uint32_t>(cx, ptr), read<uint32_t>(cx, ptr + 4));
    case K::kList:
      return load_list_from_range(cx, read<uint32_t>(cx, ptr), read<uint32_t>(cx, ptr + 4),
                                  *t.element());
    case K::kFixedList:
      return load_list_from_valid_range(cx, ptr, t.length(), *t.element());
    case K::kRecord:
    case K::kTuple: {
      std::vector<Val> fields;
      fields.reserve(t.fields().size());
      for (const Type::Field& f : t.fields()) {
        LEPTON_TRY(Val v, load_at(cx, ptr + f.offset, *f.type));
        fields.push_back(std::move(v));
      }
      return Val::record(std::move(fields));
    }
    case K::kVariant:
    case K::kEnum:
    case K::kOption:
    case K::kResult: {
      uint32_t case_index = read_uint(cx, ptr, t.discriminant_size());
      if (case_index >= t.cases().size()) return bad_discriminant(case_index, t);
      const Type::Case& c = t.cases()[case_index];
      if (!c.type) return Val::variant(case_index);
      LEPTON_TRY(Val payload, load_at(cx, ptr + t.payload_offset(), *c.type));
      return Val::variant(case_index, std::move(payload));
    }
    case K::kFlags:
      return Val::flags(read_uint(cx, ptr, t.size()) & flags_mask(t));
    case K::kOwn:
    case K::kBorrow:
      return lift_handle(cx, t, read<uint32_t>(cx, ptr));
  }
  return trap("unknown type");
}

// ---- lowering --------------------------------------------------------------------------------

// Lowers a host (UTF-8) string into the guest's encoding; returns {ptr, tagged code units}.
Result<std::pair<uint32_t, uint32_t>> store_string_into_range(Context& cx, std::string_view s) {
  if (s.size() > kMaxStringByteLength)
    return trap("string of {} bytes exceeds the maximum of {}", s.size(), kMaxStringByteLength);
  if (utf8_valid_prefix(s) != s.size()) return trap("host string is not valid UTF-8");
  auto n = static_cast<uint32_t>(s.size());
  switch (cx.encoding) {
    case StringEncoding::kUtf8: {
      LEPTON_TRY(uint32_t ptr, cx.allocate(1, n));
      if (n > 0) std::memcpy(cx.memory.data() + ptr, s.data(), n);
      ++cx.bulk_copies;
      return std::pair{ptr, n};
    }
    case StringEncoding::kUtf16: {
      // Every UTF-8 byte yields at most one UTF-16 code unit.
      uint32_t worst = 2 * n;
      LEPTON_TRY(uint32_t ptr, cx.allocate(2, worst));
      uint32_t units = encode_utf16(s, cx.memory.data() + ptr);
      if (2 * units < worst) {
        LEPTON_TRY(ptr, cx.reallocate(ptr, worst, 2, 2 * units));
      }
      return std::pair{ptr, units};
    }
    case StringEncoding::kLatin1Utf16: {
      LEPTON_TRY(uint32_t ptr, cx.allocate(2, n));
      uint32_t latin1 = 0;  // bytes written so far, one per code point
      for (size_t i = 0; i < s.size();) {
        size_t at = i;
        char32_t cp = next_code_point(s, i);
        if (cp < 0x100) {
          cx.memory[ptr + latin1] = static_cast<uint8_t>(cp);
          ++latin1;
          continue;
        }
        // Not Latin-1: widen what was written to UTF-16 in place, then encode the rest.
        uint32_t worst = 2 * n;
        LEPTON_TRY(ptr, cx.reallocate(ptr, n, 2, worst));
        uint8_t* p = cx.memory.data() + ptr;
        for (uint32_t j = latin1; j-- > 0;) {
          p[2 * j] = p[j];
          p[2 * j + 1] = 0;
        }
        uint32_t units = latin1 + encode_utf16(s.substr(at), p + 2 * latin1);
        if (worst > 2 * units) {
          LEPTON_TRY(ptr, cx.reallocate(ptr, worst, 2, 2 * units));
        }
        return std::pair{ptr, units | kUtf16Tag};
      }
      if (latin1 < n) {
        LEPTON_TRY(ptr, cx.reallocate(ptr, n, 2, latin1));
      }
      return std::pair{ptr, latin1};
    }
  }
  return trap("unknown string encoding");
}

Status store_at(Context& cx, const Val& v, uint32_t ptr, const Type& t);

Status store_list_into_valid_range(Context& cx, const Val& v, uint32_t ptr, const Type& elem) {
  if (v.is_bytes()) {
    const std::string& b = v.as_bytes();
    if (!b.empty()) std::memcpy(cx.memory.data() + ptr, b.data(), b.size());
    ++cx.bulk_copies;
    return {};
  }
  auto items = v.items();
  for (size_t i = 0; i < items.size(); ++i) {
    LEPTON_CHECK(store_at(cx, items[i], ptr + static_cast<uint32_t>(i) * elem.size(), elem));
  }
  return {};
}

Result<std::pair<uint32_t, uint32_t>> store_list_into_range(Context& cx, const Val& v,
                                                            const Type& elem) {
  uint64_t length = v.list_size();
  uint64_t byte_length = length * elem.size();
  if (byte_length > std::numeric_limits<uint32_t>::max())
    return trap("list of {} bytes is too large to lower", byte_length);
  LEPTON_TRY(uint32_t ptr, cx.allocate(elem.alignment(), static_cast<uint32_t>(byte_length)));
  LEPTON_CHECK(store_list_into_valid_range(cx, v, ptr, elem));
  return std::pair{ptr, static_cast<uint32_t>(length)};
}

Result<uint32_t> lower_handle(Context& cx, const Val& v, const Type& t) {
  if (cx.handles == nullptr) return trap("{} needs a handle table", t.to_string());
  if (t.kind() == K::kOwn) return lower_own(*cx.handles, t.resource(), v.rep());
  return lower_borrow(*cx.handles, t.resource(), v.rep(), cx.export_call);
}

// Stores `v` at ptr; ptr is aligned and [ptr, ptr+size) lies inside memory.
Status store_at(Context& cx, const Val& v, uint32_t ptr, const Type& t) {
  LEPTON_CHECK(check_val(v, t));
  switch (t.kind()) {
    case K::kBool:
      write<uint8_t>(cx, ptr, v.as_bool() ? 1 : 0);
      return {};
    case K::kS8:
    case K::kU8:
      write(cx, ptr, static_cast<uint8_t>(v.bits()));
      return {};
    case K::kS16:
    case K::kU16:
      write(cx, ptr, static_cast<uint16_t>(v.bits()));
      return {};
    case K::kS32:
    case K::kU32:
    case K::kChar:
      write(cx, ptr, static_cast<uint32_t>(v.bits()));
      return {};
    case K::kS64:
    case K::kU64:
      write(cx, ptr, v.bits());
      return {};
    case K::kF32:
      write(cx, ptr, canonical_f32_bits(static_cast<uint32_t>(v.bits())));
      return {};
    case K::kF64:
      write(cx, ptr, canonical_f64_bits(v.bits()));
      return {};
    case K::kString: {
      LEPTON_TRY(auto range, store_string_into_range(cx, v.as_string()));
      write(cx, ptr, range.first);
      write(cx, ptr + 4, range.second);
      return {};
    }
    case K::kList: {
      LEPTON_TRY(auto range, store_list_into_range(cx, v, *t.element()));
      write(cx, ptr, range.first);
      write(cx, ptr + 4, range.second);
      return {};
    }
    case K::kFixedList:
      return store_list_into_valid_range(cx, v, ptr, *t.element());
    case K::kRecord:
    case K::kTuple: {
      auto items = v.items();
      for (size_t i = 0; i < items.size(); ++i) {
        const Type::Field& f = t.fields()[i];
        LEPTON_CHECK(store_at(cx, items[i], ptr + f.offset, *f.type));
      }
      return {};
    }
    case K::kVariant:
    case K::kEnum:
    case K::kOption:
    case K::kResult: {
      write_uint(cx, ptr, t.discriminant_size(), v.case_index());
      const Type::Case& c = t.cases()[v.case_index()];
      if (c.type) LEPTON_CHECK(store_at(cx, *v.payload(), ptr + t.payload_offset(), *c.type));
      return {};
    }
    case K::kFlags:
      write_uint(cx, ptr, t.size(), v.flag_bits());
      return {};
    case K::kOwn:
    case K::kBorrow: {
      LEPTON_TRY(uint32_t index, lower_handle(cx, v, t));
      write(cx, ptr, index);
      return {};
    }
  }
  return trap("unknown type");
}

// ---- flat ------------------------------------------------------------------------------------

wasmtime_val_raw_t zero_slot() {
  wasmtime_val_raw_t r;
  std::memset(&r, 0, sizeof(r));
  return r;
}
void push_i32(std::vector<wasmtime_val_raw_t>& out, uint32_t v) {
  auto r = zero_slot();
  r.i32 = static_cast<int32_t>(v);
  out.push_back(r);
}
void push_i64(std::vector<wasmtime_val_raw_t>& out, uint64_t v) {
  auto r = zero_slot();
  r.i64 = static_cast<int64_t>(v);
  out.push_back(r);
}

Result<Val> lift_flat_at(Context& cx, FlatReader& in, const Type& t) {
  auto i32 = [&]() -> Result<uint32_t> {
    LEPTON_TRY(const wasmtime_val_raw_t* r, in.next());
    return static_cast<uint32_t>(r->i32);
  };
  auto i64 = [&]() -> Result<uint64_t> {
    LEPTON_TRY(const wasmtime_val_raw_t* r, in.next());
    return static_cast<uint64_t>(r->i64);
  };
  switch (t.kind()) {
    case K::kBool: {
      LEPTON_TRY(uint32_t x, i32());
      return Val::bool_(x != 0);
    }
    case K::kS8: {
      LEPTON_TRY(uint32_t x, i32());
      return Val::s8(static_cast<int8_t>(x));
    }
    case K::kU8: {
      LEPTON_TRY(uint32_t x, i32());
      return Val::u8(static_cast<uint8_t>(x));
    }
    case K::kS16: {
      LEPTON_TRY(uint32_t x, i32());
      return Val::s16(static_cast<int16_t>(x));
    }
    case K::kU16: {
      LEPTON_TRY(uint32_t x, i32());
      return Val::u16(static_cast<uint16_t>(x));
    }
    case K::kS32: {
      LEPTON_TRY(uint32_t x, i32());
      return Val::s32(static_cast<int32_t>(x));
    }
    case K::kU32: {
      LEPTON_TRY(uint32_t x, i32());
      return Val::u32(x);
    }
    case K::kS64: {
      LEPTON_TRY(uint64_t x, i64());
      return Val::s64(static_cast<int64_t>(x));
    }
    case K::kU64: {
      LEPTON_TRY(uint64_t x, i64());
      return Val::u64(x);
    }
    case K::kF32: {
      LEPTON_TRY(uint32_t x, i32());  // the f32 slot's bits
      return Val::f32(std::bit_cast<float>(canonical_f32_bits(x)));
    }
    case K::kF64: {
      LEPTON_TRY(uint64_t x, i64());
      return Val::f64(std::bit_cast<double>(canonical_f64_bits(x)));
    }
    case K::kChar: {
      LEPTON_TRY(uint32_t x, i32());
      return to_char(x);
    }
    case K::kString: {
      LEPTON_TRY(uint32_t ptr, i32());
      LEPTON_TRY(uint32_t units, i32());
      return load_string_from_range(cx, ptr, units);
    }
    case K::kList: {
      LEPTON_TRY(uint32_t ptr, i32());
      LEPTON_TRY(uint32_t length, i32());
      return load_list_from_range(cx, ptr, length, *t.element());
    }
    case K::kFixedList: {
      const Type& e = *t.element();
      if (e.kind() == K::kU8) {
        std::string bytes(t.length(), '\0');
        for (uint32_t i = 0; i < t.length(); ++i) {
          LEPTON_TRY(uint32_t x, i32());
          bytes[i] = static_cast<char>(x);
        }
        return Val::bytes(std::move(bytes));
      }
      std::vector<Val> items;
      items.reserve(t.length());
      for (uint32_t i = 0; i < t.length(); ++i) {
        LEPTON_TRY(Val v, lift_flat_at(cx, in, e));
        items.push_back(std::move(v));
      }
      return Val::list(std::move(items));
    }
    case K::kRecord:
    case K::kTuple: {
      std::vector<Val> fields;
      fields.reserve(t.fields().size());
      for (const Type::Field& f : t.fields()) {
        LEPTON_TRY(Val v, lift_flat_at(cx, in, *f.type));
        fields.push_back(std::move(v));
      }
      return Val::record(std::move(fields));
    }
    case K::kVariant:
    case K::kEnum:
    case K::kOption:
    case K::kResult: {
      LEPTON_TRY(uint32_t case_index, i32());
      if (case_index >= t.cases().size()) return bad_discriminant(case_index, t);
      const Type::Case& c = t.cases()[case_index];
      // Payload slots share the joined core types; a raw slot holds every narrower type's bits
      // in its low bytes, which is exactly the spec's wrap/reinterpret coercion.
      uint32_t used = 0;
      Val out = Val::variant(case_index);
      if (c.type) {
        LEPTON_TRY(Val payload, lift_flat_at(cx, in, *c.type));
        out = Val::variant(case_index, std::move(payload));
        used = c.type->flat_count();
      }
      for (uint32_t i = used; i + 1 < t.flat_count(); ++i) {
        LEPTON_TRY(const wasmtime_val_raw_t* unused, in.next());
        (void)unused;
      }
      return out;
    }
    case K::kFlags: {
      LEPTON_TRY(uint32_t x, i32());
      return Val::flags(x & flags_mask(t));
    }
    case K::kOwn:
    case K::kBorrow: {
      LEPTON_TRY(uint32_t x, i32());
      return lift_handle(cx, t, x);
    }
  }
  return trap("unknown type");
}

Status lower_flat_at(Context& cx, const Val& v, const Type& t,
                     std::vector<wasmtime_val_raw_t>& out) {
  LEPTON_CHECK(check_val(v, t));
  switch (t.kind()) {
    case K::kBool:
      push_i32(out, v.as_bool() ? 1 : 0);
      return {};
    case K::kS8:
    case K::kU8:
    case K::kS16:
    case K::kU16:
    case K::kS32:
    case K::kU32:
    case K::kChar:
      // Signed values are sign-extended to 32 bits (the spec's lower_flat_signed).
      push_i32(out, static_cast<uint32_t>(v.bits()));
      return {};
    case K::kS64:
    case K::kU64:
      push_i64(out, v.bits());
      return {};
    case K::kF32: {
      auto r = zero_slot();
      r.f32 = std::bit_cast<float>(canonical_f32_bits(static_cast<uint32_t>(v.bits())));
      out.push_back(r);
      return {};
    }
    case K::kF64: {
      auto r = zero_slot();
      r.f64 = std::bit_cast<double>(canonical_f64_bits(v.bits()));
      out.push_back(r);
      return {};
    }
    case K::kString: {
      LEPTON_TRY(auto range, store_string_into_range(cx, v.as_string()));
      push_i32(out, range.first);
      push_i32(out, range.second);
      return {};
    }
    case K::kList: {
      LEPTON_TRY(auto range, store_list_into_range(cx, v, *t.element()));
      push_i32(out, range.first);
      push_i32(out, range.second);
      return {};
    }
    case K::kFixedList: {
      if (v.is_bytes()) {
        for (unsigned char c : v.as_bytes()) push_i32(out, c);
        return {};
      }
      for (const Val& item : v.items()) LEPTON_CHECK(lower_flat_at(cx, item, *t.element(), out));
      return {};
    }
    case K::kRecord:
    case K::kTuple: {
      auto items = v.items();
      for (size_t i = 0; i < items.size(); ++i)
        LEPTON_CHECK(lower_flat_at(cx, items[i], *t.fields()[i].type, out));
      return {};
    }
    case K::kVariant:
    case K::kEnum:
    case K::kOption:
    case K::kResult: {
      push_i32(out, v.case_index());
      size_t start = out.size();
      const Type::Case& c = t.cases()[v.case_index()];
      if (c.type) LEPTON_CHECK(lower_flat_at(cx, *v.payload(), *c.type, out));
      // Zeroed slots written at their own width are the spec's zero-extending coercions.
      while (out.size() - start + 1 < t.flat_count()) out.push_back(zero_slot());
      return {};
    }
    case K::kFlags:
      push_i32(out, v.flag_bits());
      return {};
    case K::kOwn:
    case K::kBorrow: {
      LEPTON_TRY(uint32_t index, lower_handle(cx, v, t));
      push_i32(out, index);
      return {};
    }
  }
  return trap("unknown type");
}

uint64_t flat_total(std::span<const TypePtr> types) {
  uint64_t n = 0;
  for (const TypePtr& t : types) n += t->flat_count();
  return n;
}

// The layout of tuple<types...> without building the type.
struct TupleLayout {
  uint32_t alignment = 1;
  uint64_t size = 0;
  std::vector<uint32_t> offsets;
};
TupleLayout tuple_layout(std::span<const TypePtr> types) {
  TupleLayout l;
  for (const TypePtr& t : types) {
    l.size = align_to(l.size, t->alignment());
    l.offsets.push_back(static_cast<uint32_t>(l.size));
    l.size += t->size();
    l.alignment = std::max(l.alignment, t->alignment());
  }
  l.size = align_to(l.size, l.alignment);
  return l;
}

Status check_tuple_ptr(const Context& cx, uint32_t ptr, const TupleLayout& l) {
  if (!aligned(ptr, l.alignment))
    return trap("spilled values pointer {:#x} not aligned to {}", ptr, l.alignment);
  return check_range(cx, "spilled values", ptr, l.size);
}

Status check_flat_stored(const Type& t) {
  if (!t.flat_stored())
    return trap("{} flattens to {} core values, too many to pass flat", t.to_string(),
                t.flat_count());
  return {};
}

}  // namespace

// ---- public ----------------------------------------------------------------------------------

Result<uint32_t> WasmRealloc::realloc(uint32_t old_ptr, uint32_t old_size, uint32_t alignment,
                                      uint32_t new_size) {
  uint32_t ptr = 0;
  LEPTON_CHECK(engine::call_i32(context_, realloc_, {old_ptr, old_size, alignment, new_size},
                                std::span(&ptr, 1)));
  return ptr;
}

std::span<uint8_t> WasmRealloc::memory() {
  return {wasmtime_memory_data(context_, &memory_), wasmtime_memory_data_size(context_, &memory_)};
}

std::span<uint8_t> memory_span(const engine::GuestMemory& memory) {
  return memory.slice(0, memory.size()).value_or(std::span<uint8_t>());
}

Result<uint32_t> Context::reallocate(uint32_t old_ptr, uint32_t old_size, uint32_t alignment,
                                     uint32_t new_size) {
  if (realloc == nullptr) return trap("lowering into guest memory needs a realloc function");
  auto ptr = realloc->realloc(old_ptr, old_size, alignment, new_size);
  memory = realloc->memory();
  if (!ptr.ok()) return std::move(ptr).error().context("canonical ABI: realloc");
  if (!aligned(*ptr, alignment))
    return trap("realloc returned pointer {:#x} not aligned to {}", *ptr, alignment);
  LEPTON_CHECK(check_range(*this, "realloc result", *ptr, new_size));
  return *ptr;
}

std::optional<std::span<const CoreType>> flatten_type(const Type& t) {
  if (!t.flat_stored()) return std::nullopt;
  return t.flat();
}

FlatSignature flatten_functype(const FunctionType& f, Direction direction) {
  FlatSignature sig;
  if (flat_total(f.params) > kMaxFlatParams) {
    sig.params = {CoreType::kI32};
    sig.params_indirect = true;
  } else {
    for (const TypePtr& t : f.params)
      sig.params.insert(sig.params.end(), t->flat().begin(), t->flat().end());
  }
  if (flat_total(f.results) > kMaxFlatResults) {
    sig.results_indirect = true;
    if (direction == Direction::kLift) {
      sig.results = {CoreType::kI32};
    } else {
      sig.params.push_back(CoreType::kI32);
    }
  } else {
    for (const TypePtr& t : f.results)
      sig.results.insert(sig.results.end(), t->flat().begin(), t->flat().end());
  }
  return sig;
}

Result<Val> load(Context& cx, uint32_t ptr, const Type& t) {
  if (!aligned(ptr, t.alignment()))
    return trap("pointer {:#x} to {} not aligned to {}", ptr, kind_name(t.kind()), t.alignment());
  LEPTON_CHECK(check_range(cx, kind_name(t.kind()), ptr, t.size()));
  return load_at(cx, ptr, t);
}

Status store(Context& cx, const Val& v, uint32_t ptr, const Type& t) {
  if (!aligned(ptr, t.alignment()))
    return trap("pointer {:#x} to {} not aligned to {}", ptr, kind_name(t.kind()), t.alignment());
  LEPTON_CHECK(check_range(cx, kind_name(t.kind()), ptr, t.size()));
  return store_at(cx, v, ptr, t);
}

Result<const wasmtime_val_raw_t*> FlatReader::next() {
  if (pos_ >= values_.size()) return trap("too few core values ({})", values_.size());
  return &values_[pos_++];
}

Result<Val> lift_flat(Context& cx, FlatReader& in, const Type& t) {
  LEPTON_CHECK(check_flat_stored(t));
  return lift_flat_at(cx, in, t);
}

Status lower_flat(Context& cx, const Val& v, const Type& t, std::vector<wasmtime_val_raw_t>& out) {
  LEPTON_CHECK(check_flat_stored(t));
  return lower_flat_at(cx, v, t, out);
}

Result<std::vector<Val>> lift_flat_values(Context& cx, uint32_t max_flat, FlatReader& in,
                                          std::span<const TypePtr> types) {
  std::vector<Val> values;
  values.reserve(types.size());
  if (flat_total(types) > max_flat) {
    LEPTON_TRY(const wasmtime_val_raw_t* slot, in.next());
    auto ptr = static_cast<uint32_t>(slot->i32);
    TupleLayout l = tuple_layout(types);
    LEPTON_CHECK(check_tuple_ptr(cx, ptr, l));
    for (size_t i = 0; i < types.size(); ++i) {
      LEPTON_TRY(Val v, load_at(cx, ptr + l.offsets[i], *types[i]));
      values.push_back(std::move(v));
    }
    return values;
  }
  for (const TypePtr& t : types) {
    LEPTON_TRY(Val v, lift_flat_at(cx, in, *t));
    values.push_back(std::move(v));
  }
  return values;
}

Status lower_flat_values(Context& cx, uint32_t max_flat, std::span<const Val> values,
                         std::span<const TypePtr> types, std::vector<wasmtime_val_raw_t>& out,
                         std::optional<uint32_t> out_ptr) {
  if (values.size() != types.size())
    return trap("{} values for {} types", values.size(), types.size());
  if (flat_total(types) > max_flat) {
    TupleLayout l = tuple_layout(types);
    if (l.size > std::numeric_limits<uint32_t>::max()) return trap("spilled values too large");
    uint32_t ptr;
    if (out_ptr) {
      ptr = *out_ptr;
    } else {
      LEPTON_TRY(ptr, cx.allocate(l.alignment, static_cast<uint32_t>(l.size)));
      push_i32(out, ptr);
    }
    LEPTON_CHECK(check_tuple_ptr(cx, ptr, l));
    for (size_t i = 0; i < types.size(); ++i)
      LEPTON_CHECK(store_at(cx, values[i], ptr + l.offsets[i], *types[i]));
    return {};
  }
  for (size_t i = 0; i < types.size(); ++i)
    LEPTON_CHECK(lower_flat_at(cx, values[i], *types[i], out));
  return {};
}

bool is_valid_utf8(std::string_view s) { return utf8_valid_prefix(s) == s.size(); }

}  // namespace lepton::component
