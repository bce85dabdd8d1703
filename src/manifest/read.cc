// TOML → RawManifest for manifest v2 and v1 (converted to the v2 shape like Spin's compat.rs).
#include <algorithm>
#include <set>

#include "app/template.h"
#include "manifest/ids.h"
#include "manifest/raw.h"

namespace lepton::manifest::detail {

namespace {

using Keys = std::vector<std::string_view>;

const Keys kComponentKeysV2 = {"source",
                               "description",
                               "variables",
                               "environment",
                               "files",
                               "exclude_files",
                               "allowed_http_hosts",
                               "allowed_outbound_hosts",
                               "key_value_stores",
                               "sqlite_databases",
                               "ai_models",
                               "targets",
                               "build",
                               "tool",
                               "dependencies_inherit_configuration",
                               "dependencies",
                               "profile"};

const Keys kComponentKeysV1 = {"id",
                               "source",
                               "trigger",
                               "description",
                               "config",
                               "environment",
                               "files",
                               "exclude_files",
                               "allowed_http_hosts",
                               "allowed_outbound_hosts",
                               "key_value_stores",
                               "sqlite_databases",
                               "ai_models",
                               "build"};

class Reader {
 public:
  explicit Reader(const Ctx& ctx) : ctx_(ctx) {}

  Result<RawManifest> read(const toml::table& doc);

 private:
  Result<RawManifest> read_v2(const toml::table& doc);
  Result<RawManifest> read_v1(const toml::table& doc);

  Status read_variables(const TableReader& parent, std::string_view key, bool v1, RawManifest* m);
  Result<RawComponent> read_component(const toml::table& t, const std::string& what, bool v1);
  Result<RawSource> read_source(const TableReader& r);
  Result<std::vector<FileSpec>> read_files(const TableReader& r);
  Result<std::optional<RawBuild>> read_build(const TableReader& r);
  Result<std::map<std::string, RawDependency>> read_dependencies(const TableReader& r,
                                                                 std::string_view key);
  Result<RawDependency> read_dependency(const toml::node& n, const std::string& what);
  Status read_inherit(const TableReader& r, RawDependency* d);
  Status check_targets(const TableReader& r);
  Status check_table_of_tables(const TableReader& r, std::string_view key);
  Result<RawComponentSpec> read_component_spec(const toml::node& n, const std::string& what);
  Result<std::vector<RawVariableRef>> read_component_variables(const TableReader& r,
                                                               std::string_view key, bool v1);

  const Ctx& ctx_;
};

Result<RawManifest> Reader::read(const toml::table& doc) {
  const toml::node* v2key = doc.get("spin_manifest_version");
  const toml::node* v1key = doc.get("spin_version");
  if (v2key != nullptr && v1key != nullptr) {
    return ctx_.at(loc_of(*v1key),
                   "duplicate field 'spin_manifest_version' (also given as "
                   "'spin_version')");
  }
  const toml::node* version = v2key ? v2key : v1key;
  if (version == nullptr) {
    return ctx_.at(Loc{1, 1}, "missing field 'spin_manifest_version'");
  }
  if (version->is_string() && version->as_string()->get() == "1") return read_v1(doc);
  if (version->is_integer() && version->as_integer()->get() == 2) {
    if (v1key != nullptr) {
      return ctx_.at(loc_of(*v1key),
                     "'spin_version' is for manifest version 1; use spin_manifest_version = 2");
    }
    return read_v2(doc);
  }
  std::string shown;
  if (version->is_string()) {
    shown = fmt::format("\"{}\"", version->as_string()->get());
  } else if (version->is_integer()) {
    shown = std::to_string(version->as_integer()->get());
  } else {
    shown = std::string(type_name(*version));
  }
  return ctx_.at(loc_of(*version),
                 "invalid manifest version: {} (expected spin_manifest_version = 2, or \"1\" for "
                 "the legacy format)",
                 shown);
}

// ---- v2 -----------------------------------------------------------------------------------------

Result<RawManifest> Reader::read_v2(const toml::table& doc) {
  RawManifest m;
  m.version = 2;
  TableReader top(ctx_, doc, "the manifest");
  LEPTON_CHECK(top.check_keys(
      {"spin_manifest_version", "application", "variables", "trigger", "component"}));

  // [application]
  LEPTON_TRY(const toml::table* app_t, top.opt_table("application"));
  if (app_t == nullptr) return ctx_.at(Loc{1, 1}, "missing table [application]");
  TableReader app(ctx_, *app_t, "[application]");
  LEPTON_CHECK(
      app.check_keys({"name", "version", "description", "authors", "targets", "trigger", "tool"}));
  LEPTON_TRY(m.name, app.string("name"));
  LEPTON_TRY(auto version, app.opt_string("version"));
  m.app_version = version.value_or("");
  LEPTON_TRY(auto description, app.opt_string("description"));
  m.description = description.value_or("");
  LEPTON_TRY(m.authors, app.string_array("authors"));
  LEPTON_CHECK(check_targets(app));
  LEPTON_CHECK(check_table_of_tables(app, "tool"));
  LEPTON_CHECK(check_table_of_tables(app, "trigger"));
  if (const toml::node* tg = app.get("trigger")) {
    for (auto [k, v] : TableReader::ordered(*tg->as_table())) {
      m.trigger_global_configs.emplace_back(std::string(k->str()), v->as_table());
    }
  }

  // [variables]
  LEPTON_CHECK(read_variables(top, "variables", false, &m));

  // [[trigger.<type>]]
  LEPTON_TRY(const toml::table* triggers_t, top.opt_table("trigger"));
  if (triggers_t == nullptr) {
    return ctx_.at(Loc{1, 1}, "missing field 'trigger': the application has no [[trigger.<type>]]");
  }
  for (auto [type_key, list] : TableReader::ordered(*triggers_t)) {
    std::string type(type_key->str());
    std::string what = fmt::format("[[trigger.{}]]", type);
    if (!list->is_array() || !list->as_array()->is_array_of_tables()) {
      return ctx_.at(loc_of(*type_key),
                     "invalid type for 'trigger.{}': expected an array of tables ({}), found {}",
                     type, what, type_name(*list));
    }
    for (const toml::node& item : *list->as_array()) {
      const toml::table& t = *item.as_table();
      TableReader r(ctx_, t, what);
      RawTrigger trig;
      trig.type = type;
      trig.what = what;
      trig.loc = r.loc();
      trig.config = &t;
      LEPTON_TRY(auto id, r.opt_string("id"));
      trig.id = id.value_or("");
      if (const toml::node* c = r.get("component")) {
        LEPTON_TRY(auto spec, read_component_spec(*c, what));
        trig.component = std::move(spec);
      }
      LEPTON_TRY(const toml::table* comps, r.opt_table("components"));
      if (comps != nullptr) {
        for (auto [k, v] : TableReader::ordered(*comps)) {
          std::vector<RawComponentSpec> specs;
          if (v->is_array()) {
            for (const toml::node& s : *v->as_array()) {
              LEPTON_TRY(auto spec, read_component_spec(s, what));
              specs.push_back(std::move(spec));
            }
          } else {
            LEPTON_TRY(auto spec, read_component_spec(*v, what));
            specs.push_back(std::move(spec));
          }
          trig.components.emplace_back(std::string(k->str()), std::move(specs));
        }
      }
      LEPTON_TRY(const toml::table* deps, r.opt_table("dependencies"));
      if (deps != nullptr) {
        trig.has_dependencies = true;
        trig.dependencies_loc = r.key_loc("dependencies");
      }
      m.triggers.push_back(std::move(trig));
    }
  }

  // [component.<id>]
  LEPTON_TRY(const toml::table* comps_t, top.opt_table("component"));
  if (comps_t != nullptr) {
    for (auto [k, v] : TableReader::ordered(*comps_t)) {
      std::string id(k->str());
      if (auto err = kebab_id_error(id)) {
        return ctx_.at(loc_of(*k), "invalid component id \"{}\": {}", id, *err);
      }
      std::string what = fmt::format("[component.{}]", id);
      if (!v->is_table()) {
        return ctx_.at(loc_of(*k), "invalid type for 'component.{}': expected a table, found {}",
                       id, type_name(*v));
      }
      LEPTON_TRY(RawComponent c, read_component(*v->as_table(), what, false));
      m.components.emplace(id, std::move(c));
    }
  }
  return m;
}

Status Reader::check_targets(const TableReader& r) {
  const toml::node* n = r.get("targets");
  if (n == nullptr) return {};
  if (!n->is_array()) return r.wrong_type("targets", "an array");
  for (const toml::node& item : *n->as_array()) {
    if (item.is_string()) continue;
    if (item.is_table()) {
      TableReader t(ctx_, *item.as_table(), "an entry of 'targets' in " + r.what());
      if (t.has("url")) {
        LEPTON_CHECK(t.check_keys({"url"}));
        LEPTON_TRY(auto url, t.string("url"));
        (void)url;
        continue;
      }
      LEPTON_CHECK(t.check_keys({"path"}));
      LEPTON_TRY(auto path, t.string("path"));
      (void)path;
      continue;
    }
    return ctx_.at(loc_of(item), "invalid entry in 'targets' in {}: expected a string or table",
                   r.what());
  }
  return {};
}

Status Reader::check_table_of_tables(const TableReader& r, std::string_view key) {
  LEPTON_TRY(const toml::table* t, r.opt_table(key));
  if (t == nullptr) return {};
  for (auto [k, v] : TableReader::ordered(*t)) {
    if (!v->is_table()) {
      return ctx_.at(loc_of(*k), "invalid type for '{}.{}' in {}: expected a table, found {}", key,
                     k->str(), r.what(), type_name(*v));
    }
  }
  return {};
}

Status Reader::read_variables(const TableReader& parent, std::string_view key, bool v1,
                              RawManifest* m) {
  LEPTON_TRY(const toml::table* vars, parent.opt_table(key));
  if (vars == nullptr) return {};
  for (auto [k, v] : TableReader::ordered(*vars)) {
    std::string name(k->str());
    if (auto err = lower_snake_id_error(name)) {
      return ctx_.at(loc_of(*k), "invalid variable name \"{}\": {}", name, *err);
    }
    if (!v->is_table()) {
      return ctx_.at(loc_of(*k),
                     "invalid type for variable '{}': expected a table such as {{ default = "
                     "\"value\" }} or {{ required = true }}, found {}",
                     name, type_name(*v));
    }
    TableReader r(ctx_, *v->as_table(), fmt::format("[variables.{}]", name));
    LEPTON_CHECK(r.check_keys({"description", "required", "default", "secret"}));
    app::Variable var;
    LEPTON_TRY(auto description, r.opt_string("description"));
    var.description = description.value_or("");
    LEPTON_TRY(auto required, r.opt_bool("required"));
    var.required = required.value_or(false);
    LEPTON_TRY(var.default_value, r.opt_string("default"));
    LEPTON_TRY(auto secret, r.opt_bool("secret"));
    var.secret = secret.value_or(false);
    if (var.required == var.default_value.has_value()) {
      return ctx_.at(loc_of(*k),
                     "invalid variable definition for '{}': must be `required` OR have "
                     "a `default`{}",
                     name, var.required ? " (not both)" : "");
    }
    (void)v1;
    m->variables.emplace(name, std::move(var));
  }
  return {};
}

Result<RawComponentSpec> Reader::read_component_spec(const toml::node& n, const std::string& what) {
  RawComponentSpec spec;
  spec.loc = loc_of(n);
  if (n.is_string()) {
    spec.id = n.as_string()->get();
    if (auto err = kebab_id_error(spec.id)) {
      return ctx_.at(spec.loc, "invalid component id \"{}\" in {}: {}", spec.id, what, *err);
    }
    return spec;
  }
  if (!n.is_table()) {
    return ctx_.at(spec.loc,
                   "invalid type for 'component' in {}: expected a component id or an inline "
                   "component table, found {}",
                   what, type_name(n));
  }
  LEPTON_TRY(RawComponent c, read_component(*n.as_table(), "inline component of " + what, false));
  spec.inline_c = std::make_unique<RawComponent>(std::move(c));
  return spec;
}

Result<std::vector<RawVariableRef>> Reader::read_component_variables(const TableReader& r,
                                                                     std::string_view key,
                                                                     bool v1) {
  LEPTON_TRY(auto entries, r.string_table(key));
  std::vector<RawVariableRef> out;
  for (auto& e : entries) {
    if (auto err = lower_snake_id_error(e.key)) {
      return ctx_.at(e.loc, "invalid variable name \"{}\" in '{}' of {}: {}", e.key, key, r.what(),
                     *err);
    }
    (void)v1;
    out.push_back(RawVariableRef{e.key, e.value, e.loc});
  }
  return out;
}

Result<RawComponent> Reader::read_component(const toml::table& t, const std::string& what,
                                            bool v1) {
  TableReader r(ctx_, t, what);
  LEPTON_CHECK(r.check_keys(v1 ? kComponentKeysV1 : kComponentKeysV2));
  RawComponent c;
  c.loc = r.loc();
  LEPTON_TRY(c.source, read_source(r));
  LEPTON_TRY(auto description, r.opt_string("description"));
  c.description = description.value_or("");
  LEPTON_TRY(c.variables, read_component_variables(r, v1 ? "config" : "variables", v1));
  LEPTON_TRY(auto env, r.string_table("environment"));
  for (auto& e : env) c.environment[e.key] = e.value;
  LEPTON_TRY(c.files, read_files(r));
  c.files_loc = r.value_loc("files");
  LEPTON_TRY(c.exclude_files, r.string_array("exclude_files"));
  LEPTON_TRY(c.allowed_http_hosts, r.string_array("allowed_http_hosts"));
  c.allowed_http_hosts_loc = r.value_loc("allowed_http_hosts");
  LEPTON_TRY(c.allowed_outbound_hosts,
             r.string_array("allowed_outbound_hosts", &c.allowed_outbound_hosts_present));
  c.allowed_outbound_hosts_loc = r.value_loc("allowed_outbound_hosts");
  LEPTON_TRY(c.key_value_stores, r.string_array("key_value_stores"));
  LEPTON_TRY(c.sqlite_databases, r.string_array("sqlite_databases"));
  if (!v1) {
    for (std::string_view key : {"key_value_stores", "sqlite_databases"}) {
      const auto& labels = key == "key_value_stores" ? c.key_value_stores : c.sqlite_databases;
      for (const auto& label : labels) {
        if (!is_kebab_or_snake(label)) {
          return ctx_.at(r.value_loc(key),
                         "invalid label \"{}\" in '{}' of {}: expected "
                         "kebab-case or snake_case",
                         label, key, what);
        }
      }
    }
  }
  LEPTON_TRY(c.ai_models, r.string_array("ai_models"));
  LEPTON_TRY(c.build, read_build(r));
  if (v1) return c;

  LEPTON_CHECK(check_targets(r));
  LEPTON_CHECK(check_table_of_tables(r, "tool"));
  LEPTON_TRY(c.dependencies_inherit_configuration,
             r.opt_bool("dependencies_inherit_configuration"));
  LEPTON_TRY(c.dependencies, read_dependencies(r, "dependencies"));

  LEPTON_TRY(const toml::table* profiles, r.opt_table("profile"));
  if (profiles != nullptr) {
    for (auto [k, v] : TableReader::ordered(*profiles)) {
      std::string pwhat = fmt::format("profile '{}' of {}", k->str(), what);
      if (!v->is_table()) {
        return ctx_.at(loc_of(*k), "invalid type for {}: expected a table, found {}", pwhat,
                       type_name(*v));
      }
      TableReader pr(ctx_, *v->as_table(), pwhat);
      LEPTON_CHECK(pr.check_keys({"source", "environment", "dependencies", "build"}));
      RawProfile p;
      if (pr.has("source")) {
        LEPTON_TRY(auto src, read_source(pr));
        p.source = std::move(src);
      }
      LEPTON_TRY(auto penv, pr.string_table("environment"));
      for (auto& e : penv) p.environment.emplace_back(e.key, e.value);
      LEPTON_TRY(p.dependencies, read_dependencies(pr, "dependencies"));
      LEPTON_TRY(const toml::table* b, pr.opt_table("build"));
      if (b != nullptr) {
        TableReader br(ctx_, *b, "build of " + pwhat);
        LEPTON_CHECK(br.check_keys({"command"}));
        if (!br.has("command")) return br.missing("command");
        LEPTON_TRY(auto cmds, br.string_or_array("command"));
        p.build_commands = std::move(cmds);
      }
      c.profiles.emplace(std::string(k->str()), std::move(p));
    }
  }
  return c;
}

Result<RawSource> Reader::read_source(const TableReader& r) {
  RawSource s;
  const toml::node* n = r.get("source");
  if (n == nullptr) return r.missing("source");
  s.loc = r.value_loc("source");
  if (n->is_string()) {
    s.kind = RawSource::Kind::kLocal;
    s.path = n->as_string()->get();
    if (s.path.empty()) return ctx_.at(s.loc, "empty 'source' in {}", r.what());
    return s;
  }
  if (!n->is_table()) {
    return r.wrong_type("source",
                        "a path string, { url, digest } or { registry, package, version }");
  }
  TableReader t(ctx_, *n->as_table(), "'source' of " + r.what());
  if (t.has("url") || t.has("digest")) {
    LEPTON_CHECK(t.check_keys({"url", "digest"}));
    s.kind = RawSource::Kind::kRemote;
    LEPTON_TRY(s.url, t.string("url"));
    LEPTON_TRY(s.digest, t.string("digest"));
    return s;
  }
  if (t.has("package") || t.has("version") || t.has("registry")) {
    LEPTON_CHECK(t.check_keys({"registry", "package", "version"}));
    s.kind = RawSource::Kind::kRegistry;
    LEPTON_TRY(s.registry, t.opt_string("registry"));
    LEPTON_TRY(s.package, t.string("package"));
    LEPTON_TRY(s.version, t.string("version"));
    return s;
  }
  return ctx_.at(s.loc,
                 "invalid 'source' in {}: expected a path string, {{ url, digest }} or {{ "
                 "registry, package, version }}",
                 r.what());
}

Result<std::vector<FileSpec>> Reader::read_files(const TableReader& r) {
  std::vector<FileSpec> out;
  const toml::node* n = r.get("files");
  if (n == nullptr) return out;
  if (!n->is_array()) return r.wrong_type("files", "an array");
  for (const toml::node& item : *n->as_array()) {
    FileSpec f;
    if (item.is_string()) {
      f.pattern = item.as_string()->get();
    } else if (item.is_table()) {
      TableReader t(ctx_, *item.as_table(), "an entry of 'files' in " + r.what());
      LEPTON_CHECK(t.check_keys({"source", "destination"}));
      f.placement = true;
      LEPTON_TRY(f.source, t.string("source"));
      LEPTON_TRY(f.destination, t.string("destination"));
    } else {
      Loc l = loc_of(item);
      return ctx_.at(l.line ? l : r.value_loc("files"),
                     "invalid entry in 'files' of {}: expected a glob string or {{ source, "
                     "destination }}, found {}",
                     r.what(), type_name(item));
    }
    out.push_back(std::move(f));
  }
  return out;
}

Result<std::optional<RawBuild>> Reader::read_build(const TableReader& r) {
  LEPTON_TRY(const toml::table* b, r.opt_table("build"));
  if (b == nullptr) return std::optional<RawBuild>();
  TableReader br(ctx_, *b, "'build' of " + r.what());
  LEPTON_CHECK(br.check_keys({"command", "workdir", "watch"}));
  RawBuild build;
  if (!br.has("command")) return br.missing("command");
  LEPTON_TRY(build.commands, br.string_or_array("command"));
  LEPTON_TRY(build.workdir, br.opt_string("workdir"));
  LEPTON_TRY(build.watch, br.string_array("watch"));
  return std::optional<RawBuild>(std::move(build));
}

Status Reader::read_inherit(const TableReader& r, RawDependency* d) {
  const toml::node* n = r.get("inherit_configuration");
  if (n == nullptr) return {};
  d->has_inherit = true;
  if (n->is_boolean()) {
    d->inherit_all = n->as_boolean()->get();
    return {};
  }
  LEPTON_TRY(d->inherit, r.string_array("inherit_configuration"));
  return {};
}

Result<RawDependency> Reader::read_dependency(const toml::node& n, const std::string& what) {
  RawDependency d;
  d.loc = loc_of(n);
  if (n.is_string()) {
    d.kind = RawDependency::Kind::kVersion;
    d.version = n.as_string()->get();
    return d;
  }
  if (!n.is_table()) {
    return ctx_.at(d.loc, "invalid {}: expected a version string or a table, found {}", what,
                   type_name(n));
  }
  TableReader t(ctx_, *n.as_table(), what);
  LEPTON_TRY(d.export_name, t.opt_string("export"));
  LEPTON_CHECK(read_inherit(t, &d));
  if (t.has("path")) {
    LEPTON_CHECK(t.check_keys({"path", "export", "inherit_configuration"}));
    d.kind = RawDependency::Kind::kLocal;
    LEPTON_TRY(d.path, t.string("path"));
  } else if (t.has("url") || t.has("digest")) {
    LEPTON_CHECK(t.check_keys({"url", "digest", "export", "inherit_configuration"}));
    d.kind = RawDependency::Kind::kHttp;
    LEPTON_TRY(d.url, t.string("url"));
    LEPTON_TRY(d.digest, t.string("digest"));
  } else if (t.has("component")) {
    LEPTON_CHECK(t.check_keys({"component", "export", "inherit_configuration"}));
    d.kind = RawDependency::Kind::kComponent;
    LEPTON_TRY(d.component, t.string("component"));
    if (auto err = kebab_id_error(d.component)) {
      return ctx_.at(t.value_loc("component"), "invalid component id \"{}\" in {}: {}", d.component,
                     what, *err);
    }
  } else {
    LEPTON_CHECK(
        t.check_keys({"version", "registry", "package", "export", "inherit_configuration"}));
    d.kind = RawDependency::Kind::kPackage;
    LEPTON_TRY(d.version, t.string("version"));
    LEPTON_TRY(d.registry, t.opt_string("registry"));
    LEPTON_TRY(d.package, t.opt_string("package"));
  }
  return d;
}

Result<std::map<std::string, RawDependency>> Reader::read_dependencies(const TableReader& r,
                                                                       std::string_view key) {
  std::map<std::string, RawDependency> out;
  LEPTON_TRY(const toml::table* deps, r.opt_table(key));
  if (deps == nullptr) return out;
  for (auto [k, v] : TableReader::ordered(*deps)) {
    std::string name(k->str());
    DependencyName parsed;
    if (auto err = parse_dependency_name(name, &parsed)) {
      return ctx_.at(loc_of(*k), "{} in {}", *err, r.what());
    }
    LEPTON_TRY(RawDependency d,
               read_dependency(*v, fmt::format("dependency \"{}\" of {}", name, r.what())));
    out.emplace(name, std::move(d));
  }
  return out;
}

// ---- v1 -----------------------------------------------------------------------------------------

Result<RawManifest> Reader::read_v1(const toml::table& doc) {
  RawManifest m;
  m.version = 1;
  TableReader top(ctx_, doc, "the manifest");
  LEPTON_CHECK(top.check_keys({"spin_manifest_version", "spin_version", "name", "version",
                               "description", "authors", "trigger", "variables", "component"}));
  LEPTON_TRY(m.name, top.string("name"));
  LEPTON_TRY(auto version, top.opt_string("version"));
  m.app_version = version.value_or("");
  LEPTON_TRY(auto description, top.opt_string("description"));
  m.description = description.value_or("");
  LEPTON_TRY(m.authors, top.string_array("authors"));

  LEPTON_TRY(const toml::table* trigger_t, top.opt_table("trigger"));
  if (trigger_t == nullptr) return top.missing("trigger");
  TableReader trig(ctx_, *trigger_t, "'trigger'");
  LEPTON_TRY(std::string trigger_type, trig.string("type"));
  m.trigger_global_configs.emplace_back(trigger_type, trigger_t);

  LEPTON_CHECK(read_variables(top, "variables", true, &m));

  const toml::node* comps = top.get("component");
  if (comps != nullptr && !(comps->is_array() && comps->as_array()->is_array_of_tables())) {
    return top.wrong_type("component", "an array of tables ([[component]])");
  }
  std::set<std::string> ids;
  if (comps != nullptr) {
    for (const toml::node& item : *comps->as_array()) {
      const toml::table& t = *item.as_table();
      TableReader r(ctx_, t, "[[component]]");
      LEPTON_TRY(std::string id, r.string("id"));
      Loc id_loc = r.value_loc("id");
      // Like Spin: fix under_scores and mixedCase, then require kebab-case.
      if (kebab_id_error(id)) {
        std::string fixed = id;
        std::replace(fixed.begin(), fixed.end(), '_', '-');
        std::transform(fixed.begin(), fixed.end(), fixed.begin(),
                       [](char ch) { return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch; });
        if (auto err = kebab_id_error(fixed)) {
          return ctx_.at(id_loc, "invalid component id \"{}\": {}", fixed, *err);
        }
        id = fixed;
      }
      if (!ids.insert(id).second) {
        return ctx_.at(id_loc, "cannot have duplicate component IDs: {}", id);
      }
      std::string what = fmt::format("[[component]] '{}'", id);
      LEPTON_TRY(RawComponent c, read_component(t, what, true));
      LEPTON_TRY(const toml::table* ct, r.opt_table("trigger"));
      if (ct == nullptr) return ctx_.at(r.loc(), "missing field 'trigger' in {}", what);
      RawTrigger rt;
      rt.type = trigger_type;
      rt.id = "trigger-" + id;
      rt.loc = loc_of(*ct).line ? loc_of(*ct) : r.key_loc("trigger");
      rt.what = fmt::format("[component.trigger] of '{}'", id);
      rt.component = RawComponentSpec{id, nullptr, id_loc};
      rt.config = ct;
      m.triggers.push_back(std::move(rt));
      m.components.emplace(id, std::move(c));
    }
  }
  return m;
}

}  // namespace

Result<RawManifest> read_manifest(const Ctx& ctx, const toml::table& doc) {
  Reader r(ctx);
  return r.read(doc);
}

}  // namespace lepton::manifest::detail
