// What host interfaces may know about the request they serve: which component is calling and
// what its manifest grants. The executor registers one per store (engine::StoreData).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "app/allowed_hosts.h"
#include "app/variables.h"
#include "factors/key_value_access.h"
#include "factors/sqlite_access.h"

namespace lepton::factors {

struct HostContext {
  std::string_view component_id;
  const app::VariableResolver* variables = nullptr;
  const app::AllowedHosts* allowed_hosts = nullptr;
  KeyValueAccess key_value;
  std::vector<const key_value::Store*> spin1_stores;  // Spin 1 key-value handles (index + 1)
  std::string self_origin;  // "http://host:port" of the incoming request, for relative URLs
  SqliteAccess sqlite;
  std::shared_ptr<Spin1SqliteConnections> spin1_sqlite;  // Spin 1 sqlite handles (index + 1)
};

}  // namespace lepton::factors
