// What host interfaces may know about the request they serve: which component is calling and
// what its manifest grants. The executor registers one per store (engine::StoreData).
#pragma once

#include <string>
#include <string_view>

#include "app/allowed_hosts.h"
#include "app/variables.h"

namespace lepton::factors {

struct HostContext {
  std::string_view component_id;
  const app::VariableResolver* variables = nullptr;
  const app::AllowedHosts* allowed_hosts = nullptr;
  std::string self_origin;  // "http://host:port" of the incoming request, for relative URLs
};

}  // namespace lepton::factors
