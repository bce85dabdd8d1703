// Which SQLite databases a component may open: its manifest's `sqlite_databases` grants, over
// the app's configured labels. Shared by fermyon:spin/sqlite, spin:sqlite and Spin 1 `sqlite`.
#pragma once

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "sqlite/database.h"

namespace lepton::factors {

struct SqliteAccess {
  const sqlite::Databases* databases = nullptr;
  const std::vector<std::string>* granted = nullptr;  // the component's sqlite_databases
};

// The WIT `error` variant of every generation, cases in WIT order.
enum class SqliteError : uint8_t {
  kNoSuchDatabase = 0,
  kAccessDenied,
  kInvalidConnection,
  kDatabaseFull,
  kIo
};
struct SqliteFailure {
  SqliteError kind;
  std::string message;  // kIo only
};

// A connection per open() (at most kMaxSqliteConnections live per request, as Spin's table).
inline constexpr size_t kMaxSqliteConnections = 256;

// As Spin: ungranted → access-denied (whether or not it exists); granted but not configured →
// no-such-database; a database that cannot be opened → io.
inline std::variant<std::unique_ptr<sqlite::Connection>, SqliteFailure> open_sqlite(
    const SqliteAccess& access, const std::string& label) {
  bool granted = false;
  if (access.granted != nullptr)
    for (const auto& l : *access.granted) granted |= l == label;
  if (!granted) return SqliteFailure{SqliteError::kAccessDenied, {}};
  const sqlite::Database* db = access.databases ? access.databases->find(label) : nullptr;
  if (db == nullptr) return SqliteFailure{SqliteError::kNoSuchDatabase, {}};
  auto conn = db->connect();
  if (!conn) return SqliteFailure{SqliteError::kIo, conn.error().message};
  return std::move(*conn);
}

// Runs a statement; errors become the WIT error variant.
inline std::variant<sqlite::QueryResult, SqliteFailure> execute_sqlite(
    sqlite::Connection& conn, std::string_view sql, std::span<const sqlite::Value> params) {
  auto done = conn.execute(sql, params);
  if (auto* e = std::get_if<sqlite::QueryError>(&done))
    return e->full ? SqliteFailure{SqliteError::kDatabaseFull, {}}
                   : SqliteFailure{SqliteError::kIo, std::move(e->message)};
  return std::move(std::get<sqlite::QueryResult>(done));
}

// Spin 1 `sqlite` connections of one request: handle = index + 1.
struct Spin1SqliteConnections {
  std::vector<std::unique_ptr<sqlite::Connection>> open;
  size_t live = 0;
};

}  // namespace lepton::factors
