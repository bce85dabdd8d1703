// A blocking PostgreSQL client over libpq for the outbound PostgreSQL host interfaces
// (factors/spin_postgres.cc, factors/spin1_postgres.cc). Addresses are what Spin accepts: a URL
// (postgres://user:pass@host:port/db?sslmode=require) or key=value pairs; libpq parses both
// and applies sslmode (TLS when asked). Statements run with the extended protocol, parameters
// and results in binary format (codec.h), one statement per call.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "app/allowed_hosts.h"
#include "component/values.h"

struct pg_conn;

namespace lepton::postgres {

// A structured error from the server (spin:postgres@4.0.0 `db-error`).
struct DbError {
  std::string as_text;  // "db error: ERROR: relation \"x\" does not exist"
  std::string severity;
  std::string code;  // SQLSTATE
  std::string message;
  std::optional<std::string> detail;
  std::vector<std::pair<std::string, std::string>> extras;  // hint, table, column, ...
};

// The `error` variant of Spin's PostgreSQL interfaces (case order as in the WIT).
struct Failure {
  enum class Kind : uint32_t {
    kConnectionFailed = 0,
    kBadParameter = 1,
    kQueryFailed = 2,
    kValueConversionFailed = 3,
    kOther = 4,
  };
  Kind kind = Kind::kOther;
  std::string message;        // the text (for query-failed: the as-text of db, if any)
  std::optional<DbError> db;  // query-failed from a server error
};

template <typename T>
using Outcome = std::variant<T, Failure>;

// Whether `address` may be connected to: every host (and hostaddr) it names must be granted by
// `allowed` for scheme postgres (default port 5432). Failures are Spin's connection-failed
// messages: "address postgres://db.example.com:5432 is not permitted", "Unix sockets are not
// supported on WebAssembly", or the parse error. `allowed` null: nothing is granted.
std::optional<Failure> check_address(const std::string& address, const app::AllowedHosts* allowed);

class Connection {
 public:
  // Connects (libpq, blocking; connect_timeout 10 s unless the address sets one). Only the
  // connection options Spin's driver knows are accepted; file-based libpq options (service,
  // passfile, sslkey, ...) are refused.
  //
  // TLS as Spin's driver (tokio-postgres + native-tls) does it: sslmode `require` and the
  // default `prefer` verify the server's chain and name whenever TLS is used (libpq
  // verify-full); `prefer` falls back to plain text only when the server offers no TLS, never
  // after a failed verification. `disable` is plain text; `verify-ca` / `verify-full` / `allow`
  // (libpq's, not Spin's) keep libpq's meaning. The trusted CAs and the client certificate come
  // from [[client_tls]] for `component_id` and the (first) host and port (outbound/client_tls.h).
  static Outcome<std::unique_ptr<Connection>> open(const std::string& address,
                                                   std::string_view component_id = {});
  // Like open, but first tries an idle connection to the same address left by an earlier
  // request (release): recycled with DISCARD ALL (session state reset), as Spin's pool does; one
  // that fails recycling is closed and the next tried.
  // Pooled per address and TLS settings (what [[client_tls]] gives `component_id`).
  static Outcome<std::unique_ptr<Connection>> pooled(const std::string& address,
                                                     std::string_view component_id = {});
  // Returns a connection to the process-wide pool (at most kPoolPerAddress idle per address and
  // kPoolAddresses addresses); one that is broken or inside a transaction is closed instead.
  // (The pool key is the one pooled/open recorded in the connection; `address` is unused.)
  static void release(const std::string& address, std::unique_ptr<Connection> conn);
  static constexpr size_t kPoolPerAddress = 64;
  static constexpr size_t kPoolAddresses = 16;

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // `params` are 4.0.0 parameter-values; the result is a 4.0.0 row-set record
  // {columns: list<column>, rows: list<row>}.
  Outcome<component::Val> query(const std::string& statement,
                                std::span<const component::Val> params);
  Outcome<uint64_t> execute(const std::string& statement, std::span<const component::Val> params);

 private:
  explicit Connection(pg_conn* conn) : conn_(conn) {}
  std::string type_name(uint32_t oid);

  pg_conn* conn_;
  std::string pool_key_;  // address + TLS settings
  std::map<uint32_t, std::string> type_names_;
};

}  // namespace lepton::postgres
