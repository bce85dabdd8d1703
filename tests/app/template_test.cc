#include "app/template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lepton::app {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::pair<bool, std::string>> Parts(const Template& t) {
  std::vector<std::pair<bool, std::string>> out;
  for (const auto& p : t.parts()) out.emplace_back(p.is_variable, p.text);
  return out;
}

TEST(Template, ParsesParts) {
  auto t = Template::parse("a-{{ expr }}-b");
  ASSERT_TRUE(t.ok());
  EXPECT_THAT(Parts(*t),
              ElementsAre(std::pair(false, std::string("a-")), std::pair(true, std::string("expr")),
                          std::pair(false, std::string("-b"))));
  EXPECT_FALSE(t->is_literal());

  t = Template::parse("{{expr1}}{{  expr2\t}}");
  ASSERT_TRUE(t.ok());
  EXPECT_THAT(Parts(*t), ElementsAre(std::pair(true, std::string("expr1")),
                                     std::pair(true, std::string("expr2"))));

  t = Template::parse("");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->parts().empty());
  EXPECT_TRUE(t->is_literal());

  t = Template::parse("plain } text }}");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->is_literal());
  EXPECT_EQ(t->to_string(), "plain } text }}");
}

TEST(Template, Variables) {
  auto t = Template::parse("{{ b }}://{{ a }}:{{ b }}");
  ASSERT_TRUE(t.ok());
  EXPECT_THAT(t->variables(), ElementsAre("b", "a"));
  EXPECT_EQ(t->to_string(), "{{ b }}://{{ a }}:{{ b }}");
}

TEST(Template, Errors) {
  auto t = Template::parse("{{ matched }} {{ unmatched");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.error().message, HasSubstr("unmatched '{{' in template"));
  t = Template::parse("{{ Bad }}");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.error().message, HasSubstr("invalid variable name \"Bad\""));
  EXPECT_FALSE(Template::parse("{{ }}").ok());
  EXPECT_FALSE(Template::parse("{{ a-b }}").ok());
  EXPECT_FALSE(Template::parse("{{ a {{ b }}").ok());
}

TEST(Template, Render) {
  auto t = Template::parse("https://{{ host }}:{{ port }}/x");
  ASSERT_TRUE(t.ok());
  auto out = t->render([](const std::string& name) -> Result<std::string> {
    if (name == "host") return std::string("example.com");
    if (name == "port") return std::string("8080");
    return fail("no {}", name);
  });
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "https://example.com:8080/x");

  out = t->render(
      [](const std::string& name) -> Result<std::string> { return fail("no value for {}", name); });
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "no value for host");
}

TEST(VariableName, SpinKeyRules) {
  EXPECT_TRUE(validate_variable_name("a").ok());
  EXPECT_TRUE(validate_variable_name("api_key2").ok());
  EXPECT_TRUE(validate_variable_name("a_1").ok());
  EXPECT_FALSE(validate_variable_name("").ok());
  EXPECT_FALSE(validate_variable_name("1a").ok());
  EXPECT_FALSE(validate_variable_name("_a").ok());
  EXPECT_FALSE(validate_variable_name("a_").ok());
  EXPECT_FALSE(validate_variable_name("a__b").ok());
  EXPECT_FALSE(validate_variable_name("A").ok());
  auto bad = validate_variable_name("a-b");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("invalid character '-'"));
}

}  // namespace
}  // namespace lepton::app
