#include "executors/component_logs.h"

#include <cerrno>
#include <cstring>

namespace lepton::executors {

Result<std::unique_ptr<ComponentLogs>> ComponentLogs::open(const std::filesystem::path& log_dir,
                                                           const std::string& component_id,
                                                           bool echo) {
  auto logs = std::unique_ptr<ComponentLogs>(new ComponentLogs());
  logs->echo_ = echo;
  if (log_dir.empty()) return logs;
  std::error_code ec;
  std::filesystem::create_directories(log_dir, ec);
  if (ec) return fail("cannot create log directory {}: {}", log_dir.string(), ec.message());
  auto open_file = [&](const char* suffix) -> Result<std::FILE*> {
    auto path = log_dir / (component_id + suffix);
    std::FILE* f = std::fopen(path.c_str(), "a");
    if (f == nullptr)
      return fail("cannot open log file {}: {}", path.string(), std::strerror(errno));
    return f;
  };
  LEPTON_TRY(logs->stdout_file_, open_file("_stdout.txt"));
  LEPTON_TRY(logs->stderr_file_, open_file("_stderr.txt"));
  return logs;
}

ComponentLogs::~ComponentLogs() {
  if (stdout_file_ != nullptr) std::fclose(stdout_file_);
  if (stderr_file_ != nullptr) std::fclose(stderr_file_);
}

void ComponentLogs::out(std::string_view bytes) { write(stdout_file_, stdout, bytes); }
void ComponentLogs::err(std::string_view bytes) { write(stderr_file_, stderr, bytes); }

void ComponentLogs::write(std::FILE* file, std::FILE* terminal, std::string_view bytes) {
  if (bytes.empty() || (file == nullptr && !echo_)) return;  // nowhere to go: no lock
  std::lock_guard lock(mutex_);
  if (file != nullptr) {
    std::fwrite(bytes.data(), 1, bytes.size(), file);
    std::fflush(file);
  }
  if (echo_) {
    std::fwrite(bytes.data(), 1, bytes.size(), terminal);
    std::fflush(terminal);
  }
}

}  // namespace lepton::executors
