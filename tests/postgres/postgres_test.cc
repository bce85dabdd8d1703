// The PostgreSQL client and value conversion (src/postgres) against a real server
// (tests/support/postgres_server.h): every spin:postgres@4.0.0 type goes in as a parameter and
// comes back as a column, plus server-side values, errors and the allowed-hosts check.
#include <gtest/gtest.h>

#include <cmath>

#include "postgres/client.h"
#include "postgres/codec.h"
#include "support/postgres_server.h"

namespace lepton::postgres {
namespace {

using component::Val;

class PostgresTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    server_ = testing::PostgresServer::start(&why).release();
    if (server_ == nullptr) skip_ = why;
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    auto c = Connection::open(server_->url());
    ASSERT_TRUE(std::holds_alternative<std::unique_ptr<Connection>>(c))
        << std::get<Failure>(c).message;
    conn_ = std::move(std::get<0>(c));
  }

  // One-row, one-column query: the column's data type and value.
  std::pair<Val, Val> one(const std::string& sql, std::vector<Val> params = {}) {
    auto got = conn_->query(sql, params);
    if (auto* f = std::get_if<Failure>(&got)) {
      ADD_FAILURE() << sql << ": " << f->message;
      return {};
    }
    const Val& rs = std::get<Val>(got);
    EXPECT_EQ(rs.items()[0].items().size(), 1u);
    EXPECT_EQ(rs.items()[1].items().size(), 1u);
    if (rs.items()[1].items().size() != 1) return {};
    return {rs.items()[0].items()[0].items()[1], rs.items()[1].items()[0].items()[0]};
  }

  Failure failure_of(const std::string& sql, std::vector<Val> params = {}) {
    auto got = conn_->query(sql, params);
    EXPECT_TRUE(std::holds_alternative<Failure>(got)) << sql;
    return std::holds_alternative<Failure>(got) ? std::get<Failure>(got) : Failure{};
  }

  static inline testing::PostgresServer* server_ = nullptr;
  static inline std::string skip_;
  std::unique_ptr<Connection> conn_;
};

Val v(uint32_t c, Val payload) { return Val::variant(c, std::move(payload)); }
Val bound(Val x, uint32_t kind) { return Val::some(Val::tuple({std::move(x), Val::enum_(kind)})); }

struct Case {
  const char* sql_type;
  Val param;
  uint32_t data_type;
};

std::vector<Case> round_trip_cases() {
  return {
      {"boolean", v(kBoolean, Val::bool_(true)), kBoolean},
      {"smallint", v(kInt16, Val::s16(-32768)), kInt16},
      {"integer", v(kInt32, Val::s32(2147483647)), kInt32},
      {"bigint", v(kInt64, Val::s64(-9223372036854775807LL)), kInt64},
      {"real", v(kFloating32, Val::f32(3.25f)), kFloating32},
      {"double precision", v(kFloating64, Val::f64(-1.0e300)), kFloating64},
      {"text", v(kStr, Val::string("héllo 'quoted' \"x\"")), kStr},
      {"bytea", v(kBinary, Val::bytes(std::string("\0\1\xff binary", 10))), kBinary},
      {"date", v(kDate, Val::tuple({Val::s32(2024), Val::u8(2), Val::u8(29)})), kDate},
      {"date", v(kDate, Val::tuple({Val::s32(1969), Val::u8(12), Val::u8(31)})), kDate},
      {"time", v(kTime, Val::tuple({Val::u8(23), Val::u8(59), Val::u8(58), Val::u32(123456000)})),
       kTime},
      {"timestamp",
       v(kDatetime, Val::tuple({Val::s32(1999), Val::u8(12), Val::u8(31), Val::u8(23), Val::u8(59),
                                Val::u8(59), Val::u32(999999000)})),
       kDatetime},
      {"timestamp",
       v(kDatetime, Val::tuple({Val::s32(1960), Val::u8(1), Val::u8(2), Val::u8(3), Val::u8(4),
                                Val::u8(5), Val::u32(6000)})),
       kDatetime},
      {"uuid", v(kUuid, Val::string("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")), kUuid},
      {"jsonb", v(kJsonb, Val::bytes(R"({"a": [1, 2, {"b": null}]})")), kJsonb},
      {"numeric", v(kDecimal, Val::string("-12345678901234567890.000123")), kDecimal},
      {"numeric", v(kDecimal, Val::string("0.0500")), kDecimal},
      {"numeric", v(kDecimal, Val::string("10000")), kDecimal},
      {"int4range", v(kRangeInt32, Val::tuple({bound(Val::s32(-5), 0), bound(Val::s32(10), 1)})),
       kRangeInt32},
      {"int4range", v(kRangeInt32, Val::tuple({Val::none(), bound(Val::s32(10), 1)})), kRangeInt32},
      {"int8range", v(kRangeInt64, Val::tuple({bound(Val::s64(1LL << 40), 0), Val::none()})),
       kRangeInt64},
      {"numrange",
       v(kRangeDecimal, Val::tuple({bound(Val::string("1.5"), 1), bound(Val::string("2.25"), 0)})),
       kRangeDecimal},
      {"integer[]",
       v(kArrayInt32, Val::list({Val::some(Val::s32(1)), Val::none(), Val::some(Val::s32(-3))})),
       kArrayInt32},
      {"bigint[]", v(kArrayInt64, Val::list({Val::some(Val::s64(1LL << 50))})), kArrayInt64},
      {"integer[]", v(kArrayInt32, Val::list({})), kArrayInt32},
      {"numeric[]", v(kArrayDecimal, Val::list({Val::some(Val::string("3.14")), Val::none()})),
       kArrayDecimal},
      {"text[]",
       v(kArrayStr,
         Val::list({Val::some(Val::string("a,b")), Val::none(), Val::some(Val::string(""))})),
       kArrayStr},
      {"interval", v(kInterval, Val::record({Val::s64(3723000004), Val::s32(-2), Val::s32(14)})),
       kInterval},
  };
}

TEST_F(PostgresTest, EveryTypeRoundTripsThroughAParameter) {
  for (const Case& c : round_trip_cases()) {
    SCOPED_TRACE(std::string(c.sql_type) + " " + c.param.to_string());
    auto [type, value] = one(std::string("SELECT $1::") + c.sql_type, {c.param});
    EXPECT_EQ(type, Val::variant(c.data_type));
    EXPECT_EQ(value, c.param);
  }
}

TEST_F(PostgresTest, EveryTypeRoundTripsThroughATableColumn) {
  auto cases = round_trip_cases();
  std::string create = "CREATE TEMP TABLE every_type (";
  for (size_t i = 0; i < cases.size(); ++i)
    create += (i ? ", c" : "c") + std::to_string(i) + " " + cases[i].sql_type;
  create += ")";
  ASSERT_TRUE(std::holds_alternative<uint64_t>(conn_->execute(create, {})));
  std::string insert = "INSERT INTO every_type VALUES (";
  std::vector<Val> params;
  for (size_t i = 0; i < cases.size(); ++i) {
    insert += (i ? ", $" : "$") + std::to_string(i + 1);
    params.push_back(cases[i].param);
  }
  insert += ")";
  auto inserted = conn_->execute(insert, params);
  ASSERT_TRUE(std::holds_alternative<uint64_t>(inserted)) << std::get<Failure>(inserted).message;
  EXPECT_EQ(std::get<uint64_t>(inserted), 1u);
  // and one row of NULLs
  std::vector<Val> nulls(cases.size(), Val::variant(kDbNull));
  ASSERT_TRUE(std::holds_alternative<uint64_t>(conn_->execute(insert, nulls)));

  auto got = conn_->query("SELECT * FROM every_type ORDER BY c0 NULLS LAST", {});
  ASSERT_TRUE(std::holds_alternative<Val>(got)) << std::get<Failure>(got).message;
  const Val& rs = std::get<Val>(got);
  ASSERT_EQ(rs.items()[1].items().size(), 2u);
  auto columns = rs.items()[0].items();
  auto row = rs.items()[1].items()[0].items();
  auto null_row = rs.items()[1].items()[1].items();
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].sql_type);
    EXPECT_EQ(columns[i].items()[0].as_string(), "c" + std::to_string(i));
    EXPECT_EQ(columns[i].items()[1], Val::variant(cases[i].data_type));
    EXPECT_EQ(row[i], cases[i].param);
    EXPECT_EQ(null_row[i], Val::variant(kDbNull));
  }
}

TEST_F(PostgresTest, ServerValuesConvertAsSpinDoes) {
  EXPECT_EQ(one("SELECT 'x'::varchar(3)").second, v(kStr, Val::string("x")));
  EXPECT_EQ(one("SELECT 'ab'::char(3)").second, v(kStr, Val::string("ab ")));
  EXPECT_EQ(one("SELECT DATE '0001-01-01' - 1").second,  // 1 BC = year 0
            v(kDate, Val::tuple({Val::s32(0), Val::u8(12), Val::u8(31)})));
  // timestamptz comes back as its UTC date-time
  ASSERT_EQ(server_->query("SET TIME ZONE 'UTC'"), "");
  EXPECT_EQ(one("SELECT TIMESTAMPTZ '2024-03-01 12:00:00+02'").second,
            v(kDatetime, Val::tuple({Val::s32(2024), Val::u8(3), Val::u8(1), Val::u8(10),
                                     Val::u8(0), Val::u8(0), Val::u32(0)})));
  EXPECT_EQ(one("SELECT 1.50::numeric(10,2)").second, v(kDecimal, Val::string("1.50")));
  EXPECT_EQ(one("SELECT 'NaN'::numeric").second, v(kDecimal, Val::string("NaN")));
  EXPECT_EQ(one("SELECT '[3,7)'::int4range").second,
            v(kRangeInt32, Val::tuple({bound(Val::s32(3), 0), bound(Val::s32(7), 1)})));
  // discrete ranges are normalised by the server: [1,5] is [1,6)
  EXPECT_EQ(
      one("SELECT $1", {v(kRangeInt32, Val::tuple({bound(Val::s32(1), 0), bound(Val::s32(5), 0)}))})
          .second,
      v(kRangeInt32, Val::tuple({bound(Val::s32(1), 0), bound(Val::s32(6), 1)})));
  EXPECT_EQ(one("SELECT 'empty'::int4range").second,
            v(kRangeInt32, Val::tuple({Val::none(), Val::none()})));
  EXPECT_EQ(one("SELECT INTERVAL '1 year 2 days 00:00:01.5'").second,
            v(kInterval, Val::record({Val::s64(1500000), Val::s32(2), Val::s32(12)})));
  EXPECT_EQ(one("SELECT '{\"k\": 1}'::jsonb").second, v(kJsonb, Val::bytes("{\"k\": 1}")));
  EXPECT_EQ(one("SELECT ARRAY['x','y']::varchar[]").second,
            v(kArrayStr, Val::list({Val::some(Val::string("x")), Val::some(Val::string("y"))})));
  // int8 parameters travel as smallint (PostgreSQL has no one-byte integer)
  EXPECT_EQ(one("SELECT $1", {v(kInt8, Val::s8(-7))}).second, v(kInt16, Val::s16(-7)));
  // a timestamp parameter is seconds since the Unix epoch, as timestamptz
  auto [ts_type, ts] = one("SELECT $1", {v(kTimestamp, Val::s64(86400 + 3723))});
  EXPECT_EQ(ts_type, Val::variant(kDatetime));
  EXPECT_EQ(ts, v(kDatetime, Val::tuple({Val::s32(1970), Val::u8(1), Val::u8(2), Val::u8(1),
                                         Val::u8(2), Val::u8(3), Val::u32(0)})));
  auto [nan_type, nan] = one("SELECT 'NaN'::float8");
  EXPECT_TRUE(std::isnan(nan.payload()->as_f64()));
}

TEST_F(PostgresTest, UnmappedTypesAreUnsupportedWithTheirTypeName) {
  auto [type, value] = one("SELECT '192.168.0.1'::inet");
  EXPECT_EQ(type, v(kOther, Val::string("inet")));
  EXPECT_EQ(value.case_index(), kUnsupported);
  EXPECT_FALSE(value.payload()->as_bytes().empty());  // the raw binary value
  EXPECT_EQ(one("SELECT '{\"a\":1}'::json").first, v(kOther, Val::string("json")));
  EXPECT_EQ(one("SELECT NULL::inet").second, Val::variant(kDbNull));
}

TEST_F(PostgresTest, BadParametersAreBadParameter) {
  auto bad = [&](Val p, std::string_view text) {
    Failure f = failure_of("SELECT $1", {std::move(p)});
    EXPECT_EQ(f.kind, Failure::Kind::kBadParameter) << f.message;
    EXPECT_NE(f.message.find(text), std::string::npos) << f.message;
  };
  bad(v(kDate, Val::tuple({Val::s32(2023), Val::u8(2), Val::u8(29)})), "invalid date");
  bad(v(kTime, Val::tuple({Val::u8(24), Val::u8(0), Val::u8(0), Val::u32(0)})), "invalid time");
  bad(v(kUuid, Val::string("not-a-uuid")), "invalid UUID not-a-uuid");
  bad(v(kDecimal, Val::string("1.2.3")), "invalid decimal 1.2.3");
  bad(v(kJsonb, Val::bytes("{nope")), "invalid JSON {nope");
}

TEST_F(PostgresTest, ServerErrorsAreStructuredQueryFailures) {
  Failure f = failure_of("SELECT * FROM no_such_table");
  EXPECT_EQ(f.kind, Failure::Kind::kQueryFailed);
  ASSERT_TRUE(f.db.has_value());
  EXPECT_EQ(f.db->code, "42P01");
  EXPECT_EQ(f.db->severity, "ERROR");
  EXPECT_EQ(f.db->message, "relation \"no_such_table\" does not exist");
  EXPECT_EQ(f.message, "db error: ERROR: relation \"no_such_table\" does not exist");
  // a type mismatch between a parameter and its use is the server's to report
  Failure g =
      failure_of("SELECT $1 + 1", {v(kUuid, Val::string("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))});
  EXPECT_EQ(g.kind, Failure::Kind::kQueryFailed);
}

TEST_F(PostgresTest, ExecuteCountsRows) {
  ASSERT_TRUE(std::holds_alternative<uint64_t>(
      conn_->execute("CREATE TEMP TABLE t (id int primary key, name text)", {})));
  auto n = conn_->execute("INSERT INTO t SELECT g, 'n' || g FROM generate_series(1, 5) g", {});
  EXPECT_EQ(std::get<uint64_t>(n), 5u);
  std::vector<Val> update{v(kStr, Val::string("z")), v(kInt32, Val::s32(3))};
  n = conn_->execute("UPDATE t SET name = $1 WHERE id > $2", update);
  EXPECT_EQ(std::get<uint64_t>(n), 2u);
  // a statement without rows queried: an empty row set
  auto q = conn_->query("DELETE FROM t WHERE id = 1", {});
  ASSERT_TRUE(std::holds_alternative<Val>(q));
  EXPECT_EQ(std::get<Val>(q).items()[1].items().size(), 0u);
}

TEST_F(PostgresTest, ConnectFailuresAreConnectionFailed) {
  auto c = Connection::open("postgres://postgres@127.0.0.1:" + std::to_string(server_->port()) +
                            "/no_such_db");
  ASSERT_TRUE(std::holds_alternative<Failure>(c));
  EXPECT_EQ(std::get<Failure>(c).kind, Failure::Kind::kConnectionFailed);
  EXPECT_NE(std::get<Failure>(c).message.find("no_such_db"), std::string::npos);
  // sslmode is libpq's: this server has no TLS, so requiring it fails
  auto tls = Connection::open(server_->url() + "?sslmode=require");
  ASSERT_TRUE(std::holds_alternative<Failure>(tls));
  EXPECT_NE(std::get<Failure>(tls).message.find("SSL"), std::string::npos)
      << std::get<Failure>(tls).message;
  auto refused = Connection::open(server_->url() + "?service=x");
  ASSERT_TRUE(std::holds_alternative<Failure>(refused));
  EXPECT_EQ(std::get<Failure>(refused).message,
            "invalid connection string: unknown option `service`");
}

TEST_F(PostgresTest, PooledConnectionsAreReusedWithTheirSessionReset) {
  auto pid_and_setting = [](Connection& c) {
    auto got =
        c.query("SELECT pg_backend_pid()::text || '/' || current_setting('application_name')", {});
    return std::get<Val>(got).items()[1].items()[0].items()[0].payload()->as_string();
  };
  auto first = Connection::pooled(server_->url() + "?application_name=pool");
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<Connection>>(first));
  auto c1 = std::move(std::get<0>(first));
  ASSERT_TRUE(
      std::holds_alternative<uint64_t>(c1->execute("SET application_name = 'changed'", {})));
  std::string before = pid_and_setting(*c1);
  EXPECT_TRUE(before.ends_with("/changed")) << before;
  Connection::release(server_->url() + "?application_name=pool", std::move(c1));

  auto again = Connection::pooled(server_->url() + "?application_name=pool");
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<Connection>>(again));
  auto c2 = std::move(std::get<0>(again));
  std::string after = pid_and_setting(*c2);
  // the same server process, its session settings back to the connection's defaults
  EXPECT_EQ(after.substr(0, after.find('/')), before.substr(0, before.find('/')));
  EXPECT_TRUE(after.ends_with("/pool")) << after;
  // a connection left inside a transaction is not pooled
  ASSERT_TRUE(std::holds_alternative<uint64_t>(c2->execute("BEGIN", {})));
  Connection::release(server_->url() + "?application_name=pool", std::move(c2));
  auto fresh = Connection::pooled(server_->url() + "?application_name=pool");
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<Connection>>(fresh));
  std::string third = pid_and_setting(*std::get<0>(fresh));
  EXPECT_NE(third.substr(0, third.find('/')), before.substr(0, before.find('/')));
}

TEST(PostgresAddress, OnlyGrantedHostsAndPorts) {
  auto allowed =
      app::AllowedHosts::parse({"postgres://db.example.com", "postgres://127.0.0.1:6543"});
  ASSERT_TRUE(allowed) << allowed.error().message;
  EXPECT_FALSE(check_address("postgres://u@db.example.com/x", &*allowed));
  EXPECT_FALSE(check_address("postgres://u@db.example.com:5432/x?sslmode=require", &*allowed));
  EXPECT_FALSE(check_address("host=127.0.0.1 port=6543 user=u", &*allowed));
  auto denied = check_address("postgres://u@db.example.com:5433/x", &*allowed);
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->kind, Failure::Kind::kConnectionFailed);
  EXPECT_EQ(denied->message, "address postgres://db.example.com:5433 is not permitted");
  EXPECT_EQ(check_address("postgres://u@other.example.com/x", &*allowed)->message,
            "address postgres://other.example.com is not permitted");
  // every host of a multi-host address must be granted
  EXPECT_TRUE(check_address("postgres://u@db.example.com,evil.example.com/x", &*allowed));
  EXPECT_EQ(check_address("host=/var/run/postgresql user=u", &*allowed)->message,
            "Unix sockets are not supported on WebAssembly");
  EXPECT_EQ(check_address("postgres://u@/x", &*allowed)->message,
            "both host and hostaddr are missing");
  EXPECT_TRUE(check_address("postgres://u@db.example.com/x", nullptr));
}

TEST(PostgresNumeric, EncodesAndDecodesDecimalText) {
  for (std::string s :
       {"0", "1", "-1", "9999", "10000", "0.0001", "123.4500", "-0.5", "100000000.00000001"}) {
    auto enc = encode_numeric(s);
    ASSERT_TRUE(enc) << s;
    auto dec = decode_numeric(*enc);
    ASSERT_TRUE(dec) << s;
    EXPECT_EQ(*dec, s);
  }
  EXPECT_EQ(*decode_numeric(*encode_numeric("+007.50")), "7.50");
  EXPECT_FALSE(encode_numeric(""));
  EXPECT_FALSE(encode_numeric("1e5"));
}

}  // namespace
}  // namespace lepton::postgres
