// Variable resolution: application variables ([variables]) get their values from ordered
// providers, falling back to the manifest default; components see only the keys listed in their
// own `variables` table, whose values are templates over application variables.
//
// Spin's precedence: `--variable` > runtime-config providers in file order > environment
// (`SPIN_VARIABLE_<NAME>`, then the .env file) > manifest default. Build the provider list in that
// order (standard_providers() does the common case). Resolution is stateless and const, so one
// resolver may serve concurrent requests provided its providers are thread-safe (all here are).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "app/app.h"
#include "app/template.h"
#include "common/result.h"

namespace lepton::app {

// A source of application variable values. `get` returns nullopt when it has no value for the key
// (the next provider is asked), an error when the source failed.
class VariableProvider {
 public:
  virtual ~VariableProvider() = default;
  virtual Result<std::optional<std::string>> get(const std::string& key) const = 0;
  virtual std::string name() const = 0;  // for messages: "--variable", "environment", ...
};

// Fixed values: `--variable k=v` (CLI) or a runtime-config `static` provider.
class StaticVariableProvider : public VariableProvider {
 public:
  explicit StaticVariableProvider(std::map<std::string, std::string> values,
                                  std::string name = "--variable");
  Result<std::optional<std::string>> get(const std::string& key) const override;
  std::string name() const override { return name_; }

 private:
  std::map<std::string, std::string> values_;
  std::string name_;
};

// Environment variables: key "db_url" is read from "<PREFIX>_DB_URL" (prefix "SPIN_VARIABLE" by
// default; an empty prefix reads "DB_URL"), then from the dotenv file if one was given and the
// environment has no such variable.
class EnvVariableProvider : public VariableProvider {
 public:
  using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

  // `env` defaults to getenv. `dotenv` is a parsed .env file (see parse_dotenv).
  explicit EnvVariableProvider(std::string prefix = "SPIN_VARIABLE", EnvLookup env = {},
                               std::map<std::string, std::string> dotenv = {});
  Result<std::optional<std::string>> get(const std::string& key) const override;
  std::string name() const override { return "environment"; }

  // The environment variable name consulted for `key`.
  std::string env_name(const std::string& key) const;

 private:
  std::string prefix_;
  EnvLookup env_;
  std::map<std::string, std::string> dotenv_;
};

// Parses dotenv text: `KEY=value` lines, optional `export ` prefix, `#` comments, single-quoted
// (literal) or double-quoted (\n \t \" \\ escapes) values, unquoted values trimmed and cut at " #".
// Malformed lines are errors naming the line number.
Result<std::map<std::string, std::string>> parse_dotenv(std::string_view text);
// Reads and parses a dotenv file; a missing file gives an empty map (Spin's default ".env").
Result<std::map<std::string, std::string>> load_dotenv(const std::filesystem::path& path);

// Why a lookup failed, mirroring the error cases of the variables host interfaces
// (fermyon:spin/variables error: invalid-name, undefined, provider, other).
struct VariableError {
  enum class Kind { kInvalidName, kUndefined, kProvider, kOther };
  Kind kind = Kind::kOther;
  std::string message;
};

class VariableResolver {
 public:
  using Providers = std::vector<std::shared_ptr<const VariableProvider>>;

  // Validates the app's variable names and every component variable template (each must only
  // reference declared application variables). Providers are consulted in the given order.
  static Result<VariableResolver> create(const App& app, Providers providers);

  // `--variable` values first, then the environment (SPIN_VARIABLE_*, then `dotenv`).
  static Providers standard_providers(std::map<std::string, std::string> cli_values,
                                      EnvVariableProvider::EnvLookup env = {},
                                      std::map<std::string, std::string> dotenv = {});

  // Resolves component `component_id`'s variable `key` by rendering its template.
  // Errors: invalid key name, component without that key ("no variable for ..."), a referenced
  // application variable with no value, or a provider failure.
  Result<std::string> resolve(const std::string& component_id, const std::string& key) const;
  // As resolve(), with the error kind for host interfaces.
  std::variant<std::string, VariableError> lookup(const std::string& component_id,
                                                  const std::string& key) const;
  // All of a component's variables, by key (an unknown component has none).
  Result<std::map<std::string, std::string>> resolve_all(const std::string& component_id) const;

  // The value of application variable `name`: first provider with a value, else its default.
  Result<std::string> resolve_app(const std::string& name) const;
  // Renders an expression template over application variables (allowed_outbound_hosts entries,
  // Redis addresses and channels). Referencing an undeclared variable is an error.
  Result<std::string> render(std::string_view template_text) const;

  // Startup check: every variable without a default (required) must get a value from some
  // provider. The error names all such variables.
  Status validate() const;

  // `message` with the value of every `secret = true` application variable replaced by
  // "<secret>": for error messages built from rendered templates, which must never carry one.
  std::string redact_secrets(std::string message) const;

 private:
  std::variant<std::string, VariableError> lookup_app(const std::string& name) const;

  std::map<std::string, Variable> variables_;
  std::map<std::string, std::map<std::string, Template>> components_;  // id -> key -> template
  Providers providers_;
};

}  // namespace lepton::app
