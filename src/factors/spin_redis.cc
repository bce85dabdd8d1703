// Outbound Redis for components: fermyon:spin/redis@2.0.0 (resource `connection`). An address is
// usable only when the component's allowed_outbound_hosts grants its host and port (scheme
// redis with default port 6379, or rediss, which the allow-list knows no default port for, as in
// Spin); otherwise open fails with `invalid-address`, as in Spin. rediss:// connects over TLS
// with the component's [[client_tls]] trust (redis/connection.h). Connections live in the
// request's InstanceState: one per address, shared by every handle opened to it, and closed when
// the request ends.
#include <map>
#include <memory>

#include "factors/spin_component.h"
#include "redis/client.h"
#include "wasi2/wasi2.h"

namespace lepton::factors {

using component::HostCall;
using component::Val;
namespace ty = component::ty;

namespace {

struct RedisState {
  std::map<std::string, std::unique_ptr<redis::Client>, std::less<>> by_address;
  component::ObjectTable<redis::Client*> handles;
};

// error variant cases.
constexpr uint32_t kInvalidAddress = 0;
constexpr uint32_t kTypeError = 2;
constexpr uint32_t kOther = 3;

Val error(uint32_t kind) { return Val::err(Val::variant(kind)); }
Val other(std::string message) { return Val::err(Val::variant(kOther, Val::string(message))); }

std::optional<std::chrono::steady_clock::time_point> deadline_of(HostCall& c) {
  const wasi2::Config* config = c.instance.find<wasi2::Config>();
  return config ? config->deadline : std::nullopt;
}

// Runs one command on the connection behind `self`; a failure is already the error result.
// Like Spin, only sadd reports Redis' WRONGTYPE as `type-error`; the others give other(message).
std::variant<redis::Reply, Val> run(HostCall& c, const std::vector<std::string>& argv) {
  redis::Client** client = c.instance.state<RedisState>().handles.get(c.args[0].rep());
  if (client == nullptr) return other("could not find connection for resource");
  auto reply = (*client)->command(argv);
  if (!reply) return other(reply.error().message);
  if (reply->kind == redis::Reply::Kind::kError) {
    if (argv[0] == "SADD" && reply->text.starts_with("WRONGTYPE")) return error(kTypeError);
    return other(reply->text);
  }
  return std::move(*reply);
}

std::vector<std::string> strings(const Val& list) {
  std::vector<std::string> out;
  for (const Val& v : list.items()) out.push_back(v.as_string());
  return out;
}

// execute's flattening of a reply into list<redis-result>: arrays are spliced in.
void flatten(const redis::Reply& r, std::vector<Val>& out) {
  using Kind = redis::Reply::Kind;
  switch (r.kind) {
    case Kind::kNil:
      out.push_back(Val::variant(0));
      break;
    case Kind::kStatus:
      out.push_back(Val::variant(1, Val::string(r.text)));
      break;
    case Kind::kInteger:
      out.push_back(Val::variant(2, Val::s64(r.integer)));
      break;
    case Kind::kString:
      out.push_back(Val::variant(3, Val::bytes(r.text)));
      break;
    case Kind::kArray:
      for (const auto& e : r.elements) flatten(e, out);
      break;
    case Kind::kError:
      break;  // handled by run()
  }
}

Val open(HostCall& c, const std::string& address) {
  const SpinComponent* sc = c.instance.find<SpinComponent>();
  if (sc == nullptr || sc->allowed_hosts == nullptr ||
      !sc->allowed_hosts->allows_url(address, "redis"))
    return error(kInvalidAddress);
  auto parsed = redis::parse_address(address);
  if (!parsed) return error(kInvalidAddress);
  RedisState& state = c.instance.state<RedisState>();
  auto it = state.by_address.find(address);
  if (it == state.by_address.end()) {
    auto client = redis::Client::connect(*parsed, deadline_of(c), sc->id);
    if (!client) return other(client.error().message);
    it = state.by_address.emplace(address, std::move(*client)).first;
  }
  return Val::ok(Val::own(state.handles.insert(it->second.get())));
}

}  // namespace

void register_spin_redis(component::HostRegistry& registry) {
  component::HostInterface& iface = registry.add("fermyon:spin/redis");
  iface.run_off_loop();  // synchronous backend client
  auto connection =
      iface.resource("connection", [](component::InstanceState& inst, uint32_t rep) -> Status {
        if (!inst.state<RedisState>().handles.remove(rep))
          return fail("dropping unknown redis connection {}", rep);
        return {};
      });
  auto err = ty::variant({{"invalid-address", nullptr},
                          {"too-many-connections", nullptr},
                          {"type-error", nullptr},
                          {"other", ty::string()}});
  auto payload = ty::list(ty::u8());
  auto self = ty::borrow(connection);
  auto strs = ty::list(ty::string());
  auto param = ty::variant({{"int64", ty::s64()}, {"binary", payload}});
  auto result = ty::variant(
      {{"nil", nullptr}, {"status", ty::string()}, {"int64", ty::s64()}, {"binary", payload}});

  iface.function("[static]connection.open",
                 ty::func({{"address", ty::string()}}, {ty::result(ty::own(connection), err)}),
                 [](HostCall& c) -> Status {
                   c.results.push_back(open(c, c.args[0].as_string()));
                   return {};
                 });

  // The fixed-shape commands: argv from the arguments, the reply turned into the result.
  using Args = std::span<const Val>;
  using Convert = Val (*)(const redis::Reply&);
  auto command = [&](std::string name, component::FunctionType type,
                     std::vector<std::string> (*argv)(Args), Convert convert) {
    iface.function("[method]connection." + name, std::move(type),
                   [argv, convert](HostCall& c) -> Status {
                     auto got = run(c, argv(c.args));
                     if (auto* failed = std::get_if<Val>(&got)) {
                       c.results.push_back(std::move(*failed));
                     } else {
                       c.results.push_back(convert(std::get<redis::Reply>(got)));
                     }
                     return {};
                   });
  };
  auto unit = [](const redis::Reply&) { return Val::ok(); };
  // Integer replies: a non-integer is the type error the WIT promises for incr.
  auto s64 = [](const redis::Reply& r) {
    return r.kind == redis::Reply::Kind::kInteger ? Val::ok(Val::s64(r.integer))
                                                  : error(kTypeError);
  };
  auto u32 = [](const redis::Reply& r) {
    return r.kind == redis::Reply::Kind::kInteger
               ? Val::ok(Val::u32(static_cast<uint32_t>(r.integer)))
               : error(kTypeError);
  };

  command(
      "publish",
      ty::func({{"self", self}, {"channel", ty::string()}, {"payload", payload}},
               {ty::result(nullptr, err)}),
      [](Args a) -> std::vector<std::string> {
        return {"PUBLISH", a[1].as_string(), a[2].as_bytes()};
      },
      unit);
  command(
      "get",
      ty::func({{"self", self}, {"key", ty::string()}}, {ty::result(ty::option(payload), err)}),
      [](Args a) -> std::vector<std::string> { return {"GET", a[1].as_string()}; },
      [](const redis::Reply& r) {
        if (r.kind == redis::Reply::Kind::kNil) return Val::ok(Val::none());
        if (r.kind != redis::Reply::Kind::kString) return error(kTypeError);
        return Val::ok(Val::some(Val::bytes(r.text)));
      });
  command(
      "set",
      ty::func({{"self", self}, {"key", ty::string()}, {"value", payload}},
               {ty::result(nullptr, err)}),
      [](Args a) -> std::vector<std::string> { return {"SET", a[1].as_string(), a[2].as_bytes()}; },
      unit);
  command(
      "incr", ty::func({{"self", self}, {"key", ty::string()}}, {ty::result(ty::s64(), err)}),
      [](Args a) -> std::vector<std::string> { return {"INCR", a[1].as_string()}; }, s64);
  command(
      "del", ty::func({{"self", self}, {"keys", strs}}, {ty::result(ty::u32(), err)}),
      [](Args a) {
        auto argv = strings(a[1]);
        argv.insert(argv.begin(), "DEL");
        return argv;
      },
      u32);
  command(
      "sadd",
      ty::func({{"self", self}, {"key", ty::string()}, {"values", strs}},
               {ty::result(ty::u32(), err)}),
      [](Args a) {
        auto argv = strings(a[2]);
        argv.insert(argv.begin(), {"SADD", a[1].as_string()});
        return argv;
      },
      u32);
  command(
      "smembers", ty::func({{"self", self}, {"key", ty::string()}}, {ty::result(strs, err)}),
      [](Args a) -> std::vector<std::string> { return {"SMEMBERS", a[1].as_string()}; },
      [](const redis::Reply& r) {
        if (r.kind != redis::Reply::Kind::kArray) return error(kTypeError);
        std::vector<Val> items;
        for (const auto& e : r.elements) {
          if (e.kind != redis::Reply::Kind::kString) return error(kTypeError);
          items.push_back(Val::string(e.text));
        }
        return Val::ok(Val::list(std::move(items)));
      });
  command(
      "srem",
      ty::func({{"self", self}, {"key", ty::string()}, {"values", strs}},
               {ty::result(ty::u32(), err)}),
      [](Args a) {
        auto argv = strings(a[2]);
        argv.insert(argv.begin(), {"SREM", a[1].as_string()});
        return argv;
      },
      u32);
  iface.function(
      "[method]connection.execute",
      ty::func({{"self", self}, {"command", ty::string()}, {"arguments", ty::list(param)}},
               {ty::result(ty::list(result), err)}),
      [](HostCall& c) -> Status {
        std::vector<std::string> argv{c.args[1].as_string()};
        for (const Val& p : c.args[2].items()) {
          if (p.case_index() == 0)
            argv.push_back(std::to_string(p.payload()->as_int()));
          else
            argv.push_back(p.payload()->as_bytes());
        }
        auto got = run(c, argv);
        if (auto* failed = std::get_if<Val>(&got)) {
          c.results.push_back(std::move(*failed));
          return {};
        }
        std::vector<Val> out;
        flatten(std::get<redis::Reply>(got), out);
        c.results.push_back(Val::ok(Val::list(std::move(out))));
        return {};
      });
}

}  // namespace lepton::factors
