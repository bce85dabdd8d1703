// SQLite databases for Spin's sqlite host API (fermyon:spin/sqlite@2.0.0, spin:sqlite@3.0.0,
// Spin 1 `sqlite`): each label the app may open maps to one SQLite file (or a process-wide
// in-memory database); every open() by a guest gets its own connection, so last-insert-rowid
// and changes are the guest's own. Statements run with bound parameters, one at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"

namespace lepton::sqlite {

// A column value or parameter: the WIT `value` variant (cases in WIT order).
struct Value {
  enum class Kind : uint8_t { kInteger = 0, kReal, kText, kBlob, kNull };
  Kind kind = Kind::kNull;
  int64_t integer = 0;
  double real = 0;
  std::string bytes;  // text (UTF-8) or blob

  static Value of_integer(int64_t v) { return Value{Kind::kInteger, v, 0, {}}; }
  static Value of_real(double v) { return Value{Kind::kReal, 0, v, {}}; }
  static Value of_text(std::string v) { return Value{Kind::kText, 0, 0, std::move(v)}; }
  static Value of_blob(std::string v) { return Value{Kind::kBlob, 0, 0, std::move(v)}; }
  static Value null() { return Value{}; }
  bool operator==(const Value&) const = default;
};

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
};

// Why a statement failed: `full` maps to the WIT error `database-full`, anything else to `io`.
struct QueryError {
  bool full = false;
  std::string message;
};

// Spin's MAX_HOST_BUFFERED_BYTES: a query result larger than this is an io error.
inline constexpr size_t kMaxResultBytes = size_t{128} << 20;

class Connection {
 public:
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement (a trailing `;` and whitespace are fine; a second statement is an
  // error) with `params` bound to its ?, ?N, :name... placeholders in order.
  std::variant<QueryResult, QueryError> execute(std::string_view sql, std::span<const Value> params,
                                                size_t max_result_bytes = kMaxResultBytes);
  // Runs any number of statements without parameters (--sqlite @file).
  Status execute_batch(const std::string& sql);
  int64_t last_insert_rowid() const;
  uint64_t changes() const;

 private:
  friend class Database;
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// One configured label.
class Database {
 public:
  // `path` empty: an in-memory database shared by every connection of this process (kept alive
  // by the Database). A file's directory is created on the first connection.
  static Result<std::shared_ptr<Database>> create(std::optional<std::filesystem::path> path,
                                                  bool allow_attach_file = false);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // A new connection (WAL, synchronous=FULL, ATTACH of other files denied, as Spin).
  Result<std::unique_ptr<Connection>> connect() const;
  // "a temporary in-memory database" or the file's path, for messages.
  std::string describe() const;

 private:
  Database() = default;
  std::optional<std::filesystem::path> path_;
  std::string memory_uri_;  // in memory: the memdb URI every connection opens
  bool allow_attach_file_ = false;
  sqlite3* keep_ = nullptr;  // in memory: holds the database open
};

// Where a label lives: a file, or memory when `path` is empty.
struct DatabaseSpec {
  std::string label;
  std::optional<std::filesystem::path> path;
  bool allow_attach_file = false;  // Spin's option of the same name
};

class Databases {
 public:
  // `default` at `default_path` (nullopt: in memory) unless `extra` redefines it; then `extra`.
  // Labels with the same file share it.
  static Result<std::shared_ptr<Databases>> create(
      std::optional<std::filesystem::path> default_path, const std::vector<DatabaseSpec>& extra);
  // nullptr when the label is not configured.
  const Database* find(const std::string& label) const;

 private:
  std::map<std::string, std::shared_ptr<Database>> labels_;
};

// Runs `lepton up --sqlite` arguments against `databases`, in order, as Spin does: a plain
// statement runs on `default`; `@file` runs the file's statements on `default`, `@file:label`
// on `label`. The error names the statement (or file) that failed.
Status run_startup_statements(const Databases& databases, const std::vector<std::string>& args);

}  // namespace lepton::sqlite
