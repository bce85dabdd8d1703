// FileTree construction and lexical path resolution.
#include <gtest/gtest.h>

#include "wasi/harness.h"
#include "wasi/internal.h"

namespace lepton::wasi {
namespace {

using detail::Errno;
using detail::resolve;

std::vector<app::FileMount> mounts(std::initializer_list<const char*> guest_paths) {
  std::vector<app::FileMount> out;
  for (const char* p : guest_paths) out.push_back({"/host/file", p});
  return out;
}

TEST(FileTree, ImpliesDirectoriesAndSortsEntries) {
  auto built = FileTree::build(mounts({"/z.txt", "/b/c/d.txt", "/a.txt", "/b/a.txt"}));
  ASSERT_TRUE(built.ok()) << built.error().message;
  const auto& root = (*built)->root();
  EXPECT_FALSE((*built)->empty());
  EXPECT_EQ((*built)->file_count(), 4u);
  ASSERT_EQ(root.children.size(), 3u);
  EXPECT_EQ(root.children[0]->name, "a.txt");
  EXPECT_EQ(root.children[1]->name, "b");
  EXPECT_TRUE(root.children[1]->is_dir);
  EXPECT_EQ(root.children[2]->name, "z.txt");
  EXPECT_EQ(root.parent, &root);
  const auto* d = resolve(root, "b/c/d.txt").node;
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->host_path, "/host/file");
  EXPECT_EQ(d->parent->parent->parent, &root);
  // Inodes are distinct.
  EXPECT_NE(d->ino, root.ino);
  EXPECT_NE(d->ino, root.children[0]->ino);
}

TEST(FileTree, EmptyTree) {
  auto built = FileTree::build({});
  ASSERT_TRUE(built.ok());
  EXPECT_TRUE((*built)->empty());
}

TEST(FileTree, RejectsBadMounts) {
  EXPECT_FALSE(FileTree::build(mounts({"relative.txt"})).ok());
  EXPECT_FALSE(FileTree::build(mounts({"/"})).ok());
  EXPECT_FALSE(FileTree::build(mounts({"/a/../b"})).ok());
  EXPECT_FALSE(FileTree::build(mounts({"/a", "/a/b"})).ok());
  EXPECT_FALSE(FileTree::build(mounts({"/a/b", "/a"})).ok());
  EXPECT_FALSE(FileTree::build(mounts({"/a", "/a"})).ok());
  auto err = FileTree::build(mounts({"/x/y", "/x"}));
  ASSERT_FALSE(err.ok());
  EXPECT_NE(err.error().message.find("/x"), std::string::npos) << err.error().message;
}

TEST(FileTree, ResolvesLexically) {
  auto built = FileTree::build(mounts({"/a.txt", "/s/i.html", "/s/c/x.css"}));
  ASSERT_TRUE(built.ok());
  const auto& root = (*built)->root();
  const auto* s = resolve(root, "s").node;
  ASSERT_NE(s, nullptr);

  EXPECT_EQ(resolve(root, ".").node, &root);
  EXPECT_EQ(resolve(root, "..").node, &root);
  EXPECT_EQ(resolve(root, "../../..").node, &root);
  EXPECT_EQ(resolve(root, "s/..").node, &root);
  EXPECT_EQ(resolve(root, "s/").node, s);
  EXPECT_EQ(resolve(root, "s//c/../i.html").node, resolve(root, "s/i.html").node);
  EXPECT_EQ(resolve(*s, "../a.txt").node, resolve(root, "a.txt").node);
  EXPECT_EQ(resolve(*s, "../../../a.txt").node, resolve(root, "a.txt").node);

  EXPECT_EQ(resolve(root, "").error, Errno::Noent);
  EXPECT_EQ(resolve(root, "/a.txt").error, Errno::Perm);  // absolute: not relative to a dir fd
  EXPECT_EQ(resolve(root, "a.txt/").error, Errno::Notdir);
  EXPECT_EQ(resolve(root, "a.txt/..").error, Errno::Notdir);
  EXPECT_EQ(resolve(root, "a.txt/b").error, Errno::Notdir);
  EXPECT_EQ(resolve(root, std::string_view("a\0b", 3)).error, Errno::Inval);
  EXPECT_EQ(resolve(root, std::string(5000, 'a')).error, Errno::Nametoolong);

  auto missing = resolve(root, "s/new.txt");
  EXPECT_EQ(missing.error, Errno::Noent);
  EXPECT_TRUE(missing.missing_leaf);
  missing = resolve(root, "s/new/");
  EXPECT_TRUE(missing.missing_leaf);
  missing = resolve(root, "nodir/new.txt");
  EXPECT_EQ(missing.error, Errno::Noent);
  EXPECT_FALSE(missing.missing_leaf);
  EXPECT_EQ(resolve(root, "../../etc/passwd").error, Errno::Noent);
}

}  // namespace
}  // namespace lepton::wasi
