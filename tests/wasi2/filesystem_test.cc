// wasi:filesystem over a FileTree of real temporary files: reads, listings, stats, and every way
// out of the tree or into writing refused.
#include <filesystem>

#include "manifest/test_util.h"
#include "wasi2/host_fixture.h"

namespace lepton::wasi2 {
namespace {

using component::Val;
using testing::FailsWith;
using testing::Host;
using testing::ok_of;

constexpr std::string_view kFs = "wasi:filesystem/types";
// error-code case indices (WIT order).
constexpr uint32_t kInvalid = 12, kIsDirectory = 14, kNoEntry = 20, kNotDirectory = 24,
                   kNotPermitted = 31, kReadOnly = 33;
// descriptor-type.
constexpr uint32_t kDirectory = 3, kRegularFile = 6;
// open-flags and descriptor-flags bits.
constexpr uint32_t kCreate = 1, kOpenDirectory = 2, kExclusive = 4, kTruncate = 8;
constexpr uint32_t kRead = 1, kWrite = 2, kMutateDirectory = 32;

Val err_code(uint32_t code) { return Val::err(Val::enum_(code)); }

class Filesystem : public ::testing::Test {
 protected:
  Filesystem() {
    a_ = dir_.write("a.txt", "hello world");
    b_ = dir_.write("nested/b.txt", "bee");
    dir_.write("secret.txt", "not mounted");
    std::filesystem::create_symlink("/etc/passwd", dir_.path() / "link");
    auto tree = wasi::FileTree::build({{a_, "/a.txt"}, {b_, "/sub/b.txt"}});
    EXPECT_TRUE(tree.ok());
    Config config;
    config.files = *tree;
    host_ = std::make_unique<Host>(config);
    Val dirs = h().call("wasi:filesystem/preopens", "get-directories");
    EXPECT_EQ(dirs.items().size(), 1u);
    root_ = dirs.items()[0].items()[0].rep();
    EXPECT_EQ(dirs.items()[0].items()[1], Val::string("/"));
  }

  Host& h() { return *host_; }
  Val method(std::string_view name, std::vector<Val> args) {
    return h().call(kFs, "[method]descriptor." + std::string(name), std::move(args));
  }
  Val open(std::string_view path, uint32_t open_flags = 0, uint32_t flags = kRead) {
    return method("open-at", {Val::borrow(root_), Val::flags(0), Val::string(std::string(path)),
                              Val::flags(open_flags), Val::flags(flags)});
  }
  uint32_t open_ok(std::string_view path, uint32_t open_flags = 0) {
    return ok_of(open(path, open_flags)).rep();
  }

  lepton::testing::TempDir dir_;
  std::filesystem::path a_, b_;
  std::unique_ptr<Host> host_;
  uint32_t root_ = 0;
};

TEST_F(Filesystem, ReadsAFile) {
  uint32_t d = open_ok("a.txt");
  EXPECT_EQ(ok_of(method("get-type", {Val::borrow(d)})), Val::enum_(kRegularFile));
  EXPECT_EQ(ok_of(method("get-flags", {Val::borrow(d)})), Val::flags(kRead));
  EXPECT_EQ(ok_of(method("read", {Val::borrow(d), Val::u64(5), Val::u64(0)})),
            Val::tuple({Val::bytes("hello"), Val::bool_(false)}));
  EXPECT_EQ(ok_of(method("read", {Val::borrow(d), Val::u64(100), Val::u64(6)})),
            Val::tuple({Val::bytes("world"), Val::bool_(true)}));
  EXPECT_EQ(ok_of(method("read", {Val::borrow(d), Val::u64(10), Val::u64(1000)})),
            Val::tuple({Val::bytes(""), Val::bool_(true)}));

  Val stat = ok_of(method("stat", {Val::borrow(d)}));
  EXPECT_EQ(stat.items()[0], Val::enum_(kRegularFile));
  EXPECT_EQ(stat.items()[2], Val::u64(11));
  EXPECT_EQ(stat.items()[4].case_index(), 1u);  // some(modification time)
}

TEST_F(Filesystem, ReadViaStream) {
  uint32_t d = open_ok("sub/b.txt");
  uint32_t s = ok_of(method("read-via-stream", {Val::borrow(d), Val::u64(1)})).rep();
  EXPECT_EQ(ok_of(h().call("wasi:io/streams", "[method]input-stream.blocking-read",
                           {Val::borrow(s), Val::u64(100)})),
            Val::bytes("ee"));
  EXPECT_EQ(h().call("wasi:io/streams", "[method]input-stream.read", {Val::borrow(s), Val::u64(1)}),
            Val::err(Val::variant(1)));  // closed at the end
  EXPECT_EQ(method("read-via-stream", {Val::borrow(root_), Val::u64(0)}), err_code(kIsDirectory));
  // The stream stays usable after its descriptor is dropped.
  uint32_t s2 = ok_of(method("read-via-stream", {Val::borrow(d), Val::u64(0)})).rep();
  ASSERT_TRUE(h().drop(kFs, "descriptor", d).ok());
  EXPECT_EQ(ok_of(h().call("wasi:io/streams", "[method]input-stream.read",
                           {Val::borrow(s2), Val::u64(100)})),
            Val::bytes("bee"));
}

TEST_F(Filesystem, StreamErrorsCarryAFilesystemErrorCode) {
  uint32_t d = open_ok("a.txt");
  uint32_t s = ok_of(method("read-via-stream", {Val::borrow(d), Val::u64(0)})).rep();
  // Evict a.txt's cached host descriptor by touching 8 other files, then remove it on the host.
  std::vector<app::FileMount> mounts;
  for (int i = 0; i < 9; ++i)
    mounts.push_back({dir_.write("f" + std::to_string(i), "x"), "/f" + std::to_string(i)});
  mounts.push_back({a_, "/a.txt"});
  // Same host, second tree: its files share the request's descriptor cache.
  Config config;
  config.files = *wasi::FileTree::build(mounts);
  h().instance.emplace(std::make_unique<Config>(config));
  uint32_t root2 =
      h().call("wasi:filesystem/preopens", "get-directories").items()[0].items()[0].rep();
  for (int i = 0; i < 9; ++i)
    ok_of(
        method("open-at", {Val::borrow(root2), Val::flags(0), Val::string("f" + std::to_string(i)),
                           Val::flags(0), Val::flags(kRead)}));
  std::filesystem::remove(a_);
  Val r = h().call("wasi:io/streams", "[method]input-stream.read", {Val::borrow(s), Val::u64(10)});
  ASSERT_EQ(r.case_index(), 1u) << r.to_string();
  ASSERT_EQ(r.payload()->case_index(), 0u);  // last-operation-failed
  uint32_t e = r.payload()->payload()->rep();
  EXPECT_EQ(h().call(kFs, "filesystem-error-code", {Val::borrow(e)}),
            Val::some(Val::enum_(kNoEntry)));
  // Errors from other sources are not filesystem errors.
  uint32_t other = add_error(h().instance, IoError{"pipe broke", "", std::nullopt});
  EXPECT_EQ(h().call(kFs, "filesystem-error-code", {Val::borrow(other)}), Val::none());
  // Opening the vanished file fails too.
  EXPECT_EQ(open("a.txt"), err_code(kNoEntry));
}

TEST_F(Filesystem, ListsDirectories) {
  uint32_t s = ok_of(method("read-directory", {Val::borrow(root_)})).rep();
  auto next = [&] {
    return ok_of(
        h().call(kFs, "[method]directory-entry-stream.read-directory-entry", {Val::borrow(s)}));
  };
  EXPECT_EQ(next(), Val::some(Val::record({Val::enum_(kRegularFile), Val::string("a.txt")})));
  EXPECT_EQ(next(), Val::some(Val::record({Val::enum_(kDirectory), Val::string("sub")})));
  EXPECT_EQ(next(), Val::none());
  EXPECT_EQ(next(), Val::none());
  ASSERT_TRUE(h().drop(kFs, "directory-entry-stream", s).ok());
  EXPECT_FALSE(h().drop(kFs, "directory-entry-stream", s).ok());

  uint32_t file = open_ok("a.txt");
  EXPECT_EQ(method("read-directory", {Val::borrow(file)}), err_code(kNotDirectory));
  uint32_t sub = open_ok("sub", kOpenDirectory);
  EXPECT_EQ(ok_of(method("get-type", {Val::borrow(sub)})), Val::enum_(kDirectory));
  Val st = ok_of(method("stat-at", {Val::borrow(root_), Val::flags(0), Val::string("sub")}));
  EXPECT_EQ(st.items()[0], Val::enum_(kDirectory));
  EXPECT_EQ(
      ok_of(method("stat-at", {Val::borrow(sub), Val::flags(0), Val::string("b.txt")})).items()[2],
      Val::u64(3));
}

TEST_F(Filesystem, NoPathEscapesTheTree) {
  EXPECT_EQ(open("../x"), err_code(kNoEntry));
  EXPECT_EQ(open("../../../../etc/passwd"), err_code(kNoEntry));
  EXPECT_EQ(open("/etc/passwd"), err_code(kNotPermitted));
  EXPECT_EQ(open("/a.txt"), err_code(kNotPermitted));
  // Host files next to mounted ones, and host symlinks, are not in the tree.
  EXPECT_EQ(open("secret.txt"), err_code(kNoEntry));
  EXPECT_EQ(open("link"), err_code(kNoEntry));
  EXPECT_EQ(open("sub/../../../secret.txt"), err_code(kNoEntry));
  EXPECT_EQ(open("a.txt/"), err_code(kNotDirectory));
  EXPECT_EQ(open("a.txt/.."), err_code(kNotDirectory));
  EXPECT_EQ(open(std::string("a.txt\0x", 7)), err_code(kInvalid));
  EXPECT_EQ(open(""), err_code(kNoEntry));
  // ".." stops at the root, as "/.." does on a host: this is the tree's own a.txt.
  uint32_t d = open_ok("sub/../../a.txt");
  EXPECT_EQ(ok_of(method("read", {Val::borrow(d), Val::u64(5), Val::u64(0)})).items()[0],
            Val::bytes("hello"));
  EXPECT_EQ(method("stat-at", {Val::borrow(root_), Val::flags(1), Val::string("/etc")}),
            err_code(kNotPermitted));
  // Paths are relative to the descriptor: a file is not a directory to start from.
  EXPECT_EQ(method("open-at", {Val::borrow(d), Val::flags(0), Val::string("x"), Val::flags(0),
                               Val::flags(kRead)}),
            err_code(kNotDirectory));
  EXPECT_EQ(method("readlink-at", {Val::borrow(root_), Val::string("a.txt")}), err_code(kInvalid));
  EXPECT_EQ(method("readlink-at", {Val::borrow(root_), Val::string("link")}), err_code(kNoEntry));
  EXPECT_EQ(open("a.txt", kOpenDirectory), err_code(kNotDirectory));
}

TEST_F(Filesystem, WritesAreRefused) {
  EXPECT_EQ(open("new.txt", kCreate), err_code(kNotPermitted));
  EXPECT_EQ(open("a.txt", kTruncate), err_code(kNotPermitted));
  EXPECT_EQ(open("a.txt", kCreate | kExclusive), err_code(kNotPermitted));
  EXPECT_EQ(open("a.txt", 0, kRead | kWrite), err_code(kNotPermitted));
  EXPECT_EQ(open("sub", kOpenDirectory, kRead | kMutateDirectory), err_code(kNotPermitted));
  // Write intent is refused even where the path would escape.
  EXPECT_EQ(open("../../etc/passwd", kCreate), err_code(kNotPermitted));

  uint32_t d = open_ok("a.txt");
  EXPECT_EQ(method("write-via-stream", {Val::borrow(d), Val::u64(0)}), err_code(kReadOnly));
  EXPECT_EQ(method("append-via-stream", {Val::borrow(d)}), err_code(kReadOnly));
  EXPECT_EQ(method("write", {Val::borrow(d), Val::bytes("x"), Val::u64(0)}), err_code(kReadOnly));
  EXPECT_EQ(method("set-size", {Val::borrow(d), Val::u64(0)}), err_code(kReadOnly));
  EXPECT_EQ(method("unlink-file-at", {Val::borrow(root_), Val::string("a.txt")}),
            err_code(kNotPermitted));
  EXPECT_EQ(method("create-directory-at", {Val::borrow(root_), Val::string("new")}),
            err_code(kNotPermitted));
  EXPECT_EQ(method("rename-at", {Val::borrow(root_), Val::string("a.txt"), Val::borrow(root_),
                                 Val::string("c.txt")}),
            err_code(kNotPermitted));
  EXPECT_EQ(
      method("symlink-at", {Val::borrow(root_), Val::string("/etc/passwd"), Val::string("p")}),
      err_code(kNotPermitted));
  EXPECT_EQ(method("remove-directory-at", {Val::borrow(root_), Val::string("sub")}),
            err_code(kNotPermitted));
  // The host file is untouched.
  EXPECT_EQ(ok_of(method("stat", {Val::borrow(d)})).items()[2], Val::u64(11));
  EXPECT_EQ(method("sync", {Val::borrow(d)}), Val::ok());
}

TEST_F(Filesystem, IdentityAndHashes) {
  uint32_t a1 = open_ok("a.txt");
  uint32_t a2 = open_ok("sub/../a.txt");
  uint32_t b = open_ok("sub/b.txt");
  EXPECT_EQ(method("is-same-object", {Val::borrow(a1), Val::borrow(a2)}), Val::bool_(true));
  EXPECT_EQ(method("is-same-object", {Val::borrow(a1), Val::borrow(b)}), Val::bool_(false));
  Val h1 = ok_of(method("metadata-hash", {Val::borrow(a1)}));
  EXPECT_EQ(h1, ok_of(method("metadata-hash", {Val::borrow(a2)})));
  EXPECT_EQ(h1, ok_of(method("metadata-hash-at",
                             {Val::borrow(root_), Val::flags(0), Val::string("a.txt")})));
  EXPECT_NE(h1, ok_of(method("metadata-hash", {Val::borrow(b)})));
  EXPECT_NE(h1, ok_of(method("metadata-hash", {Val::borrow(root_)})));
}

TEST_F(Filesystem, DroppedDescriptorsAreGone) {
  uint32_t d = open_ok("a.txt");
  ASSERT_TRUE(h().drop(kFs, "descriptor", d).ok());
  EXPECT_FALSE(h().drop(kFs, "descriptor", d).ok());
  EXPECT_TRUE(FailsWith(h().try_call(kFs, "[method]descriptor.get-type", {Val::borrow(d)}),
                        "unknown descriptor"));
  // The freed slot is reused by the next open.
  EXPECT_EQ(open_ok("a.txt"), d);
}

TEST(FilesystemPreopens, NoneWithoutFiles) {
  Host h;
  EXPECT_EQ(h.call("wasi:filesystem/preopens", "get-directories"), Val::list({}));
  Config config;
  config.files = *wasi::FileTree::build({});
  Host empty(config);
  EXPECT_EQ(empty.call("wasi:filesystem/preopens", "get-directories"), Val::list({}));
}

}  // namespace
}  // namespace lepton::wasi2
