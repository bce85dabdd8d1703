// Internal: Spin's identifier rules (spin_serde::id::Id and dependency names).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lepton::manifest::detail {

// Spin's Id<DELIM, LOWER>: non-empty words separated by `delim`, each starting with an ASCII letter
// and made of ASCII letters/digits, each word all-lowercase or all-UPPERCASE (all lowercase when
// `lower_only`). Returns the reason when `id` is invalid, nullopt when valid.
std::optional<std::string> id_error(std::string_view id, char delim, bool lower_only);

// Component ids: kebab-case ("my-component").
inline std::optional<std::string> kebab_id_error(std::string_view id) {
  return id_error(id, '-', false);
}
// [variables] names and component variable keys: lower_snake_case.
inline std::optional<std::string> lower_snake_id_error(std::string_view id) {
  return id_error(id, '_', true);
}
// Key-value store and SQLite database labels: kebab-case or snake_case.
bool is_kebab_or_snake(std::string_view label);

struct SemVer {
  uint64_t major = 0, minor = 0, patch = 0;
  std::string pre;  // without '-'
  bool operator==(const SemVer&) const = default;
};
std::optional<SemVer> parse_semver(std::string_view text);

// "ns:name[/interface][@version]" or a plain kebab name.
struct DependencyName {
  bool plain = false;
  std::string package;    // "ns:name"
  std::string interface;  // may be empty
  std::optional<SemVer> version;
};
// Parses like Spin's DependencyName; the error says why.
std::optional<std::string> parse_dependency_name(std::string_view text, DependencyName* out);
// A registry package reference "namespace:name" (kebab labels, lowercase).
std::optional<std::string> package_ref_error(std::string_view text);

}  // namespace lepton::manifest::detail
