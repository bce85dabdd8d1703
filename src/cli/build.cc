// `lepton build`: runs each component's `[component.<id>.build] command` (one or a list) through
// `sh -c` in its workdir, in manifest order, streaming the tool's output; stops at the first
// failing command and names its component. `--up` then serves the same manifest with `up`'s own
// flag parsing and code path (in this process), passing it the arguments after `--up`.
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/main.h"
#include "manifest/manifest.h"

namespace lepton::cli {

namespace {

namespace fs = std::filesystem;

struct BuildFlags {
  std::string from;
  std::string profile;
  std::vector<std::string> components;
  bool up = false;
};

// Runs `command` with /bin/sh in `dir`, stdio inherited. Returns the exit status (128 + signal
// when killed), or -1 when it could not be started.
int run_shell(const std::string& command, const fs::path& dir) {
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (chdir(dir.c_str()) != 0) {
      std::fprintf(stderr, "cannot enter working directory '%s'\n", dir.c_str());
      _exit(127);
    }
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string describe_status(int status) {
  if (status > 128) return fmt::format("killed by signal {}", status - 128);
  return fmt::format("exit status {}", status);
}

// Component ids in the order the manifest declares them (Spin builds in manifest order; the
// resolved app keeps components by id). v1 manifests, or anything unreadable here, sort last by id.
std::vector<std::string> manifest_order(const app::App& app) {
  std::map<std::string, std::pair<uint32_t, uint32_t>> position;
  try {
    toml::table doc = toml::parse_file(app.manifest_path.string());
    if (const toml::table* components = doc["component"].as_table()) {
      for (const auto& [key, node] : *components) {
        auto begin = node.source().begin;
        position[std::string(key.str())] = {begin.line, begin.column};
      }
    }
  } catch (const toml::parse_error&) {
  }
  std::vector<std::string> ids;
  for (const auto& [id, component] : app.components) ids.push_back(id);
  auto pos = [&](const std::string& id) {
    auto it = position.find(id);
    return it == position.end() ? std::pair<uint32_t, uint32_t>{UINT32_MAX, 0} : it->second;
  };
  std::sort(ids.begin(), ids.end(), [&](const std::string& a, const std::string& b) {
    auto pa = pos(a), pb = pos(b);
    return pa != pb ? pa < pb : a < b;
  });
  return ids;
}

Result<fs::path> find_app(const std::string& from) {
  if (from.empty()) return manifest::find_default_manifest();
  fs::path path(from);
  if (!fs::exists(path)) return fail("-f: '{}' does not exist", from);
  if (fs::is_directory(path)) {
    if (!fs::exists(path / "spin.toml")) return fail("-f: no spin.toml in '{}'", from);
    return path / "spin.toml";
  }
  return path;
}

int build_app(const fs::path& manifest_path, const BuildFlags& flags) {
  manifest::Options options;
  options.expand_files = false;
  options.check_sources = false;
  if (!flags.profile.empty()) options.profile = flags.profile;
  auto loaded = manifest::load(manifest_path, options);
  if (!loaded) return spdlog::error("{}", loaded.error().message), kFailure;
  const app::App& app = *loaded;

  std::vector<const app::Component*> selected;
  std::set<std::string> wanted(flags.components.begin(), flags.components.end());
  std::vector<std::string> unknown;
  for (const auto& id : flags.components)
    if (!app.components.contains(id)) unknown.push_back(id);
  if (!unknown.empty())
    return spdlog::error("Unknown component(s) {}", fmt::join(unknown, ", ")), kFailure;
  for (const auto& id : manifest_order(app))
    if (wanted.empty() || wanted.contains(id)) selected.push_back(&app.components.at(id));

  bool any = false;
  for (const auto* c : selected) any = any || (c->build && !c->build->commands.empty());
  if (!any) {
    std::printf("None of the components have a build command.\n");
    std::printf(
        "For information on specifying a build command, see "
        "https://spinframework.dev/build#setting-up-for-spin-build.\n");
    return kOk;
  }

  for (const auto* c : selected) {
    if (!c->build || c->build->commands.empty()) {
      std::printf("Skipping component %s: it has no build command\n", c->id.c_str());
      continue;
    }
    const auto& build = *c->build;
    fs::path workdir = app.dir;
    if (!build.workdir.empty()) {
      if (fs::path(build.workdir).has_root_directory()) {
        spdlog::error("component {}: the build workdir '{}' must be relative to the app directory",
                      c->id, build.workdir);
        return kFailure;
      }
      workdir = (app.dir / build.workdir).lexically_normal();
    }
    size_t count = build.commands.size();
    if (count > 1) std::printf("Building component %s (%zu commands)\n", c->id.c_str(), count);
    for (size_t i = 0; i < count; ++i) {
      const std::string& command = build.commands[i];
      if (count > 1)
        std::printf("Running build step %zu/%zu for component %s with '%s'\n", i + 1, count,
                    c->id.c_str(), command.c_str());
      else
        std::printf("Building component %s with `%s`\n", c->id.c_str(), command.c_str());
      if (!build.workdir.empty()) std::printf("Working directory: \"%s\"\n", workdir.c_str());
      if (!fs::is_directory(workdir)) {
        spdlog::error(
            "Build command for component {} failed: working directory '{}' does not exist", c->id,
            workdir.string());
        return kFailure;
      }
      int status = run_shell(command, workdir);
      if (status < 0) {
        spdlog::error("Cannot spawn build process '{}' for component {}", command, c->id);
        return kFailure;
      }
      if (status != 0) {
        spdlog::error("Build command for component {} failed with {}", c->id,
                      describe_status(status));
        return kFailure;
      }
    }
  }
  std::printf("Finished building all Spin components\n");
  std::fflush(stdout);
  return kOk;
}

int run_build(const BuildFlags& flags, const std::vector<std::string>& extras) {
  if (!flags.up && !extras.empty())
    return spdlog::error("build: unexpected argument(s) '{}' (arguments for `up` go after --up)",
                         fmt::join(extras, " ")),
           kUsage;
  auto manifest_path = find_app(flags.from);
  if (!manifest_path) return spdlog::error("{}", manifest_path.error().message), kFailure;
  if (int rc = build_app(*manifest_path, flags); rc != kOk) return rc;
  if (!flags.up) return kOk;

  // `up` with its own parser, so its flags, checks and messages are exactly `lepton up`'s.
  CLI::App app{"lepton", "lepton"};
  Run up = add_up_command(app);
  std::vector<std::string> args = {"up", "-f", manifest_path->string()};
  args.insert(args.end(), extras.begin(), extras.end());
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 parses a reversed vector
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return e.get_exit_code() == 0 ? kOk : kUsage;
  }
  return up();
}

}  // namespace

Run add_build_command(CLI::App& app) {
  auto flags = std::make_shared<BuildFlags>();
  CLI::App* build =
      app.add_subcommand("build", "Build the app's components (their build commands)");
  build->add_option("-f,--from,--file", flags->from,
                    "The app to build: a spin.toml or a directory containing one (default: "
                    "spin.toml here or in a parent directory)");
  build
      ->add_option("-c,--component-id", flags->components,
                   "Build only this component (repeatable; default: all)")
      ->allow_extra_args(false);
  build->add_option("--profile", flags->profile, "Build profile ([component.<id>.profile.NAME])");
  build->add_flag("-u,--up", flags->up,
                  "Run the app after building; the arguments after --up go to `lepton up`");
  build->allow_extras();
  build->footer(
      "Each command runs through `sh -c` in the component's build workdir (relative to the "
      "manifest's directory). Exit codes: 0 built, 1 a build command failed or the manifest is "
      "invalid, 2 usage.");
  return [flags, build] { return run_build(*flags, build->remaining()); };
}

}  // namespace lepton::cli
