#include "manifest/glob.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace lepton::manifest::detail {
namespace {

bool M(std::string_view pattern, std::string_view path, bool lit_sep = false) {
  auto p = GlobPattern::compile(pattern);
  EXPECT_TRUE(p.ok()) << pattern;
  return p.ok() && p->matches(path, lit_sep);
}

TEST(GlobPattern, Basics) {
  EXPECT_TRUE(M("a.txt", "a.txt"));
  EXPECT_FALSE(M("a.txt", "b.txt"));
  EXPECT_TRUE(M("*.txt", "a.txt"));
  EXPECT_TRUE(M("*.txt", ".hidden.txt"));  // no literal leading dot, like the crate's default
  EXPECT_TRUE(M("?.txt", "a.txt"));
  EXPECT_FALSE(M("?.txt", "ab.txt"));
  EXPECT_TRUE(M("[ab].txt", "b.txt"));
  EXPECT_FALSE(M("[ab].txt", "c.txt"));
  EXPECT_TRUE(M("[a-c].txt", "c.txt"));
  EXPECT_TRUE(M("[!a-c].txt", "d.txt"));
  EXPECT_FALSE(M("[!a-c].txt", "a.txt"));
  EXPECT_TRUE(M("[]].txt", "].txt"));
  EXPECT_TRUE(M("[*]", "*"));
  EXPECT_FALSE(M("[*]", "a"));
}

TEST(GlobPattern, SeparatorHandling) {
  // Spin matches exclude_files without require_literal_separator: '*' crosses '/'.
  EXPECT_TRUE(M("secret/*", "secret/a/b"));
  EXPECT_TRUE(M("*.txt", "dir/a.txt"));
  EXPECT_FALSE(M("*.txt", "dir/a.txt", true));
  EXPECT_FALSE(M("secret/*", "secret/a/b", true));
  EXPECT_TRUE(M("**/secret", "secret"));
  EXPECT_TRUE(M("**/secret", "a/b/secret"));
  EXPECT_FALSE(M("**/secret", "a/bsecret"));
  EXPECT_TRUE(M("a/**", "a/b/c"));
  EXPECT_TRUE(M("a/**/b", "a/b"));
  EXPECT_TRUE(M("a/**/b", "a/x/y/b"));
  EXPECT_TRUE(M("**/*.txt", "x/y/z.txt", true));
}

TEST(GlobPattern, InvalidPatterns) {
  EXPECT_FALSE(GlobPattern::compile("a**").ok());
  EXPECT_FALSE(GlobPattern::compile("**a").ok());
  EXPECT_FALSE(GlobPattern::compile("a/***").ok());
  EXPECT_FALSE(GlobPattern::compile("[ab").ok());
  EXPECT_FALSE(GlobPattern::compile("[]").ok());
  EXPECT_FALSE(GlobPattern::compile("[!]").ok());
  auto err = GlobPattern::compile("x/a**");
  ASSERT_FALSE(err.ok());
  EXPECT_NE(err.error().message.find("single path component"), std::string::npos);
}

TEST(GlobPattern, PathologicalPatternIsFast) {
  std::string pattern;
  for (int i = 0; i < 20; ++i) pattern += "*a";
  pattern += "b";
  std::string path(200, 'a');
  EXPECT_FALSE(M(pattern, path));
}

TEST(GlobFiles, WalksComponents) {
  testing::TempDir dir;
  dir.write("a.txt");
  dir.write(".hidden.txt");
  dir.write("b.md");
  dir.write("sub/c.txt");
  dir.write("sub/deep/d.txt");
  dir.write("sub/deep/e.md");
  std::filesystem::create_directories(dir.path() / "emptydir");

  auto files = glob_files(dir.path(), "*.txt");
  ASSERT_TRUE(files.ok()) << files.error().message;
  EXPECT_EQ(*files, (std::vector<std::string>{".hidden.txt", "a.txt"}));

  files = glob_files(dir.path(), "**/*.txt");
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(*files,
            (std::vector<std::string>{".hidden.txt", "a.txt", "sub/c.txt", "sub/deep/d.txt"}));

  files = glob_files(dir.path(), "sub/*");
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(*files, (std::vector<std::string>{"sub/c.txt"}));  // directories are not files

  files = glob_files(dir.path(), "sub/**");  // trailing ** matches directories only
  ASSERT_TRUE(files.ok());
  EXPECT_TRUE(files->empty());

  files = glob_files(dir.path(), "s?b/**/*.md");
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(*files, (std::vector<std::string>{"sub/deep/e.md"}));

  files = glob_files(dir.path(), "nope/*");
  ASSERT_TRUE(files.ok());
  EXPECT_TRUE(files->empty());

  EXPECT_FALSE(glob_files(dir.path(), "sub/a**").ok());
}

}  // namespace
}  // namespace lepton::manifest::detail
