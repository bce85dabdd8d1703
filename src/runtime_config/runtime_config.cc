#include "runtime_config/runtime_config.h"

#include <fstream>
#include <sstream>

#include "manifest/toml_reader.h"

namespace lepton::runtime_config {

namespace fs = std::filesystem;
using manifest::detail::Ctx;
using manifest::detail::loc_of;
using manifest::detail::TableReader;

namespace {

struct Reader {
  const Ctx& ctx;
  fs::path base_dir;

  fs::path resolve(const std::string& p) const {
    fs::path path(p);
    return (path.is_absolute() ? path : base_dir / path).lexically_normal();
  }
  Result<std::optional<fs::path>> opt_path(const TableReader& r, std::string_view key) const {
    LEPTON_TRY(auto s, r.opt_string(key));
    if (!s) return std::optional<fs::path>{};
    return std::optional<fs::path>(resolve(*s));
  }
  // A sub-table such as [key_value_store.x], named in messages by its key path.
  Result<const toml::table*> table_at(const toml::node& node, std::string_view path) const {
    const toml::table* t = node.as_table();
    if (t == nullptr)
      return ctx.at(loc_of(node), "invalid type for '{}': expected a table, found {}", path,
                    manifest::detail::type_name(node));
    return t;
  }
  Result<std::string> type_of(const TableReader& r, std::initializer_list<std::string_view> known) {
    LEPTON_TRY(std::string type, r.string("type"));
    for (auto k : known)
      if (k == type) return type;
    std::string expected;
    for (auto k : known) expected += (expected.empty() ? "" : ", ") + std::string(k);
    return ctx.at(r.value_loc("type"), "unknown type '{}' in {} (expected one of: {})", type,
                  r.what(), expected);
  }

  Result<KeyValueStore> key_value_store(const toml::table& t, const std::string& what) {
    TableReader r(ctx, t, what);
    LEPTON_TRY(std::string type, type_of(r, {"spin", "redis"}));
    KeyValueStore out;
    if (type == "spin") {
      LEPTON_CHECK(r.check_keys({"type", "path"}));
      LEPTON_TRY(out.path, opt_path(r, "path"));
    } else {
      LEPTON_CHECK(r.check_keys({"type", "url"}));
      out.type = KeyValueStore::Type::kRedis;
      LEPTON_TRY(out.url, r.string("url"));
    }
    return out;
  }

  Result<SqliteDatabase> sqlite_database(const toml::table& t, const std::string& what) {
    TableReader r(ctx, t, what);
    LEPTON_TRY(std::string type, type_of(r, {"spin", "libsql"}));
    SqliteDatabase out;
    if (type == "spin") {
      LEPTON_CHECK(r.check_keys({"type", "path", "allow_attach_file"}));
      LEPTON_TRY(out.path, opt_path(r, "path"));
      LEPTON_TRY(auto attach, r.opt_bool("allow_attach_file"));
      out.allow_attach_file = attach.value_or(false);
    } else {
      LEPTON_CHECK(r.check_keys({"type", "url", "token"}));
      out.type = SqliteDatabase::Type::kLibsql;
      LEPTON_TRY(out.url, r.string("url"));
      LEPTON_TRY(out.token, r.string("token"));
    }
    return out;
  }

  Result<VariablesProvider> variables_provider(const toml::table& t, const std::string& what) {
    TableReader r(ctx, t, what);
    LEPTON_TRY(std::string type, type_of(r, {"env", "static", "vault"}));
    VariablesProvider out;
    if (type == "env") {
      LEPTON_CHECK(r.check_keys({"type", "prefix", "dotenv_path"}));
      LEPTON_TRY(out.prefix, r.opt_string("prefix"));
      LEPTON_TRY(out.dotenv_path, opt_path(r, "dotenv_path"));
    } else if (type == "static") {
      LEPTON_CHECK(r.check_keys({"type", "values"}));
      out.type = VariablesProvider::Type::kStatic;
      LEPTON_TRY(auto values, r.string_table("values"));
      for (auto& e : values) out.values[e.key] = e.value;
    } else {
      LEPTON_CHECK(r.check_keys({"type", "url", "token", "mount", "prefix"}));
      out.type = VariablesProvider::Type::kVault;
      LEPTON_TRY(out.url, r.string("url"));
      LEPTON_TRY(out.token, r.string("token"));
      LEPTON_TRY(out.mount, r.opt_string("mount"));
      LEPTON_TRY(out.prefix, r.opt_string("prefix"));
    }
    return out;
  }

  Result<LlmCompute> llm_compute(const toml::table& t) {
    TableReader r(ctx, t, "[llm_compute]");
    LEPTON_TRY(std::string type, type_of(r, {"spin", "remote_http"}));
    LlmCompute out;
    if (type == "spin") {
      LEPTON_CHECK(r.check_keys({"type"}));
    } else {
      LEPTON_CHECK(r.check_keys({"type", "url", "auth_token", "api_type"}));
      out.type = LlmCompute::Type::kRemoteHttp;
      LEPTON_TRY(out.url, r.string("url"));
      LEPTON_TRY(out.auth_token, r.string("auth_token"));
      LEPTON_TRY(auto api_type, r.opt_string("api_type"));
      if (api_type) {
        if (*api_type != "default" && *api_type != "open_ai")
          return ctx.at(r.value_loc("api_type"),
                        "unknown api_type '{}' in [llm_compute] (expected one of: default, "
                        "open_ai)",
                        *api_type);
        out.api_type = *api_type;
      }
    }
    return out;
  }

  Result<ClientTls> client_tls(const toml::table& t, const std::string& what) {
    TableReader r(ctx, t, what);
    LEPTON_CHECK(r.check_keys({"component_ids", "hosts", "ca_use_webpki_roots", "ca_roots_file",
                               "cert_chain_file", "private_key_file"}));
    ClientTls out;
    LEPTON_TRY(out.component_ids, r.string_array("component_ids"));
    LEPTON_TRY(out.hosts, r.string_array("hosts"));
    LEPTON_TRY(out.ca_use_webpki_roots, r.opt_bool("ca_use_webpki_roots"));
    LEPTON_TRY(out.ca_roots_file, opt_path(r, "ca_roots_file"));
    LEPTON_TRY(out.cert_chain_file, opt_path(r, "cert_chain_file"));
    LEPTON_TRY(out.private_key_file, opt_path(r, "private_key_file"));
    if (out.cert_chain_file.has_value() != out.private_key_file.has_value())
      return ctx.at(r.loc(), "{}: cert_chain_file and private_key_file must be given together",
                    what);
    return out;
  }

  // An array of tables ([[x]]), each element read by `read`.
  template <typename T, typename F>
  Status array_of_tables(const TableReader& root, std::string_view key, std::vector<T>& out,
                         F read) {
    const toml::node* node = root.get(key);
    if (node == nullptr) return {};
    const toml::array* array = node->as_array();
    if (array == nullptr) return root.wrong_type(key, "an array of tables");
    for (size_t i = 0; i < array->size(); ++i) {
      std::string what = fmt::format("{}[{}]", key, i);
      LEPTON_TRY(const toml::table* t, table_at(*array->get(i), what));
      LEPTON_TRY(T item, read(*t, what));
      out.push_back(std::move(item));
    }
    return {};
  }

  // A table of labelled tables ([x.<label>]).
  template <typename T, typename F>
  Status labelled_tables(const TableReader& root, std::string_view key,
                         std::map<std::string, T>& out, F read) {
    LEPTON_TRY(const toml::table* t, root.opt_table(key));
    if (t == nullptr) return {};
    for (auto [label, node] : TableReader::ordered(*t)) {
      std::string what = fmt::format("{}.{}", key, label->str());
      LEPTON_TRY(const toml::table* entry, table_at(*node, what));
      LEPTON_TRY(T item, read(*entry, what));
      out.emplace(std::string(label->str()), std::move(item));
    }
    return {};
  }
};

// "512MiB", "4GiB" or a number of bytes.
Result<uint64_t> memory_size(const Ctx& ctx, const TableReader& r) {
  const toml::node* n = r.get("max_instance_memory");
  if (auto i = n->value<int64_t>()) {
    if (*i <= 0)
      return ctx.at(r.value_loc("max_instance_memory"), "max_instance_memory must be > 0");
    return static_cast<uint64_t>(*i);
  }
  auto s = n->value<std::string>();
  if (!s) return r.wrong_type("max_instance_memory", "integer or string");
  size_t digits = 0;
  while (digits < s->size() && std::isdigit(static_cast<unsigned char>((*s)[digits]))) ++digits;
  std::string unit = s->substr(digits);
  static const std::map<std::string, uint64_t> kUnits = {{"", 1},
                                                         {"B", 1},
                                                         {"KB", 1000},
                                                         {"MB", 1000000},
                                                         {"GB", 1000000000},
                                                         {"KiB", 1ull << 10},
                                                         {"MiB", 1ull << 20},
                                                         {"GiB", 1ull << 30}};
  auto unit_it = kUnits.find(unit);
  if (digits == 0 || unit_it == kUnits.end() || digits > 12)
    return ctx.at(r.value_loc("max_instance_memory"),
                  "invalid max_instance_memory '{}' (bytes, or with KiB/MiB/GiB)", *s);
  return std::stoull(s->substr(0, digits)) * unit_it->second;
}

}  // namespace

Result<RuntimeConfig> parse(std::string_view toml_text, const fs::path& file,
                            const fs::path& base_dir) {
  Ctx ctx(file.string());
  toml::table doc;
  try {
    doc = toml::parse(toml_text, file.string());
  } catch (const toml::parse_error& e) {
    return ctx.at(loc_of(e.source()), "TOML parse error: {}", e.description());
  } catch (const std::exception& e) {
    return ctx.at({}, "TOML parse error: {}", e.what());
  }
  Reader reader{ctx, base_dir};
  TableReader root(ctx, doc, "the runtime config");
  LEPTON_CHECK(root.check_keys({"state_dir", "log_dir", "max_instance_memory", "key_value_store",
                                "sqlite_database", "variables_provider", "llm_compute",
                                "outbound_http", "outbound_networking", "client_tls"}));
  RuntimeConfig config;
  config.file = file;
  LEPTON_TRY(config.state_dir, reader.opt_path(root, "state_dir"));
  LEPTON_TRY(config.log_dir, reader.opt_path(root, "log_dir"));
  if (root.has("max_instance_memory")) {
    LEPTON_TRY(config.max_instance_memory, memory_size(ctx, root));
  }
  LEPTON_CHECK(reader.labelled_tables(
      root, "key_value_store", config.key_value_stores,
      [&](const toml::table& t, const std::string& w) { return reader.key_value_store(t, w); }));
  LEPTON_CHECK(reader.labelled_tables(
      root, "sqlite_database", config.sqlite_databases,
      [&](const toml::table& t, const std::string& w) { return reader.sqlite_database(t, w); }));
  LEPTON_CHECK(reader.array_of_tables(
      root, "variables_provider", config.variables_providers,
      [&](const toml::table& t, const std::string& w) { return reader.variables_provider(t, w); }));
  LEPTON_CHECK(reader.array_of_tables(
      root, "client_tls", config.client_tls,
      [&](const toml::table& t, const std::string& w) { return reader.client_tls(t, w); }));
  if (root.has("llm_compute")) {
    LEPTON_TRY(const toml::table* t, reader.table_at(*root.get("llm_compute"), "llm_compute"));
    LEPTON_TRY(config.llm_compute, reader.llm_compute(*t));
  }
  if (root.has("outbound_http")) {
    LEPTON_TRY(const toml::table* t, reader.table_at(*root.get("outbound_http"), "outbound_http"));
    TableReader r(ctx, *t, "[outbound_http]");
    LEPTON_CHECK(r.check_keys({"connection_pooling", "max_concurrent_requests"}));
    OutboundHttp out;
    LEPTON_TRY(out.connection_pooling, r.opt_bool("connection_pooling"));
    LEPTON_TRY(out.max_concurrent_requests, r.opt_int("max_concurrent_requests"));
    config.outbound_http = out;
  }
  if (root.has("outbound_networking")) {
    LEPTON_TRY(const toml::table* t,
               reader.table_at(*root.get("outbound_networking"), "outbound_networking"));
    TableReader r(ctx, *t, "[outbound_networking]");
    LEPTON_CHECK(r.check_keys({"block_networks"}));
    LEPTON_TRY(config.block_networks, r.string_array("block_networks"));
  }
  return config;
}

Result<RuntimeConfig> load(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail("cannot read runtime config file '{}'", file.string());
  std::stringstream text;
  text << in.rdbuf();
  fs::path abs = fs::absolute(file).lexically_normal();
  return parse(text.str(), file, abs.parent_path());
}

}  // namespace lepton::runtime_config
