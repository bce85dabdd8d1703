// Outbound PostgreSQL for components: spin:postgres/postgres@4.0.0 (and @4.1.0 without its
// connection-builder), spin:postgres/postgres@3.0.0 and fermyon:spin/postgres@2.0.0 (types in
// fermyon:spin/rdbms-types@2.0.0). All three share one implementation over the 4.0.0 values
// (postgres/codec.h); the older ones convert as Spin does: types they cannot name become
// `unsupported` / `other`, unsigned parameters of 2.0.0 fail with value-conversion-failed.
//
// open() checks the address against allowed_outbound_hosts (scheme postgres, port 5432 by
// default): denied → connection-failed("address postgres://host:port is not permitted"), as in
// Spin. Connections live in the request's state: one per address, shared by every handle opened
// to it; when the request ends they go back to the process-wide pool (postgres/client.h), from
// which a later request takes them (recycled with DISCARD ALL), as Spin's pool does.
#include <map>
#include <memory>

#include "factors/spin_component.h"
#include "postgres/client.h"
#include "postgres/codec.h"
#include "postgres/versions.h"

namespace lepton::factors {

using component::HostCall;
using component::Val;
namespace ty = component::ty;
namespace pg = postgres;

namespace {

struct PostgresState {
  std::map<std::string, std::unique_ptr<pg::Connection>, std::less<>> by_address;
  component::ObjectTable<pg::Connection*> handles;

  PostgresState() = default;
  PostgresState(const PostgresState&) = delete;
  PostgresState& operator=(const PostgresState&) = delete;
  ~PostgresState() {  // the request's connections go back to the pool
    for (auto& [address, conn] : by_address) pg::Connection::release(address, std::move(conn));
  }
};

using pg::param_to_v4;
using pg::row_set_from_v4;
using pg::Version;

Val error_val(Version v, const pg::Failure& f) {
  auto kind = static_cast<uint32_t>(f.kind);
  if (v == Version::k4 && f.kind == pg::Failure::Kind::kQueryFailed) {
    if (!f.db) return Val::err(Val::variant(kind, Val::variant(0, Val::string(f.message))));
    const pg::DbError& e = *f.db;
    std::vector<Val> extras;
    for (const auto& [k, x] : e.extras)
      extras.push_back(Val::tuple({Val::string(k), Val::string(x)}));
    Val db = Val::record({Val::string(e.as_text), Val::string(e.severity), Val::string(e.code),
                          Val::string(e.message),
                          e.detail ? Val::some(Val::string(*e.detail)) : Val::none(),
                          Val::list(std::move(extras))});
    return Val::err(Val::variant(kind, Val::variant(1, std::move(db))));
  }
  return Val::err(Val::variant(kind, Val::string(f.message)));
}

// ---- calls ------------------------------------------------------------------------------------

Val open(HostCall& c, Version v) {
  const std::string& address = c.args[0].as_string();
  const SpinComponent* sc = c.instance.find<SpinComponent>();
  if (auto denied = pg::check_address(address, sc ? sc->allowed_hosts : nullptr))
    return error_val(v, *denied);
  PostgresState& state = c.instance.state<PostgresState>();
  auto it = state.by_address.find(address);
  if (it == state.by_address.end()) {
    auto conn = pg::Connection::pooled(address, sc != nullptr ? sc->id : std::string());
    if (auto* f = std::get_if<pg::Failure>(&conn)) return error_val(v, *f);
    it = state.by_address.emplace(address, std::move(std::get<0>(conn))).first;
  }
  return Val::ok(Val::own(state.handles.insert(it->second.get())));
}

// The connection behind `self` and the 4.0.0 parameters; nullopt with `out` set on failure.
pg::Connection* prepare(HostCall& c, Version v, std::vector<Val>& params, Val& out) {
  pg::Connection** conn = c.instance.state<PostgresState>().handles.get(c.args[0].rep());
  if (conn == nullptr) {
    out = error_val(v, {pg::Failure::Kind::kConnectionFailed, "no connection found", {}});
    return nullptr;
  }
  for (const Val& p : c.args[2].items()) {
    auto converted = param_to_v4(v, p);
    if (!converted) {
      out = error_val(v, {pg::Failure::Kind::kValueConversionFailed,
                          "Postgres does not support unsigned integers",
                          {}});
      return nullptr;
    }
    params.push_back(std::move(*converted));
  }
  return *conn;
}

// ---- types ----------------------------------------------------------------------------------

struct Types {
  component::TypePtr param, row_set, error;
};

Types types_v4() {
  auto rbk = ty::enum_({"inclusive", "exclusive"});
  auto range = [&](component::TypePtr t) {
    auto bound = ty::option(ty::tuple({t, rbk}));
    return ty::tuple({bound, bound});
  };
  auto arr = [](component::TypePtr t) { return ty::list(ty::option(t)); };
  auto interval = ty::record({{"micros", ty::s64()}, {"days", ty::s32()}, {"months", ty::s32()}});
  auto date = ty::tuple({ty::s32(), ty::u8(), ty::u8()});
  auto time = ty::tuple({ty::u8(), ty::u8(), ty::u8(), ty::u32()});
  auto datetime =
      ty::tuple({ty::s32(), ty::u8(), ty::u8(), ty::u8(), ty::u8(), ty::u8(), ty::u32()});
  auto bytes = ty::list(ty::u8());
  auto s = ty::string();
  // db-value is parameter-value plus `unsupported`.
  std::vector<component::Type::Case> cases{{"boolean", ty::bool_()},
                                           {"int8", ty::s8()},
                                           {"int16", ty::s16()},
                                           {"int32", ty::s32()},
                                           {"int64", ty::s64()},
                                           {"floating32", ty::f32()},
                                           {"floating64", ty::f64()},
                                           {"str", s},
                                           {"binary", bytes},
                                           {"date", date},
                                           {"time", time},
                                           {"datetime", datetime},
                                           {"timestamp", ty::s64()},
                                           {"uuid", s},
                                           {"jsonb", bytes},
                                           {"decimal", s},
                                           {"range-int32", range(ty::s32())},
                                           {"range-int64", range(ty::s64())},
                                           {"range-decimal", range(s)},
                                           {"array-int32", arr(ty::s32())},
                                           {"array-int64", arr(ty::s64())},
                                           {"array-decimal", arr(s)},
                                           {"array-str", arr(s)},
                                           {"interval", interval},
                                           {"db-null", nullptr}};
  auto param = *component::Type::variant(cases);
  cases.push_back({"unsupported", bytes});
  auto value = *component::Type::variant(cases);
  auto data_type = ty::variant({{"boolean", nullptr},
                                {"int8", nullptr},
                                {"int16", nullptr},
                                {"int32", nullptr},
                                {"int64", nullptr},
                                {"floating32", nullptr},
                                {"floating64", nullptr},
                                {"str", nullptr},
                                {"binary", nullptr},
                                {"date", nullptr},
                                {"time", nullptr},
                                {"datetime", nullptr},
                                {"timestamp", nullptr},
                                {"uuid", nullptr},
                                {"jsonb", nullptr},
                                {"decimal", nullptr},
                                {"range-int32", nullptr},
                                {"range-int64", nullptr},
                                {"range-decimal", nullptr},
                                {"array-int32", nullptr},
                                {"array-int64", nullptr},
                                {"array-decimal", nullptr},
                                {"array-str", nullptr},
                                {"interval", nullptr},
                                {"other", s}});
  auto column = ty::record({{"name", s}, {"data-type", data_type}});
  auto row_set = ty::record({{"columns", ty::list(column)}, {"rows", ty::list(ty::list(value))}});
  auto db_error = ty::record({{"as-text", s},
                              {"severity", s},
                              {"code", s},
                              {"message", s},
                              {"detail", ty::option(s)},
                              {"extras", ty::list(ty::tuple({s, s}))}});
  auto query_error = ty::variant({{"text", s}, {"db-error", db_error}});
  auto error = ty::variant({{"connection-failed", s},
                            {"bad-parameter", s},
                            {"query-failed", query_error},
                            {"value-conversion-failed", s},
                            {"other", s}});
  return {param, row_set, error};
}

component::TypePtr string_error() {
  auto s = ty::string();
  return ty::variant({{"connection-failed", s},
                      {"bad-parameter", s},
                      {"query-failed", s},
                      {"value-conversion-failed", s},
                      {"other", s}});
}

Types types_v3() {
  auto date = ty::tuple({ty::s32(), ty::u8(), ty::u8()});
  auto time = ty::tuple({ty::u8(), ty::u8(), ty::u8(), ty::u32()});
  auto datetime =
      ty::tuple({ty::s32(), ty::u8(), ty::u8(), ty::u8(), ty::u8(), ty::u8(), ty::u32()});
  auto bytes = ty::list(ty::u8());
  auto s = ty::string();
  auto param = ty::variant({{"boolean", ty::bool_()},
                            {"int8", ty::s8()},
                            {"int16", ty::s16()},
                            {"int32", ty::s32()},
                            {"int64", ty::s64()},
                            {"floating32", ty::f32()},
                            {"floating64", ty::f64()},
                            {"str", s},
                            {"binary", bytes},
                            {"date", date},
                            {"time", time},
                            {"datetime", datetime},
                            {"timestamp", ty::s64()},
                            {"db-null", nullptr}});
  auto value = ty::variant({{"boolean", ty::bool_()},
                            {"int8", ty::s8()},
                            {"int16", ty::s16()},
                            {"int32", ty::s32()},
                            {"int64", ty::s64()},
                            {"floating32", ty::f32()},
                            {"floating64", ty::f64()},
                            {"str", s},
                            {"binary", bytes},
                            {"date", date},
                            {"time", time},
                            {"datetime", datetime},
                            {"timestamp", ty::s64()},
                            {"db-null", nullptr},
                            {"unsupported", nullptr}});
  auto data_type =
      ty::enum_({"boolean", "int8", "int16", "int32", "int64", "floating32", "floating64", "str",
                 "binary", "date", "time", "datetime", "timestamp", "other"});
  auto column = ty::record({{"name", s}, {"data-type", data_type}});
  auto row_set = ty::record({{"columns", ty::list(column)}, {"rows", ty::list(ty::list(value))}});
  return {param, row_set, string_error()};
}

Types types_v2() {
  auto bytes = ty::list(ty::u8());
  auto s = ty::string();
  auto param = ty::variant({{"boolean", ty::bool_()},
                            {"int8", ty::s8()},
                            {"int16", ty::s16()},
                            {"int32", ty::s32()},
                            {"int64", ty::s64()},
                            {"uint8", ty::u8()},
                            {"uint16", ty::u16()},
                            {"uint32", ty::u32()},
                            {"uint64", ty::u64()},
                            {"floating32", ty::f32()},
                            {"floating64", ty::f64()},
                            {"str", s},
                            {"binary", bytes},
                            {"db-null", nullptr}});
  auto value = ty::variant({{"boolean", ty::bool_()},
                            {"int8", ty::s8()},
                            {"int16", ty::s16()},
                            {"int32", ty::s32()},
                            {"int64", ty::s64()},
                            {"uint8", ty::u8()},
                            {"uint16", ty::u16()},
                            {"uint32", ty::u32()},
                            {"uint64", ty::u64()},
                            {"floating32", ty::f32()},
                            {"floating64", ty::f64()},
                            {"str", s},
                            {"binary", bytes},
                            {"db-null", nullptr},
                            {"unsupported", nullptr}});
  auto data_type =
      ty::enum_({"boolean", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                 "uint64", "floating32", "floating64", "str", "binary", "other"});
  auto column = ty::record({{"name", s}, {"data-type", data_type}});
  auto row_set = ty::record({{"columns", ty::list(column)}, {"rows", ty::list(ty::list(value))}});
  return {param, row_set, string_error()};
}

void register_version(component::HostRegistry& registry, std::string_view name, Version v,
                      const Types& t) {
  component::HostInterface& iface = registry.add(name);
  iface.run_off_loop();  // synchronous backend client
  auto connection =
      iface.resource("connection", [](component::InstanceState& inst, uint32_t rep) -> Status {
        if (!inst.state<PostgresState>().handles.remove(rep))
          return fail("dropping unknown postgres connection {}", rep);
        return {};
      });
  auto self = ty::borrow(connection);
  auto params = ty::list(t.param);
  iface.function("[static]connection.open",
                 ty::func({{"address", ty::string()}}, {ty::result(ty::own(connection), t.error)}),
                 [v](HostCall& c) -> Status {
                   c.results.push_back(open(c, v));
                   return {};
                 });
  iface.function("[method]connection.query",
                 ty::func({{"self", self}, {"statement", ty::string()}, {"params", params}},
                          {ty::result(t.row_set, t.error)}),
                 [v](HostCall& c) -> Status {
                   std::vector<Val> p;
                   Val out;
                   pg::Connection* conn = prepare(c, v, p, out);
                   if (conn != nullptr) {
                     auto got = conn->query(c.args[1].as_string(), p);
                     if (auto* f = std::get_if<pg::Failure>(&got))
                       out = error_val(v, *f);
                     else
                       out = Val::ok(row_set_from_v4(v, std::get<Val>(got)));
                   }
                   c.results.push_back(std::move(out));
                   return {};
                 });
  iface.function("[method]connection.execute",
                 ty::func({{"self", self}, {"statement", ty::string()}, {"params", params}},
                          {ty::result(ty::u64(), t.error)}),
                 [v](HostCall& c) -> Status {
                   std::vector<Val> p;
                   Val out;
                   pg::Connection* conn = prepare(c, v, p, out);
                   if (conn != nullptr) {
                     auto got = conn->execute(c.args[1].as_string(), p);
                     if (auto* f = std::get_if<pg::Failure>(&got))
                       out = error_val(v, *f);
                     else
                       out = Val::ok(Val::u64(std::get<uint64_t>(got)));
                   }
                   c.results.push_back(std::move(out));
                   return {};
                 });
}

}  // namespace

void register_spin_postgres(component::HostRegistry& registry) {
  // Versioned names: the three interfaces share a name but not their types (host.h finds an
  // exact "name@version" before the unversioned name).
  Types v4 = types_v4();
  register_version(registry, "spin:postgres/postgres@4.0.0", Version::k4, v4);
  register_version(registry, "spin:postgres/postgres@4.1.0", Version::k4, v4);
  register_version(registry, "spin:postgres/postgres@3.0.0", Version::k3, types_v3());
  register_version(registry, "fermyon:spin/postgres", Version::k2, types_v2());
  registry.add("fermyon:spin/rdbms-types");  // types only
}

}  // namespace lepton::factors
