// Spin's expression templates: "{{ name }}" placeholders in component `variables` values,
// `allowed_outbound_hosts` entries and Redis trigger addresses/channels. A placeholder names an
// application variable; everything else is literal text. There is no escape for "{{".
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace lepton::app {

// Checks a variable name against Spin's key rules (spin_expressions::Key): non-empty, only
// lowercase ASCII letters, digits and '_', starting with a letter, ending with a letter or digit,
// no "__". The error says which rule failed, e.g. `invalid variable name "Foo": ...`.
Status validate_variable_name(std::string_view name);

class Template {
 public:
  struct Part {
    bool is_variable = false;  // true: `text` is a variable name; false: literal text
    std::string text;
  };

  // Splits `text` into literal and placeholder parts; the text between "{{" and the next "}}" is
  // trimmed of whitespace and must be a valid variable name. Errors: unmatched "{{", bad name.
  static Result<Template> parse(std::string_view text);

  const std::vector<Part>& parts() const { return parts_; }
  bool is_literal() const;
  // Names referenced by placeholders, in order of first appearance, without duplicates.
  std::vector<std::string> variables() const;

  // Renders with `lookup` giving each referenced variable's value; the first lookup error is
  // returned unchanged.
  using Lookup = std::function<Result<std::string>(const std::string& name)>;
  Result<std::string> render(const Lookup& lookup) const;

  // The canonical text ("a-{{ name }}-b").
  std::string to_string() const;

 private:
  std::vector<Part> parts_;
};

}  // namespace lepton::app
