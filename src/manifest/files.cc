#include "manifest/files.h"

#include <map>
#include <system_error>

#include "manifest/glob.h"

namespace lepton::manifest::detail {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kLearnMore =
    "Learn more: https://spinframework.dev/writing-apps#including-files-with-components";

// `p` made absolute against `app_dir` and normalised, and its '/'-separated path relative to
// `app_dir` ("" for the app dir itself). Error when it is outside `app_dir`.
Result<std::pair<fs::path, std::string>> inside_app(const fs::path& app_dir, std::string_view p,
                                                    std::string_view what) {
  fs::path joined = (app_dir / fs::path(p)).lexically_normal();
  fs::path rel = joined.lexically_relative(app_dir);
  std::string rel_str = rel.generic_string();
  if (rel.empty() || rel_str == ".." || rel_str.starts_with("../")) {
    return fail(
        "{} \"{}\" is outside the application directory; files must be within the application "
        "directory",
        what, p);
  }
  if (rel_str == ".") rel_str.clear();
  while (rel_str.ends_with('/')) rel_str.pop_back();
  if (!rel_str.empty() && joined.has_filename() == false) {
    joined = joined.parent_path();
  }
  return std::make_pair(joined, rel_str);
}

// "/a/./b//c/" → "/a/b/c"; error on "..".
Result<std::string> normalize_guest(std::string_view dest) {
  std::string out;
  size_t start = 0;
  while (start <= dest.size()) {
    size_t end = dest.find('/', start);
    std::string_view comp =
        dest.substr(start, end == std::string_view::npos ? dest.npos : end - start);
    if (comp == "..") {
      return fail("destination \"{}\" must not contain '..'", dest);
    }
    if (!comp.empty() && comp != ".") {
      out += '/';
      out += comp;
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out.empty() ? std::string("/") : out;
}

std::string guest_join(const std::string& base, const std::string& rel) {
  if (rel.empty()) return base;
  if (base == "/") return "/" + rel;
  return base + "/" + rel;
}

}  // namespace

Status check_file_specs(const std::vector<FileSpec>& specs,
                        const std::vector<std::string>& exclude_files) {
  for (const auto& spec : specs) {
    if (spec.placement) {
      if (spec.source.empty()) return fail("file mount source must not be empty");
      auto guest = normalize_guest(spec.destination);
      if (!guest) return guest.error();
      continue;
    }
    const std::string& p = spec.pattern;
    if (p == ".." || p.ends_with("/..")) {
      return fail(
          "file pattern \"{}\": a file pattern can't end in a parent directory path (..). If you "
          "want to include a directory, use source-destination form, or a glob pattern ending in "
          "**/*. {}",
          p, kLearnMore);
    }
    if (p == "." || p.ends_with("/.")) {
      return fail(
          "file pattern \"{}\": a file pattern can't end in a current directory path (.). If you "
          "want to include a directory, use source-destination form, or a glob pattern ending in "
          "**/*. {}",
          p, kLearnMore);
    }
    if (looks_like_glob(p)) {
      auto compiled = GlobPattern::compile(p);
      if (!compiled) return compiled.error();
    }
  }
  for (const auto& e : exclude_files) {
    auto compiled = GlobPattern::compile(e);
    if (!compiled) {
      return fail("invalid exclude_files glob pattern \"{}\": {}", e, compiled.error().message);
    }
  }
  return {};
}

Result<std::vector<app::FileMount>> expand_files(const fs::path& app_dir,
                                                 const std::vector<FileSpec>& specs,
                                                 const std::vector<std::string>& exclude_files,
                                                 std::vector<std::string>* warnings) {
  LEPTON_CHECK(check_file_specs(specs, exclude_files));
  std::vector<GlobPattern> excludes;
  for (const auto& e : exclude_files) {
    LEPTON_TRY(GlobPattern g, GlobPattern::compile(e));
    excludes.push_back(std::move(g));
  }
  auto excluded = [&](const std::string& app_rel) {
    for (const auto& g : excludes) {
      if (g.matches(app_rel, false)) return true;
    }
    return false;
  };
  auto app_rel_join = [](const std::string& a, const std::string& b) {
    return a.empty() ? b : a + "/" + b;
  };

  std::map<std::string, fs::path> mounts;  // guest path -> host path; later entries win

  // Adds every file below directory `dir` (app-relative `dir_rel`) under guest path `guest_base`.
  auto add_directory = [&](const fs::path& dir, const std::string& dir_rel,
                           const std::string& guest_base) -> Status {
    LEPTON_TRY(auto files, glob_files(dir, "**/*"));
    for (const auto& rel : files) {
      if (excluded(app_rel_join(dir_rel, rel))) continue;
      mounts[guest_join(guest_base, rel)] = dir / fs::path(rel);
    }
    return {};
  };

  for (const auto& spec : specs) {
    std::error_code ec;
    if (spec.placement) {
      LEPTON_TRY(auto resolved, inside_app(app_dir, spec.source, "file mount source"));
      auto& [host, rel] = resolved;
      LEPTON_TRY(std::string guest, normalize_guest(spec.destination));
      if (fs::is_directory(host, ec)) {
        LEPTON_CHECK(add_directory(host, rel, guest));
      } else if (fs::is_regular_file(host, ec)) {
        const std::string& d = spec.destination;
        if (d.empty() || d.ends_with('/') || d.ends_with('.')) {
          return fail("\"{}\" is not a valid destination file name (source \"{}\" is a file)", d,
                      spec.source);
        }
        mounts[guest] = host;
      } else if (fs::exists(host, ec)) {
        return fail("file mount source \"{}\" is neither a file nor a directory", spec.source);
      } else {
        return fail("file or directory \"{}\" does not exist", spec.source);
      }
      continue;
    }

    const std::string& p = spec.pattern;
    if (p == "*" && warnings) {
      warnings->push_back(
          "a component is including the entire application directory as asset files (files = "
          "[\"*\"]). This is unlikely to be what you want; if it is, use the pattern \"./*\" to "
          "avoid this warning.");
    }
    if (p == "**/*" && warnings) {
      warnings->push_back(
          "a component is including the entire application directory tree as asset files (files "
          "= [\"**/*\"]). This is unlikely to be what you want; if it is, use the pattern "
          "\"./**/*\" to avoid this warning.");
    }
    LEPTON_TRY(auto resolved, inside_app(app_dir, p, "file pattern"));
    auto& [host, rel] = resolved;
    if (fs::exists(host, ec)) {
      if (fs::is_directory(host, ec)) {
        LEPTON_CHECK(add_directory(host, rel, rel.empty() ? "/" : "/" + rel));
      } else {
        mounts["/" + rel] = host;
      }
    } else if (looks_like_glob(p)) {
      LEPTON_TRY(auto files, glob_files(app_dir, rel));
      for (const auto& f : files) {
        if (excluded(f)) continue;
        mounts["/" + f] = app_dir / fs::path(f);
      }
    } else {
      return fail("\"{}\" does not exist and doesn't appear to be a glob pattern", p);
    }
  }

  std::vector<app::FileMount> out;
  out.reserve(mounts.size());
  for (auto& [guest, host] : mounts) out.push_back(app::FileMount{host, guest});
  return out;
}

}  // namespace lepton::manifest::detail
