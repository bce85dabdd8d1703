#include "support/redis_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "support/test_ca.h"

namespace lepton::testing {

namespace {

std::string spell(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      return std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER:
      return std::to_string(r->integer);
    case REDIS_REPLY_ARRAY: {
      std::vector<std::string> items;
      for (size_t i = 0; i < r->elements; ++i) items.push_back(spell(r->element[i]));
      std::sort(items.begin(), items.end());
      std::string out;
      for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
      return out;
    }
    default:
      return "(nil)";
  }
}

}  // namespace

uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::optional<std::string> RedisServer::binary() {
  if (const char* env = std::getenv("LEPTON_REDIS_SERVER")) return std::string(env);
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  dirs += ":/usr/sbin:/usr/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    auto candidate = std::filesystem::path(dirs.substr(start, end - start)) / "redis-server";
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return std::nullopt;
}

std::unique_ptr<RedisServer> RedisServer::start(std::string* why) {
  return start_on(free_port(), why);
}

void RedisServer::kill_now() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::unique_ptr<RedisServer> RedisServer::start_on(uint16_t port_number, std::string* why) {
  return launch(port_number, {}, why);
}

std::unique_ptr<RedisServer> RedisServer::start_tls(const TestCa& ca, std::string* why) {
  uint16_t tls = free_port();
  auto server = launch(free_port(),
                       {"--tls-port", std::to_string(tls), "--tls-cert-file",
                        ca.server_cert().string(), "--tls-key-file", ca.server_key().string(),
                        "--tls-ca-cert-file", ca.ca_cert().string(), "--tls-auth-clients", "no"},
                       why);
  if (server) server->tls_port_ = tls;
  return server;
}

std::unique_ptr<RedisServer> RedisServer::launch(uint16_t port_number,
                                                 const std::vector<std::string>& extra,
                                                 std::string* why) {
  auto bin = binary();
  if (!bin) {
    *why = "redis-server not found on PATH (install the redis-server package: scripts/setup.sh)";
    return nullptr;
  }
  auto server = std::unique_ptr<RedisServer>(new RedisServer());
  char tmpl[] = "/tmp/lepton-redis-XXXXXX";
  server->dir_ = mkdtemp(tmpl);
  server->port_ = port_number;
  std::string port = std::to_string(server->port_);
  std::string log = (server->dir_ / "redis.log").string();
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<std::string> args{
        *bin, "--port",       port, "--bind", "127.0.0.1",          "--save",
        "",   "--appendonly", "no", "--dir",  server->dir_.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin->c_str(), argv.data());
    _exit(127);
  }
  server->pid_ = pid;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    if (server->command({"PING"}) == "PONG") return server;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  *why = "redis-server on port " + port + " did not answer PING within 10 s (log: " + log + ")";
  return nullptr;
}

RedisServer::~RedisServer() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

RedisServer::Context RedisServer::connect() const {
  timeval tv{2, 0};
  return Context(redisConnectWithTimeout("127.0.0.1", port_, tv), redisFree);
}

std::string RedisServer::command(const std::vector<std::string>& argv) const {
  Context c = connect();
  if (!c || c->err) return "(no connection)";
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (const auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(
      redisCommandArgv(c.get(), static_cast<int>(args.size()), args.data(), lens.data()));
  if (r == nullptr) return "(no reply)";
  std::string out = spell(r);
  freeReplyObject(r);
  return out;
}

}  // namespace lepton::testing
