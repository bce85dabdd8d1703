// `lepton new` (an application from a template) and `lepton add` (a component from a template
// into an existing spin.toml), with Spin's flags. Prompts only when stdin is a terminal;
// otherwise every parameter must come from -v, --values-file or --accept-defaults.
#include <spdlog/spdlog.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/main.h"
#include "templates/npm_seed.h"
#include "templates/store.h"
#include "templates/template.h"

namespace lepton::cli {

namespace {

namespace fs = std::filesystem;
namespace tpl = lepton::templates;

struct NewFlags {
  bool add = false;
  std::string name;
  std::string template_id;
  std::vector<std::string> tags;
  std::string output;
  bool init = false;
  std::vector<std::string> values;
  std::string values_file;
  bool accept_defaults = false;
  bool no_vcs = false;
  bool allow_overwrite = false;
  std::string file;  // add: the manifest
  bool no_npm_seed = false;
};

bool interactive() { return isatty(STDIN_FILENO) != 0; }

std::optional<std::string> read_line(const std::string& prompt) {
  std::fprintf(stderr, "%s", prompt.c_str());
  std::fflush(stderr);
  std::string line;
  if (!std::getline(std::cin, line)) return std::nullopt;
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

Result<std::string> prompt_parameter(const tpl::Parameter& p) {
  while (true) {
    std::string prompt = p.prompt;
    if (!p.allowed_values.empty()) {
      std::fprintf(stderr, "%s:\n", p.prompt.c_str());
      for (size_t i = 0; i < p.allowed_values.size(); ++i)
        std::fprintf(stderr, "  %zu) %s\n", i + 1, p.allowed_values[i].c_str());
      prompt = "Choose";
    } else if (p.type == tpl::Parameter::Type::kBool) {
      prompt += " (true/false)";
    }
    if (p.default_value) prompt += fmt::format(" [{}]", *p.default_value);
    auto line = read_line(prompt + ": ");
    if (!line) return fail("no value for parameter '{}' (input ended)", p.id);
    std::string value = *line;
    if (value.empty() && p.default_value) value = *p.default_value;
    if (!p.allowed_values.empty()) {
      char* end = nullptr;
      unsigned long n = std::strtoul(value.c_str(), &end, 10);
      if (!value.empty() && *end == '\0' && n >= 1 && n <= p.allowed_values.size())
        value = p.allowed_values[n - 1];
    }
    if (p.type == tpl::Parameter::Type::kBool) {
      if (value == "y" || value == "yes") value = "true";
      if (value == "n" || value == "no") value = "false";
    }
    auto ok = p.validate(value);
    if (ok) return value;
    std::fprintf(stderr, "Invalid value: %s\n", ok.error().message.c_str());
  }
}

Result<std::map<std::string, std::string>> read_values(const NewFlags& f) {
  std::map<std::string, std::string> values;
  if (!f.values_file.empty()) {
    toml::table doc;
    try {
      doc = toml::parse_file(f.values_file);
    } catch (const toml::parse_error& e) {
      return fail("--values-file {}:{}:{}: {}", f.values_file, e.source().begin.line,
                  e.source().begin.column, e.description());
    }
    for (auto&& [k, v] : doc) {
      if (v.is_string()) {
        values[std::string(k.str())] = v.as_string()->get();
      } else if (v.is_boolean()) {
        values[std::string(k.str())] = v.as_boolean()->get() ? "true" : "false";
      } else {
        return fail("--values-file {}:{}: '{}' must be a string", f.values_file,
                    k.source().begin.line, k.str());
      }
    }
  }
  for (const auto& kv : f.values) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) return fail("-v: '{}' should be in the form name=value", kv);
    values[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return values;
}

std::string path_safe(const std::string& name) {
  std::string out = name;
  for (auto& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  return out;
}

// `[npm] seed = true` templates: node_modules from lepton's npm seed store (hard links), so the
// build's `npm install` finds it satisfied. Never fails `new`/`add`: without npm, or when
// preparing fails, the build installs as before.
void seed_node_modules(const NewFlags& f, const tpl::StoredTemplate& chosen, const fs::path& dir) {
  if (!chosen.info.npm_seed || f.no_npm_seed) return;
  if (const char* env = std::getenv("LEPTON_NPM_SEED");
      env != nullptr && (std::string(env) == "0" || std::string(env) == "false"))
    return;
  if (!fs::is_regular_file(dir / "package.json")) return;
  tpl::NpmSeedOptions o;
  o.label = chosen.info.id;
  auto seeded = tpl::seed_node_modules(dir, o);
  if (!seeded) {
    spdlog::warn(
        "could not seed node_modules from lepton's npm store: {} (the build's `npm install` "
        "will install the packages)",
        seeded.error().message);
  }
}

int run_new(const NewFlags& f) {
  const char* noun = f.add ? "component" : "application";
  auto store = tpl::Store::from_environment();

  fs::path manifest;
  if (f.add) {
    manifest = f.file.empty() ? fs::path("spin.toml") : fs::path(f.file);
    if (fs::is_directory(manifest)) manifest /= "spin.toml";
    if (!fs::is_regular_file(manifest))
      return spdlog::error("cannot add a component to {}: file does not exist", manifest.string()),
             kFailure;
    manifest = fs::absolute(manifest).lexically_normal();
  }

  // The template.
  std::optional<tpl::StoredTemplate> chosen;
  if (!f.template_id.empty()) {
    auto t = store.get(f.template_id);
    if (!t) return spdlog::error("{}", t.error().message), kFailure;
    chosen = std::move(*t);
  } else {
    std::vector<tpl::StoredTemplate> candidates;
    for (auto& t : store.list())
      if (t.info.matches_all_tags(f.tags) &&
          (f.add ? t.info.add_component.has_value() : t.info.new_application.has_value()))
        candidates.push_back(std::move(t));
    std::string ids;
    for (const auto& t : candidates) ids += (ids.empty() ? "" : ", ") + t.info.id;
    if (candidates.empty())
      return spdlog::error("no templates{} (see `lepton templates list`)",
                           f.tags.empty() ? "" : " match the given tags"),
             kFailure;
    if (!interactive())
      return spdlog::error("no template given: use -t TEMPLATE (one of: {})", ids), kUsage;
    std::fprintf(stderr, "Pick a template to start your %s with:\n", noun);
    for (size_t i = 0; i < candidates.size(); ++i)
      std::fprintf(stderr, "  %zu) %s (%s)\n", i + 1, candidates[i].info.id.c_str(),
                   candidates[i].info.description.c_str());
    while (!chosen) {
      auto line = read_line("Template [1]: ");
      if (!line) return kFailure;
      size_t n = line->empty() ? 1 : std::strtoul(line->c_str(), nullptr, 10);
      if (n >= 1 && n <= candidates.size()) chosen = std::move(candidates[n - 1]);
    }
  }

  // The name.
  std::string name = f.name;
  if (!name.empty() && !tpl::is_kebab_name(name))
    return spdlog::error(
               "name '{}' must be kebab-case (words of letters and digits separated by "
               "'-', each starting with a letter, e.g. my-app)",
               name),
           kUsage;
  if (name.empty()) {
    if (!interactive())
      return spdlog::error("no {} name given (lepton {} NAME ...)", noun, f.add ? "add" : "new"),
             kUsage;
    while (name.empty()) {
      auto line = read_line(fmt::format("Enter a name for your new {}: ", noun));
      if (!line) return kFailure;
      if (tpl::is_kebab_name(*line)) {
        name = *line;
      } else {
        std::fprintf(stderr, "Name must be kebab-case, each word starting with a letter.\n");
      }
    }
  }

  auto values = read_values(f);
  if (!values) return spdlog::error("{}", values.error().message), kUsage;

  tpl::RunOptions options;
  options.mode = f.add ? tpl::Mode::kAddComponent : tpl::Mode::kNewApplication;
  options.name = name;
  options.output_path =
      f.init ? fs::path(".") : fs::path(f.output.empty() ? path_safe(name) : f.output);
  options.manifest_path = manifest;
  options.values = std::move(*values);
  options.accept_defaults = f.accept_defaults;
  options.allow_overwrite = f.allow_overwrite;
  options.no_vcs = f.no_vcs;
  options.sdk_dir = store.sdk_dir();
  if (interactive()) options.prompt = prompt_parameter;
  auto done = tpl::run_template(chosen->info, options);
  if (!done) return spdlog::error("{}", done.error().message), kFailure;
  if (f.add) {
    std::printf("Added component '%s' from template '%s' to %s\n", name.c_str(),
                chosen->info.id.c_str(), manifest.string().c_str());
  } else {
    std::printf("Created application '%s' from template '%s' in %s\n", name.c_str(),
                chosen->info.id.c_str(), options.output_path.string().c_str());
  }
  seed_node_modules(f, *chosen,
                    f.add ? manifest.parent_path() / options.output_path : options.output_path);
  return kOk;
}

void add_common_flags(CLI::App* cmd, NewFlags& f) {
  cmd->add_option("name", f.name, "Name (kebab-case) of the new item");
  cmd->add_option("-t,--template", f.template_id,
                  "The template to use (see `lepton templates list`)");
  cmd->add_option("--tag", f.tags, "Offer only templates with this tag (repeatable)")
      ->allow_extra_args(false)
      ->excludes("--template");
  cmd->add_option("-o,--output", f.output,
                  "Directory to create (default: the name; for add, relative to the manifest)");
  cmd->add_option("-v,--value", f.values, "Parameter value, NAME=VALUE (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--values-file", f.values_file, "TOML file of parameter values")
      ->check(CLI::ExistingFile);
  cmd->add_flag("-a,--accept-defaults", f.accept_defaults,
                "Use each parameter's default instead of asking");
  cmd->add_flag("--no-vcs", f.no_vcs, "Leave out version-control files (.gitignore)");
  cmd->add_flag("--allow-overwrite,--allow-overwrites", f.allow_overwrite,
                "Generate into a directory even if it already contains files");
  cmd->add_flag("--no-npm-seed", f.no_npm_seed,
                "Don't fill node_modules from lepton's npm seed store (also LEPTON_NPM_SEED=0)");
}

}  // namespace

Run add_new_command(CLI::App& app) {
  auto f = std::make_shared<NewFlags>();
  CLI::App* cmd = app.add_subcommand("new", "Create a new application from a template");
  add_common_flags(cmd, *f);
  cmd->add_flag("--init", f->init, "Create the application in the current directory")
      ->excludes("--output");
  return [f] { return run_new(*f); };
}

Run add_add_command(CLI::App& app) {
  auto f = std::make_shared<NewFlags>();
  f->add = true;
  CLI::App* cmd = app.add_subcommand("add", "Add a component to an application from a template");
  add_common_flags(cmd, *f);
  cmd->add_option("-f,--file", f->file,
                  "The application's spin.toml, or its directory (default: ./spin.toml)");
  return [f] { return run_new(*f); };
}

}  // namespace lepton::cli
