// The MySQL client (src/mysql) against a real MariaDB server (tests/support/mariadb_server.h):
// address parsing, parameters of every parameter-value type, result columns typed as Spin types
// them, errors with Spin's kinds.
#include "mysql/client.h"

#include <gtest/gtest.h>

#include "factors/mysql_types.h"
#include "support/mariadb_server.h"

namespace lepton::mysql {
namespace {

using testing::MariadbServer;

TEST(MysqlAddress, ParsesUserPasswordHostPortDatabase) {
  auto a = parse_address("mysql://us%40er:p%3Ass@db.example:3307/my%20db?ssl-mode=REQUIRED");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->user, "us@er");
  EXPECT_EQ(a->password, "p:ss");
  EXPECT_EQ(a->host, "db.example");
  EXPECT_EQ(a->port, 3307);
  EXPECT_EQ(a->database, "my db");
  EXPECT_TRUE(a->tls);
}

TEST(MysqlAddress, DefaultsAndIpv6) {
  auto a = parse_address("mysql://[::1]/db?sslmode=disabled");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 3306);
  EXPECT_TRUE(a->user.empty());
  EXPECT_FALSE(a->tls);
}

TEST(MysqlAddress, RejectsMalformed) {
  EXPECT_FALSE(parse_address("postgres://h/db"));
  EXPECT_FALSE(parse_address("mysql:///db"));
  EXPECT_FALSE(parse_address("mysql://h:99999/db"));
  EXPECT_FALSE(parse_address("mysql://h:12x/db"));
  EXPECT_FALSE(parse_address("mysql://u:%zz@h/db"));
}

class MysqlClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    server_ = MariadbServer::start(&why).release();
    if (server_ == nullptr) skip_ = why;
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    // Skip only where MariaDB isn't installed; a server that is there but won't start fails.
    if (server_ == nullptr && skip_.find("not found") != std::string::npos) GTEST_SKIP() << skip_;
    ASSERT_NE(server_, nullptr) << skip_;
    auto a = parse_address(server_->url());
    ASSERT_TRUE(a);
    auto c = Client::connect(*a);
    ASSERT_TRUE(std::holds_alternative<std::unique_ptr<Client>>(c)) << std::get<DbError>(c).message;
    client_ = std::move(std::get<std::unique_ptr<Client>>(c));
  }

  static MariadbServer* server_;
  static std::string skip_;
  std::unique_ptr<Client> client_;
};
MariadbServer* MysqlClientTest::server_ = nullptr;
std::string MysqlClientTest::skip_;

RowSet query_ok(Client& c, const std::string& sql, const std::vector<Value>& params = {}) {
  auto r = c.query(sql, params);
  if (auto* e = std::get_if<DbError>(&r)) {
    ADD_FAILURE() << sql << ": " << e->message;
    return {};
  }
  return std::get<RowSet>(r);
}

TEST_F(MysqlClientTest, EveryParameterTypeRoundTripsThroughATable) {
  ASSERT_EQ(server_->run("CREATE TABLE all_types (ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, "
                         "su SMALLINT UNSIGNED, mi MEDIUMINT, ii INT, iu INT UNSIGNED, bi BIGINT, "
                         "bu BIGINT UNSIGNED, f FLOAT, d DOUBLE, vc VARCHAR(50), tx TEXT, "
                         "vb VARBINARY(50), bl BLOB, ch CHAR(3), nl INT, bo BOOLEAN)"),
            "");
  std::vector<Value> params{int8_t{-128},
                            uint8_t{255},
                            int16_t{-32768},
                            uint16_t{65535},
                            int32_t{-8388608},
                            int32_t{-2147483647 - 1},
                            uint32_t{4294967295u},
                            int64_t{INT64_MIN},
                            uint64_t{UINT64_MAX},
                            1.5f,
                            -2.25,
                            std::string("héllo"),
                            std::string("text ✓"),
                            Binary{std::string("\x00\xff\x01", 3)},
                            Binary{std::string("blob\x00", 5)},
                            std::string("abc"),
                            Null{},
                            true};
  auto inserted = client_->execute(
      "INSERT INTO all_types VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", params);
  EXPECT_FALSE(inserted) << inserted->message;
  RowSet rs = query_ok(*client_, "SELECT * FROM all_types");
  ASSERT_EQ(rs.columns.size(), 18u);
  std::vector<DataType> want{DataType::kInt8,       DataType::kUint8,      DataType::kInt16,
                             DataType::kUint16,     DataType::kInt32,      DataType::kInt32,
                             DataType::kUint32,     DataType::kInt64,      DataType::kUint64,
                             DataType::kFloating32, DataType::kFloating64, DataType::kStr,
                             DataType::kStr,        DataType::kBinary,     DataType::kBinary,
                             DataType::kStr,        DataType::kInt32,      DataType::kInt8};
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(rs.columns[i].type, want[i]) << "column " << rs.columns[i].name;
  EXPECT_EQ(rs.columns[0].name, "ti");
  ASSERT_EQ(rs.rows.size(), 1u);
  const auto& row = rs.rows[0];
  EXPECT_EQ(std::get<int8_t>(row[0]), -128);
  EXPECT_EQ(std::get<uint8_t>(row[1]), 255);
  EXPECT_EQ(std::get<int16_t>(row[2]), -32768);
  EXPECT_EQ(std::get<uint16_t>(row[3]), 65535);
  EXPECT_EQ(std::get<int32_t>(row[4]), -8388608);
  EXPECT_EQ(std::get<int32_t>(row[5]), INT32_MIN);
  EXPECT_EQ(std::get<uint32_t>(row[6]), 4294967295u);
  EXPECT_EQ(std::get<int64_t>(row[7]), INT64_MIN);
  EXPECT_EQ(std::get<uint64_t>(row[8]), UINT64_MAX);
  EXPECT_EQ(std::get<float>(row[9]), 1.5f);
  EXPECT_EQ(std::get<double>(row[10]), -2.25);
  EXPECT_EQ(std::get<std::string>(row[11]), "héllo");
  EXPECT_EQ(std::get<std::string>(row[12]), "text ✓");
  EXPECT_EQ(std::get<Binary>(row[13]).bytes, std::string("\x00\xff\x01", 3));
  EXPECT_EQ(std::get<Binary>(row[14]).bytes, std::string("blob\x00", 5));
  EXPECT_EQ(std::get<std::string>(row[15]), "abc");
  EXPECT_TRUE(std::holds_alternative<Null>(row[16]));
  EXPECT_EQ(std::get<int8_t>(row[17]), 1);
}

TEST_F(MysqlClientTest, ParametersFilterRowsAndLargeValuesComeBackWhole) {
  ASSERT_EQ(server_->run("CREATE TABLE pets (id INT PRIMARY KEY, name VARCHAR(20), "
                         "photo LONGBLOB)"),
            "");
  std::string big(300000, 'x');
  for (int i = 1; i <= 3; ++i)
    ASSERT_FALSE(client_->execute("INSERT INTO pets VALUES (?, ?, ?)",
                                  {int32_t{i}, std::string("pet") + std::to_string(i),
                                   Binary{i == 2 ? big : std::string("p")}}));
  RowSet rs = query_ok(*client_, "SELECT id, name, photo FROM pets WHERE id >= ? ORDER BY id",
                       {int64_t{2}});
  ASSERT_EQ(rs.rows.size(), 2u);
  EXPECT_EQ(std::get<int32_t>(rs.rows[0][0]), 2);
  EXPECT_EQ(std::get<std::string>(rs.rows[0][1]), "pet2");
  EXPECT_EQ(rs.columns[2].type, DataType::kBinary);
  EXPECT_EQ(std::get<Binary>(rs.rows[0][2]).bytes.size(), big.size());
  EXPECT_EQ(std::get<std::string>(rs.rows[1][1]), "pet3");
  EXPECT_EQ(server_->scalar("SELECT COUNT(*) FROM pets"), "3");
}

TEST_F(MysqlClientTest, StatementsWithoutRowsGiveAnEmptyRowSet) {
  RowSet rs = query_ok(*client_, "DO 1");
  EXPECT_TRUE(rs.columns.empty());
  EXPECT_TRUE(rs.rows.empty());
}

TEST_F(MysqlClientTest, ErrorsHaveSpinsKinds) {
  auto r = client_->query("SELECT * FROM no_such_table", {});
  ASSERT_TRUE(std::holds_alternative<DbError>(r));
  EXPECT_EQ(std::get<DbError>(r).kind, ErrorKind::kQueryFailed);
  EXPECT_NE(std::get<DbError>(r).message.find("no_such_table"), std::string::npos);
  EXPECT_NE(std::get<DbError>(r).message.find("code: 1146"), std::string::npos);

  auto e = client_->execute("SELECT ?, ?", {int32_t{1}});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, ErrorKind::kQueryFailed);
  EXPECT_NE(e->message.find("required: 2, supplied: 1"), std::string::npos) << e->message;

  // A DATE column is db-data-type `other`: Spin cannot convert its values.
  auto d = client_->query("SELECT CAST('2024-01-02' AS DATE) AS day", {});
  ASSERT_TRUE(std::holds_alternative<DbError>(d));
  EXPECT_EQ(std::get<DbError>(d).kind, ErrorKind::kValueConversionFailed);
  // ... but a NULL in such a column is fine.
  RowSet ok = query_ok(*client_, "SELECT CAST(NULL AS DATE) AS day");
  ASSERT_EQ(ok.rows.size(), 1u);
  EXPECT_EQ(ok.columns[0].type, DataType::kOther);
  EXPECT_TRUE(std::holds_alternative<Null>(ok.rows[0][0]));
}

TEST_F(MysqlClientTest, ConnectFailuresAreConnectionFailed) {
  auto a =
      parse_address("mysql://root@127.0.0.1:" + std::to_string(server_->port()) + "/no_such_db");
  ASSERT_TRUE(a);
  auto c = Client::connect(*a);
  ASSERT_TRUE(std::holds_alternative<DbError>(c));
  EXPECT_EQ(std::get<DbError>(c).kind, ErrorKind::kConnectionFailed);
  EXPECT_NE(std::get<DbError>(c).message.find("no_such_db"), std::string::npos);
}

TEST_F(MysqlClientTest, ResetClearsSessionState) {
  ASSERT_FALSE(client_->execute("SET @marker = 42", {}));
  RowSet before = query_ok(*client_, "SELECT @marker + 0 AS m");
  ASSERT_EQ(before.rows.size(), 1u);
  EXPECT_FALSE(std::holds_alternative<Null>(before.rows[0][0]));
  ASSERT_TRUE(client_->reset());
  RowSet after = query_ok(*client_, "SELECT @marker AS m");
  ASSERT_EQ(after.rows.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<Null>(after.rows[0][0]));
}

TEST(MysqlTypes, ValuesConvertToComponentValuesInWitCaseOrder) {
  using component::Val;
  namespace mt = factors::mysql_types;
  EXPECT_EQ(mt::db_value(Value{int8_t{-1}}).case_index(), 1u);
  EXPECT_EQ(mt::db_value(Value{uint64_t{7}}).payload()->as_uint(), 7u);
  EXPECT_EQ(mt::db_value(Value{Null{}}).case_index(), 13u);
  EXPECT_EQ(mt::db_value(Value{Binary{"ab"}}).payload()->as_bytes(), "ab");
  Value p = mt::to_value(Val::variant(11, Val::string("s")));
  EXPECT_EQ(std::get<std::string>(p), "s");
  EXPECT_TRUE(std::holds_alternative<Null>(mt::to_value(Val::variant(13))));
  EXPECT_EQ(std::get<uint16_t>(mt::to_value(Val::variant(6, Val::u16(65535)))), 65535);
  Val err = mt::error(DbError{ErrorKind::kQueryFailed, "m"});
  EXPECT_EQ(err.case_index(), 2u);
  EXPECT_EQ(err.payload()->as_string(), "m");
}

}  // namespace
}  // namespace lepton::mysql
