#include "app/template.h"

#include <algorithm>

namespace lepton::app {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

Status validate_variable_name(std::string_view name) {
  auto bad = [&](std::string_view reason) {
    return fail("invalid variable name \"{}\": {}", name, reason);
  };
  if (name.empty()) return bad("must not be empty");
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return fail(
          "invalid variable name \"{}\": invalid character '{}'. Variable names may contain only "
          "lower-case letters, numbers, and underscores.",
          name, c);
    }
  }
  if (!(name.front() >= 'a' && name.front() <= 'z')) {
    return bad("must start with a lowercase ASCII letter");
  }
  if (name.back() == '_') return bad("must end with a lowercase ASCII letter or digit");
  if (name.find("__") != std::string_view::npos) {
    return bad("must not contain multiple consecutive underscores");
  }
  return {};
}

Result<Template> Template::parse(std::string_view text) {
  Template t;
  std::string_view rest = text;
  while (!rest.empty()) {
    if (rest.starts_with("{{")) {
      size_t end = rest.find("}}", 2);
      if (end == std::string_view::npos) {
        return fail("invalid template \"{}\": unmatched '{{{{' in template", text);
      }
      std::string_view name = trim(rest.substr(2, end - 2));
      if (auto st = validate_variable_name(name); !st) {
        return fail("invalid template \"{}\": {}", text, st.error().message);
      }
      t.parts_.push_back(Part{true, std::string(name)});
      rest.remove_prefix(end + 2);
    } else {
      size_t next = rest.find("{{");
      std::string_view lit = rest.substr(0, next);
      t.parts_.push_back(Part{false, std::string(lit)});
      rest.remove_prefix(lit.size());
    }
  }
  return t;
}

bool Template::is_literal() const {
  return std::none_of(parts_.begin(), parts_.end(), [](const Part& p) { return p.is_variable; });
}

std::vector<std::string> Template::variables() const {
  std::vector<std::string> names;
  for (const auto& p : parts_) {
    if (p.is_variable && std::find(names.begin(), names.end(), p.text) == names.end()) {
      names.push_back(p.text);
    }
  }
  return names;
}

Result<std::string> Template::render(const Lookup& lookup) const {
  std::string out;
  for (const auto& p : parts_) {
    if (!p.is_variable) {
      out += p.text;
      continue;
    }
    LEPTON_TRY(std::string value, lookup(p.text));
    out += value;
  }
  return out;
}

std::string Template::to_string() const {
  std::string out;
  for (const auto& p : parts_) {
    if (p.is_variable) {
      out += "{{ " + p.text + " }}";
    } else {
      out += p.text;
    }
  }
  return out;
}

}  // namespace lepton::app
