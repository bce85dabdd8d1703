// End-to-end: the language templates http-js, http-ts (Spin JS SDK v3 from npm) and http-py
// (componentize-py + spin-sdk), each from `lepton new` through `lepton build` (the template's own
// build command: `npm install && npm run build`, `componentize-py ...`) to `lepton up` answering
// the template's greeting.
//
// The toolchains come from scripts/setup-guest-toolchains.sh: node/npm on PATH (npm fetches the
// SDK, esbuild and TypeScript from the registry into the app, through npm's cache:
// npm_config_prefer_offline is set), and the Python venv ($LEPTON_PY_VENV, default
// ~/.cache/lepton/py-venv) whose bin/ goes first on PATH for the build. A missing toolchain is a
// failure, unless LEPTON_ALLOW_MISSING_TOOLCHAINS=1 (then the test is skipped).
//
// A StarlingMonkey (JS) or CPython component is 12-40 MB of Wasm: its first `lepton up` compiles
// it, which takes tens of seconds (minutes on a loaded machine), hence the long limits.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "lepton_process.h"

namespace lepton::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const fs::path kRepo = (fs::path(LEPTON_TEST_DATA) / ".." / ".." / "..").lexically_normal();

bool allow_missing_toolchains() {
  const char* v = std::getenv("LEPTON_ALLOW_MISSING_TOOLCHAINS");
  return v != nullptr && std::string(v) == "1";
}

// Runs `sh -c command` quietly; true when it exits 0.
bool shell_ok(const std::string& command) {
  return std::system((command + " > /dev/null 2>&1").c_str()) == 0;
}

fs::path py_venv() {
  if (const char* v = std::getenv("LEPTON_PY_VENV"); v != nullptr && *v != '\0') return v;
  const char* home = std::getenv("HOME");
  return fs::path(home ? home : "/nonexistent") / ".cache" / "lepton" / "py-venv";
}

// Why the JS/TS templates cannot build here, or "" when they can.
std::string missing_node() {
  if (!shell_ok("command -v npm")) return "npm not found on PATH";
  if (!shell_ok("node -e 'process.exit(+process.versions.node.split(\".\")[0] >= 18 ? 0 : 1)'"))
    return "node >= 18 not found on PATH (j2w needs it)";
  return "";
}

// Why http-py cannot build here, or "" when it can.
std::string missing_python() {
  if (access((py_venv() / "bin" / "componentize-py").c_str(), X_OK) != 0)
    return "componentize-py is not in the venv " + py_venv().string();
  return "";
}

class LangTemplates : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = (fs::temp_directory_path() / "lepton-lang-XXXXXX").string();
    dir_ = mkdtemp(t.data());
    setenv("LEPTON_BUILTIN_TEMPLATES", (kRepo / "templates").c_str(), 1);
    setenv("LEPTON_TEMPLATES_DIR", (dir_ / "store").c_str(), 1);
    setenv("GIT_AUTHOR_NAME", "Ada Lovelace", 1);
    setenv("GIT_AUTHOR_EMAIL", "ada@example.com", 1);
    // npm install in the new app: from npm's cache when it has the package, else the registry.
    setenv("npm_config_prefer_offline", "true", 1);
    setenv("npm_config_audit", "false", 1);
    setenv("npm_config_fund", "false", 1);
    const char* path = std::getenv("PATH");
    saved_path_ = path ? path : "";
  }
  void TearDown() override {
    setenv("PATH", saved_path_.c_str(), 1);
    fs::remove_all(dir_);
  }

  // `lepton new -t <tmpl> <name> --accept-defaults`, `lepton build`, `lepton up`, GET /hi:
  // expects 200 and the template's greeting. Prints how long new -> 200 took.
  void new_build_up(const std::string& tmpl, const std::string& name) {
    const auto start = Clock::now();
    const fs::path app = dir_ / name;
    auto r = run_lepton({"new", "-t", tmpl, name, "-o", app.string(), "--accept-defaults"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    r = run_lepton({"build", "-f", (app / "spin.toml").string()}, std::chrono::seconds(900));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto built = Clock::now();
    std::string failure;
    auto server = LeptonServer::start_command(
        {"up", "-f", (app / "spin.toml").string(), "--listen", "127.0.0.1:0"},
        R"(Serving (https?://[0-9.]+:[0-9]+))", &failure, std::chrono::seconds(600));
    ASSERT_TRUE(server) << failure;
    auto resp = server->get("/hi");
    ASSERT_TRUE(resp.ok()) << resp.error().message;
    const auto done = Clock::now();
    EXPECT_EQ(resp->status, 200) << server->output();
    EXPECT_EQ(resp->body, "Hello from " + name + "! (GET /hi)\n");
    EXPECT_EQ(http::find_header(resp->headers, "content-type").value_or(""), "text/plain");
    auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
    std::printf("%s: new -> 200 in %.1f s (new + build %.1f s, up + first request %.1f s)\n",
                tmpl.c_str(), secs(done - start), secs(built - start), secs(done - built));
    RecordProperty("new_to_200_seconds", static_cast<int>(secs(done - start)));
  }

  fs::path dir_;
  std::string saved_path_;
};

#define REQUIRE_TOOLCHAIN(why)                                     \
  do {                                                             \
    if (std::string w = (why); !w.empty()) {                       \
      if (allow_missing_toolchains()) GTEST_SKIP() << w;           \
      FAIL() << w                                                  \
             << " (run scripts/setup-guest-toolchains.sh, or set " \
                "LEPTON_ALLOW_MISSING_TOOLCHAINS=1 to skip)";      \
    }                                                              \
  } while (0)

TEST_F(LangTemplates, HttpJsFromNewToFirst200) {
  REQUIRE_TOOLCHAIN(missing_node());
  new_build_up("http-js", "hello-js");
}

TEST_F(LangTemplates, HttpTsFromNewToFirst200) {
  REQUIRE_TOOLCHAIN(missing_node());
  new_build_up("http-ts", "hello-ts");
}

TEST_F(LangTemplates, HttpPyFromNewToFirst200) {
  REQUIRE_TOOLCHAIN(missing_python());
  setenv("PATH", ((py_venv() / "bin").string() + ":" + saved_path_).c_str(), 1);
  new_build_up("http-py", "hello-py");
}

// The build commands are what a user runs: npm's for JS/TS, componentize-py's for Python; and
// `lepton add` puts each template's component into an existing app with its workdir.
TEST_F(LangTemplates, AddPutsEachLanguageComponentInItsDirectory) {
  const fs::path app = dir_ / "site";
  auto r = run_lepton({"new", "-t", "http-empty", "site", "-o", app.string(), "-a"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* t : {"http-js", "http-ts", "http-py"}) {
    std::string id = std::string(t).substr(5) + "-part";
    r = run_lepton({"add", "-t", t, id, "-f", (app / "spin.toml").string(), "-a", "-v",
                    "http-path=/" + id + "/..."});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  r = run_lepton({"doctor", "-f", (app / "spin.toml").string(), "--json"});
  for (const char* check :
       {"\"component js-part: build tool npm\"", "\"component ts-part: build tool npm\"",
        "\"component py-part: build tool componentize-py\""})
    EXPECT_NE(r.output.find(check), std::string::npos) << check << "\n" << r.output;
  EXPECT_TRUE(fs::exists(app / "js-part" / "src" / "index.js"));
  EXPECT_TRUE(fs::exists(app / "ts-part" / "src" / "index.ts"));
  EXPECT_TRUE(fs::exists(app / "ts-part" / "tsconfig.json"));
  EXPECT_TRUE(fs::exists(app / "py-part" / "app.py"));
  EXPECT_FALSE(fs::exists(app / "py-part" / "spin.toml"));
}

// `lepton doctor` names the node the JS templates would get when it is too old for j2w.
TEST_F(LangTemplates, DoctorRefusesNodeOlderThan18) {
  fs::create_directories(dir_ / "bin");
  std::ofstream(dir_ / "bin" / "node") << "#!/bin/sh\necho 16.20.2\n";
  fs::permissions(dir_ / "bin" / "node", fs::perms::owner_all);
  setenv("PATH", ((dir_ / "bin").string() + ":" + saved_path_).c_str(), 1);
  auto r = run_lepton({"doctor"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("[problem] node: " + (dir_ / "bin" / "node").string() +
                          " is version '16.20.2'; the Spin JS SDK needs node >= 18"),
            std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace lepton::testing
