// SQLite for components: fermyon:spin/sqlite@2.0.0 (Spin 2 SDKs) and spin:sqlite/sqlite@3.0.0
// (adds last-insert-rowid and changes). A `connection` resource is one SQLite connection to a
// label the component was granted (sqlite_access.h); Spin 1 modules use spin1_sqlite.cc.
#include "factors/spin_component.h"
#include "factors/sqlite_access.h"

namespace lepton::factors {

using component::HostCall;
using component::InstanceState;
using component::Val;
namespace ty = component::ty;

namespace {

using Conn = std::unique_ptr<sqlite::Connection>;

// Open connections of one request, per interface (their resource types differ).
struct SqliteState {
  component::ObjectTable<Conn> v2;
  component::ObjectTable<Conn> v3;
  size_t live() const { return v2.size() + v3.size(); }
};
using Table = component::ObjectTable<Conn> SqliteState::*;

SqliteAccess access_of(HostCall& c) {
  const SpinComponent* sc = c.instance.find<SpinComponent>();
  return sc == nullptr ? SqliteAccess{} : sc->sqlite;
}

Val error_val(const SqliteFailure& f) {
  auto index = static_cast<uint32_t>(f.kind);
  return f.kind == SqliteError::kIo ? Val::variant(index, Val::string(f.message))
                                    : Val::variant(index);
}

Result<sqlite::Value> lift_value(const Val& v) {
  const Val* p = v.payload();
  switch (v.case_index()) {
    case 0:
      return sqlite::Value::of_integer(p->as_int());
    case 1:
      return sqlite::Value::of_real(p->as_f64());
    case 2:
      return sqlite::Value::of_text(p->as_string());
    case 3:
      return sqlite::Value::of_blob(p->as_bytes());
    case 4:
      return sqlite::Value::null();
    default:
      return fail("sqlite: value case {} out of range", v.case_index());
  }
}

Val lower_value(const sqlite::Value& v) {
  auto index = static_cast<uint32_t>(v.kind);
  switch (v.kind) {
    case sqlite::Value::Kind::kInteger:
      return Val::variant(index, Val::s64(v.integer));
    case sqlite::Value::Kind::kReal:
      return Val::variant(index, Val::f64(v.real));
    case sqlite::Value::Kind::kText:
      return Val::variant(index, Val::string(v.bytes));
    case sqlite::Value::Kind::kBlob:
      return Val::variant(index, Val::bytes(v.bytes));
    case sqlite::Value::Kind::kNull:
      break;
  }
  return Val::variant(index);
}

Val lower_result(const sqlite::QueryResult& r) {
  std::vector<Val> columns;
  columns.reserve(r.columns.size());
  for (const auto& c : r.columns) columns.push_back(Val::string(c));
  std::vector<Val> rows;
  rows.reserve(r.rows.size());
  for (const auto& row : r.rows) {
    std::vector<Val> values;
    values.reserve(row.size());
    for (const auto& v : row) values.push_back(lower_value(v));
    rows.push_back(Val::record({Val::list(std::move(values))}));
  }
  return Val::record({Val::list(std::move(columns)), Val::list(std::move(rows))});
}

sqlite::Connection* connection_at(HostCall& c, Table table) {
  Conn* conn = (c.instance.state<SqliteState>().*table).get(c.args[0].rep());
  return conn == nullptr ? nullptr : conn->get();
}

// Registers `name` with the functions every generation has; returns the connection resource.
component::ResourcePtr register_connection(component::HostRegistry& registry, std::string_view name,
                                           Table table, component::HostInterface** out) {
  auto value = ty::variant({{"integer", ty::s64()},
                            {"real", ty::f64()},
                            {"text", ty::string()},
                            {"blob", ty::list(ty::u8())},
                            {"null", nullptr}});
  auto error = ty::variant({{"no-such-database", nullptr},
                            {"access-denied", nullptr},
                            {"invalid-connection", nullptr},
                            {"database-full", nullptr},
                            {"io", ty::string()}});
  auto row_result = ty::record({{"values", ty::list(value)}});
  auto query_result =
      ty::record({{"columns", ty::list(ty::string())}, {"rows", ty::list(row_result)}});
  component::HostInterface& iface = registry.add(name);
  iface.run_off_loop();  // synchronous backend client
  auto connection = iface.resource("connection", [table](InstanceState& inst, uint32_t rep) {
    if (!(inst.state<SqliteState>().*table).remove(rep))
      return Status(fail("sqlite: dropping unknown connection {}", rep));
    return Status();
  });
  iface.function("[static]connection.open",
                 ty::func({{"database", ty::string()}}, {ty::result(ty::own(connection), error)}),
                 [table](HostCall& c) -> Status {
                   if (c.args.empty()) return fail("sqlite: open expects a database label");
                   auto& state = c.instance.state<SqliteState>();
                   if (state.live() >= kMaxSqliteConnections) {
                     c.results.push_back(
                         Val::err(error_val({SqliteError::kIo, "too many connections opened"})));
                     return {};
                   }
                   auto opened = open_sqlite(access_of(c), c.args[0].as_string());
                   if (auto* f = std::get_if<SqliteFailure>(&opened)) {
                     c.results.push_back(Val::err(error_val(*f)));
                     return {};
                   }
                   uint32_t rep = (state.*table).insert(std::move(std::get<Conn>(opened)));
                   c.results.push_back(Val::ok(Val::own(rep)));
                   return {};
                 });
  iface.function(
      "[method]connection.execute",
      ty::func({{"self", ty::borrow(connection)},
                {"statement", ty::string()},
                {"parameters", ty::list(value)}},
               {ty::result(query_result, error)}),
      [table](HostCall& c) -> Status {
        if (c.args.size() < 3) return fail("sqlite: execute expects 3 arguments");
        sqlite::Connection* conn = connection_at(c, table);
        if (conn == nullptr) {
          c.results.push_back(Val::err(error_val({SqliteError::kInvalidConnection, {}})));
          return {};
        }
        std::vector<sqlite::Value> params;
        for (const Val& v : c.args[2].items()) {
          LEPTON_TRY(auto p, lift_value(v));
          params.push_back(std::move(p));
        }
        auto done = execute_sqlite(*conn, c.args[1].as_string(), params);
        if (auto* f = std::get_if<SqliteFailure>(&done)) {
          c.results.push_back(Val::err(error_val(*f)));
        } else {
          c.results.push_back(Val::ok(lower_result(std::get<sqlite::QueryResult>(done))));
        }
        return {};
      });
  *out = &iface;
  return connection;
}

}  // namespace

void register_spin_sqlite(component::HostRegistry& registry) {
  component::HostInterface* iface = nullptr;
  register_connection(registry, "fermyon:spin/sqlite", &SqliteState::v2, &iface);
  auto connection = register_connection(registry, "spin:sqlite/sqlite", &SqliteState::v3, &iface);
  iface->function("[method]connection.last-insert-rowid",
                  ty::func({{"self", ty::borrow(connection)}}, {ty::s64()}),
                  [](HostCall& c) -> Status {
                    sqlite::Connection* conn = connection_at(c, &SqliteState::v3);
                    if (conn == nullptr) return fail("sqlite: invalid connection");
                    c.results.push_back(Val::s64(conn->last_insert_rowid()));
                    return {};
                  });
  iface->function("[method]connection.changes",
                  ty::func({{"self", ty::borrow(connection)}}, {ty::u64()}),
                  [](HostCall& c) -> Status {
                    sqlite::Connection* conn = connection_at(c, &SqliteState::v3);
                    if (conn == nullptr) return fail("sqlite: invalid connection");
                    c.results.push_back(Val::u64(conn->changes()));
                    return {};
                  });
}

}  // namespace lepton::factors
