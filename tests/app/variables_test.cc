#include "app/variables.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lepton::app {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

App MakeApp() {
  App app;
  app.variables["host"] = Variable{std::string("default.example.com"), false, false, ""};
  app.variables["port"] = Variable{std::string("80"), false, false, ""};
  app.variables["token"] = Variable{std::nullopt, true, true, ""};
  Component c;
  c.id = "web";
  c.variables["url"] = "https://{{ host }}:{{ port }}/";
  c.variables["token"] = "{{ token }}";
  c.variables["plain"] = "literal";
  app.components["web"] = c;
  Component other;
  other.id = "other";
  app.components["other"] = other;
  return app;
}

using Env = std::map<std::string, std::string>;

EnvVariableProvider::EnvLookup FakeEnv(Env env) {
  return [env = std::move(env)](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

VariableResolver Make(Env cli, Env env, Env dotenv = {}) {
  auto r = VariableResolver::create(
      MakeApp(), VariableResolver::standard_providers(std::move(cli), FakeEnv(std::move(env)),
                                                      std::move(dotenv)));
  EXPECT_TRUE(r.ok()) << r.error().message;
  return std::move(r).value();
}

TEST(VariableResolver, DefaultsAndLiterals) {
  auto r = Make({}, {{"SPIN_VARIABLE_TOKEN", "t"}});
  EXPECT_EQ(*r.resolve("web", "url"), "https://default.example.com:80/");
  EXPECT_EQ(*r.resolve("web", "plain"), "literal");
  EXPECT_EQ(*r.resolve_app("host"), "default.example.com");
  auto all = r.resolve_all("web");
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(*all, ElementsAre(Pair("plain", "literal"), Pair("token", "t"),
                                Pair("url", "https://default.example.com:80/")));
  EXPECT_TRUE(r.resolve_all("other")->empty());
}

TEST(VariableResolver, Precedence) {
  // --variable > SPIN_VARIABLE_* > .env > default
  auto r = Make({{"host", "cli.example.com"}},
                {{"SPIN_VARIABLE_HOST", "env.example.com"}, {"SPIN_VARIABLE_PORT", "8080"}},
                {{"SPIN_VARIABLE_PORT", "9090"}, {"SPIN_VARIABLE_TOKEN", "from-dotenv"}});
  EXPECT_EQ(*r.resolve("web", "url"), "https://cli.example.com:8080/");
  EXPECT_EQ(*r.resolve("web", "token"), "from-dotenv");

  auto env_only = Make({}, {{"SPIN_VARIABLE_HOST", "env.example.com"}});
  EXPECT_EQ(*env_only.resolve_app("host"), "env.example.com");
  EXPECT_EQ(*env_only.resolve_app("port"), "80");

  // Custom provider order: a runtime-config static provider between CLI and environment.
  VariableResolver::Providers providers;
  providers.push_back(std::make_shared<StaticVariableProvider>(Env{}, "--variable"));
  providers.push_back(std::make_shared<StaticVariableProvider>(Env{{"port", "1"}}, "static"));
  providers.push_back(std::make_shared<EnvVariableProvider>(
      "SPIN_VARIABLE", FakeEnv({{"SPIN_VARIABLE_PORT", "2"}})));
  auto custom = VariableResolver::create(MakeApp(), providers);
  ASSERT_TRUE(custom.ok());
  EXPECT_EQ(*custom->resolve_app("port"), "1");
}

TEST(VariableResolver, EnvPrefix) {
  EnvVariableProvider p("MYAPP", FakeEnv({{"MYAPP_DB_URL", "x"}}));
  EXPECT_EQ(p.env_name("db_url"), "MYAPP_DB_URL");
  EXPECT_EQ(**p.get("db_url"), "x");
  EXPECT_FALSE(p.get("other")->has_value());
  EnvVariableProvider bare("", FakeEnv({{"DB_URL", "y"}}));
  EXPECT_EQ(**bare.get("db_url"), "y");
}

TEST(VariableResolver, Errors) {
  auto r = Make({}, {});
  auto missing = r.resolve("web", "token");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message,
              HasSubstr("no provider resolved required variable \"token\""));
  auto v = r.lookup("web", "token");
  ASSERT_TRUE(std::holds_alternative<VariableError>(v));
  EXPECT_EQ(std::get<VariableError>(v).kind, VariableError::Kind::kProvider);

  auto unknown = r.resolve("web", "nope");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.error().message, HasSubstr("no such variable"));
  EXPECT_EQ(std::get<VariableError>(r.lookup("web", "nope")).kind, VariableError::Kind::kUndefined);
  // Only the component's own keys are visible, not application variables.
  EXPECT_FALSE(r.resolve("web", "host").ok());
  EXPECT_FALSE(r.resolve("other", "url").ok());
  EXPECT_FALSE(r.resolve("ghost", "url").ok());

  auto bad = r.lookup("web", "Bad-Name");
  ASSERT_TRUE(std::holds_alternative<VariableError>(bad));
  EXPECT_EQ(std::get<VariableError>(bad).kind, VariableError::Kind::kInvalidName);

  EXPECT_FALSE(r.resolve_app("undeclared").ok());
}

TEST(VariableResolver, Validate) {
  auto missing = Make({}, {});
  auto st = missing.validate();
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error().message, HasSubstr("\"token\""));
  EXPECT_TRUE(Make({{"token", "x"}}, {}).validate().ok());
  EXPECT_TRUE(Make({}, {{"SPIN_VARIABLE_TOKEN", "x"}}).validate().ok());
}

TEST(VariableResolver, Render) {
  auto r = Make({{"host", "h"}}, {});
  EXPECT_EQ(*r.render("redis://{{ host }}:{{ port }}"), "redis://h:80");
  EXPECT_FALSE(r.render("redis://{{ nope }}").ok());
  EXPECT_FALSE(r.render("redis://{{ host").ok());
}

TEST(VariableResolver, CreateRejectsUndeclaredTemplates) {
  App app = MakeApp();
  app.components["web"].variables["bad"] = "{{ undeclared }}";
  auto r = VariableResolver::create(app, {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("unknown variable \"undeclared\""));
}

TEST(VariableResolver, ProviderFailure) {
  class Failing : public VariableProvider {
   public:
    Result<std::optional<std::string>> get(const std::string&) const override {
      return fail("vault unreachable");
    }
    std::string name() const override { return "vault"; }
  };
  auto r = VariableResolver::create(MakeApp(), {std::make_shared<Failing>()});
  ASSERT_TRUE(r.ok());
  auto v = r->lookup("web", "url");
  ASSERT_TRUE(std::holds_alternative<VariableError>(v));
  EXPECT_EQ(std::get<VariableError>(v).kind, VariableError::Kind::kProvider);
  EXPECT_THAT(std::get<VariableError>(v).message, HasSubstr("vault unreachable"));
}

TEST(Dotenv, Parse) {
  auto r = parse_dotenv(R"(# comment
A=1
export B = two words  # trailing comment
C='single $literal'
D="line\nbreak \"quoted\""
E="multi
line"
EMPTY=
)");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_THAT(*r, ElementsAre(Pair("A", "1"), Pair("B", "two words"), Pair("C", "single $literal"),
                              Pair("D", "line\nbreak \"quoted\""), Pair("E", "multi\nline"),
                              Pair("EMPTY", "")));
  auto bad = parse_dotenv("OK=1\nnot a line\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("line 2"));
  EXPECT_FALSE(parse_dotenv("X=\"unterminated\n").ok());
  auto none = load_dotenv("/nonexistent/lepton/.env");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace lepton::app

namespace lepton::app {
namespace {

TEST(VariableResolver, RedactSecrets) {
  App app;
  app.variables["token"] = Variable{std::nullopt, true, true, ""};  // required, secret
  app.variables["host"] = Variable{std::string("example.com"), false, false, ""};
  auto r =
      VariableResolver::create(app, {std::make_shared<StaticVariableProvider>(
                                        std::map<std::string, std::string>{{"token", "hunter2"}})});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->redact_secrets("bad entry 'http://hunter2@example.com' (hunter2)"),
            "bad entry 'http://<secret>@example.com' (<secret>)");
  EXPECT_EQ(r->redact_secrets("nothing secret"), "nothing secret");
}

}  // namespace
}  // namespace lepton::app
