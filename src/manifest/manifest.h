// spin.toml → app::App. Reads Spin manifest v2 (`spin_manifest_version = 2`) and v1
// (`spin_manifest_version = "1"` / `spin_version = "1"`, converted like Spin's compat module),
// validates it the way Spin does (unknown fields are errors, ids and variable names follow Spin's
// rules, templates may only reference declared variables, triggers must name existing
// components), normalises it (trigger ids, inline components, profiles, dependency references)
// and resolves it (absolute paths, expanded file mounts). Errors name the manifest file and the
// line:column of the offending key or value: "spin.toml:12:1: unknown field 'rout' in
// [[trigger.http]] (did you mean 'route'?)".
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "app/app.h"
#include "common/result.h"

namespace lepton::manifest {

struct Options {
  // Build profile (`spin up --profile NAME`): applies [component.<id>.profile.NAME] overrides.
  std::optional<std::string> profile;
  // Expand `files`/`exclude_files` against the app directory (reads the directory tree). When
  // false, Component::files stays empty and only the entries' syntax is checked.
  bool expand_files = true;
  // Require every local component `source` (and local dependency `path`) to exist as a file.
  bool check_sources = false;
};

// Parses manifest text. `manifest_path` (made absolute against the current directory) names the
// file in messages and anchors relative paths; file mounts are expanded from its directory unless
// options.expand_files is false. Wasm sources are not touched.
Result<app::App> parse(std::string_view toml_text, const std::filesystem::path& manifest_path);
Result<app::App> parse(std::string_view toml_text, const std::filesystem::path& manifest_path,
                       const Options& options);

// Loads `path`: a manifest file, or a directory containing spin.toml. The one-argument form also
// checks that every local Wasm source exists (the error names the component); pass Options to
// choose (e.g. check_sources = false for `build`, before the Wasm exists).
Result<app::App> load(const std::filesystem::path& path);
Result<app::App> load(const std::filesystem::path& path, Options options);

// Spin's manifest search (no `-f`): `start` itself when it is a file; otherwise spin.toml in the
// directory `start` (default: the current directory), else in its ancestors, nearest first, at most
// 19 levels up, stopping after an ancestor that is a Git root (has a .git directory). Returns an
// empty path when there is none.
std::filesystem::path find_manifest(const std::filesystem::path& start = std::filesystem::path());
// The same, with the error `"spin.toml" not found` instead of an empty path.
Result<std::filesystem::path> find_default_manifest(
    const std::filesystem::path& start = std::filesystem::path());

}  // namespace lepton::manifest
