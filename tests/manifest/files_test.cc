#include "manifest/files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "manifest/manifest.h"
#include "test_util.h"

namespace lepton::manifest::detail {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("index.html");
    dir_.write(".env");
    dir_.write("static/a.txt");
    dir_.write("static/b.md");
    dir_.write("static/img/logo.png");
    dir_.write("static/secret/key.pem");
    dir_.write("static/deep/er/c.txt");
    dir_.write("other/x.txt");
  }

  static FileSpec Pattern(std::string p) {
    FileSpec f;
    f.pattern = std::move(p);
    return f;
  }
  static FileSpec Place(std::string src, std::string dest) {
    FileSpec f;
    f.placement = true;
    f.source = std::move(src);
    f.destination = std::move(dest);
    return f;
  }

  // guest → app-relative host path
  std::vector<std::pair<std::string, std::string>> Expand(std::vector<FileSpec> specs,
                                                          std::vector<std::string> excludes = {}) {
    warnings_.clear();
    auto r = expand_files(dir_.path(), specs, excludes, &warnings_);
    EXPECT_TRUE(r.ok()) << r.error().message;
    std::vector<std::pair<std::string, std::string>> out;
    if (!r.ok()) return out;
    for (const auto& m : *r) {
      EXPECT_TRUE(m.host_path.is_absolute());
      out.emplace_back(m.guest_path, m.host_path.lexically_relative(dir_.path()).generic_string());
    }
    return out;
  }

  std::string ExpandError(std::vector<FileSpec> specs, std::vector<std::string> excludes = {}) {
    auto r = expand_files(dir_.path(), specs, excludes, &warnings_);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.error().message;
  }

  testing::TempDir dir_;
  std::vector<std::string> warnings_;
};

TEST_F(FilesTest, GlobPatterns) {
  EXPECT_THAT(Expand({Pattern("static/*.txt")}),
              ElementsAre(Pair("/static/a.txt", "static/a.txt")));
  EXPECT_THAT(Expand({Pattern("static/**/*.txt")}),
              ElementsAre(Pair("/static/a.txt", "static/a.txt"),
                          Pair("/static/deep/er/c.txt", "static/deep/er/c.txt")));
  EXPECT_THAT(Expand({Pattern("./*")}),
              ElementsAre(Pair("/.env", ".env"), Pair("/index.html", "index.html")));
  EXPECT_TRUE(warnings_.empty());
  EXPECT_THAT(Expand({Pattern("*")}),
              ElementsAre(Pair("/.env", ".env"), Pair("/index.html", "index.html")));
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_THAT(warnings_[0], HasSubstr("./*"));
  EXPECT_THAT(Expand({Pattern("static/[ab].*")}), ElementsAre(Pair("/static/a.txt", "static/a.txt"),
                                                              Pair("/static/b.md", "static/b.md")));
  EXPECT_TRUE(Expand({Pattern("nothing/*.txt")}).empty());  // no match is not an error
}

TEST_F(FilesTest, LiteralFilesAndDirectories) {
  EXPECT_THAT(Expand({Pattern("index.html")}), ElementsAre(Pair("/index.html", "index.html")));
  EXPECT_THAT(Expand({Pattern("static/img")}),
              ElementsAre(Pair("/static/img/logo.png", "static/img/logo.png")));
  EXPECT_THAT(Expand({Pattern("other/")}), ElementsAre(Pair("/other/x.txt", "other/x.txt")));
}

TEST_F(FilesTest, Placements) {
  EXPECT_THAT(Expand({Place("static/img", "/assets")}),
              ElementsAre(Pair("/assets/logo.png", "static/img/logo.png")));
  EXPECT_THAT(Expand({Place("other", "/")}), ElementsAre(Pair("/x.txt", "other/x.txt")));
  EXPECT_THAT(Expand({Place("index.html", "/www/home.html")}),
              ElementsAre(Pair("/www/home.html", "index.html")));
  EXPECT_THAT(Expand({Place(dir_.path().string() + "/other", "//data/./")}),
              ElementsAre(Pair("/data/x.txt", "other/x.txt")));
}

TEST_F(FilesTest, ExcludeFiles) {
  // Matched against app-relative paths; '*' crosses '/' as in Spin.
  EXPECT_THAT(Expand({Pattern("static")}, {"static/secret/*", "**/*.md", "static/deep/*"}),
              ElementsAre(Pair("/static/a.txt", "static/a.txt"),
                          Pair("/static/img/logo.png", "static/img/logo.png")));
  EXPECT_THAT(
      Expand({Place("static", "/")}, {"*.pem", "static/*.txt"}),
      ElementsAre(Pair("/b.md", "static/b.md"), Pair("/img/logo.png", "static/img/logo.png")));
  // Explicitly named files are not excluded (Spin copies them directly).
  EXPECT_THAT(Expand({Pattern("index.html")}, {"*.html"}),
              ElementsAre(Pair("/index.html", "index.html")));
  EXPECT_THAT(ExpandError({Pattern("static")}, {"[oops"}),
              HasSubstr("invalid exclude_files glob pattern \"[oops\""));
}

TEST_F(FilesTest, SortedAndUnique) {
  auto files = Expand({Pattern("static/*.txt"), Pattern("static/a.txt"), Pattern("index.html"),
                       Place("other", "/static")});
  EXPECT_THAT(files,
              ElementsAre(Pair("/index.html", "index.html"), Pair("/static/a.txt", "static/a.txt"),
                          Pair("/static/x.txt", "other/x.txt")));
}

TEST_F(FilesTest, Errors) {
  EXPECT_THAT(ExpandError({Pattern("../outside/*")}),
              HasSubstr("outside the application directory"));
  EXPECT_THAT(ExpandError({Pattern("static/../../x")}),
              HasSubstr("outside the application directory"));
  EXPECT_THAT(ExpandError({Pattern("/etc/passwd")}),
              HasSubstr("outside the application directory"));
  EXPECT_THAT(ExpandError({Place("..", "/")}), HasSubstr("outside the application directory"));
  EXPECT_THAT(ExpandError({Pattern("static/..")}), HasSubstr("can't end in a parent directory"));
  EXPECT_THAT(ExpandError({Pattern(".")}), HasSubstr("can't end in a current directory"));
  EXPECT_THAT(ExpandError({Pattern("missing.txt")}),
              HasSubstr("\"missing.txt\" does not exist and doesn't appear to be a glob pattern"));
  EXPECT_THAT(ExpandError({Place("missing", "/")}),
              HasSubstr("file or directory \"missing\" does not exist"));
  EXPECT_THAT(ExpandError({Place("index.html", "/")}),
              HasSubstr("\"/\" is not a valid destination file name"));
  EXPECT_THAT(ExpandError({Place("static", "/a/../b")}), HasSubstr("must not contain '..'"));
  EXPECT_THAT(ExpandError({Pattern("static/a**")}), HasSubstr("single path component"));
}

TEST_F(FilesTest, ThroughTheManifest) {
  dir_.write("spin.toml", R"(spin_manifest_version = 2
[application]
name = "files"
[[trigger.http]]
route = "/..."
component = "web"
[component.web]
source = "web.wasm"
files = ["static/*.txt", { source = "other", destination = "/o" }, "../escape/*"]
)");
  auto r = load(dir_.path(), Options{});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("spin.toml:9:9: component 'web': file pattern "
                                           "\"../escape/*\" is outside the application "
                                           "directory"));

  dir_.write("spin.toml", R"(spin_manifest_version = 2
[application]
name = "files"
[[trigger.http]]
route = "/..."
component = "web"
[component.web]
source = "web.wasm"
files = ["static/**/*", { source = "other", destination = "/o" }]
exclude_files = ["static/secret/**", "static/deep/*"]
)");
  r = load(dir_.path(), Options{});
  ASSERT_TRUE(r.ok()) << r.error().message;
  std::vector<std::string> guests;
  for (const auto& f : r->components.at("web").files) guests.push_back(f.guest_path);
  EXPECT_THAT(guests,
              ElementsAre("/o/x.txt", "/static/a.txt", "/static/b.md", "/static/img/logo.png"));

  Options no_files;
  no_files.expand_files = false;
  r = load(dir_.path(), no_files);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->components.at("web").files.empty());
}

}  // namespace
}  // namespace lepton::manifest::detail
