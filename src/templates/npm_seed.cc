#include "templates/npm_seed.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string_view>
#include <vector>

namespace lepton::templates {

namespace {

namespace fs = std::filesystem;

// Bump when the layout of a store entry changes: old entries are then left alone.
constexpr std::string_view kStoreVersion = "lepton-npm-seed 1";
constexpr const char* kDependencySections[] = {
    "dependencies", "devDependencies", "optionalDependencies", "peerDependencies", "overrides"};

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kHex[md[i] >> 4]);
    hex.push_back(kHex[md[i] & 15]);
  }
  return hex;
}

Result<std::string> slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read {}: {}", path.string(), std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Status spew(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return fail("cannot write {}", path.string());
  return {};
}

std::optional<fs::path> find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (access(name.c_str(), X_OK) == 0) return fs::path(name);
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  std::string_view rest(path);
  while (true) {
    size_t colon = rest.find(':');
    std::string_view dir = rest.substr(0, colon);
    fs::path candidate = fs::path(dir.empty() ? "." : std::string(dir)) / name;
    std::error_code ec;
    if (access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate, ec)) return candidate;
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return std::nullopt;
}

// Runs `program args...` in `cwd` with stdout and stderr into `log`; the exit status (-1: could
// not run it).
int run_in(const fs::path& program, const std::vector<std::string>& args, const fs::path& cwd,
           const fs::path& log) {
  std::vector<char*> argv;
  std::string prog = program.string();
  argv.push_back(prog.data());
  std::vector<std::string> copies = args;
  for (auto& a : copies) argv.push_back(a.data());
  argv.push_back(nullptr);
  int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  pid_t pid = fork();
  if (pid < 0) {
    close(fd);
    return -1;
  }
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(126);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (!WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

std::string tail_of(const fs::path& log, size_t max_lines) {
  auto text = slurp(log);
  if (!text) return "";
  std::vector<std::string> lines;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  std::string out;
  size_t start = lines.size() > max_lines ? lines.size() - max_lines : 0;
  for (size_t i = start; i < lines.size(); ++i) out += (out.empty() ? "" : "\n") + lines[i];
  return out;
}

// An exclusive flock on `path` for the lifetime of the object.
class FileLock {
 public:
  explicit FileLock(const fs::path& path) {
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ >= 0) {
      while (flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
    }
  }
  ~FileLock() {
    if (fd_ >= 0) close(fd_);  // releases the lock
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Makes `<root>/<key>` (package.json, package-lock.json, node_modules/) with npm, unless another
// process did meanwhile. Concurrent preparers serialize on `<root>/<key>.lock`; the entry appears
// by rename(2) of a finished temporary directory, so a reader never sees half a tree.
Status prepare_entry(const fs::path& root, const NpmDependencySet& deps, const fs::path& entry,
                     const NpmSeedOptions& o, bool* prepared) {
  FileLock lock(root / (deps.key + ".lock"));
  if (!lock.ok()) return fail("cannot lock {}: {}", root.string(), std::strerror(errno));
  std::error_code ec;
  if (fs::is_directory(entry / "node_modules", ec)) return {};  // another process made it

  auto npm = find_program(o.npm);
  if (!npm) return fail("'{}' not found on PATH", o.npm);

  // Leftovers of an interrupted preparation (we hold the lock: nobody else is using them).
  const std::string tmp_prefix = ".tmp-" + deps.key + "-";
  for (const auto& e : fs::directory_iterator(root, ec))
    if (e.path().filename().string().rfind(tmp_prefix, 0) == 0) fs::remove_all(e.path(), ec);

  std::string tmpl = (root / (tmp_prefix + "XXXXXX")).string();
  if (mkdtemp(tmpl.data()) == nullptr)
    return fail("cannot create a directory in {}: {}", root.string(), std::strerror(errno));
  const fs::path tmp(tmpl);
  auto discard = [&] { fs::remove_all(tmp, ec); };
  Status written = spew(tmp / "package.json", deps.manifest);
  if (written && deps.lockfile) written = spew(tmp / "package-lock.json", *deps.lockfile);
  if (!written) {
    discard();
    return written;
  }

  std::string label = o.label.empty() ? std::string("this app") : o.label;
  std::string line =
      fmt::format("preparing node_modules for {} (once per dependency set)...", label);
  if (o.progress) {
    o.progress(line);
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
  }
  const fs::path log = root / (tmp_prefix + "npm.log");
  int rc = run_in(*npm, {"install", "--prefer-offline", "--no-audit", "--no-fund"}, tmp, log);
  if (rc != 0) {
    std::string why = rc < 0 ? std::string("could not run it") : fmt::format("exit status {}", rc);
    std::string tail = tail_of(log, 8);
    fs::remove(log, ec);
    discard();
    return fail("`{} install` failed ({}){}{}", npm->string(), why, tail.empty() ? "" : ":\n",
                tail);
  }
  fs::remove(log, ec);
  // No dependencies at all: npm makes no node_modules; an empty one is the right seed.
  fs::create_directories(tmp / "node_modules", ec);
  if (rename(tmp.c_str(), entry.c_str()) != 0) {
    int err = errno;
    discard();
    if ((err == EEXIST || err == ENOTEMPTY) && fs::is_directory(entry / "node_modules", ec))
      return {};
    return fail("cannot move the prepared node_modules to {}: {}", entry.string(),
                std::strerror(err));
  }
  *prepared = true;
  return {};
}

// The store's package-lock.json, named as the app (npm rewrites the root entry anyway; a lockfile
// that matches node_modules lets `npm install` skip building the ideal tree from the registry).
Result<std::string> app_lockfile(const std::string& store_lock, const nlohmann::json& app) {
  nlohmann::ordered_json lock = nlohmann::ordered_json::parse(store_lock, nullptr, false);
  if (lock.is_discarded() || !lock.is_object()) return fail("the store's package-lock.json is bad");
  for (const char* field : {"name", "version"}) {
    if (!app.contains(field) || !app[field].is_string()) continue;
    lock[field] = app[field];
    if (lock.contains("packages") && lock["packages"].is_object() &&
        lock["packages"].contains("") && lock["packages"][""].is_object())
      lock["packages"][""][field] = app[field];
  }
  return lock.dump(2) + "\n";
}

}  // namespace

Result<NpmDependencySet> npm_dependency_set(const std::string& package_json,
                                            const std::optional<std::string>& lockfile,
                                            const std::string& file) {
  nlohmann::json doc = nlohmann::json::parse(package_json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return fail("{}: not a JSON object (package.json)", file);
  nlohmann::json manifest = nlohmann::json::object();
  manifest["name"] = "lepton-npm-seed";
  manifest["version"] = "0.0.0";
  manifest["private"] = true;
  for (const char* section : kDependencySections)
    if (doc.contains(section)) manifest[section] = doc[section];
  NpmDependencySet out;
  out.manifest = manifest.dump(2) + "\n";  // keys sorted: the same sections give the same text
  out.lockfile = lockfile;
  struct utsname u{};
  std::string machine = uname(&u) == 0 ? u.machine : "unknown";
  std::string material = std::string(kStoreVersion) + "\n" + machine + "\n" + out.manifest + "\n" +
                         (lockfile ? "lock\n" + *lockfile : std::string("no lock"));
  out.key = sha256_hex(material);
  return out;
}

fs::path default_npm_seed_root() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0')
    return fs::path(xdg) / "lepton" / "npm-seeds";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
    return fs::path(home) / ".cache" / "lepton" / "npm-seeds";
  return fs::temp_directory_path() / "lepton-npm-seeds";
}

Result<LinkStats> link_tree(const fs::path& from, const fs::path& to) {
  LinkStats stats;
  std::error_code ec;
  if (!fs::is_directory(from, ec)) return fail("{} is not a directory", from.string());
  if (!fs::create_directory(to, ec) || ec)
    return fail("cannot create {}: {}", to.string(), ec ? ec.message() : "it exists");
  ++stats.dirs;
  fs::recursive_directory_iterator it(from, fs::directory_options::none, ec);
  if (ec) return fail("cannot read {}: {}", from.string(), ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return fail("cannot read {}: {}", from.string(), ec.message());
    const fs::path& src = it->path();
    const fs::path dst = to / src.lexically_relative(from);
    fs::file_status st = it->symlink_status(ec);
    if (ec) return fail("cannot stat {}: {}", src.string(), ec.message());
    if (fs::is_symlink(st)) {
      fs::path target = fs::read_symlink(src, ec);
      if (!ec) fs::create_symlink(target, dst, ec);
      if (ec) return fail("cannot recreate the symlink {}: {}", dst.string(), ec.message());
      ++stats.symlinks;
    } else if (fs::is_directory(st)) {
      fs::create_directory(dst, ec);
      if (ec) return fail("cannot create {}: {}", dst.string(), ec.message());
      ++stats.dirs;
    } else if (fs::is_regular_file(st)) {
      if (link(src.c_str(), dst.c_str()) == 0) {
        ++stats.linked;
      } else {
        fs::copy_file(src, dst, ec);
        if (ec) return fail("cannot copy {} to {}: {}", src.string(), dst.string(), ec.message());
        ++stats.copied;
      }
    }
    // Sockets, fifos, devices: not part of a package tree; skipped.
  }
  return stats;
}

Result<NpmSeedReport> seed_node_modules(const fs::path& app_dir, const NpmSeedOptions& o) {
  NpmSeedReport report;
  std::error_code ec;
  const fs::path app_modules = app_dir / "node_modules";
  if (fs::exists(fs::symlink_status(app_modules, ec))) {
    report.skipped = true;
    return report;
  }
  const fs::path pkg_path = app_dir / "package.json";
  LEPTON_TRY(auto pkg_text, slurp(pkg_path));
  std::optional<std::string> lock_text;
  const fs::path app_lock = app_dir / "package-lock.json";
  if (fs::is_regular_file(app_lock, ec)) {
    LEPTON_TRY(auto text, slurp(app_lock));
    lock_text = std::move(text);
  }
  LEPTON_TRY(auto deps, npm_dependency_set(pkg_text, lock_text, pkg_path.string()));

  const fs::path root = o.store_root.empty() ? default_npm_seed_root() : o.store_root;
  fs::create_directories(root, ec);
  if (ec) return fail("cannot create {}: {}", root.string(), ec.message());
  report.store = root / deps.key;
  if (!fs::is_directory(report.store / "node_modules", ec))
    LEPTON_CHECK(prepare_entry(root, deps, report.store, o, &report.prepared));

  auto undo = [&] { fs::remove_all(app_modules, ec); };
  auto linked = link_tree(report.store / "node_modules", app_modules);
  if (!linked) {
    undo();
    return linked.error();
  }
  report.stats = *linked;
  // npm rewrites the hidden lockfile after each install: the app gets its own copy (and a fresh
  // mtime, newer than the directories just made, so npm trusts it).
  const fs::path hidden = app_modules / ".package-lock.json";
  if (fs::exists(hidden, ec)) {
    fs::remove(hidden, ec);
    fs::copy_file(report.store / "node_modules" / ".package-lock.json", hidden, ec);
    if (ec) {
      undo();
      return fail("cannot copy {}: {}", hidden.string(), ec.message());
    }
  }
  if (!lock_text && fs::is_regular_file(report.store / "package-lock.json", ec)) {
    LEPTON_TRY(auto store_lock, slurp(report.store / "package-lock.json"));
    auto lock = app_lockfile(store_lock, nlohmann::json::parse(pkg_text, nullptr, false));
    if (lock) {
      Status w = spew(app_lock, *lock);
      if (!w) {
        undo();
        return w.error();
      }
    }
  }
  return report;
}

}  // namespace lepton::templates
