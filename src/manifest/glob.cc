#include "manifest/glob.h"

#include <set>
#include <system_error>

namespace lepton::manifest::detail {

namespace fs = std::filesystem;

Result<GlobPattern> GlobPattern::compile(std::string_view pattern) {
  GlobPattern p;
  const size_t n = pattern.size();
  size_t i = 0;
  while (i < n) {
    char c = pattern[i];
    if (c == '?') {
      p.tokens_.push_back(make_token(Kind::kAnyChar));
      p.has_wildcards_ = true;
      ++i;
    } else if (c == '*') {
      size_t old = i;
      while (i < n && pattern[i] == '*') ++i;
      size_t count = i - old;
      p.has_wildcards_ = true;
      if (count > 2) {
        return fail(
            "invalid glob pattern \"{}\": wildcards are either regular `*` or recursive `**`",
            pattern);
      }
      if (count == 2) {
        // `**` must be a whole path component.
        bool starts_component = old == 0 || pattern[old - 1] == '/';
        if (!starts_component) {
          return fail(
              "invalid glob pattern \"{}\": recursive wildcards must form a single path component",
              pattern);
        }
        if (i < n && pattern[i] == '/') {
          ++i;
        } else if (i != n) {
          return fail(
              "invalid glob pattern \"{}\": recursive wildcards must form a single path component",
              pattern);
        }
        if (p.tokens_.empty() || p.tokens_.back().kind != Kind::kAnyRecursive) {
          p.tokens_.push_back(make_token(Kind::kAnyRecursive));
        }
      } else {
        p.tokens_.push_back(make_token(Kind::kAnySequence));
      }
    } else if (c == '[') {
      // As the crate: the first character after '[' (or "[!") is always part of the set, so
      // "[]]" matches ']'.
      bool negated = i + 1 < n && pattern[i + 1] == '!';
      size_t set_start = negated ? i + 2 : i + 1;
      size_t search_from = set_start + 1;
      size_t close = search_from <= n ? pattern.find(']', search_from) : std::string_view::npos;
      if (set_start >= n || close == std::string_view::npos) {
        return fail("invalid glob pattern \"{}\": invalid range pattern", pattern);
      }
      std::string_view set = pattern.substr(set_start, close - set_start);
      Token t = make_token(negated ? Kind::kAnyExcept : Kind::kAnyWithin);
      for (size_t k = 0; k < set.size();) {
        if (k + 2 < set.size() && set[k + 1] == '-') {
          t.ranges.emplace_back(set[k], set[k + 2]);
          k += 3;
        } else {
          t.ranges.emplace_back(set[k], set[k]);
          k += 1;
        }
      }
      p.tokens_.push_back(std::move(t));
      p.has_wildcards_ = true;
      i = close + 1;
    } else {
      p.tokens_.push_back(make_token(Kind::kChar, c));
      ++i;
    }
  }
  return p;
}

GlobPattern::Match GlobPattern::match_from(bool follows_separator, std::string_view file, size_t ti,
                                           bool lit_sep) const {
  for (; ti < tokens_.size(); ++ti) {
    const Token& token = tokens_[ti];
    if (token.kind == Kind::kAnySequence || token.kind == Kind::kAnyRecursive) {
      // Empty match first, then consume one character at a time.
      Match m = match_from(follows_separator, file, ti + 1, lit_sep);
      if (m != Match::kSubNoMatch) return m;
      while (!file.empty()) {
        char c = file.front();
        file.remove_prefix(1);
        follows_separator = c == '/';
        if (token.kind == Kind::kAnyRecursive && !follows_separator) continue;
        if (token.kind == Kind::kAnySequence && lit_sep && follows_separator) {
          return Match::kSubNoMatch;
        }
        m = match_from(follows_separator, file, ti + 1, lit_sep);
        if (m != Match::kSubNoMatch) return m;
      }
      // Consumed everything: continue with the next token against the empty rest.
      continue;
    }
    if (file.empty()) return Match::kEntireNoMatch;
    char c = file.front();
    file.remove_prefix(1);
    bool is_sep = c == '/';
    bool ok = false;
    switch (token.kind) {
      case Kind::kChar:
        ok = c == token.c;
        break;
      case Kind::kAnyChar:
      case Kind::kAnyWithin:
      case Kind::kAnyExcept: {
        if (lit_sep && is_sep) {
          ok = false;
          break;
        }
        if (token.kind == Kind::kAnyChar) {
          ok = true;
          break;
        }
        bool in = false;
        for (auto [lo, hi] : token.ranges) {
          if (lo <= c && c <= hi) {
            in = true;
            break;
          }
        }
        ok = token.kind == Kind::kAnyWithin ? in : !in;
        break;
      }
      default:
        break;
    }
    if (!ok) return Match::kSubNoMatch;
    follows_separator = is_sep;
  }
  return file.empty() ? Match::kMatch : Match::kSubNoMatch;
}

bool GlobPattern::matches(std::string_view path, bool require_literal_separator) const {
  return match_from(true, path, 0, require_literal_separator) == Match::kMatch;
}

bool looks_like_glob(std::string_view s) { return s.find_first_of("*?[]") != s.npos; }

namespace {

struct Walker {
  std::vector<std::string> components;
  std::vector<GlobPattern> patterns;
  std::set<std::string> found;
  size_t visited = 0;

  static constexpr int kMaxDepth = 64;
  static constexpr size_t kMaxVisited = 1000000;

  static bool is_dir(const fs::path& p) {
    std::error_code ec;
    return fs::is_directory(p, ec);
  }
  static bool is_file(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec);
  }
  static std::string join(const std::string& rel, const std::string& name) {
    return rel.empty() ? name : rel + "/" + name;
  }

  // Entry names of `dir`, or none when it can't be listed.
  static std::vector<std::string> list(const fs::path& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) return names;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      names.push_back(it->path().filename().string());
    }
    return names;
  }

  Status walk(const fs::path& dir, const std::string& rel, size_t idx, int depth) {
    if (depth > kMaxDepth) return {};
    if (++visited > kMaxVisited) return fail("too many files while expanding the glob pattern");
    const std::string& comp = components[idx];
    bool last = idx + 1 == components.size();
    if (comp == "**") {
      if (last) return {};  // matches directories only
      LEPTON_CHECK(walk(dir, rel, idx + 1, depth));
      for (const auto& name : list(dir)) {
        fs::path sub = dir / name;
        if (is_dir(sub)) LEPTON_CHECK(walk(sub, join(rel, name), idx, depth + 1));
      }
      return {};
    }
    if (!patterns[idx].has_wildcards()) {
      fs::path p = dir / comp;
      if (last) {
        if (is_file(p)) found.insert(join(rel, comp));
      } else if (is_dir(p)) {
        LEPTON_CHECK(walk(p, join(rel, comp), idx + 1, depth + 1));
      }
      return {};
    }
    for (const auto& name : list(dir)) {
      if (!patterns[idx].matches(name, true)) continue;
      fs::path p = dir / name;
      if (last) {
        if (is_file(p)) found.insert(join(rel, name));
      } else if (is_dir(p)) {
        LEPTON_CHECK(walk(p, join(rel, name), idx + 1, depth + 1));
      }
    }
    return {};
  }
};

}  // namespace

Result<std::vector<std::string>> glob_files(const fs::path& root, std::string_view pattern) {
  LEPTON_TRY(GlobPattern whole, GlobPattern::compile(pattern));
  (void)whole;
  Walker w;
  size_t start = 0;
  while (start <= pattern.size()) {
    size_t end = pattern.find('/', start);
    std::string_view comp =
        pattern.substr(start, end == std::string_view::npos ? pattern.npos : end - start);
    if (!comp.empty() && !(comp == "**" && !w.components.empty() && w.components.back() == "**")) {
      w.components.emplace_back(comp);
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (w.components.empty()) return std::vector<std::string>();
  for (const auto& comp : w.components) {
    LEPTON_TRY(GlobPattern p, GlobPattern::compile(comp));
    w.patterns.push_back(std::move(p));
  }
  LEPTON_CHECK(w.walk(root, "", 0, 0));
  return std::vector<std::string>(w.found.begin(), w.found.end());
}

}  // namespace lepton::manifest::detail
