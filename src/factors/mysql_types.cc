#include "factors/mysql_types.h"

namespace lepton::factors::mysql_types {

using component::Val;
namespace ty = component::ty;

const Types& types() {
  static const Types t = [] {
    Types t;
    t.error = ty::variant({{"connection-failed", ty::string()},
                           {"bad-parameter", ty::string()},
                           {"query-failed", ty::string()},
                           {"value-conversion-failed", ty::string()},
                           {"other", ty::string()}});
    t.data_type =
        ty::enum_({"boolean", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                   "uint64", "floating32", "floating64", "str", "binary", "other"});
    t.db_value = ty::variant({{"boolean", ty::bool_()},
                              {"int8", ty::s8()},
                              {"int16", ty::s16()},
                              {"int32", ty::s32()},
                              {"int64", ty::s64()},
                              {"uint8", ty::u8()},
                              {"uint16", ty::u16()},
                              {"uint32", ty::u32()},
                              {"uint64", ty::u64()},
                              {"floating32", ty::f32()},
                              {"floating64", ty::f64()},
                              {"str", ty::string()},
                              {"binary", ty::list(ty::u8())},
                              {"db-null", nullptr},
                              {"unsupported", nullptr}});
    t.parameter_value = ty::variant({{"boolean", ty::bool_()},
                                     {"int8", ty::s8()},
                                     {"int16", ty::s16()},
                                     {"int32", ty::s32()},
                                     {"int64", ty::s64()},
                                     {"uint8", ty::u8()},
                                     {"uint16", ty::u16()},
                                     {"uint32", ty::u32()},
                                     {"uint64", ty::u64()},
                                     {"floating32", ty::f32()},
                                     {"floating64", ty::f64()},
                                     {"str", ty::string()},
                                     {"binary", ty::list(ty::u8())},
                                     {"db-null", nullptr}});
    t.column = ty::record({{"name", ty::string()}, {"data-type", t.data_type}});
    t.row_set =
        ty::record({{"columns", ty::list(t.column)}, {"rows", ty::list(ty::list(t.db_value))}});
    return t;
  }();
  return t;
}

mysql::Value to_value(const Val& p) {
  const Val* v = p.payload();
  switch (p.case_index()) {
    case 0:
      return v->as_bool();
    case 1:
      return static_cast<int8_t>(v->as_int());
    case 2:
      return static_cast<int16_t>(v->as_int());
    case 3:
      return static_cast<int32_t>(v->as_int());
    case 4:
      return static_cast<int64_t>(v->as_int());
    case 5:
      return static_cast<uint8_t>(v->as_uint());
    case 6:
      return static_cast<uint16_t>(v->as_uint());
    case 7:
      return static_cast<uint32_t>(v->as_uint());
    case 8:
      return static_cast<uint64_t>(v->as_uint());
    case 9:
      return v->as_f32();
    case 10:
      return v->as_f64();
    case 11:
      return v->as_string();
    case 12:
      return mysql::Binary{v->as_bytes()};
    default:
      return mysql::Null{};
  }
}

std::vector<mysql::Value> to_values(const Val& list) {
  std::vector<mysql::Value> out;
  for (const Val& p : list.items()) out.push_back(to_value(p));
  return out;
}

Val db_value(const mysql::Value& v) {
  auto index = static_cast<uint32_t>(v.index());
  return std::visit(
      [&](const auto& x) -> Val {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, mysql::Null>) {
          return Val::variant(13);
        } else if constexpr (std::is_same_v<T, mysql::Binary>) {
          return Val::variant(index, Val::bytes(x.bytes));
        } else if constexpr (std::is_same_v<T, std::string>) {
          return Val::variant(index, Val::string(x));
        } else if constexpr (std::is_same_v<T, bool>) {
          return Val::variant(index, Val::bool_(x));
        } else if constexpr (std::is_same_v<T, float>) {
          return Val::variant(index, Val::f32(x));
        } else if constexpr (std::is_same_v<T, double>) {
          return Val::variant(index, Val::f64(x));
        } else if constexpr (std::is_same_v<T, int8_t>) {
          return Val::variant(index, Val::s8(x));
        } else if constexpr (std::is_same_v<T, int16_t>) {
          return Val::variant(index, Val::s16(x));
        } else if constexpr (std::is_same_v<T, int32_t>) {
          return Val::variant(index, Val::s32(x));
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return Val::variant(index, Val::s64(x));
        } else if constexpr (std::is_same_v<T, uint8_t>) {
          return Val::variant(index, Val::u8(x));
        } else if constexpr (std::is_same_v<T, uint16_t>) {
          return Val::variant(index, Val::u16(x));
        } else if constexpr (std::is_same_v<T, uint32_t>) {
          return Val::variant(index, Val::u32(x));
        } else {
          return Val::variant(index, Val::u64(x));
        }
      },
      v);
}

Val row_set(const mysql::RowSet& rows) {
  std::vector<Val> columns;
  for (const auto& c : rows.columns)
    columns.push_back(
        Val::record({Val::string(c.name), Val::enum_(static_cast<uint32_t>(c.type))}));
  std::vector<Val> out_rows;
  for (const auto& r : rows.rows) {
    std::vector<Val> row;
    for (const auto& v : r) row.push_back(db_value(v));
    out_rows.push_back(Val::list(std::move(row)));
  }
  return Val::record({Val::list(std::move(columns)), Val::list(std::move(out_rows))});
}

Val error(const mysql::DbError& e) {
  return Val::variant(static_cast<uint32_t>(e.kind), Val::string(e.message));
}

}  // namespace lepton::factors::mysql_types
