// Component variables for components: fermyon:spin/variables (Spin 2/3 SDKs) and wasi:config/store
// (the WASI draft Spin 3 also serves), both answered from the component's `variables` table
// through the app's VariableResolver, as Spin 1's spin-config is (spin1_config.cc).
#include <variant>

#include "factors/spin_component.h"

namespace lepton::factors {

using component::HostCall;
using component::Val;
namespace ty = component::ty;

namespace {

const SpinComponent* component_of(HostCall& c) { return c.instance.find<SpinComponent>(); }

std::variant<std::string, app::VariableError> lookup(HostCall& c, const std::string& key) {
  const SpinComponent* sc = component_of(c);
  if (sc == nullptr || sc->variables == nullptr)
    return app::VariableError{app::VariableError::Kind::kUndefined, "no variable for " + key};
  return sc->variables->lookup(sc->id, key);
}

}  // namespace

void register_spin_variables(component::HostRegistry& registry) {
  // variant error { invalid-name(string), undefined(string), provider(string), other(string) }:
  // the same order as app::VariableError::Kind.
  auto error = ty::variant({{"invalid-name", ty::string()},
                            {"undefined", ty::string()},
                            {"provider", ty::string()},
                            {"other", ty::string()}});
  component::HostInterface& spin = registry.add("fermyon:spin/variables");
  spin.function("get", ty::func({{"name", ty::string()}}, {ty::result(ty::string(), error)}),
                [](HostCall& c) -> Status {
                  if (c.args.size() != 1) return fail("variables.get: expected 1 argument");
                  auto found = lookup(c, c.args[0].as_string());
                  if (auto* value = std::get_if<std::string>(&found)) {
                    c.results.push_back(Val::ok(Val::string(*value)));
                  } else {
                    const auto& e = std::get<app::VariableError>(found);
                    c.results.push_back(Val::err(
                        Val::variant(static_cast<uint32_t>(e.kind), Val::string(e.message))));
                  }
                  return {};
                });

  // variant error { upstream(string), io(string) }. A key the component doesn't define (or
  // can't be a variable name) is simply absent: ok(none). Provider failures are upstream.
  auto config_error = ty::variant({{"upstream", ty::string()}, {"io", ty::string()}});
  component::HostInterface& config = registry.add("wasi:config/store");
  config.function(
      "get",
      ty::func({{"key", ty::string()}}, {ty::result(ty::option(ty::string()), config_error)}),
      [](HostCall& c) -> Status {
        if (c.args.size() != 1) return fail("store.get: expected 1 argument");
        auto found = lookup(c, c.args[0].as_string());
        if (auto* value = std::get_if<std::string>(&found)) {
          c.results.push_back(Val::ok(Val::some(Val::string(*value))));
          return {};
        }
        const auto& e = std::get<app::VariableError>(found);
        switch (e.kind) {
          case app::VariableError::Kind::kInvalidName:
          case app::VariableError::Kind::kUndefined:
            c.results.push_back(Val::ok(Val::none()));
            break;
          case app::VariableError::Kind::kProvider:
            c.results.push_back(Val::err(Val::variant(0, Val::string(e.message))));
            break;
          case app::VariableError::Kind::kOther:
            c.results.push_back(Val::err(Val::variant(1, Val::string(e.message))));
            break;
        }
        return {};
      });
  config.function(
      "get-all",
      ty::func({}, {ty::result(ty::list(ty::tuple({ty::string(), ty::string()})), config_error)}),
      [](HostCall& c) -> Status {
        const SpinComponent* sc = component_of(c);
        std::vector<Val> items;
        if (sc != nullptr && sc->variables != nullptr) {
          auto all = sc->variables->resolve_all(sc->id);
          if (!all) {
            c.results.push_back(Val::err(Val::variant(0, Val::string(all.error().message))));
            return {};
          }
          for (const auto& [k, v] : *all)
            items.push_back(Val::tuple({Val::string(k), Val::string(v)}));
        }
        c.results.push_back(Val::ok(Val::list(std::move(items))));
        return {};
      });
}

}  // namespace lepton::factors
