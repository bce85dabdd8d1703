// End-to-end outbound PostgreSQL: `lepton up` serving the C guests tests/guests/components/
// postgres.c (spin:postgres/postgres@4.0.0) and postgres3.c (@3.0.0) against a real server
// (tests/support/postgres_server.h), results checked from the server side too.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lepton_process.h"
#include "support/postgres_server.h"

namespace lepton::testing {
namespace {

std::string app(const std::string& guest_name, const std::string& hosts,
                const std::string& variables = "") {
  return fmt::format(R"(spin_manifest_version = 2
[application]
name = "pg"
{}
[[trigger.http]]
route = "/..."
component = "p"
[component.p]
source = "{}"
allowed_outbound_hosts = [{}]
)",
                     variables, guest("components/" + guest_name), hosts);
}

std::string encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out.push_back(static_cast<char>(c));
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

class PostgresE2ETest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    server_ = PostgresServer::start(&why).release();
    if (server_ == nullptr) {
      skip_ = why;
      failed_ = PostgresServer::bin_dir().has_value();
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    for (const char* g : {"postgres", "postgres3", "postgres2"})
      if (auto why = missing_component(g); !why.empty()) GTEST_SKIP() << why;
    if (failed_) FAIL() << skip_;
    if (!skip_.empty()) GTEST_SKIP() << skip_;
  }

  void serve(const std::string& manifest, std::vector<std::string> extra = {}) {
    app_ = std::make_unique<TempApp>(manifest);
    std::vector<std::string> args{"-f", app_->manifest().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string failure;
    lepton_ = LeptonServer::start(args, &failure);
    ASSERT_TRUE(lepton_) << failure;
  }

  // GET /?op=&addr=&sql=&p=...: "<status> <body>".
  std::string call(const std::string& op, const std::string& sql,
                   const std::vector<std::string>& params = {}, const std::string& addr = "") {
    std::string path = "/?op=" + op + "&addr=" + encode(addr.empty() ? server_->url() : addr) +
                       "&sql=" + encode(sql);
    for (const auto& p : params) path += "&p=" + encode(p);
    auto r = lepton_->get(path);
    if (!r) return "request failed: " + r.error().message;
    return std::to_string(r->status) + " " + r->body;
  }

  static inline PostgresServer* server_ = nullptr;
  static inline std::string skip_;
  static inline bool failed_ = false;
  std::unique_ptr<TempApp> app_;
  std::unique_ptr<LeptonServer> lepton_;
};

TEST_F(PostgresE2ETest, V4ExecuteAndQueryReachTheServer) {
  serve(app("postgres", "\"postgres://127.0.0.1:" + std::to_string(server_->port()) + "\""));
  ASSERT_EQ(call("execute", "DROP TABLE IF EXISTS pets"), "200 0");
  ASSERT_EQ(call("execute",
                 "CREATE TABLE pets (id serial PRIMARY KEY, name text NOT NULL, "
                 "age int, born date, tags text[], meta jsonb)"),
            "200 0");
  EXPECT_EQ(call("execute",
                 "INSERT INTO pets (name, age, born, tags, meta) VALUES ($1, $2, $3, $4, $5), "
                 "($6, $7, $8, $9, $10)",
                 {"str:Rex", "i32:3", "date:2021-05-04", "astr:good;n", "jsonb:{\"k\": [1]}",
                  "str:Tom", "null:", "date:2019-01-31", "astr:", "null:"}),
            "200 2");
  EXPECT_EQ(server_->query("SELECT string_agg(name || '/' || coalesce(age::text, '-'), ',' ORDER "
                           "BY id) FROM pets"),
            "Rex/3,Tom/-");
  EXPECT_EQ(call("query", "SELECT name, age, born, tags, meta FROM pets ORDER BY id"),
            "200 name:str,age:int32,born:date,tags:array-str,meta:jsonb\n"
            "Rex|3|2021-05-04|{good,NULL}|{\"k\": [1]}\n"
            "Tom|NULL|2019-01-31|{}|NULL");
  EXPECT_EQ(call("execute", "UPDATE pets SET age = age + $1 WHERE age IS NOT NULL", {"i64:2"}),
            "200 1");
  EXPECT_EQ(server_->query("SELECT age FROM pets WHERE name = 'Rex'"), "5");
  EXPECT_EQ(call("query", "SELECT count(*) AS n FROM pets WHERE name = $1", {"str:nobody"}),
            "200 n:int64\n0");
}

// Every 4.0.0 value case through the guest's canonical ABI: a parameter in, a column out.
TEST_F(PostgresE2ETest, V4EveryValueCaseCrossesTheComponentBoundary) {
  serve(app("postgres", "\"postgres://127.0.0.1:*\""));
  auto echo = [&](const std::string& cast, const std::string& param) {
    return call("query", "SELECT $1::" + cast + " AS v", {param});
  };
  EXPECT_EQ(echo("boolean", "bool:true"), "200 v:boolean\ntrue");
  EXPECT_EQ(echo("smallint", "i16:-32768"), "200 v:int16\n-32768");
  EXPECT_EQ(echo("smallint", "i8:-7"), "200 v:int16\n-7");
  EXPECT_EQ(echo("integer", "i32:2147483647"), "200 v:int32\n2147483647");
  EXPECT_EQ(echo("bigint", "i64:-9223372036854775807"), "200 v:int64\n-9223372036854775807");
  EXPECT_EQ(echo("real", "f32:1.5"), "200 v:floating32\n1.5");
  EXPECT_EQ(echo("double precision", "f64:0.1"), "200 v:floating64\n0.10000000000000001");
  EXPECT_EQ(echo("text", "str:h\xc3\xa9llo|x"), "200 v:str\nh\xc3\xa9llo|x");
  EXPECT_EQ(echo("bytea", "bin:AB"), "200 v:binary\n\\x4142");
  EXPECT_EQ(echo("date", "date:2024-02-29"), "200 v:date\n2024-02-29");
  EXPECT_EQ(echo("time", "time:13-14-15-500000000"), "200 v:time\n13:14:15.500000000");
  EXPECT_EQ(echo("timestamp", "datetime:2001-02-03-04-05-06-7000"),
            "200 v:datetime\n2001-02-03 04:05:06.000007000");
  EXPECT_EQ(echo("timestamptz", "ts:86400"), "200 v:datetime\n1970-01-02 00:00:00.000000000");
  EXPECT_EQ(echo("uuid", "uuid:A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"),
            "200 v:uuid\na0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  EXPECT_EQ(echo("jsonb", "jsonb:[1, \"two\"]"), "200 v:jsonb\n[1, \"two\"]");
  EXPECT_EQ(echo("numeric", "dec:-1234.5600"), "200 v:decimal\n-1234.5600");
  EXPECT_EQ(echo("int4range", "r32:1;i;10;e"), "200 v:range-int32\n[1,10)");
  EXPECT_EQ(echo("int4range", "r32:;e;10;i"), "200 v:range-int32\n(,11)");
  EXPECT_EQ(echo("int8range", "r64:5000000000;e;;e"), "200 v:range-int64\n[5000000001,)");
  EXPECT_EQ(echo("numrange", "rdec:1.5;e;2.5;i"), "200 v:range-decimal\n(1.5,2.5]");
  EXPECT_EQ(echo("integer[]", "a32:1;n;3"), "200 v:array-int32\n{1,NULL,3}");
  EXPECT_EQ(echo("bigint[]", "a64:9000000000"), "200 v:array-int64\n{9000000000}");
  EXPECT_EQ(echo("numeric[]", "adec:1.10;n"), "200 v:array-decimal\n{1.10,NULL}");
  EXPECT_EQ(echo("text[]", "astr:a;b"), "200 v:array-str\n{a,b}");
  EXPECT_EQ(echo("interval", "interval:1500000;2;14"), "200 v:interval\n1500000us/2d/14m");
  EXPECT_EQ(echo("integer", "null:"), "200 v:int32\nNULL");
  EXPECT_EQ(call("query", "SELECT '10.0.0.1'::inet AS v"),
            "200 v:other(inet)\nunsupported(8 bytes)");
}

TEST_F(PostgresE2ETest, V4ErrorsAreSpinsVariants) {
  serve(app("postgres", "\"postgres://127.0.0.1:*\""));
  EXPECT_EQ(call("query", "SELECT * FROM no_such_table"),
            "502 error: query-failed: db-error 42P01 relation \"no_such_table\" does not exist");
  EXPECT_EQ(call("query", "SELECT $1", {"uuid:nope"}),
            "502 error: bad-parameter: parameter 1: invalid UUID nope");
  auto no_db = call("query", "SELECT 1", {},
                    "postgres://postgres@127.0.0.1:" + std::to_string(server_->port()) + "/nodb");
  EXPECT_TRUE(no_db.starts_with("502 error: connection-failed: ")) << no_db;
  EXPECT_NE(no_db.find("nodb"), std::string::npos) << no_db;
}

// Handles opened to one address in one request share a connection.
TEST_F(PostgresE2ETest, OneConnectionPerAddressPerRequest) {
  serve(app("postgres", "\"postgres://127.0.0.1:*\""));
  auto pids = call("pids", "");
  ASSERT_TRUE(pids.starts_with("200 ")) << pids;
  std::string both = pids.substr(4);
  size_t comma = both.find(',');
  EXPECT_EQ(both.substr(0, comma), both.substr(comma + 1));
  EXPECT_NE(both.substr(0, comma), "-1");
}

TEST_F(PostgresE2ETest, DeniedHostIsConnectionFailedAndNothingConnects) {
  // Another port of the same host, and another host: neither grants the server's address.
  serve(app("postgres", "\"postgres://example.com\", \"postgres://127.0.0.1:1\""));
  std::string port = std::to_string(server_->port());
  size_t before = server_->connections_received();
  EXPECT_EQ(
      call("execute", "CREATE TABLE denied (x int)"),
      "502 error: connection-failed: address postgres://127.0.0.1:" + port + " is not permitted");
  EXPECT_EQ(
      call("query", "SELECT 1", {}, "postgres://postgres@localhost:" + port + "/postgres"),
      "502 error: connection-failed: address postgres://localhost:" + port + " is not permitted");
  EXPECT_EQ(call("query", "SELECT 1", {}, "host=/tmp user=postgres"),
            "502 error: connection-failed: Unix sockets are not supported on WebAssembly");
  EXPECT_EQ(server_->connections_received(), before);
  EXPECT_EQ(server_->query("SELECT to_regclass('denied') IS NULL"), "t");
}

// [outbound_networking] block_networks wins over allowed_outbound_hosts.
TEST_F(PostgresE2ETest, ABlockedNetworkIsDeniedEvenWhenGranted) {
  TempApp config("");
  config.write("rc.toml", "[outbound_networking]\nblock_networks = [\"127.0.0.0/8\"]\n");
  serve(app("postgres", "\"postgres://127.0.0.1:" + std::to_string(server_->port()) + "\""),
        {"--runtime-config-file", (config.dir() / "rc.toml").string()});
  size_t before = server_->connections_received();
  std::string r = call("execute", "CREATE TABLE blocked (x int)");
  EXPECT_TRUE(r.starts_with("502 error: connection-failed: destination IP prohibited")) << r;
  EXPECT_EQ(server_->connections_received(), before);
}

TEST_F(PostgresE2ETest, NoAllowedHostsMeansNoPostgres) {
  serve(app("postgres", ""));
  EXPECT_EQ(call("query", "SELECT 1"),
            "502 error: connection-failed: address postgres://127.0.0.1:" +
                std::to_string(server_->port()) + " is not permitted");
}

TEST_F(PostgresE2ETest, AllowedHostFromVariableTemplate) {
  serve(app("postgres", "\"postgres://{{ pg_host }}:{{ pg_port }}\"",
            "[variables]\npg_host = { default = \"127.0.0.1\" }\npg_port = { required = true }"),
        {"--variable", "pg_port=" + std::to_string(server_->port())});
  EXPECT_EQ(call("query", "SELECT 7 AS n"), "200 n:int32\n7");
}

TEST_F(PostgresE2ETest, V3QueryAndExecute) {
  serve(app("postgres3", "\"postgres://127.0.0.1:*\""));
  ASSERT_EQ(call("execute", "CREATE TABLE IF NOT EXISTS v3 (id int, at timestamp, u uuid)"),
            "200 0");
  EXPECT_EQ(call("execute", "INSERT INTO v3 VALUES ($1, $2, gen_random_uuid())",
                 {"i32:1", "datetime:2020-01-02-03-04-05-0"}),
            "200 1");
  // uuid has no 3.0.0 case: unsupported value, `other` type
  EXPECT_EQ(
      call("query", "SELECT id, at, u, $1::text AS s FROM v3", {"str:x"}),
      "200 id:int32,at:datetime,u:other,s:str\n1|2020-01-02 03:04:05.000000000|unsupported|x");
  EXPECT_EQ(call("query", "SELECT nope"),
            "502 error: query-failed: db error: ERROR: column \"nope\" does not exist");
}

// fermyon:spin/postgres@2.0.0 (Spin 2 SDKs): same calls, rdbms-types values, execute's count.
TEST_F(PostgresE2ETest, V2QueryExecuteAndDenial) {
  serve(app("postgres2", "\"postgres://127.0.0.1:" + std::to_string(server_->port()) + "\""));
  ASSERT_EQ(call("execute", "CREATE TABLE IF NOT EXISTS v2 (id int, name text, big bigint)"),
            "200 0");
  EXPECT_EQ(call("execute", "INSERT INTO v2 VALUES ($1, $2, $3), ($4, $5, $6)",
                 {"i32:1", "str:one", "i64:10000000000", "i32:2", "null:", "i64:-1"}),
            "200 2");
  EXPECT_EQ(server_->query("SELECT string_agg(coalesce(name, '-'), ',' ORDER BY id) FROM v2"),
            "one,-");
  EXPECT_EQ(call("query", "SELECT id, name, big, true AS t FROM v2 ORDER BY id"),
            "200 id:int32,name:str,big:int64,t:boolean\n1|one|10000000000|true\n2|NULL|-1|true");
  EXPECT_EQ(call("query", "SELECT nope"),
            "502 error: query-failed: db error: ERROR: column \"nope\" does not exist");
  serve(app("postgres2", "\"postgres://example.com\""));
  EXPECT_EQ(call("query", "SELECT 1"),
            "502 error: connection-failed: address postgres://127.0.0.1:" +
                std::to_string(server_->port()) + " is not permitted");
}

// TLS where the address asks for it: libpq negotiates it (the fixture has no TLS, so a required
// TLS connection fails naming SSL, and nothing falls back to plain text).
TEST_F(PostgresE2ETest, SslmodeRequireInsistsOnTls) {
  serve(app("postgres", "\"postgres://127.0.0.1:" + std::to_string(server_->port()) + "\""));
  std::string url = server_->url();
  url += url.find('?') == std::string::npos ? "?sslmode=require" : "&sslmode=require";
  std::string r = call("query", "SELECT 1", {}, url);
  EXPECT_TRUE(r.starts_with("502 error: connection-failed: ")) << r;
  EXPECT_NE(r.find("SSL"), std::string::npos) << r;
}

TEST_F(PostgresE2ETest, V3DeniedHost) {
  serve(app("postgres3", "\"postgres://example.com\""));
  EXPECT_EQ(call("query", "SELECT 1"),
            "502 error: connection-failed: address postgres://127.0.0.1:" +
                std::to_string(server_->port()) + " is not permitted");
}

// Spin 1 core module (tests/guests/spin1_probe.c, /pg) over the `outbound-pg` import.
TEST_F(PostgresE2ETest, Spin1OutboundPg) {
  auto manifest = [&](const std::string& hosts) {
    return fmt::format(R"(spin_manifest_version = 2
[application]
name = "pg1"
[[trigger.http]]
route = "/..."
component = "probe"
[component.probe]
source = "{}"
allowed_outbound_hosts = [{}]
)",
                       guest("spin1_probe"), hosts);
  };
  std::string port = std::to_string(server_->port());
  serve(manifest("\"postgres://example.com\""));
  auto r = lepton_->get("/pg?" + server_->url());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(r->body,
            "pg-error create 1 address postgres://127.0.0.1:" + port + " is not permitted");
  EXPECT_EQ(server_->query("SELECT to_regclass('spin1_pg') IS NULL"), "t");
  lepton_.reset();

  serve(manifest("\"postgres://127.0.0.1:" + port + "\""));
  r = lepton_->get("/pg?" + server_->url());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200) << r->body;
  // int32 3, str 11, floating64 10, other 13 (timestamptz: an unsupported value, tag 14)
  EXPECT_EQ(r->body, "inserted=1 rows=1 cols=id:3,name:11,f:10,n:3,t:13 7|seven|15/10|null|tag14");
  EXPECT_EQ(server_->query("SELECT name FROM spin1_pg WHERE id = 7"), "seven");
  r = lepton_->get("/pg?postgres://postgres@127.0.0.1:" + port + "/nodb");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 502);
  EXPECT_TRUE(r->body.starts_with("pg-error create 1 ")) << r->body;
}

}  // namespace
}  // namespace lepton::testing
