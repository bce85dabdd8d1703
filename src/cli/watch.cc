// `lepton watch`: builds the app, runs `lepton up` as a child process, and on changes rebuilds
// the affected component (`lepton build -c ID`, as a child) and restarts `up`. The rules of what
// a change means are in cli/watch_rules.h; this file owns inotify, the children and signals.
//
// One thread, one poll loop: inotify (the app directory, recursively, new directories added as
// they appear), a signalfd for SIGINT/SIGTERM/SIGCHLD, and the debounce deadline. Builds run one
// at a time; events that arrive while a build runs are kept for build.watch files and dropped for
// artifacts and file mounts (the build writes those; a successful build restarts `up` anyway, a
// failed one keeps the running version).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "cli/main.h"
#include "cli/watch_rules.h"
#include "manifest/manifest.h"

namespace lepton::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct WatchFlags {
  std::string from;
  std::string profile;
  bool clear = false;
  int64_t debounce_ms = 100;
  bool skip_build = false;
  std::vector<std::string> up_args;  // positionals (after `--`)
};

// The manifest as the watcher needs it: component rules and the components to build, in order.
struct Loaded {
  watch::Rules rules;
  std::vector<std::string> buildable;  // ids with a build command, in manifest order
};

// `files` entries of every component, read from the TOML (the resolved app only keeps the expanded
// files, not the entries): v2 [component.<id>] tables and v1 [[component]] arrays.
std::map<std::string, const toml::array*> raw_files(const toml::table& doc,
                                                    std::vector<std::string>* order) {
  std::map<std::string, const toml::array*> files;
  const toml::node* components = doc.get("component");
  if (!components) return files;
  if (const toml::table* table = components->as_table()) {
    for (const auto& [key, node] : *table) {
      order->push_back(std::string(key.str()));
      if (const toml::table* c = node.as_table())
        if (const toml::node* f = c->get("files")) files[std::string(key.str())] = f->as_array();
    }
  } else if (const toml::array* array = components->as_array()) {
    for (const auto& node : *array) {
      const toml::table* c = node.as_table();
      if (!c) continue;
      auto id = (*c)["id"].value<std::string>();
      if (!id) continue;
      order->push_back(*id);
      if (const toml::node* f = c->get("files")) files[*id] = f->as_array();
    }
  }
  return files;
}

Result<Loaded> load(const fs::path& manifest_path, const WatchFlags& flags) {
  manifest::Options options;
  options.expand_files = false;
  options.check_sources = false;
  if (!flags.profile.empty()) options.profile = flags.profile;
  LEPTON_TRY(app::App app, manifest::load(manifest_path, options));
  toml::table doc;
  try {
    doc = toml::parse_file(app.manifest_path.string());
  } catch (const toml::parse_error& e) {
    return fail("{}: {}", app.manifest_path.string(), e.description());
  }
  std::vector<std::string> order;
  auto files = raw_files(doc, &order);
  for (const auto& [id, c] : app.components)  // anything the TOML walk missed, by id
    if (std::find(order.begin(), order.end(), id) == order.end()) order.push_back(id);

  Loaded loaded;
  std::vector<watch::ComponentWatch> watches;
  for (const auto& id : order) {
    auto it = app.components.find(id);
    if (it == app.components.end()) continue;
    const app::Component& c = it->second;
    watch::ComponentWatch w;
    w.id = id;
    w.source = c.source;
    if (c.build && !c.build->commands.empty()) {
      w.has_build = true;
      w.workdir = c.build->workdir;
      w.watch = c.build->watch;
      loaded.buildable.push_back(id);
    }
    if (auto f = files.find(id); f != files.end() && f->second) {
      for (const auto& entry : *f->second) {
        if (auto s = entry.value<std::string>())
          w.file_patterns.push_back(*s);
        else if (const toml::table* t = entry.as_table())
          if (auto source = (*t)["source"].value<std::string>()) w.file_sources.push_back(*source);
      }
    }
    watches.push_back(std::move(w));
  }
  std::vector<std::string> warnings;
  loaded.rules =
      watch::Rules::make(app.dir, app.manifest_path, watches, flags.skip_build, &warnings);
  for (const auto& w : warnings) spdlog::warn("{}", w);
  return loaded;
}

// inotify over the app directory tree (plus artifact directories outside it).
class Inotify {
 public:
  static constexpr uint32_t kMask = IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE |
                                    IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_ONLYDIR;

  ~Inotify() {
    if (fd_ >= 0) close(fd_);
  }
  Status open() {
    fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ < 0) return fail("cannot start watching files (inotify_init1): {}", strerror(errno));
    return {};
  }
  int fd() const { return fd_; }

  // Watches `dir` and, with `recursive`, every directory below it (except .git).
  void add(const fs::path& dir, bool recursive) {
    add_one(dir, recursive);
    if (!recursive) return;
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_directory(ec) || it->is_symlink(ec)) continue;
      if (it->path().filename() == ".git") {
        it.disable_recursion_pending();
        continue;
      }
      add_one(it->path(), true);
    }
  }

  // Reads every queued event; calls `on_path(absolute path)` for each, adding watches for new
  // directories first. Returns false on a read error other than "nothing queued".
  template <typename F>
  bool drain(F&& on_path) {
    alignas(inotify_event) char buf[16 * 1024];
    while (true) {
      ssize_t n = read(fd_, buf, sizeof buf);
      if (n < 0) return errno == EAGAIN || errno == EINTR;
      if (n == 0) return true;
      for (char* p = buf; p < buf + n;) {
        auto* event = reinterpret_cast<inotify_event*>(p);
        p += sizeof(inotify_event) + event->len;
        auto dir = dirs_.find(event->wd);
        if (event->mask & IN_IGNORED) {
          if (dir != dirs_.end()) dirs_.erase(dir);
          continue;
        }
        if (dir == dirs_.end()) continue;
        if (event->mask & IN_Q_OVERFLOW) continue;
        fs::path path = event->len > 0 ? dir->second.path / event->name : dir->second.path;
        if ((event->mask & IN_ISDIR) && (event->mask & (IN_CREATE | IN_MOVED_TO)) &&
            dir->second.recursive && path.filename() != ".git")
          add(path, true);
        on_path(path);
      }
    }
  }

 private:
  struct Dir {
    fs::path path;
    bool recursive = false;
  };
  void add_one(const fs::path& dir, bool recursive) {
    int wd = inotify_add_watch(fd_, dir.c_str(), kMask);
    if (wd < 0) {
      spdlog::warn("cannot watch directory '{}': {}", dir.string(), strerror(errno));
      return;
    }
    dirs_[wd] = Dir{dir, recursive};
  }

  int fd_ = -1;
  std::map<int, Dir> dirs_;
};

// Runs `lepton <args>` in its own process group, stdio inherited, with the termination signals
// unblocked again (the watcher blocks them for its signalfd) and SIGTERM if the watcher dies.
pid_t spawn_lepton(const std::string& self, const std::vector<std::string>& args) {
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid != 0) return pid;
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) _exit(127);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>("lepton"));
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(self.c_str(), argv.data());
  std::fprintf(stderr, "cannot run '%s': %s\n", self.c_str(), strerror(errno));
  _exit(127);
}

std::string describe_wait(int status) {
  if (WIFEXITED(status)) return fmt::format("exit status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("signal {}", WTERMSIG(status));
  return "unknown status";
}

// Sends `signal` to the child's process group and waits up to `grace` for it, then kills it.
void stop_child(pid_t pid, int signal, std::chrono::milliseconds grace) {
  if (pid <= 0) return;
  kill(-pid, signal);
  auto deadline = Clock::now() + grace;
  int status = 0;
  while (Clock::now() < deadline) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  spdlog::warn("child {} did not stop within {} ms; killing it", pid, grace.count());
  kill(-pid, SIGKILL);
  waitpid(pid, &status, 0);
}

void clear_screen() {
  std::fputs("\x1b[H\x1b[2J\x1b[3J", stdout);
  std::fflush(stdout);
}

class Watcher {
 public:
  Watcher(WatchFlags flags, fs::path manifest, std::vector<std::string> up_args, std::string self)
      : flags_(std::move(flags)),
        manifest_(std::move(manifest)),
        up_args_(std::move(up_args)),
        self_(std::move(self)),
        debouncer_(std::chrono::milliseconds(flags_.debounce_ms),
                   std::chrono::milliseconds(std::max<int64_t>(2000, 10 * flags_.debounce_ms))) {}

  int run() {
    auto loaded = load(manifest_, flags_);
    if (!loaded) return spdlog::error("{}", loaded.error().message), kFailure;
    loaded_ = std::move(*loaded);
    if (auto s = inotify_.open(); !s.ok()) return spdlog::error("{}", s.error().message), kFailure;
    inotify_.add(manifest_.parent_path(), true);
    for (const auto& dir : loaded_.rules.outside_dirs()) inotify_.add(dir, false);

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGCHLD);
    sigprocmask(SIG_BLOCK, &signals, nullptr);
    int sfd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0) return spdlog::error("signalfd: {}", strerror(errno)), kFailure;

    if (flags_.skip_build) {
      start_up();
    } else {
      if (flags_.clear) clear_screen();
      queue_builds(loaded_.buildable);
      restart_after_builds_ = true;
      next_build();
    }

    while (true) {
      int timeout = -1;
      if (auto deadline = debouncer_.deadline()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
        timeout = static_cast<int>(std::max<int64_t>(0, left.count()));
      }
      pollfd fds[2] = {{sfd, POLLIN, 0}, {inotify_.fd(), POLLIN, 0}};
      int n = poll(fds, 2, timeout);
      if (n < 0 && errno != EINTR) {
        spdlog::error("poll: {}", strerror(errno));
        shutdown();
        close(sfd);
        return kFailure;
      }
      if (n > 0 && (fds[0].revents & POLLIN)) {
        signalfd_siginfo info;
        bool stop = false;
        while (read(sfd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
          if (info.ssi_signo == SIGCHLD)
            reap();
          else
            stop = true;
        }
        if (stop) {
          spdlog::info("stopping");
          shutdown();
          close(sfd);
          return kOk;
        }
      }
      if (n > 0 && (fds[1].revents & POLLIN)) read_events();
      if (debouncer_.due(Clock::now())) act();
    }
  }

 private:
  void read_events() {
    inotify_.drain([&](const fs::path& path) {
      watch::Impact impact = loaded_.rules.classify(path);
      if (build_pid_ > 0) impact.restart = false;  // the running build's own output
      if (impact.empty()) return;
      spdlog::debug("watch: change in {}", path.string());
      batch_.merge(impact);
      debouncer_.note(Clock::now());
    });
  }

  void act() {
    watch::Impact batch = std::move(batch_);
    batch_ = {};
    debouncer_.reset();
    if (batch.manifest) {
      auto loaded = load(manifest_, flags_);
      if (!loaded) {
        spdlog::error("{}", loaded.error().message);
        spdlog::error("the manifest has errors; still serving the previous version");
        return;
      }
      loaded_ = std::move(*loaded);
      for (const auto& dir : loaded_.rules.outside_dirs()) inotify_.add(dir, false);
      if (flags_.skip_build) {
        restart("the manifest changed");
        return;
      }
      spdlog::info("the manifest changed: rebuilding every component");
      if (flags_.clear) clear_screen();
      queue_builds(loaded_.buildable);
      restart_after_builds_ = true;
      if (build_pid_ <= 0) next_build();
      return;
    }
    if (!batch.rebuild.empty() && !flags_.skip_build) {
      // Components whose last build failed are built again with the changed ones.
      std::vector<std::string> ids;
      for (const auto& id : loaded_.buildable)
        if (batch.rebuild.contains(id) || failed_.contains(id)) ids.push_back(id);
      if (flags_.clear && build_pid_ <= 0) clear_screen();
      queue_builds(ids);
      restart_after_builds_ = true;
      if (build_pid_ <= 0) next_build();
      return;
    }
    if (batch.restart && build_pid_ <= 0 && queue_.empty()) {
      if (!flags_.skip_build && !ever_built_) return;  // nothing serves until a build succeeds
      if (flags_.clear) clear_screen();
      restart("an artifact or file changed");
    }
  }

  void queue_builds(const std::vector<std::string>& ids) {
    for (const auto& id : ids)
      if (std::find(queue_.begin(), queue_.end(), id) == queue_.end()) queue_.push_back(id);
  }

  void next_build() {
    if (queue_.empty()) {
      if (restart_after_builds_) {
        restart_after_builds_ = false;
        ever_built_ = true;
        restart(up_pid_ > 0 ? "rebuilt" : "starting");
      }
      return;
    }
    building_ = queue_.front();
    queue_.pop_front();
    std::vector<std::string> args = {"build", "-f", manifest_.string(), "-c", building_};
    if (!flags_.profile.empty()) args.insert(args.end(), {"--profile", flags_.profile});
    build_pid_ = spawn_lepton(self_, args);
    if (build_pid_ < 0) {
      spdlog::error("cannot start the build of component {}: {}", building_, strerror(errno));
      build_pid_ = -1;
      build_finished(false);
    }
  }

  void build_finished(bool ok) {
    read_events();  // events the build caused are queued already: drop its artifact changes
    build_pid_ = -1;
    std::string id = std::move(building_);
    building_.clear();
    if (ok) {
      failed_.erase(id);
      next_build();
      return;
    }
    failed_.insert(id);
    spdlog::error("component {} failed to build; {}", id,
                  up_pid_ > 0 ? "still serving the previous version"
                              : "the app will start after a successful build");
    std::fflush(stderr);
    if (std::find(queue_.begin(), queue_.end(), id) != queue_.end()) {
      next_build();  // it changed again while building: that newer version may build
      return;
    }
    for (const auto& rest : queue_) failed_.insert(rest);
    queue_.clear();
    restart_after_builds_ = false;
  }

  void reap() {
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid == build_pid_) {
        build_finished(WIFEXITED(status) && WEXITSTATUS(status) == 0);
      } else if (pid == up_pid_) {
        up_pid_ = -1;
        spdlog::warn("`lepton up` exited ({}); waiting for changes to start it again",
                     describe_wait(status));
      }
    }
  }

  void restart(const std::string& why) {
    if (up_pid_ > 0) {
      spdlog::info("{}: restarting the app", why);
      stop_child(up_pid_, SIGINT, std::chrono::seconds(10));
      up_pid_ = -1;
    }
    start_up();
  }

  void start_up() {
    std::vector<std::string> args = {"up", "-f", manifest_.string()};
    if (!flags_.profile.empty()) args.insert(args.end(), {"--profile", flags_.profile});
    args.insert(args.end(), up_args_.begin(), up_args_.end());
    up_pid_ = spawn_lepton(self_, args);
    if (up_pid_ < 0) spdlog::error("cannot start `lepton up`: {}", strerror(errno));
  }

  void shutdown() {
    if (build_pid_ > 0) stop_child(build_pid_, SIGTERM, std::chrono::seconds(5));
    build_pid_ = -1;
    if (up_pid_ > 0) stop_child(up_pid_, SIGINT, std::chrono::seconds(10));
    up_pid_ = -1;
  }

  WatchFlags flags_;
  fs::path manifest_;
  std::vector<std::string> up_args_;
  std::string self_;
  Loaded loaded_;
  Inotify inotify_;
  watch::Debouncer debouncer_;
  watch::Impact batch_;
  std::deque<std::string> queue_;
  std::string building_;
  std::set<std::string> failed_;
  pid_t build_pid_ = -1;
  pid_t up_pid_ = -1;
  bool restart_after_builds_ = false;
  bool ever_built_ = false;
};

Result<fs::path> find_app(const std::string& from) {
  fs::path path;
  if (from.empty()) {
    LEPTON_TRY(path, manifest::find_default_manifest());
  } else {
    path = from;
    if (!fs::exists(path)) return fail("-f: '{}' does not exist", from);
    if (fs::is_directory(path)) {
      if (!fs::exists(path / "spin.toml")) return fail("-f: no spin.toml in '{}'", from);
      path /= "spin.toml";
    }
  }
  return fs::absolute(path).lexically_normal();
}

int run_watch(const WatchFlags& flags, std::vector<std::string> extras) {
  if (flags.debounce_ms < 0)
    return spdlog::error("--debounce: '{}' must not be negative", flags.debounce_ms), kUsage;
  auto manifest_path = find_app(flags.from);
  if (!manifest_path) return spdlog::error("{}", manifest_path.error().message), kFailure;
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return spdlog::error("cannot find the lepton binary: {}", ec.message()), kFailure;
  Watcher watcher(flags, *manifest_path, std::move(extras), self.string());
  return watcher.run();
}

}  // namespace

Run add_watch_command(CLI::App& app) {
  auto flags = std::make_shared<WatchFlags>();
  CLI::App* watch = app.add_subcommand(
      "watch", "Build and run the app, rebuilding and restarting it when files change");
  watch->add_option("-f,--from,--file", flags->from,
                    "The app to watch: a spin.toml or a directory containing one (default: "
                    "spin.toml here or in a parent directory)");
  watch->add_option("--profile", flags->profile,
                    "The build profile to build and run ([component.<id>.profile.NAME])");
  watch->add_flag("-c,--clear", flags->clear, "Clear the screen before each run");
  watch
      ->add_option("-d,--debounce", flags->debounce_ms,
                   "Time to wait after a change before acting on it, in milliseconds")
      ->capture_default_str();
  watch->add_flag("--skip-build", flags->skip_build,
                  "Only run the app, restarting it when its artifacts, files or manifest change");
  // Words after `--` are positionals; after an option watch does not know (`--listen ADDR`), the
  // words stay in order with it among the extras (the positional refuses them then).
  watch->validate_positionals();
  watch->add_option("up_args", flags->up_args, "Arguments passed through to `lepton up`")
      ->check(CLI::Validator(
          [watch](std::string&) -> std::string {
            auto extras = watch->remaining();
            bool passthrough = extras.empty() || (extras.size() == 1 && extras[0] == "--");
            return passthrough ? std::string() : std::string("after an unknown option");
          },
          ""));
  watch->prefix_command();  // the first argument watch does not know, and all after it, go to `up`
  watch->footer(
      "Arguments after the flags (or after --) go to `lepton up`, e.g. `lepton watch -- --listen "
      "127.0.0.1:3001`. Changes to a component's build.watch files rebuild it (`lepton build -c "
      "ID`) and restart the app; changes to a component's .wasm or files restart it; a manifest "
      "change rebuilds everything. A failed build keeps the previous version running. Exit "
      "codes: 0 stopped by SIGINT/SIGTERM, 1 the manifest is invalid or watching failed, 2 "
      "usage.");
  return [flags, watch] {
    std::vector<std::string> up_args = flags->up_args;
    for (const auto& extra : watch->remaining())
      if (extra != "--") up_args.push_back(extra);
    return run_watch(*flags, up_args);
  };
}

}  // namespace lepton::cli
