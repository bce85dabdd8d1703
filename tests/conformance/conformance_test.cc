// The conformance runner: one test per folder of tests/conformance/ (the enabled list comes from
// CMake, LEPTON_CONFORMANCE_TESTS). Each folder holds Spin's conformance-suite files for one test:
// spin.toml and test.json5 (fermyon/conformance-tests), run against `lepton up` with guests
// written for lepton (tests/conformance/components/*.c). See docs/conformance.md.
//
// Per test: parse test.json5; start what its preconditions ask for (redis: a throwaway
// redis-server; http-echo / tcp-echo: in-process echo servers; key-value-store and sqlite: the
// app's default stores, nothing to start); substitute %{source=<component>} (the guest copied
// into the app directory) and %{port=<guest port>} (the host port of the service standing in
// for it) in spin.toml and in the request headers; start `lepton up`; send each invocation and
// compare status, body and headers as upstream's runner does (names case-insensitive, values
// lowercased, `optional` headers may be missing, a header without value is checked for
// presence only, any header not listed is a failure).
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/json5.h"
#include "conformance/services.h"
#include "support/lepton_process.h"
#include "support/redis_server.h"

// The mqtt and postgres preconditions use the broker and database fixtures of tests/support when
// the tree has them (they arrive with lepton's MQTT and PostgreSQL host interfaces).
#if __has_include("support/mosquitto_server.h")
#include "support/mosquitto_server.h"
#define LEPTON_CONFORMANCE_HAVE_MQTT 1
#endif
#if __has_include("support/postgres_server.h") && __has_include(<libpq-fe.h>)
#include <libpq-fe.h>

#include "support/postgres_server.h"
#define LEPTON_CONFORMANCE_HAVE_POSTGRES 1
#endif

namespace lepton::testing {
namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

// ---- test.json5 -----------------------------------------------------------------------------

struct ExpectedHeader {
  std::string name;
  std::optional<std::string> value;
  bool optional = false;
};

struct Invocation {
  std::string method = "GET";
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> body;
  int status = 200;
  std::vector<ExpectedHeader> expected_headers;
  std::string expected_body;
};

struct Precondition {
  std::string kind;
  std::string label;  // key-value-store only
};

struct TestConfig {
  std::vector<Invocation> invocations;
  std::vector<Precondition> preconditions;
};

Result<std::string> read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read {}", path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<void> only_fields(const nlohmann::json& object, std::initializer_list<std::string> known,
                         std::string_view where) {
  if (!object.is_object()) return fail("{} must be an object", where);
  for (const auto& [key, value] : object.items()) {
    bool found = false;
    for (const auto& k : known) found = found || k == key;
    if (!found) return fail("unknown field '{}' in {}", key, where);
  }
  return {};
}

Result<std::string> string_field(const nlohmann::json& object, const char* name,
                                 std::string_view where) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return fail("{} needs a string '{}'", where, name);
  return it->get<std::string>();
}

Result<TestConfig> parse_config(const fs::path& path) {
  LEPTON_TRY(std::string text, read_text(path));
  auto json_text = json5_to_json(text);
  if (!json_text) return json_text.error().context(path.string());
  nlohmann::json doc = nlohmann::json::parse(*json_text, nullptr, false);
  if (doc.is_discarded()) return fail("{}: not valid JSON after JSON5 conversion", path.string());
  LEPTON_CHECK(only_fields(doc, {"invocations", "preconditions"}, "the test config"));
  TestConfig config;
  if (!doc.contains("invocations") || !doc["invocations"].is_array())
    return fail("{}: 'invocations' must be a list", path.string());
  size_t index = 0;
  for (const auto& inv : doc["invocations"]) {
    std::string where = fmt::format("invocation #{}", index++);
    LEPTON_CHECK(only_fields(inv, {"request", "response"}, where));
    Invocation out;
    const auto& req = inv.value("request", nlohmann::json::object());
    LEPTON_CHECK(only_fields(req, {"method", "path", "headers", "body"}, where + " request"));
    if (req.contains("method")) {
      LEPTON_TRY(out.method, string_field(req, "method", where));
      for (char& c : out.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (out.method != "GET" && out.method != "POST")
        return fail("{}: method '{}' is not GET or POST", where, out.method);
    }
    if (req.contains("path")) {
      LEPTON_TRY(out.path, string_field(req, "path", where));
    }
    for (const auto& h : req.value("headers", nlohmann::json::array())) {
      LEPTON_CHECK(only_fields(h, {"name", "value"}, where + " request header"));
      LEPTON_TRY(std::string name, string_field(h, "name", where + " request header"));
      LEPTON_TRY(std::string value, string_field(h, "value", where + " request header"));
      out.headers.emplace_back(std::move(name), std::move(value));
    }
    if (req.contains("body") && !req["body"].is_null()) {
      LEPTON_TRY(out.body, string_field(req, "body", where));
    }
    if (!inv.contains("response")) return fail("{} has no response", where);
    const auto& resp = inv["response"];
    LEPTON_CHECK(only_fields(resp, {"status", "headers", "body"}, where + " response"));
    if (resp.contains("status")) {
      if (!resp["status"].is_number_integer()) return fail("{}: status must be a number", where);
      out.status = resp["status"].get<int>();
    }
    for (const auto& h : resp.value("headers", nlohmann::json::array())) {
      LEPTON_CHECK(only_fields(h, {"name", "value", "optional"}, where + " response header"));
      ExpectedHeader e;
      LEPTON_TRY(e.name, string_field(h, "name", where + " response header"));
      if (h.contains("value") && !h["value"].is_null()) {
        LEPTON_TRY(e.value, string_field(h, "value", where + " response header"));
      }
      if (h.contains("optional")) {
        if (!h["optional"].is_boolean()) return fail("{}: 'optional' must be a boolean", where);
        e.optional = h["optional"].get<bool>();
      }
      out.expected_headers.push_back(std::move(e));
    }
    if (resp.contains("body") && !resp["body"].is_null()) {
      LEPTON_TRY(out.expected_body, string_field(resp, "body", where));
    }
    config.invocations.push_back(std::move(out));
  }
  for (const auto& p : doc.value("preconditions", nlohmann::json::array())) {
    Precondition out;
    LEPTON_TRY(out.kind, string_field(p, "kind", "a precondition"));
    if (out.kind == "key-value-store") {
      LEPTON_CHECK(only_fields(p, {"kind", "label"}, "the key-value-store precondition"));
      LEPTON_TRY(out.label, string_field(p, "label", "the key-value-store precondition"));
    } else {
      LEPTON_CHECK(only_fields(p, {"kind"}, "precondition " + out.kind));
    }
    config.preconditions.push_back(std::move(out));
  }
  return config;
}

// ---- %{key=value} templates -----------------------------------------------------------------

// Replaces every %{key=value} in `text` with replace(key, value) (trimmed, as upstream).
template <typename F>
Result<std::string> substitute(const std::string& text, F&& replace) {
  static const std::regex kTemplate(R"(%\{(.*?)\})");
  std::string out;
  auto begin = std::sregex_iterator(text.begin(), text.end(), kTemplate);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    out.append(text, last, static_cast<size_t>(m.position(0)) - last);
    std::string inner = m[1];
    size_t eq = inner.find('=');
    if (eq == std::string::npos)
      return fail("invalid template '{}' (template should be in the form $KEY=$VALUE)", inner);
    auto trim = [](std::string s) {
      size_t a = s.find_first_not_of(" \t");
      size_t b = s.find_last_not_of(" \t");
      return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
    };
    LEPTON_TRY(std::string replacement,
               replace(trim(inner.substr(0, eq)), trim(inner.substr(eq + 1))));
    out += replacement;
    last = static_cast<size_t>(m.position(0) + m.length(0));
  }
  out.append(text, last);
  return out;
}

// ---- the services of the preconditions ------------------------------------------------------

struct Environment {
  fs::path app_dir;
  std::map<uint16_t, uint16_t> ports;  // guest port (as in the test files) -> host port
  std::vector<std::unique_ptr<EchoService>> echo;
  std::unique_ptr<RedisServer> redis;
#ifdef LEPTON_CONFORMANCE_HAVE_MQTT
  std::unique_ptr<MosquittoServer> mqtt;
#endif
#ifdef LEPTON_CONFORMANCE_HAVE_POSTGRES
  std::unique_ptr<PostgresServer> postgres;
#endif
  std::string runtime_config;  // runtime-config.toml text, when a precondition needs one

  ~Environment() {
    std::error_code ec;
    if (!app_dir.empty()) fs::remove_all(app_dir, ec);
  }

  Result<std::string> port(const std::string& value) const {
    int guest = 0;
    try {
      guest = std::stoi(value);
    } catch (...) {
      return fail("failed to parse '{}' as port", value);
    }
    auto it = ports.find(static_cast<uint16_t>(guest));
    if (it == ports.end()) return fail("no port {} exposed by any service", guest);
    return std::to_string(it->second);
  }
};

#ifdef LEPTON_CONFORMANCE_HAVE_POSTGRES
// Creates the database the postgres test connects to (spin_dev) and loads postgres/init.sql.
Result<void> load_postgres(const PostgresServer& server) {
  std::string created = server.query("CREATE DATABASE spin_dev");
  if (created.starts_with("ERROR")) return fail("precondition postgres: {}", created);
  LEPTON_TRY(std::string script,
             read_text(fs::path(LEPTON_CONFORMANCE_DIR) / "postgres" / "init.sql"));
  std::string conninfo =
      fmt::format("host=127.0.0.1 port={} user=postgres dbname=spin_dev", server.port());
  PGconn* conn = PQconnectdb(conninfo.c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* r = PQexec(conn, script.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK) error = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(conn);
  if (!error.empty()) return fail("precondition postgres: loading init.sql: {}", error);
  return {};
}
#endif

// Starts the services of `preconditions` into `env`. Returns a skip reason (non-empty) when a
// service's program is missing here.
Result<std::string> start_services(const std::vector<Precondition>& preconditions,
                                   Environment& env) {
  for (const auto& p : preconditions) {
    std::string why;
    if (p.kind == "http-echo" || p.kind == "tcp-echo") {
      bool http = p.kind == "http-echo";
      auto service =
          EchoService::start(http ? EchoService::Kind::kHttp : EchoService::Kind::kTcp, &why);
      if (!service) return fail("precondition {}: {}", p.kind, why);
      env.ports[http ? 80 : 7] = service->port();
      env.echo.push_back(std::move(service));
    } else if (p.kind == "redis") {
      if (!RedisServer::binary()) return std::string("redis-server is not installed");
      env.redis = RedisServer::start(&why);
      if (!env.redis) return fail("precondition redis: {}", why);
      env.ports[6379] = env.redis->port();
    } else if (p.kind == "key-value-store") {
      // "default" is always there (a SQLite file in the app's state directory); another label
      // gets a store of its own through a runtime config file.
      if (p.label != "default")
        env.runtime_config += fmt::format(
            "[key_value_store.{}]\ntype = \"spin\"\npath = \"{}.db\"\n", p.label, p.label);
    } else if (p.kind == "sqlite") {
      // The default database, in the app's state directory: nothing to start.
#ifdef LEPTON_CONFORMANCE_HAVE_MQTT
    } else if (p.kind == "mqtt") {
      // Anonymous clients allowed (upstream's broker also knows user/password, which the test
      // sends; without a password file mosquitto does not check them).
      env.mqtt = MosquittoServer::start(&why);
      if (!env.mqtt && why.find("not found") != std::string::npos) return why;  // skip
      if (!env.mqtt) return fail("precondition mqtt: {}", why);
      env.ports[1883] = env.mqtt->port();
#endif
#ifdef LEPTON_CONFORMANCE_HAVE_POSTGRES
    } else if (p.kind == "postgres") {
      if (!PostgresServer::bin_dir()) return std::string("PostgreSQL is not installed");
      env.postgres = PostgresServer::start(&why);
      if (!env.postgres) return fail("precondition postgres: {}", why);
      LEPTON_CHECK(load_postgres(*env.postgres));
      env.ports[5432] = env.postgres->port();
#endif
    } else {
      return fail("precondition '{}' has no service in this runner yet", p.kind);
    }
  }
  return std::string();
}

// ---- HTTP -----------------------------------------------------------------------------------

struct Actual {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // as received
  std::string body;
};

// Sends one request to 127.0.0.1:port over a fresh HTTP/1.1 connection. Only the listed headers
// (and Host, when the test gives none) go out: no Connection header, so the response carries
// only what the server chose.
Result<Actual> send(uint16_t port, const Invocation& inv) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  bhttp::request<bhttp::string_body> req;
  req.version(11);
  req.method_string(inv.method);
  req.target(inv.path);
  bool has_host = false;
  for (const auto& [name, value] : inv.headers) {
    has_host = has_host || http::header_name_equals(name, "host");
    req.insert(name, value);
  }
  if (!has_host) req.set(bhttp::field::host, fmt::format("127.0.0.1:{}", port));
  if (inv.body) {
    req.body() = *inv.body;
    req.prepare_payload();
  }
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64u << 20);
  beast::error_code result;
  std::string step = "connecting";
  stream.expires_after(std::chrono::seconds(60));
  stream.async_connect(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), port),
                       [&](beast::error_code ec) {
                         if (ec) {
                           result = ec;
                           return;
                         }
                         step = "sending the request";
                         bhttp::async_write(stream, req, [&](beast::error_code ec, size_t) {
                           if (ec) {
                             result = ec;
                             return;
                           }
                           step = "reading the response";
                           bhttp::async_read(stream, buffer, parser,
                                             [&](beast::error_code ec, size_t) { result = ec; });
                         });
                       });
  ioc.run();
  if (result) return fail("{} to 127.0.0.1:{}: {}", step, port, result.message());
  Actual actual;
  const auto& res = parser.get();
  actual.status = static_cast<int>(res.result_int());
  for (const auto& field : res)
    actual.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  actual.body = res.body();
  return actual;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// What differs between the expected and the actual response, as upstream's assert_response
// checks it (status, then body, then headers); empty when they match.
std::string compare(const Invocation& inv, const Actual& actual) {
  if (actual.status != inv.status)
    return fmt::format("actual status {} != expected status {} - body: {}", actual.status,
                       inv.status, actual.body);
  if (actual.body != inv.expected_body)
    return fmt::format("actual body != expected body\nactual: {}\nexpected: {}", actual.body,
                       inv.expected_body);
  std::map<std::string, std::string> headers;  // lowercased; a repeated name keeps the last
  for (const auto& [name, value] : actual.headers) headers[lower(name)] = lower(value);
  for (const auto& e : inv.expected_headers) {
    auto it = headers.find(lower(e.name));
    if (it == headers.end()) {
      if (e.optional) continue;
      return fmt::format("expected header '{}' not found in response", e.name);
    }
    if (e.value && it->second != lower(*e.value))
      return fmt::format("header '{}' has unexpected value '{}' != '{}'", e.name, it->second,
                         lower(*e.value));
    headers.erase(it);
  }
  if (!headers.empty()) {
    std::string list;
    for (const auto& [name, value] : headers)
      list += fmt::format("{}{}: {}", list.empty() ? "" : ", ", name, value);
    return "unexpected headers: " + list;
  }
  return {};
}

// ---- the test -------------------------------------------------------------------------------

std::vector<std::string> enabled_tests() {
  std::vector<std::string> out;
  std::stringstream list(LEPTON_CONFORMANCE_TESTS);
  std::string name;
  while (std::getline(list, name, ','))
    if (!name.empty()) out.push_back(name);
  return out;
}

std::atomic<int> app_counter{0};

class ConformanceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ConformanceTest, Run) {
  const std::string& name = GetParam();
  const fs::path test_dir = fs::path(LEPTON_CONFORMANCE_DIR) / name;
  const fs::path guest_dir = LEPTON_CONFORMANCE_GUEST_DIR;

  auto config = parse_config(test_dir / "test.json5");
  ASSERT_TRUE(config.ok()) << config.error().message;
  auto manifest_template = read_text(test_dir / "spin.toml");
  ASSERT_TRUE(manifest_template.ok()) << manifest_template.error().message;

  Environment env;
  env.app_dir = fs::temp_directory_path() /
                fmt::format("lepton-conformance-{}-{}-{}", name, getpid(), app_counter++);
  fs::remove_all(env.app_dir);
  fs::create_directories(env.app_dir);

  auto skip = start_services(config->preconditions, env);
  ASSERT_TRUE(skip.ok()) << skip.error().message;
  if (!skip->empty()) GTEST_SKIP() << *skip;

  std::string skipped_guest;
  auto manifest = substitute(
      *manifest_template,
      [&](const std::string& key, const std::string& value) -> Result<std::string> {
        if (key == "port") return env.port(value);
        if (key != "source") return fail("unknown template key: {}", key);
        fs::path wasm = guest_dir / (value + ".wasm");
        fs::path reason = guest_dir / (value + ".skip");
        if (fs::exists(reason)) {
          auto why = read_text(reason);
          skipped_guest = why ? *why : "guest not built";
          return std::string("skipped.wasm");
        }
        std::error_code ec;
        fs::copy_file(wasm, env.app_dir / wasm.filename(), fs::copy_options::overwrite_existing,
                      ec);
        if (ec) return fail("no such component '{}' ({}: {})", value, wasm.string(), ec.message());
        return wasm.filename().string();
      });
  ASSERT_TRUE(manifest.ok()) << "spin.toml: " << manifest.error().message;
  if (!skipped_guest.empty()) GTEST_SKIP() << skipped_guest;
  std::ofstream(env.app_dir / "spin.toml", std::ios::binary) << *manifest;

  std::vector<std::string> args = {"-f", (env.app_dir / "spin.toml").string()};
  if (!env.runtime_config.empty()) {
    std::ofstream(env.app_dir / "runtime-config.toml", std::ios::binary) << env.runtime_config;
    args.push_back("--runtime-config-file");
    args.push_back((env.app_dir / "runtime-config.toml").string());
  }
  std::string failure;
  auto server = LeptonServer::start(args, &failure);
  ASSERT_TRUE(server) << "lepton up did not start:\n" << failure;
  uint16_t port = static_cast<uint16_t>(
      std::stoi(server->base_url().substr(server->base_url().rfind(':') + 1)));

  size_t index = 0;
  for (Invocation inv : config->invocations) {
    std::string what = fmt::format("invocation #{} ({} {})", index++, inv.method, inv.path);
    bool substituted = true;
    for (auto& [header, value] : inv.headers) {
      auto v = substitute(
          value, [&](const std::string& key, const std::string& arg) -> Result<std::string> {
            if (key != "port") return fail("unknown template key: {}", key);
            return env.port(arg);
          });
      if (!v) {
        ADD_FAILURE() << what << ": request header '" << header << "': " << v.error().message;
        substituted = false;
        break;
      }
      value = *v;
    }
    if (!substituted) continue;
    auto actual = send(port, inv);
    if (!actual) {
      ADD_FAILURE() << what << ": failed to send the request to lepton: " << actual.error().message
                    << "\nlepton output:\n"
                    << server->output();
      continue;
    }
    std::string diff = compare(inv, *actual);
    if (!diff.empty()) {
      std::string headers;
      for (const auto& [n, v] : actual->headers) headers += fmt::format("  {}: {}\n", n, v);
      ADD_FAILURE() << what << ": " << diff << "\nresponse headers:\n"
                    << headers << "lepton output:\n"
                    << server->output();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(conformance, ConformanceTest, ::testing::ValuesIn(enabled_tests()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string id = info.param;
                           for (char& c : id)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return id;
                         });

// ---- the runner's own pieces ----------------------------------------------------------------

TEST(ConformanceRunner, Json5ReadsWhatJson5Adds) {
  auto json = json5_to_json(R"({
    // a comment
    unquoted: 'single "quoted"', /* block
    comment */ "list": [1, 0x1F, .5, +2, 'a\'b',],
    nested: {optional: true,},
  })");
  ASSERT_TRUE(json.ok()) << json.error().message;
  auto doc = nlohmann::json::parse(*json);
  EXPECT_EQ(doc["unquoted"], "single \"quoted\"");
  EXPECT_EQ(doc["list"][1], 31);
  EXPECT_EQ(doc["list"][2], 0.5);
  EXPECT_EQ(doc["list"][3], 2);
  EXPECT_EQ(doc["list"][4], "a'b");
  EXPECT_EQ(doc["nested"]["optional"], true);
  EXPECT_EQ(doc["list"].size(), 5u);
}

TEST(ConformanceRunner, Json5ErrorsNameTheLine) {
  auto json = json5_to_json("{\n  a: 1,\n  b: @\n}");
  ASSERT_FALSE(json.ok());
  EXPECT_NE(json.error().message.find("line 3"), std::string::npos) << json.error().message;
  EXPECT_FALSE(json5_to_json("{a: 'unterminated}").ok());
}

TEST(ConformanceRunner, ComparisonFollowsUpstream) {
  Invocation inv;
  inv.expected_headers = {{"Content-Length", "0", false}, {"Date", std::nullopt, true}};
  Actual ok{200, {{"content-length", "0"}, {"date", "x"}}, ""};
  EXPECT_EQ(compare(inv, ok), "");
  Actual no_date{200, {{"Content-Length", "0"}}, ""};
  EXPECT_EQ(compare(inv, no_date), "");
  Actual extra{200, {{"content-length", "0"}, {"connection", "close"}}, ""};
  EXPECT_EQ(compare(inv, extra), "unexpected headers: connection: close");
  Actual missing{200, {{"date", "x"}}, ""};
  EXPECT_EQ(compare(inv, missing), "expected header 'Content-Length' not found in response");
  Actual status{500, {}, "boom"};
  EXPECT_EQ(compare(inv, status), "actual status 500 != expected status 200 - body: boom");
  Actual body{200, {{"content-length", "1"}}, "x"};
  EXPECT_NE(compare(inv, body).find("actual body != expected body"), std::string::npos);
}

TEST(ConformanceRunner, TemplatesSubstitute) {
  auto out = substitute("a %{port=80} b %{ port = 7 }",
                        [](const std::string& k, const std::string& v) -> Result<std::string> {
                          return k + ":" + v;
                        });
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "a port:80 b port:7");
  EXPECT_FALSE(
      substitute("%{nokey}", [](const std::string&, const std::string&) -> Result<std::string> {
        return std::string();
      }).ok());
}

}  // namespace
}  // namespace lepton::testing
