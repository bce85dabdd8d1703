#include "cli/watch_rules.h"

#include <gtest/gtest.h>

namespace lepton::cli::watch {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

const fs::path kApp = "/srv/app";

Rules rules(const std::vector<ComponentWatch>& components, bool skip_build = false,
            std::vector<std::string>* warnings = nullptr) {
  return Rules::make(kApp, kApp / "spin.toml", components, skip_build, warnings);
}

ComponentWatch c_component() {
  ComponentWatch c;
  c.id = "hello";
  c.source = kApp / "main.wasm";
  c.has_build = true;
  c.watch = {"**/*.c", "**/*.h"};
  return c;
}

TEST(WatchRules, BuildGlobsRebuildTheirComponent) {
  Rules r = rules({c_component()});
  EXPECT_EQ(r.classify(kApp / "main.c").rebuild, std::set<std::string>{"hello"});
  EXPECT_EQ(r.classify(kApp / "lib" / "deep" / "x.h").rebuild, std::set<std::string>{"hello"});
  EXPECT_TRUE(r.classify(kApp / "README.md").empty());
  EXPECT_TRUE(r.classify(kApp / "main.c.swp").empty());
  EXPECT_TRUE(r.classify("/elsewhere/main.c").empty());
  EXPECT_FALSE(r.classify(kApp / "main.c").restart);
}

TEST(WatchRules, GlobsAreRelativeToTheBuildWorkdir) {
  ComponentWatch api;
  api.id = "api";
  api.source = kApp / "api" / "target" / "api.wasm";
  api.has_build = true;
  api.workdir = "api";
  api.watch = {"src/*.rs", "Cargo.toml", "./../shared/*.h"};
  ComponentWatch web = c_component();
  web.id = "web";
  web.workdir = "web/";
  web.watch = {"*.c"};
  Rules r = rules({api, web});
  EXPECT_EQ(r.classify(kApp / "api" / "src" / "lib.rs").rebuild, std::set<std::string>{"api"});
  EXPECT_TRUE(r.classify(kApp / "api" / "src" / "sub" / "lib.rs").empty());  // '*' stops at '/'
  EXPECT_EQ(r.classify(kApp / "api" / "Cargo.toml").rebuild, std::set<std::string>{"api"});
  EXPECT_TRUE(r.classify(kApp / "Cargo.toml").empty());
  EXPECT_EQ(r.classify(kApp / "shared" / "x.h").rebuild, std::set<std::string>{"api"});
  EXPECT_EQ(r.classify(kApp / "web" / "main.c").rebuild, std::set<std::string>{"web"});
  EXPECT_TRUE(r.classify(kApp / "main.c").empty());
  // The artifact restarts only.
  auto impact = r.classify(kApp / "api" / "target" / "api.wasm");
  EXPECT_TRUE(impact.restart);
  EXPECT_TRUE(impact.rebuild.empty());
}

TEST(WatchRules, ArtifactsFilesAndManifest) {
  ComponentWatch c = c_component();
  c.file_patterns = {"static/*.txt", "README.md", "assets"};
  c.file_sources = {"public"};
  Rules r = rules({c});
  EXPECT_TRUE(r.classify(kApp / "main.wasm").restart);
  EXPECT_TRUE(r.classify(kApp / "static" / "a.txt").restart);
  EXPECT_FALSE(r.classify(kApp / "static" / "a.html").restart);
  EXPECT_TRUE(r.classify(kApp / "README.md").restart);
  EXPECT_TRUE(r.classify(kApp / "assets" / "css" / "site.css").restart);
  EXPECT_FALSE(r.classify(kApp / "assets-old" / "x").restart);
  EXPECT_TRUE(r.classify(kApp / "public" / "index.html").restart);
  auto manifest = r.classify(kApp / "spin.toml");
  EXPECT_TRUE(manifest.manifest);
  EXPECT_FALSE(manifest.restart);
  EXPECT_TRUE(r.classify(kApp / "other.toml").empty());
}

TEST(WatchRules, SkipBuildIgnoresSourcesAndMissingWatchWarns) {
  EXPECT_TRUE(rules({c_component()}, true).classify(kApp / "main.c").empty());
  EXPECT_TRUE(rules({c_component()}, true).classify(kApp / "main.wasm").restart);
  ComponentWatch quiet = c_component();
  quiet.watch.clear();
  std::vector<std::string> warnings;
  rules({quiet}, false, &warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("'hello'"), std::string::npos) << warnings[0];
  warnings.clear();
  ComponentWatch bad = c_component();
  bad.watch = {"src/a**.c"};
  rules({bad}, false, &warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("src/a**.c"), std::string::npos) << warnings[0];
}

TEST(WatchRules, ArtifactOutsideTheAppDirIsWatchedByItsDirectory) {
  ComponentWatch c = c_component();
  c.source = "/srv/shared/out/x.wasm";
  Rules r = rules({c});
  EXPECT_EQ(r.outside_dirs(), std::vector<fs::path>{"/srv/shared/out"});
  EXPECT_TRUE(r.classify("/srv/shared/out/x.wasm").restart);
  EXPECT_TRUE(rules({c_component()}).outside_dirs().empty());
}

TEST(WatchRules, ImpactMerges) {
  Impact a;
  a.rebuild = {"x"};
  Impact b;
  b.restart = true;
  b.rebuild = {"y"};
  a.merge(b);
  EXPECT_TRUE(a.restart);
  EXPECT_FALSE(a.manifest);
  EXPECT_EQ(a.rebuild, (std::set<std::string>{"x", "y"}));
}

TEST(Debouncer, WaitsForQuietThenFires) {
  Debouncer d(milliseconds(100), milliseconds(2000));
  Debouncer::Clock::time_point t0{};
  EXPECT_FALSE(d.pending());
  EXPECT_FALSE(d.due(t0));
  d.note(t0);
  EXPECT_TRUE(d.pending());
  EXPECT_FALSE(d.due(t0 + milliseconds(99)));
  d.note(t0 + milliseconds(80));  // a second change pushes the deadline
  EXPECT_FALSE(d.due(t0 + milliseconds(150)));
  EXPECT_TRUE(d.due(t0 + milliseconds(180)));
  EXPECT_EQ(*d.deadline(), t0 + milliseconds(180));
  d.reset();
  EXPECT_FALSE(d.pending());
  EXPECT_FALSE(d.deadline().has_value());
}

TEST(Debouncer, SteadyStreamFiresAtMaxWait) {
  Debouncer d(milliseconds(100), milliseconds(500));
  Debouncer::Clock::time_point t0{};
  for (int i = 0; i <= 600; i += 50) {
    if (d.due(t0 + milliseconds(i))) {
      EXPECT_EQ(i, 500);
      return;
    }
    d.note(t0 + milliseconds(i));
  }
  FAIL() << "never due";
}

}  // namespace
}  // namespace lepton::cli::watch
