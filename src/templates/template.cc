#include "templates/template.h"

#include <spdlog/spdlog.h>
#include <stdio.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "manifest/toml_reader.h"
#include "templates/liquid.h"

namespace lepton::templates {

namespace fs = std::filesystem;
using manifest::detail::Ctx;
using manifest::detail::loc_of;
using manifest::detail::TableReader;

namespace {

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("{}: cannot read file", path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Status write_file(const fs::path& path, const std::string& content) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return fail("cannot create directory {}: {}", path.parent_path().string(), ec.message());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return fail("cannot write {}", path.string());
  out << content;
  out.close();
  if (!out) return fail("cannot write {}", path.string());
  return {};
}

bool valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    size_t extra = c < 0x80             ? 0
                   : (c & 0xE0) == 0xC0 ? 1
                   : (c & 0xF0) == 0xE0 ? 2
                   : (c & 0xF8) == 0xF0 ? 3
                                        : 9;
    if (extra == 9 || i + extra >= s.size()) return false;
    for (size_t k = 1; k <= extra; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += extra + 1;
  }
  return true;
}

Result<Variant> read_variant(const Ctx& ctx, const toml::table& t, const std::string& what,
                             bool* supported) {
  TableReader r(ctx, t, what);
  LEPTON_CHECK(
      r.check_keys({"supported", "skip_files", "skip_parameters", "snippets", "conditions"}));
  Variant v;
  LEPTON_TRY(auto sup, r.opt_bool("supported"));
  *supported = sup.value_or(true);
  LEPTON_TRY(v.skip_files, r.string_array("skip_files"));
  LEPTON_TRY(v.skip_parameters, r.string_array("skip_parameters"));
  LEPTON_TRY(auto snippets, r.string_table("snippets"));
  for (auto& e : snippets) v.snippets.emplace_back(e.key, e.value);
  LEPTON_TRY(const toml::table* conditions, r.opt_table("conditions"));
  if (conditions != nullptr) {
    for (auto [key, node] : TableReader::ordered(*conditions)) {
      std::string cwhat = fmt::format("{}.conditions.{}", what, key->str());
      if (!node->is_table())
        return ctx.at(loc_of(*key), "invalid type for '{}': expected a table", cwhat);
      TableReader c(ctx, *node->as_table(), cwhat);
      LEPTON_CHECK(c.check_keys({"condition", "skip_files", "skip_parameters", "skip_snippets"}));
      Conditional cond;
      cond.id = std::string(key->str());
      const toml::node* cn = c.get("condition");
      if (cn == nullptr) return c.missing("condition");
      if (!cn->is_table() || cn->as_table()->size() != 1)
        return ctx.at(c.value_loc("condition"),
                      "invalid condition in {}: should be a single-entry table such as "
                      "{{ manifest_entry_exists = \"application.trigger.redis\" }}",
                      cwhat);
      TableReader cr(ctx, *cn->as_table(), cwhat + ".condition");
      LEPTON_CHECK(cr.check_keys({"manifest_entry_exists"}));
      LEPTON_TRY(auto path, cr.string("manifest_entry_exists"));
      size_t start = 0;
      while (true) {
        size_t dot = path.find('.', start);
        cond.manifest_entry_exists.push_back(
            path.substr(start, dot == std::string::npos ? dot : dot - start));
        if (dot == std::string::npos) break;
        start = dot + 1;
      }
      LEPTON_TRY(cond.skip_files, c.string_array("skip_files"));
      LEPTON_TRY(cond.skip_parameters, c.string_array("skip_parameters"));
      LEPTON_TRY(cond.skip_snippets, c.string_array("skip_snippets"));
      v.conditions.push_back(std::move(cond));
    }
  }
  return v;
}

}  // namespace

Status Parameter::validate(const std::string& value) const {
  if (type == Type::kBool && value != "true" && value != "false")
    return fail("Input '{}' is not a boolean (true or false)", value);
  if (pattern) {
    std::regex re(*pattern, std::regex::ECMAScript);
    if (!std::regex_search(value, re))
      return fail("Input '{}' does not match pattern '{}'", value, *pattern);
  }
  if (!allowed_values.empty() &&
      std::find(allowed_values.begin(), allowed_values.end(), value) == allowed_values.end()) {
    std::string list;
    for (const auto& a : allowed_values) list += (list.empty() ? "" : ", ") + a;
    return fail("Input '{}' is not one of the allowed values ({})", value, list);
  }
  return {};
}

const Parameter* TemplateInfo::parameter(std::string_view pid) const {
  for (const auto& p : parameters)
    if (p.id == pid) return &p;
  return nullptr;
}

bool TemplateInfo::matches_all_tags(const std::vector<std::string>& want) const {
  for (const auto& w : want) {
    std::string lw = w;
    std::transform(lw.begin(), lw.end(), lw.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (std::find(tags.begin(), tags.end(), lw) == tags.end()) return false;
  }
  return true;
}

Result<TemplateInfo> parse_template_manifest(const std::string& text, const std::string& file) {
  Ctx ctx(file);
  toml::table doc;
  try {
    doc = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    return ctx.at(loc_of(e.source()), "TOML parse error: {}", e.description());
  }
  TableReader root(ctx, doc, "the template manifest");
  LEPTON_TRY(auto version, root.opt_string("manifest_version"));
  if (!version) {
    if (root.has("manifest_version"))
      return root.wrong_type("manifest_version", "a string (\"1\")");
    return root.missing("manifest_version");
  }
  if (*version != "1")
    return ctx.at(root.value_loc("manifest_version"),
                  "unsupported manifest_version '{}' (lepton reads version \"1\")", *version);
  if (root.has("custom_filters"))
    return ctx.at(root.key_loc("custom_filters"),
                  "custom filters are not supported (as in Spin 2 and later); please update the "
                  "template");
  LEPTON_CHECK(root.check_keys({"manifest_version", "id", "description", "trigger_type", "tags",
                                "new_application", "add_component", "parameters", "custom_filters",
                                "outputs"}));
  TemplateInfo t;
  LEPTON_TRY(t.id, root.string("id"));
  if (t.id.empty()) return ctx.at(root.value_loc("id"), "'id' must not be empty");
  LEPTON_TRY(auto description, root.opt_string("description"));
  t.description = description.value_or("");
  LEPTON_TRY(auto trigger_type, root.opt_string("trigger_type"));  // accepted, unused (as Spin)
  (void)trigger_type;
  LEPTON_TRY(t.tags, root.string_array("tags"));
  for (auto& tag : t.tags)
    std::transform(tag.begin(), tag.end(), tag.begin(),
                   [](unsigned char c) { return std::tolower(c); });

  for (const char* key : {"new_application", "add_component"}) {
    LEPTON_TRY(const toml::table* vt, root.opt_table(key));
    bool supported = true;
    std::optional<Variant> v;
    if (vt != nullptr) {
      LEPTON_TRY(auto parsed, read_variant(ctx, *vt, fmt::format("[{}]", key), &supported));
      if (supported) v = std::move(parsed);
    } else if (std::string_view(key) == "new_application") {
      v = Variant{};  // new is supported unless declared otherwise; add only when declared
    }
    if (std::string_view(key) == "new_application")
      t.new_application = std::move(v);
    else
      t.add_component = std::move(v);
  }

  LEPTON_TRY(const toml::table* params, root.opt_table("parameters"));
  if (params != nullptr) {
    for (auto [key, node] : TableReader::ordered(*params)) {
      std::string what = fmt::format("parameter '{}'", key->str());
      if (!node->is_table())
        return ctx.at(loc_of(*key), "invalid type for {}: expected a table", what);
      TableReader pr(ctx, *node->as_table(), what);
      LEPTON_CHECK(pr.check_keys({"type", "prompt", "default", "pattern", "allowed_values"}));
      Parameter p;
      p.id = std::string(key->str());
      LEPTON_TRY(auto type, pr.string("type"));
      if (type == "string") {
        p.type = Parameter::Type::kString;
      } else if (type == "bool") {
        p.type = Parameter::Type::kBool;
      } else {
        return ctx.at(pr.value_loc("type"),
                      "unrecognised type '{}' for {} (expected \"string\" or \"bool\")", type,
                      what);
      }
      LEPTON_TRY(p.prompt, pr.string("prompt"));
      const toml::node* def = pr.get("default");
      if (def != nullptr && def->is_boolean() && p.type == Parameter::Type::kBool) {
        p.default_value = def->as_boolean()->get() ? "true" : "false";
      } else {
        LEPTON_TRY(p.default_value, pr.opt_string("default"));
      }
      LEPTON_TRY(p.pattern, pr.opt_string("pattern"));
      if (p.pattern) {
        try {
          std::regex re(*p.pattern, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
          return ctx.at(pr.value_loc("pattern"), "invalid regular expression for {}: {}", what,
                        e.what());
        }
      }
      LEPTON_TRY(p.allowed_values, pr.string_array("allowed_values"));
      if (p.default_value) {
        auto ok = p.validate(*p.default_value);
        if (!ok)
          return ctx.at(pr.value_loc("default"), "default of {} is invalid: {}", what,
                        ok.error().message);
      }
      t.parameters.push_back(std::move(p));
    }
  }

  LEPTON_TRY(const toml::table* outputs, root.opt_table("outputs"));
  if (outputs != nullptr) {
    for (auto [key, node] : TableReader::ordered(*outputs)) {
      std::string what = fmt::format("output '{}'", key->str());
      if (!node->is_table())
        return ctx.at(loc_of(*key), "invalid type for {}: expected a table", what);
      TableReader orr(ctx, *node->as_table(), what);
      LEPTON_TRY(auto action, orr.string("action"));
      if (action != "create_dir")
        return ctx.at(orr.value_loc("action"), "unknown action '{}' for {} (expected create_dir)",
                      action, what);
      LEPTON_CHECK(orr.check_keys({"action", "path", "at"}));
      CreateDir c;
      c.id = std::string(key->str());
      LEPTON_TRY(c.path, orr.string("path"));
      auto parsed = Template::parse(c.path, fmt::format("{} ({})", file, what));
      if (!parsed) return parsed.error();
      LEPTON_TRY(auto at, orr.opt_string("at"));
      if (at && *at != "component" && *at != "manifest")
        return ctx.at(orr.value_loc("at"), "invalid 'at' for {}: expected component or manifest",
                      what);
      c.at_manifest = at && *at == "manifest";
      t.outputs.push_back(std::move(c));
    }
  }
  return t;
}

namespace {

// A relative path that stays inside its base: no root, no "..".
bool is_inner_path(const std::string& p) {
  if (p.empty()) return false;
  fs::path path(p);
  if (path.has_root_path()) return false;
  for (const auto& part : path)
    if (part == "..") return false;
  return true;
}

}  // namespace

Result<LeptonMetadata> parse_lepton_metadata(const std::string& text, const std::string& file) {
  Ctx ctx(file);
  toml::table doc;
  try {
    doc = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    return ctx.at(loc_of(e.source()), "TOML parse error: {}", e.description());
  }
  TableReader root(ctx, doc, "lepton's template metadata");
  LEPTON_CHECK(root.check_keys({"sdk", "npm"}));
  LeptonMetadata meta;
  if (root.has("npm")) {
    LEPTON_TRY(auto npm, root.opt_table("npm"));
    if (npm == nullptr) return root.wrong_type("npm", "a table ([npm] with seed = true/false)");
    TableReader n(ctx, *npm, "[npm]");
    LEPTON_CHECK(n.check_keys({"seed"}));
    LEPTON_TRY(auto seed, n.opt_bool("seed"));
    meta.npm_seed = seed.value_or(false);
  }
  std::vector<SdkInclude>& out = meta.sdk;
  const toml::node* sdk = root.get("sdk");
  if (sdk == nullptr) return meta;
  if (!sdk->is_array_of_tables())
    return root.wrong_type("sdk", "an array of tables ([[sdk]] with from and to)");
  size_t index = 0;
  for (const auto& entry : *sdk->as_array()) {
    TableReader e(ctx, *entry.as_table(), fmt::format("[[sdk]] #{}", ++index));
    LEPTON_CHECK(e.check_keys({"from", "to"}));
    SdkInclude inc;
    LEPTON_TRY(inc.from, e.string("from"));
    LEPTON_TRY(inc.to, e.string("to"));
    if (!is_inner_path(inc.from))
      return ctx.at(e.value_loc("from"),
                    "'from' of {} must be a relative path inside lepton's SDK directory, without "
                    "'..' (got '{}')",
                    e.what(), inc.from);
    if (!is_inner_path(inc.to))
      return ctx.at(e.value_loc("to"),
                    "'to' of {} must be a relative path inside the component's directory, without "
                    "'..' (got '{}')",
                    e.what(), inc.to);
    out.push_back(std::move(inc));
  }
  return meta;
}

Result<TemplateInfo> load_template(const fs::path& dir) {
  fs::path manifest = dir / "metadata" / "spin-template.toml";
  if (!fs::is_regular_file(manifest))
    return fail("{}: not a template (no metadata/spin-template.toml)", dir.string());
  LEPTON_TRY(auto text, read_file(manifest));
  LEPTON_TRY(auto t, parse_template_manifest(text, manifest.string()));
  t.dir = dir;
  if (fs::is_regular_file(t.lepton_manifest_path())) {
    LEPTON_TRY(auto lepton_text, read_file(t.lepton_manifest_path()));
    LEPTON_TRY(auto meta, parse_lepton_metadata(lepton_text, t.lepton_manifest_path().string()));
    t.sdk = std::move(meta.sdk);
    t.npm_seed = meta.npm_seed;
  }
  for (const auto& [mode, variant] :
       {std::pair{"new_application", &t.new_application}, {"add_component", &t.add_component}}) {
    if (!*variant) continue;
    for (const auto& [id, file] : (*variant)->snippets) {
      if (!fs::is_regular_file(t.snippets_dir() / file))
        return fail("{}: snippet '{}' of [{}] names {}, which does not exist", manifest.string(),
                    id, mode, (t.snippets_dir() / file).string());
    }
  }
  return t;
}

// ---------------------------------------------------------------------------------------------

bool is_kebab_name(std::string_view id) {
  if (id.empty()) return false;
  size_t start = 0;
  while (true) {
    size_t dash = id.find('-', start);
    std::string_view word = id.substr(start, dash == std::string_view::npos ? dash : dash - start);
    if (word.empty() || !std::isalpha(static_cast<unsigned char>(word[0]))) return false;
    bool upper = std::isupper(static_cast<unsigned char>(word[0]));
    for (char ch : word.substr(1)) {
      auto c = static_cast<unsigned char>(ch);
      if (std::isdigit(c)) continue;
      if (!std::isalnum(c) || static_cast<bool>(std::isupper(c)) != upper) return false;
    }
    if (dash == std::string_view::npos) return true;
    start = dash + 1;
  }
}

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::map<std::string, std::string> git_config() {
  std::map<std::string, std::string> out;
  FILE* p = popen("git config --list 2>/dev/null", "r");
  if (p == nullptr) return out;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  pclose(p);
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

std::string trim(std::string s) {
  auto b = s.find_first_not_of(" \t\r\n");
  auto e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

std::string default_authors() {
  auto git = git_config();
  std::string name = env("GIT_AUTHOR_NAME");
  if (name.empty()) name = env("GIT_COMMITTER_NAME");
  if (name.empty() && git.count("user.name")) name = git["user.name"];
  if (name.empty()) name = env("USER");
  if (name.empty()) name = env("USERNAME");
  if (name.empty()) name = env("NAME");
  std::string email = env("GIT_AUTHOR_EMAIL");
  if (email.empty()) email = env("GIT_COMMITTER_EMAIL");
  if (email.empty() && git.count("user.email")) email = git["user.email"];
  if (email.empty()) email = env("EMAIL");
  name = trim(name);
  email = trim(email);
  if (email.size() >= 2 && email.front() == '<' && email.back() == '>')
    email = email.substr(1, email.size() - 2);
  return email.empty() ? name : fmt::format("{} <{}>", name, email);
}

}  // namespace lepton::templates

// ---------------------------------------------------------------------------------------------
// Running a template

namespace lepton::templates {

namespace {

bool entry_exists(const toml::table& doc, const std::vector<std::string>& path) {
  const toml::node* at = &doc;
  for (const auto& key : path) {
    if (!at->is_table()) return false;
    at = at->as_table()->get(key);
    if (at == nullptr) return false;
  }
  return true;
}

bool dir_has_files(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return false;
  if (!fs::is_directory(dir, ec)) return true;
  return fs::directory_iterator(dir, ec) != fs::directory_iterator();
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Merges `snippet` (TOML key/values) into the `[<table>]` table of `existing`, keeping the rest
// of the text as written: keys already there are replaced, new keys appended to the table.
Result<std::string> merge_into_table(const std::string& existing, const std::string& table,
                                     const std::string& snippet, const std::string& snippet_name) {
  toml::table doc, merging;
  try {
    doc = toml::parse(existing);
  } catch (const toml::parse_error& e) {
    return fail("cannot merge into the manifest: it is not valid TOML ({})", e.description());
  }
  try {
    merging = toml::parse(snippet, snippet_name);
  } catch (const toml::parse_error& e) {
    return fail("{}:{}:{}: snippet is not valid TOML: {}", snippet_name, e.source().begin.line,
                e.source().begin.column, e.description());
  }
  std::string body = snippet;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  body += "\n";
  const toml::node* target = doc.get(table);
  if (target == nullptr) {
    std::string out = existing;
    while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
    return out + "\n\n[" + table + "]\n" + body;
  }
  if (!target->is_table())
    return fail("cannot merge {} into '{}' of the manifest: it is not a table", snippet_name,
                table);
  // Split into lines; find the [table] header and the end of its section.
  std::vector<std::string> lines;
  {
    std::istringstream in(existing);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
  }
  std::regex header("^\\s*\\[\\s*" + table + "\\s*\\]\\s*(#.*)?$");
  size_t begin = lines.size();
  for (size_t i = 0; i < lines.size(); ++i)
    if (std::regex_match(lines[i], header)) {
      begin = i;
      break;
    }
  if (begin == lines.size())
    return fail("cannot merge {} into the manifest: '{}' is not written as a [{}] table",
                snippet_name, table, table);
  size_t end = begin + 1;
  std::regex any_header("^\\s*\\[.*$");
  while (end < lines.size() && !std::regex_match(lines[end], any_header)) ++end;
  // Drop lines of keys that the snippet replaces (single-line values).
  std::vector<std::string> section(lines.begin() + begin + 1, lines.begin() + end);
  for (auto&& [key, node] : merging) {
    std::regex key_line("^\\s*\"?" +
                        std::regex_replace(std::string(key.str()),
                                           std::regex(R"([.^$|()\[\]{}*+?\\-])"), R"(\$&)") +
                        "\"?\\s*=.*$");
    section.erase(
        std::remove_if(section.begin(), section.end(),
                       [&](const std::string& l) { return std::regex_match(l, key_line); }),
        section.end());
  }
  size_t insert_at = section.size();
  while (insert_at > 0 && section[insert_at - 1].find_first_not_of(" \t\r") == std::string::npos)
    --insert_at;
  std::istringstream body_in(body);
  std::vector<std::string> body_lines;
  for (std::string l; std::getline(body_in, l);) body_lines.push_back(l);
  section.insert(section.begin() + static_cast<std::ptrdiff_t>(insert_at), body_lines.begin(),
                 body_lines.end());
  std::string out;
  for (size_t i = 0; i <= begin; ++i) out += lines[i] + "\n";
  for (const auto& l : section) out += l + "\n";
  for (size_t i = end; i < lines.size(); ++i) out += lines[i] + "\n";
  return out;
}

struct PendingWrite {
  fs::path path;
  std::string content;
};

}  // namespace

Result<std::vector<fs::path>> run_template(const TemplateInfo& t, const RunOptions& o) {
  const bool add = o.mode == Mode::kAddComponent;
  const auto& chosen = add ? t.add_component : t.new_application;
  if (!chosen)
    return fail("template '{}' does not support {}", t.id,
                add ? "adding a component to an application" : "creating a new application");
  Variant v = *chosen;

  fs::path manifest_dir;
  std::string manifest_text;
  toml::table manifest_doc;
  if (add) {
    manifest_dir = o.manifest_path.parent_path();
    LEPTON_TRY(manifest_text, read_file(o.manifest_path));
    try {
      manifest_doc = toml::parse(manifest_text, o.manifest_path.string());
    } catch (const toml::parse_error& e) {
      return fail("{}:{}:{}: cannot add a component: the manifest is not valid TOML: {}",
                  o.manifest_path.string(), e.source().begin.line, e.source().begin.column,
                  e.description());
    }
    for (const auto& c : v.conditions) {
      if (!entry_exists(manifest_doc, c.manifest_entry_exists)) continue;
      v.skip_files.insert(v.skip_files.end(), c.skip_files.begin(), c.skip_files.end());
      v.skip_parameters.insert(v.skip_parameters.end(), c.skip_parameters.begin(),
                               c.skip_parameters.end());
      std::erase_if(v.snippets, [&](const auto& s) { return contains(c.skip_snippets, s.first); });
    }
  }
  const fs::path target = add ? manifest_dir / o.output_path : o.output_path;
  if (!o.allow_overwrite && dir_has_files(target))
    return fail("cannot generate into {}: it already contains files (use --allow-overwrite)",
                target.string());

  // Values given up front must name a parameter and be valid.
  std::vector<std::string> bad;
  for (const auto& [name, value] : o.values) {
    const Parameter* p = t.parameter(name);
    if (p == nullptr) {
      bad.push_back(fmt::format("template '{}' has no parameter named '{}'", t.id, name));
      continue;
    }
    auto ok = p->validate(value);
    if (!ok) bad.push_back(fmt::format("{}: {}", name, ok.error().message));
  }
  if (!bad.empty()) {
    std::string msg = "invalid value(s) for the template:";
    for (const auto& b : bad) msg += "\n- " + b;
    return Error{msg};
  }

  Values values;
  values["authors"] = Value::string(
      o.special_values.count("authors") ? o.special_values.at("authors") : default_authors());
  values["username"] =
      Value::string(o.special_values.count("username")
                        ? o.special_values.at("username")
                        : values["authors"].text.substr(0, values["authors"].text.find(" <")));
  values["project-name"] = Value::string(o.name);
  values["output-path"] = Value::string(o.output_path.generic_string());
  for (const auto& [k, val] : o.special_values) values[k] = Value::string(val);
  for (const auto& p : t.parameters) {
    if (contains(v.skip_parameters, p.id)) continue;
    std::string value;
    if (auto it = o.values.find(p.id); it != o.values.end()) {
      value = it->second;
    } else if (o.accept_defaults && p.default_value) {
      value = *p.default_value;
    } else if (o.prompt) {
      LEPTON_TRY(value, o.prompt(p));
      LEPTON_CHECK(p.validate(value));
    } else {
      return fail("parameter '{}' ({}) not provided: pass -v {}=VALUE{}", p.id, p.prompt, p.id,
                  p.default_value ? " or --accept-defaults" : "");
    }
    values[p.id] =
        p.type == Parameter::Type::kBool ? Value::boolean(value == "true") : Value::string(value);
  }

  std::vector<PendingWrite> writes;
  const fs::path content = t.content_dir();
  if (fs::is_directory(content)) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(content))
      if (entry.is_regular_file()) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      fs::path rel = file.lexically_relative(content);
      if (contains(v.skip_files, rel.generic_string())) continue;
      if (o.no_vcs && rel.filename() == ".gitignore") continue;
      LEPTON_TRY(auto text, read_file(file));
      std::string out = text;
      if (valid_utf8(text)) {
        auto parsed = Template::parse(text, file.string());
        if (parsed) {
          LEPTON_TRY(out, parsed->render(values));
        } else if (parsed.error().message.find("unknown filter") != std::string::npos) {
          return parsed.error();
        } else {
          // As Spin: text that is not a valid template is copied as it is.
          spdlog::warn("copying {} unrendered: {}", rel.string(), parsed.error().message);
        }
      }
      fs::path out_rel = rel.extension() == ".tmpl" ? fs::path(rel).replace_extension() : rel;
      writes.push_back({target / out_rel, std::move(out)});
    }
  }

  // lepton's SDK parts ([[sdk]] in metadata/lepton.toml): copied byte for byte, not rendered.
  for (const auto& inc : t.sdk) {
    if (!o.sdk_dir)
      return fail(
          "template '{}' needs lepton's SDK ('{}'), but lepton's SDK directory was not found "
          "(expected 'sdk' beside the built-in templates; set LEPTON_SDK_DIR)",
          t.id, inc.from);
    const fs::path from = *o.sdk_dir / inc.from;
    if (!fs::is_directory(from))
      return fail("template '{}' needs lepton's SDK directory {}, which does not exist", t.id,
                  from.string());
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(from))
      if (entry.is_regular_file()) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      LEPTON_TRY(auto bytes, read_file(file));
      writes.push_back({target / inc.to / file.lexically_relative(from), std::move(bytes)});
    }
  }

  std::string new_manifest = manifest_text;
  bool manifest_changed = false;
  if (!v.snippets.empty()) {
    std::map<std::string, std::string> rendered;
    for (const auto& [id, file] : v.snippets) {
      if (!add)
        return fail(
            "template '{}': lepton doesn't know what to do with a '{}' snippet outside "
            "`lepton add`",
            t.id, id);
      if (id != "component" && id != "application_trigger" && id != "variables")
        return fail(
            "template '{}': unknown snippet '{}' (expected component, "
            "application_trigger or variables)",
            t.id, id);
      fs::path path = t.snippets_dir() / file;
      LEPTON_TRY(auto text, read_file(path));
      LEPTON_TRY(rendered[id], render(text, values, path.string()));
    }
    auto append = [&](const std::string& text) {
      while (!new_manifest.empty() && std::isspace(static_cast<unsigned char>(new_manifest.back())))
        new_manifest.pop_back();
      new_manifest += "\n\n" + text;
    };
    if (rendered.count("application_trigger")) append(rendered["application_trigger"]);
    if (rendered.count("component")) append(rendered["component"]);
    if (rendered.count("variables")) {
      LEPTON_TRY(new_manifest, merge_into_table(new_manifest, "variables", rendered["variables"],
                                                (t.snippets_dir() / "variables").string()));
    }
    try {
      (void)toml::parse(new_manifest, o.manifest_path.string());
    } catch (const toml::parse_error& e) {
      return fail(
          "adding template '{}' to {} would make it invalid TOML (line {}: {}); the "
          "manifest was left unchanged",
          t.id, o.manifest_path.string(), e.source().begin.line, e.description());
    }
    manifest_changed = true;
  }

  std::vector<fs::path> dirs;
  for (const auto& c : t.outputs) {
    LEPTON_TRY(auto rel, render(c.path, values, t.manifest_path().string() + " (" + c.id + ")"));
    fs::path base = c.at_manifest && add ? manifest_dir : target;
    dirs.push_back(base / rel);
  }

  if (writes.empty() && !manifest_changed && dirs.empty())
    return fail("template '{}' has nothing to create", t.id);

  std::vector<fs::path> changed;
  for (const auto& w : writes) {
    LEPTON_CHECK(write_file(w.path, w.content));
    changed.push_back(w.path);
  }
  for (const auto& d : dirs) {
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec) return fail("cannot create directory {}: {}", d.string(), ec.message());
    changed.push_back(d);
  }
  if (manifest_changed) {
    LEPTON_CHECK(write_file(o.manifest_path, new_manifest));
    changed.push_back(o.manifest_path);
  }
  return changed;
}

}  // namespace lepton::templates
