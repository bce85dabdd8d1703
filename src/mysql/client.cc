#include "mysql/client.h"

#include <fmt/format.h>
#include <mysql.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <limits>

#include "outbound/ca_bundle.h"
#include "outbound/client_tls.h"
#include "outbound/outbound.h"

namespace lepton::mysql {

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percent_decode(std::string_view s, std::string_view what) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    int hi = i + 1 < s.size() ? hex(s[i + 1]) : -1;
    int lo = i + 2 < s.size() ? hex(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) return fail("bad %-escape in {}", what);
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The Debug spelling of mysql_async's server errors, which Spin puts in query-failed messages.
std::string server_error(unsigned code, const char* message, const char* state) {
  if (code >= 2000) return fmt::format("Driver(\"{}\")", message);
  return fmt::format("Server(ServerError {{ code: {}, message: \"{}\", state: \"{}\" }})", code,
                     message, state);
}

DbError stmt_error(ErrorKind kind, MYSQL_STMT* stmt) {
  return DbError{kind, server_error(mysql_stmt_errno(stmt), mysql_stmt_error(stmt),
                                    mysql_stmt_sqlstate(stmt))};
}

// Spin's convert_data_type (numeric and character types; everything else is `other`).
DataType data_type(const MYSQL_FIELD& f) {
  bool is_unsigned = (f.flags & UNSIGNED_FLAG) != 0;
  bool binary = (f.flags & BINARY_FLAG) != 0;
  switch (f.type) {
    case MYSQL_TYPE_DOUBLE:
      return DataType::kFloating64;
    case MYSQL_TYPE_FLOAT:
      return DataType::kFloating32;
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
      return is_unsigned ? DataType::kUint32 : DataType::kInt32;
    case MYSQL_TYPE_LONGLONG:
      return is_unsigned ? DataType::kUint64 : DataType::kInt64;
    case MYSQL_TYPE_SHORT:
      return is_unsigned ? DataType::kUint16 : DataType::kInt16;
    case MYSQL_TYPE_TINY:
      return is_unsigned ? DataType::kUint8 : DataType::kInt8;
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_VAR_STRING:
      return binary ? DataType::kBinary : DataType::kStr;
    case MYSQL_TYPE_LONG_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
      return DataType::kBinary;
    default:
      return DataType::kOther;
  }
}

bool is_integer(DataType t) { return t >= DataType::kInt8 && t <= DataType::kUint64; }

template <typename T>
std::optional<Value> narrow(int64_t v, bool is_unsigned) {
  if (is_unsigned) {
    uint64_t u = static_cast<uint64_t>(v);
    if (u > static_cast<uint64_t>(std::numeric_limits<T>::max())) return std::nullopt;
    return Value{static_cast<T>(u)};
  }
  if constexpr (std::is_unsigned_v<T>) {
    if (v < 0 || static_cast<uint64_t>(v) > std::numeric_limits<T>::max()) return std::nullopt;
  } else {
    if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) return std::nullopt;
  }
  return Value{static_cast<T>(v)};
}

std::optional<Value> integer_value(DataType t, int64_t v, bool is_unsigned) {
  switch (t) {
    case DataType::kInt8:
      return narrow<int8_t>(v, is_unsigned);
    case DataType::kInt16:
      return narrow<int16_t>(v, is_unsigned);
    case DataType::kInt32:
      return narrow<int32_t>(v, is_unsigned);
    case DataType::kInt64:
      return narrow<int64_t>(v, is_unsigned);
    case DataType::kUint8:
      return narrow<uint8_t>(v, is_unsigned);
    case DataType::kUint16:
      return narrow<uint16_t>(v, is_unsigned);
    case DataType::kUint32:
      return narrow<uint32_t>(v, is_unsigned);
    default:
      return narrow<uint64_t>(v, is_unsigned);
  }
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (size_t k = 1; k < n; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += n;
  }
  return true;
}

struct Stmt {
  MYSQL_STMT* stmt;
  ~Stmt() {
    if (stmt) mysql_stmt_close(stmt);
  }
};

// Prepares and runs `statement` with `params`; errors are query-failed, as in Spin.
std::optional<DbError> run(MYSQL_STMT* stmt, std::string_view statement,
                           const std::vector<Value>& params) {
  if (mysql_stmt_prepare(stmt, statement.data(), statement.size()) != 0)
    return stmt_error(ErrorKind::kQueryFailed, stmt);
  unsigned long wanted = mysql_stmt_param_count(stmt);
  if (wanted != params.size())
    return DbError{ErrorKind::kQueryFailed,
                   fmt::format("Driver(StmtParamsMismatch {{ required: {}, supplied: {} }})",
                               wanted, params.size())};
  std::vector<MYSQL_BIND> binds(params.size());
  std::vector<std::array<char, 8>> scalars(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    MYSQL_BIND& b = binds[i];
    std::memset(&b, 0, sizeof b);
    char* slot = scalars[i].data();
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, Null>) {
            b.buffer_type = MYSQL_TYPE_NULL;
          } else if constexpr (std::is_same_v<T, std::string>) {
            b.buffer_type = MYSQL_TYPE_STRING;
            b.buffer = const_cast<char*>(v.data());
            b.buffer_length = v.size();
          } else if constexpr (std::is_same_v<T, Binary>) {
            b.buffer_type = MYSQL_TYPE_BLOB;
            b.buffer = const_cast<char*>(v.bytes.data());
            b.buffer_length = v.bytes.size();
          } else if constexpr (std::is_same_v<T, bool>) {
            b.buffer_type = MYSQL_TYPE_TINY;
            slot[0] = v ? 1 : 0;
            b.buffer = slot;
          } else {
            std::memcpy(slot, &v, sizeof v);
            b.buffer = slot;
            b.is_unsigned = std::is_unsigned_v<T>;
            if constexpr (std::is_same_v<T, float>)
              b.buffer_type = MYSQL_TYPE_FLOAT;
            else if constexpr (std::is_same_v<T, double>)
              b.buffer_type = MYSQL_TYPE_DOUBLE;
            else if constexpr (sizeof(T) == 1)
              b.buffer_type = MYSQL_TYPE_TINY;
            else if constexpr (sizeof(T) == 2)
              b.buffer_type = MYSQL_TYPE_SHORT;
            else if constexpr (sizeof(T) == 4)
              b.buffer_type = MYSQL_TYPE_LONG;
            else
              b.buffer_type = MYSQL_TYPE_LONGLONG;
          }
        },
        params[i]);
  }
  if (!binds.empty() && mysql_stmt_bind_param(stmt, binds.data()) != 0)
    return stmt_error(ErrorKind::kQueryFailed, stmt);
  if (mysql_stmt_execute(stmt) != 0) return stmt_error(ErrorKind::kQueryFailed, stmt);
  return std::nullopt;
}

}  // namespace

Result<Address> parse_address(std::string_view url) {
  constexpr std::string_view kScheme = "mysql://";
  if (!url.starts_with(kScheme))
    return fail("MySQL address \"{}\" does not start with mysql://", url);
  std::string_view rest = url.substr(kScheme.size());
  Address a;
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view path;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    std::string_view user = userinfo, password;
    if (size_t colon = userinfo.find(':'); colon != std::string_view::npos) {
      user = userinfo.substr(0, colon);
      password = userinfo.substr(colon + 1);
    }
    LEPTON_TRY(a.user, percent_decode(user, "user"));
    LEPTON_TRY(a.password, percent_decode(password, "password"));
  }
  std::string_view port;
  if (rest.starts_with('[')) {
    size_t close = rest.find(']');
    if (close == std::string_view::npos)
      return fail("MySQL address \"{}\": unclosed [ in host", url);
    a.host = std::string(rest.substr(1, close - 1));
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return fail("MySQL address \"{}\": junk after ]", url);
      port = after.substr(1);
    }
  } else {
    size_t colon = rest.find(':');
    a.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port = rest.substr(colon + 1);
  }
  if (a.host.empty()) return fail("MySQL address \"{}\" has no host", url);
  if (!port.empty()) {
    unsigned long p = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return fail("MySQL address \"{}\": bad port \"{}\"", url, port);
      p = p * 10 + static_cast<unsigned long>(c - '0');
      if (p > 65535) return fail("MySQL address \"{}\": bad port \"{}\"", url, port);
    }
    a.port = static_cast<uint16_t>(p);
  }
  LEPTON_TRY(a.database, percent_decode(path, "database"));
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string key = lower(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : lower(pair.substr(eq + 1));
    if (key == "ssl-mode" || key == "sslmode") a.tls = value != "disabled";
  }
  return a;
}

std::variant<std::unique_ptr<Client>, DbError> Client::connect(const Address& address,
                                                               std::string_view component_id) {
  MYSQL* m = mysql_init(nullptr);
  if (m == nullptr) return DbError{ErrorKind::kConnectionFailed, "out of memory"};
  unsigned protocol = MYSQL_PROTOCOL_TCP;
  unsigned connect_timeout = static_cast<unsigned>(kConnectTimeout.count());
  unsigned rw_timeout = static_cast<unsigned>(kReadWriteTimeout.count());
  mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &protocol);
  mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &rw_timeout);
  mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &rw_timeout);
  mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  if (address.tls) {
    // TLS on (mysql_ssl_set), enforced (no silent fall back to plain text) and verified: the
    // chain against the [[client_tls]] CAs, the name against the host (as mysql_async does).
    outbound::TlsClientConfig tls = outbound::tls_for(component_id, address.host, address.port);
    auto ca = outbound::ca_file_for(tls);
    if (!ca) {
      mysql_close(m);
      return DbError{ErrorKind::kConnectionFailed, ca.error().message};
    }
    std::string ca_file = ca->string();
    std::string ca_dir = tls.use_system_roots ? outbound::system_ca_dir().string() : "";
    std::string cert = tls.cert_chain_file ? tls.cert_chain_file->string() : "";
    std::string key = tls.private_key_file ? tls.private_key_file->string() : "";
    mysql_ssl_set(m, key.empty() ? nullptr : key.c_str(), cert.empty() ? nullptr : cert.c_str(),
                  ca_file.c_str(), ca_dir.empty() ? nullptr : ca_dir.c_str(), nullptr);
    my_bool on = 1;
    mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &on);
    mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
  }
  // [outbound_networking] block_networks: connect to an address that isn't blocked (resolved
  // here; the client library would resolve the name itself).
  std::string host = address.host;
  if (!outbound::blocked_networks().empty()) {
    auto addresses = outbound::resolve_allowed(address.host, address.port);
    if (!addresses) {
      mysql_close(m);
      return DbError{ErrorKind::kConnectionFailed, addresses.error().message};
    }
    host = outbound::ip_text(reinterpret_cast<const sockaddr*>(&addresses->front()));
  }
  if (mysql_real_connect(m, host.c_str(), address.user.c_str(), address.password.c_str(),
                         address.database.empty() ? nullptr : address.database.c_str(),
                         address.port, nullptr, 0) == nullptr) {
    DbError e{ErrorKind::kConnectionFailed,
              server_error(mysql_errno(m), mysql_error(m), mysql_sqlstate(m))};
    mysql_close(m);
    return e;
  }
  // libmariadb may fall back to plain text when the server offers no TLS, enforce or not:
  // a connection that asked for TLS and did not get it is refused here.
  if (address.tls && mysql_get_ssl_cipher(m) == nullptr) {
    mysql_close(m);
    return DbError{ErrorKind::kConnectionFailed,
                   "TLS was required (ssl-mode) but the server did not negotiate SSL/TLS"};
  }
  return std::unique_ptr<Client>(new Client(m));
}

Client::~Client() { mysql_close(mysql_); }

bool Client::reset() { return mysql_reset_connection(mysql_) == 0; }

std::optional<DbError> Client::execute(std::string_view statement,
                                       const std::vector<Value>& params) {
  Stmt s{mysql_stmt_init(mysql_)};
  if (s.stmt == nullptr) return DbError{ErrorKind::kConnectionFailed, mysql_error(mysql_)};
  if (auto e = run(s.stmt, statement, params)) return e;
  // A result set, if the statement has one, is read and dropped (as mysql_async's exec_batch).
  if (mysql_stmt_field_count(s.stmt) > 0) mysql_stmt_store_result(s.stmt);
  return std::nullopt;
}

std::variant<RowSet, DbError> Client::query(std::string_view statement,
                                            const std::vector<Value>& params, size_t max_bytes) {
  Stmt s{mysql_stmt_init(mysql_)};
  if (s.stmt == nullptr) return DbError{ErrorKind::kConnectionFailed, mysql_error(mysql_)};
  if (auto e = run(s.stmt, statement, params)) return *e;
  RowSet out;
  MYSQL_RES* meta = mysql_stmt_result_metadata(s.stmt);
  if (meta == nullptr) return out;  // no result set: no columns, no rows
  my_bool update_max = 1;
  mysql_stmt_attr_set(s.stmt, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max);
  if (mysql_stmt_store_result(s.stmt) != 0) {
    mysql_free_result(meta);
    return stmt_error(ErrorKind::kOther, s.stmt);
  }
  unsigned n = mysql_num_fields(meta);
  MYSQL_FIELD* fields = mysql_fetch_fields(meta);
  std::vector<MYSQL_BIND> binds(n);
  std::vector<std::string> buffers(n);
  std::vector<int64_t> ints(n);
  std::vector<float> floats(n);
  std::vector<double> doubles(n);
  std::vector<unsigned long> lengths(n);
  std::vector<my_bool> nulls(n);
  for (unsigned i = 0; i < n; ++i) {
    out.columns.push_back(
        Column{std::string(fields[i].name, fields[i].name_length), data_type(fields[i])});
    MYSQL_BIND& b = binds[i];
    std::memset(&b, 0, sizeof b);
    b.is_null = &nulls[i];
    b.length = &lengths[i];
    DataType t = out.columns.back().type;
    if (is_integer(t)) {
      b.buffer_type = MYSQL_TYPE_LONGLONG;
      b.buffer = &ints[i];
      b.is_unsigned = (fields[i].flags & UNSIGNED_FLAG) != 0;
    } else if (t == DataType::kFloating32) {
      b.buffer_type = MYSQL_TYPE_FLOAT;
      b.buffer = &floats[i];
    } else if (t == DataType::kFloating64) {
      b.buffer_type = MYSQL_TYPE_DOUBLE;
      b.buffer = &doubles[i];
    } else {
      buffers[i].resize(std::max<unsigned long>(fields[i].max_length, 64) + 1);
      b.buffer_type = MYSQL_TYPE_STRING;
      b.buffer = buffers[i].data();
      b.buffer_length = buffers[i].size();
    }
  }
  if (mysql_stmt_bind_result(s.stmt, binds.data()) != 0) {
    mysql_free_result(meta);
    return stmt_error(ErrorKind::kOther, s.stmt);
  }
  size_t bytes = 0;
  std::optional<DbError> failed;
  for (;;) {
    int r = mysql_stmt_fetch(s.stmt);
    if (r == MYSQL_NO_DATA) break;
    if (r == 1) {
      failed = stmt_error(ErrorKind::kOther, s.stmt);
      break;
    }
    std::vector<Value> row;
    for (unsigned i = 0; i < n && !failed; ++i) {
      const Column& col = out.columns[i];
      if (nulls[i]) {
        row.emplace_back(Null{});
        continue;
      }
      DataType t = col.type;
      if (is_integer(t)) {
        auto v = integer_value(t, ints[i], binds[i].is_unsigned);
        if (!v) {
          failed = DbError{ErrorKind::kValueConversionFailed,
                           fmt::format("Couldn't convert the value {} in column {} to {}", ints[i],
                                       col.name, static_cast<int>(t))};
          break;
        }
        row.push_back(*v);
        bytes += 8;
      } else if (t == DataType::kFloating32) {
        row.emplace_back(floats[i]);
        bytes += 4;
      } else if (t == DataType::kFloating64) {
        row.emplace_back(doubles[i]);
        bytes += 8;
      } else {
        std::string text(buffers[i].data(), std::min<size_t>(lengths[i], buffers[i].size()));
        bytes += text.size() + 16;
        if (t == DataType::kStr) {
          if (!valid_utf8(text)) {
            failed = DbError{ErrorKind::kValueConversionFailed,
                             fmt::format("Couldn't convert the value in column {} to a string: "
                                         "not valid UTF-8",
                                         col.name)};
            break;
          }
          row.emplace_back(std::move(text));
        } else if (t == DataType::kBinary) {
          row.emplace_back(Binary{std::move(text)});
        } else {
          failed = DbError{
              ErrorKind::kValueConversionFailed,
              fmt::format("Cannot convert value {} in column {} data type Other", text, col.name)};
          break;
        }
      }
    }
    if (failed) break;
    if (bytes > max_bytes) {
      failed = DbError{ErrorKind::kOther,
                       fmt::format("query result exceeds limit of {} bytes", max_bytes)};
      break;
    }
    out.rows.push_back(std::move(row));
  }
  mysql_free_result(meta);
  if (failed) return *failed;
  return out;
}

}  // namespace lepton::mysql
