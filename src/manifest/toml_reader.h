// Internal: typed, located access to toml++ tables for the manifest parser. Every error carries
// "<file>:<line>:<column>: " of the key or value at fault.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace lepton::manifest::detail {

struct Loc {
  uint32_t line = 0;
  uint32_t column = 0;
};

Loc loc_of(const toml::node& node);
Loc loc_of(const toml::key& key);
Loc loc_of(const toml::source_region& region);

// "string", "integer", "table", ... for messages.
std::string_view type_name(const toml::node& node);

// The closest of `candidates` to `word` if it is a plausible typo, else empty.
std::string suggest(std::string_view word, const std::vector<std::string_view>& candidates);

// Where errors are reported: the manifest file as the user named it.
class Ctx {
 public:
  explicit Ctx(std::string file) : file_(std::move(file)) {}
  const std::string& file() const { return file_; }

  template <typename... Args>
  Error at(Loc loc, fmt::format_string<Args...> format, Args&&... args) const {
    return Error{prefix(loc) + fmt::format(format, std::forward<Args>(args)...)};
  }
  std::string prefix(Loc loc) const;

 private:
  std::string file_;
};

// One TOML table being read as a typed struct; `what` names it in messages ("[application]",
// "[[trigger.http]]", "source of component 'web'").
class TableReader {
 public:
  TableReader(const Ctx& ctx, const toml::table& table, std::string what);

  const toml::table& table() const { return table_; }
  const std::string& what() const { return what_; }
  Loc loc() const;

  // Every key must be one of `allowed`; else "unknown field 'x' in <what> (did you mean 'y'?)".
  Status check_keys(const std::vector<std::string_view>& allowed) const;

  const toml::node* get(std::string_view key) const;
  bool has(std::string_view key) const { return get(key) != nullptr; }
  Loc key_loc(std::string_view key) const;
  Loc value_loc(std::string_view key) const;

  Error missing(std::string_view key) const;
  Error wrong_type(std::string_view key, std::string_view expected) const;

  Result<std::optional<std::string>> opt_string(std::string_view key) const;
  Result<std::string> string(std::string_view key) const;  // required
  Result<std::optional<bool>> opt_bool(std::string_view key) const;
  Result<std::optional<int64_t>> opt_int(std::string_view key) const;
  // A missing key gives an empty list; `present` (if given) tells whether the key was there.
  Result<std::vector<std::string>> string_array(std::string_view key,
                                                bool* present = nullptr) const;
  // `key = "x"` or `key = ["x", "y"]`.
  Result<std::vector<std::string>> string_or_array(std::string_view key) const;
  Result<const toml::table*> opt_table(std::string_view key) const;
  // A table of strings, in file order (key, value, location of the key).
  struct Entry {
    std::string key;
    std::string value;
    Loc loc;
  };
  Result<std::vector<Entry>> string_table(std::string_view key) const;

  // Keys of `t` in file order (toml++ keeps them sorted by name).
  static std::vector<std::pair<const toml::key*, const toml::node*>> ordered(const toml::table& t);

 private:
  const Ctx& ctx_;
  const toml::table& table_;
  std::string what_;
};

}  // namespace lepton::manifest::detail
