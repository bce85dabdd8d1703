// The Liquid subset Spin templates use: filters (with heck's word splitting), conditions, raw,
// whitespace control, and errors that name file:line:col.
#include "templates/liquid.h"

#include <gtest/gtest.h>

namespace lepton::templates {
namespace {

std::string ok(std::string_view source, const Values& values = {}) {
  auto r = render(source, values, "t.txt");
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : std::string("<error>");
}

std::string err(std::string_view source, const Values& values = {}) {
  auto r = render(source, values, "t.txt");
  EXPECT_FALSE(r.ok()) << "rendered: " << *r;
  return r.ok() ? std::string() : r.error().message;
}

Values v(std::initializer_list<std::pair<const char*, const char*>> kv) {
  Values out;
  for (auto& [k, val] : kv) out[k] = Value::string(val);
  return out;
}

TEST(CaseFilters, KebabSnakePascalAsHeck) {
  EXPECT_EQ(kebab_case("HelloWorld"), "hello-world");
  EXPECT_EQ(kebab_case("hello_world"), "hello-world");
  EXPECT_EQ(kebab_case("hello-world"), "hello-world");
  EXPECT_EQ(kebab_case("Hello World"), "hello-world");
  EXPECT_EQ(snake_case("HelloWorld"), "hello_world");
  EXPECT_EQ(snake_case("hello-world"), "hello_world");
  EXPECT_EQ(snake_case("hello_world"), "hello_world");
  EXPECT_EQ(pascal_case("hello-world"), "HelloWorld");
  EXPECT_EQ(pascal_case("hello_world"), "HelloWorld");
  EXPECT_EQ(pascal_case("HelloWorld"), "HelloWorld");
  EXPECT_EQ(pascal_case("HELLO-WORLD"), "HelloWorld");
}

TEST(CaseFilters, AcronymsDigitsAndSeparators) {
  EXPECT_EQ(kebab_case("HTTPServer"), "http-server");
  EXPECT_EQ(kebab_case("XMLHttpRequest"), "xml-http-request");
  EXPECT_EQ(snake_case("hello2World"), "hello2_world");
  EXPECT_EQ(kebab_case("my-app-2"), "my-app-2");
  EXPECT_EQ(snake_case("ABC"), "abc");
  EXPECT_EQ(kebab_case("--lead__and  trail--"), "lead-and-trail");
  EXPECT_EQ(pascal_case("a"), "A");
  EXPECT_EQ(kebab_case(""), "");
  EXPECT_EQ(kebab_case("über-App"), "über-app");  // non-ASCII bytes pass through intact
}

TEST(CaseFilters, DottedPascalAsSpinTests) {
  EXPECT_EQ(dotted_pascal_case("Fermyon.PetStore"), "Fermyon.PetStore");
  EXPECT_EQ(dotted_pascal_case("fermyon-pet-store"), "FermyonPetStore");
  EXPECT_EQ(dotted_pascal_case("fermyon_pet_store"), "FermyonPetStore");
  EXPECT_EQ(dotted_pascal_case("fermyon.pet-store"), "Fermyon.PetStore");
  EXPECT_EQ(dotted_pascal_case("fermyon.pet_store"), "Fermyon.PetStore");
  EXPECT_EQ(dotted_pascal_case("fermyon pet store"), "FermyonPetStore");
}

TEST(CaseFilters, HttpWildcard) {
  EXPECT_EQ(http_wildcard("/static"), "/static/...");
  EXPECT_EQ(http_wildcard("/static/"), "/static/...");
  EXPECT_EQ(http_wildcard("/static/..."), "/static/...");
  EXPECT_EQ(http_wildcard("/"), "/...");
}

TEST(Liquid, OutputsWithFilterChains) {
  auto values = v({{"project-name", "HelloWorld"}, {"snaky", "originally_snaky"}});
  EXPECT_EQ(ok("name = \"{{project-name | kebab_case}}\"", values), "name = \"hello-world\"");
  EXPECT_EQ(ok("{{ snaky | kebab_case }}", values), "originally-snaky");
  EXPECT_EQ(ok("{{ snaky | pascal_case | upcase }}", values), "ORIGINALLYSNAKY");
  EXPECT_EQ(ok("{{ project-name | snake_case | append: '.wasm' }}", values), "hello_world.wasm");
  EXPECT_EQ(ok("{{ 'a-b-c' | replace: '-', '+' }}"), "a+b+c");
  EXPECT_EQ(ok("{{ missing | default: \"dflt\" }}"), "dflt");
  EXPECT_EQ(ok("{{ empty | default: \"dflt\" }}", v({{"empty", ""}})), "dflt");
  EXPECT_EQ(ok("no tags at all { } % }"), "no tags at all { } % }");
}

TEST(Liquid, IfElsifElse) {
  const char* t = "{% if lang == \"c\" %}C{% elsif lang != 'js' %}other{% else %}JS{% endif %}";
  EXPECT_EQ(ok(t, v({{"lang", "c"}})), "C");
  EXPECT_EQ(ok(t, v({{"lang", "py"}})), "other");
  EXPECT_EQ(ok(t, v({{"lang", "js"}})), "JS");
  // and/or, right to left as Liquid: `a or b and c` is `a or (b and c)`.
  auto abc = v({{"a", "1"}, {"b", "2"}, {"c", "3"}});
  EXPECT_EQ(ok("{% if a == '1' and b == '2' %}y{% else %}n{% endif %}", abc), "y");
  EXPECT_EQ(ok("{% if a == '0' and b == '2' %}y{% else %}n{% endif %}", abc), "n");
  EXPECT_EQ(ok("{% if a == '0' or b == '2' %}y{% else %}n{% endif %}", abc), "y");
  EXPECT_EQ(ok("{% if a == '1' or b == '0' and c == '0' %}y{% else %}n{% endif %}", abc), "y");
  EXPECT_EQ(ok("{% if a == '0' or b == '2' and c == '0' %}y{% else %}n{% endif %}", abc), "n");
  // Nested blocks; unless.
  EXPECT_EQ(ok("{% if a %}[{% if b == '9' %}9{% else %}{{b}}{% endif %}]{% endif %}", abc), "[2]");
  EXPECT_EQ(ok("{% unless a == '1' %}x{% else %}y{% endunless %}", abc), "y");
}

TEST(Liquid, BoolValuesAndTruthiness) {
  Values values;
  values["on"] = Value::boolean(true);
  values["off"] = Value::boolean(false);
  values["s"] = Value::string("");
  EXPECT_EQ(ok("{% if on %}1{% endif %}{% if off %}2{% endif %}{% if s %}3{% endif %}", values),
            "13");  // Liquid: only false and nil are falsy; "" is truthy
  EXPECT_EQ(ok("{% if off == false %}f{% endif %}{{ on }}", values), "ftrue");
}

TEST(Liquid, RawCommentAndWhitespaceControl) {
  EXPECT_EQ(ok("{% raw %}{{ not.rendered | nofilter }}{% if %}{% endraw %}!"),
            "{{ not.rendered | nofilter }}{% if %}!");
  EXPECT_EQ(ok("a{% comment %} {{ whatever }} {% endcomment %}b"), "ab");
  EXPECT_EQ(ok("x  {{- v -}}  \n y", v({{"v", "V"}})), "xVy");
  EXPECT_EQ(ok("[\n{%- if true -%}\n  in\n{%- endif -%}\n]"), "[in]");
}

TEST(Liquid, ErrorsNameFileLineAndColumn) {
  EXPECT_EQ(err("line one\n  {{ name | shout }}", v({{"name", "x"}})),
            "t.txt:2:13: unknown filter 'shout'");
  EXPECT_EQ(err("a\nb {{ name"), "t.txt:2:3: '{{' is not closed with '}}'");
  EXPECT_EQ(err("{% if x %}\nabc"), "t.txt:1:1: '{% if %}' is not closed with '{% endif %}'");
  EXPECT_EQ(err("x\n{% endif %}"), "t.txt:2:1: '{% endif %}' without a matching '{% if %}'");
  EXPECT_EQ(err("{% else %}"), "t.txt:1:1: '{% else %}' without a matching '{% if %}'");
  EXPECT_EQ(err("{% raw %}never closed"),
            "t.txt:1:1: '{% raw %}' is not closed with '{% endraw %}'");
  EXPECT_EQ(err("ok\n\n  {{ nope }}"), "t.txt:3:6: unknown variable 'nope'");
  EXPECT_EQ(err("{% if nope == 'x' %}{% endif %}"), "t.txt:1:7: unknown variable 'nope'");
  EXPECT_EQ(err("{% for x in y %}{% endfor %}"), "t.txt:1:1: unknown tag 'for'");
  EXPECT_EQ(err("{{ a | append }}", v({{"a", "x"}})),
            "t.txt:1:8: filter 'append' takes 1 argument(s), got 0");
  EXPECT_EQ(err("{{ 'unterminated }}"), "t.txt:1:4: unterminated string literal");
}

}  // namespace
}  // namespace lepton::templates
