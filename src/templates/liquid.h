// A subset of the Liquid template language, as Spin templates use it (Spin renders them with
// liquid-rust): `{{ expr | filter | filter: arg }}`, `{% if %}/{% elsif %}/{% else %}/{% endif %}`
// (and `unless`) with ==, !=, <, >, <=, >=, contains, and, or; `{% raw %}`, `{% comment %}`,
// whitespace control (`{{-`, `-%}`), and Spin's filters (kebab_case, snake_case, pascal_case,
// dotted_pascal_case, http_wildcard) plus Liquid's downcase, upcase, capitalize, default, append,
// prepend, replace, strip. Errors name "<name>:<line>:<col>".
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace lepton::templates {

// A template variable: Spin's parameters are all strings; lepton's `bool` parameters are
// booleans (falsy when false, rendered as "true"/"false").
struct Value {
  std::string text;
  bool is_bool = false;

  static Value string(std::string s) { return Value{std::move(s), false}; }
  static Value boolean(bool b) { return Value{b ? "true" : "false", true}; }
};

using Values = std::map<std::string, Value, std::less<>>;

// Case conversions with the word splitting of Rust's `heck` crate (what Spin uses).
std::vector<std::string> split_words(std::string_view text);
std::string kebab_case(std::string_view text);
std::string snake_case(std::string_view text);
std::string pascal_case(std::string_view text);
std::string dotted_pascal_case(std::string_view text);
std::string http_wildcard(std::string_view route);

struct Node;

class Template {
 public:
  // Parses `source`; `name` (a file path) prefixes error messages. Unknown filters and unclosed
  // or unbalanced tags are parse errors.
  static Result<Template> parse(std::string_view source, std::string name);
  // Renders with `values`; a variable missing from `values` is an error.
  Result<std::string> render(const Values& values) const;

  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;
  ~Template();

 private:
  Template() = default;
  std::string name_;
  std::string source_;
  std::vector<std::unique_ptr<Node>> nodes_;
};

// parse + render in one step.
Result<std::string> render(std::string_view source, const Values& values,
                           std::string name = "<template>");

}  // namespace lepton::templates
