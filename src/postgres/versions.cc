#include "postgres/versions.h"

#include "postgres/codec.h"

namespace lepton::postgres {

using component::Val;

// A parameter-value of `v` as 4.0.0; 2.0.0's unsigned cases have no PostgreSQL equivalent.
std::optional<Val> param_to_v4(Version v, const Val& p) {
  uint32_t c = p.case_index();
  auto with = [&](uint32_t to) {
    return p.payload() ? Val::variant(to, *p.payload()) : Val::variant(to);
  };
  if (v == Version::k4) return p;
  if (v == Version::k3) return with(c == 13 ? kDbNull : c);
  // fermyon:spin/rdbms-types@2.0.0: boolean, int8..int64, uint8..uint64, floating32/64, str,
  // binary, db-null
  if (c <= 4) return with(c);
  if (c <= 8) return std::nullopt;
  if (c <= 12) return with(c - 4);
  return Val::variant(kDbNull);
}

Val value_from_v4(Version v, const Val& d) {
  uint32_t c = d.case_index();
  if (v == Version::k4) return d;
  auto with = [&](uint32_t to) {
    return d.payload() ? Val::variant(to, *d.payload()) : Val::variant(to);
  };
  if (v == Version::k3) {  // 0..12 as 4.0.0, db-null 13, unsupported 14
    if (c <= kTimestamp) return with(c);
    return Val::variant(c == kDbNull ? 13 : 14);
  }
  // 2.0.0: int8..int64 0..4, floating32 9, floating64 10, str 11, binary 12, db-null 13,
  // unsupported 14
  if (c <= kInt64) return with(c);
  if (c >= kFloating32 && c <= kBinary) return with(c + 4);
  return Val::variant(c == kDbNull ? 13 : 14);
}

Val data_type_from_v4(Version v, const Val& t) {
  uint32_t c = t.case_index();
  if (v == Version::k4) return t;
  if (v == Version::k3) return Val::enum_(c <= kTimestamp ? c : 13);
  if (c <= kInt64) return Val::enum_(c);
  if (c >= kFloating32 && c <= kBinary) return Val::enum_(c + 4);
  return Val::enum_(13);
}

Val row_set_from_v4(Version v, const Val& rs) {
  if (v == Version::k4) return rs;
  std::vector<Val> columns, rows;
  for (const Val& col : rs.items()[0].items())
    columns.push_back(Val::record({col.items()[0], data_type_from_v4(v, col.items()[1])}));
  for (const Val& row : rs.items()[1].items()) {
    std::vector<Val> values;
    for (const Val& d : row.items()) values.push_back(value_from_v4(v, d));
    rows.push_back(Val::list(std::move(values)));
  }
  return Val::record({Val::list(std::move(columns)), Val::list(std::move(rows))});
}

}  // namespace lepton::postgres
