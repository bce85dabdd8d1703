// Outbound MySQL for components: fermyon:spin/mysql@2.0.0 (resource `connection`: open, query,
// execute) with the types of fermyon:spin/rdbms-types@2.0.0, over libmariadb (mysql/client.h).
// As in Spin: an address is usable only when allowed_outbound_hosts grants it (scheme mysql,
// default port 3306), otherwise open fails with connection-failed("address <a> is not
// permitted"); a failed connect is connection-failed, a failed statement query-failed.
// Connections belong to the request: a dropped handle's connection is kept (idle, per address)
// and handed, reset, to the next open of the same address in that request; all are closed when
// the request ends.
#include <map>
#include <memory>

#include "factors/mysql_types.h"
#include "factors/spin_component.h"
#include "mysql/client.h"

namespace lepton::factors {

using component::HostCall;
using component::Val;
namespace ty = component::ty;

namespace {

constexpr size_t kMaxConnections = 1024;

struct MysqlState {
  struct Handle {
    std::string address;
    std::unique_ptr<mysql::Client> client;
  };
  component::ObjectTable<Handle> handles;
  std::map<std::string, std::vector<std::unique_ptr<mysql::Client>>, std::less<>> idle;
};

Val failed(mysql::ErrorKind kind, std::string message) {
  return Val::err(mysql_types::error(mysql::DbError{kind, std::move(message)}));
}

Val open(HostCall& c, const std::string& address) {
  const SpinComponent* sc = c.instance.find<SpinComponent>();
  if (sc == nullptr || sc->allowed_hosts == nullptr ||
      !sc->allowed_hosts->allows_url(address, "mysql"))
    return failed(mysql::ErrorKind::kConnectionFailed, "address " + address + " is not permitted");
  MysqlState& state = c.instance.state<MysqlState>();
  if (state.handles.size() >= kMaxConnections)
    return failed(mysql::ErrorKind::kConnectionFailed, "too many connections");
  std::unique_ptr<mysql::Client> client;
  if (auto it = state.idle.find(address); it != state.idle.end()) {
    while (!it->second.empty() && !client) {
      client = std::move(it->second.back());
      it->second.pop_back();
      if (!client->reset()) client.reset();
    }
  }
  if (!client) {
    auto parsed = mysql::parse_address(address);
    if (!parsed) return failed(mysql::ErrorKind::kConnectionFailed, parsed.error().message);
    auto connected = mysql::Client::connect(*parsed, sc->id);
    if (auto* e = std::get_if<mysql::DbError>(&connected)) return Val::err(mysql_types::error(*e));
    client = std::move(std::get<std::unique_ptr<mysql::Client>>(connected));
  }
  return Val::ok(Val::own(state.handles.insert(MysqlState::Handle{address, std::move(client)})));
}

mysql::Client* client_of(HostCall& c) {
  auto* h = c.instance.state<MysqlState>().handles.get(c.args[0].rep());
  return h ? h->client.get() : nullptr;
}

}  // namespace

void register_spin_mysql(component::HostRegistry& registry) {
  // rdbms-types has no functions; guests import it for its types.
  registry.add("fermyon:spin/rdbms-types");
  component::HostInterface& iface = registry.add("fermyon:spin/mysql");
  iface.run_off_loop();  // synchronous backend client
  auto connection =
      iface.resource("connection", [](component::InstanceState& inst, uint32_t rep) -> Status {
        MysqlState& state = inst.state<MysqlState>();
        auto h = state.handles.remove(rep);
        if (!h) return fail("dropping unknown mysql connection {}", rep);
        state.idle[h->address].push_back(std::move(h->client));
        return {};
      });
  const mysql_types::Types& t = mysql_types::types();
  auto self = ty::borrow(connection);
  auto params = ty::list(t.parameter_value);

  iface.function("[static]connection.open",
                 ty::func({{"address", ty::string()}}, {ty::result(ty::own(connection), t.error)}),
                 [](HostCall& c) -> Status {
                   c.results.push_back(open(c, c.args[0].as_string()));
                   return {};
                 });
  iface.function(
      "[method]connection.query",
      ty::func({{"self", self}, {"statement", ty::string()}, {"params", params}},
               {ty::result(t.row_set, t.error)}),
      [](HostCall& c) -> Status {
        mysql::Client* client = client_of(c);
        if (client == nullptr) {
          c.results.push_back(failed(mysql::ErrorKind::kConnectionFailed, "no connection found"));
          return {};
        }
        auto got = client->query(c.args[1].as_string(), mysql_types::to_values(c.args[2]));
        if (auto* e = std::get_if<mysql::DbError>(&got))
          c.results.push_back(Val::err(mysql_types::error(*e)));
        else
          c.results.push_back(Val::ok(mysql_types::row_set(std::get<mysql::RowSet>(got))));
        return {};
      });
  iface.function(
      "[method]connection.execute",
      ty::func({{"self", self}, {"statement", ty::string()}, {"params", params}},
               {ty::result(nullptr, t.error)}),
      [](HostCall& c) -> Status {
        mysql::Client* client = client_of(c);
        if (client == nullptr) {
          c.results.push_back(failed(mysql::ErrorKind::kConnectionFailed, "no connection found"));
          return {};
        }
        auto e = client->execute(c.args[1].as_string(), mysql_types::to_values(c.args[2]));
        c.results.push_back(e ? Val::err(mysql_types::error(*e)) : Val::ok());
        return {};
      });
}

}  // namespace lepton::factors
