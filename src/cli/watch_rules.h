// `lepton watch` decisions that need no processes or inotify: which change means what (rebuild a
// component, restart `up`, reload the manifest) and when a burst of changes has settled.
//
// What is watched, as Spin's `spin watch`:
//  - the manifest itself → reload it, rebuild everything (restart only with --skip-build);
//  - each component's `build.watch` globs, relative to its build workdir → rebuild that component
//    (never with --skip-build);
//  - each component's local `source` (.wasm) and its `files` mounts ({ source = "dir" } watches
//    everything below dir; a pattern is watched as written; a plain name also covers what is
//    below it when it names a directory) → restart `up` only.
// Globs have the Rust `glob` crate semantics of src/manifest/glob.h with '/' matched only
// literally; "**/" also matches no directory, so "**/*.c" covers "main.c".
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "manifest/glob.h"

namespace lepton::cli::watch {

// What a component contributes to the watch, from the manifest.
struct ComponentWatch {
  std::string id;
  std::filesystem::path source;    // absolute local .wasm; empty for url/registry sources
  bool has_build = false;          // a build command exists
  std::string workdir;             // build workdir relative to the app dir; empty = the app dir
  std::vector<std::string> watch;  // build.watch globs, relative to workdir
  // `files` entries: a pattern/path string, or the source of a { source, destination } mount.
  std::vector<std::string> file_patterns;
  std::vector<std::string> file_sources;
};

// What a batch of changes asks for.
struct Impact {
  bool manifest = false;          // the manifest changed
  bool restart = false;           // an artifact or file mount changed
  std::set<std::string> rebuild;  // components whose build.watch files changed

  bool empty() const { return !manifest && !restart && rebuild.empty(); }
  void merge(const Impact& other);
};

class Rules {
 public:
  // `app_dir` and `manifest` absolute. Unusable globs are skipped and described in `warnings`.
  static Rules make(const std::filesystem::path& app_dir, const std::filesystem::path& manifest,
                    const std::vector<ComponentWatch>& components, bool skip_build,
                    std::vector<std::string>* warnings);

  // What a change of the absolute `path` means (empty when nothing watches it). Vim swap files
  // ("*.swp") are ignored, as Spin does.
  Impact classify(const std::filesystem::path& path) const;

  // Directories outside the app directory that hold a watched artifact (the app directory itself
  // is watched recursively); absolute.
  std::vector<std::filesystem::path> outside_dirs() const;

 private:
  struct Glob {
    std::string text;  // relative to the app dir ('/'-separated), or absolute
    manifest::detail::GlobPattern pattern;
    bool absolute = false;
  };
  std::filesystem::path app_dir_;
  std::filesystem::path manifest_;
  std::vector<std::pair<std::string, Glob>> build_;  // component id, glob
  std::set<std::filesystem::path> artifacts_;        // absolute .wasm paths
  std::vector<Glob> asset_globs_;
  std::vector<std::string> asset_prefixes_;  // app-relative: a path and what is below it
};

// Waits for a burst of changes to settle: due once `quiet` has passed without a new change, or
// `max_wait` after the first change of the burst (so a steady stream still gets handled).
class Debouncer {
 public:
  using Clock = std::chrono::steady_clock;
  Debouncer(std::chrono::milliseconds quiet, std::chrono::milliseconds max_wait)
      : quiet_(quiet), max_wait_(max_wait) {}

  void note(Clock::time_point now);
  bool pending() const { return first_.has_value(); }
  // When the burst will be due; nullopt with nothing pending.
  std::optional<Clock::time_point> deadline() const;
  bool due(Clock::time_point now) const;
  void reset() { first_.reset(), last_.reset(); }

 private:
  std::chrono::milliseconds quiet_;
  std::chrono::milliseconds max_wait_;
  std::optional<Clock::time_point> first_;
  std::optional<Clock::time_point> last_;
};

}  // namespace lepton::cli::watch
