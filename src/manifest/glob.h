// Internal: glob patterns with the semantics of Rust's `glob` crate (used by Spin for `files` and
// `exclude_files`): `?` one character, `*` any sequence, `**` any number of directories (only as
// a whole path component), `[abc]`, `[a-z]`, `[!x]` character classes; no escapes (use `[*]`).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace lepton::manifest::detail {

class GlobPattern {
 public:
  // Errors like the crate: "invalid range pattern", "wildcards are either regular `*` or
  // recursive `**`", "recursive wildcards must form a single path component".
  static Result<GlobPattern> compile(std::string_view pattern);

  // `require_literal_separator`: '/' is matched only by a literal '/' (not by `*`, `?`, `[..]`).
  // Spin matches `exclude_files` with it off, so "secret/*" also excludes "secret/a/b".
  bool matches(std::string_view path, bool require_literal_separator = false) const;

  bool has_wildcards() const { return has_wildcards_; }

 private:
  enum class Kind { kChar, kAnyChar, kAnySequence, kAnyRecursive, kAnyWithin, kAnyExcept };
  struct Token {
    Kind kind = Kind::kChar;
    char c = 0;
    std::vector<std::pair<char, char>> ranges;  // kAnyWithin / kAnyExcept
  };
  static Token make_token(Kind kind, char c = 0) {
    Token t;
    t.kind = kind;
    t.c = c;
    return t;
  }
  enum class Match { kMatch, kSubNoMatch, kEntireNoMatch };
  Match match_from(bool follows_separator, std::string_view file, size_t ti, bool lit_sep) const;

  std::vector<Token> tokens_;
  bool has_wildcards_ = false;
};

// True when `s` contains glob metacharacters (`*?[]`), as Spin's looks_like_glob_pattern.
bool looks_like_glob(std::string_view s);

// The regular files (symlinks followed) under `root` matching the relative, '/'-separated,
// already-normalised `pattern` (no "." or ".." components), as paths relative to `root`, sorted.
// A trailing `**` matches directories only, so it yields no files (as the crate).
Result<std::vector<std::string>> glob_files(const std::filesystem::path& root,
                                            std::string_view pattern);

}  // namespace lepton::manifest::detail
