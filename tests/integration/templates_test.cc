// End-to-end: `lepton new`, `lepton add` and `lepton templates` through the real binary, and the
// http-c template from `new` through its build command to `lepton up` answering 200.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <toml++/toml.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "lepton_process.h"
#include "support/redis_server.h"

namespace lepton::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kRepo = (fs::path(LEPTON_TEST_DATA) / ".." / ".." / "..").lexically_normal();
const fs::path kSpinRepo = kRepo / "tests" / "templates" / "data" / "spin-repo";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class TemplatesCli : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = (fs::temp_directory_path() / "lepton-new-XXXXXX").string();
    dir_ = mkdtemp(t.data());
    setenv("LEPTON_BUILTIN_TEMPLATES", (kRepo / "templates").c_str(), 1);
    setenv("LEPTON_TEMPLATES_DIR", (dir_ / "store").c_str(), 1);
    setenv("GIT_AUTHOR_NAME", "Ada Lovelace", 1);
    setenv("GIT_AUTHOR_EMAIL", "ada@example.com", 1);
  }
  void TearDown() override { fs::remove_all(dir_); }

  ProcessResult lepton(std::vector<std::string> args) { return run_lepton(args); }

  fs::path dir_;
};

TEST_F(TemplatesCli, EveryCommandHasHelp) {
  for (auto args : std::vector<std::vector<std::string>>{{"new", "--help"},
                                                         {"add", "--help"},
                                                         {"templates", "--help"},
                                                         {"templates", "install", "--help"},
                                                         {"templates", "list", "--help"},
                                                         {"templates", "uninstall", "--help"}}) {
    auto r = lepton(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.output;
    EXPECT_NE(r.output.find("Usage"), std::string::npos) << r.output;
  }
  auto r = lepton({"new", "--help"});
  for (const char* flag : {"--template", "--output", "--value", "--values-file",
                           "--accept-defaults", "--init", "--allow-overwrite", "--tag"})
    EXPECT_NE(r.output.find(flag), std::string::npos) << flag;
}

TEST_F(TemplatesCli, NewFromBuiltInTemplate) {
  auto r = lepton(
      {"new", "-t", "http-empty", "my-app", "-o", (dir_ / "app").string(), "--accept-defaults"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string manifest = slurp(dir_ / "app" / "spin.toml");
  EXPECT_NE(manifest.find("name = \"my-app\""), std::string::npos) << manifest;
  EXPECT_NE(manifest.find("authors = [\"Ada Lovelace <ada@example.com>\"]"), std::string::npos)
      << manifest;
  // Again into the same directory: refused unless --allow-overwrite.
  r = lepton(
      {"new", "-t", "http-empty", "my-app", "-o", (dir_ / "app").string(), "--accept-defaults"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("already contains files (use --allow-overwrite)"), std::string::npos)
      << r.output;
  // -v takes one value each: the name after it stays the positional name.
  r = lepton({"new", "-t", "http-empty", "-v", "project-description=Hi there", "my-app", "-o",
              (dir_ / "app").string(), "--accept-defaults", "--allow-overwrite"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(slurp(dir_ / "app" / "spin.toml").find("description = \"Hi there\""),
            std::string::npos);
}

TEST_F(TemplatesCli, NewWithoutTerminalNamesWhatIsMissing) {
  auto r = lepton({"new", "-t", "http-c", "hello", "-o", (dir_ / "a").string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("parameter 'project-description' (Description) not provided: pass -v "
                          "project-description=VALUE or --accept-defaults"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "a"));

  r = lepton({"new", "-t", "http-c", "-o", (dir_ / "a").string(), "--accept-defaults"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("no application name given"), std::string::npos) << r.output;

  r = lepton({"new", "hello", "--accept-defaults"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(
      r.output.find("no template given: use -t TEMPLATE (one of: http-c, http-empty, http-js, "
                    "http-py, http-ts, redirect, redis-c, static-fileserver)"),
      std::string::npos)
      << r.output;

  r = lepton({"new", "-t", "http-c", "HelloWorld", "--accept-defaults"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("name 'HelloWorld' must be kebab-case"), std::string::npos) << r.output;

  r = lepton({"new", "-t", "no-such", "x", "--accept-defaults"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("no template 'no-such'"), std::string::npos) << r.output;

  r = lepton({"new", "-t", "http-c", "hello", "-o", (dir_ / "a").string(), "--accept-defaults",
              "-v", "http-path=nope"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("http-path: Input 'nope' does not match pattern"), std::string::npos)
      << r.output;
}

// With a terminal (faked by util-linux `script`), `new` asks for the template, the name and the
// parameters, and takes the default on an empty answer.
TEST_F(TemplatesCli, PromptsWhenStdinIsATerminal) {
  if (std::system("script --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "no script(1)";
  const fs::path app = dir_ / "inter";
  std::string cmd = "printf '2\\nNot Kebab\\nmy-inter\\nA description\\n' | script -qec '" +
                    std::string(LEPTON_BINARY) + " new -o " + app.string() + "' /dev/null > " +
                    (dir_ / "out.txt").string() + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << slurp(dir_ / "out.txt");
  std::string out = slurp(dir_ / "out.txt");
  EXPECT_NE(out.find("Pick a template to start your application with:"), std::string::npos) << out;
  EXPECT_NE(out.find("Name must be kebab-case"), std::string::npos) << out;
  std::string manifest = slurp(app / "spin.toml");
  EXPECT_NE(manifest.find("name = \"my-inter\""), std::string::npos) << manifest;
  EXPECT_NE(manifest.find("description = \"A description\""), std::string::npos) << manifest;
}

TEST_F(TemplatesCli, ValuesFileAndInit) {
  fs::create_directories(dir_ / "here");
  {
    std::ofstream(dir_ / "values.toml") << "project-description = \"from file\"\n";
  }
  // --init renders into the current directory: run through `sh -c cd`.
  std::string cmd = "cd " + (dir_ / "here").string() + " && " + LEPTON_BINARY +
                    " new -t http-empty here-app --init --values-file " +
                    (dir_ / "values.toml").string() + " > /dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::string manifest = slurp(dir_ / "here" / "spin.toml");
  EXPECT_NE(manifest.find("description = \"from file\""), std::string::npos) << manifest;
  EXPECT_NE(manifest.find("name = \"here-app\""), std::string::npos) << manifest;
}

TEST_F(TemplatesCli, InstallListNewAddUninstallSpinFormatTemplate) {
  auto r = lepton({"templates", "install", "--dir", kSpinRepo.string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Installed template redis-demo"), std::string::npos) << r.output;
  r = lepton({"templates", "install", "--dir", kSpinRepo.string()});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Skipped redis-demo: already installed (use --upgrade"),
            std::string::npos)
      << r.output;

  r = lepton({"templates", "list", "--tag", "redis"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("redis-demo"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("http-c"), std::string::npos) << r.output;
  r = lepton({"templates", "list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\"id\": \"http-c\""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"source\": \"installed\""), std::string::npos) << r.output;

  const fs::path app = dir_ / "redis-app";
  r = lepton({"new", "-t", "redis-demo", "redis-app", "-o", app.string(), "-a", "-v",
              "redis-channel=jobs"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = lepton({"add", "-t", "redis-demo", "worker", "-f", app.string(), "-v", "redis-channel=more",
              "-v", "project-description=", "-v", "language=c"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Added component 'worker'"), std::string::npos) << r.output;
  toml::table doc;
  ASSERT_NO_THROW(doc = toml::parse_file((app / "spin.toml").string()));
  EXPECT_EQ(doc["trigger"]["redis"].as_array()->size(), 2u);
  EXPECT_EQ(doc["component"]["worker"]["build"]["workdir"].value_or(std::string()), "worker");
  EXPECT_TRUE(fs::exists(app / "worker" / "Makefile"));

  r = lepton({"add", "-t", "http-empty", "x", "-f", app.string(), "-a"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("does not support adding a component"), std::string::npos) << r.output;
  r = lepton({"add", "-t", "http-c", "x", "-f", (dir_ / "nowhere").string(), "-a"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("file does not exist"), std::string::npos) << r.output;

  r = lepton({"templates", "uninstall", "redis-demo"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = lepton({"templates", "uninstall", "redis-demo"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  r = lepton({"templates", "install"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

bool have_clang_wasi() {
  return std::system("clang-19 --target=wasm32-wasi --version > /dev/null 2>&1") == 0;
}

// Runs the component's build command as `lepton build` will: in its workdir, through sh.
void build(const fs::path& manifest, const std::string& component) {
  auto doc = toml::parse_file(manifest.string());
  auto* b = doc["component"][component]["build"].as_table();
  ASSERT_NE(b, nullptr);
  fs::path dir = manifest.parent_path() / (*b)["workdir"].value_or(std::string());
  std::string cmd = "cd " + dir.string() + " && " + (*b)["command"].value_or(std::string());
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

TEST_F(TemplatesCli, HttpCFromNewToFirst200) {
  if (!have_clang_wasi()) GTEST_SKIP() << "clang-19 with a wasm32-wasi sysroot is not installed";
  const fs::path app = dir_ / "hello";
  auto r = lepton({"new", "-t", "http-c", "hello", "-o", app.string(), "--accept-defaults"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  build(app / "spin.toml", "hello");
  std::string failure;
  auto server = LeptonServer::start({"-f", (app / "spin.toml").string()}, &failure);
  ASSERT_TRUE(server) << failure;
  auto resp = server->get("/");
  ASSERT_TRUE(resp.ok()) << resp.error().message;
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "Hello from hello! (GET /)\n");
}

TEST_F(TemplatesCli, HttpCAddedToAnEmptyApp) {
  if (!have_clang_wasi()) GTEST_SKIP() << "clang-19 with a wasm32-wasi sysroot is not installed";
  const fs::path app = dir_ / "site";
  auto r = lepton({"new", "-t", "http-empty", "site", "-o", app.string(), "-a"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = lepton({"add", "-t", "http-c", "api", "-f", (app / "spin.toml").string(), "-a", "-v",
              "http-path=/api/..."});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  build(app / "spin.toml", "api");
  std::string failure;
  auto server = LeptonServer::start({"-f", (app / "spin.toml").string()}, &failure);
  ASSERT_TRUE(server) << failure;
  auto resp = server->get("/api/items");
  ASSERT_TRUE(resp.ok()) << resp.error().message;
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "Hello from api! (GET /api/items)\n");
}

// The http-c SDK's whole request/response API, through a handler replacing the template's:
// method, path, query, header lookup (any case), every header, the body (binary safe) in; status,
// set/add/replace headers and the body (larger than one 4 KiB write) out.
TEST_F(TemplatesCli, HttpCSdkRequestAndResponseApi) {
  if (!have_clang_wasi()) GTEST_SKIP() << "clang-19 with a wasm32-wasi sysroot is not installed";
  const fs::path app = dir_ / "echo";
  auto r = lepton({"new", "-t", "http-c", "echo", "-o", app.string(), "-a"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ofstream(app / "main.c") << R"(#include <string.h>
#include "lepton_http.h"

void handle(const lepton_request *req, lepton_response *res) {
  if (strcmp(req->path, "/teapot") == 0) {
    lepton_response_set_status(res, 418);
    return;
  }
  if (strcmp(req->path, "/bad-status") == 0) {
    lepton_response_set_status(res, 1000);
    lepton_response_print(res, "never sent");
    return;
  }
  if (strcmp(req->path, "/big") == 0) {
    for (int i = 0; i < 10000; ++i) lepton_response_printf(res, "%04d\n", i);
    return;
  }
  lepton_response_set_status(res, 201);
  lepton_response_set_header(res, "content-type", "text/plain");
  lepton_response_set_header(res, "x-replaced", "first");
  lepton_response_set_header(res, "X-Replaced", "second");
  lepton_response_add_header(res, "x-many", "a");
  lepton_response_add_header(res, "x-many", "b");
  bool bad = lepton_response_set_header(res, "bad name", "x") ||
             lepton_response_set_header(res, "x-bad", "a\r\nb");
  const char *h = lepton_request_header(req, "X-TEST");
  size_t headers = 0;
  for (size_t i = 0; i < req->header_count; ++i)
    if (strncmp(req->headers[i].name, "x-", 2) == 0) headers++;
  lepton_response_printf(res, "%s %s q=[%s] x-test=%s missing=%s x-headers=%zu bad=%d len=%zu\n",
                         req->method, req->path, req->query, h ? h : "-",
                         lepton_request_header(req, "x-missing") ? "yes" : "no", headers, bad,
                         req->body_len);
  lepton_response_write(res, req->body, req->body_len);
}
)";
  build(app / "spin.toml", "echo");
  std::string failure;
  auto server = LeptonServer::start({"-f", (app / "spin.toml").string()}, &failure);
  ASSERT_TRUE(server) << failure;
  const std::string body("body\0with nul", 13);
  auto resp = server->request("PUT", "/items/7?a=1&b=2", body,
                              {{"x-test", "yes"}, {"x-other", "1"}, {"x-other", "2"}});
  ASSERT_TRUE(resp.ok()) << resp.error().message;
  EXPECT_EQ(resp->status, 201);
  EXPECT_EQ(resp->body,
            "PUT /items/7 q=[a=1&b=2] x-test=yes missing=no x-headers=3 bad=0 len=13\n" + body);
  EXPECT_EQ(resp->header("content-type"), "text/plain");
  EXPECT_EQ(resp->header("x-replaced"), "second");
  std::vector<std::string> many;
  for (const auto& h : resp->headers)
    if (h.name == "x-many") many.push_back(h.value);
  EXPECT_EQ(many, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(http::find_header(resp->headers, "x-bad"), std::nullopt);

  resp = server->get("/no-query");
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->body, "GET /no-query q=[] x-test=- missing=no x-headers=0 bad=0 len=0\n");
  resp = server->get("/teapot");
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->status, 418);
  EXPECT_EQ(resp->body, "");
  resp = server->get("/bad-status");
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->status, 500);
  EXPECT_EQ(resp->body, "");
  resp = server->get("/big");
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->body.size(), 50000u);
  EXPECT_EQ(resp->body.substr(resp->body.size() - 5), "9999\n");
}

// redis-c: `lepton new`, its build command, `lepton up` against a real redis-server, PUBLISH;
// the template's handler prints each message to the component's stdout log.
TEST_F(TemplatesCli, RedisCFromNewToLoggedMessage) {
  if (!have_clang_wasi()) GTEST_SKIP() << "clang-19 with a wasm32-wasi sysroot is not installed";
  std::string why;
  auto redis = RedisServer::start(&why);
  if (!redis && !RedisServer::binary()) GTEST_SKIP() << why;
  ASSERT_TRUE(redis) << why;
  const fs::path app = dir_ / "listener";
  auto r = lepton({"new", "-t", "redis-c", "listener", "-o", app.string(), "-a", "-v",
                   "redis-address=" + redis->url(), "-v", "redis-channel=jobs"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::is_regular_file(app / "lepton-sdk" / "lepton_redis.h"));
  build(app / "spin.toml", "listener");
  std::string failure;
  auto server = LeptonServer::start_until({"-f", (app / "spin.toml").string()},
                                          "Active Channels on [^\n]*\n", &failure);
  ASSERT_TRUE(server) << failure;
  EXPECT_TRUE(server->wait_for_output("/jobs: [listener]")) << server->output();
  EXPECT_EQ(redis->command({"PUBLISH", "jobs", "first job"}), "1");
  EXPECT_EQ(redis->command({"PUBLISH", "other", "not for us"}), "0");
  EXPECT_EQ(redis->command({"PUBLISH", "jobs", "second job"}), "1");
  EXPECT_TRUE(server->wait_for_output("listener received: second job\n")) << server->output();
  const fs::path log = app / ".spin" / "logs" / "listener_stdout.txt";
  std::string text;
  for (int i = 0; i < 100 && text.find("second job") == std::string::npos; ++i) {
    text = slurp(log);
    if (text.find("second job") == std::string::npos)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(text, "listener received: first job\nlistener received: second job\n");
  EXPECT_EQ(server->output().find("failed to handle"), std::string::npos) << server->output();
}

TEST_F(TemplatesCli, RedisCAddedToAnApp) {
  const fs::path app = dir_ / "site";
  auto r = lepton({"new", "-t", "http-empty", "site", "-o", app.string(), "-a"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = lepton({"add", "-t", "redis-c", "worker", "-f", (app / "spin.toml").string(), "-a", "-v",
              "redis-channel=work"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto doc = toml::parse_file((app / "spin.toml").string());
  auto* trigger = doc["trigger"]["redis"][0].as_table();
  ASSERT_NE(trigger, nullptr);
  EXPECT_EQ((*trigger)["channel"].value_or(std::string()), "work");
  EXPECT_EQ((*trigger)["address"].value_or(std::string()), "redis://localhost:6379");
  EXPECT_EQ(doc["component"]["worker"]["source"].value_or(std::string()), "worker/main.wasm");
  EXPECT_EQ(slurp(app / "worker" / "lepton-sdk" / "lepton_redis.c"),
            slurp(kRepo / "sdk" / "c" / "redis" / "lepton_redis.c"));
}

TEST_F(TemplatesCli, StaticFileserverServesTheAssetDirectory) {
  if (!have_clang_wasi()) GTEST_SKIP() << "clang-19 with a wasm32-wasi sysroot is not installed";
  const fs::path app = dir_ / "files";
  auto r = lepton({"new", "-t", "static-fileserver", "files", "-o", app.string(), "-a"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(fs::is_directory(app / "assets"));  // [outputs] create_dir
  std::ofstream(app / "assets" / "index.html") << "<h1>home</h1>";
  fs::create_directories(app / "assets" / "css");
  std::ofstream(app / "assets" / "css" / "site.css") << "body{}";
  build(app / "spin.toml", "files");
  std::string failure;
  auto server = LeptonServer::start({"-f", (app / "spin.toml").string()}, &failure);
  ASSERT_TRUE(server) << failure;
  auto css = server->get("/static/css/site.css");
  ASSERT_TRUE(css.ok()) << css.error().message;
  EXPECT_EQ(css->status, 200);
  EXPECT_EQ(css->body, "body{}");
  auto index = server->get("/static/");
  ASSERT_TRUE(index.ok());
  EXPECT_EQ(index->body, "<h1>home</h1>");
  auto missing = server->get("/static/nope.txt");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
}

TEST_F(TemplatesCli, RedirectAnswersWithLocation) {
  if (!have_clang_wasi()) GTEST_SKIP() << "clang-19 with a wasm32-wasi sysroot is not installed";
  const fs::path app = dir_ / "moved";
  auto r = lepton({"new", "-t", "redirect", "moved", "-o", app.string(), "-a", "-v",
                   "redirect-from=/old", "-v", "redirect-to=https://example.com/new"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  build(app / "spin.toml", "moved");
  std::string failure;
  auto server = LeptonServer::start({"-f", (app / "spin.toml").string()}, &failure);
  ASSERT_TRUE(server) << failure;
  auto resp = server->get("/old");
  ASSERT_TRUE(resp.ok()) << resp.error().message;
  EXPECT_EQ(resp->status, 302);
  EXPECT_EQ(http::find_header(resp->headers, "location").value_or(""), "https://example.com/new");
}

}  // namespace
}  // namespace lepton::testing
