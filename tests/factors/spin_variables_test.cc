// fermyon:spin/variables and wasi:config/store, called through the host registry as a component's
// import would call them.
#include <gtest/gtest.h>

#include "factors/registry.h"
#include "factors/spin_component.h"

namespace lepton::factors {
namespace {

using component::Val;

app::App make_app() {
  app::App app;
  app.variables["host"] = app::Variable{std::string("db.example.com"), false, false, ""};
  app.variables["password"] = app::Variable{std::nullopt, true, true, ""};
  app::Component c;
  c.id = "web";
  c.variables["url"] = "postgres://{{ host }}/app";
  c.variables["secret"] = "{{ password }}";
  app.components["web"] = c;
  app::Component other;
  other.id = "other";
  app.components["other"] = other;
  return app;
}

class SpinVariables : public ::testing::Test {
 protected:
  void SetUp() override {
    register_all(registry_);
    auto r = app::VariableResolver::create(make_app(), {});
    ASSERT_TRUE(r.ok()) << r.error().message;
    resolver_ = std::make_unique<app::VariableResolver>(std::move(*r));
  }

  // Calls `interface#name` as component `id` would; the single result.
  Result<Val> call_val(const std::string& id, std::string_view interface, std::string_view name,
                       std::vector<Val> args) {
    component::InstanceState state;
    state.emplace(
        std::make_unique<SpinComponent>(SpinComponent{id, resolver_.get(), nullptr, {}, {}}));
    const auto* iface = registry_.find(interface);
    if (iface == nullptr) return fail("no interface {}", interface);
    const auto* fn = iface->find_function(name);
    if (fn == nullptr) return fail("no function {}", name);
    std::vector<Val> results;
    component::HostCall c{state, args, results};
    LEPTON_CHECK(fn->fn(c));
    if (results.size() != 1) return fail("{} results", results.size());
    return results[0];
  }
  std::string call(const std::string& id, std::string_view interface, std::string_view name,
                   std::vector<Val> args) {
    auto v = call_val(id, interface, name, std::move(args));
    return v.ok() ? v->to_string() : "error: " + v.error().message;
  }

  component::HostRegistry registry_;
  std::unique_ptr<app::VariableResolver> resolver_;
};

TEST_F(SpinVariables, SpinGetRendersTheComponentsTemplate) {
  EXPECT_EQ(call("web", "fermyon:spin/variables@2.0.0", "get", {Val::string("url")}),
            Val::ok(Val::string("postgres://db.example.com/app")).to_string());
}

// err(case) of a fermyon:spin/variables get: the error-variant case index and its message.
std::pair<uint32_t, std::string> spin_error(const Result<Val>& v) {
  if (!v.ok() || v->case_index() != 1 || v->payload() == nullptr) return {99, "not an err"};
  const Val& e = *v->payload();
  return {e.case_index(), e.payload() ? e.payload()->as_string() : ""};
}

TEST_F(SpinVariables, SpinGetErrorsNameTheCase) {
  // Another component's keys are not visible: undefined (case 1).
  auto undefined =
      spin_error(call_val("other", "fermyon:spin/variables@2.0.0", "get", {Val::string("url")}));
  EXPECT_EQ(undefined.first, 1u);
  EXPECT_NE(undefined.second.find("url"), std::string::npos) << undefined.second;
  // Upper case is not a variable name: invalid-name (case 0).
  auto invalid =
      spin_error(call_val("web", "fermyon:spin/variables@2.0.0", "get", {Val::string("URL")}));
  EXPECT_EQ(invalid.first, 0u) << invalid.second;
  // A required app variable without a value: an error value (provider or other), never a trap.
  auto missing =
      spin_error(call_val("web", "fermyon:spin/variables@2.0.0", "get", {Val::string("secret")}));
  EXPECT_TRUE(missing.first == 2u || missing.first == 3u) << missing.first << " " << missing.second;
}

TEST_F(SpinVariables, WasiConfigStore) {
  EXPECT_EQ(call("web", "wasi:config/store@0.2.0-draft-2024-09-27", "get", {Val::string("url")}),
            Val::ok(Val::some(Val::string("postgres://db.example.com/app"))).to_string());
  EXPECT_EQ(call("web", "wasi:config/store@0.2.0-draft-2024-09-27", "get", {Val::string("nope")}),
            Val::ok(Val::none()).to_string());
  EXPECT_EQ(call("other", "wasi:config/store@0.2.0-draft-2024-09-27", "get-all", {}),
            Val::ok(Val::list({})).to_string());
}

TEST_F(SpinVariables, WithoutAComponentNothingIsGranted) {
  component::InstanceState state;
  std::vector<Val> results;
  std::vector<Val> args{Val::string("url")};
  component::HostCall c{state, args, results};
  ASSERT_TRUE(registry_.find("fermyon:spin/variables")->find_function("get")->fn(c).ok());
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].case_index(), 1u);             // err
  EXPECT_EQ(results[0].payload()->case_index(), 1u);  // undefined
}

}  // namespace
}  // namespace lepton::factors
