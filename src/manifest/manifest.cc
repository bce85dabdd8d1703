#include "manifest/manifest.h"

#include <toml++/toml.h>

#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "app/template.h"
#include "manifest/files.h"
#include "manifest/ids.h"
#include "manifest/raw.h"
#include "manifest/toml_reader.h"

namespace lepton::manifest {

namespace fs = std::filesystem;
using namespace detail;  // NOLINT(google-build-using-namespace)

namespace {

// ---- normalisation (Spin's normalize.rs) --------------------------------------------------------

void normalize_trigger_ids(RawManifest& m) {
  std::set<std::string> ids;
  for (const auto& t : m.triggers) ids.insert(t.id);
  std::map<std::string, int> counters;
  for (auto& t : m.triggers) {
    if (!t.id.empty()) continue;
    if (t.component && !t.component->inline_c) {
      std::string candidate = fmt::format("{}-{}-trigger", t.component->id, t.type);
      if (!ids.contains(candidate)) {
        t.id = candidate;
        ids.insert(candidate);
        continue;
      }
    }
    int& counter = counters.try_emplace(t.type, 1).first->second;
    while (true) {
      std::string id = fmt::format("{}-trigger{}", t.type, counter);
      if (!ids.contains(id)) {
        t.id = id;
        ids.insert(id);
        break;
      }
      ++counter;
    }
  }
}

void normalize_inline_components(RawManifest& m) {
  for (auto& t : m.triggers) {
    std::vector<RawComponentSpec*> specs;
    if (t.component) specs.push_back(&*t.component);
    for (auto& [role, list] : t.components) {
      for (auto& s : list) specs.push_back(&s);
    }
    bool multiple = specs.size() > 1;
    int counter = 1;
    for (RawComponentSpec* spec : specs) {
      if (!spec->inline_c) continue;
      std::string id = t.id + "-component";
      if (multiple || kebab_id_error(id) || m.components.contains(id)) {
        while (m.components.contains(fmt::format("inline-component{}", counter))) ++counter;
        id = fmt::format("inline-component{}", counter);
      }
      m.components.emplace(id, std::move(*spec->inline_c));
      spec->inline_c.reset();
      spec->id = id;
    }
  }
}

void apply_profile(RawManifest& m, const std::optional<std::string>& profile) {
  if (!profile) return;
  for (auto& [id, c] : m.components) {
    auto it = c.profiles.find(*profile);
    if (it == c.profiles.end()) continue;
    RawProfile& p = it->second;
    if (p.build_commands) {
      if (!c.build) c.build = RawBuild{};
      c.build->commands = *p.build_commands;
    }
    if (p.source) c.source = *p.source;
    for (auto& [k, v] : p.environment) c.environment[k] = v;
    for (auto& [k, v] : p.dependencies) c.dependencies[k] = v;
  }
}

// ---- building the App ---------------------------------------------------------------------------

class Builder {
 public:
  Builder(const Ctx& ctx, RawManifest& raw, const fs::path& manifest_path, const Options& options)
      : ctx_(ctx), raw_(raw), options_(options) {
    app_.manifest_path = manifest_path;
    app_.dir = manifest_path.parent_path();
  }

  Result<app::App> build();

 private:
  Status build_globals();
  Result<app::Component> build_component(const std::string& id, RawComponent& c);
  Status build_dependencies(const std::string& id, RawComponent& c, app::Component* out);
  Result<std::vector<std::string>> outbound_hosts(const std::string& id, const RawComponent& c);
  Status check_template(std::string_view text, Loc loc, std::string_view what);
  Status build_trigger(RawTrigger& t);
  Status check_component_ref(const RawTrigger& t, const RawComponentSpec& spec);
  Result<app::HttpTrigger> build_http(const RawTrigger& t, std::string component);
  Result<app::RedisTrigger> build_redis(const RawTrigger& t, std::string component);
  std::vector<std::string_view> generic_trigger_keys() const {
    if (raw_.version == 1) return {"component"};
    return {"id", "component", "components", "dependencies"};
  }

  const Ctx& ctx_;
  RawManifest& raw_;
  const Options& options_;
  app::App app_;
};

Result<app::App> Builder::build() {
  app_.manifest_version = raw_.version;
  app_.name = raw_.name;
  app_.version = raw_.app_version;
  app_.description = raw_.description;
  app_.authors = raw_.authors;
  app_.variables = raw_.variables;
  app_.warnings = raw_.warnings;
  LEPTON_CHECK(build_globals());
  for (auto& [id, c] : raw_.components) {
    LEPTON_TRY(app::Component comp, build_component(id, c));
    app_.components.emplace(id, std::move(comp));
  }
  for (auto& t : raw_.triggers) LEPTON_CHECK(build_trigger(t));

  // Spin keeps the last of several triggers with the same route (and says so).
  std::map<std::string, std::string> routes;
  for (const auto& t : app_.http_triggers) {
    if (t.is_private) continue;
    auto [it, inserted] = routes.emplace(t.route, t.id);
    if (!inserted) {
      app_.warnings.push_back(fmt::format(
          "duplicate route \"{}\": trigger \"{}\" replaces trigger \"{}\" (the last one wins)",
          t.route, t.id, it->second));
      it->second = t.id;
    }
  }
  return std::move(app_);
}

Status Builder::build_globals() {
  for (auto& [type, table] : raw_.trigger_global_configs) {
    std::string what = raw_.version == 1 ? std::string("'trigger'")
                                         : fmt::format("[application.trigger.{}]", type);
    TableReader r(ctx_, *table, what);
    std::vector<std::string_view> extra;
    if (raw_.version == 1) extra.push_back("type");
    if (type == "http") {
      std::vector<std::string_view> keys = extra;
      keys.push_back("base");
      LEPTON_CHECK(r.check_keys(keys));
      LEPTON_TRY(auto base, r.opt_string("base"));
      if (base) {
        app_.http_base = *base;
        if (*base != "/") {
          app_.warnings.push_back(fmt::format(
              "the application uses the deprecated trigger 'base' (\"{}\"); Spin 3 and later "
              "refuse it: prepend the base to each [[trigger.http]] route instead",
              *base));
        }
      }
    } else if (type == "redis") {
      std::vector<std::string_view> keys = extra;
      keys.push_back("address");
      LEPTON_CHECK(r.check_keys(keys));
      LEPTON_TRY(auto address, r.opt_string("address"));
      if (address) {
        LEPTON_CHECK(check_template(*address, r.value_loc("address"), "the Redis address"));
        app_.redis_address = *address;
      } else {
        return r.missing("address");
      }
    }
  }
  return {};
}

Status Builder::check_template(std::string_view text, Loc loc, std::string_view what) {
  auto tmpl = app::Template::parse(text);
  if (!tmpl) return ctx_.at(loc, "{}: {}", what, tmpl.error().message);
  for (const auto& name : tmpl->variables()) {
    if (!raw_.variables.contains(name)) {
      return ctx_.at(loc,
                     "{}: template \"{}\" references unknown variable \"{}\" (declare it in "
                     "[variables])",
                     what, text, name);
    }
  }
  return {};
}

Result<std::vector<std::string>> Builder::outbound_hosts(const std::string& id,
                                                         const RawComponent& c) {
  std::vector<std::string> out;
  // v1 components without allowed_outbound_hosts could reach any database (Spin's compat).
  bool allow_databases = raw_.version == 1 && !c.allowed_outbound_hosts_present;
  if (allow_databases) {
    out = {"redis://*:*", "mysql://*:*", "postgres://*:*"};
  }
  if (raw_.version == 2 || c.allowed_outbound_hosts_present) {
    if (c.allowed_outbound_hosts.size() == 1 &&
        c.allowed_outbound_hosts[0] == "insecure:allow-all") {
      return ctx_.at(c.allowed_outbound_hosts_loc,
                     "component '{}': 'insecure:allow-all' is not allowed in "
                     "allowed_outbound_hosts - use '*://*:*' instead if you really want to allow "
                     "all outbound traffic",
                     id);
    }
    for (const auto& h : c.allowed_outbound_hosts) {
      LEPTON_CHECK(check_template(
          h, c.allowed_outbound_hosts_loc,
          fmt::format("component '{}': allowed_outbound_hosts entry \"{}\"", id, h)));
      out.push_back(h);
    }
  }
  // Legacy allowed_http_hosts, converted like Spin.
  if (c.allowed_http_hosts.empty()) return out;
  std::vector<std::string> converted;
  if (std::find(c.allowed_http_hosts.begin(), c.allowed_http_hosts.end(), "insecure:allow-all") !=
      c.allowed_http_hosts.end()) {
    converted = {"http://*:*", "https://*:*", "http://self"};
  } else {
    std::vector<std::string> errors;
    for (const auto& text : c.allowed_http_hosts) {
      std::string_view rest = text;
      bool schemed = rest.find("//") != std::string_view::npos;
      std::string scheme = "http";
      if (schemed) {
        size_t sep = rest.find("://");
        std::string_view s =
            sep == std::string_view::npos ? std::string_view() : rest.substr(0, sep);
        if (s != "http" && s != "https") {
          errors.push_back(fmt::format("{} isn't a valid host or host:port string", text));
          continue;
        }
        scheme = std::string(s);
        rest.remove_prefix(sep + 3);
      }
      size_t slash = rest.find('/');
      if (slash != std::string_view::npos) {
        if (rest.substr(slash) != "/") {
          errors.push_back(
              fmt::format("{} contains a path, should be host and optional port only", text));
          continue;
        }
        rest = rest.substr(0, slash);
      }
      std::string host;
      std::string_view port_text;
      if (rest.starts_with('[')) {
        size_t close = rest.find(']');
        if (close == std::string_view::npos) {
          errors.push_back(fmt::format("{} isn't a valid host or host:port string", text));
          continue;
        }
        host = std::string(rest.substr(0, close + 1));
        std::string_view after = rest.substr(close + 1);
        if (!after.empty()) {
          if (after.front() != ':') {
            errors.push_back(fmt::format("{} isn't a valid host or host:port string", text));
            continue;
          }
          port_text = after.substr(1);
        }
      } else {
        size_t colon = rest.rfind(':');
        host = std::string(rest.substr(0, colon));
        if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
      }
      bool bad = host.empty();
      for (char& ch : host) {
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        if (ch == ' ' || ch == '@' || ch == '?' || ch == '#' || ch == '\\' ||
            static_cast<unsigned char>(ch) < 0x20) {
          bad = true;
        }
      }
      std::optional<unsigned> port;
      if (!port_text.empty()) {
        unsigned value = 0;
        for (char ch : port_text) {
          if (ch < '0' || ch > '9' || value > 65535) {
            bad = true;
            break;
          }
          value = value * 10 + static_cast<unsigned>(ch - '0');
        }
        if (value > 65535) bad = true;
        // A URL drops the scheme's default port.
        if (!(scheme == "http" && value == 80) && !(scheme == "https" && value == 443)) {
          port = value;
        }
      }
      if (bad) {
        errors.push_back(fmt::format("{} isn't a valid host or host:port string", text));
        continue;
      }
      if (host == "self") {
        converted.push_back("http://self");
        continue;
      }
      std::string suffix = port ? fmt::format(":{}", *port) : std::string();
      converted.push_back(fmt::format("http://{}{}", host, suffix));
      converted.push_back(fmt::format("https://{}{}", host, suffix));
    }
    if (!errors.empty()) {
      std::string joined;
      for (const auto& e : errors) joined += "\n" + e;
      return ctx_.at(c.allowed_http_hosts_loc,
                     "component '{}': one or more allowed_http_hosts entries was invalid:{}", id,
                     joined);
    }
  }
  if (raw_.version == 2) {
    std::string list;
    for (const auto& h : converted) list += (list.empty() ? "\"" : ", \"") + h + "\"";
    app_.warnings.push_back(fmt::format(
        "component '{}' uses the deprecated field `allowed_http_hosts` - to fix, replace "
        "`allowed_http_hosts` with `allowed_outbound_hosts = [{}]`",
        id, list));
  }
  out.insert(out.end(), converted.begin(), converted.end());
  return out;
}

Result<app::Component> Builder::build_component(const std::string& id, RawComponent& c) {
  app::Component out;
  out.id = id;
  out.description = c.description;
  switch (c.source.kind) {
    case RawSource::Kind::kLocal:
      out.source = (app_.dir / fs::path(c.source.path)).lexically_normal();
      break;
    case RawSource::Kind::kRemote:
      if (!c.source.digest.starts_with("sha256:")) {
        return ctx_.at(c.source.loc,
                       "component '{}': invalid `digest` \"{}\"; must start with 'sha256:'", id,
                       c.source.digest);
      }
      out.source_url = c.source.url;
      out.source_digest = c.source.digest;
      break;
    case RawSource::Kind::kRegistry:
      if (auto err = package_ref_error(c.source.package)) {
        return ctx_.at(c.source.loc, "component '{}': {}", id, *err);
      }
      out.source_registry =
          app::RegistrySource{c.source.registry, c.source.package, c.source.version};
      break;
  }
  if (options_.check_sources && c.source.kind == RawSource::Kind::kLocal) {
    std::error_code ec;
    if (!fs::is_regular_file(out.source, ec)) {
      return ctx_.at(c.source.loc, "component '{}': Wasm source \"{}\" {}", id, c.source.path,
                     fs::exists(out.source, ec) ? "is not a file" : "does not exist");
    }
  }

  for (const auto& v : c.variables) {
    LEPTON_CHECK(
        check_template(v.value, v.loc, fmt::format("component '{}' variable '{}'", id, v.key)));
    out.variables[v.key] = v.value;
  }
  out.environment = c.environment;
  LEPTON_TRY(out.allowed_outbound_hosts, outbound_hosts(id, c));
  out.key_value_stores = c.key_value_stores;
  out.sqlite_databases = c.sqlite_databases;
  out.ai_models = c.ai_models;
  if (c.build) {
    app::BuildConfig b;
    b.commands = c.build->commands;
    for (const auto& cmd : b.commands) {
      if (!b.command.empty()) b.command += " && ";
      b.command += cmd;
    }
    b.workdir = c.build->workdir.value_or("");
    b.watch = c.build->watch;
    out.build = std::move(b);
  }

  if (options_.expand_files) {
    auto files = expand_files(app_.dir, c.files, c.exclude_files, &app_.warnings);
    if (!files) return ctx_.at(c.files_loc, "component '{}': {}", id, files.error().message);
    out.files = std::move(*files);
  } else if (auto st = check_file_specs(c.files, c.exclude_files); !st) {
    return ctx_.at(c.files_loc, "component '{}': {}", id, st.error().message);
  }
  LEPTON_CHECK(build_dependencies(id, c, &out));
  return out;
}

bool dependency_conflict(const DependencyName& a, const DependencyName& b) {
  auto compatible = [](SemVer v) {
    if (!v.pre.empty()) return v;
    if (v.major > 0) {
      v.minor = 0;
      v.patch = 0;
    } else if (v.minor > 0) {
      v.patch = 0;
    }
    return v;
  };
  if (a.version && b.version && !(compatible(*a.version) == compatible(*b.version))) return false;
  if (!a.interface.empty() && !b.interface.empty() && a.interface != b.interface) return false;
  return true;
}

Status Builder::build_dependencies(const std::string& id, RawComponent& c, app::Component* out) {
  if (c.dependencies.empty()) return {};
  std::string what = fmt::format("component '{}'", id);
  bool per_dep_inherit = false;
  for (const auto& [name, d] : c.dependencies) per_dep_inherit |= d.has_inherit;
  if (c.dependencies_inherit_configuration && per_dep_inherit) {
    return ctx_.at(c.loc,
                   "Component `{}` specifies both `dependencies_inherit_configuration` and "
                   "per-dependency `inherit_configuration`. These are mutually exclusive; use one "
                   "or the other.",
                   id);
  }
  std::map<std::string, DependencyName> names;
  for (const auto& [name, d] : c.dependencies) {
    DependencyName parsed;
    (void)parse_dependency_name(name, &parsed);
    // Plain names must say which package satisfies them.
    if (parsed.plain && (d.kind == RawDependency::Kind::kVersion ||
                         (d.kind == RawDependency::Kind::kPackage && !d.package))) {
      return ctx_.at(d.loc,
                     "{} has invalid dependencies: dependency \"{}\" must specify a "
                     "package name",
                     what, name);
    }
    if (!parsed.plain && parsed.interface.empty() && d.export_name &&
        (d.kind == RawDependency::Kind::kPackage || d.kind == RawDependency::Kind::kLocal)) {
      return ctx_.at(d.loc,
                     "{} has invalid dependencies: using an export to satisfy the package "
                     "dependency \"{}\" is not currently permitted",
                     what, name);
    }
    if (!parsed.plain) {
      for (const auto& [other_name, other] : names) {
        if (!other.plain && other.package == parsed.package && dependency_conflict(parsed, other)) {
          return ctx_.at(d.loc,
                         "{} has invalid dependencies: \"{}\" dependency conflicts with "
                         "\"{}\"",
                         what, name, other_name);
        }
      }
    }
    names.emplace(name, parsed);
  }

  for (auto& [name, d] : c.dependencies) {
    app::ComponentDependency dep;
    dep.export_name = d.export_name;
    dep.inherit_all = d.inherit_all || c.dependencies_inherit_configuration.value_or(false);
    dep.inherit = d.inherit;
    RawDependency resolved = d;
    if (d.kind == RawDependency::Kind::kComponent) {
      auto it = raw_.components.find(d.component);
      if (it == raw_.components.end()) {
        return ctx_.at(d.loc, "{}: dependency ID {} does not exist", what, d.component);
      }
      const RawComponent& target = it->second;
      std::vector<std::string> surprises;
      if (!target.ai_models.empty()) surprises.push_back("ai_models");
      if (!target.allowed_http_hosts.empty()) surprises.push_back("allowed_http_hosts");
      if (!target.allowed_outbound_hosts.empty()) surprises.push_back("allowed_outbound_hosts");
      if (!target.dependencies.empty()) surprises.push_back("dependencies");
      if (!target.environment.empty()) surprises.push_back("environment");
      if (!target.files.empty()) surprises.push_back("files");
      if (!target.key_value_stores.empty()) surprises.push_back("key_value_stores");
      if (!target.sqlite_databases.empty()) surprises.push_back("sqlite_databases");
      if (!target.variables.empty()) surprises.push_back("variables");
      if (!surprises.empty()) {
        std::string list;
        for (const auto& s : surprises) list += (list.empty() ? "" : ", ") + s;
        return ctx_.at(d.loc,
                       "Dependencies may not have their own resources or permissions. Component "
                       "{} cannot be used as a dependency of {} because it specifies: {}",
                       d.component, id, list);
      }
      switch (target.source.kind) {
        case RawSource::Kind::kLocal:
          resolved.kind = RawDependency::Kind::kLocal;
          resolved.path = target.source.path;
          break;
        case RawSource::Kind::kRemote:
          resolved.kind = RawDependency::Kind::kHttp;
          resolved.url = target.source.url;
          resolved.digest = target.source.digest;
          break;
        case RawSource::Kind::kRegistry:
          resolved.kind = RawDependency::Kind::kPackage;
          resolved.version = target.source.version;
          resolved.registry = target.source.registry;
          resolved.package = target.source.package;
          break;
      }
    }
    switch (resolved.kind) {
      case RawDependency::Kind::kVersion:
      case RawDependency::Kind::kPackage:
        dep.kind = app::ComponentDependency::Kind::kRegistry;
        dep.version = resolved.version;
        dep.registry = resolved.registry;
        dep.package = resolved.package.value_or(names[name].package);
        if (auto err = package_ref_error(dep.package)) {
          return ctx_.at(d.loc, "{}: dependency \"{}\": {}", what, name, *err);
        }
        break;
      case RawDependency::Kind::kLocal:
        dep.kind = app::ComponentDependency::Kind::kLocal;
        dep.path = (app_.dir / fs::path(resolved.path)).lexically_normal();
        if (options_.check_sources) {
          std::error_code ec;
          if (!fs::is_regular_file(dep.path, ec)) {
            return ctx_.at(d.loc, "{}: dependency \"{}\": \"{}\" does not exist", what, name,
                           resolved.path);
          }
        }
        break;
      case RawDependency::Kind::kHttp:
        dep.kind = app::ComponentDependency::Kind::kHttp;
        dep.url = resolved.url;
        dep.digest = resolved.digest;
        break;
      case RawDependency::Kind::kComponent:
        break;  // resolved above
    }
    out->dependencies.emplace(name, std::move(dep));
  }
  return {};
}

Status Builder::check_component_ref(const RawTrigger& t, const RawComponentSpec& spec) {
  if (!raw_.components.contains(spec.id)) {
    return ctx_.at(spec.loc, "missing component \"{}\" configured for trigger \"{}\"", spec.id,
                   t.id);
  }
  return {};
}

Status Builder::build_trigger(RawTrigger& t) {
  if (t.component) LEPTON_CHECK(check_component_ref(t, *t.component));
  for (const auto& [role, specs] : t.components) {
    for (const auto& s : specs) LEPTON_CHECK(check_component_ref(t, s));
  }
  std::string component = t.component ? t.component->id : std::string();
  bool builtin = t.type == "http" || t.type == "redis";
  if (builtin && t.has_dependencies) {
    return ctx_.at(t.dependencies_loc,
                   "trigger \"{}\": trigger `dependencies` (middleware) are not supported by "
                   "lepton",
                   t.id);
  }
  if (builtin && !t.components.empty()) {
    TableReader r(ctx_, *t.config, t.what);
    return ctx_.at(r.key_loc("components"),
                   "trigger \"{}\": trigger `components` are not supported for {} triggers", t.id,
                   t.type);
  }
  if (t.type == "http") {
    LEPTON_TRY(app::HttpTrigger h, build_http(t, component));
    app_.http_triggers.push_back(std::move(h));
  } else if (t.type == "redis") {
    LEPTON_TRY(app::RedisTrigger r, build_redis(t, component));
    app_.redis_triggers.push_back(std::move(r));
  } else {
    app_.other_triggers.push_back(app::OtherTrigger{t.type, t.id, component});
  }
  return {};
}

Result<app::HttpTrigger> Builder::build_http(const RawTrigger& t, std::string component) {
  TableReader r(ctx_, *t.config, t.what);
  auto keys = generic_trigger_keys();
  for (auto k : {"route", "static_response", "executor"}) keys.push_back(k);
  LEPTON_CHECK(r.check_keys(keys));
  app::HttpTrigger h;
  h.id = t.id;
  h.component = std::move(component);

  const toml::node* route = r.get("route");
  if (route == nullptr) return r.missing("route");
  if (route->is_string()) {
    h.route = route->as_string()->get();
  } else if (route->is_table()) {
    TableReader rr(ctx_, *route->as_table(), "'route' of " + t.what);
    LEPTON_CHECK(rr.check_keys({"private"}));
    LEPTON_TRY(auto priv, rr.opt_bool("private"));
    if (!priv) return rr.missing("private");
    if (!*priv) {
      return ctx_.at(r.value_loc("route"),
                     "route must be a string pattern or '{{ private = true }}': trigger \"{}\" "
                     "has {{ private = false }}",
                     t.id);
    }
    h.is_private = true;
  } else {
    return r.wrong_type("route", "a string or { private = true }");
  }

  LEPTON_TRY(const toml::table* sr, r.opt_table("static_response"));
  if (sr != nullptr) {
    TableReader s(ctx_, *sr, "'static_response' of " + t.what);
    app::StaticResponse resp;
    for (auto [k, v] : TableReader::ordered(*sr)) {
      std::string_view name = k->str();
      if (name != "status_code" && name != "headers" && name != "body") {
        // Spin ignores unknown keys here.
        app_.warnings.push_back(fmt::format("{}unknown field '{}' in {} is ignored",
                                            ctx_.prefix(loc_of(*k)), name, s.what()));
      }
    }
    LEPTON_TRY(auto status, s.opt_int("status_code"));
    if (status) {
      if (*status < 0 || *status > 65535) {
        return ctx_.at(s.value_loc("status_code"),
                       "invalid 'status_code' {} in {}: expected a 16-bit unsigned integer",
                       *status, s.what());
      }
      resp.status_code = static_cast<uint16_t>(*status);
    }
    LEPTON_TRY(auto headers, s.string_table("headers"));
    for (auto& e : headers) resp.headers.emplace_back(e.key, e.value);
    LEPTON_TRY(auto body, s.opt_string("body"));
    resp.body = body.value_or("");
    h.static_response = std::move(resp);
  }
  if (h.component.empty() && !h.static_response) {
    return ctx_.at(
        t.loc, "Triggers must specify either component or static_response - {} has neither", t.id);
  }
  if (!h.component.empty() && h.static_response) {
    return ctx_.at(t.loc, "Triggers must specify either component or static_response - {} has both",
                   t.id);
  }

  LEPTON_TRY(const toml::table* ex, r.opt_table("executor"));
  if (ex != nullptr) {
    TableReader e(ctx_, *ex, "'executor' of " + t.what);
    LEPTON_TRY(std::string type, e.string("type"));
    if (type == "http" || type == "spin") {
      LEPTON_CHECK(e.check_keys({"type"}));
    } else if (type == "wagi") {
      LEPTON_CHECK(e.check_keys({"type", "entrypoint", "argv"}));
      app::WagiExecutor w;
      LEPTON_TRY(auto entrypoint, e.opt_string("entrypoint"));
      LEPTON_TRY(auto argv, e.opt_string("argv"));
      if (entrypoint) w.entrypoint = *entrypoint;
      if (argv) w.argv = *argv;
      h.wagi = std::move(w);
    } else {
      return ctx_.at(e.value_loc("type"),
                     "unknown executor type \"{}\" in {} (expected \"http\", \"spin\" or "
                     "\"wagi\")",
                     type, e.what());
    }
  }
  return h;
}

Result<app::RedisTrigger> Builder::build_redis(const RawTrigger& t, std::string component) {
  TableReader r(ctx_, *t.config, t.what);
  auto keys = generic_trigger_keys();
  for (auto k : {"channel", "address"}) keys.push_back(k);
  LEPTON_CHECK(r.check_keys(keys));
  app::RedisTrigger out;
  out.id = t.id;
  if (component.empty()) return r.missing("component");
  out.component = std::move(component);
  LEPTON_TRY(out.channel, r.string("channel"));
  LEPTON_CHECK(check_template(out.channel, r.value_loc("channel"), "Redis channel"));
  LEPTON_TRY(auto address, r.opt_string("address"));
  if (address) {
    LEPTON_CHECK(check_template(*address, r.value_loc("address"), "Redis address"));
    out.address = *address;
  } else if (app_.redis_address.empty()) {
    return ctx_.at(t.loc,
                   "Redis trigger \"{}\" has no 'address' and the application sets no default "
                   "([application.trigger.redis] address)",
                   t.id);
  }
  return out;
}

fs::path absolute_path(const fs::path& p) {
  std::error_code ec;
  fs::path abs = p.is_absolute() ? p : fs::current_path(ec) / p;
  return abs.lexically_normal();
}

}  // namespace

Result<app::App> parse(std::string_view toml_text, const fs::path& manifest_path) {
  return parse(toml_text, manifest_path, Options{});
}

Result<app::App> parse(std::string_view toml_text, const fs::path& manifest_path,
                       const Options& options) {
  Ctx ctx(manifest_path.string());
  toml::table doc;
  try {
    doc = toml::parse(toml_text, manifest_path.string());
  } catch (const toml::parse_error& e) {
    return ctx.at(loc_of(e.source()), "TOML parse error: {}", e.description());
  } catch (const std::exception& e) {
    return ctx.at(Loc{}, "TOML parse error: {}", e.what());
  }
  LEPTON_TRY(RawManifest raw, read_manifest(ctx, doc));
  normalize_trigger_ids(raw);
  normalize_inline_components(raw);
  apply_profile(raw, options.profile);
  if (options.profile) {
    bool defined = false;
    for (const auto& [id, c] : raw.components) defined |= c.profiles.contains(*options.profile);
    if (!defined) {
      return ctx.at(Loc{}, "Profile {} is not defined in this application", *options.profile);
    }
  }
  Builder builder(ctx, raw, absolute_path(manifest_path), options);
  return builder.build();
}

fs::path find_manifest(const fs::path& start) {
  std::error_code ec;
  fs::path dir = start.empty() ? fs::path(".") : start;
  if (fs::is_regular_file(dir, ec)) return dir;
  if (fs::is_regular_file(dir / "spin.toml", ec)) return dir / "spin.toml";
  fs::path up;
  for (int distance = 1; distance < 20; ++distance) {
    up /= "..";
    fs::path candidate_dir = dir / up;
    if (!fs::is_directory(candidate_dir, ec)) break;
    fs::path candidate = (candidate_dir / "spin.toml").lexically_normal();
    if (fs::is_regular_file(candidate, ec)) return candidate;
    if (fs::is_directory(candidate_dir / ".git", ec)) break;
  }
  return {};
}

Result<fs::path> find_default_manifest(const fs::path& start) {
  fs::path found = find_manifest(start);
  if (found.empty()) return fail("\"spin.toml\" not found");
  return found;
}

Result<app::App> load(const fs::path& path) {
  Options options;
  options.check_sources = true;
  return load(path, options);
}

Result<app::App> load(const fs::path& path, Options options) {
  std::error_code ec;
  fs::path file = path;
  if (fs::is_directory(path, ec)) {
    file = path / "spin.toml";
    if (!fs::is_regular_file(file, ec)) {
      return fail("Directory {} does not contain a file named 'spin.toml'", path.string());
    }
  } else if (!fs::exists(path, ec)) {
    return fail("No such file or directory '{}'", path.string());
  } else if (!fs::is_regular_file(path, ec)) {
    return fail("Path {} is neither a file nor a directory", path.string());
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail("cannot read Spin app manifest '{}'", file.string());
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return fail("cannot read Spin app manifest '{}'", file.string());
  return parse(ss.str(), file, options);
}

}  // namespace lepton::manifest
