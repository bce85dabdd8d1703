// End-to-end SQLite: `lepton up` serving the C guests `sqlite` (fermyon:spin/sqlite@2.0.0),
// `sqlite3` (spin:sqlite/sqlite@3.0.0) and the Spin 1 probe `spin1_sqlite_probe` (`sqlite`
// import). Each request's body is SQL run on one connection (tests/guests/components/sqlite.c).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lepton_process.h"

namespace lepton::testing {
namespace {

namespace fs = std::filesystem;

std::string app_of(const std::string& source, const std::string& databases) {
  return fmt::format(R"(spin_manifest_version = 2
[application]
name = "sqlite"
[[trigger.http]]
route = "/..."
component = "db"
[component.db]
source = "{}"
sqlite_databases = [{}]
)",
                     source, databases);
}

std::string component_app(const std::string& databases, const std::string& name = "sqlite") {
  return app_of(guest("components/" + name), databases);
}

// "status body" of a POST of `sql` to /<label>.
std::string sql(LeptonServer& server, const std::string& label, const std::string& body) {
  auto r = server.request("POST", "/" + label, body);
  if (!r) return "error: " + r.error().message;
  return fmt::format("{} {}", r->status, r->body);
}

std::unique_ptr<LeptonServer> start(const std::vector<std::string>& args) {
  std::string failure;
  auto server = LeptonServer::start(args, &failure);
  EXPECT_TRUE(server) << failure;
  return server;
}

const char* kPets =
    R"(CREATE TABLE pets (id INTEGER PRIMARY KEY, name TEXT NOT NULL, weight REAL, photo BLOB, note)
INSERT INTO pets (name, weight, photo, note) VALUES (?, ?, ?, ?)
? t:Rex
? r:12.5
? b:00ff10
? null
INSERT INTO pets (name, weight) VALUES (?2, ?1)
? i:4
? t:Tom
SELECT id, name, weight, photo, note FROM pets ORDER BY id
)";
const char* kPetsRows =
    "columns: id|name|weight|photo|note\nrow: i:1|t:Rex|r:12.5|b:00ff10|null\nrow: "
    "i:2|t:Tom|r:4|null|null\n";

TEST(Sqlite, CreateInsertWithParametersSelectAcrossRequests) {
  if (auto why = missing_component("sqlite"); !why.empty()) GTEST_SKIP() << why;
  TempApp app(component_app(R"("default")"));
  auto server = start({"-f", app.manifest().string()});
  ASSERT_TRUE(server);
  EXPECT_EQ(sql(*server, "default", kPets), std::string("200 ") + kPetsRows);
  EXPECT_EQ(sql(*server, "default", "SELECT count(*) AS n, sum(weight) AS w FROM pets"),
            "200 columns: n|w\nrow: i:2|r:16.5\n");
  EXPECT_EQ(sql(*server, "default", "SELECT * FROM nope"), "500 execute: io: no such table: nope");
  EXPECT_EQ(sql(*server, "default", "SELECT ?"),
            "500 execute: io: Wrong number of parameters passed to query. Got 0, needed 1");
  // The default database is Spin's file in the state dir, and survives a restart.
  EXPECT_TRUE(fs::exists(app.dir() / ".spin" / "sqlite_db.db"));
  server->stop();
  server = start({"-f", app.manifest().string()});
  ASSERT_TRUE(server);
  EXPECT_EQ(sql(*server, "default", "SELECT name FROM pets WHERE id = ?\n? i:2"),
            "200 columns: name\nrow: t:Tom\n");
}

TEST(Sqlite, UngrantedLabelsAreAccessDenied) {
  if (auto why = missing_component("sqlite"); !why.empty()) GTEST_SKIP() << why;
  TempApp app(component_app(R"("extra")"));
  app.write("rc.toml",
            "[sqlite_database.extra]\ntype = \"spin\"\npath = \"extra.db\"\n"
            "[sqlite_database.other]\ntype = \"spin\"\n");
  auto server = start(
      {"-f", app.manifest().string(), "--runtime-config-file", (app.dir() / "rc.toml").string()});
  ASSERT_TRUE(server);
  EXPECT_EQ(sql(*server, "default", "SELECT 1"), "403 open: access-denied");
  EXPECT_EQ(sql(*server, "other", "SELECT 1"), "403 open: access-denied");
  EXPECT_EQ(sql(*server, "nowhere", "SELECT 1"), "403 open: access-denied");
  EXPECT_EQ(sql(*server, "extra", "SELECT 41 + 1 AS answer"), "200 columns: answer\nrow: i:42\n");
  // Relative paths are relative to the runtime config file; `default` was never created.
  EXPECT_TRUE(fs::exists(app.dir() / "extra.db"));
  EXPECT_FALSE(fs::exists(app.dir() / ".spin" / "sqlite_db.db"));
}

TEST(Sqlite, GrantedButUndefinedLabelFailsAtStartup) {
  // As Spin: a granted label must be defined, so the no-such-database case cannot reach a guest.
  TempApp app(component_app(R"("default", "missing")"));
  std::string failure;
  auto server = LeptonServer::start({"-f", app.manifest().string()}, &failure);
  EXPECT_FALSE(server);
  EXPECT_NE(failure.find("SQLite database 'missing', which is not defined"), std::string::npos)
      << failure;
}

TEST(Sqlite, LibsqlIsAClearStartupError) {
  TempApp app(component_app(R"("default")"));
  app.write("rc.toml",
            "[sqlite_database.remote]\ntype = \"libsql\"\nurl = \"https://x\"\ntoken = \"t\"\n");
  std::string failure;
  auto server = LeptonServer::start(
      {"-f", app.manifest().string(), "--runtime-config-file", (app.dir() / "rc.toml").string()},
      &failure);
  EXPECT_FALSE(server);
  EXPECT_NE(failure.find("[sqlite_database.remote]: type 'libsql' is not supported"),
            std::string::npos)
      << failure;
}

TEST(Sqlite, StartupStatementsAreVisibleToTheGuest) {
  if (auto why = missing_component("sqlite"); !why.empty()) GTEST_SKIP() << why;
  TempApp app(component_app(R"("default")"));
  app.write("more.sql",
            "INSERT INTO seeded VALUES ('from-file');\nINSERT INTO seeded VALUES "
            "('second');\n");
  auto server = start({"-f", app.manifest().string(), "--sqlite", "CREATE TABLE seeded (v TEXT)",
                       "--sqlite", "INSERT INTO seeded VALUES ('from-flag')", "--sqlite",
                       "@" + (app.dir() / "more.sql").string()});
  ASSERT_TRUE(server);
  EXPECT_EQ(sql(*server, "default", "SELECT v FROM seeded ORDER BY rowid"),
            "200 columns: v\nrow: t:from-flag\nrow: t:from-file\nrow: t:second\n");
}

TEST(Sqlite, AFailingStartupStatementAbortsNamingIt) {
  TempApp app(component_app(R"("default")"));
  std::string failure;
  auto server = LeptonServer::start(
      {"-f", app.manifest().string(), "--sqlite", "INSERT INTO nowhere VALUES (1)"}, &failure);
  EXPECT_FALSE(server);
  EXPECT_NE(failure.find("'INSERT INTO nowhere VALUES (1)': no such table: nowhere"),
            std::string::npos)
      << failure;
}

TEST(Sqlite, SpinSqlite3AddsLastInsertRowidAndChanges) {
  if (auto why = missing_component("sqlite3"); !why.empty()) GTEST_SKIP() << why;
  TempApp app(component_app(R"("default")", "sqlite3"));
  auto server = start({"-f", app.manifest().string()});
  ASSERT_TRUE(server);
  EXPECT_EQ(sql(*server, "default",
                "CREATE TABLE t (x)\nINSERT INTO t VALUES (?)\n? i:5\nINSERT INTO t VALUES (1), "
                "(2)\nSELECT x FROM t ORDER BY rowid"),
            "200 changes: 0 rowid: 0\nchanges: 1 rowid: 1\nchanges: 2 rowid: 3\ncolumns: "
            "x\nrow: i:5\nrow: i:1\nrow: i:2\nchanges: 2 rowid: 3\n");
  EXPECT_EQ(sql(*server, "other", "SELECT 1"), "403 open: access-denied");
  // Both generations reach the same database.
  EXPECT_EQ(sql(*server, "default", "DELETE FROM t WHERE x < 3"), "200 changes: 2 rowid: 0\n");
}

// The guest's core module with its component-type section, as Spin SDK builds ship it: lepton
// adapts it at load, and its fermyon:spin/sqlite imports reach the same host functions.
TEST(Sqlite, CoreModuleWithComponentTypeSection) {
  if (auto why = missing_component("sqlite.core"); !why.empty()) GTEST_SKIP() << why;
  TempApp app(component_app(R"("default")", "sqlite.core"));
  auto server = start({"-f", app.manifest().string()});
  ASSERT_TRUE(server);
  EXPECT_EQ(sql(*server, "default", kPets), std::string("200 ") + kPetsRows);
  EXPECT_EQ(sql(*server, "other", "SELECT 1"), "403 open: access-denied");
}

TEST(Sqlite, Spin1ModuleUsesTheSqliteImport) {
  std::string probe = guest("spin1_sqlite_probe");
  ASSERT_TRUE(fs::exists(probe)) << probe;
  TempApp app(app_of(probe, R"("default")"));
  auto server = start({"-f", app.manifest().string(), "--sqlite", "CREATE TABLE seeded (v)",
                       "--sqlite", "INSERT INTO seeded VALUES (7)"});
  ASSERT_TRUE(server);
  EXPECT_EQ(sql(*server, "default", kPets), std::string("200 ") + kPetsRows);
  EXPECT_EQ(sql(*server, "default", "SELECT v FROM seeded"), "200 columns: v\nrow: i:7\n");
  EXPECT_EQ(sql(*server, "default", "SELECT * FROM nope"), "500 execute: io: no such table: nope");
  EXPECT_EQ(sql(*server, "private", "SELECT 1"), "403 open: access-denied");
  EXPECT_EQ(sql(*server, "default?close", "SELECT 1"), "500 execute: invalid-connection");
}

}  // namespace
}  // namespace lepton::testing
