#include "app/variables.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>

namespace lepton::app {

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

VariableError make_error(VariableError::Kind kind, std::string message) {
  return VariableError{kind, std::move(message)};
}

}  // namespace

// ---- providers ----------------------------------------------------------------------------------

StaticVariableProvider::StaticVariableProvider(std::map<std::string, std::string> values,
                                               std::string name)
    : values_(std::move(values)), name_(std::move(name)) {}

Result<std::optional<std::string>> StaticVariableProvider::get(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

EnvVariableProvider::EnvVariableProvider(std::string prefix, EnvLookup env,
                                         std::map<std::string, std::string> dotenv)
    : prefix_(std::move(prefix)), env_(std::move(env)), dotenv_(std::move(dotenv)) {
  if (!env_) {
    env_ = [](const std::string& name) -> std::optional<std::string> {
      const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe)
      if (value == nullptr) return std::nullopt;
      return std::string(value);
    };
  }
}

std::string EnvVariableProvider::env_name(const std::string& key) const {
  if (prefix_.empty()) return upper(key);
  return prefix_ + "_" + upper(key);
}

Result<std::optional<std::string>> EnvVariableProvider::get(const std::string& key) const {
  std::string name = env_name(key);
  if (auto value = env_(name)) return value;
  auto it = dotenv_.find(name);
  if (it != dotenv_.end()) return std::optional<std::string>(it->second);
  return std::optional<std::string>();
}

Result<std::map<std::string, std::string>> parse_dotenv(std::string_view text) {
  std::map<std::string, std::string> out;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("export ")) line = trim(line.substr(7));
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return fail("dotenv line {}: expected KEY=value", line_no);
    }
    std::string_view key = trim(line.substr(0, eq));
    if (key.empty()) return fail("dotenv line {}: empty variable name", line_no);
    for (char c : key) {
      bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '.';
      if (!ok) return fail("dotenv line {}: invalid character '{}' in variable name", line_no, c);
    }
    std::string_view raw = trim(line.substr(eq + 1));
    std::string value;
    if (!raw.empty() && (raw.front() == '\'' || raw.front() == '"')) {
      char quote = raw.front();
      size_t i = 1;
      bool closed = false;
      // A quoted value may continue over several lines.
      std::string_view src = raw;
      std::string_view remaining = text;
      while (true) {
        for (; i < src.size(); ++i) {
          char c = src[i];
          if (c == quote) {
            closed = true;
            break;
          }
          if (quote == '"' && c == '\\' && i + 1 < src.size()) {
            char n = src[++i];
            switch (n) {
              case 'n':
                value += '\n';
                break;
              case 't':
                value += '\t';
                break;
              case 'r':
                value += '\r';
                break;
              default:
                value += n;
                break;
            }
            continue;
          }
          value += c;
        }
        if (closed || remaining.empty()) break;
        value += '\n';
        ++line_no;
        size_t next_nl = remaining.find('\n');
        src = remaining.substr(0, next_nl);
        remaining.remove_prefix(next_nl == std::string_view::npos ? remaining.size() : next_nl + 1);
        i = 0;
      }
      if (!closed) return fail("dotenv line {}: unterminated quoted value", line_no);
      text = remaining;
      std::string_view after = trim(src.substr(i + 1));
      if (!after.empty() && after.front() != '#') {
        return fail("dotenv line {}: unexpected text after quoted value", line_no);
      }
    } else {
      size_t hash = raw.find(" #");
      value = std::string(trim(raw.substr(0, hash)));
    }
    out[std::string(key)] = std::move(value);
  }
  return out;
}

Result<std::map<std::string, std::string>> load_dotenv(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::map<std::string, std::string>();
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read dotenv file '{}'", path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  auto parsed = parse_dotenv(ss.str());
  if (!parsed) return parsed.error().context(path.string());
  return parsed;
}

// ---- resolver -----------------------------------------------------------------------------------

Result<VariableResolver> VariableResolver::create(const App& app, Providers providers) {
  VariableResolver r;
  for (const auto& [name, var] : app.variables) {
    LEPTON_CHECK(validate_variable_name(name));
  }
  r.variables_ = app.variables;
  for (const auto& [id, component] : app.components) {
    auto& templates = r.components_[id];
    for (const auto& [key, text] : component.variables) {
      if (auto st = validate_variable_name(key); !st) {
        return st.error().context(fmt::format("component '{}'", id));
      }
      auto tmpl = Template::parse(text);
      if (!tmpl) {
        return tmpl.error().context(fmt::format("component '{}' variable '{}'", id, key));
      }
      for (const auto& ref : tmpl->variables()) {
        if (!r.variables_.contains(ref)) {
          return fail("component '{}' variable '{}': unknown variable \"{}\"", id, key, ref);
        }
      }
      templates.emplace(key, std::move(*tmpl));
    }
  }
  r.providers_ = std::move(providers);
  return r;
}

VariableResolver::Providers VariableResolver::standard_providers(
    std::map<std::string, std::string> cli_values, EnvVariableProvider::EnvLookup env,
    std::map<std::string, std::string> dotenv) {
  Providers providers;
  providers.push_back(std::make_shared<StaticVariableProvider>(std::move(cli_values)));
  providers.push_back(
      std::make_shared<EnvVariableProvider>("SPIN_VARIABLE", std::move(env), std::move(dotenv)));
  return providers;
}

std::variant<std::string, VariableError> VariableResolver::lookup_app(
    const std::string& name) const {
  auto it = variables_.find(name);
  if (it == variables_.end()) {
    return make_error(VariableError::Kind::kUndefined,
                      fmt::format("no application variable \"{}\"", name));
  }
  for (const auto& provider : providers_) {
    auto value = provider->get(name);
    if (!value) {
      return make_error(VariableError::Kind::kProvider,
                        fmt::format("variable \"{}\": {} provider failed: {}", name,
                                    provider->name(), value.error().message));
    }
    if (value->has_value()) return std::move(**value);
  }
  if (it->second.default_value) return *it->second.default_value;
  return make_error(VariableError::Kind::kProvider,
                    fmt::format("no provider resolved required variable \"{}\"", name));
}

std::variant<std::string, VariableError> VariableResolver::lookup(const std::string& component_id,
                                                                  const std::string& key) const {
  if (auto st = validate_variable_name(key); !st) {
    return make_error(VariableError::Kind::kInvalidName, st.error().message);
  }
  auto comp = components_.find(component_id);
  if (comp == components_.end()) {
    return make_error(
        VariableError::Kind::kUndefined,
        fmt::format("no such variable: no variable for component \"{}\"", component_id));
  }
  auto tmpl = comp->second.find(key);
  if (tmpl == comp->second.end()) {
    return make_error(
        VariableError::Kind::kUndefined,
        fmt::format("no such variable: no variable for \"{}\".\"{}\"", component_id, key));
  }
  std::string out;
  for (const auto& part : tmpl->second.parts()) {
    if (!part.is_variable) {
      out += part.text;
      continue;
    }
    auto value = lookup_app(part.text);
    if (auto* err = std::get_if<VariableError>(&value)) return std::move(*err);
    out += std::get<std::string>(value);
  }
  return out;
}

Result<std::string> VariableResolver::resolve(const std::string& component_id,
                                              const std::string& key) const {
  auto value = lookup(component_id, key);
  if (auto* err = std::get_if<VariableError>(&value)) return Error{std::move(err->message)};
  return std::get<std::string>(std::move(value));
}

Result<std::map<std::string, std::string>> VariableResolver::resolve_all(
    const std::string& component_id) const {
  std::map<std::string, std::string> out;
  auto comp = components_.find(component_id);
  if (comp == components_.end()) return out;
  for (const auto& [key, tmpl] : comp->second) {
    LEPTON_TRY(out[key], resolve(component_id, key));
  }
  return out;
}

Result<std::string> VariableResolver::resolve_app(const std::string& name) const {
  auto value = lookup_app(name);
  if (auto* err = std::get_if<VariableError>(&value)) return Error{std::move(err->message)};
  return std::get<std::string>(std::move(value));
}

Result<std::string> VariableResolver::render(std::string_view template_text) const {
  LEPTON_TRY(Template tmpl, Template::parse(template_text));
  return tmpl.render([this](const std::string& name) { return resolve_app(name); });
}

Status VariableResolver::validate() const {
  std::vector<std::string> missing;
  for (const auto& [name, var] : variables_) {
    if (var.default_value) continue;
    bool found = false;
    for (const auto& provider : providers_) {
      auto value = provider->get(name);
      if (!value) {
        return fail("variable \"{}\": {} provider failed: {}", name, provider->name(),
                    value.error().message);
      }
      if (value->has_value()) {
        found = true;
        break;
      }
    }
    if (!found) missing.push_back(name);
  }
  if (missing.empty()) return {};
  std::string list;
  for (const auto& name : missing) {
    if (!list.empty()) list += ", ";
    list += "\"" + name + "\"";
  }
  return fail(
      "no provider resolved required variable(s): {} (set them with --variable NAME=VALUE or "
      "SPIN_VARIABLE_<NAME>)",
      list);
}

std::string VariableResolver::redact_secrets(std::string message) const {
  for (const auto& [name, var] : variables_) {
    if (!var.secret) continue;
    auto value = lookup_app(name);
    const auto* text = std::get_if<std::string>(&value);
    if (text == nullptr || text->empty()) continue;
    for (size_t pos = message.find(*text); pos != std::string::npos;
         pos = message.find(*text, pos + 8))
      message.replace(pos, text->size(), "<secret>");
  }
  return message;
}

}  // namespace lepton::app
