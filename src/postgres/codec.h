// PostgreSQL binary wire format <-> the values of spin:postgres/postgres@4.0.0 (the richest of
// Spin's PostgreSQL interfaces; the older ones are converted from and to it in
// factors/spin_postgres.cc). Parameters are sent, and columns read, in PostgreSQL's binary format,
// so no DateStyle, IntervalStyle or float formatting setting of the server changes a value.
//
// Values are component::Val shaped as the 4.0.0 WIT types: parameter-value and db-value share
// their case indices (db-value adds `unsupported`), dates/times are tuples, ranges are
// tuple<option<tuple<T, range-bound-kind>>, option<...>>, interval is a record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "component/values.h"

namespace lepton::postgres {

// PostgreSQL type OIDs (pg_type.dat) that Spin maps.
namespace oid {
constexpr uint32_t kBool = 16, kBytea = 17, kChar = 18, kInt8 = 20, kInt2 = 21, kInt4 = 23,
                   kText = 25, kFloat4 = 700, kFloat8 = 701, kBpchar = 1042, kVarchar = 1043,
                   kDate = 1082, kTime = 1083, kTimestamp = 1114, kTimestamptz = 1184,
                   kInterval = 1186, kNumeric = 1700, kUuid = 2950, kJsonb = 3802,
                   kInt4Range = 3904, kNumRange = 3906, kInt8Range = 3926, kInt4Array = 1007,
                   kInt8Array = 1016, kTextArray = 1009, kBpcharArray = 1014, kVarcharArray = 1015,
                   kNumericArray = 1231;
}  // namespace oid

// Case indices of the 4.0.0 db-value / parameter-value / db-data-type variants.
enum Case : uint32_t {
  kBoolean = 0,
  kInt8 = 1,
  kInt16 = 2,
  kInt32 = 3,
  kInt64 = 4,
  kFloating32 = 5,
  kFloating64 = 6,
  kStr = 7,
  kBinary = 8,
  kDate = 9,
  kTime = 10,
  kDatetime = 11,
  kTimestamp = 12,
  kUuid = 13,
  kJsonb = 14,
  kDecimal = 15,
  kRangeInt32 = 16,
  kRangeInt64 = 17,
  kRangeDecimal = 18,
  kArrayInt32 = 19,
  kArrayInt64 = 20,
  kArrayDecimal = 21,
  kArrayStr = 22,
  kInterval = 23,
  kDbNull = 24,       // db-value, parameter-value
  kUnsupported = 25,  // db-value only
  kOther = 24,        // db-data-type: other(string)
};

// One parameter as libpq sends it: its type OID (0 lets the server infer it, for db-null) and
// its binary value (nullopt: SQL NULL).
struct Param {
  uint32_t oid = 0;
  std::optional<std::string> value;
};

// A parameter-value to its binary form; an Error is the bad-parameter message ("invalid date
// y=2023, m=2, d=30", "invalid UUID x", "invalid decimal x", "invalid JSON x").
Result<Param> encode_param(const component::Val& value);

// A non-NULL column value of type `oid` in binary format to a db-value; types Spin does not map
// become unsupported(raw bytes). An Error means malformed or out-of-range data.
Result<component::Val> decode_value(uint32_t oid, std::string_view data);

// The db-data-type of a column of type `oid`; `type_name` is used for other(name).
component::Val data_type(uint32_t oid, std::string_view type_name);
// Whether data_type(oid) is a case other than other(name) (no type name lookup needed).
bool is_mapped_type(uint32_t oid);

// Decimal text ("-12.340") <-> PostgreSQL's binary numeric; exposed for tests.
Result<std::string> encode_numeric(std::string_view decimal);
Result<std::string> decode_numeric(std::string_view data);

}  // namespace lepton::postgres
