// node_modules seeding ([npm] seed = true in metadata/lepton.toml): the store key, the hard-link
// tree copy, and preparing a store entry once (with a stand-in `npm` script that records its
// invocations; tests/integration/templates_npm_seed_test.cc runs the real npm).
#include "templates/npm_seed.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "templates/template.h"

namespace lepton::templates {
namespace {

namespace fs = std::filesystem;

const fs::path kRepoTemplates = fs::path(LEPTON_TEST_DATA) / ".." / ".." / ".." / "templates";

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

ino_t inode(const fs::path& p) {
  struct stat st{};
  EXPECT_EQ(lstat(p.c_str(), &st), 0) << p;
  return st.st_ino;
}

class Tmp {
 public:
  Tmp() {
    std::string t = (fs::temp_directory_path() / "lepton-npmseed-XXXXXX").string();
    dir_ = mkdtemp(t.data());
  }
  ~Tmp() { fs::remove_all(dir_); }
  const fs::path& path() const { return dir_; }

 private:
  fs::path dir_;
};

const char* kPackageJson = R"({
  "name": "NAME",
  "version": "0.1.0",
  "scripts": { "build": "node build.mjs" },
  "dependencies": { "left-pad": "1.3.0" },
  "devDependencies": { "esbuild": "0.25.12" }
})";

std::string package_json(const std::string& name) {
  std::string s = kPackageJson;
  s.replace(s.find("NAME"), 4, name);
  return s;
}

// A stand-in npm: appends its arguments and working directory to `log`, then makes what
// `npm install` makes (a package, a relative .bin symlink, the hidden lockfile, package-lock.json).
fs::path fake_npm(const fs::path& dir, const fs::path& log, const std::string& extra = "") {
  fs::path npm = dir / "bin" / "npm";
  write(npm, "#!/bin/sh\necho \"$* in $(pwd)\" >> '" + log.string() + "'\n" + extra +
                 "mkdir -p node_modules/pkg node_modules/.bin\n"
                 "echo 'module.exports = 1' > node_modules/pkg/index.js\n"
                 "echo '{\"name\":\"pkg\",\"version\":\"1.0.0\"}' > node_modules/pkg/package.json\n"
                 "ln -s ../pkg/index.js node_modules/.bin/pkg\n"
                 "echo '{\"hidden\":true}' > node_modules/.package-lock.json\n"
                 "printf '{\\n  \"name\": \"lepton-npm-seed\",\\n  \"version\": \"0.0.0\",\\n  "
                 "\"lockfileVersion\": 3,\\n  \"packages\": {\"\": {\"name\": "
                 "\"lepton-npm-seed\", \"version\": \"0.0.0\"}}\\n}\\n' > package-lock.json\n");
  fs::permissions(npm, fs::perms::owner_all);
  return npm;
}

size_t lines(const fs::path& p) {
  std::string text = read(p);
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST(NpmSeed, KeyDependsOnTheDependencySetNotTheAppName) {
  auto a = npm_dependency_set(package_json("app-one"), std::nullopt, "a/package.json");
  auto b = npm_dependency_set(package_json("app-two"), std::nullopt, "b/package.json");
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(a->key, b->key);
  EXPECT_EQ(a->key.size(), 64u);
  EXPECT_EQ(a->manifest.find("app-one"), std::string::npos) << a->manifest;
  EXPECT_EQ(a->manifest.find("scripts"), std::string::npos) << a->manifest;
  EXPECT_NE(a->manifest.find("\"esbuild\": \"0.25.12\""), std::string::npos) << a->manifest;

  std::string other = package_json("app-one");
  other.replace(other.find("1.3.0"), 5, "1.3.1");
  auto c = npm_dependency_set(other, std::nullopt, "c/package.json");
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->key, c->key);
  auto locked = npm_dependency_set(package_json("app-one"), std::string("{}"), "package.json");
  ASSERT_TRUE(locked.ok());
  EXPECT_NE(a->key, locked->key);

  auto bad = npm_dependency_set("[1, 2", std::nullopt, "x/package.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("x/package.json: not a JSON object"), std::string::npos)
      << bad.error().message;
}

TEST(NpmSeed, LinkTreeHardLinksFilesAndRecreatesRelativeSymlinks) {
  Tmp tmp;
  const fs::path from = tmp.path() / "from";
  write(from / "pkg" / "cli.js", "#!/bin/sh\necho hi from cli\n");
  fs::permissions(from / "pkg" / "cli.js", fs::perms::owner_all);
  write(from / "pkg" / "deep" / "x" / "data.txt", "data");
  fs::create_directories(from / ".bin");
  fs::create_directories(from / "empty");
  fs::create_symlink("../pkg/cli.js", from / ".bin" / "cli");

  auto stats = link_tree(from, tmp.path() / "to");
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  EXPECT_EQ(stats->linked, 2u);
  EXPECT_EQ(stats->symlinks, 1u);
  EXPECT_EQ(stats->copied, 0u);
  const fs::path to = tmp.path() / "to";
  EXPECT_EQ(inode(to / "pkg" / "cli.js"), inode(from / "pkg" / "cli.js"));
  EXPECT_EQ(inode(to / "pkg" / "deep" / "x" / "data.txt"),
            inode(from / "pkg" / "deep" / "x" / "data.txt"));
  EXPECT_TRUE(fs::is_directory(to / "empty"));
  ASSERT_TRUE(fs::is_symlink(to / ".bin" / "cli"));
  EXPECT_EQ(fs::read_symlink(to / ".bin" / "cli"), fs::path("../pkg/cli.js"));
  // The link resolves inside the new tree, not the old one.
  EXPECT_EQ(fs::canonical(to / ".bin" / "cli"), fs::canonical(to / "pkg" / "cli.js"));
  std::string out = (to / ".bin" / "cli").string() + " > " + (tmp.path() / "out").string();
  ASSERT_EQ(std::system(out.c_str()), 0);
  EXPECT_EQ(read(tmp.path() / "out"), "hi from cli\n");

  // The target must not exist yet.
  auto again = link_tree(from, to);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("cannot create"), std::string::npos);
}

// Across filesystems hard links fail (EXDEV): the files are copied instead.
TEST(NpmSeed, LinkTreeCopiesAcrossFilesystems) {
  Tmp tmp;
  struct stat a{}, b{};
  if (stat("/dev/shm", &b) != 0 || stat(tmp.path().c_str(), &a) != 0 || a.st_dev == b.st_dev)
    GTEST_SKIP() << "no /dev/shm on another filesystem than " << tmp.path();
  write(tmp.path() / "from" / "pkg" / "index.js", "module.exports = 2\n");
  fs::create_directories(tmp.path() / "from" / ".bin");
  fs::create_symlink("../pkg/index.js", tmp.path() / "from" / ".bin" / "pkg");
  std::string t = "/dev/shm/lepton-npmseed-XXXXXX";
  ASSERT_NE(mkdtemp(t.data()), nullptr);
  const fs::path to = fs::path(t) / "to";
  auto stats = link_tree(tmp.path() / "from", to);
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  EXPECT_EQ(stats->copied, 1u);
  EXPECT_EQ(stats->linked, 0u);
  EXPECT_EQ(read(to / ".bin" / "pkg"), "module.exports = 2\n");
  EXPECT_NE(inode(to / "pkg" / "index.js"), inode(tmp.path() / "from" / "pkg" / "index.js"));
  fs::remove_all(t);
}

TEST(NpmSeed, PreparesTheStoreOnceAndLinksEachApp) {
  Tmp tmp;
  const fs::path log = tmp.path() / "npm.log";
  NpmSeedOptions o;
  o.store_root = tmp.path() / "store";
  o.npm = fake_npm(tmp.path(), log).string();
  o.label = "http-js";
  std::vector<std::string> progress;
  o.progress = [&](const std::string& line) { progress.push_back(line); };

  write(tmp.path() / "one" / "package.json", package_json("one"));
  auto first = seed_node_modules(tmp.path() / "one", o);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->prepared);
  ASSERT_EQ(progress.size(), 1u);
  EXPECT_EQ(progress[0], "preparing node_modules for http-js (once per dependency set)...");
  ASSERT_EQ(lines(log), 1u);
  EXPECT_EQ(read(log).rfind("install --prefer-offline --no-audit --no-fund in " +
                                (o.store_root / ".tmp-").string(),
                            0),
            0u)
      << read(log);
  const fs::path store = first->store;
  EXPECT_EQ(store.parent_path(), o.store_root);
  // The store holds the dependency sections only, not the app's name.
  EXPECT_EQ(read(store / "package.json").find("\"one\""), std::string::npos);
  const ino_t store_inode = inode(store);

  write(tmp.path() / "two" / "package.json", package_json("two"));
  auto second = seed_node_modules(tmp.path() / "two", o);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_FALSE(second->prepared);
  EXPECT_EQ(second->store, store);
  EXPECT_EQ(lines(log), 1u) << "npm ran again: " << read(log);
  EXPECT_EQ(progress.size(), 1u);
  EXPECT_EQ(inode(store), store_inode);

  for (const char* app : {"one", "two"}) {
    const fs::path nm = tmp.path() / app / "node_modules";
    EXPECT_EQ(inode(nm / "pkg" / "index.js"), inode(store / "node_modules" / "pkg" / "index.js"))
        << app;
    EXPECT_EQ(fs::read_symlink(nm / ".bin" / "pkg"), fs::path("../pkg/index.js"));
    EXPECT_EQ(read(nm / ".bin" / "pkg"), "module.exports = 1\n");
    // The hidden lockfile is the app's own copy (npm rewrites it).
    EXPECT_EQ(read(nm / ".package-lock.json"), "{\"hidden\":true}\n");
    EXPECT_NE(inode(nm / ".package-lock.json"),
              inode(store / "node_modules" / ".package-lock.json"));
    // package-lock.json from the store, named as the app.
    std::string lock = read(tmp.path() / app / "package-lock.json");
    EXPECT_NE(lock.find("\"name\": \"" + std::string(app) + "\""), std::string::npos) << lock;
    EXPECT_NE(lock.find("\"version\": \"0.1.0\""), std::string::npos) << lock;
    EXPECT_EQ(lock.find("lepton-npm-seed"), std::string::npos) << lock;
  }

  // A different dependency set is a new store entry.
  std::string other = package_json("three");
  other.replace(other.find("1.3.0"), 5, "1.3.1");
  write(tmp.path() / "three" / "package.json", other);
  auto third = seed_node_modules(tmp.path() / "three", o);
  ASSERT_TRUE(third.ok()) << third.error().message;
  EXPECT_TRUE(third->prepared);
  EXPECT_NE(third->store, store);
  EXPECT_EQ(lines(log), 2u);

  // An app that already has node_modules is left alone.
  auto again = seed_node_modules(tmp.path() / "one", o);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->skipped);
  EXPECT_EQ(lines(log), 2u);
}

TEST(NpmSeed, AnAppLockfileIsKeptAndPartOfTheKey) {
  Tmp tmp;
  const fs::path log = tmp.path() / "npm.log";
  NpmSeedOptions o;
  o.store_root = tmp.path() / "store";
  o.npm = fake_npm(tmp.path(), log, "cp package-lock.json seen-lock.json\n").string();
  o.progress = [](const std::string&) {};
  write(tmp.path() / "app" / "package.json", package_json("app"));
  write(tmp.path() / "app" / "package-lock.json", "{\"lockfileVersion\": 3}\n");
  auto seeded = seed_node_modules(tmp.path() / "app", o);
  ASSERT_TRUE(seeded.ok()) << seeded.error().message;
  // npm prepared the store from the app's lockfile; the app's lockfile is untouched.
  EXPECT_EQ(read(seeded->store / "seen-lock.json"), "{\"lockfileVersion\": 3}\n");
  EXPECT_EQ(read(tmp.path() / "app" / "package-lock.json"), "{\"lockfileVersion\": 3}\n");
}

// Two `lepton new`s at once: one prepares, the other waits for it and reuses the entry.
TEST(NpmSeed, ConcurrentSeedsPrepareOnce) {
  Tmp tmp;
  const fs::path log = tmp.path() / "npm.log";
  NpmSeedOptions o;
  o.store_root = tmp.path() / "store";
  o.npm = fake_npm(tmp.path(), log, "sleep 1\n").string();
  o.progress = [](const std::string&) {};
  write(tmp.path() / "a" / "package.json", package_json("a"));
  write(tmp.path() / "b" / "package.json", package_json("b"));
  Result<NpmSeedReport> ra = fail("not run"), rb = fail("not run");
  std::thread ta([&] { ra = seed_node_modules(tmp.path() / "a", o); });
  std::thread tb([&] { rb = seed_node_modules(tmp.path() / "b", o); });
  ta.join();
  tb.join();
  ASSERT_TRUE(ra.ok()) << ra.error().message;
  ASSERT_TRUE(rb.ok()) << rb.error().message;
  EXPECT_EQ(lines(log), 1u) << read(log);
  EXPECT_NE(ra->prepared, rb->prepared);
  EXPECT_TRUE(fs::exists(tmp.path() / "a" / "node_modules" / "pkg" / "index.js"));
  EXPECT_TRUE(fs::exists(tmp.path() / "b" / "node_modules" / "pkg" / "index.js"));
  // Only the entry and its lock file remain: no temporary directories.
  size_t entries = 0;
  for (const auto& e : fs::directory_iterator(o.store_root)) {
    EXPECT_EQ(e.path().filename().string().rfind(".tmp-", 0), std::string::npos) << e.path();
    ++entries;
  }
  EXPECT_EQ(entries, 2u);
}

TEST(NpmSeed, FailingNpmLeavesNoTreeAndNoStoreEntry) {
  Tmp tmp;
  const fs::path log = tmp.path() / "npm.log";
  NpmSeedOptions o;
  o.store_root = tmp.path() / "store";
  o.npm =
      fake_npm(tmp.path(), log, "echo 'npm error 404 Not Found - left-pad' >&2\nexit 1\n").string();
  o.progress = [](const std::string&) {};
  write(tmp.path() / "app" / "package.json", package_json("app"));
  auto seeded = seed_node_modules(tmp.path() / "app", o);
  ASSERT_FALSE(seeded.ok());
  EXPECT_NE(seeded.error().message.find("install` failed (exit status 1)"), std::string::npos)
      << seeded.error().message;
  EXPECT_NE(seeded.error().message.find("npm error 404 Not Found - left-pad"), std::string::npos)
      << seeded.error().message;
  EXPECT_FALSE(fs::exists(tmp.path() / "app" / "node_modules"));
  EXPECT_FALSE(fs::exists(tmp.path() / "app" / "package-lock.json"));
  for (const auto& e : fs::directory_iterator(o.store_root))
    EXPECT_EQ(e.path().extension(), ".lock") << "left behind: " << e.path();

  o.npm = (tmp.path() / "no" / "npm").string();
  seeded = seed_node_modules(tmp.path() / "app", o);
  ASSERT_FALSE(seeded.ok());
  EXPECT_NE(seeded.error().message.find("not found on PATH"), std::string::npos)
      << seeded.error().message;
  EXPECT_FALSE(fs::exists(tmp.path() / "app" / "node_modules"));
}

TEST(NpmSeed, LeptonMetadataNpmTableIsStrict) {
  auto on = parse_lepton_metadata("[npm]\nseed = true\n", "l.toml");
  ASSERT_TRUE(on.ok()) << on.error().message;
  EXPECT_TRUE(on->npm_seed);
  EXPECT_TRUE(on->sdk.empty());
  auto off = parse_lepton_metadata("[npm]\nseed = false\n", "l.toml");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->npm_seed);
  auto error = [](const std::string& text) {
    auto r = parse_lepton_metadata(text, "l.toml");
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? std::string() : r.error().message;
  };
  EXPECT_NE(error("[npm]\nseeds = true\n").find("l.toml:2:1: unknown field 'seeds' in [npm]"),
            std::string::npos)
      << error("[npm]\nseeds = true\n");
  EXPECT_NE(error("[npm]\nseed = \"yes\"\n").find("invalid type for 'seed'"), std::string::npos);
  EXPECT_NE(error("npm = true\n").find("invalid type for 'npm'"), std::string::npos);
}

TEST(NpmSeed, JsTemplatesAskForSeeding) {
  for (const char* id : {"http-js", "http-ts"}) {
    auto t = load_template(kRepoTemplates / id);
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_TRUE(t->npm_seed) << id;
  }
  auto c = load_template(kRepoTemplates / "http-c");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->npm_seed);
}

}  // namespace
}  // namespace lepton::templates
