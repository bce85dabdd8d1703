#include "support/mariadb_server.h"

#include <fcntl.h>
#include <mysql.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "support/redis_server.h"  // free_port

namespace lepton::testing {

namespace {

std::optional<std::string> find_binary(const char* name) {
  std::string dirs = std::getenv("PATH") ? std::getenv("PATH") : "";
  dirs += ":/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    auto candidate = std::filesystem::path(dirs.substr(start, end - start)) / name;
    if (!dirs.substr(start, end - start).empty() && access(candidate.c_str(), X_OK) == 0)
      return candidate.string();
    start = end + 1;
  }
  return std::nullopt;
}

// Runs argv with stdout/stderr to `log`; returns the exit status (-1 when it could not run).
int run_to_log(const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

MYSQL* connect(uint16_t port, const char* db) {
  MYSQL* m = mysql_init(nullptr);
  unsigned protocol = MYSQL_PROTOCOL_TCP, timeout = 2;
  mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &protocol);
  mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  if (!mysql_real_connect(m, "127.0.0.1", "root", "", db, port, nullptr, CLIENT_MULTI_STATEMENTS)) {
    mysql_close(m);
    return nullptr;
  }
  return m;
}

}  // namespace

std::unique_ptr<MariadbServer> MariadbServer::start(std::string* why) {
  return start_with(nullptr, why);
}

std::unique_ptr<MariadbServer> MariadbServer::start(const Tls& tls, std::string* why) {
  return start_with(&tls, why);
}

std::unique_ptr<MariadbServer> MariadbServer::start_with(const Tls* tls, std::string* why) {
  auto install = find_binary("mariadb-install-db");
  auto daemon = find_binary("mariadbd");
  if (!daemon) daemon = find_binary("mysqld");
  if (!install || !daemon) {
    *why = "mariadb-install-db / mariadbd not found (install mariadb-server: scripts/setup.sh)";
    return nullptr;
  }
  auto server = std::unique_ptr<MariadbServer>(new MariadbServer());
  char tmpl[] = "/tmp/lepton-mariadb-XXXXXX";
  server->dir_ = mkdtemp(tmpl);
  std::string data = (server->dir_ / "data").string();
  std::string log = (server->dir_ / "mariadb.log").string();
  std::string user = geteuid() == 0
                         ? "--user=root"
                         : "--user=" + std::string(getenv("USER") ? getenv("USER") : "nobody");
  // Two installs at the same moment (ctest -j2 runs the MySQL suites side by side) sometimes
  // fail; retry after a short, staggered pause with a fresh data directory.
  bool installed = false;
  for (int attempt = 0; attempt < 4 && !installed; ++attempt) {
    if (attempt > 0) {
      std::error_code ec;
      std::filesystem::remove_all(data, ec);
      std::this_thread::sleep_for(std::chrono::milliseconds(300 * attempt + getpid() % 200));
    }
    installed = run_to_log({*install, "--no-defaults", "--datadir=" + data, user, "--skip-test-db",
                            "--auth-root-authentication-method=normal"},
                           log) == 0;
  }
  if (!installed) {
    *why = "mariadb-install-db failed 4 times (log: " + log + ")";
    return nullptr;
  }
  // The free port may be taken by a parallel test's server before mariadbd binds it: then
  // mariadbd exits, and the start is retried on another port.
  std::string port;
  for (int attempt = 0; attempt < 3; ++attempt) {
    server->port_ = free_port();
    port = std::to_string(server->port_);
    pid_t pid = fork();
    if (pid == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<std::string> argv{*daemon,
                                    "--no-defaults",
                                    "--datadir=" + data,
                                    user,
                                    "--port=" + port,
                                    "--bind-address=127.0.0.1",
                                    "--socket=" + (server->dir_ / "mysqld.sock").string(),
                                    "--pid-file=" + (server->dir_ / "mysqld.pid").string(),
                                    "--skip-grant-tables",
                                    "--skip-log-bin",
                                    "--innodb-buffer-pool-size=16M",
                                    "--skip-name-resolve",
                                    "--character-set-server=utf8mb4",
                                    "--collation-server=utf8mb4_general_ci"};
      if (tls != nullptr)
        argv.insert(argv.end(), {"--ssl-cert=" + tls->cert.string(),
                                 "--ssl-key=" + tls->key.string(), "--ssl-ca=" + tls->ca.string()});
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    server->pid_ = pid;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool exited = false;
    while (std::chrono::steady_clock::now() < until) {
      if (MYSQL* m = connect(server->port_, nullptr)) {
        bool ok = mysql_query(m, "CREATE DATABASE IF NOT EXISTS test") == 0;
        mysql_close(m);
        if (ok) return server;
      }
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        exited = true;
        server->pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!exited) break;
  }
  *why = "mariadbd on port " + port + " did not accept connections within 60 s (log: " + log + ")";
  return nullptr;
}

MariadbServer::~MariadbServer() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > until) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

std::string MariadbServer::run(const std::string& sql) const {
  MYSQL* m = connect(port_, "test");
  if (m == nullptr) return "(no connection)";
  std::string out;
  if (mysql_query(m, sql.c_str()) != 0) out = mysql_error(m);
  // Drain every result of a multi-statement.
  do {
    if (MYSQL_RES* r = mysql_store_result(m)) mysql_free_result(r);
  } while (out.empty() && mysql_next_result(m) == 0);
  if (out.empty() && mysql_errno(m) != 0) out = mysql_error(m);
  mysql_close(m);
  return out;
}

std::string MariadbServer::scalar(const std::string& sql) const {
  MYSQL* m = connect(port_, "test");
  if (m == nullptr) return "(no connection)";
  std::string out;
  if (mysql_query(m, sql.c_str()) != 0) {
    out = "(error: " + std::string(mysql_error(m)) + ")";
  } else if (MYSQL_RES* r = mysql_store_result(m)) {
    MYSQL_ROW row = mysql_fetch_row(r);
    unsigned long* lengths = mysql_fetch_lengths(r);
    if (row == nullptr)
      out = "(no rows)";
    else if (row[0] == nullptr)
      out = "(null)";
    else
      out.assign(row[0], lengths[0]);
    mysql_free_result(r);
  }
  mysql_close(m);
  return out;
}

}  // namespace lepton::testing
