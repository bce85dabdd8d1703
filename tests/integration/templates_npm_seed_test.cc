// End-to-end: `lepton new`/`lepton add` with a template that has `[npm] seed = true` (http-js,
// http-ts) fills node_modules with hard links from lepton's npm seed store
// ($XDG_CACHE_HOME/lepton/npm-seeds, a fresh one per test). A stand-in `npm` on PATH records its
// invocations (prepared once per dependency set, opt-outs, no npm at all); the last test runs the
// real npm and proves the seeded tree satisfies package.json (`npm install --offline`).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "lepton_process.h"

namespace lepton::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const fs::path kRepo = (fs::path(LEPTON_TEST_DATA) / ".." / ".." / "..").lexically_normal();
constexpr const char* kPreparing =
    "preparing node_modules for http-js (once per dependency set)...";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

ino_t inode(const fs::path& p) {
  struct stat st{};
  EXPECT_EQ(lstat(p.c_str(), &st), 0) << p;
  return st.st_ino;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class NpmSeedCli : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = (fs::temp_directory_path() / "lepton-npmseed-XXXXXX").string();
    dir_ = mkdtemp(t.data());
    setenv("LEPTON_BUILTIN_TEMPLATES", (kRepo / "templates").c_str(), 1);
    setenv("LEPTON_TEMPLATES_DIR", (dir_ / "templates").c_str(), 1);
    setenv("GIT_AUTHOR_NAME", "Ada Lovelace", 1);
    setenv("GIT_AUTHOR_EMAIL", "ada@example.com", 1);
    for (const char* v : {"PATH", "XDG_CACHE_HOME"})
      if (const char* s = std::getenv(v)) saved_[v] = s;
    setenv("XDG_CACHE_HOME", (dir_ / "cache").c_str(), 1);
    unsetenv("LEPTON_NPM_SEED");
    setenv("npm_config_prefer_offline", "true", 1);
    setenv("npm_config_audit", "false", 1);
    setenv("npm_config_fund", "false", 1);
  }
  void TearDown() override {
    for (const char* v : {"PATH", "XDG_CACHE_HOME"}) {
      if (saved_.count(v)) {
        setenv(v, saved_[v].c_str(), 1);
      } else {
        unsetenv(v);
      }
    }
    unsetenv("LEPTON_NPM_SEED");
    fs::remove_all(dir_);
  }

  fs::path seeds() const { return dir_ / "cache" / "lepton" / "npm-seeds"; }
  // The store entries (directories) under npm-seeds/.
  std::vector<fs::path> entries() const {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(seeds(), ec))
      if (e.is_directory() && e.path().filename().string()[0] != '.') out.push_back(e.path());
    return out;
  }

  // A stand-in npm first on PATH: logs each call to npm.log and makes a small installed tree.
  void use_fake_npm() {
    fs::create_directories(dir_ / "bin");
    std::ofstream(dir_ / "bin" / "npm")
        << "#!/bin/sh\necho \"$*\" >> '" << (dir_ / "npm.log").string() << "'\n"
        << "mkdir -p node_modules/pkg node_modules/.bin\n"
           "echo 'module.exports = 1' > node_modules/pkg/index.js\n"
           "ln -s ../pkg/index.js node_modules/.bin/pkg\n"
           "echo '{}' > node_modules/.package-lock.json\n";
    fs::permissions(dir_ / "bin" / "npm", fs::perms::owner_all);
    setenv("PATH", ((dir_ / "bin").string() + ":" + saved_["PATH"]).c_str(), 1);
  }
  size_t npm_calls() const { return count(slurp(dir_ / "npm.log"), "\n"); }

  ProcessResult lepton_new(const std::string& tmpl, const std::string& name,
                           std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"new", "-t", tmpl, name, "-o", (dir_ / name).string(), "-a"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_lepton(args, std::chrono::seconds(600));
  }

  fs::path dir_;
  std::map<std::string, std::string> saved_;
};

TEST_F(NpmSeedCli, StorePreparedOnceThenEveryNewAndAddLinksIt) {
  use_fake_npm();
  auto r = lepton_new("http-js", "one");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(kPreparing), std::string::npos) << r.output;
  EXPECT_EQ(npm_calls(), 1u);
  EXPECT_EQ(slurp(dir_ / "npm.log"), "install --prefer-offline --no-audit --no-fund\n");
  auto store = entries();
  ASSERT_EQ(store.size(), 1u);
  const ino_t store_inode = inode(store[0]);
  const ino_t file_inode = inode(store[0] / "node_modules" / "pkg" / "index.js");

  r = lepton_new("http-js", "two");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("preparing"), std::string::npos) << r.output;
  EXPECT_EQ(npm_calls(), 1u) << slurp(dir_ / "npm.log");
  EXPECT_EQ(entries().size(), 1u);
  EXPECT_EQ(inode(store[0]), store_inode);

  // `lepton add` seeds the component's directory from the same entry.
  r = run_lepton(
      {"add", "-t", "http-js", "part", "-f", (dir_ / "one" / "spin.toml").string(), "-a"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(npm_calls(), 1u);
  for (const fs::path& app : {dir_ / "one", dir_ / "two", dir_ / "one" / "part"}) {
    EXPECT_EQ(inode(app / "node_modules" / "pkg" / "index.js"), file_inode) << app;
    EXPECT_EQ(slurp(app / "node_modules" / ".bin" / "pkg"), "module.exports = 1\n") << app;
  }
}

TEST_F(NpmSeedCli, NoNpmSeedFlagAndEnvironmentOptOut) {
  use_fake_npm();
  auto r = lepton_new("http-js", "flag", {"--no-npm-seed"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir_ / "flag" / "package.json"));
  EXPECT_FALSE(fs::exists(dir_ / "flag" / "node_modules"));
  setenv("LEPTON_NPM_SEED", "0", 1);
  r = lepton_new("http-ts", "env");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "env" / "node_modules"));
  EXPECT_EQ(npm_calls(), 0u);
  EXPECT_FALSE(fs::exists(seeds()));
  // Templates without [npm] seed never touch npm.
  unsetenv("LEPTON_NPM_SEED");
  r = lepton_new("http-c", "c-app");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(npm_calls(), 0u);
}

TEST_F(NpmSeedCli, WithoutNpmNewSucceedsWithAWarning) {
  fs::create_directories(dir_ / "empty-bin");
  setenv("PATH", (dir_ / "empty-bin").c_str(), 1);
  auto r = lepton_new("http-js", "no-npm");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Created application 'no-npm'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("could not seed node_modules from lepton's npm store: 'npm' not found "
                          "on PATH (the build's `npm install` will install the packages)"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "no-npm" / "node_modules"));
  EXPECT_TRUE(entries().empty());
}

// The real npm: the first `new` prepares the store (from npm's cache when warm), the second links
// it; the seeded tree satisfies package.json without the network.
TEST_F(NpmSeedCli, RealNpmTreeSatisfiesPackageJsonOffline) {
  if (std::system("command -v npm > /dev/null 2>&1") != 0) {
    const char* allow = std::getenv("LEPTON_ALLOW_MISSING_TOOLCHAINS");
    if (allow != nullptr && std::string(allow) == "1") GTEST_SKIP() << "npm not found on PATH";
    FAIL() << "npm not found on PATH (run scripts/setup-guest-toolchains.sh, or set "
              "LEPTON_ALLOW_MISSING_TOOLCHAINS=1 to skip)";
  }
  auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
  auto t0 = Clock::now();
  auto r = lepton_new("http-js", "first");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(kPreparing), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("could not seed"), std::string::npos) << r.output;
  auto t1 = Clock::now();
  r = lepton_new("http-js", "second");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("preparing"), std::string::npos) << r.output;
  auto t2 = Clock::now();

  auto store = entries();
  ASSERT_EQ(store.size(), 1u);
  const fs::path app = dir_ / "second";
  const fs::path esbuild_pkg = fs::path("node_modules") / "esbuild" / "package.json";
  EXPECT_EQ(inode(app / esbuild_pkg), inode(store[0] / esbuild_pkg));
  ASSERT_TRUE(fs::is_symlink(app / "node_modules" / ".bin" / "j2w"));
  EXPECT_EQ(
      fs::canonical(app / "node_modules" / ".bin" / "j2w"),
      fs::canonical(app / "node_modules" / "@spinframework" / "build-tools" / "dist" / "index.js"));
  std::string version_cmd = "cd '" + app.string() + "' && node_modules/.bin/esbuild --version > '" +
                            (dir_ / "esbuild.out").string() + "' 2>&1";
  EXPECT_EQ(std::system(version_cmd.c_str()), 0) << slurp(dir_ / "esbuild.out");
  EXPECT_EQ(slurp(dir_ / "esbuild.out"), "0.25.12\n");

  auto t3 = Clock::now();
  std::string install = "cd '" + app.string() + "' && npm install --offline > '" +
                        (dir_ / "npm.out").string() + "' 2>&1";
  EXPECT_EQ(std::system(install.c_str()), 0) << slurp(dir_ / "npm.out");
  auto t4 = Clock::now();
  // npm found nothing to change: the files are still the store's.
  EXPECT_EQ(inode(app / esbuild_pkg), inode(store[0] / esbuild_pkg));
  std::printf(
      "new (preparing the store) %.1f s, new (seeded) %.1f s, npm install --offline %.1f s\n",
      secs(t1 - t0), secs(t2 - t1), secs(t4 - t3));
}

}  // namespace
}  // namespace lepton::testing
