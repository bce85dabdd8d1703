#include "templates/store.h"

#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>

extern char** environ;

namespace lepton::templates {

namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string safe_dir_name(const std::string& id) {
  std::string out = id;
  for (auto& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  return out;
}

const char* kInstallRecord = ".install.toml";

std::string read_origin(const fs::path& dir) {
  std::ifstream in(dir / kInstallRecord);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    auto q1 = line.find('"', eq);
    auto q2 = line.rfind('"');
    if (q1 != std::string::npos && q2 > q1) return line.substr(q1 + 1, q2 - q1 - 1);
  }
  return "";
}

std::string toml_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::vector<fs::path> subdirectories(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory() && e.path().filename().string().front() != '.') out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::pair<fs::path, bool>> template_dirs(const fs::path& root, bool builtin) {
  std::vector<std::pair<fs::path, bool>> out;
  for (const auto& d : subdirectories(root)) out.emplace_back(d, builtin);
  return out;
}

}  // namespace

Store Store::from_environment() {
  fs::path user;
  if (auto d = env("LEPTON_TEMPLATES_DIR"); !d.empty()) {
    user = d;
  } else if (auto x = env("XDG_DATA_HOME"); !x.empty()) {
    user = fs::path(x) / "lepton" / "templates";
  } else {
    user = fs::path(env("HOME")) / ".local" / "share" / "lepton" / "templates";
  }
  std::optional<fs::path> builtin;
  if (auto b = env("LEPTON_BUILTIN_TEMPLATES"); !b.empty()) {
    builtin = fs::path(b);
  } else {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    std::vector<fs::path> candidates;
    if (!ec) {
      candidates.push_back(exe.parent_path().parent_path() / "share" / "lepton" / "templates");
      candidates.push_back(exe.parent_path() / "templates");
    }
#ifdef LEPTON_SOURCE_TEMPLATES
    candidates.emplace_back(LEPTON_SOURCE_TEMPLATES);
#endif
    for (const auto& c : candidates)
      if (fs::is_directory(c, ec)) {
        builtin = c;
        break;
      }
  }
  return Store(user, builtin);
}

std::optional<fs::path> Store::sdk_dir() const {
  if (auto d = env("LEPTON_SDK_DIR"); !d.empty()) return fs::path(d);
  std::error_code ec;
  if (builtin_dir_) {
    fs::path sibling = builtin_dir_->parent_path() / "sdk";
    if (builtin_dir_->filename().empty())
      sibling = builtin_dir_->parent_path().parent_path() / "sdk";
    if (fs::is_directory(sibling, ec)) return sibling;
  }
  return std::nullopt;
}

std::vector<StoredTemplate> Store::list(std::vector<std::string>* problems) const {
  std::map<std::string, StoredTemplate> by_id;
  std::vector<std::pair<fs::path, bool>> dirs;
  if (builtin_dir_) dirs = template_dirs(*builtin_dir_, true);
  for (auto& d : template_dirs(user_dir_, false)) dirs.push_back(d);
  for (const auto& [dir, builtin] : dirs) {
    auto t = load_template(dir);
    if (!t) {
      if (problems) problems->push_back(t.error().message);
      continue;
    }
    StoredTemplate s{std::move(*t), builtin, builtin ? "" : read_origin(dir)};
    by_id[s.info.id] = std::move(s);  // installed (listed later) overrides built-in
  }
  std::vector<StoredTemplate> out;
  for (auto& [id, s] : by_id) out.push_back(std::move(s));
  return out;
}

Result<StoredTemplate> Store::get(const std::string& id) const {
  for (auto& s : list())
    if (s.info.id == id) return std::move(s);
  std::string ids;
  for (const auto& s : list()) ids += (ids.empty() ? "" : ", ") + s.info.id;
  return fail("no template '{}' (available: {}; install more with `lepton templates install`)", id,
              ids.empty() ? "none" : ids);
}

Result<InstallReport> Store::install_from(const fs::path& root, const std::string& origin,
                                          bool upgrade) const {
  std::vector<fs::path> candidates;
  if (fs::is_directory(root / "templates")) {
    candidates = subdirectories(root / "templates");
  } else if (fs::is_regular_file(root / "metadata" / "spin-template.toml")) {
    candidates.push_back(root);
  } else {
    for (const auto& d : subdirectories(root))
      if (fs::is_regular_file(d / "metadata" / "spin-template.toml")) candidates.push_back(d);
  }
  if (candidates.empty())
    return fail("{}: no templates found (expected {}/templates/<name>/metadata/spin-template.toml)",
                origin, origin);
  InstallReport report;
  std::error_code ec;
  fs::create_directories(user_dir_, ec);
  if (ec) return fail("cannot create template directory {}: {}", user_dir_.string(), ec.message());
  for (const auto& dir : candidates) {
    auto t = load_template(dir);
    if (!t) {
      report.skipped.emplace_back(dir.filename().string(), t.error().message);
      continue;
    }
    fs::path dest = user_dir_ / safe_dir_name(t->id);
    if (fs::exists(dest) && !upgrade) {
      report.skipped.emplace_back(t->id, "already installed (use --upgrade to replace it)");
      continue;
    }
    fs::path staging = user_dir_ / (".staging-" + safe_dir_name(t->id));
    fs::remove_all(staging, ec);
    fs::copy(dir, staging, fs::copy_options::recursive, ec);
    if (ec) return fail("copying {} to {}: {}", dir.string(), staging.string(), ec.message());
    {
      std::ofstream rec(staging / kInstallRecord);
      rec << "dir = " << toml_quote(origin) << "\n";
    }
    fs::remove_all(dest, ec);
    fs::rename(staging, dest, ec);
    if (ec) return fail("installing {}: {}", dest.string(), ec.message());
    report.installed.push_back(t->id);
  }
  return report;
}

Result<InstallReport> Store::install_dir(const fs::path& dir, bool upgrade) const {
  if (!fs::is_directory(dir)) return fail("--dir: '{}' is not a directory", dir.string());
  return install_from(dir, fs::absolute(dir).lexically_normal().string(), upgrade);
}

Result<InstallReport> Store::install_tar(const fs::path& tar, bool upgrade) const {
  if (!fs::is_regular_file(tar)) return fail("--tar: '{}' is not a file", tar.string());
  std::string tmpl = (fs::temp_directory_path() / "lepton-templates-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return fail("cannot create a temporary directory");
  fs::path tmp(tmpl);
  std::string file = tar.string();
  const char* argv[] = {"tar", "-xf", file.c_str(), "-C", tmpl.c_str(), nullptr};
  pid_t pid;
  int rc = posix_spawnp(&pid, "tar", nullptr, nullptr, const_cast<char* const*>(argv), environ);
  int status = 0;
  if (rc == 0) waitpid(pid, &status, 0);
  std::error_code ec;
  if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fs::remove_all(tmp, ec);
    return fail("--tar: cannot unpack '{}' (tar failed)", file);
  }
  fs::path root = tmp;
  if (!fs::is_directory(root / "templates")) {
    auto subs = subdirectories(root);
    if (subs.size() == 1 && fs::is_directory(subs[0] / "templates")) root = subs[0];
  }
  auto report = install_from(root, fs::absolute(tar).lexically_normal().string(), upgrade);
  fs::remove_all(tmp, ec);
  return report;
}

Status Store::uninstall(const std::string& id) const {
  for (const auto& dir : subdirectories(user_dir_)) {
    auto t = load_template(dir);
    if ((t && t->id == id) || (!t && dir.filename() == safe_dir_name(id))) {
      std::error_code ec;
      fs::remove_all(dir, ec);
      if (ec) return fail("cannot remove {}: {}", dir.string(), ec.message());
      return {};
    }
  }
  if (builtin_dir_) {
    for (const auto& dir : subdirectories(*builtin_dir_)) {
      auto t = load_template(dir);
      if (t && t->id == id)
        return fail("template '{}' is built into lepton and cannot be uninstalled", id);
    }
  }
  return fail("no installed template '{}'", id);
}

}  // namespace lepton::templates
