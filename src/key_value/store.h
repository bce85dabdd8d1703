// Key-value stores for the app: each label maps to a backend (key_value::Store). The `spin`
// backend is SQLite, one table `spin_key_value(store, key, value)` per database file, as Spin
// lays it out, so a Spin app's existing .spin/sqlite_key_value.db keeps its data. The `redis`
// backend (redis_store.h) keeps each key as a Redis string, as Spin's does.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"

namespace lepton::key_value {

// One SQLite database (a file, or memory); thread-safe. Every write is committed with WAL and
// synchronous=FULL before it returns, so an acknowledged write survives a crash of lepton.
class SqliteDb {
 public:
  // An empty path opens a private in-memory database.
  static Result<std::shared_ptr<SqliteDb>> open(const std::filesystem::path& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Result<std::optional<std::string>> get(const std::string& store, const std::string& key);
  Status set(const std::string& store, const std::string& key, std::string_view value);
  Status remove(const std::string& store, const std::string& key);
  Result<bool> exists(const std::string& store, const std::string& key);
  Result<std::vector<std::string>> keys(const std::string& store);
  // Adds `delta` to the integer at `key` (absent = 0) and returns the new value.
  Result<int64_t> increment(const std::string& store, const std::string& key, int64_t delta);
  // Sets `key` to `value` only if it still holds `expected` (nullopt: absent); false if not.
  Result<bool> compare_and_swap(const std::string& store, const std::string& key,
                                const std::optional<std::string>& expected, std::string_view value);
  // Several sets in one transaction.
  Status set_many(const std::string& store,
                  const std::vector<std::pair<std::string, std::string>>& items);
  // Several deletes in one transaction.
  Status delete_many(const std::string& store, const std::vector<std::string>& keys);

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  Status exec(const char* sql);
  Error error(std::string_view what) const;

  std::mutex mu_;
  sqlite3* db_;
};

// A compare-and-swap on one key: made with the value the key held then (current()); swap writes
// only if the key still holds it.
class Cas {
 public:
  virtual ~Cas() = default;
  virtual const std::optional<std::string>& current() const = 0;
  // true: written; false: the key changed since the cas was made (nothing written). Either
  // way the cas is spent.
  virtual Result<bool> swap(std::string_view value) = 0;
};

// One label the app may open, over its backend. Thread-safe; an Error is a backend failure
// (the guest sees it as `other` / `io`).
class Store {
 public:
  virtual ~Store() = default;
  virtual Result<std::optional<std::string>> get(const std::string& key) const = 0;
  virtual Status set(const std::string& key, std::string_view value) const = 0;
  virtual Status remove(const std::string& key) const = 0;
  virtual Result<bool> exists(const std::string& key) const = 0;
  virtual Result<std::vector<std::string>> keys() const = 0;  // sorted
  // Adds `delta` to the integer at `key` (absent = 0) and returns the new value.
  virtual Result<int64_t> increment(const std::string& key, int64_t delta) const = 0;
  virtual Result<std::unique_ptr<Cas>> new_cas(const std::string& key) const = 0;
  // One value per key, in order (nullopt: absent).
  virtual Result<std::vector<std::optional<std::string>>> get_many(
      const std::vector<std::string>& keys) const = 0;
  virtual Status set_many(const std::vector<std::pair<std::string, std::string>>& items) const = 0;
  virtual Status delete_many(const std::vector<std::string>& keys) const = 0;
};

// A label's store in an SQLite database: the rows whose `store` column is the label.
class SqliteStore final : public Store {
 public:
  SqliteStore(std::shared_ptr<SqliteDb> db, std::string name)
      : db_(std::move(db)), name_(std::move(name)) {}
  const std::shared_ptr<SqliteDb>& db() const { return db_; }
  const std::string& name() const { return name_; }

  Result<std::optional<std::string>> get(const std::string& key) const override;
  Status set(const std::string& key, std::string_view value) const override;
  Status remove(const std::string& key) const override;
  Result<bool> exists(const std::string& key) const override;
  Result<std::vector<std::string>> keys() const override;
  Result<int64_t> increment(const std::string& key, int64_t delta) const override;
  Result<std::unique_ptr<Cas>> new_cas(const std::string& key) const override;
  Result<std::vector<std::optional<std::string>>> get_many(
      const std::vector<std::string>& keys) const override;
  Status set_many(const std::vector<std::pair<std::string, std::string>>& items) const override;
  Status delete_many(const std::vector<std::string>& keys) const override;

 private:
  std::shared_ptr<SqliteDb> db_;
  std::string name_;
};

// A store of the runtime config: `spin` (SQLite at `path`; no path: in memory) or `redis`.
struct StoreSpec {
  std::string label;
  std::optional<std::filesystem::path> path;  // spin: empty optional = in memory
  std::optional<std::string> redis_url = {};  // set: a redis store at this URL
};

class Stores {
 public:
  // `default_path` is the default store's file (nullopt: in memory). `extra` are the runtime
  // config's stores (they may redefine `default`). Databases with the same path are shared, and
  // so are Redis connections to the same URL. Redis is not contacted here: an unreachable server
  // fails the operations, not the startup; a malformed URL fails here.
  static Result<std::shared_ptr<Stores>> open(std::optional<std::filesystem::path> default_path,
                                              const std::vector<StoreSpec>& extra);
  // nullptr when the label is not configured.
  const Store* find(const std::string& label) const;
  // As find(), as seen by component `component_id`: a rediss:// store connects with that
  // component's [[client_tls]] trust (its own view, made once and kept).
  const Store* find(const std::string& label, const std::string& component_id) const;
  bool has(const std::string& label) const { return find(label) != nullptr; }

 private:
  std::map<std::string, std::unique_ptr<Store>> stores_;
  mutable std::mutex views_mu_;
  mutable std::map<std::pair<std::string, std::string>, std::unique_ptr<Store>> views_;
};

}  // namespace lepton::key_value
