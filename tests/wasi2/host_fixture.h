// Drives the wasi2 host interfaces directly through a HostRegistry, as the canonical ABI would
// after lifting: one InstanceState per fixture with a wasi2::Config installed.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "component/host.h"
#include "wasi2/wasi2.h"

namespace lepton::wasi2::testing {

using component::Val;

class Host {
 public:
  explicit Host(Config config = {}) {
    register_wasi(registry);
    instance.emplace(std::make_unique<Config>(std::move(config)));
  }

  const component::HostFunctionDef* find(std::string_view iface, std::string_view name) const {
    const component::HostInterface* i = registry.find(iface);
    return i != nullptr ? i->find_function(name) : nullptr;
  }

  // Calls a function; an Error (trap) is returned as such.
  Result<std::vector<Val>> try_call(std::string_view iface, std::string_view name,
                                    std::vector<Val> args = {}) {
    const component::HostFunctionDef* f = find(iface, name);
    if (f == nullptr) return fail("{}#{} is not registered", iface, name);
    std::vector<Val> results;
    component::HostCall call{instance, args, results};
    LEPTON_CHECK(f->fn(call));
    if (results.size() != f->type.results.size())
      return fail("{} returned {} results, expected {}", name, results.size(),
                  f->type.results.size());
    return results;
  }

  // Calls a function that must not trap; its single result, or bool false for none.
  Val call(std::string_view iface, std::string_view name, std::vector<Val> args = {}) {
    auto r = try_call(iface, name, std::move(args));
    if (!r.ok()) {
      ADD_FAILURE() << iface << "#" << name << " trapped: " << r.error().message;
      return Val();
    }
    return r->empty() ? Val() : (*r)[0];
  }

  Status drop(std::string_view iface, std::string_view resource, uint32_t rep) {
    const component::HostResourceDef* def = registry.find(iface)->find_resource(resource);
    if (def == nullptr) return fail("no resource {}", resource);
    return def->drop(instance, rep);
  }

  std::string signature(std::string_view iface, std::string_view name) const {
    const component::HostFunctionDef* f = find(iface, name);
    if (f == nullptr) return "<missing>";
    std::string out = "(";
    for (size_t i = 0; i < f->type.params.size(); ++i) {
      if (i > 0) out += ", ";
      out += f->type.param_names[i] + ": " + f->type.params[i]->to_string();
    }
    out += ")";
    if (!f->type.results.empty()) out += " -> " + f->type.results[0]->to_string();
    return out;
  }

  component::HostRegistry registry;
  component::InstanceState instance;
};

template <typename T>
::testing::AssertionResult FailsWith(const Result<T>& r, std::string_view needle) {
  if (r.ok()) return ::testing::AssertionFailure() << "succeeded; expected error with " << needle;
  if (r.error().message.find(needle) == std::string::npos)
    return ::testing::AssertionFailure()
           << "error \"" << r.error().message << "\" lacks \"" << needle << "\"";
  return ::testing::AssertionSuccess();
}

// The ok payload of result<T, E>, or a failure.
inline Val ok_of(const Val& result) {
  EXPECT_EQ(result.kind(), Val::Kind::kVariant);
  EXPECT_EQ(result.case_index(), 0u) << result.to_string();
  return result.payload() != nullptr ? *result.payload() : Val();
}

}  // namespace lepton::wasi2::testing
