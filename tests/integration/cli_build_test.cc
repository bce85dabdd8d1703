// End-to-end: `lepton build` (workdirs, failures, -c, --up), `lepton doctor` (a PATH missing
// clang-19, a manifest naming a missing tool, --json) and plugins (dispatch with Spin's
// environment, exit code, install/list/uninstall, PATH plugins, unknown commands).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "lepton_process.h"

namespace lepton::testing {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Sets an environment variable for the test's lifetime (children inherit it).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class TempDir {
 public:
  TempDir() {
    std::string t = (fs::temp_directory_path() / "lepton-cli-XXXXXX").string();
    dir_ = mkdtemp(t.data());
  }
  ~TempDir() { fs::remove_all(dir_); }
  const fs::path& path() const { return dir_; }

 private:
  fs::path dir_;
};

void write_executable(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
  fs::permissions(p, fs::perms::owner_all);
}

// --- build -------------------------------------------------------------------------------------

TEST(CliBuild, RunsEachCommandInItsWorkdirInManifestOrder) {
  TempApp app(R"(spin_manifest_version = 2
[application]
name = "b"
[[trigger.http]]
route = "/..."
component = "zeta"
[component.zeta]
source = "zeta.wasm"
[component.zeta.build]
command = "pwd > where.txt && echo zeta >> ../order.txt"
workdir = "sub"
[component.plain]
source = "plain.wasm"
[component.alpha]
source = "alpha.wasm"
[component.alpha.build]
command = ["echo alpha-one >> order.txt", "echo alpha-two >> order.txt"]
)");
  fs::create_directories(app.dir() / "sub");
  auto r = run_lepton({"build", "-f", app.manifest().string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(slurp(app.dir() / "sub" / "where.txt"),
            fs::canonical(app.dir() / "sub").string() + "\n");
  // Manifest order (zeta before alpha), every command of a list in order.
  EXPECT_EQ(slurp(app.dir() / "order.txt"), "zeta\nalpha-one\nalpha-two\n");
  EXPECT_TRUE(contains(r.output, "Building component zeta with `pwd > where.txt"));
  EXPECT_TRUE(contains(r.output, "Working directory: \"" + (app.dir() / "sub").string()))
      << r.output;
  EXPECT_TRUE(contains(r.output, "Building component alpha (2 commands)")) << r.output;
  EXPECT_TRUE(contains(r.output, "Running build step 2/2 for component alpha")) << r.output;
  EXPECT_TRUE(contains(r.output, "Skipping component plain: it has no build command")) << r.output;
  EXPECT_TRUE(contains(r.output, "Finished building all Spin components")) << r.output;

  // A directory works as -f too.
  r = run_lepton({"build", "-f", app.dir().string(), "-c", "zeta"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(CliBuild, FailureNamesTheComponentStreamsOutputAndStops) {
  TempApp app(R"(spin_manifest_version = 2
[application]
name = "b"
[[trigger.http]]
route = "/..."
component = "broken"
[component.broken]
source = "broken.wasm"
[component.broken.build]
command = ["echo compiler says no >&2", "exit 7"]
[component.later]
source = "later.wasm"
[component.later.build]
command = "touch later-ran"
)");
  auto r = run_lepton({"build", "-f", app.manifest().string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "compiler says no")) << r.output;
  EXPECT_TRUE(contains(r.output, "Build command for component broken failed with exit status 7"))
      << r.output;
  EXPECT_FALSE(fs::exists(app.dir() / "later-ran"));
  // --up after a failed build serves nothing.
  r = run_lepton({"build", "-f", app.manifest().string(), "--up", "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_FALSE(contains(r.output, "Serving")) << r.output;
}

TEST(CliBuild, ComponentSelection) {
  TempApp app(R"(spin_manifest_version = 2
[application]
name = "b"
[[trigger.http]]
route = "/..."
component = "one"
[component.one]
source = "one.wasm"
[component.one.build]
command = "touch one-built"
[component.two]
source = "two.wasm"
[component.two.build]
command = "touch two-built"
[component.three]
source = "three.wasm"
[component.three.build]
command = "touch three-built"
)");
  auto r = run_lepton({"build", "-f", app.manifest().string(), "-c", "two", "-c", "three"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(fs::exists(app.dir() / "one-built"));
  EXPECT_TRUE(fs::exists(app.dir() / "two-built"));
  EXPECT_TRUE(fs::exists(app.dir() / "three-built"));

  r = run_lepton({"build", "-f", app.manifest().string(), "-c", "nope", "-c", "one"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "Unknown component(s) nope")) << r.output;
  EXPECT_FALSE(fs::exists(app.dir() / "one-built"));

  // Stray arguments without --up are a usage error.
  r = run_lepton({"build", "-f", app.manifest().string(), "stray"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

TEST(CliBuild, NoBuildCommands) {
  TempApp app(R"(spin_manifest_version = 2
[application]
name = "b"
[[trigger.http]]
route = "/..."
component = "one"
[component.one]
source = "one.wasm"
)");
  auto r = run_lepton({"build", "-f", app.manifest().string()});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "None of the components have a build command.")) << r.output;
}

TEST(CliBuild, UpServesTheBuiltApp) {
  std::string hello = guest("components/hello");
  if (!fs::exists(hello)) GTEST_SKIP() << hello << " was not built";
  TempApp app(R"(spin_manifest_version = 2
[application]
name = "b"
[[trigger.http]]
route = "/..."
component = "hello"
[component.hello]
source = "out/main.wasm"
[component.hello.build]
command = "mkdir -p out && cp ')" +
              hello + R"(' out/main.wasm"
)");
  ASSERT_FALSE(fs::exists(app.dir() / "out" / "main.wasm"));
  std::string failure;
  auto server = LeptonServer::start_command(
      {"build", "-f", app.manifest().string(), "--up", "--listen", "127.0.0.1:0", "-q"},
      R"(Serving (https?://[0-9.]+:[0-9]+))", &failure);
  ASSERT_TRUE(server) << failure;
  auto response = server->get("/");
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "Hello from a C component");
  EXPECT_TRUE(contains(server->output(), "Building component hello")) << server->output();
  EXPECT_EQ(server->stop(), 0) << server->output();

  // `up`'s own flag checks apply to the arguments after --up.
  auto r = run_lepton({"build", "-f", app.manifest().string(), "--up", "--max-instances", "0"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--max-instances")) << r.output;
}

// The issue's quick start: `lepton new -t http-c` then `lepton build --up` answers 200.
TEST(CliBuild, NewHttpCThenBuildUp) {
  if (std::system("clang-19 --target=wasm32-wasi --version > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "clang-19 with a wasm32-wasi sysroot is not installed";
  const fs::path repo = (fs::path(LEPTON_TEST_DATA) / ".." / ".." / "..").lexically_normal();
  TempDir tmp;
  ScopedEnv builtin("LEPTON_BUILTIN_TEMPLATES", (repo / "templates").string());
  ScopedEnv store("LEPTON_TEMPLATES_DIR", (tmp.path() / "store").string());
  const fs::path app = tmp.path() / "hello";
  auto r = run_lepton({"new", "-t", "http-c", "hello", "-o", app.string(), "--accept-defaults"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string failure;
  auto server =
      LeptonServer::start_command({"build", "-f", app.string(), "--up", "--listen", "127.0.0.1:0"},
                                  R"(Serving (https?://[0-9.]+:[0-9]+))", &failure);
  ASSERT_TRUE(server) << failure;
  auto response = server->get("/");
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "Hello from hello! (GET /)\n");
  EXPECT_TRUE(contains(server->output(), "Building component hello with `clang-19"))
      << server->output();
}

// --- doctor ------------------------------------------------------------------------------------

// A PATH holding only `tools` (symlinks to the real ones, where they exist).
fs::path restricted_path(const fs::path& dir, const std::vector<std::string>& tools) {
  fs::create_directories(dir);
  for (const auto& tool : tools) {
    for (const char* base : {"/usr/bin", "/bin", "/usr/local/bin"}) {
      fs::path real = fs::path(base) / tool;
      if (fs::exists(real)) {
        fs::create_symlink(real, dir / tool);
        break;
      }
    }
  }
  return dir;
}

const char* kPlainApp = R"(spin_manifest_version = 2
[application]
name = "d"
[[trigger.http]]
route = "/..."
component = "one"
[component.one]
source = "one.wasm"
)";

TEST(CliDoctor, NamesAMissingClangAndItsFix) {
  TempDir tmp;
  TempApp app(kPlainApp);
  app.write("one.wasm", "");
  fs::path bin = restricted_path(tmp.path() / "bin", {"sh", "node", "npm", "python3"});
  ScopedEnv path("PATH", bin.string());
  auto r = run_lepton({"doctor", "-f", app.manifest().string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "[problem] clang-19: 'clang-19' not found on PATH")) << r.output;
  EXPECT_TRUE(contains(r.output, "fix: sudo apt-get install clang-19 lld-19")) << r.output;
  EXPECT_TRUE(contains(r.output, "needed by templates http-c")) << r.output;
  EXPECT_TRUE(contains(r.output, "[ok]      manifest:")) << r.output;

  r = run_lepton({"doctor", "-f", app.manifest().string(), "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  auto json = nlohmann::json::parse(r.output, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << r.output;
  EXPECT_EQ(json["ok"], false);
  bool found = false;
  for (const auto& c : json["checks"]) {
    if (c["name"] == "clang-19") {
      found = true;
      EXPECT_EQ(c["ok"], false);
      EXPECT_EQ(c["fix"], "sudo apt-get install clang-19 lld-19");
    }
  }
  EXPECT_TRUE(found) << r.output;
}

TEST(CliDoctor, ChecksTheManifest) {
  TempApp app(R"(spin_manifest_version = 2
[application]
name = "d"
[[trigger.http]]
route = "/..."
component = "one"
[component.one]
source = "one.wasm"
[component.one.build]
command = "lepton-test-no-such-compiler -o one.wasm"
[component.two]
source = "missing.wasm"
)");
  auto r = run_lepton({"doctor", "-f", app.dir().string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "'lepton-test-no-such-compiler' (from build command")) << r.output;
  EXPECT_TRUE(contains(r.output, "fix: lepton build -c one")) << r.output;
  EXPECT_TRUE(
      contains(r.output, "component two: source: '" + (app.dir() / "missing.wasm").string()))
      << r.output;

  TempApp bad(R"(spin_manifest_version = 2
[application]
name = "d"
[[trigger.http]]
route = "/..."
component = "x"
[component.x]
sorce = "x.wasm"
)");
  r = run_lepton({"doctor", "-f", bad.manifest().string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "[problem] manifest:")) << r.output;
  EXPECT_TRUE(contains(r.output, "sorce")) << r.output;
}

TEST(CliDoctor, HealthyWhenEverythingIsThere) {
  TempApp app(kPlainApp);
  app.write("one.wasm", "");
  auto r = run_lepton({"doctor", "-f", app.manifest().string()});
  // Only meaningful on a machine with every toolchain (CI installs them): otherwise the problems
  // are real and named.
  if (r.exit_code != 0) GTEST_SKIP() << "toolchains missing here:\n" << r.output;
  EXPECT_TRUE(contains(r.output, "No problems found.")) << r.output;
}

// --- plugins -----------------------------------------------------------------------------------

const char* kPluginScript = R"(#!/bin/sh
echo "args: $*"
echo "spin-bin=$SPIN_BIN_PATH"
echo "lepton-bin=$LEPTON_BIN_PATH"
echo "spin-version=$SPIN_VERSION"
echo "lepton-version=$LEPTON_VERSION"
exit 42
)";

TEST(CliPlugins, InstallRunListUninstall) {
  TempDir tmp;
  ScopedEnv plugins("LEPTON_PLUGINS_DIR", (tmp.path() / "plugins").string());
  write_executable(tmp.path() / "lepton-greet", kPluginScript);

  auto r = run_lepton({"plugins", "install", "--file", (tmp.path() / "lepton-greet").string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(tmp.path() / "plugins" / "greet" / "greet"));

  r = run_lepton({"greet", "a", "--flag", "b c"});
  EXPECT_EQ(r.exit_code, 42) << r.output;
  EXPECT_TRUE(contains(r.output, "args: a --flag b c")) << r.output;
  std::string self = fs::canonical(LEPTON_BINARY).string();
  EXPECT_TRUE(contains(r.output, "spin-bin=" + self + "\n")) << r.output;
  EXPECT_TRUE(contains(r.output, "lepton-bin=" + self + "\n")) << r.output;
  EXPECT_TRUE(contains(r.output, std::string("spin-version=") + LEPTON_VERSION)) << r.output;
  EXPECT_TRUE(contains(r.output, std::string("lepton-version=") + LEPTON_VERSION)) << r.output;

  // Installing over it needs --upgrade; a built-in name is refused.
  r = run_lepton({"plugins", "install", "--file", (tmp.path() / "lepton-greet").string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "--upgrade")) << r.output;
  r = run_lepton(
      {"plugins", "install", "--file", (tmp.path() / "lepton-greet").string(), "--name", "build"});
  EXPECT_EQ(r.exit_code, 1) << r.output;

  r = run_lepton({"plugins", "list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto json = nlohmann::json::parse(r.output, nullptr, false);
  ASSERT_TRUE(json.is_array()) << r.output;
  bool listed = false;
  for (const auto& p : json)
    listed = listed || (p["name"] == "greet" && p["source"] == "installed");
  EXPECT_TRUE(listed) << r.output;

  r = run_lepton({"plugins", "uninstall", "greet"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = run_lepton({"greet"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "'greet' is not a known lepton command")) << r.output;
  EXPECT_TRUE(contains(r.output, "build, doctor, plugins")) << r.output;
  r = run_lepton({"plugins", "uninstall", "greet"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
}

TEST(CliPlugins, PluginsOnPathAndExitCodes) {
  TempDir tmp;
  ScopedEnv plugins("LEPTON_PLUGINS_DIR", (tmp.path() / "plugins").string());
  fs::create_directories(tmp.path() / "bin");
  write_executable(tmp.path() / "bin" / "lepton-pathy", "#!/bin/sh\necho \"pathy $1\"\nexit 0\n");
  write_executable(tmp.path() / "bin" / "lepton-failing", "#!/bin/sh\nexit 3\n");
  ScopedEnv path("PATH", (tmp.path() / "bin").string() + ":" + std::getenv("PATH"));
  auto r = run_lepton({"pathy", "x"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "pathy x")) << r.output;
  r = run_lepton({"failing"});
  EXPECT_EQ(r.exit_code, 3) << r.output;
  r = run_lepton({"plugins", "list"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "pathy [PATH]")) << r.output;
}

TEST(CliPlugins, InstallFromASpinPluginManifest) {
  TempDir tmp;
  ScopedEnv plugins("LEPTON_PLUGINS_DIR", (tmp.path() / "plugins").string());
  fs::create_directories(tmp.path() / "pkg");
  write_executable(tmp.path() / "pkg" / "hi", "#!/bin/sh\necho \"hi from a packaged plugin\"\n");
  std::string tar = "tar -czf " + (tmp.path() / "hi.tar.gz").string() + " -C " +
                    (tmp.path() / "pkg").string() + " hi && sha256sum " +
                    (tmp.path() / "hi.tar.gz").string() + " | cut -c1-64 > " +
                    (tmp.path() / "sha").string();
  ASSERT_EQ(std::system(tar.c_str()), 0);
  std::string sha = slurp(tmp.path() / "sha").substr(0, 64);
  auto manifest = [&](const std::string& url, const std::string& digest) {
    nlohmann::json m = {
        {"name", "hi"},
        {"version", "1.2.3"},
        {"spinCompatibility", ">=2.0"},
        {"license", "Apache-2.0"},
        {"packages",
         {{{"os", "linux"}, {"arch", "amd64"}, {"url", url}, {"sha256", digest}},
          {{"os", "linux"}, {"arch", "aarch64"}, {"url", url}, {"sha256", digest}}}}};
    std::ofstream(tmp.path() / "hi.json") << m.dump(2);
    return (tmp.path() / "hi.json").string();
  };
  auto r =
      run_lepton({"plugins", "install", "--file", manifest("hi.tar.gz", std::string(64, '0'))});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "sha256 is " + sha)) << r.output;
  r = run_lepton({"plugins", "install", "--file", manifest("https://example.com/hi.tar.gz", sha)});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "does not download")) << r.output;

  r = run_lepton({"plugins", "install", "--file",
                  manifest("file://" + (tmp.path() / "hi.tar.gz").string(), sha)});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run_lepton({"hi"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "hi from a packaged plugin")) << r.output;
  r = run_lepton({"plugins", "list"});
  EXPECT_TRUE(contains(r.output, "hi 1.2.3 [installed]")) << r.output;
  r = run_lepton({"plugins", "uninstall", "hi"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(fs::exists(tmp.path() / "plugins" / "manifests" / "hi.json"));
}

// --- help --------------------------------------------------------------------------------------

TEST(CliBuildDoctorPlugins, EveryCommandHasHelp) {
  for (auto args : std::vector<std::vector<std::string>>{{"build", "--help"},
                                                         {"doctor", "--help"},
                                                         {"plugins", "--help"},
                                                         {"plugins", "list", "--help"},
                                                         {"plugins", "install", "--help"},
                                                         {"plugins", "uninstall", "--help"}}) {
    auto r = run_lepton(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.output;
    EXPECT_TRUE(contains(r.output, "Usage")) << r.output;
  }
  auto r = run_lepton({"build", "--help"});
  for (const char* flag : {"--from", "--component-id", "--up", "--profile"})
    EXPECT_TRUE(contains(r.output, flag)) << flag;
  r = run_lepton({"--help"});
  for (const char* command : {"build", "doctor", "plugins"})
    EXPECT_TRUE(contains(r.output, command)) << command;
}

}  // namespace
}  // namespace lepton::testing
