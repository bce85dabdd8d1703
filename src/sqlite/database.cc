#include "sqlite/database.h"

#include <atomic>
#include <fstream>
#include <sstream>
#include <system_error>

namespace lepton::sqlite {

namespace fs = std::filesystem;

namespace {

// As Spin (allow_attach_file = false): ATTACH may only create a temporary or in-memory database.
int deny_attaching_files(void*, int action, const char* file, const char*, const char*,
                         const char*) {
  if (action != SQLITE_ATTACH) return SQLITE_OK;
  std::string_view name = file == nullptr ? "" : file;
  return name.empty() || name == ":memory:" ? SQLITE_OK : SQLITE_DENY;
}

bool only_whitespace(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != ';')
      return false;
  return true;
}

QueryError query_error(sqlite3* db) {
  return QueryError{(sqlite3_extended_errcode(db) & 0xff) == SQLITE_FULL, sqlite3_errmsg(db)};
}

// Frees a prepared statement on scope exit.
struct Finalize {
  sqlite3_stmt* stmt = nullptr;
  ~Finalize() { sqlite3_finalize(stmt); }
};

}  // namespace

Connection::~Connection() { sqlite3_close_v2(db_); }

std::variant<QueryResult, QueryError> Connection::execute(std::string_view sql,
                                                          std::span<const Value> params,
                                                          size_t max_result_bytes) {
  if (sql.size() > static_cast<size_t>(INT32_MAX)) return QueryError{false, "statement too long"};
  Finalize stmt;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt.stmt, &tail) !=
      SQLITE_OK)
    return query_error(db_);
  std::string_view rest(tail, static_cast<size_t>(sql.data() + sql.size() - tail));
  if (!only_whitespace(rest)) {
    // Comments after the statement are fine; a second statement is not (Spin runs only one).
    Finalize next;
    if (sqlite3_prepare_v2(db_, rest.data(), static_cast<int>(rest.size()), &next.stmt, nullptr) !=
        SQLITE_OK)
      return query_error(db_);
    if (next.stmt != nullptr) return QueryError{false, "Multiple statements provided"};
  }
  QueryResult result;
  if (stmt.stmt == nullptr) {  // empty or only a comment
    if (!params.empty())
      return QueryError{false, fmt::format("Wrong number of parameters passed to query. Got {}, "
                                           "needed 0",
                                           params.size())};
    return result;
  }
  int needed = sqlite3_bind_parameter_count(stmt.stmt);
  if (static_cast<size_t>(needed) != params.size())
    return QueryError{false,
                      fmt::format("Wrong number of parameters passed to query. Got {}, needed {}",
                                  params.size(), needed)};
  for (int i = 0; i < needed; ++i) {
    const Value& v = params[static_cast<size_t>(i)];
    int rc = SQLITE_OK;
    switch (v.kind) {
      case Value::Kind::kInteger:
        rc = sqlite3_bind_int64(stmt.stmt, i + 1, v.integer);
        break;
      case Value::Kind::kReal:
        rc = sqlite3_bind_double(stmt.stmt, i + 1, v.real);
        break;
      case Value::Kind::kText:
        rc = sqlite3_bind_text64(stmt.stmt, i + 1, v.bytes.data(), v.bytes.size(), SQLITE_TRANSIENT,
                                 SQLITE_UTF8);
        break;
      case Value::Kind::kBlob:
        rc =
            sqlite3_bind_blob64(stmt.stmt, i + 1, v.bytes.data(), v.bytes.size(), SQLITE_TRANSIENT);
        break;
      case Value::Kind::kNull:
        rc = sqlite3_bind_null(stmt.stmt, i + 1);
        break;
    }
    if (rc != SQLITE_OK) return query_error(db_);
  }
  const int ncols = sqlite3_column_count(stmt.stmt);
  for (int c = 0; c < ncols; ++c) {
    const char* name = sqlite3_column_name(stmt.stmt, c);
    result.columns.emplace_back(name == nullptr ? "" : name);
  }
  size_t bytes = 0;
  for (;;) {
    int rc = sqlite3_step(stmt.stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return query_error(db_);
    std::vector<Value> row;
    row.reserve(static_cast<size_t>(ncols));
    for (int c = 0; c < ncols; ++c) {
      switch (sqlite3_column_type(stmt.stmt, c)) {
        case SQLITE_INTEGER:
          row.push_back(Value::of_integer(sqlite3_column_int64(stmt.stmt, c)));
          break;
        case SQLITE_FLOAT:
          row.push_back(Value::of_real(sqlite3_column_double(stmt.stmt, c)));
          break;
        case SQLITE_TEXT: {
          auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt.stmt, c));
          int n = sqlite3_column_bytes(stmt.stmt, c);
          row.push_back(Value::of_text(p == nullptr ? std::string() : std::string(p, n)));
          break;
        }
        case SQLITE_BLOB: {
          const void* p = sqlite3_column_blob(stmt.stmt, c);
          int n = sqlite3_column_bytes(stmt.stmt, c);
          row.push_back(Value::of_blob(p == nullptr ? std::string()
                                                    : std::string(static_cast<const char*>(p), n)));
          break;
        }
        default:
          row.push_back(Value::null());
      }
      bytes += sizeof(Value) + row.back().bytes.size();
    }
    if (bytes > max_result_bytes)
      return QueryError{false,
                        fmt::format("query result exceeds limit of {} bytes", max_result_bytes)};
    result.rows.push_back(std::move(row));
  }
  return result;
}

Status Connection::execute_batch(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message != nullptr ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    return Error{text};
  }
  return {};
}

int64_t Connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

uint64_t Connection::changes() const { return static_cast<uint64_t>(sqlite3_changes64(db_)); }

Result<std::shared_ptr<Database>> Database::create(std::optional<fs::path> path,
                                                   bool allow_attach_file) {
  std::shared_ptr<Database> db(new Database());
  db->allow_attach_file_ = allow_attach_file;
  if (path && !path->empty()) {
    db->path_ = std::move(path);
    return db;
  }
  // memdb with a name starting with '/' is shared by the connections of this process.
  static std::atomic<uint64_t> next{0};
  db->memory_uri_ = fmt::format("file:/lepton-sqlite-{}?vfs=memdb", next++);
  int rc = sqlite3_open_v2(
      db->memory_uri_.c_str(), &db->keep_,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX,
      nullptr);
  if (rc != SQLITE_OK)
    return fail("sqlite: cannot create an in-memory database: {}",
                db->keep_ ? sqlite3_errmsg(db->keep_) : sqlite3_errstr(rc));
  return db;
}

Database::~Database() {
  if (keep_ != nullptr) sqlite3_close_v2(keep_);
}

std::string Database::describe() const {
  return path_ ? fmt::format("\"{}\"", path_->string()) : "a temporary in-memory database";
}

Result<std::unique_ptr<Connection>> Database::connect() const {
  std::string name = memory_uri_;
  if (path_) {
    name = path_->string();
    if (path_->has_parent_path()) {
      std::error_code ec;
      fs::create_directories(path_->parent_path(), ec);
      if (ec)
        return fail("sqlite: cannot create directory '{}': {}", path_->parent_path().string(),
                    ec.message());
    }
  }
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
  if (!path_) flags |= SQLITE_OPEN_URI;
  int rc = sqlite3_open_v2(name.c_str(), &raw, flags, nullptr);
  std::unique_ptr<Connection> conn(new Connection(raw));
  if (rc != SQLITE_OK)
    return fail("sqlite: cannot open {}: {}", describe(),
                raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
  sqlite3_busy_timeout(raw, 5000);  // other requests (or processes) may hold the write lock
  sqlite3_extended_result_codes(raw, 1);
  if (path_) {
    // FULL: the WAL is fsynced at each commit, so an acknowledged write survives a power cut.
    for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL"}) {
      if (auto done = conn->execute_batch(pragma); !done)
        return fail("sqlite: {} on {}: {}", pragma, describe(), done.error().message);
    }
  }
  if (!allow_attach_file_) sqlite3_set_authorizer(raw, deny_attaching_files, nullptr);
  return conn;
}

Result<std::shared_ptr<Databases>> Databases::create(std::optional<fs::path> default_path,
                                                     const std::vector<DatabaseSpec>& extra) {
  auto out = std::make_shared<Databases>();
  std::map<fs::path, std::shared_ptr<Database>> files;
  auto add = [&](const std::string& label, const std::optional<fs::path>& path,
                 bool attach) -> Status {
    std::shared_ptr<Database> db;
    if (path && !path->empty()) {
      auto it = files.find(*path);
      if (it != files.end()) {
        db = it->second;
      } else {
        LEPTON_TRY(db, Database::create(*path, attach));
        files.emplace(*path, db);
      }
    } else {
      LEPTON_TRY(db, Database::create(std::nullopt, attach));
    }
    out->labels_[label] = std::move(db);
    return {};
  };
  bool default_redefined = false;
  for (const auto& spec : extra) default_redefined |= spec.label == "default";
  if (!default_redefined) LEPTON_CHECK(add("default", default_path, false));
  for (const auto& spec : extra) LEPTON_CHECK(add(spec.label, spec.path, spec.allow_attach_file));
  return out;
}

const Database* Databases::find(const std::string& label) const {
  auto it = labels_.find(label);
  return it == labels_.end() ? nullptr : it->second.get();
}

Status run_startup_statements(const Databases& databases, const std::vector<std::string>& args) {
  for (const auto& arg : args) {
    if (arg.starts_with('@')) {
      std::string_view spec = std::string_view(arg).substr(1);
      std::string file(spec), label = "default";
      if (auto colon = spec.find(':'); colon != std::string_view::npos) {
        file = std::string(spec.substr(0, colon));
        label = std::string(spec.substr(colon + 1));
        if (label.empty()) return fail("--sqlite '{}': the database label is empty", arg);
      }
      if (file.empty()) return fail("--sqlite '{}': the file path is empty", arg);
      const Database* db = databases.find(label);
      if (db == nullptr)
        return fail("--sqlite '{}': no database named '{}' is defined", arg, label);
      std::ifstream in(file, std::ios::binary);
      if (!in) return fail("--sqlite '{}': cannot read '{}'", arg, file);
      std::stringstream text;
      text << in.rdbuf();
      LEPTON_TRY(auto conn, db->connect());
      if (auto done = conn->execute_batch(text.str()); !done)
        return fail("--sqlite: failed to execute the statements of '{}' against database '{}': {}",
                    file, label, done.error().message);
      continue;
    }
    const Database* db = databases.find("default");
    if (db == nullptr) return fail("--sqlite: the 'default' database is not defined");
    LEPTON_TRY(auto conn, db->connect());
    auto done = conn->execute(arg, {});
    if (auto* e = std::get_if<QueryError>(&done))
      return fail("--sqlite: failed to execute statement against the default database: '{}': {}",
                  arg, e->message);
  }
  return {};
}

}  // namespace lepton::sqlite
