#include "lepton_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

namespace lepton::testing {

namespace {

pid_t spawn(const std::vector<std::string>& args, int& out_fd) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], STDOUT_FILENO);
    dup2(pipefd[1], STDERR_FILENO);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, STDIN_FILENO);
    std::vector<char*> argv;
    std::string binary = LEPTON_BINARY;
    argv.push_back(binary.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(pipefd[1]);
  out_fd = pipefd[0];
  return pid;
}

std::atomic<int> temp_counter{0};

}  // namespace

ProcessResult run_lepton(const std::vector<std::string>& args, std::chrono::seconds limit) {
  int fd = -1;
  pid_t pid = spawn(args, fd);
  ProcessResult result;
  auto deadline = std::chrono::steady_clock::now() + limit;
  char buf[4096];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      result.output += "\n[test harness: killed after time limit]";
      break;
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    result.output.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::unique_ptr<LeptonServer> LeptonServer::start(const std::vector<std::string>& args,
                                                  std::string* failure_output) {
  return start_until(args, R"(Serving (https?://[0-9.]+:[0-9]+))", failure_output);
}

std::unique_ptr<LeptonServer> LeptonServer::start_until(const std::vector<std::string>& args,
                                                        const std::string& ready,
                                                        std::string* failure_output) {
  std::vector<std::string> full = {"up"};
  full.insert(full.end(), args.begin(), args.end());
  full.push_back("--listen");
  full.push_back("127.0.0.1:0");
  return start_command(full, ready, failure_output);
}

std::unique_ptr<LeptonServer> LeptonServer::start_command(const std::vector<std::string>& full,
                                                          const std::string& ready,
                                                          std::string* failure_output,
                                                          std::chrono::seconds limit) {
  auto server = std::unique_ptr<LeptonServer>(new LeptonServer());
  server->pid_ = spawn(full, server->out_fd_);
  server->reader_ = std::thread([s = server.get()] { s->read_loop(); });
  std::regex banner(ready);
  std::unique_lock lock(server->mutex_);
  bool matched = false;
  bool done = server->changed_.wait_for(lock, limit, [&] {
    std::smatch m;
    if (std::regex_search(server->output_, m, banner)) {
      if (m.size() > 1) server->base_url_ = m[1];
      matched = true;
      return true;
    }
    return server->eof_;
  });
  if (!done || !matched) {
    if (failure_output) *failure_output = server->output_;
    lock.unlock();
    server->stop(SIGKILL);
    return nullptr;
  }
  return server;
}

void LeptonServer::read_loop() {
  char buf[4096];
  while (true) {
    ssize_t n = read(out_fd_, buf, sizeof buf);
    std::lock_guard lock(mutex_);
    if (n <= 0) {
      eof_ = true;
      changed_.notify_all();
      return;
    }
    output_.append(buf, static_cast<size_t>(n));
    changed_.notify_all();
  }
}

std::string LeptonServer::output() const {
  std::lock_guard lock(mutex_);
  return output_;
}

int LeptonServer::stop(int signal) {
  if (exit_code_) return *exit_code_;
  if (pid_ > 0) {
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  if (reader_.joinable()) reader_.join();
  if (out_fd_ >= 0) close(out_fd_);
  out_fd_ = -1;
  return exit_code_.value_or(-1);
}

bool LeptonServer::wait_for_output(const std::string& text, std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, limit, [&] {
    return output_.find(text) != std::string::npos || eof_;
  }) && output_.find(text) != std::string::npos;
}

LeptonServer::~LeptonServer() { stop(SIGKILL); }

Result<http::Response> LeptonServer::request(const std::string& method, const std::string& path,
                                             std::string body, std::vector<http::Header> headers,
                                             std::chrono::milliseconds timeout) {
  LEPTON_TRY(auto url, http::parse_url(base_url_ + path));
  http::OutgoingRequest req;
  req.method = method;
  req.url = url;
  req.body = std::move(body);
  req.headers = std::move(headers);
  req.timeout = timeout;
  return http::send(req);
}

TempApp::TempApp(const std::string& manifest) {
  dir_ = std::filesystem::temp_directory_path() /
         ("lepton-it-" + std::to_string(getpid()) + "-" + std::to_string(temp_counter++));
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  write("spin.toml", manifest);
}

TempApp::~TempApp() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void TempApp::write(const std::string& relative, const std::string& content) const {
  auto path = dir_ / relative;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

size_t peak_rss(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with("VmHWM:")) return std::stoull(line.substr(6)) * 1024;
  return 0;
}

std::string guest(const std::string& name) {
  return std::string(LEPTON_GUEST_DIR) + "/" + name + ".wasm";
}

std::string missing_guest(const std::string& name) {
  if (std::filesystem::exists(guest(name))) return "";
  std::ifstream in(std::string(LEPTON_GUEST_DIR) + "/" + name + ".skip");
  std::stringstream s;
  s << in.rdbuf();
  return s.str().empty() ? name + " was not built" : s.str();
}

std::string missing_component(const std::string& name) {
  return missing_guest("components/" + name);
}

std::unique_ptr<LeptonServer> serve_with_runtime_config(TempApp& app,
                                                        const std::string& runtime_config) {
  std::vector<std::string> args{"-f", app.manifest().string()};
  if (!runtime_config.empty()) {
    app.write("rc.toml", runtime_config);
    args.push_back("--runtime-config-file");
    args.push_back((app.dir() / "rc.toml").string());
  }
  std::string failure;
  auto server = LeptonServer::start(args, &failure);
  EXPECT_TRUE(server) << failure;
  return server;
}

}  // namespace lepton::testing
