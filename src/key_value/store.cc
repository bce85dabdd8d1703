#include "key_value/store.h"

#include <algorithm>
#include <system_error>

#include "key_value/redis_store.h"

namespace lepton::key_value {

namespace fs = std::filesystem;

namespace {

// A prepared statement, finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  Stmt& text(int i, std::string_view s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& blob(int i, std::string_view s) {
    sqlite3_bind_blob(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& int64(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  int step() { return sqlite3_step(stmt_); }
  std::string column_bytes(int i) {
    const void* p = sqlite3_column_blob(stmt_, i);
    int n = sqlite3_column_bytes(stmt_, i);
    return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
  }
  int64_t column_int(int i) { return sqlite3_column_int64(stmt_, i); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

}  // namespace

Result<std::shared_ptr<SqliteDb>> SqliteDb::open(const fs::path& path) {
  std::string name = path.empty() ? ":memory:" : path.string();
  if (!path.empty() && path.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec)
      return fail("key-value store: cannot create '{}': {}", path.parent_path().string(),
                  ec.message());
  }
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(name.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  std::shared_ptr<SqliteDb> db(new SqliteDb(raw));
  if (rc != SQLITE_OK) return db->error(fmt::format("cannot open '{}'", name));
  sqlite3_busy_timeout(raw, 5000);  // another process (spin, a second lepton) may hold a lock
  if (!path.empty()) {
    // FULL: the WAL is fsynced at each commit, so an acknowledged set survives even a power cut.
    LEPTON_CHECK(db->exec("PRAGMA journal_mode=WAL"));
    LEPTON_CHECK(db->exec("PRAGMA synchronous=FULL"));
  }
  LEPTON_CHECK(
      db->exec("CREATE TABLE IF NOT EXISTS spin_key_value (store TEXT NOT NULL, key TEXT NOT NULL, "
               "value BLOB NOT NULL, PRIMARY KEY (store, key))"));
  return db;
}

SqliteDb::~SqliteDb() { sqlite3_close_v2(db_); }

Error SqliteDb::error(std::string_view what) const {
  return Error{fmt::format("key-value store: {}: {}", what, sqlite3_errmsg(db_))};
}

Status SqliteDb::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    return fail("key-value store: {}: {}", sql, text);
  }
  return {};
}

Result<std::optional<std::string>> SqliteDb::get(const std::string& store, const std::string& key) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2");
  if (!s.ok()) return error("get");
  s.text(1, store).text(2, key);
  int rc = s.step();
  if (rc == SQLITE_ROW) return std::optional<std::string>(s.column_bytes(0));
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  return error("get");
}

Status SqliteDb::set(const std::string& store, const std::string& key, std::string_view value) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3) "
         "ON CONFLICT (store, key) DO UPDATE SET value = excluded.value");
  if (!s.ok()) return error("set");
  s.text(1, store).text(2, key).blob(3, value);
  if (s.step() != SQLITE_DONE) return error("set");
  return {};
}

Result<bool> SqliteDb::compare_and_swap(const std::string& store, const std::string& key,
                                        const std::optional<std::string>& expected,
                                        std::string_view value) {
  std::lock_guard lock(mu_);
  // The mutex orders this connection's writers; the transaction keeps other processes out.
  LEPTON_CHECK(exec("BEGIN IMMEDIATE"));
  auto finish = [&](Result<bool> r) -> Result<bool> {
    if (!r || !*r) {
      (void)exec("ROLLBACK");
      return r;
    }
    LEPTON_CHECK(exec("COMMIT"));
    return true;
  };
  Stmt get(db_, "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2");
  if (!get.ok()) return finish(error("swap"));
  get.text(1, store).text(2, key);
  int rc = get.step();
  std::optional<std::string> current;
  if (rc == SQLITE_ROW)
    current = get.column_bytes(0);
  else if (rc != SQLITE_DONE)
    return finish(error("swap"));
  if (current != expected) return finish(false);
  Stmt set(db_,
           "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3) "
           "ON CONFLICT (store, key) DO UPDATE SET value = excluded.value");
  if (!set.ok()) return finish(error("swap"));
  set.text(1, store).text(2, key).blob(3, value);
  if (set.step() != SQLITE_DONE) return finish(error("swap"));
  return finish(true);
}

Status SqliteDb::set_many(const std::string& store,
                          const std::vector<std::pair<std::string, std::string>>& items) {
  std::lock_guard lock(mu_);
  LEPTON_CHECK(exec("BEGIN IMMEDIATE"));
  for (const auto& [key, value] : items) {
    Stmt s(db_,
           "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3) "
           "ON CONFLICT (store, key) DO UPDATE SET value = excluded.value");
    if (!s.ok() || (s.text(1, store).text(2, key).blob(3, value), s.step() != SQLITE_DONE)) {
      Error e = error("set-many");
      (void)exec("ROLLBACK");
      return e;
    }
  }
  return exec("COMMIT");
}

Status SqliteDb::delete_many(const std::string& store, const std::vector<std::string>& keys) {
  std::lock_guard lock(mu_);
  LEPTON_CHECK(exec("BEGIN IMMEDIATE"));
  for (const auto& key : keys) {
    Stmt s(db_, "DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2");
    if (!s.ok() || (s.text(1, store).text(2, key), s.step() != SQLITE_DONE)) {
      Error e = error("delete-many");
      (void)exec("ROLLBACK");
      return e;
    }
  }
  return exec("COMMIT");
}

Status SqliteDb::remove(const std::string& store, const std::string& key) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2");
  if (!s.ok()) return error("delete");
  s.text(1, store).text(2, key);
  if (s.step() != SQLITE_DONE) return error("delete");
  return {};
}

Result<bool> SqliteDb::exists(const std::string& store, const std::string& key) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2");
  if (!s.ok()) return error("exists");
  s.text(1, store).text(2, key);
  int rc = s.step();
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return error("exists");
}

Result<std::vector<std::string>> SqliteDb::keys(const std::string& store) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT key FROM spin_key_value WHERE store = ?1 ORDER BY key");
  if (!s.ok()) return error("get-keys");
  s.text(1, store);
  std::vector<std::string> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(s.column_bytes(0));
  if (rc != SQLITE_DONE) return error("get-keys");
  return out;
}

Result<int64_t> SqliteDb::increment(const std::string& store, const std::string& key,
                                    int64_t delta) {
  std::lock_guard lock(mu_);
  // The counter is an SQLite integer; `get` reads it back as its decimal text.
  Stmt s(db_,
         "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3) "
         "ON CONFLICT (store, key) DO UPDATE SET value = CAST(value AS INTEGER) + ?3 "
         "RETURNING value");
  if (!s.ok()) return error("increment");
  s.text(1, store).text(2, key).int64(3, delta);
  if (s.step() != SQLITE_ROW) return error("increment");
  int64_t value = s.column_int(0);
  if (s.step() != SQLITE_DONE) return error("increment");
  return value;
}

namespace {

// The value seen when made; the swap is one SQLite transaction that checks it is still there.
class SqliteCas final : public Cas {
 public:
  SqliteCas(const SqliteStore& store, std::string key, std::optional<std::string> seen)
      : store_(store), key_(std::move(key)), seen_(std::move(seen)) {}
  const std::optional<std::string>& current() const override { return seen_; }
  Result<bool> swap(std::string_view value) override {
    return store_.db()->compare_and_swap(store_.name(), key_, seen_, value);
  }

 private:
  const SqliteStore& store_;
  std::string key_;
  std::optional<std::string> seen_;
};

}  // namespace

Result<std::optional<std::string>> SqliteStore::get(const std::string& key) const {
  return db_->get(name_, key);
}
Status SqliteStore::set(const std::string& key, std::string_view value) const {
  return db_->set(name_, key, value);
}
Status SqliteStore::remove(const std::string& key) const { return db_->remove(name_, key); }
Result<bool> SqliteStore::exists(const std::string& key) const { return db_->exists(name_, key); }
Result<std::vector<std::string>> SqliteStore::keys() const { return db_->keys(name_); }
Result<int64_t> SqliteStore::increment(const std::string& key, int64_t delta) const {
  return db_->increment(name_, key, delta);
}
Result<std::unique_ptr<Cas>> SqliteStore::new_cas(const std::string& key) const {
  LEPTON_TRY(auto seen, db_->get(name_, key));
  return std::unique_ptr<Cas>(new SqliteCas(*this, key, std::move(seen)));
}
Result<std::vector<std::optional<std::string>>> SqliteStore::get_many(
    const std::vector<std::string>& keys) const {
  std::vector<std::optional<std::string>> out;
  out.reserve(keys.size());
  for (const auto& key : keys) {
    LEPTON_TRY(auto value, db_->get(name_, key));
    out.push_back(std::move(value));
  }
  return out;
}
Status SqliteStore::set_many(const std::vector<std::pair<std::string, std::string>>& items) const {
  return db_->set_many(name_, items);
}
Status SqliteStore::delete_many(const std::vector<std::string>& keys) const {
  return db_->delete_many(name_, keys);
}

Result<std::shared_ptr<Stores>> Stores::open(std::optional<fs::path> default_path,
                                             const std::vector<StoreSpec>& extra) {
  auto stores = std::make_shared<Stores>();
  std::map<fs::path, std::shared_ptr<SqliteDb>> files;
  std::map<std::string, std::shared_ptr<RedisPool>> servers;
  auto add = [&](const StoreSpec& spec) -> Status {
    if (spec.redis_url) {
      std::shared_ptr<RedisPool>& pool = servers[*spec.redis_url];
      if (!pool) {
        auto made = RedisPool::create(*spec.redis_url);
        if (!made) return fail("key-value store '{}': {}", spec.label, made.error().message);
        pool = std::move(*made);
      }
      stores->stores_[spec.label] = std::make_unique<RedisStore>(pool);
      return {};
    }
    std::shared_ptr<SqliteDb> db;
    if (!spec.path) {
      LEPTON_TRY(db, SqliteDb::open({}));
    } else if (auto it = files.find(*spec.path); it != files.end()) {
      db = it->second;
    } else {
      LEPTON_TRY(db, SqliteDb::open(*spec.path));
      files.emplace(*spec.path, db);
    }
    stores->stores_[spec.label] = std::make_unique<SqliteStore>(std::move(db), spec.label);
    return {};
  };
  bool default_redefined = false;
  for (const auto& spec : extra) default_redefined |= spec.label == "default";
  if (!default_redefined) LEPTON_CHECK(add(StoreSpec{"default", default_path, std::nullopt}));
  for (const auto& spec : extra) LEPTON_CHECK(add(spec));
  return stores;
}

const Store* Stores::find(const std::string& label) const {
  auto it = stores_.find(label);
  return it == stores_.end() ? nullptr : it->second.get();
}

const Store* Stores::find(const std::string& label, const std::string& component_id) const {
  const Store* shared = find(label);
  const auto* redis = dynamic_cast<const RedisStore*>(shared);
  if (redis == nullptr || !redis->tls() || component_id.empty()) return shared;
  std::lock_guard lock(views_mu_);
  auto& view = views_[{label, component_id}];
  if (!view) view = redis->for_component(component_id);
  return view.get();
}

}  // namespace lepton::key_value
