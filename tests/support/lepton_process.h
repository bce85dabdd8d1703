// Runs the real `lepton` binary as a child process for end-to-end tests: starts it, waits for
// its "Serving http://..." banner, collects its output, and stops it with a signal.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http/client.h"
#include "http/message.h"

namespace lepton::testing {

struct ProcessResult {
  int exit_code = -1;
  std::string output;  // stdout + stderr, interleaved
};

// Runs lepton with `args` to completion (for commands that exit), with a time limit.
ProcessResult run_lepton(const std::vector<std::string>& args,
                         std::chrono::seconds limit = std::chrono::seconds(60));

class LeptonServer {
 public:
  // Starts `lepton up <args> --listen 127.0.0.1:0`; returns nullopt (and records the output)
  // when it exits or prints no banner within the time limit.
  static std::unique_ptr<LeptonServer> start(const std::vector<std::string>& args,
                                             std::string* failure_output = nullptr);
  // As start(), ready when the output matches `ready` (an ECMAScript regex) instead of the
  // HTTP banner: for apps without HTTP triggers. base_url() is the regex's first group, if any.
  static std::unique_ptr<LeptonServer> start_until(const std::vector<std::string>& args,
                                                   const std::string& ready,
                                                   std::string* failure_output = nullptr);
  // As start_until, with the whole command line given (no implicit `up` or `--listen`): for
  // commands that end up serving, e.g. `build --up --listen 127.0.0.1:0`.
  static std::unique_ptr<LeptonServer> start_command(
      const std::vector<std::string>& args,
      const std::string& ready = R"(Serving (https?://[0-9.]+:[0-9]+))",
      std::string* failure_output = nullptr, std::chrono::seconds limit = std::chrono::seconds(60));
  ~LeptonServer();

  const std::string& base_url() const { return base_url_; }
  pid_t pid() const { return pid_; }
  std::string output() const;
  // Waits until the server's output contains `text` (output arrives through a pipe, after the
  // response that caused it may already be back). Returns whether it appeared.
  bool wait_for_output(const std::string& text,
                       std::chrono::milliseconds limit = std::chrono::seconds(10));
  // Sends SIGTERM (or `signal`) and waits for exit; returns the exit code.
  int stop(int signal = SIGTERM);

  Result<http::Response> request(const std::string& method, const std::string& path,
                                 std::string body = {}, std::vector<http::Header> headers = {},
                                 std::chrono::milliseconds timeout = std::chrono::seconds(30));
  Result<http::Response> get(const std::string& path) { return request("GET", path); }

 private:
  LeptonServer() = default;
  void read_loop();

  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string output_;
  bool eof_ = false;
  std::string base_url_;
  std::optional<int> exit_code_;
};

// A temporary directory holding an app; removed at the end of the test.
class TempApp {
 public:
  explicit TempApp(const std::string& manifest);
  ~TempApp();
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path manifest() const { return dir_ / "spin.toml"; }
  void write(const std::string& relative, const std::string& content) const;

 private:
  std::filesystem::path dir_;
};

// Peak resident memory of process `pid` (VmHWM of /proc/<pid>/status), in bytes; 0 if unknown.
size_t peak_rss(pid_t pid);

// Path of a guest built by the test build.
std::string guest(const std::string& name);

// Why the guest `name` (guests/<name>.wasm) was not built — its .skip file, or a generic reason —
// or "" when it was. Tests GTEST_SKIP with it. missing_component(n) is
// missing_guest("components/" + n).
std::string missing_guest(const std::string& name);
std::string missing_component(const std::string& name);

// `lepton up -f <app>`, with `runtime_config` (TOML) written next to the manifest and passed as
// --runtime-config-file when not empty. Null (and a test failure) when it doesn't start.
std::unique_ptr<LeptonServer> serve_with_runtime_config(TempApp& app,
                                                        const std::string& runtime_config);

}  // namespace lepton::testing
