// A blocking MySQL/MariaDB client over Debian's libmariadb, shaped after what Spin's outbound
// MySQL factor does with mysql_async: every statement runs as a prepared statement (binary
// protocol) with positional `?` parameters, and result columns are typed the way Spin types them
// (factor-outbound-mysql client.rs: convert_data_type). Used by factors/spin_mysql.cc and
// factors/spin1_mysql.cc.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"

typedef struct st_mysql MYSQL;

namespace lepton::mysql {

// mysql://[user[:password]@]host[:port][/database][?ssl-mode=...] (port 3306 when absent;
// user, password and database percent-decoded). `ssl-mode`/`sslmode` other than "disabled" asks
// for TLS, as in Spin.
struct Address {
  std::string host;  // without IPv6 brackets
  uint16_t port = 3306;
  std::string user;
  std::string password;
  std::string database;
  bool tls = false;
};
Result<Address> parse_address(std::string_view url);

// rdbms-types' db-data-type, in WIT order.
enum class DataType : uint8_t {
  kBoolean,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kUint8,
  kUint16,
  kUint32,
  kUint64,
  kFloating32,
  kFloating64,
  kStr,
  kBinary,
  kOther,
};

struct Null {};
struct Binary {
  std::string bytes;
};
// A parameter or a result value: parameter-value / db-value (db-value's `unsupported` is never
// produced; Spin fails the query instead). Alternatives in WIT case order.
using Value = std::variant<bool, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t,
                           uint64_t, float, double, std::string, Binary, Null>;

struct Column {
  std::string name;
  DataType type = DataType::kOther;
};

struct RowSet {
  std::vector<Column> columns;
  std::vector<std::vector<Value>> rows;
};

// rdbms-types' error variant cases, in WIT order.
enum class ErrorKind : uint8_t {
  kConnectionFailed,
  kBadParameter,
  kQueryFailed,
  kValueConversionFailed,
  kOther
};
struct DbError {
  ErrorKind kind = ErrorKind::kOther;
  std::string message;
};

class Client {
 public:
  static constexpr std::chrono::seconds kConnectTimeout{10};
  static constexpr std::chrono::seconds kReadWriteTimeout{60};

  // Connects over TCP (also for "localhost"). Error kind: connection-failed. With `tls`, as
  // Spin's mysql_async (SslOpts::default()): TLS is required and the server's chain and name
  // are verified, against the CAs [[client_tls]] gives `component_id` for this host and port
  // (system roots by default), presenting its client certificate if it has one.
  static std::variant<std::unique_ptr<Client>, DbError> connect(const Address& address,
                                                                std::string_view component_id = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // A statement without result rows (insert, update, delete, DDL).
  std::optional<DbError> execute(std::string_view statement, const std::vector<Value>& params);
  // A statement with result rows. Results larger than `max_bytes` fail with other(...).
  std::variant<RowSet, DbError> query(std::string_view statement, const std::vector<Value>& params,
                                      size_t max_bytes = kMaxResultBytes);

  // Resets session state (mysql_reset_connection) before a connection is handed out again.
  bool reset();

  static constexpr size_t kMaxResultBytes = 128u << 20;

 private:
  explicit Client(MYSQL* mysql) : mysql_(mysql) {}
  MYSQL* mysql_;
};

}  // namespace lepton::mysql
