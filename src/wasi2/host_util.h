// Internal helpers shared by the wasi2 interface registrations (not part of the public API).
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "component/host.h"

namespace lepton::wasi2::detail {

using component::HostCall;
using component::HostFunction;
using component::HostInterface;
using component::InstanceState;
using component::Val;

// Registers a function whose implementation may index its arguments freely: a call with the
// wrong number of arguments (only possible when the host calls it directly) traps instead.
inline void define(HostInterface& iface, std::string name, component::FunctionType type,
                   HostFunction fn) {
  size_t arity = type.params.size();
  std::string full = iface.name() + "#" + name;
  iface.function(std::move(name), std::move(type),
                 [arity, full = std::move(full), fn = std::move(fn)](HostCall& c) -> Status {
                   if (c.args.size() != arity)
                     return fail("{}: called with {} arguments, expected {}", full, c.args.size(),
                                 arity);
                   return fn(c);
                 });
}

// The exit code an adapted core module gave wasi_snapshot_preview1's proc_exit (preview1.cc).
std::optional<int> preview1_exit_code(const InstanceState& instance);

// A drop that removes `rep` from one of the request's object tables.
template <typename State, typename Table>
component::HostDrop drop_from(Table State::* table, std::string what) {
  return [table, what = std::move(what)](InstanceState& inst, uint32_t rep) -> Status {
    if (!(inst.state<State>().*table).remove(rep)) return fail("dropping unknown {} {}", what, rep);
    return {};
  };
}

}  // namespace lepton::wasi2::detail
