// node_modules seeding for templates with `[npm] seed = true` (metadata/lepton.toml), the way
// pnpm's store works: npm copies every package into every project (~390 MB for the Spin JS SDK's
// build tools), so each new app's `npm install` spends most of its time extracting the same
// files from npm's cache. lepton instead keeps one installed tree per dependency set under
// `<cache>/npm-seeds/<key>/node_modules` (prepared once with `npm install`) and fills a new app's
// node_modules with hard links to its files; the build's `npm install` then finds a satisfied
// tree and only checks it.
//
// Hard links share the file: editing a file inside node_modules in place would change the store
// (and every app seeded from it). npm itself never does that: it replaces files, it doesn't edit
// them.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "common/result.h"

namespace lepton::templates {

// What a package.json needs installed: the dependency sections (dependencies, devDependencies,
// optionalDependencies, peerDependencies, overrides) and the lockfile beside it, if any.
struct NpmDependencySet {
  std::string manifest;                 // a package.json with just those sections
  std::optional<std::string> lockfile;  // package-lock.json text
  std::string key;                      // hex sha256 of both (and the machine's architecture)
};
// `file` names the package.json in errors (it must be a JSON object).
Result<NpmDependencySet> npm_dependency_set(const std::string& package_json,
                                            const std::optional<std::string>& lockfile,
                                            const std::string& file);

// `$XDG_CACHE_HOME/lepton/npm-seeds` (else `~/.cache/lepton/npm-seeds`): beside lepton's compile
// cache ($XDG_CACHE_HOME/lepton/modules).
std::filesystem::path default_npm_seed_root();

struct LinkStats {
  size_t linked = 0;    // regular files hard-linked
  size_t copied = 0;    // regular files copied (hard link failed, e.g. across filesystems)
  size_t symlinks = 0;  // symlinks recreated
  size_t dirs = 0;
};
// Recreates the tree `from` at `to` (which must not exist): directories created, regular files
// hard-linked (copied when linking fails), symlinks recreated with the same target text.
Result<LinkStats> link_tree(const std::filesystem::path& from, const std::filesystem::path& to);

struct NpmSeedOptions {
  std::filesystem::path store_root;  // empty: default_npm_seed_root()
  std::string npm = "npm";           // looked up on PATH unless it contains '/'
  std::string label;                 // the template id, for the progress line
  // Called with "preparing node_modules for <label> (once per dependency set)..." before npm
  // runs; null: print it on stderr.
  std::function<void(const std::string&)> progress;
};

struct NpmSeedReport {
  std::filesystem::path store;  // <root>/<key>
  bool prepared = false;        // this call ran npm to make the store entry
  bool skipped = false;         // the app already had a node_modules: left alone
  LinkStats stats;
};

// Seeds `<app_dir>/node_modules` for `<app_dir>/package.json`: finds (or prepares, once, under a
// lock, renaming a finished temporary directory into place) the store entry for its dependency
// set, links the tree in, copies the hidden lockfile (node_modules/.package-lock.json) and, when
// the app has no package-lock.json, writes the store's (with the app's name and version), which
// lets `npm install` skip resolving the tree again. On failure the app is left without
// node_modules.
Result<NpmSeedReport> seed_node_modules(const std::filesystem::path& app_dir,
                                        const NpmSeedOptions& options);

}  // namespace lepton::templates
