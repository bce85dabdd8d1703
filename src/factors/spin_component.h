// What Spin's host interfaces need to know, per request, about the component being served: its
// id and the app's variable resolver. The executor installs it in the component's InstanceState
// (InstanceState::emplace<SpinComponent>); without it every lookup answers as for a component
// that was granted nothing.
#pragma once

#include <string>
#include <vector>

#include "app/allowed_hosts.h"
#include "app/variables.h"
#include "component/host.h"
#include "factors/key_value_access.h"
#include "factors/sqlite_access.h"

namespace lepton::factors {

struct SpinComponent {
  std::string id;
  const app::VariableResolver* variables = nullptr;
  const app::AllowedHosts* allowed_hosts = nullptr;  // null: no network access
  KeyValueAccess key_value;
  SqliteAccess sqlite;
  const std::vector<std::string>* ai_models = nullptr;  // the component's ai_models (LLM grants)
};

// fermyon:spin/variables@2.0.0 (get) and wasi:config/store@0.2.0-draft-2024-09-27 (get, get-all).
void register_spin_variables(component::HostRegistry& registry);
// fermyon:spin/redis@2.0.0 (outbound Redis, spin_redis.cc).
void register_spin_redis(component::HostRegistry& registry);
// fermyon:spin/key-value@2.0.0 and wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2.
void register_key_value(component::HostRegistry& registry);
// fermyon:spin/mysql@2.0.0 and fermyon:spin/rdbms-types@2.0.0 (outbound MySQL, spin_mysql.cc).
void register_spin_mysql(component::HostRegistry& registry);
// fermyon:spin/mqtt@2.0.0 (outbound MQTT, spin_mqtt.cc).
void register_spin_mqtt(component::HostRegistry& registry);
// fermyon:spin/sqlite@2.0.0 and spin:sqlite/sqlite@3.0.0 (spin_sqlite.cc).
void register_spin_sqlite(component::HostRegistry& registry);
// spin:postgres/postgres@4.0.0/@3.0.0 and fermyon:spin/postgres@2.0.0 (spin_postgres.cc).
void register_spin_postgres(component::HostRegistry& registry);
// fermyon:spin/llm@2.0.0 and unversioned (spin_llm.cc).
void register_spin_llm(component::HostRegistry& registry);

}  // namespace lepton::factors
