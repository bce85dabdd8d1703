// Where a component's stdout/stderr go: `<log-dir>/<component>_stdout.txt` / `_stderr.txt`
// (as Spin names them) and, unless quiet or not followed, the terminal.
#pragma once

#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>

#include "common/result.h"

namespace lepton::executors {

class ComponentLogs {
 public:
  // `log_dir` empty: no files. `echo`: copy to the terminal (lepton's stdout/stderr).
  static Result<std::unique_ptr<ComponentLogs>> open(const std::filesystem::path& log_dir,
                                                     const std::string& component_id, bool echo);
  ~ComponentLogs();

  void out(std::string_view bytes);
  void err(std::string_view bytes);

 private:
  ComponentLogs() = default;
  void write(std::FILE* file, std::FILE* terminal, std::string_view bytes);

  std::mutex mutex_;  // guest output from concurrent requests must not interleave mid-write
  std::FILE* stdout_file_ = nullptr;
  std::FILE* stderr_file_ = nullptr;
  bool echo_ = false;
};

}  // namespace lepton::executors
