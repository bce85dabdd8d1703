#include "postgres/codec.h"

#include <bit>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

namespace lepton::postgres {

using component::Val;

namespace {

// ---- big-endian helpers ----------------------------------------------------------------------

template <typename T>
void put(std::string& out, T v) {
  using U = std::make_unsigned_t<T>;
  U u = static_cast<U>(v);
  for (int i = sizeof(T) - 1; i >= 0; --i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  template <typename T>
  Result<T> get() {
    if (data_.size() < sizeof(T)) return fail("truncated value ({} bytes left)", data_.size());
    using U = std::make_unsigned_t<T>;
    U u = 0;
    for (size_t i = 0; i < sizeof(T); ++i) u = static_cast<U>((u << 8) | uint8_t(data_[i]));
    data_.remove_prefix(sizeof(T));
    return static_cast<T>(u);
  }
  Result<std::string_view> bytes(size_t n) {
    if (data_.size() < n)
      return fail("truncated value ({} bytes left, {} needed)", data_.size(), n);
    auto out = data_.substr(0, n);
    data_.remove_prefix(n);
    return out;
  }
  // A length-prefixed element; nullopt for -1 (NULL).
  Result<std::optional<std::string_view>> element() {
    LEPTON_TRY(int32_t len, get<int32_t>());
    if (len < 0) return std::optional<std::string_view>{};
    LEPTON_TRY(auto b, bytes(static_cast<size_t>(len)));
    return std::optional<std::string_view>(b);
  }
  bool empty() const { return data_.empty(); }

 private:
  std::string_view data_;
};

// ---- dates and times (PostgreSQL counts from 2000-01-01) -------------------------------------

constexpr int64_t kPgEpochDays = 10957;  // 1970-01-01 -> 2000-01-01
constexpr int64_t kMicrosPerDay = 86400LL * 1000000;

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian, year 0 = 1 BC).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}
bool valid_date(int64_t y, unsigned m, unsigned d) {
  if (m < 1 || m > 12 || d < 1) return false;
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}
int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

Val date_val(int64_t pg_days) {
  int64_t y;
  unsigned m, d;
  civil_from_days(pg_days + kPgEpochDays, y, m, d);
  return Val::tuple({Val::s32(static_cast<int32_t>(y)), Val::u8(static_cast<uint8_t>(m)),
                     Val::u8(static_cast<uint8_t>(d))});
}
std::vector<Val> time_fields(int64_t micros) {
  return {Val::u8(static_cast<uint8_t>(micros / 3600000000LL)),
          Val::u8(static_cast<uint8_t>(micros / 60000000LL % 60)),
          Val::u8(static_cast<uint8_t>(micros / 1000000 % 60)),
          Val::u32(static_cast<uint32_t>(micros % 1000000 * 1000))};
}

Result<int64_t> pg_days_of(const Val& tuple_val, size_t first) {
  auto f = tuple_val.items();
  int64_t y = f[first].as_int();
  auto m = static_cast<unsigned>(f[first + 1].as_uint());
  auto d = static_cast<unsigned>(f[first + 2].as_uint());
  if (!valid_date(y, m, d)) return fail("invalid date y={}, m={}, d={}", y, m, d);
  return days_from_civil(y, m, d) - kPgEpochDays;
}
Result<int64_t> micros_of_time(const Val& tuple_val, size_t first) {
  auto f = tuple_val.items();
  uint64_t h = f[first].as_uint(), mi = f[first + 1].as_uint(), s = f[first + 2].as_uint(),
           ns = f[first + 3].as_uint();
  if (h > 23 || mi > 59 || s > 59 || ns > 999999999)
    return fail("invalid time {}:{}:{}:{}", h, mi, s, ns);
  return static_cast<int64_t>(((h * 60 + mi) * 60 + s) * 1000000 + ns / 1000);
}

// ---- uuid ---------------------------------------------------------------------------------------

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Accepts the forms Rust's uuid::Uuid::parse_str does: hyphenated, 32 hex digits, {braced},
// urn:uuid:.
Result<std::string> parse_uuid(std::string_view text) {
  std::string_view s = text;
  if (s.starts_with("urn:uuid:")) s.remove_prefix(9);
  if (s.size() == 38 && s.front() == '{' && s.back() == '}') s = s.substr(1, 36);
  std::string digits;
  if (s.size() == 36) {
    for (size_t i = 0; i < s.size(); ++i) {
      bool dash = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash != (s[i] == '-')) return fail("invalid UUID {}", text);
      if (!dash) digits.push_back(s[i]);
    }
  } else if (s.size() == 32) {
    digits = s;
  } else {
    return fail("invalid UUID {}", text);
  }
  std::string out;
  for (size_t i = 0; i < 32; i += 2) {
    int hi = hex(digits[i]), lo = hex(digits[i + 1]);
    if (hi < 0 || lo < 0) return fail("invalid UUID {}", text);
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string format_uuid(std::string_view b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[uint8_t(b[i]) >> 4]);
    out.push_back(kHex[uint8_t(b[i]) & 15]);
  }
  return out;
}

// ---- ranges and arrays --------------------------------------------------------------------------

constexpr uint8_t kRangeEmpty = 0x01, kRangeLbInc = 0x02, kRangeUbInc = 0x04, kRangeLbInf = 0x08,
                  kRangeUbInf = 0x10;

using ElementEncoder = Result<std::string> (*)(const Val&);
using ElementDecoder = Result<Val> (*)(std::string_view);

Result<std::string> encode_i32(const Val& v) {
  std::string o;
  put<int32_t>(o, static_cast<int32_t>(v.as_int()));
  return o;
}
Result<std::string> encode_i64(const Val& v) {
  std::string o;
  put<int64_t>(o, v.as_int());
  return o;
}
Result<std::string> encode_dec(const Val& v) { return encode_numeric(v.as_string()); }
Result<std::string> encode_str(const Val& v) { return v.as_string(); }

Result<Val> decode_i32(std::string_view d) {
  Reader r(d);
  LEPTON_TRY(int32_t v, r.get<int32_t>());
  return Val::s32(v);
}
Result<Val> decode_i64(std::string_view d) {
  Reader r(d);
  LEPTON_TRY(int64_t v, r.get<int64_t>());
  return Val::s64(v);
}
Result<Val> decode_dec(std::string_view d) {
  LEPTON_TRY(std::string s, decode_numeric(d));
  return Val::string(std::move(s));
}
Result<Val> decode_str(std::string_view d) { return Val::string(std::string(d)); }

// tuple<option<tuple<T, range-bound-kind>>, option<tuple<T, range-bound-kind>>>
Result<std::string> encode_range(const Val& v, ElementEncoder enc) {
  auto bounds = v.items();
  uint8_t flags = 0;
  std::string body;
  for (int i = 0; i < 2; ++i) {
    const Val& b = bounds[i];
    if (b.case_index() == 0) {
      flags |= i == 0 ? kRangeLbInf : kRangeUbInf;
      continue;
    }
    auto pair = b.payload()->items();
    if (pair[1].case_index() == 0) flags |= i == 0 ? kRangeLbInc : kRangeUbInc;
    LEPTON_TRY(std::string e, enc(pair[0]));
    put<int32_t>(body, static_cast<int32_t>(e.size()));
    body += e;
  }
  return std::string(1, static_cast<char>(flags)) + body;
}

Result<Val> decode_range(std::string_view data, ElementDecoder dec) {
  Reader r(data);
  LEPTON_TRY(uint8_t flags, r.get<uint8_t>());
  std::vector<Val> bounds;
  for (int i = 0; i < 2; ++i) {
    bool inf = (flags & kRangeEmpty) || (flags & (i == 0 ? kRangeLbInf : kRangeUbInf));
    if (inf) {
      bounds.push_back(Val::none());
      continue;
    }
    LEPTON_TRY(auto e, r.element());
    if (!e) return fail("range bound is NULL");
    LEPTON_TRY(Val value, dec(*e));
    uint32_t kind = (flags & (i == 0 ? kRangeLbInc : kRangeUbInc)) ? 0 : 1;
    bounds.push_back(Val::some(Val::tuple({std::move(value), Val::enum_(kind)})));
  }
  return Val::tuple(std::move(bounds));
}

// list<option<T>> as a one-dimensional array (lower bound 1); empty: zero dimensions.
Result<std::string> encode_array(const Val& v, uint32_t elem_oid, ElementEncoder enc) {
  auto items = v.items();
  std::string body;
  int32_t has_null = 0;
  for (const Val& item : items) {
    if (item.case_index() == 0) {
      has_null = 1;
      put<int32_t>(body, -1);
      continue;
    }
    LEPTON_TRY(std::string e, enc(*item.payload()));
    put<int32_t>(body, static_cast<int32_t>(e.size()));
    body += e;
  }
  std::string out;
  put<int32_t>(out, items.empty() ? 0 : 1);
  put<int32_t>(out, has_null);
  put<uint32_t>(out, elem_oid);
  if (!items.empty()) {
    put<int32_t>(out, static_cast<int32_t>(items.size()));
    put<int32_t>(out, 1);
  }
  return out + body;
}

Result<Val> decode_array(std::string_view data, ElementDecoder dec) {
  Reader r(data);
  LEPTON_TRY(int32_t ndim, r.get<int32_t>());
  LEPTON_TRY(int32_t has_null, r.get<int32_t>());
  LEPTON_TRY(uint32_t elem, r.get<uint32_t>());
  (void)has_null;
  (void)elem;
  if (ndim > 1) return fail("array contains too many dimensions ({})", ndim);
  int32_t count = 0;
  if (ndim == 1) {
    LEPTON_TRY(count, r.get<int32_t>());
    LEPTON_TRY(int32_t lbound, r.get<int32_t>());
    (void)lbound;
  }
  std::vector<Val> items;
  for (int32_t i = 0; i < count; ++i) {
    LEPTON_TRY(auto e, r.element());
    if (!e) {
      items.push_back(Val::none());
      continue;
    }
    LEPTON_TRY(Val value, dec(*e));
    items.push_back(Val::some(std::move(value)));
  }
  return Val::list(std::move(items));
}

Param binary(uint32_t type, std::string data) { return Param{type, std::move(data)}; }

}  // namespace

// ---- numeric
// -------------------------------------------------------------------------------------

Result<std::string> encode_numeric(std::string_view text) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  size_t dot = s.find('.');
  std::string_view int_part = s.substr(0, dot);
  std::string_view frac_part = dot == std::string_view::npos ? "" : s.substr(dot + 1);
  auto all_digits = [](std::string_view p) {
    for (char c : p)
      if (c < '0' || c > '9') return false;
    return true;
  };
  if ((int_part.empty() && frac_part.empty()) || !all_digits(int_part) || !all_digits(frac_part))
    return fail("invalid decimal {}", text);
  std::string ip(int_part);
  ip.insert(0, (4 - ip.size() % 4) % 4, '0');
  std::string fp(frac_part);
  fp.append((4 - fp.size() % 4) % 4, '0');
  std::vector<int16_t> groups;
  for (size_t i = 0; i < ip.size(); i += 4)
    groups.push_back(static_cast<int16_t>(std::stoi(ip.substr(i, 4))));
  int weight = static_cast<int>(groups.size()) - 1;
  for (size_t i = 0; i < fp.size(); i += 4)
    groups.push_back(static_cast<int16_t>(std::stoi(fp.substr(i, 4))));
  size_t lead = 0;
  while (lead < groups.size() && groups[lead] == 0) ++lead;
  weight -= static_cast<int>(lead);
  groups.erase(groups.begin(), groups.begin() + static_cast<std::ptrdiff_t>(lead));
  while (!groups.empty() && groups.back() == 0) groups.pop_back();
  if (groups.empty()) {
    weight = 0;
    negative = false;
  }
  if (groups.size() > 0x7fff || frac_part.size() > 0x3fff) return fail("invalid decimal {}", text);
  std::string out;
  put<int16_t>(out, static_cast<int16_t>(groups.size()));
  put<int16_t>(out, static_cast<int16_t>(weight));
  put<uint16_t>(out, negative ? 0x4000 : 0x0000);
  put<int16_t>(out, static_cast<int16_t>(frac_part.size()));
  for (int16_t g : groups) put<int16_t>(out, g);
  return out;
}

Result<std::string> decode_numeric(std::string_view data) {
  Reader r(data);
  LEPTON_TRY(int16_t ndigits, r.get<int16_t>());
  LEPTON_TRY(int16_t weight, r.get<int16_t>());
  LEPTON_TRY(uint16_t sign, r.get<uint16_t>());
  LEPTON_TRY(int16_t dscale, r.get<int16_t>());
  if (sign == 0xC000) return std::string("NaN");
  if (sign == 0xD000) return std::string("Infinity");
  if (sign == 0xF000) return std::string("-Infinity");
  std::vector<int> digits;
  for (int i = 0; i < ndigits; ++i) {
    LEPTON_TRY(int16_t g, r.get<int16_t>());
    if (g < 0 || g > 9999) return fail("numeric digit {} out of range", g);
    digits.push_back(g);
  }
  auto digit = [&](int i) { return i >= 0 && i < ndigits ? digits[static_cast<size_t>(i)] : 0; };
  std::string out = sign == 0x4000 ? "-" : "";
  if (weight < 0) {
    out += "0";
  } else {
    out += std::to_string(digit(0));
    for (int i = 1; i <= weight; ++i) out += fmt::format("{:04d}", digit(i));
  }
  if (dscale > 0) {
    std::string frac;
    for (int i = weight + 1; static_cast<int>(frac.size()) < dscale; ++i)
      frac += fmt::format("{:04d}", digit(i));
    out += "." + frac.substr(0, static_cast<size_t>(dscale));
  }
  return out;
}

// ---- parameters
// -----------------------------------------------------------------------------------

Result<Param> encode_param(const Val& v) {
  const Val* p = v.payload();
  switch (v.case_index()) {
    case kBoolean:
      return binary(oid::kBool, std::string(1, p->as_bool() ? '\1' : '\0'));
    case kInt8:  // no one-byte integer in PostgreSQL: sent as smallint
    case kInt16: {
      std::string o;
      put<int16_t>(o, static_cast<int16_t>(p->as_int()));
      return binary(oid::kInt2, o);
    }
    case kInt32:
      return binary(oid::kInt4, *encode_i32(*p));
    case kInt64:
      return binary(oid::kInt8, *encode_i64(*p));
    case kFloating32: {
      std::string o;
      put<uint32_t>(o, std::bit_cast<uint32_t>(p->as_f32()));
      return binary(oid::kFloat4, o);
    }
    case kFloating64: {
      std::string o;
      put<uint64_t>(o, std::bit_cast<uint64_t>(p->as_f64()));
      return binary(oid::kFloat8, o);
    }
    case kStr:
      return binary(oid::kText, p->as_string());
    case kBinary:
      return binary(oid::kBytea, p->as_bytes());
    case kDate: {
      LEPTON_TRY(int64_t days, pg_days_of(*p, 0));
      std::string o;
      put<int32_t>(o, static_cast<int32_t>(days));
      return binary(oid::kDate, o);
    }
    case kTime: {
      LEPTON_TRY(int64_t micros, micros_of_time(*p, 0));
      std::string o;
      put<int64_t>(o, micros);
      return binary(oid::kTime, o);
    }
    case kDatetime: {
      LEPTON_TRY(int64_t days, pg_days_of(*p, 0));
      LEPTON_TRY(int64_t micros, micros_of_time(*p, 3));
      std::string o;
      put<int64_t>(o, days * kMicrosPerDay + micros);
      return binary(oid::kTimestamp, o);
    }
    case kTimestamp: {  // seconds since the Unix epoch, as timestamptz
      int64_t secs = p->as_int();
      constexpr int64_t kLimit = 9223372036854LL - kPgEpochDays * 86400;
      if (secs > kLimit || secs < -kLimit) return fail("invalid epoch timestamp {}", secs);
      std::string o;
      put<int64_t>(o, (secs - kPgEpochDays * 86400) * 1000000);
      return binary(oid::kTimestamptz, o);
    }
    case kUuid: {
      LEPTON_TRY(std::string b, parse_uuid(p->as_string()));
      return binary(oid::kUuid, b);
    }
    case kJsonb: {
      const std::string& text = p->as_bytes();
      if (!nlohmann::json::accept(text)) return fail("invalid JSON {}", text);
      return binary(oid::kJsonb, "\1" + text);
    }
    case kDecimal: {
      LEPTON_TRY(std::string b, encode_numeric(p->as_string()));
      return binary(oid::kNumeric, b);
    }
    case kRangeInt32: {
      LEPTON_TRY(std::string b, encode_range(*p, encode_i32));
      return binary(oid::kInt4Range, b);
    }
    case kRangeInt64: {
      LEPTON_TRY(std::string b, encode_range(*p, encode_i64));
      return binary(oid::kInt8Range, b);
    }
    case kRangeDecimal: {
      LEPTON_TRY(std::string b, encode_range(*p, encode_dec));
      return binary(oid::kNumRange, b);
    }
    case kArrayInt32: {
      LEPTON_TRY(std::string b, encode_array(*p, oid::kInt4, encode_i32));
      return binary(oid::kInt4Array, b);
    }
    case kArrayInt64: {
      LEPTON_TRY(std::string b, encode_array(*p, oid::kInt8, encode_i64));
      return binary(oid::kInt8Array, b);
    }
    case kArrayDecimal: {
      LEPTON_TRY(std::string b, encode_array(*p, oid::kNumeric, encode_dec));
      return binary(oid::kNumericArray, b);
    }
    case kArrayStr: {
      LEPTON_TRY(std::string b, encode_array(*p, oid::kText, encode_str));
      return binary(oid::kTextArray, b);
    }
    case kInterval: {
      auto f = p->items();
      std::string o;
      put<int64_t>(o, f[0].as_int());
      put<int32_t>(o, static_cast<int32_t>(f[1].as_int()));
      put<int32_t>(o, static_cast<int32_t>(f[2].as_int()));
      return binary(oid::kInterval, o);
    }
    case kDbNull:
      return Param{};
    default:
      return fail("unknown parameter-value case {}", v.case_index());
  }
}

// ---- columns
// --------------------------------------------------------------------------------------

Result<Val> decode_value(uint32_t type, std::string_view data) {
  auto wrap = [](uint32_t c, Result<Val> v) -> Result<Val> {
    if (!v) return std::move(v).error();
    return Val::variant(c, std::move(*v));
  };
  Reader r(data);
  switch (type) {
    case oid::kBool: {
      LEPTON_TRY(uint8_t b, r.get<uint8_t>());
      return Val::variant(kBoolean, Val::bool_(b != 0));
    }
    case oid::kBytea:
      return Val::variant(kBinary, Val::bytes(std::string(data)));
    case oid::kFloat4: {
      LEPTON_TRY(uint32_t bits, r.get<uint32_t>());
      return Val::variant(kFloating32, Val::f32(std::bit_cast<float>(bits)));
    }
    case oid::kFloat8: {
      LEPTON_TRY(uint64_t bits, r.get<uint64_t>());
      return Val::variant(kFloating64, Val::f64(std::bit_cast<double>(bits)));
    }
    case oid::kInt2: {
      LEPTON_TRY(int16_t v, r.get<int16_t>());
      return Val::variant(kInt16, Val::s16(v));
    }
    case oid::kInt4:
      return wrap(kInt32, decode_i32(data));
    case oid::kInt8:
      return wrap(kInt64, decode_i64(data));
    case oid::kText:
    case oid::kVarchar:
    case oid::kBpchar:
      return Val::variant(kStr, Val::string(std::string(data)));
    case oid::kTimestamp:
    case oid::kTimestamptz: {
      LEPTON_TRY(int64_t micros, r.get<int64_t>());
      if (micros == INT64_MAX || micros == INT64_MIN)
        return fail("cannot convert an infinite timestamp");
      int64_t days = floor_div(micros, kMicrosPerDay);
      Val date = date_val(days);
      std::vector<Val> fields(date.items().begin(), date.items().end());
      for (Val& f : time_fields(micros - days * kMicrosPerDay)) fields.push_back(std::move(f));
      return Val::variant(kDatetime, Val::tuple(std::move(fields)));
    }
    case oid::kDate: {
      LEPTON_TRY(int32_t days, r.get<int32_t>());
      if (days == INT32_MAX || days == INT32_MIN) return fail("cannot convert an infinite date");
      return Val::variant(kDate, date_val(days));
    }
    case oid::kTime: {
      LEPTON_TRY(int64_t micros, r.get<int64_t>());
      if (micros < 0 || micros >= kMicrosPerDay) return fail("time {} out of range", micros);
      return Val::variant(kTime, Val::tuple(time_fields(micros)));
    }
    case oid::kUuid: {
      LEPTON_TRY(auto b, r.bytes(16));
      return Val::variant(kUuid, Val::string(format_uuid(b)));
    }
    case oid::kJsonb: {
      LEPTON_TRY(uint8_t version, r.get<uint8_t>());
      if (version != 1) return fail("unsupported jsonb version {}", version);
      return Val::variant(kJsonb, Val::bytes(std::string(data.substr(1))));
    }
    case oid::kNumeric:
      return wrap(kDecimal, decode_dec(data));
    case oid::kInt4Range:
      return wrap(kRangeInt32, decode_range(data, decode_i32));
    case oid::kInt8Range:
      return wrap(kRangeInt64, decode_range(data, decode_i64));
    case oid::kNumRange:
      return wrap(kRangeDecimal, decode_range(data, decode_dec));
    case oid::kInt4Array:
      return wrap(kArrayInt32, decode_array(data, decode_i32));
    case oid::kInt8Array:
      return wrap(kArrayInt64, decode_array(data, decode_i64));
    case oid::kNumericArray:
      return wrap(kArrayDecimal, decode_array(data, decode_dec));
    case oid::kTextArray:
    case oid::kVarcharArray:
    case oid::kBpcharArray:
      return wrap(kArrayStr, decode_array(data, decode_str));
    case oid::kInterval: {
      LEPTON_TRY(int64_t micros, r.get<int64_t>());
      LEPTON_TRY(int32_t days, r.get<int32_t>());
      LEPTON_TRY(int32_t months, r.get<int32_t>());
      return Val::variant(kInterval,
                          Val::record({Val::s64(micros), Val::s32(days), Val::s32(months)}));
    }
    default:
      return Val::variant(kUnsupported, Val::bytes(std::string(data)));
  }
}

namespace {
struct TypeCase {
  uint32_t oid;
  uint32_t c;
};
constexpr TypeCase kTypeCases[] = {
    {oid::kBool, kBoolean},
    {oid::kBytea, kBinary},
    {oid::kFloat4, kFloating32},
    {oid::kFloat8, kFloating64},
    {oid::kInt2, kInt16},
    {oid::kInt4, kInt32},
    {oid::kInt8, kInt64},
    {oid::kText, kStr},
    {oid::kVarchar, kStr},
    {oid::kBpchar, kStr},
    {oid::kTimestamp, kDatetime},
    {oid::kTimestamptz, kDatetime},
    {oid::kDate, kDate},
    {oid::kTime, kTime},
    {oid::kUuid, kUuid},
    {oid::kJsonb, kJsonb},
    {oid::kNumeric, kDecimal},
    {oid::kInt4Range, kRangeInt32},
    {oid::kInt8Range, kRangeInt64},
    {oid::kNumRange, kRangeDecimal},
    {oid::kInt4Array, kArrayInt32},
    {oid::kInt8Array, kArrayInt64},
    {oid::kNumericArray, kArrayDecimal},
    {oid::kTextArray, kArrayStr},
    {oid::kVarcharArray, kArrayStr},
    {oid::kBpcharArray, kArrayStr},
    {oid::kInterval, kInterval},
};
}  // namespace

bool is_mapped_type(uint32_t type) {
  for (const auto& tc : kTypeCases)
    if (tc.oid == type) return true;
  return false;
}

Val data_type(uint32_t type, std::string_view type_name) {
  for (const auto& tc : kTypeCases)
    if (tc.oid == type) return Val::variant(tc.c);
  return Val::variant(kOther, Val::string(std::string(type_name)));
}

}  // namespace lepton::postgres
