// Spin-format templates: a directory with `metadata/spin-template.toml` (what the template is,
// its parameters, how `add` differs from `new`), `content/` (files rendered into the new
// directory) and `metadata/snippets/` (TOML appended to an existing spin.toml by `add`).
// A template written for Spin loads and renders unchanged.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace lepton::templates {

struct Parameter {
  enum class Type { kString, kBool };
  std::string id;
  Type type = Type::kString;
  std::string prompt;
  std::optional<std::string> default_value;
  std::optional<std::string> pattern;
  std::vector<std::string> allowed_values;

  // "Input 'x' does not match pattern '...'" / "is not one of the allowed values (...)".
  Status validate(const std::string& value) const;
};

struct Conditional {
  std::string id;
  std::vector<std::string> manifest_entry_exists;  // dotted path, split
  std::vector<std::string> skip_files;
  std::vector<std::string> skip_parameters;
  std::vector<std::string> skip_snippets;
};

struct Variant {
  std::vector<std::string> skip_files;
  std::vector<std::string> skip_parameters;
  std::vector<std::pair<std::string, std::string>> snippets;  // snippet id -> file in snippets/
  std::vector<Conditional> conditions;
};

struct CreateDir {
  std::string id;
  std::string path;  // a template: "{{ files-path }}"
  bool at_manifest = false;
};

// lepton's addition to Spin's format (metadata/lepton.toml, which Spin does not read): a
// directory of lepton's SDK copied, unrendered, into the new component, so that templates share
// one copy of the SDK (the repo's sdk/) instead of carrying their own.
//   [[sdk]]
//   from = "c/http"      # a directory under lepton's SDK directory
//   to = "lepton-sdk"    # where it goes, relative to the component's directory
struct SdkInclude {
  std::string from;
  std::string to;
};

// Everything metadata/lepton.toml says. `[npm] seed = true`: after rendering, `lepton new`/`add`
// fills the component's node_modules with hard links from lepton's npm seed store (see
// templates/npm_seed.h), so that the build's `npm install` finds a satisfied tree.
struct LeptonMetadata {
  std::vector<SdkInclude> sdk;
  bool npm_seed = false;
};

struct TemplateInfo {
  std::filesystem::path dir;
  std::string id;
  std::string description;
  std::vector<std::string> tags;  // lowercased
  std::optional<Variant> new_application;
  std::optional<Variant> add_component;
  std::vector<Parameter> parameters;  // in file order
  std::vector<CreateDir> outputs;
  std::vector<SdkInclude> sdk;  // from metadata/lepton.toml
  bool npm_seed = false;        // from metadata/lepton.toml: [npm] seed = true

  std::filesystem::path manifest_path() const { return dir / "metadata" / "spin-template.toml"; }
  std::filesystem::path content_dir() const { return dir / "content"; }
  std::filesystem::path snippets_dir() const { return dir / "metadata" / "snippets"; }
  std::filesystem::path lepton_manifest_path() const { return dir / "metadata" / "lepton.toml"; }
  const Parameter* parameter(std::string_view id) const;
  bool matches_all_tags(const std::vector<std::string>& tags) const;
};

// Reads `<dir>/metadata/spin-template.toml`; strict: an unknown key, a wrong type or a bad regex
// is an error naming the file, line and key.
Result<TemplateInfo> load_template(const std::filesystem::path& dir);
// The same, from TOML text (`file` names it in errors).
Result<TemplateInfo> parse_template_manifest(const std::string& text, const std::string& file);
// A metadata/lepton.toml text: [[sdk]] entries and [npm] (strict, as the manifest).
Result<LeptonMetadata> parse_lepton_metadata(const std::string& text, const std::string& file);

enum class Mode { kNewApplication, kAddComponent };

struct RunOptions {
  Mode mode = Mode::kNewApplication;
  std::string name;                     // project-name
  std::filesystem::path output_path;    // new: the directory; add: relative to the manifest's dir
  std::filesystem::path manifest_path;  // add: the spin.toml to extend
  std::map<std::string, std::string> values;
  bool accept_defaults = false;
  bool allow_overwrite = false;
  bool no_vcs = false;  // leave out .gitignore
  // Asks the user for a parameter's value (interactive runs); empty: a missing value is an error.
  std::function<Result<std::string>(const Parameter&)> prompt;
  // Extra values (tests set "authors" to stay independent of git config).
  std::map<std::string, std::string> special_values;
  // lepton's SDK directory (Store::sdk_dir()), for templates with [[sdk]] includes.
  std::optional<std::filesystem::path> sdk_dir;
};

// Renders `t` per `options`: writes content files (binary ones copied, `.tmpl` stripped),
// appends/merges snippets into the manifest (add), creates `[outputs]` directories.
// Returns the paths written or changed.
Result<std::vector<std::filesystem::path>> run_template(const TemplateInfo& t,
                                                        const RunOptions& options);

// "Name <email>" from GIT_AUTHOR_NAME/EMAIL, git config user.name/user.email, $USER.
std::string default_authors();

// True when `name` is a Spin kebab-case id ("my-app", each word starting with a letter).
bool is_kebab_name(std::string_view name);

}  // namespace lepton::templates
