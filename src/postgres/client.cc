#include "postgres/client.h"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>

#include "outbound/ca_bundle.h"
#include "outbound/client_tls.h"
#include "outbound/outbound.h"
#include "postgres/codec.h"

namespace lepton::postgres {

using component::Val;

namespace {

Failure failure(Failure::Kind kind, std::string message) {
  return Failure{kind, std::move(message), {}};
}
Failure connection_failed(std::string message) {
  return failure(Failure::Kind::kConnectionFailed, std::move(message));
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// The connection options of Spin's driver (tokio-postgres); libpq knows more, some of which
// read files on the host (service, passfile, sslkey, sslrootcert, ...): those are refused.
const std::set<std::string, std::less<>> kAllowedOptions{"host",
                                                         "hostaddr",
                                                         "port",
                                                         "dbname",
                                                         "user",
                                                         "password",
                                                         "options",
                                                         "application_name",
                                                         "sslmode",
                                                         "connect_timeout",
                                                         "keepalives",
                                                         "keepalives_idle",
                                                         "keepalives_interval",
                                                         "keepalives_count",
                                                         "tcp_user_timeout",
                                                         "target_session_attrs",
                                                         "channel_binding"};

using Options = std::vector<std::pair<std::string, std::string>>;

Outcome<Options> parse(const std::string& address) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(address.c_str(), &err);
  if (opts == nullptr) {
    std::string message = err ? trim(err) : "could not parse the connection string";
    if (err) PQfreemem(err);
    return connection_failed("invalid connection string: " + message);
  }
  Options out;
  std::optional<std::string> refused;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (!kAllowedOptions.contains(o->keyword)) {
      refused = o->keyword;
      break;
    }
    out.emplace_back(o->keyword, o->val);
  }
  PQconninfoFree(opts);
  if (refused)
    return connection_failed("invalid connection string: unknown option `" + *refused + "`");
  return out;
}

const std::string* option(const Options& opts, std::string_view name) {
  for (const auto& [k, v] : opts)
    if (k == name) return &v;
  return nullptr;
}

std::string field(const PGresult* r, int code) {
  const char* v = PQresultErrorField(r, code);
  return v ? v : "";
}

Failure query_failed(const PGresult* r, pg_conn* conn) {
  if (r == nullptr || PQresultErrorField(r, PG_DIAG_SQLSTATE) == nullptr) {
    std::string text = r ? trim(PQresultErrorMessage(r)) : trim(PQerrorMessage(conn));
    if (text.empty()) text = trim(PQerrorMessage(conn));
    return failure(Failure::Kind::kQueryFailed, text);
  }
  DbError db;
  db.severity = field(r, PG_DIAG_SEVERITY);
  db.code = field(r, PG_DIAG_SQLSTATE);
  db.message = field(r, PG_DIAG_MESSAGE_PRIMARY);
  if (const char* d = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL)) db.detail = d;
  const std::pair<const char*, int> extras[] = {
      {"column", PG_DIAG_COLUMN_NAME},      {"constraint", PG_DIAG_CONSTRAINT_NAME},
      {"routine", PG_DIAG_SOURCE_FUNCTION}, {"hint", PG_DIAG_MESSAGE_HINT},
      {"table", PG_DIAG_TABLE_NAME},        {"datatype", PG_DIAG_DATATYPE_NAME},
      {"schema", PG_DIAG_SCHEMA_NAME},      {"file", PG_DIAG_SOURCE_FILE},
      {"line", PG_DIAG_SOURCE_LINE},        {"where_", PG_DIAG_CONTEXT}};
  for (const auto& [name, code] : extras)
    if (const char* v = PQresultErrorField(r, code)) db.extras.emplace_back(name, v);
  db.as_text = "db error: " + db.severity + ": " + db.message;
  if (db.detail) db.as_text += "\nDETAIL: " + *db.detail;
  Failure f = failure(Failure::Kind::kQueryFailed, db.as_text);
  f.db = std::move(db);
  return f;
}

}  // namespace

std::optional<Failure> check_address(const std::string& address, const app::AllowedHosts* allowed) {
  auto parsed = parse(address);
  if (auto* f = std::get_if<Failure>(&parsed)) return *f;
  const Options& opts = std::get<Options>(parsed);
  const std::string* host = option(opts, "host");
  const std::string* hostaddr = option(opts, "hostaddr");
  if ((host == nullptr || host->empty()) && (hostaddr == nullptr || hostaddr->empty()))
    return connection_failed("both host and hostaddr are missing");
  std::vector<std::string> ports;
  if (const std::string* p = option(opts, "port")) ports = split(*p);
  for (const std::string* list : {host, hostaddr}) {
    if (list == nullptr || list->empty()) continue;
    std::vector<std::string> hosts = split(*list);
    for (size_t i = 0; i < hosts.size(); ++i) {
      const std::string& h = hosts[i];
      if (h.starts_with('/') || h.starts_with('@'))
        return connection_failed("Unix sockets are not supported on WebAssembly");
      std::string port_text = i < ports.size() ? ports[i] : ports.size() == 1 ? ports[0] : "";
      uint16_t port = 0;
      if (!port_text.empty()) {
        auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc() || end != port_text.data() + port_text.size())
          return connection_failed("invalid port `" + port_text + "`");
      }
      if (allowed == nullptr || !allowed->allows("postgres", h, port)) {
        std::string shown = h.find(':') != std::string::npos ? "[" + h + "]" : h;
        return connection_failed("address postgres://" + shown +
                                 (port_text.empty() ? "" : ":" + port_text) + " is not permitted");
      }
    }
  }
  return std::nullopt;
}

namespace {

// The host and port [[client_tls]] is looked up for: the first host (its name, else its
// hostaddr) and its port (5432 when none).
std::pair<std::string, uint16_t> tls_target(const Options& opts) {
  const std::string* host = option(opts, "host");
  const std::string* hostaddr = option(opts, "hostaddr");
  std::string h = host != nullptr && !host->empty()           ? split(*host)[0]
                  : hostaddr != nullptr && !hostaddr->empty() ? split(*hostaddr)[0]
                                                              : "";
  uint16_t port = 5432;
  if (const std::string* p = option(opts, "port")) {
    std::string first = split(*p)[0];
    uint16_t parsed = 0;
    auto [end, ec] = std::from_chars(first.data(), first.data() + first.size(), parsed);
    if (ec == std::errc() && end == first.data() + first.size() && parsed != 0) port = parsed;
  }
  return {h, port};
}

std::string tls_key(const outbound::TlsClientConfig& tls) {
  auto path = [](const std::optional<std::filesystem::path>& p) {
    return p ? p->string() : std::string("-");
  };
  return fmt::format("{}|{}|{}|{}", tls.use_system_roots, path(tls.ca_roots_file),
                     path(tls.cert_chain_file), path(tls.private_key_file));
}

pg_conn* connect_with(const Options& opts) {
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : opts) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  return PQconnectdbParams(keys.data(), values.data(), 0);
}

void set_option(Options& opts, const std::string& key, std::string value) {
  std::erase_if(opts, [&](const auto& kv) { return kv.first == key; });
  opts.emplace_back(key, std::move(value));
}

// What libpq files never come from the host's home directory (~/.postgresql/postgresql.crt).
constexpr const char* kNoClientCert = "/nonexistent/lepton-no-client-certificate";

}  // namespace

Outcome<std::unique_ptr<Connection>> Connection::open(const std::string& address,
                                                      std::string_view component_id) {
  auto parsed = parse(address);
  if (auto* f = std::get_if<Failure>(&parsed)) return *f;
  Options opts = std::move(std::get<Options>(parsed));
  auto [tls_host, tls_port] = tls_target(opts);
  // [outbound_networking] block_networks: resolve each host here, drop blocked addresses, and
  // pin libpq to the first one left (hostaddr), so it never connects into a blocked network.
  // (`host` stays: libpq verifies the server certificate against it.)
  if (!outbound::blocked_networks().empty()) {
    const std::string* host = option(opts, "host");
    const std::string* hostaddr = option(opts, "hostaddr");
    std::vector<std::string> pinned;
    for (const std::string& h : split(hostaddr != nullptr && !hostaddr->empty() ? *hostaddr
                                      : host != nullptr                         ? *host
                                                                                : "")) {
      auto addresses = outbound::resolve_allowed(h, 5432);
      if (!addresses) return connection_failed(addresses.error().message);
      pinned.push_back(outbound::ip_text(reinterpret_cast<const sockaddr*>(&addresses->front())));
    }
    std::string joined;
    for (const std::string& a : pinned) joined += (joined.empty() ? "" : ",") + a;
    std::erase_if(opts, [](const auto& kv) { return kv.first == "hostaddr"; });
    opts.emplace_back("hostaddr", joined);
  }
  if (option(opts, "connect_timeout") == nullptr) opts.emplace_back("connect_timeout", "10");
  opts.emplace_back("client_encoding", "UTF8");
  opts.emplace_back("gssencmode", "disable");
  opts.emplace_back("passfile", "/nonexistent/lepton-no-pgpass");  // never the host's ~/.pgpass
  // sslmode as Spin's driver reads it: TLS, when used, is verified (chain and host name).
  std::string sslmode = option(opts, "sslmode") ? *option(opts, "sslmode") : "prefer";
  bool plain_if_no_tls = sslmode == "prefer";
  if (sslmode == "prefer" || sslmode == "require") sslmode = "verify-full";
  set_option(opts, "sslmode", sslmode);
  if (sslmode != "disable") {
    outbound::TlsClientConfig tls = outbound::tls_for(component_id, tls_host, tls_port);
    auto ca = outbound::ca_file_for(tls);
    if (!ca) return connection_failed(ca.error().message);
    opts.emplace_back("sslrootcert", ca->string());
    opts.emplace_back("sslcert",
                      tls.cert_chain_file ? tls.cert_chain_file->string() : kNoClientCert);
    opts.emplace_back("sslkey",
                      tls.private_key_file ? tls.private_key_file->string() : kNoClientCert);
  }
  pg_conn* conn = connect_with(opts);
  if (conn != nullptr && PQstatus(conn) != CONNECTION_OK && plain_if_no_tls &&
      std::string_view(PQerrorMessage(conn)).find("server does not support SSL") !=
          std::string_view::npos) {
    // sslmode=prefer and the server has no TLS: plain text, as tokio-postgres does.
    PQfinish(conn);
    set_option(opts, "sslmode", "disable");
    conn = connect_with(opts);
  }
  if (conn == nullptr) return connection_failed("out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = trim(PQerrorMessage(conn));
    PQfinish(conn);
    return connection_failed(message);
  }
  auto out = std::unique_ptr<Connection>(new Connection(conn));
  out->pool_key_ = address + "\n" + tls_key(outbound::tls_for(component_id, tls_host, tls_port));
  return out;
}

Connection::~Connection() { PQfinish(conn_); }

namespace {
struct Pool {
  std::mutex mu;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>, std::less<>> idle;
};
Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: connections may be released at exit
  return *p;
}
}  // namespace

Outcome<std::unique_ptr<Connection>> Connection::pooled(const std::string& address,
                                                        std::string_view component_id) {
  std::string key = address;
  if (auto parsed = parse(address); auto* opts = std::get_if<Options>(&parsed)) {
    auto [host, port] = tls_target(*opts);
    key += "\n" + tls_key(outbound::tls_for(component_id, host, port));
  }
  while (true) {
    std::unique_ptr<Connection> conn;
    {
      Pool& p = pool();
      std::lock_guard lock(p.mu);
      auto it = p.idle.find(key);
      if (it == p.idle.end() || it->second.empty()) break;
      conn = std::move(it->second.back());
      it->second.pop_back();
    }
    PGresult* r = PQexec(conn->conn_, "DISCARD ALL");
    bool ok = r != nullptr && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (ok) return conn;
  }
  return open(address, component_id);
}

void Connection::release(const std::string&, std::unique_ptr<Connection> conn) {
  if (!conn || PQstatus(conn->conn_) != CONNECTION_OK ||
      PQtransactionStatus(conn->conn_) != PQTRANS_IDLE)
    return;
  Pool& p = pool();
  std::lock_guard lock(p.mu);
  const std::string key = conn->pool_key_;
  auto it = p.idle.find(key);
  if (it == p.idle.end()) {
    if (p.idle.size() >= kPoolAddresses) p.idle.erase(p.idle.begin());
    it = p.idle.emplace(key, std::vector<std::unique_ptr<Connection>>{}).first;
  }
  if (it->second.size() < kPoolPerAddress) it->second.push_back(std::move(conn));
}

namespace {

struct Prepared {
  std::vector<Oid> types;
  std::vector<std::optional<std::string>> storage;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
};

Outcome<Prepared> prepare(std::span<const Val> params) {
  Prepared p;
  for (size_t i = 0; i < params.size(); ++i) {
    auto encoded = encode_param(params[i]);
    if (!encoded)
      return failure(Failure::Kind::kBadParameter,
                     fmt::format("parameter {}: {}", i + 1, encoded.error().message));
    p.types.push_back(encoded->oid);
    p.storage.push_back(std::move(encoded->value));
    p.formats.push_back(1);
  }
  for (const auto& v : p.storage) {  // storage no longer moves: pointers are stable
    p.values.push_back(v ? v->data() : nullptr);
    p.lengths.push_back(v ? static_cast<int>(v->size()) : 0);
  }
  return p;
}

using ResultPtr = std::unique_ptr<PGresult, void (*)(PGresult*)>;

Outcome<ResultPtr> run(pg_conn* conn, const std::string& statement, std::span<const Val> params) {
  auto prepared = prepare(params);
  if (auto* f = std::get_if<Failure>(&prepared)) return *f;
  Prepared& p = std::get<Prepared>(prepared);
  ResultPtr r(PQexecParams(conn, statement.c_str(), static_cast<int>(p.types.size()),
                           p.types.data(), p.values.data(), p.lengths.data(), p.formats.data(), 1),
              PQclear);
  ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK && status != PGRES_EMPTY_QUERY)
    return query_failed(r.get(), conn);
  return r;
}

}  // namespace

std::string Connection::type_name(uint32_t type) {
  if (auto it = type_names_.find(type); it != type_names_.end()) return it->second;
  std::string name = std::to_string(type);
  std::string text = std::to_string(type);
  const char* values[] = {text.c_str()};
  ResultPtr r(
      PQexecParams(conn_, "SELECT typname::text FROM pg_catalog.pg_type WHERE oid = $1::oid", 1,
                   nullptr, values, nullptr, nullptr, 0),
      PQclear);
  if (r && PQresultStatus(r.get()) == PGRES_TUPLES_OK && PQntuples(r.get()) == 1)
    name = PQgetvalue(r.get(), 0, 0);
  type_names_[type] = name;
  return name;
}

Outcome<Val> Connection::query(const std::string& statement, std::span<const Val> params) {
  auto ran = run(conn_, statement, params);
  if (auto* f = std::get_if<Failure>(&ran)) return *f;
  PGresult* r = std::get<ResultPtr>(ran).get();
  std::vector<Val> columns, rows;
  if (PQresultStatus(r) == PGRES_TUPLES_OK) {
    int nfields = PQnfields(r);
    for (int c = 0; c < nfields; ++c) {
      uint32_t type = PQftype(r, c);
      std::string name = is_mapped_type(type) ? "" : type_name(type);
      columns.push_back(Val::record({Val::string(PQfname(r, c)), data_type(type, name)}));
    }
    int ntuples = PQntuples(r);
    for (int t = 0; t < ntuples; ++t) {
      std::vector<Val> row;
      for (int c = 0; c < nfields; ++c) {
        if (PQgetisnull(r, t, c)) {
          row.push_back(Val::variant(kDbNull));
          continue;
        }
        auto v = decode_value(
            PQftype(r, c),
            std::string_view(PQgetvalue(r, t, c), static_cast<size_t>(PQgetlength(r, t, c))));
        if (!v)
          return failure(Failure::Kind::kQueryFailed,
                         fmt::format("error deserializing column {}: {}", c, v.error().message));
        row.push_back(std::move(*v));
      }
      rows.push_back(Val::list(std::move(row)));
    }
  }
  return Val::record({Val::list(std::move(columns)), Val::list(std::move(rows))});
}

Outcome<uint64_t> Connection::execute(const std::string& statement, std::span<const Val> params) {
  auto ran = run(conn_, statement, params);
  if (auto* f = std::get_if<Failure>(&ran)) return *f;
  const char* n = PQcmdTuples(std::get<ResultPtr>(ran).get());
  return n != nullptr && *n != '\0' ? std::strtoull(n, nullptr, 10) : uint64_t{0};
}

}  // namespace lepton::postgres
