#include "support/postgres_server.h"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "support/redis_server.h"  // free_port()

namespace lepton::testing {

namespace {

// Forks and execs `argv` (output to `log`), as the postgres user when running as root.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log, uid_t uid, gid_t gid) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
  }
  if (getuid() == 0) {
    if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0) _exit(126);
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

}  // namespace

std::optional<std::filesystem::path> PostgresServer::bin_dir() {
  if (const char* env = std::getenv("LEPTON_POSTGRES_BIN")) return std::filesystem::path(env);
  std::optional<std::filesystem::path> best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    auto bin = e.path() / "bin";
    if (access((bin / "postgres").c_str(), X_OK) != 0 ||
        access((bin / "initdb").c_str(), X_OK) != 0)
      continue;
    int version = std::atoi(e.path().filename().c_str());
    if (version > best_version) {
      best_version = version;
      best = bin;
    }
  }
  return best;
}

std::unique_ptr<PostgresServer> PostgresServer::start(std::string* why) {
  return start_with(nullptr, nullptr, why);
}

std::unique_ptr<PostgresServer> PostgresServer::start_tls(const std::filesystem::path& cert,
                                                          const std::filesystem::path& key,
                                                          std::string* why) {
  return start_with(&cert, &key, why);
}

std::unique_ptr<PostgresServer> PostgresServer::start_with(const std::filesystem::path* cert,
                                                           const std::filesystem::path* key,
                                                           std::string* why) {
  auto bin = bin_dir();
  if (!bin) {
    *why =
        "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin (install the "
        "postgresql package: scripts/setup.sh)";
    return nullptr;
  }
  uid_t uid = getuid();
  gid_t gid = getgid();
  if (uid == 0) {
    const passwd* pw = getpwnam("postgres");
    if (pw == nullptr) {
      *why = "running as root and there is no `postgres` user to run PostgreSQL as";
      return nullptr;
    }
    uid = pw->pw_uid;
    gid = pw->pw_gid;
  }
  auto server = std::unique_ptr<PostgresServer>(new PostgresServer());
  char tmpl[] = "/tmp/lepton-pg-XXXXXX";
  server->dir_ = mkdtemp(tmpl);
  if (chown(server->dir_.c_str(), uid, gid) != 0) {
    *why = "cannot chown " + server->dir_.string() + " to the postgres user";
    return nullptr;
  }
  std::string log = (server->dir_ / "postgres.log").string();
  std::string data = (server->dir_ / "data").string();
  pid_t init = spawn({(*bin / "initdb").string(), "-D", data, "-A", "trust", "-U", "postgres", "-E",
                      "UTF8", "--locale=C", "--no-sync"},
                     log, uid, gid);
  int status = 0;
  waitpid(init, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    *why = "initdb failed (log: " + log + ")";
    return nullptr;
  }
  server->port_ = free_port();
  std::string port = std::to_string(server->port_);
  std::vector<std::string> argv{(*bin / "postgres").string(),
                                "-D",
                                data,
                                "-p",
                                port,
                                "-k",
                                server->dir_.string(),
                                "-c",
                                "listen_addresses=127.0.0.1",
                                "-c",
                                "fsync=off",
                                "-c",
                                "synchronous_commit=off",
                                "-c",
                                "full_page_writes=off",
                                "-c",
                                "max_connections=200",
                                "-c",
                                "log_connections=on"};
  if (cert != nullptr && key != nullptr) {
    // The server reads them as its own user and refuses a key readable by others.
    auto own_cert = server->dir_ / "server.crt", own_key = server->dir_ / "server.key";
    std::error_code ec;
    std::filesystem::copy_file(*cert, own_cert, ec);
    if (!ec) std::filesystem::copy_file(*key, own_key, ec);
    if (ec || chown(own_cert.c_str(), uid, gid) != 0 || chown(own_key.c_str(), uid, gid) != 0 ||
        chmod(own_key.c_str(), 0600) != 0) {
      *why = "cannot install the TLS certificate and key in " + server->dir_.string();
      return nullptr;
    }
    argv.insert(argv.end(), {"-c", "ssl=on", "-c", "ssl_cert_file=" + own_cert.string(), "-c",
                             "ssl_key_file=" + own_key.string()});
  }
  server->pid_ = spawn(argv, log, uid, gid);
  std::string conninfo = "host=127.0.0.1 port=" + port + " user=postgres dbname=postgres";
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < until) {
    PGconn* c = PQconnectdb(conninfo.c_str());
    bool ok = PQstatus(c) == CONNECTION_OK;
    PQfinish(c);
    if (ok) return server;
    if (waitpid(server->pid_, &status, WNOHANG) == server->pid_) {
      server->pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  *why = "postgres on port " + port + " did not accept a connection (log: " + log + ")";
  return nullptr;
}

PostgresServer::~PostgresServer() {
  if (pid_ > 0) {
    kill(pid_, SIGINT);  // fast shutdown: disconnect clients, exit
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

std::string PostgresServer::url() const {
  return "postgres://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
}

std::string PostgresServer::query(const std::string& sql) const {
  PGconn* c = PQconnectdb(url().c_str());
  std::string out;
  if (PQstatus(c) != CONNECTION_OK) {
    out = std::string("ERROR: ") + PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    ExecStatusType s = PQresultStatus(r);
    if (s == PGRES_TUPLES_OK) {
      if (PQntuples(r) > 0 && PQnfields(r) > 0) out = PQgetvalue(r, 0, 0);
    } else if (s != PGRES_COMMAND_OK) {
      out = std::string("ERROR: ") + PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    }
    PQclear(r);
  }
  PQfinish(c);
  return out;
}

size_t PostgresServer::connections_received() const {
  std::ifstream in(dir_ / "postgres.log");
  size_t n = 0;
  for (std::string line; std::getline(in, line);)
    if (line.find("connection received:") != std::string::npos) ++n;
  return n;
}

}  // namespace lepton::testing
