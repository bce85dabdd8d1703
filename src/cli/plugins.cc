// Plugins: `lepton <word>` for a word that is not a built-in command runs the plugin `<word>`
// (installed as <plugins dir>/<word>/<word>, or <plugins dir>/<word>/lepton-<word>, or
// `lepton-<word>` on PATH) with the remaining arguments and Spin's plugin environment variables
// (SPIN_BIN_PATH, SPIN_VERSION, ...; each also as LEPTON_*). `lepton plugins list|install|
// uninstall` manage the plugins dir: $LEPTON_PLUGINS_DIR, else $XDG_DATA_HOME/lepton/plugins,
// else ~/.local/share/lepton/plugins.
#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/main.h"

namespace lepton::cli {

namespace {

namespace fs = std::filesystem;

fs::path plugins_dir() {
  if (const char* dir = std::getenv("LEPTON_PLUGINS_DIR"); dir && *dir) return dir;
  if (const char* data = std::getenv("XDG_DATA_HOME"); data && *data)
    return fs::path(data) / "lepton" / "plugins";
  const char* home = std::getenv("HOME");
  return fs::path(home ? home : ".") / ".local" / "share" / "lepton" / "plugins";
}

bool executable(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && access(p.c_str(), X_OK) == 0;
}

// The installed executable of plugin `name` in the plugins dir, if any.
std::optional<fs::path> installed_binary(const std::string& name) {
  fs::path dir = plugins_dir() / name;
  for (const auto& candidate : {dir / name, dir / ("lepton-" + name)})
    if (executable(candidate)) return candidate;
  return std::nullopt;
}

std::optional<fs::path> on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    fs::path candidate = fs::path(dir.empty() ? "." : dir) / program;
    if (executable(candidate)) return candidate;
  }
  return std::nullopt;
}

bool is_builtin(const CLI::App& app, const std::string& name) {
  return !app.get_subcommands([&](const CLI::App* sub) { return sub->check_name(name); }).empty();
}

bool valid_plugin_name(const std::string& name) {
  static const std::regex pattern("[a-z0-9][a-z0-9_.-]*");
  return std::regex_match(name, pattern);
}

std::string self_path() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("lepton") : exe.string();
}

// Spin's plugin environment (src/commands/external.rs), with lepton's values; every variable is
// set as SPIN_<X> (what Spin plugins read) and LEPTON_<X>.
void set_plugin_environment(const fs::path& plugin) {
  std::string version = LEPTON_VERSION;
  std::string core = version.substr(0, version.find('-'));
  std::string pre =
      version.find('-') == std::string::npos ? "" : version.substr(version.find('-') + 1);
  std::vector<std::string> parts;
  std::stringstream s(core);
  for (std::string p; std::getline(s, p, '.');) parts.push_back(p);
  parts.resize(3, "0");
  utsname u{};
  uname(&u);
  std::vector<std::pair<std::string, std::string>> vars = {
      {"VERSION", version},
      {"VERSION_MAJOR", parts[0]},
      {"VERSION_MINOR", parts[1]},
      {"VERSION_PATCH", parts[2]},
      {"VERSION_PRE", pre},
      {"COMMIT_SHA", "unknown"},
      {"COMMIT_DATE", "unknown"},
      {"BRANCH", "unknown"},
      {"BUILD_DATE", __DATE__},
      {"TARGET_TRIPLE", std::string(u.machine) + "-unknown-linux-gnu"},
      {"DEBUG", "false"},
      {"BIN_PATH", self_path()},
      {"PLUGIN_PATH", plugin.parent_path().string()},
      {"PLUGINS_DIR", plugins_dir().string()},
  };
  for (const auto& [key, value] : vars) {
    setenv(("SPIN_" + key).c_str(), value.c_str(), 1);
    setenv(("LEPTON_" + key).c_str(), value.c_str(), 1);
  }
}

std::string sha256_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

// Runs `tar -xzf archive -C dir`; true on success.
bool untar(const fs::path& archive, const fs::path& dir) {
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    execlp("tar", "tar", "-xzf", archive.c_str(), "-C", dir.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

fs::path manifests_dir() { return plugins_dir() / "manifests"; }

struct PluginsFlags {
  bool json = false;
  std::string file;
  std::string name;
  bool upgrade = false;
  std::string uninstall_name;
};

struct Listed {
  std::string name;
  std::string path;
  std::string source;   // "installed" or "PATH"
  std::string version;  // from the installed manifest, if any
};

std::vector<Listed> list_plugins() {
  std::vector<Listed> out;
  std::set<std::string> seen;
  std::error_code ec;
  fs::path dir = plugins_dir();
  if (fs::is_directory(dir, ec)) {
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      std::string name = entry.path().filename().string();
      if (auto bin = installed_binary(name)) {
        std::string version;
        std::ifstream m(manifests_dir() / (name + ".json"));
        auto j = nlohmann::json::parse(m, nullptr, false);
        if (!j.is_discarded() && j.is_object()) version = j.value("version", "");
        out.push_back({name, bin->string(), "installed", version});
        seen.insert(name);
      }
    }
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string d; std::getline(dirs, d, ':');) {
    if (d.empty() || !fs::is_directory(d, ec)) continue;
    for (const auto& entry : fs::directory_iterator(d, ec)) {
      std::string file = entry.path().filename().string();
      if (!file.starts_with("lepton-") || !executable(entry.path())) continue;
      std::string name = file.substr(7);
      if (name.empty() || !seen.insert(name).second) continue;
      out.push_back({name, entry.path().string(), "PATH", ""});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Listed& a, const Listed& b) { return a.name < b.name; });
  return out;
}

int run_list(const PluginsFlags& f) {
  auto all = list_plugins();
  if (f.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : all)
      out.push_back({{"name", p.name}, {"path", p.path}, {"source", p.source}});
    std::printf("%s\n", out.dump(2).c_str());
    return kOk;
  }
  if (all.empty()) {
    std::printf("No plugins installed (plugins dir: %s)\n", plugins_dir().c_str());
    return kOk;
  }
  for (const auto& p : all)
    std::printf("%s%s%s [%s] %s\n", p.name.c_str(), p.version.empty() ? "" : " ", p.version.c_str(),
                p.source.c_str(), p.path.c_str());
  return kOk;
}

// A Spin plugin manifest: {"name", "version", "packages": [{"os", "arch", "url", "sha256"}]}.
// Only local packages are installed (url `file://...` or a path relative to the manifest): the
// package (a .tar.gz holding the executable `<name>`) is checked against its sha256 and unpacked
// into <plugins dir>/<name>/; the manifest is kept as <plugins dir>/manifests/<name>.json.
int install_manifest(const PluginsFlags& f, const CLI::App& root) {
  std::ifstream in(f.file);
  auto manifest = nlohmann::json::parse(in, nullptr, false);
  if (manifest.is_discarded() || !manifest.is_object())
    return spdlog::error("plugins install: '{}' is not valid JSON", f.file), kFailure;
  std::string name = manifest.value("name", "");
  if (!valid_plugin_name(name))
    return spdlog::error("plugins install: {}: missing or invalid \"name\"", f.file), kFailure;
  if (is_builtin(root, name))
    return spdlog::error("plugins install: '{}' is a built-in command", name), kFailure;
  utsname u{};
  uname(&u);
  std::string machine = u.machine;
  std::string arch = machine == "x86_64" ? "amd64" : machine == "aarch64" ? "aarch64" : machine;
  const nlohmann::json* package = nullptr;
  if (manifest.contains("packages") && manifest["packages"].is_array())
    for (const auto& p : manifest["packages"])
      if (p.value("os", "") == "linux" &&
          (p.value("arch", "") == arch || (arch == "aarch64" && p.value("arch", "") == "arm64")))
        package = &p;
  if (!package)
    return spdlog::error("plugins install: {} has no package for linux/{}", f.file, arch), kFailure;
  std::string url = package->value("url", "");
  fs::path archive;
  if (url.starts_with("file://")) {
    archive = url.substr(7);
  } else if (url.find("://") != std::string::npos) {
    return spdlog::error(
               "plugins install: lepton does not download plugins; download {} and set the "
               "package url to its local path (file:///...)",
               url),
           kFailure;
  } else {
    archive = fs::path(f.file).parent_path() / url;
  }
  std::error_code ec;
  if (!fs::is_regular_file(archive, ec))
    return spdlog::error("plugins install: package '{}' does not exist", archive.string()),
           kFailure;
  std::string want = package->value("sha256", "");
  if (std::string got = sha256_file(archive); !want.empty() && got != want)
    return spdlog::error("plugins install: {}: sha256 is {}, the manifest says {}",
                         archive.string(), got, want),
           kFailure;
  fs::path dir = plugins_dir() / name;
  if (fs::exists(dir, ec) && !f.upgrade)
    return spdlog::error("plugin '{}' is already installed at {} (use --upgrade to replace it)",
                         name, dir.string()),
           kFailure;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  fs::create_directories(manifests_dir(), ec);
  if (!untar(archive, dir) || !executable(dir / name)) {
    fs::remove_all(dir, ec);
    return spdlog::error("plugins install: {} did not unpack to an executable '{}'",
                         archive.string(), name),
           kFailure;
  }
  fs::copy_file(f.file, manifests_dir() / (name + ".json"), fs::copy_options::overwrite_existing,
                ec);
  std::printf("Plugin '%s' %s was installed successfully! Run it with `lepton %s`.\n", name.c_str(),
              manifest.value("version", "").c_str(), name.c_str());
  return kOk;
}

int run_install(const PluginsFlags& f, const CLI::App& root) {
  fs::path file = f.file;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    return spdlog::error("plugins install: --file '{}' is not a file", f.file), kFailure;
  {
    std::ifstream in(file);
    char first = 0;
    in >> first;
    if (first == '{') return install_manifest(f, root);
  }
  if (access(file.c_str(), X_OK) != 0)
    return spdlog::error("plugins install: '{}' is not executable (chmod +x it)", f.file), kFailure;
  std::string name = f.name;
  if (name.empty()) {
    name = file.filename().string();
    for (const char* prefix : {"lepton-", "spin-"})
      if (name.starts_with(prefix)) name = name.substr(std::strlen(prefix));
  }
  if (!valid_plugin_name(name))
    return spdlog::error(
               "plugins install: '{}' is not a valid plugin name (use --name: lowercase "
               "letters, digits, '-', '_', '.')",
               name),
           kUsage;
  if (is_builtin(root, name))
    return spdlog::error("plugins install: '{}' is a built-in command; choose another --name",
                         name),
           kFailure;
  fs::path dir = plugins_dir() / name;
  fs::path target = dir / name;
  if (fs::exists(dir, ec) && !f.upgrade)
    return spdlog::error("plugin '{}' is already installed at {} (use --upgrade to replace it)",
                         name, dir.string()),
           kFailure;
  fs::create_directories(dir, ec);
  if (ec) return spdlog::error("cannot create {}: {}", dir.string(), ec.message()), kFailure;
  fs::copy_file(file, target, fs::copy_options::overwrite_existing, ec);
  if (ec)
    return spdlog::error("cannot copy {} to {}: {}", file.string(), target.string(), ec.message()),
           kFailure;
  fs::permissions(target,
                  fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                      fs::perms::others_read | fs::perms::others_exec,
                  ec);
  std::printf("Plugin '%s' was installed successfully! Run it with `lepton %s`.\n", name.c_str(),
              name.c_str());
  return kOk;
}

int run_uninstall(const PluginsFlags& f) {
  fs::path dir = plugins_dir() / f.uninstall_name;
  std::error_code ec;
  if (!valid_plugin_name(f.uninstall_name) || !fs::is_directory(dir, ec))
    return spdlog::error("plugin '{}' is not installed (in {})", f.uninstall_name,
                         plugins_dir().string()),
           kFailure;
  fs::remove_all(dir, ec);
  if (ec) return spdlog::error("cannot remove {}: {}", dir.string(), ec.message()), kFailure;
  fs::remove(manifests_dir() / (f.uninstall_name + ".json"), ec);
  std::printf("Uninstalled plugin %s\n", f.uninstall_name.c_str());
  return kOk;
}

}  // namespace

Run add_plugins_command(CLI::App& app) {
  auto flags = std::make_shared<PluginsFlags>();
  CLI::App* plugins = app.add_subcommand("plugins", "Manage plugins (`lepton <name>` runs one)");
  plugins->require_subcommand(1);
  plugins->footer(
      "Plugins dir: $LEPTON_PLUGINS_DIR, else $XDG_DATA_HOME/lepton/plugins, else "
      "~/.local/share/lepton/plugins. `lepton-<name>` executables on PATH are plugins too.");
  CLI::App* list = plugins->add_subcommand("list", "List installed plugins");
  list->add_flag("--json", flags->json, "Print the list as JSON");
  CLI::App* install = plugins->add_subcommand("install", "Install a plugin executable");
  install
      ->add_option("--file", flags->file,
                   "The plugin's executable, or a Spin plugin manifest (JSON) whose package "
                   "for this platform is a local .tar.gz")
      ->required();
  install->add_option("--name", flags->name,
                      "Name to run it by (default: the file name without a lepton-/spin- prefix)");
  install->add_flag("--upgrade", flags->upgrade, "Replace an installed plugin of that name");
  CLI::App* uninstall = plugins->add_subcommand("uninstall", "Remove an installed plugin");
  uninstall->add_option("name", flags->uninstall_name, "The plugin's name")->required();
  return [flags, list, install, &app] {
    if (list->parsed()) return run_list(*flags);
    if (install->parsed()) return run_install(*flags, app);
    return run_uninstall(*flags);
  };
}

std::optional<int> run_external(const CLI::App& app, int argc, char** argv) {
  if (argc < 2) return std::nullopt;
  std::string word = argv[1];
  if (word.empty() || word.front() == '-' || is_builtin(app, word)) return std::nullopt;
  std::optional<fs::path> binary;
  if (valid_plugin_name(word)) {
    binary = installed_binary(word);
    if (!binary) binary = on_path("lepton-" + word);
  }
  if (!binary) {
    std::vector<std::string> names;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
      names.push_back(sub->get_name());
    std::fprintf(stderr,
                 "error: '%s' is not a known lepton command, and no plugin of that name is "
                 "installed (see `lepton plugins list`).\nCommands: %s\nSee lepton --help.\n",
                 word.c_str(), fmt::format("{}", fmt::join(names, ", ")).c_str());
    return kUsage;
  }
  set_plugin_environment(*binary);
  std::vector<std::string> args = {binary->string()};
  for (int i = 2; i < argc; ++i) args.emplace_back(argv[i]);
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  execv(binary->c_str(), cargs.data());
  int err = errno;
  std::fprintf(stderr, "error: cannot run plugin %s: %s\n", binary->c_str(), std::strerror(err));
  return kFailure;
}

}  // namespace lepton::cli
