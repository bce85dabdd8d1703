#include "manifest/ids.h"

#include <fmt/format.h>

#include <charconv>

namespace lepton::manifest::detail {

namespace {
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
}  // namespace

std::optional<std::string> id_error(std::string_view id, char delim, bool lower_only) {
  if (id.empty()) return std::string("empty");
  char wrong = delim == '-' ? '_' : '-';
  if (id.find(wrong) != std::string_view::npos) {
    return fmt::format("words must be separated with '{}', not '{}'", delim, wrong);
  }
  size_t start = 0;
  while (true) {
    size_t end = id.find(delim, start);
    std::string_view word = id.substr(start, end == std::string_view::npos ? id.npos : end - start);
    if (word.empty()) return fmt::format("'{}'-separated words must not be empty", delim);
    char first = word.front();
    if (!is_alpha(first)) {
      return fmt::format("'{}'-separated words must start with an ASCII letter; got '{}'", delim,
                         first);
    }
    bool word_upper = is_upper(first);
    for (char c : word.substr(1)) {
      if (is_digit(c)) continue;
      if (!is_alpha(c)) {
        return fmt::format("'{}'-separated words may only contain alphanumeric ASCII; got '{}'",
                           delim, c);
      }
      if (is_upper(c) != word_upper) {
        return fmt::format(
            "'{}'-separated words must be all lowercase or all UPPERCASE; got \"{}\"", delim, word);
      }
    }
    if (lower_only && word_upper) {
      return fmt::format("Lower-case identifiers must be all lowercase; got \"{}\"", id);
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return std::nullopt;
}

bool is_kebab_or_snake(std::string_view label) {
  return !id_error(label, '-', false) || !id_error(label, '_', false);
}

std::optional<SemVer> parse_semver(std::string_view text) {
  SemVer v;
  auto number = [&](uint64_t* out) -> bool {
    if (text.empty() || !is_digit(text.front())) return false;
    if (text.front() == '0' && text.size() > 1 && is_digit(text[1])) return false;  // no leading 0
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
    if (ec != std::errc()) return false;
    text.remove_prefix(static_cast<size_t>(ptr - text.data()));
    return true;
  };
  if (!number(&v.major) || !text.starts_with('.')) return std::nullopt;
  text.remove_prefix(1);
  if (!number(&v.minor) || !text.starts_with('.')) return std::nullopt;
  text.remove_prefix(1);
  if (!number(&v.patch)) return std::nullopt;
  auto ident_ok = [](std::string_view s) {
    if (s.empty()) return false;
    size_t start = 0;
    while (true) {
      size_t end = s.find('.', start);
      std::string_view part = s.substr(start, end == s.npos ? s.npos : end - start);
      if (part.empty()) return false;
      for (char c : part) {
        if (!(is_alpha(c) || is_digit(c) || c == '-')) return false;
      }
      if (end == s.npos) return true;
      start = end + 1;
    }
  };
  if (text.starts_with('-')) {
    text.remove_prefix(1);
    size_t plus = text.find('+');
    v.pre = std::string(text.substr(0, plus));
    if (!ident_ok(v.pre)) return std::nullopt;
    text.remove_prefix(plus == text.npos ? text.size() : plus);
  }
  if (text.starts_with('+')) {
    text.remove_prefix(1);
    if (!ident_ok(text)) return std::nullopt;
    text = {};
  }
  if (!text.empty()) return std::nullopt;
  return v;
}

std::optional<std::string> package_ref_error(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return fmt::format("invalid package name \"{}\": expected \"namespace:name\"", text);
  }
  std::string_view ns = text.substr(0, colon);
  std::string_view name = text.substr(colon + 1);
  for (auto part : {ns, name}) {
    if (auto err = id_error(part, '-', true)) {
      return fmt::format("invalid package name \"{}\": {}", text, *err);
    }
  }
  return std::nullopt;
}

std::optional<std::string> parse_dependency_name(std::string_view text, DependencyName* out) {
  *out = DependencyName{};
  if (text.find_first_of(":/") == std::string_view::npos) {
    if (auto err = kebab_id_error(text)) {
      return fmt::format("invalid dependency name \"{}\": {}", text, *err);
    }
    out->plain = true;
    out->package = std::string(text);
    return std::nullopt;
  }
  std::string_view name = text;
  size_t at = text.find('@');
  if (at != std::string_view::npos) {
    name = text.substr(0, at);
    auto v = parse_semver(text.substr(at + 1));
    if (!v) {
      return fmt::format("invalid dependency name \"{}\": invalid version \"{}\"", text,
                         text.substr(at + 1));
    }
    out->version = *v;
  }
  size_t slash = name.find('/');
  std::string_view package = name.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view iface = name.substr(slash + 1);
    if (auto err = kebab_id_error(iface)) {
      return fmt::format("invalid dependency name \"{}\": interface: {}", text, *err);
    }
    out->interface = std::string(iface);
  }
  if (auto err = package_ref_error(package)) {
    return fmt::format("invalid dependency name \"{}\": {}", text, *err);
  }
  out->package = std::string(package);
  return std::nullopt;
}

}  // namespace lepton::manifest::detail
