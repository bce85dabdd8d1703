// Real wasi-libc guests (tests/guests) run through Wasmtime against lepton's preview1 host.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iterator>
#include <sstream>

#include "wasi/harness.h"

namespace lepton::wasi {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::run_guest;
using testing::RunResult;
using testing::TempDir;
using testing::tree;

// Parses "key=value" lines/tokens of guest output.
std::string field(const std::string& out, const std::string& key) {
  std::istringstream in(out);
  std::string token;
  while (in >> token)
    if (token.rfind(key + "=", 0) == 0) return token.substr(key.size() + 1);
  return {};
}

uint64_t number(const std::string& out, const std::string& key) {
  return std::strtoull(field(out, key).c_str(), nullptr, 10);
}

TEST(Preview1, ArgsEnvStdinAndStderr) {
  Preview1Config config;
  config.args = {"probe.wasm", "echo", "two words", ""};
  config.env = {{"A", "1"}, {"EMPTY", ""}, {"WITH_EQ", "x=y"}};
  config.stdin_data = "hello from stdin\nsecond line, longer than seven bytes\n";
  RunResult r = run_guest("wasi_probe", config);
  EXPECT_FALSE(r.trap) << *r.trap;
  EXPECT_EQ(r.out,
            "arg[0]=probe.wasm\narg[1]=echo\narg[2]=two words\narg[3]=\n"
            "env:A=1\nenv:EMPTY=\nenv:WITH_EQ=x=y\n"
            "hello from stdin\nsecond line, longer than seven bytes\n");
  EXPECT_EQ(r.err, "probe stderr\n");
  EXPECT_EQ(r.exit_code, std::nullopt);  // main returned 0: no proc_exit
}

TEST(Preview1, EmptyArgsAndEnv) {
  RunResult r = run_guest("wasi_probe", {});
  EXPECT_FALSE(r.trap) << *r.trap;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "probe stderr\n");
}

TEST(Preview1, ExitCodeIsCaptured) {
  Preview1Config config;
  config.args = {"probe"};
  config.env = {{"EXIT_CODE", "42"}};
  RunResult r = run_guest("wasi_probe", config);
  EXPECT_EQ(r.exit_code, 42);
  ASSERT_TRUE(r.trap);
  EXPECT_THAT(*r.trap, HasSubstr(kExitTrapMessage));
  EXPECT_EQ(r.out, "arg[0]=probe\nenv:EXIT_CODE=42\n");

  config.env = {{"EXIT_CODE", "0"}};
  r = run_guest("wasi_probe", config);
  EXPECT_EQ(r.exit_code, 0);
}

TEST(Preview1, RunsWithThePoolingAllocator) {
  Preview1Config config;
  config.args = {"probe", "pooled"};
  config.stdin_data = "in";
  RunResult r = run_guest("wasi_probe", config, /*pooling=*/true);
  EXPECT_FALSE(r.trap) << *r.trap;
  EXPECT_EQ(r.out, "arg[0]=probe\narg[1]=pooled\nin");
}

TEST(Preview1, AllFunctionsLinkWithLibcSignatures) {
  RunResult r = run_guest("wasi_imports", {.args = {"imports"}});
  EXPECT_FALSE(r.trap) << *r.trap;
  EXPECT_EQ(r.out, "linked\n");
}

TEST(Preview1, ClocksAndRandom) {
  RunResult r = run_guest("wasi_probe", {.args = {"probe", "clock"}});
  EXPECT_FALSE(r.trap) << *r.trap;
  auto host_now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  int64_t realtime = static_cast<int64_t>(number(r.out, "realtime"));
  EXPECT_LT(std::llabs(host_now - realtime), 60'000'000'000ll) << r.out;
  EXPECT_LT(std::llabs(host_now / 1'000'000'000 - static_cast<int64_t>(number(r.out, "time"))), 60)
      << r.out;
  EXPECT_GT(number(r.out, "monotonic_delta"), 0u) << r.out;
  EXPECT_LT(number(r.out, "monotonic_delta"), 10'000'000'000ull) << r.out;
  // CPU time counts from the request's first query: small, but it advances.
  EXPECT_LT(number(r.out, "process_cputime"), 10'000'000'000ull) << r.out;
  EXPECT_GE(number(r.out, "thread_cputime"), number(r.out, "process_cputime")) << r.out;
  EXPECT_EQ(field(r.out, "res_realtime_err"), "0");
  EXPECT_GE(number(r.out, "res_realtime"), 1u);
  EXPECT_EQ(field(r.out, "bad_clock_err"), "28");  // INVAL
  std::string r0 = field(r.out, "random0"), r1 = field(r.out, "random1");
  EXPECT_EQ(r0.size(), 32u);
  EXPECT_NE(r0, r1);
  EXPECT_NE(r0, std::string(32, '0'));
  EXPECT_THAT(r.out, Not(HasSubstr("err=1")));
}

TEST(Preview1, FdstatOfStdioAndPreopen) {
  TempDir dir;
  auto files = tree({{dir.write("a.txt", "a"), "/a.txt"}});
  RunResult r = run_guest("wasi_probe", {.args = {"probe", "fdstat"}, .files = files});
  EXPECT_FALSE(r.trap) << *r.trap;
  // stdio: not terminals (type 0 = unknown, isatty 0), read-only stdin, write-only out/err.
  EXPECT_THAT(r.out, HasSubstr("fd=0 err=0 type=0 flags=0 base=2 inheriting=2 prestat_err=8"));
  EXPECT_THAT(r.out, HasSubstr("fd=1 err=0 type=0 flags=0 base=40 inheriting=40 prestat_err=8"));
  EXPECT_THAT(r.out, HasSubstr("fd=2 err=0 type=0 flags=0 base=40 inheriting=40 prestat_err=8"));
  EXPECT_THAT(r.out, HasSubstr("isatty=0"));
  EXPECT_THAT(r.out, Not(HasSubstr("isatty=1")));
  // fd 3: the preopened "/" directory (type 3).
  EXPECT_THAT(r.out, AllOf(HasSubstr("fd=3 err=0 type=3 flags=0"),
                           HasSubstr("prestat_err=0 name_err=0 name=/")));
  EXPECT_THAT(r.out, HasSubstr("fd=4 err=8"));  // BADF
}

TEST(Preview1, NoFilesMeansNoPreopen) {
  RunResult r = run_guest("wasi_probe", {.args = {"probe", "fdstat"}});
  EXPECT_THAT(r.out, HasSubstr("fd=3 err=8"));
  // An empty tree is no tree either.
  r = run_guest("wasi_probe", {.args = {"probe", "fdstat"}, .files = tree({})});
  EXPECT_THAT(r.out, HasSubstr("fd=3 err=8"));
  r = run_guest("file_reader", {.args = {"reader", "cat", "/a.txt"}});
  EXPECT_THAT(r.out, HasSubstr("error: "));
}

TEST(Preview1, SleepUsesPollOneoff) {
  auto start = std::chrono::steady_clock::now();
  RunResult r = run_guest("wasi_probe", {.args = {"probe", "sleep", "60"}});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(r.trap) << *r.trap;
  EXPECT_EQ(field(r.out, "nanosleep"), "0");
  EXPECT_GE(number(r.out, "elapsed_ms"), 60u) << r.out;
  EXPECT_GE(took, std::chrono::milliseconds(60));
}

TEST(Preview1, SleepStopsAtTheDeadline) {
  Preview1Config config;
  config.args = {"probe", "sleep", "30000"};
  config.sleep_deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
  auto start = std::chrono::steady_clock::now();
  RunResult r = run_guest("wasi_probe", config);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_FALSE(r.trap) << *r.trap;
}

TEST(Preview1, PollReportsStdinReadyWithoutSleeping) {
  auto start = std::chrono::steady_clock::now();
  RunResult r = run_guest("wasi_probe", {.args = {"probe", "poll"}, .stdin_data = "12345"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_THAT(r.out, HasSubstr("poll_err=0 n=1 [userdata=11 type=1 error=0 nbytes=5]"));
  EXPECT_THAT(r.out, HasSubstr("poll_zero_err=28"));
}

// ---- the file tree -----------------------------------------------------------------------------

class Files : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = dir_.write("src/a.txt", "alpha\n");
    auto index = dir_.write("src/static/index.html", "<h1>index</h1>\n");
    auto css = dir_.write("src/static/css/site.css", "body{}\n");
    auto digits = dir_.write("src/digits.txt", "0123456789");
    files_ = tree({{a, "/a.txt"},
                   {digits, "/digits.txt"},
                   {index, "/static/index.html"},
                   {css, "/static/css/site.css"},
                   {a, "/deep/er/copy.txt"}});
    // A host file next to the mounted ones that is not mounted.
    secret_ = dir_.write("src/secret.txt", "secret\n");
  }

  RunResult reader(std::vector<std::string> args, Preview1Config config = {}) {
    config.args = {"file_reader"};
    config.args.insert(config.args.end(), args.begin(), args.end());
    config.files = files_;
    return run_guest("file_reader", std::move(config));
  }

  TempDir dir_;
  std::shared_ptr<const FileTree> files_;
  std::filesystem::path secret_;
};

TEST_F(Files, ReadsAFileMountedAtTheRoot) {
  EXPECT_EQ(reader({"cat", "/a.txt"}).out, "alpha\n");
  EXPECT_EQ(reader({"cat", "a.txt"}).out, "alpha\n");  // relative to the cwd "/"
}

TEST_F(Files, ReadsFilesAtNestedDestinations) {
  EXPECT_EQ(reader({"cat", "/static/index.html"}).out, "<h1>index</h1>\n");
  EXPECT_EQ(reader({"cat", "/static/css/site.css"}).out, "body{}\n");
  EXPECT_EQ(reader({"cat", "/deep/er/copy.txt"}).out, "alpha\n");
  EXPECT_EQ(reader({"cat", "/static/./css//site.css"}).out, "body{}\n");
  EXPECT_EQ(reader({"cat", "/static/css/../index.html"}).out, "<h1>index</h1>\n");
}

TEST_F(Files, PathFromTheEnvironment) {
  Preview1Config config;
  config.env = {{"QUERY_STRING", "/static/index.html"}};
  EXPECT_EQ(reader({"cat"}, config).out, "<h1>index</h1>\n");
}

TEST_F(Files, DotDotStaysInsideTheTree) {
  EXPECT_EQ(reader({"cat", "../../etc/passwd"}).out, "error: ENOENT\n");
  EXPECT_EQ(reader({"cat", "/static/../../../etc/passwd"}).out, "error: ENOENT\n");
  EXPECT_EQ(reader({"cat", "../secret.txt"}).out, "error: ENOENT\n");
  // ".." above the root is the root, as on a host: this is still /a.txt.
  EXPECT_EQ(reader({"cat", "/../../a.txt"}).out, "alpha\n");
  EXPECT_EQ(reader({"ls", "/static/../.."}).out, "a.txt\ndeep/\ndigits.txt\nstatic/\n");
}

TEST_F(Files, HostPathsAreNotVisible) {
  EXPECT_EQ(reader({"cat", "/etc/passwd"}).out, "error: ENOENT\n");
  EXPECT_EQ(reader({"cat", secret_.string()}).out, "error: ENOENT\n");
  EXPECT_EQ(reader({"cat", (dir_.path() / "src/a.txt").string()}).out, "error: ENOENT\n");
  EXPECT_EQ(reader({"cat", "/a.txt/"}).out, "error: ENOTDIR\n");
  EXPECT_EQ(reader({"cat", "/a.txt/.."}).out, "error: ENOTDIR\n");
}

TEST_F(Files, WritesFailAsReadOnly) {
  EXPECT_EQ(reader({"write", "/a.txt"}).out, "error: EPERM\n");
  EXPECT_EQ(reader({"rdwr", "/static/index.html"}).out, "error: EPERM\n");
  EXPECT_EQ(reader({"create", "/new.txt"}).out, "error: EPERM\n");
  EXPECT_EQ(reader({"create", "/a.txt"}).out, "error: EPERM\n");
  EXPECT_EQ(reader({"create", "/nodir/new.txt"}).out, "error: ENOENT\n");
  EXPECT_EQ(reader({"write", "/static"}).out, "error: EISDIR\n");
  EXPECT_EQ(reader({"mkdir", "/newdir"}).out, "error: EPERM\n");
  EXPECT_EQ(reader({"mkdir", "/static"}).out, "error: EEXIST\n");
  EXPECT_EQ(reader({"unlink", "/a.txt"}).out, "error: EPERM\n");
  EXPECT_EQ(reader({"unlink", "/missing"}).out, "error: ENOENT\n");
  EXPECT_EQ(reader({"rmdir", "/static/css"}).out, "error: EPERM\n");
  EXPECT_EQ(reader({"rename", "/a.txt"}).out, "error: EPERM\n");
  // The host files are untouched.
  std::ifstream in(dir_.path() / "src/a.txt");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "alpha\n");
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "src/new.txt"));
}

TEST_F(Files, ReaddirListsExactlyTheMountedEntries) {
  EXPECT_EQ(reader({"ls", "/"}).out, "a.txt\ndeep/\ndigits.txt\nstatic/\n");
  EXPECT_EQ(reader({"ls", "/static"}).out, "css/\nindex.html\n");
  EXPECT_EQ(reader({"ls", "/static/css/"}).out, "site.css\n");
  EXPECT_EQ(reader({"ls", "/deep"}).out, "er/\n");
  EXPECT_EQ(reader({"ls", "/a.txt"}).out, "error: ENOTDIR\n");
  EXPECT_EQ(reader({"ls", "/nope"}).out, "error: ENOENT\n");
}

TEST_F(Files, StatSeekAndPread) {
  EXPECT_EQ(reader({"stat", "/digits.txt"}).out,
            "size=10 dir=0 reg=1 ino_nonzero=1 mtime_nonzero=1\n");
  EXPECT_THAT(reader({"stat", "/static"}).out, HasSubstr("dir=1 reg=0 ino_nonzero=1"));
  EXPECT_EQ(reader({"stat", "/static/nope"}).out, "error: ENOENT\n");
  EXPECT_EQ(reader({"seek", "/digits.txt"}).out,
            "seek=2 read=3 data=234\n"
            "tell=5\n"
            "pread=4 data=0123\n"
            "tell_after_pread=5\n"
            "end=10\n"
            "read_at_end=0\n"
            "negative=-1 EINVAL\n"
            "write=-1 EBADF\n"
            "fstat_size=10\n");
}

TEST_F(Files, TooManyOpenFilesIsEmfile) {
  RunResult r = reader({"many", "/a.txt"});
  // 1024 descriptors minus stdio and the preopen.
  EXPECT_EQ(r.out, "opened=1020 then EMFILE\n");
}

TEST_F(Files, AHostFileRemovedAfterLoadIsMissing) {
  std::filesystem::remove(dir_.path() / "src/digits.txt");
  EXPECT_EQ(reader({"cat", "/digits.txt"}).out, "error: ENOENT\n");
  EXPECT_EQ(reader({"stat", "/digits.txt"}).out, "error: ENOENT\n");
  EXPECT_EQ(reader({"cat", "/a.txt"}).out, "alpha\n");
}

TEST(FilesMany, ReaddirAcrossManyCookies) {
  // ~300 entries with long names overflow wasi-libc's 4 KiB readdir buffer several times, so the
  // listing is only complete if truncated entries and resumed cookies are right.
  TempDir dir;
  auto host = dir.write("x", "x");
  std::vector<app::FileMount> mounts;
  std::string expected;
  for (int i = 0; i < 300; ++i) {
    std::string name = fmt::format("file-with-a-rather-long-name-number-{:04}.txt", i);
    mounts.push_back({host, "/many/" + name});
    expected += name + "\n";
  }
  RunResult r =
      run_guest("file_reader", {.args = {"reader", "ls", "/many"}, .files = tree(mounts)});
  EXPECT_EQ(r.out, expected);
}

}  // namespace
}  // namespace lepton::wasi
