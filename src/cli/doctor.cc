// `lepton doctor`: checks the toolchains the shipped templates need (clang-19 + wasi-libc for C,
// node/npm for JS/TS, python3 + componentize-py for Python) and, when there is one, the app's
// manifest (it parses, local sources exist or a build command makes them, build commands' first
// word is on PATH). Prints every problem with the command that fixes it; exit 0 when all is well,
// 1 when something is missing.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/main.h"
#include "manifest/manifest.h"

namespace lepton::cli {

namespace {

namespace fs = std::filesystem;

struct DoctorFlags {
  std::string from;
  bool json = false;
};

struct Check {
  std::string name;       // "clang-19", "manifest", "component hello: source"
  std::string needed_by;  // "templates http-c, ..." or the manifest
  bool ok = true;
  std::string detail;  // where it was found, or what is wrong
  std::string fix;     // a command that fixes it (empty when ok)
};

// First match of `name` on $PATH (or `name` itself when it contains a '/').
std::string which(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) dir = ".";
    fs::path candidate = fs::path(dir) / name;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec) && access(candidate.c_str(), X_OK) == 0)
      return candidate.string();
  }
  return "";
}

const char* kCTemplates = "templates http-c, redirect, static-fileserver, redis-c";

// How to install a tool a build command names, when we know it.
std::string fix_for(const std::string& tool) {
  static const std::map<std::string, std::string> fixes = {
      {"clang-19", "sudo apt-get install clang-19 lld-19"},
      {"clang", "sudo apt-get install clang-19 lld-19"},
      {"wasm-ld-19", "sudo apt-get install lld-19"},
      {"node", "sudo apt-get install nodejs npm"},
      {"npm", "sudo apt-get install nodejs npm"},
      {"npx", "sudo apt-get install nodejs npm"},
      {"python3", "sudo apt-get install python3 python3-venv python3-pip"},
      {"python", "sudo apt-get install python3 python3-venv python3-pip"},
      {"pip", "sudo apt-get install python3-pip"},
      {"componentize-py", "pip install componentize-py spin-sdk"},
      {"make", "sudo apt-get install make"},
      {"cargo", "curl https://sh.rustup.rs -sSf | sh && rustup target add wasm32-wasip1"},
      {"tinygo", "see https://tinygo.org/getting-started/install/linux/"},
      {"go", "sudo apt-get install golang"},
  };
  auto it = fixes.find(tool);
  if (it != fixes.end()) return it->second;
  return fmt::format("install '{}' or fix the build command", tool);
}

Check tool_check(const std::string& tool, const std::string& needed_by) {
  Check c{tool, needed_by, true, "", ""};
  c.detail = which(tool);
  if (c.detail.empty()) {
    c.ok = false;
    c.detail = fmt::format("'{}' not found on PATH", tool);
    c.fix = fix_for(tool);
  }
  return c;
}

// wasi-libc: Debian's wasi-libc package (headers in /usr/include/wasm32-wasi), a WASI SDK style
// sysroot (/usr/share/wasi-sysroot, $WASI_SYSROOT), plus clang's wasm32 builtins.
Check wasi_libc_check() {
  Check c{"wasi-libc", kCTemplates, true, "", ""};
  std::vector<fs::path> sysroots;
  if (const char* env = std::getenv("WASI_SYSROOT")) sysroots.push_back(fs::path(env) / "include");
  sysroots.push_back("/usr/include/wasm32-wasi");
  sysroots.push_back("/usr/share/wasi-sysroot/include/wasm32-wasi");
  sysroots.push_back("/usr/share/wasi-sysroot/include");
  std::error_code ec;
  for (const auto& dir : sysroots) {
    if (fs::exists(dir / "stdlib.h", ec)) {
      c.detail = dir.string();
      break;
    }
  }
  if (c.detail.empty()) {
    c.ok = false;
    c.detail =
        "no wasi-libc sysroot (looked in $WASI_SYSROOT, /usr/include/wasm32-wasi, "
        "/usr/share/wasi-sysroot)";
    c.fix = "sudo apt-get install wasi-libc libclang-rt-19-dev-wasm32";
    return c;
  }
  fs::path builtins = "/usr/lib/llvm-19/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a";
  if (!fs::exists(builtins, ec)) {
    c.ok = false;
    c.detail = fmt::format("sysroot at {}, but clang's wasm32 runtime {} is missing", c.detail,
                           builtins.string());
    c.fix = "sudo apt-get install libclang-rt-19-dev-wasm32";
  }
  return c;
}

// node must be >= 18 for the Spin JS SDK's build tools (j2w / componentize-js).
Check node_check() {
  Check c = tool_check("node", "templates http-js, http-ts");
  if (!c.ok) return c;
  std::string version;
  if (FILE* p = popen("node -p process.versions.node 2>/dev/null", "r")) {
    char buf[64];
    while (std::fgets(buf, sizeof buf, p) != nullptr) version += buf;
    pclose(p);
  }
  while (!version.empty() && std::isspace(static_cast<unsigned char>(version.back())))
    version.pop_back();
  int major = std::atoi(version.c_str());
  if (major < 18) {
    c.ok = false;
    c.detail = fmt::format("{} is version '{}'; the Spin JS SDK needs node >= 18", c.detail,
                           version.empty() ? "unknown" : version);
    c.fix = "install Node.js 18 or newer (Debian 12+: sudo apt-get install nodejs npm)";
  } else {
    c.detail += " (v" + version + ")";
  }
  return c;
}

Check componentize_py_check() {
  Check c = tool_check("componentize-py", "template http-py");
  if (c.ok) return c;
  // setup-guest-toolchains.sh installs it into a venv rather than on PATH.
  const char* venv = std::getenv("LEPTON_PY_VENV");
  const char* home = std::getenv("HOME");
  fs::path dir = venv   ? fs::path(venv)
                 : home ? fs::path(home) / ".cache/lepton/py-venv"
                        : fs::path();
  if (!dir.empty() && access((dir / "bin/componentize-py").c_str(), X_OK) == 0) {
    c.ok = true;
    c.detail = (dir / "bin/componentize-py").string() + " (activate the venv to use it)";
    c.fix.clear();
  }
  return c;
}

// The first word of a shell command that names a program (skipping VAR=value assignments).
std::string first_program(const std::string& command) {
  std::istringstream words(command);
  std::string word;
  while (words >> word) {
    if (word.find('=') != std::string::npos && word.front() != '=' && word.front() != '/') continue;
    return word;
  }
  return "";
}

bool is_shell_builtin(const std::string& word) {
  static const char* builtins[] = {"cd", "echo",   "true",   "false", "test",
                                   "[",  "exit",   "export", "set",   ":",
                                   ".",  "source", "printf", "exec",  "env"};
  for (const char* b : builtins)
    if (word == b) return true;
  return false;
}

void check_manifest(const fs::path& path, std::vector<Check>& checks) {
  manifest::Options options;
  options.expand_files = false;
  options.check_sources = false;
  auto loaded = manifest::load(path, options);
  Check parse{"manifest", path.string(), true, "", ""};
  if (!loaded) {
    parse.ok = false;
    parse.detail = loaded.error().message;
    parse.fix = "fix the manifest (see docs/manifest.md)";
    checks.push_back(parse);
    return;
  }
  parse.detail = fmt::format("{} parses ({} components)", path.string(), loaded->components.size());
  checks.push_back(parse);
  for (const auto& [id, component] : loaded->components) {
    bool has_build = component.build && !component.build->commands.empty();
    if (!component.source.empty()) {
      Check src{fmt::format("component {}: source", id), path.string(), true, "", ""};
      std::error_code ec;
      if (fs::exists(component.source, ec)) {
        src.detail = component.source.string();
      } else {
        src.ok = false;
        src.detail = fmt::format("'{}' does not exist", component.source.string());
        src.fix = has_build ? fmt::format("lepton build -c {}", id)
                            : "fix the component's source path, or add a build command";
      }
      checks.push_back(src);
    }
    if (!has_build) continue;
    fs::path workdir =
        component.build->workdir.empty() ? loaded->dir : loaded->dir / component.build->workdir;
    for (const auto& command : component.build->commands) {
      std::string program = first_program(command);
      if (program.empty() || is_shell_builtin(program)) continue;
      Check tool{fmt::format("component {}: build tool {}", id, program), path.string(), true, "",
                 ""};
      std::string found;
      if (program.find('/') != std::string::npos) {
        fs::path p = fs::path(program).is_absolute() ? fs::path(program) : workdir / program;
        if (access(p.c_str(), X_OK) == 0) found = p.string();
      } else {
        found = which(program);
      }
      if (found.empty()) {
        tool.ok = false;
        tool.detail = fmt::format("'{}' (from build command `{}`) not found", program, command);
        tool.fix = fix_for(program);
      } else {
        tool.detail = found;
      }
      checks.push_back(tool);
    }
  }
}

int run_doctor(const DoctorFlags& flags) {
  std::vector<Check> checks;
  checks.push_back(tool_check("clang-19", kCTemplates));
  checks.push_back(wasi_libc_check());
  checks.push_back(node_check());
  checks.push_back(tool_check("npm", "templates http-js, http-ts"));
  checks.push_back(tool_check("python3", "template http-py"));
  checks.push_back(componentize_py_check());

  fs::path manifest_path;
  if (!flags.from.empty()) {
    manifest_path = flags.from;
    if (fs::is_directory(manifest_path)) manifest_path /= "spin.toml";
    if (!fs::exists(manifest_path)) {
      Check c{"manifest", flags.from, false, fmt::format("'{}' does not exist", flags.from),
              "lepton new -t http-c my-app (or pass -f PATH to an existing app)"};
      checks.push_back(c);
      manifest_path.clear();
    }
  } else {
    manifest_path = manifest::find_manifest(fs::current_path());
  }
  if (!manifest_path.empty()) check_manifest(manifest_path, checks);

  size_t problems = 0;
  for (const auto& c : checks) problems += c.ok ? 0 : 1;
  if (flags.json) {
    nlohmann::json out = {{"ok", problems == 0}, {"checks", nlohmann::json::array()}};
    for (const auto& c : checks) {
      nlohmann::json j = {
          {"name", c.name}, {"needed_by", c.needed_by}, {"ok", c.ok}, {"detail", c.detail}};
      if (!c.ok) j["fix"] = c.fix;
      out["checks"].push_back(j);
    }
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    for (const auto& c : checks) {
      std::printf("%s %s: %s\n", c.ok ? "[ok]     " : "[problem]", c.name.c_str(),
                  c.detail.c_str());
      if (!c.ok) {
        std::printf("          needed by %s\n", c.needed_by.c_str());
        std::printf("          fix: %s\n", c.fix.c_str());
      }
    }
    if (manifest_path.empty() && flags.from.empty())
      std::printf("(no spin.toml here or in a parent directory: manifest not checked)\n");
    if (problems == 0)
      std::printf("No problems found.\n");
    else
      std::printf("%zu problem%s found.\n", problems, problems == 1 ? "" : "s");
  }
  return problems == 0 ? kOk : kFailure;
}

}  // namespace

Run add_doctor_command(CLI::App& app) {
  auto flags = std::make_shared<DoctorFlags>();
  CLI::App* doctor = app.add_subcommand(
      "doctor", "Check the toolchains templates need and the app's manifest; print fixes");
  doctor->add_option("-f,--from,--file", flags->from,
                     "The app to check: a spin.toml or a directory containing one (default: "
                     "spin.toml here or in a parent directory, if any)");
  doctor->add_flag("--json", flags->json, "Print the checks as JSON");
  doctor->footer("Exit codes: 0 no problems, 1 problems found, 2 usage.");
  return [flags] { return run_doctor(*flags); };
}

}  // namespace lepton::cli
