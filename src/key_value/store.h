// Key-value stores for the app: each label maps to a backend. The `spin` backend is SQLite,
// one table `spin_key_value(store, key, value)` per database file, as Spin lays it out, so a
// Spin app's existing .spin/sqlite_key_value.db keeps its data.
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

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  Status exec(const char* sql);
  Error error(std::string_view what) const;

  std::mutex mu_;
  sqlite3* db_;
};

// A label the app may open: a backend and the store name inside it.
struct Store {
  std::shared_ptr<SqliteDb> db;
  std::string name;
};

// Where a `spin` store without a path goes; null = memory.
struct StoreSpec {
  std::string label;
  std::optional<std::filesystem::path> path;  // empty optional: in memory
};

class Stores {
 public:
  // `default_path` is the default store's file (nullopt: in memory). `extra` are the runtime
  // config's stores (they may redefine `default`). Databases with the same path are shared.
  static Result<std::shared_ptr<Stores>> open(std::optional<std::filesystem::path> default_path,
                                              const std::vector<StoreSpec>& extra);
  // nullptr when the label is not configured.
  const Store* find(const std::string& label) const;
  bool has(const std::string& label) const { return find(label) != nullptr; }

 private:
  std::map<std::string, Store> stores_;
};

}  // namespace lepton::key_value
