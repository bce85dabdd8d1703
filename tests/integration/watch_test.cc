// End-to-end: `lepton watch` on an http-c app made by `lepton new`: edits to the C source rebuild
// and restart the app, a broken build keeps the previous version serving, --skip-build restarts
// on a replaced artifact, and SIGTERM stops the watcher and its `up` child.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "lepton_process.h"

namespace lepton::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path kRepo = (fs::path(LEPTON_TEST_DATA) / ".." / ".." / "..").lexically_normal();

bool have_clang_wasi() {
  return std::system("clang-19 --target=wasm32-wasi --version > /dev/null 2>&1") == 0;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Replaces a file the way editors save: write a temporary file, rename it over the original.
void replace_file(const fs::path& path, const std::string& content) {
  fs::path tmp = path;
  tmp += ".tmp-save";
  std::ofstream(tmp, std::ios::binary) << content;
  fs::rename(tmp, path);
}

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return 0;
  }
  close(fd);
  return ntohs(addr.sin_port);
}

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1))
    ++n;
  return n;
}

class WatchCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_clang_wasi()) GTEST_SKIP() << "clang-19 with a wasm32-wasi sysroot is not installed";
    std::string t = (fs::temp_directory_path() / "lepton-watch-XXXXXX").string();
    dir_ = mkdtemp(t.data());
    setenv("LEPTON_BUILTIN_TEMPLATES", (kRepo / "templates").c_str(), 1);
    setenv("LEPTON_TEMPLATES_DIR", (dir_ / "store").c_str(), 1);
    app_ = dir_ / "hello";
    auto r = run_lepton({"new", "-t", "http-c", "hello", "-o", app_.string(), "--accept-defaults"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    source_ = slurp(app_ / "main.c");
    ASSERT_NE(source_.find("\"Hello from"), std::string::npos) << source_;
    port_ = free_port();
    ASSERT_NE(port_, 0);
  }
  void TearDown() override {
    server_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  std::string listen() const { return "127.0.0.1:" + std::to_string(port_); }

  // main.c answering with `greeting` instead of "Hello".
  std::string source_with(const std::string& greeting) const {
    std::string s = source_;
    s.replace(s.find("\"Hello from"), 6, "\"" + greeting);
    return s;
  }

  // Polls GET / until the body is `want` (the app restarts in between; refused connections are
  // expected then). Returns the last body or error seen on timeout.
  ::testing::AssertionResult eventually_body(const std::string& want,
                                             std::chrono::seconds limit = 60s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    std::string last;
    while (std::chrono::steady_clock::now() < deadline) {
      auto resp = server_->request("GET", "/", {}, {}, 2s);
      if (resp.ok() && resp->body == want) return ::testing::AssertionSuccess();
      last = resp.ok() ? resp->body : resp.error().message;
      std::this_thread::sleep_for(100ms);
    }
    return ::testing::AssertionFailure()
           << "body never became '" << want << "'; last: '" << last << "'\n"
           << server_->output();
  }

  fs::path dir_;
  fs::path app_;
  std::string source_;
  int port_ = 0;
  std::unique_ptr<LeptonServer> server_;
};

TEST_F(WatchCli, EditRebuildsBrokenBuildKeepsServingFixRestarts) {
  std::string failure;
  server_ = LeptonServer::start_command(
      {"watch", "-f", (app_ / "spin.toml").string(), "--", "--listen", listen()},
      R"(Serving (https?://[0-9.]+:[0-9]+))", &failure);
  ASSERT_TRUE(server_) << failure;
  EXPECT_EQ(server_->base_url(), "http://" + listen());
  auto resp = server_->get("/");
  ASSERT_TRUE(resp.ok()) << resp.error().message;
  EXPECT_EQ(resp->body, "Hello from hello! (GET /)\n");

  // Edit the C source: watch rebuilds the component and restarts `up`.
  replace_file(app_ / "main.c", source_with("Bye"));
  ASSERT_TRUE(eventually_body("Bye from hello! (GET /)\n"));
  EXPECT_GE(count(server_->output(), "Building component hello"), 2u) << server_->output();

  // Break it: the build fails, the tool's output and the component are reported, the previous
  // version keeps answering.
  replace_file(app_ / "main.c", source_with("Oops") + "\nint broken( {\n");
  ASSERT_TRUE(server_->wait_for_output("component hello failed to build", 60s))
      << server_->output();
  std::string out = server_->output();
  EXPECT_NE(out.find("error:"), std::string::npos) << out;  // clang's diagnostics
  EXPECT_NE(out.find("still serving the previous version"), std::string::npos) << out;
  resp = server_->get("/");
  ASSERT_TRUE(resp.ok()) << resp.error().message;
  EXPECT_EQ(resp->body, "Bye from hello! (GET /)\n");

  // Fix it: the next successful build restarts with the new version.
  replace_file(app_ / "main.c", source_with("Hi again"));
  ASSERT_TRUE(eventually_body("Hi again from hello! (GET /)\n"));

  // SIGTERM stops the watcher and its `up` child: exit 0, the port is closed.
  EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->output();
  auto after = server_->request("GET", "/", {}, {}, 2s);
  EXPECT_FALSE(after.ok()) << "the app still answers after watch stopped";
}

TEST_F(WatchCli, SkipBuildRestartsOnAReplacedArtifact) {
  // Two builds of the app made by the test itself: main.wasm (Hello) and next.wasm (Next).
  // Compiled as the template's build command does (a reactor module with lepton's C SDK).
  std::string cc = "cd " + app_.string() +
                   " && clang-19 --target=wasm32-wasi -mexec-model=reactor -O2 -Ilepton-sdk "
                   "lepton-sdk/*.c ";
  ASSERT_EQ(std::system((cc + "main.c -o main.wasm").c_str()), 0);
  replace_file(app_ / "next.c", source_with("Next"));
  ASSERT_EQ(std::system((cc + "next.c -o next.wasm").c_str()), 0);
  fs::remove(app_ / "next.c");

  std::string failure;
  server_ = LeptonServer::start_command(
      {"watch", "--skip-build", "-f", app_.string(), "--debounce", "50", "--listen", listen()},
      R"(Serving (https?://[0-9.]+:[0-9]+))", &failure);
  ASSERT_TRUE(server_) << failure;
  auto resp = server_->get("/");
  ASSERT_TRUE(resp.ok()) << resp.error().message;
  EXPECT_EQ(resp->body, "Hello from hello! (GET /)\n");

  fs::rename(app_ / "next.wasm", app_ / "main.wasm");
  ASSERT_TRUE(eventually_body("Next from hello! (GET /)\n"));
  // Nothing was ever built: --skip-build only restarts.
  EXPECT_EQ(server_->output().find("Building component"), std::string::npos) << server_->output();
  EXPECT_EQ(server_->stop(SIGINT), 0) << server_->output();
}

TEST(WatchUsage, HelpUsageAndMissingManifest) {
  auto r = run_lepton({"watch", "--help"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (const char* flag : {"--from", "--clear", "--debounce", "--skip-build", "--profile"})
    EXPECT_NE(r.output.find(flag), std::string::npos) << flag << "\n" << r.output;
  r = run_lepton({"watch", "--debounce", "soon"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = run_lepton({"watch", "-f", "/nonexistent/lepton/app"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("/nonexistent/lepton/app"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace lepton::testing
