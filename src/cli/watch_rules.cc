#include "cli/watch_rules.h"

#include <fmt/format.h>

#include <algorithm>

namespace lepton::cli::watch {

namespace fs = std::filesystem;

void Impact::merge(const Impact& other) {
  manifest = manifest || other.manifest;
  restart = restart || other.restart;
  rebuild.insert(other.rebuild.begin(), other.rebuild.end());
}

namespace {

// "a/./b/../c" → "a/c"; "./x" → "x"; keeps '/' separators and a leading "/" or "..".
std::string normalise(const std::string& text) {
  std::string out = fs::path(text).lexically_normal().generic_string();
  while (out.size() > 1 && out.ends_with('/')) out.pop_back();
  return out == "." ? std::string() : out;
}

std::string join(const std::string& workdir, const std::string& glob) {
  if (!glob.empty() && glob.front() == '/') return normalise(glob);
  if (workdir.empty()) return normalise(glob);
  return normalise(workdir + "/" + glob);
}

}  // namespace

Rules Rules::make(const fs::path& app_dir, const fs::path& manifest,
                  const std::vector<ComponentWatch>& components, bool skip_build,
                  std::vector<std::string>* warnings) {
  Rules rules;
  rules.app_dir_ = app_dir.lexically_normal();
  rules.manifest_ = manifest.lexically_normal();
  auto add_glob = [&](const std::string& component, const std::string& text,
                      std::vector<Glob>* into, bool build) {
    std::string joined = text;
    auto compiled = manifest::detail::GlobPattern::compile(joined);
    if (!compiled) {
      if (warnings)
        warnings->push_back(fmt::format("component {}: cannot watch '{}': {}", component, text,
                                        compiled.error().message));
      return;
    }
    Glob glob{joined, std::move(*compiled), !joined.empty() && joined.front() == '/'};
    if (build)
      rules.build_.emplace_back(component, std::move(glob));
    else
      into->push_back(std::move(glob));
  };
  for (const auto& c : components) {
    if (!c.source.empty()) rules.artifacts_.insert(c.source.lexically_normal());
    for (const auto& source : c.file_sources) {
      std::string base = normalise(source);
      rules.asset_prefixes_.push_back(base);
    }
    for (const auto& pattern : c.file_patterns) {
      std::string p = normalise(pattern);
      if (manifest::detail::looks_like_glob(p))
        add_glob(c.id, p, &rules.asset_globs_, false);
      else
        rules.asset_prefixes_.push_back(p);
    }
    if (skip_build || !c.has_build) continue;
    if (c.watch.empty() && warnings)
      warnings->push_back(fmt::format(
          "You haven't configured what to watch for the component: '{}' (add `watch` globs to "
          "[component.{}.build])",
          c.id, c.id));
    for (const auto& w : c.watch) add_glob(c.id, join(c.workdir, w), nullptr, true);
  }
  return rules;
}

Impact Rules::classify(const fs::path& path) const {
  Impact impact;
  fs::path absolute = path.lexically_normal();
  if (absolute.filename().string().ends_with(".swp")) return impact;
  if (absolute == manifest_) impact.manifest = true;
  if (artifacts_.contains(absolute)) impact.restart = true;

  std::string relative = absolute.lexically_relative(app_dir_).generic_string();
  bool inside =
      !relative.empty() && relative != "." && !relative.starts_with("../") && relative != "..";
  std::string abs_text = absolute.generic_string();
  auto matches = [&](const Glob& g) {
    if (g.absolute) return g.pattern.matches(abs_text, true);
    return inside && g.pattern.matches(relative, true);
  };
  if (inside && !impact.restart) {
    for (const auto& prefix : asset_prefixes_) {
      if (prefix.empty() || relative == prefix ||
          (relative.size() > prefix.size() && relative.starts_with(prefix) &&
           relative[prefix.size()] == '/')) {
        impact.restart = true;
        break;
      }
    }
  }
  if (!impact.restart)
    impact.restart = std::any_of(asset_globs_.begin(), asset_globs_.end(), matches);
  for (const auto& [component, glob] : build_)
    if (matches(glob)) impact.rebuild.insert(component);
  return impact;
}

std::vector<fs::path> Rules::outside_dirs() const {
  std::set<fs::path> dirs;
  for (const auto& artifact : artifacts_) {
    std::string relative = artifact.lexically_relative(app_dir_).generic_string();
    if (relative.empty() || relative.starts_with("../") || relative == "..")
      dirs.insert(artifact.parent_path());
  }
  return {dirs.begin(), dirs.end()};
}

void Debouncer::note(Clock::time_point now) {
  if (!first_) first_ = now;
  last_ = now;
}

std::optional<Debouncer::Clock::time_point> Debouncer::deadline() const {
  if (!first_) return std::nullopt;
  return std::min(*last_ + quiet_, *first_ + max_wait_);
}

bool Debouncer::due(Clock::time_point now) const {
  auto when = deadline();
  return when && now >= *when;
}

}  // namespace lepton::cli::watch
