// The SQLite backend of Spin's sqlite API (src/sqlite) and its permission rules
// (src/factors/sqlite_access.h), against real SQLite files in a temp dir and memory.
#include "sqlite/database.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "factors/sqlite_access.h"

namespace lepton::sqlite {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "lepton-sqlite-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(dir_); }
  const fs::path& path() const { return dir_; }

 private:
  fs::path dir_;
};

QueryResult ok(std::variant<QueryResult, QueryError> r) {
  if (auto* e = std::get_if<QueryError>(&r)) {
    ADD_FAILURE() << e->message;
    return {};
  }
  return std::get<QueryResult>(std::move(r));
}

std::string error_of(std::variant<QueryResult, QueryError> r) {
  if (auto* e = std::get_if<QueryError>(&r)) return e->message;
  return "(no error)";
}

TEST(SqliteDatabase, CreateInsertWithParametersSelectEveryType) {
  TempDir tmp;
  auto db = Database::create(tmp.path() / "sub" / "db.sqlite");
  ASSERT_TRUE(db) << db.error().message;
  auto conn = (*db)->connect();
  ASSERT_TRUE(conn) << conn.error().message;
  auto& c = **conn;
  EXPECT_TRUE(
      ok(c.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n)", {})).columns.empty());
  std::vector<Value> params = {Value::of_integer(-42), Value::of_real(2.5), Value::of_text("héllo"),
                               Value::of_blob(std::string("\0\1\2", 3)), Value::null()};
  ok(c.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", params));
  EXPECT_EQ(c.changes(), 1u);
  EXPECT_EQ(c.last_insert_rowid(), 1);
  ok(c.execute("INSERT INTO t (i) VALUES (?1);", {std::vector<Value>{Value::of_integer(7)}}));
  EXPECT_EQ(c.last_insert_rowid(), 2);
  auto r = ok(c.execute("SELECT i, r, s, b, n AS absent FROM t ORDER BY rowid", {}));
  EXPECT_EQ(r.columns, (std::vector<std::string>{"i", "r", "s", "b", "absent"}));
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0], params);
  EXPECT_EQ(r.rows[1][0], Value::of_integer(7));
  EXPECT_EQ(r.rows[1][2], Value::null());
  EXPECT_TRUE(fs::exists(tmp.path() / "sub" / "db.sqlite"));
  // WAL, as key-value stores: durable and readable while another connection writes.
  auto mode = ok(c.execute("PRAGMA journal_mode", {}));
  ASSERT_EQ(mode.rows.size(), 1u);
  EXPECT_EQ(mode.rows[0][0], Value::of_text("wal"));
}

TEST(SqliteDatabase, ErrorsAreMessagesNamingTheFault) {
  auto db = Database::create(std::nullopt);
  ASSERT_TRUE(db);
  auto conn = (*db)->connect();
  ASSERT_TRUE(conn);
  auto& c = **conn;
  EXPECT_EQ(error_of(c.execute("SELECT * FROM missing", {})), "no such table: missing");
  EXPECT_EQ(error_of(c.execute("SELEC 1", {})), "near \"SELEC\": syntax error");
  EXPECT_EQ(error_of(c.execute("SELECT ?", {})),
            "Wrong number of parameters passed to query. Got 0, needed 1");
  std::vector<Value> two = {Value::of_integer(1), Value::of_integer(2)};
  EXPECT_EQ(error_of(c.execute("SELECT ?", two)),
            "Wrong number of parameters passed to query. Got 2, needed 1");
  EXPECT_EQ(error_of(c.execute("SELECT 1; SELECT 2", {})), "Multiple statements provided");
  // A trailing semicolon, whitespace or comment is one statement.
  EXPECT_EQ(ok(c.execute("SELECT 1; -- done\n", {})).rows.size(), 1u);
  ok(c.execute("CREATE TABLE u (k TEXT PRIMARY KEY)", {}));
  ok(c.execute("INSERT INTO u VALUES ('a')", {}));
  EXPECT_EQ(error_of(c.execute("INSERT INTO u VALUES ('a')", {})), "UNIQUE constraint failed: u.k");
  // Attaching another file is denied, as in Spin.
  EXPECT_NE(error_of(c.execute("ATTACH DATABASE '/tmp/lepton-attach.db' AS other", {}))
                .find("not authorized"),
            std::string::npos);
  EXPECT_FALSE(fs::exists("/tmp/lepton-attach.db"));
}

TEST(SqliteDatabase, DatabaseFullIsReportedAsFull) {
  auto db = Database::create(std::nullopt);
  ASSERT_TRUE(db);
  auto conn = (*db)->connect();
  ASSERT_TRUE(conn);
  auto& c = **conn;
  ok(c.execute("CREATE TABLE big (b BLOB)", {}));
  ok(c.execute("PRAGMA max_page_count = 8", {}));
  std::variant<QueryResult, QueryError> last = QueryResult{};
  std::vector<Value> blob = {Value::of_blob(std::string(4096, 'x'))};
  for (int i = 0; i < 100 && std::holds_alternative<QueryResult>(last); ++i)
    last = c.execute("INSERT INTO big VALUES (?)", blob);
  ASSERT_TRUE(std::holds_alternative<QueryError>(last));
  EXPECT_TRUE(std::get<QueryError>(last).full) << std::get<QueryError>(last).message;
}

TEST(SqliteDatabase, InMemoryDatabaseIsSharedByConnectionsButNotByLabels) {
  auto dbs = Databases::create(std::nullopt, {{"other", std::nullopt}});
  ASSERT_TRUE(dbs) << dbs.error().message;
  auto a = (*dbs)->find("default")->connect();
  auto b = (*dbs)->find("default")->connect();
  auto other = (*dbs)->find("other")->connect();
  ASSERT_TRUE(a && b && other);
  ok((*a)->execute("CREATE TABLE t (x)", {}));
  ok((*a)->execute("INSERT INTO t VALUES (1)", {}));
  EXPECT_EQ(ok((*b)->execute("SELECT x FROM t", {})).rows.size(), 1u);
  EXPECT_EQ(error_of((*other)->execute("SELECT x FROM t", {})), "no such table: t");
  // Per-connection counters are the connection's own.
  EXPECT_EQ((*b)->last_insert_rowid(), 0);
  EXPECT_EQ((*a)->last_insert_rowid(), 1);
}

TEST(SqliteDatabase, RuntimeConfigLabelsRedefineDefaultAndShareFiles) {
  TempDir tmp;
  auto dbs = Databases::create(tmp.path() / "sqlite_db.db",
                               {{"default", tmp.path() / "d.db"}, {"same", tmp.path() / "d.db"}});
  ASSERT_TRUE(dbs);
  EXPECT_EQ((*dbs)->find("default"), (*dbs)->find("same"));
  EXPECT_EQ((*dbs)->find("nope"), nullptr);
  auto c = (*dbs)->find("default")->connect();
  ASSERT_TRUE(c);
  EXPECT_TRUE(fs::exists(tmp.path() / "d.db"));
  EXPECT_FALSE(fs::exists(tmp.path() / "sqlite_db.db"));
}

TEST(SqliteDatabase, StartupStatementsRunInOrderAndNameTheFailure) {
  TempDir tmp;
  auto dbs = Databases::create(tmp.path() / "sqlite_db.db", {{"extra", tmp.path() / "e.db"}});
  ASSERT_TRUE(dbs);
  {
    std::ofstream f(tmp.path() / "init.sql");
    f << "CREATE TABLE e (v TEXT);\nINSERT INTO e VALUES ('from-file');\n";
  }
  auto file = (tmp.path() / "init.sql").string();
  auto done = run_startup_statements(
      **dbs, {"CREATE TABLE t (v TEXT)", "INSERT INTO t VALUES ('x')", "@" + file + ":extra"});
  ASSERT_TRUE(done) << done.error().message;
  auto d = (*dbs)->find("default")->connect();
  EXPECT_EQ(ok((*d)->execute("SELECT v FROM t", {})).rows.at(0).at(0), Value::of_text("x"));
  auto e = (*dbs)->find("extra")->connect();
  EXPECT_EQ(ok((*e)->execute("SELECT v FROM e", {})).rows.at(0).at(0), Value::of_text("from-file"));

  auto bad = run_startup_statements(**dbs, {"INSERT INTO nowhere VALUES (1)"});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("'INSERT INTO nowhere VALUES (1)': no such table: nowhere"),
            std::string::npos)
      << bad.error().message;
  auto missing = run_startup_statements(**dbs, {"@" + file + ":ghost"});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("no database named 'ghost'"), std::string::npos);
  auto unreadable = run_startup_statements(**dbs, {"@/nonexistent/x.sql"});
  ASSERT_FALSE(unreadable);
  EXPECT_NE(unreadable.error().message.find("cannot read '/nonexistent/x.sql'"), std::string::npos);
}

TEST(SqliteAccess, UngrantedIsAccessDeniedGrantedButUndefinedIsNoSuchDatabase) {
  auto dbs = Databases::create(std::nullopt, {{"other", std::nullopt}});
  ASSERT_TRUE(dbs);
  std::vector<std::string> granted = {"default", "ghost"};
  factors::SqliteAccess access{dbs->get(), &granted};
  auto kind = [&](const std::string& label) {
    auto r = factors::open_sqlite(access, label);
    if (auto* f = std::get_if<factors::SqliteFailure>(&r)) return static_cast<int>(f->kind);
    return -1;
  };
  EXPECT_EQ(kind("default"), -1);
  EXPECT_EQ(kind("other"), static_cast<int>(factors::SqliteError::kAccessDenied));
  EXPECT_EQ(kind("nowhere"), static_cast<int>(factors::SqliteError::kAccessDenied));
  EXPECT_EQ(kind("ghost"), static_cast<int>(factors::SqliteError::kNoSuchDatabase));
  factors::SqliteAccess nothing;
  auto r = factors::open_sqlite(nothing, "default");
  ASSERT_TRUE(std::holds_alternative<factors::SqliteFailure>(r));
  EXPECT_EQ(std::get<factors::SqliteFailure>(r).kind, factors::SqliteError::kAccessDenied);
}

}  // namespace
}  // namespace lepton::sqlite

namespace lepton::sqlite {
namespace {

TEST(SqliteDatabase, AllowAttachFileLetsAttachReachFiles) {
  TempDir tmp;
  auto dbs = Databases::create(std::nullopt, {{"open", tmp.path() / "o.db", true}});
  ASSERT_TRUE(dbs);
  auto c = (*dbs)->find("open")->connect();
  ASSERT_TRUE(c);
  auto other = (tmp.path() / "other.db").string();
  std::vector<Value> params = {Value::of_text(other)};
  auto done = (*c)->execute("ATTACH DATABASE ? AS other", params);
  EXPECT_TRUE(std::holds_alternative<QueryResult>(done)) << error_of(std::move(done));
  EXPECT_TRUE(fs::exists(other));
}

}  // namespace
}  // namespace lepton::sqlite
