// Outbound MQTT for components: fermyon:spin/mqtt@2.0.0 (resource `connection`: open, publish)
// over libmosquitto (mqtt/client.h). As in Spin: open checks allowed_outbound_hosts (scheme mqtt,
// default port 1883; denied -> connection-failed("address <a> is not permitted")), then parses
// the address (bad -> invalid-address; a client_id query parameter is required, as rumqttc
// requires it); the broker is contacted on the first publish (unreachable -> connection-failed).
// Each handle is its own MQTT session, reused by every publish through it in the request and
// disconnected when dropped or when the request ends.
#include <memory>

#include "factors/spin_component.h"
#include "mqtt/client.h"
#include "wasi2/wasi2.h"

namespace lepton::factors {

using component::HostCall;
using component::Val;
namespace ty = component::ty;

namespace {

constexpr size_t kMaxConnections = 1024;

// error variant cases.
constexpr uint32_t kInvalidAddress = 0;
constexpr uint32_t kTooManyConnections = 1;
constexpr uint32_t kConnectionFailed = 2;
constexpr uint32_t kOther = 3;

struct MqttState {
  component::ObjectTable<std::unique_ptr<mqtt::Client>> handles;
};

Val error(uint32_t kind) { return Val::err(Val::variant(kind)); }
Val error(uint32_t kind, std::string message) {
  return Val::err(Val::variant(kind, Val::string(std::move(message))));
}

Val open(HostCall& c) {
  const std::string& address = c.args[0].as_string();
  const SpinComponent* sc = c.instance.find<SpinComponent>();
  if (sc == nullptr || sc->allowed_hosts == nullptr ||
      !sc->allowed_hosts->allows_url(address, "mqtt"))
    return error(kConnectionFailed, "address " + address + " is not permitted");
  MqttState& state = c.instance.state<MqttState>();
  if (state.handles.size() >= kMaxConnections) return error(kTooManyConnections);
  auto parsed = mqtt::parse_address(address);
  if (!parsed) return error(kInvalidAddress);
  auto client = std::make_unique<mqtt::Client>(std::move(*parsed), c.args[1].as_string(),
                                               c.args[2].as_string(), c.args[3].as_uint(), sc->id);
  return Val::ok(Val::own(state.handles.insert(std::move(client))));
}

}  // namespace

void register_spin_mqtt(component::HostRegistry& registry) {
  component::HostInterface& iface = registry.add("fermyon:spin/mqtt");
  iface.run_off_loop();  // synchronous backend client
  auto connection =
      iface.resource("connection", [](component::InstanceState& inst, uint32_t rep) -> Status {
        if (!inst.state<MqttState>().handles.remove(rep))
          return fail("dropping unknown mqtt connection {}", rep);
        return {};
      });
  auto err = ty::variant({{"invalid-address", nullptr},
                          {"too-many-connections", nullptr},
                          {"connection-failed", ty::string()},
                          {"other", ty::string()}});
  auto qos = ty::enum_({"at-most-once", "at-least-once", "exactly-once"});
  iface.function("[static]connection.open",
                 ty::func({{"address", ty::string()},
                           {"username", ty::string()},
                           {"password", ty::string()},
                           {"keep-alive-interval-in-secs", ty::u64()}},
                          {ty::result(ty::own(connection), err)}),
                 [](HostCall& c) -> Status {
                   c.results.push_back(open(c));
                   return {};
                 });
  iface.function("[method]connection.publish",
                 ty::func({{"self", ty::borrow(connection)},
                           {"topic", ty::string()},
                           {"payload", ty::list(ty::u8())},
                           {"qos", qos}},
                          {ty::result(nullptr, err)}),
                 [](HostCall& c) -> Status {
                   auto* client = c.instance.state<MqttState>().handles.get(c.args[0].rep());
                   if (client == nullptr) {
                     c.results.push_back(error(kOther, "could not find connection for resource"));
                     return {};
                   }
                   const wasi2::Config* config = c.instance.find<wasi2::Config>();
                   auto failure = (*client)->publish(c.args[1].as_string(), c.args[2].as_bytes(),
                                                     static_cast<int>(c.args[3].case_index()),
                                                     config ? config->deadline : std::nullopt);
                   if (!failure)
                     c.results.push_back(Val::ok());
                   else
                     c.results.push_back(
                         error(failure->connection ? kConnectionFailed : kOther, failure->message));
                   return {};
                 });
}

}  // namespace lepton::factors
