// `lepton templates install|list|uninstall`: manage the user's templates (see templates/store.h).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/main.h"
#include "templates/store.h"

namespace lepton::cli {

namespace {

namespace tpl = lepton::templates;

struct TemplatesFlags {
  std::string dir;
  std::string tar;
  bool upgrade = false;
  std::vector<std::string> tags;
  bool json = false;
  std::string id;
};

int run_install(const TemplatesFlags& f) {
  if (f.dir.empty() == f.tar.empty())
    return spdlog::error("templates install: give exactly one of --dir PATH or --tar FILE"), kUsage;
  auto store = tpl::Store::from_environment();
  auto report =
      f.dir.empty() ? store.install_tar(f.tar, f.upgrade) : store.install_dir(f.dir, f.upgrade);
  if (!report) return spdlog::error("{}", report.error().message), kFailure;
  for (const auto& id : report->installed) std::printf("Installed template %s\n", id.c_str());
  bool invalid = false;
  for (const auto& [id, why] : report->skipped) {
    std::printf("Skipped %s: %s\n", id.c_str(), why.c_str());
    if (why.find("already installed") == std::string::npos) invalid = true;
  }
  return invalid ? kFailure : kOk;
}

int run_list(const TemplatesFlags& f) {
  auto store = tpl::Store::from_environment();
  std::vector<std::string> problems;
  auto all = store.list(&problems);
  for (const auto& p : problems) spdlog::warn("ignoring a broken template: {}", p);
  std::vector<const tpl::StoredTemplate*> shown;
  for (const auto& t : all)
    if (t.info.matches_all_tags(f.tags)) shown.push_back(&t);
  if (f.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto* t : shown) {
      out.push_back({{"id", t->info.id},
                     {"description", t->info.description},
                     {"tags", t->info.tags},
                     {"source", t->builtin ? "built-in" : "installed"},
                     {"installed_from", t->installed_from},
                     {"supports_add", t->info.add_component.has_value()}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return kOk;
  }
  if (shown.empty()) {
    std::printf(f.tags.empty() ? "No templates installed.\n" : "No templates match the tags.\n");
    return kOk;
  }
  size_t width = 8;
  for (const auto* t : shown) width = std::max(width, t->info.id.size());
  std::printf("%-*s  %s\n", static_cast<int>(width), "ID", "DESCRIPTION");
  for (const auto* t : shown)
    std::printf("%-*s  %s%s\n", static_cast<int>(width), t->info.id.c_str(),
                t->info.description.c_str(), t->builtin ? "" : " (installed)");
  return kOk;
}

int run_uninstall(const TemplatesFlags& f) {
  auto store = tpl::Store::from_environment();
  auto done = store.uninstall(f.id);
  if (!done) return spdlog::error("{}", done.error().message), kFailure;
  std::printf("Uninstalled template %s\n", f.id.c_str());
  return kOk;
}

}  // namespace

Run add_templates_command(CLI::App& app) {
  auto f = std::make_shared<TemplatesFlags>();
  auto which = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("templates", "Install, list and remove templates");
  cmd->require_subcommand(1);
  CLI::App* install =
      cmd->add_subcommand("install", "Install templates from a directory or tarball");
  install->add_option("--dir", f->dir, "A directory holding templates/<name>/ (or one template)");
  install->add_option("--tar", f->tar, "A .tar/.tar.gz of such a directory");
  install->add_flag("--upgrade,--update", f->upgrade, "Replace templates already installed");
  install->callback([which] { *which = "install"; });
  CLI::App* list = cmd->add_subcommand("list", "List the templates `lepton new` can use");
  list->add_option("--tag", f->tags, "Only templates with this tag (repeatable)")
      ->allow_extra_args(false);
  list->add_flag("--json", f->json, "Print JSON");
  list->callback([which] { *which = "list"; });
  CLI::App* uninstall = cmd->add_subcommand("uninstall", "Remove an installed template");
  uninstall->add_option("id", f->id, "The template id")->required();
  uninstall->callback([which] { *which = "uninstall"; });
  return [f, which] {
    if (*which == "install") return run_install(*f);
    if (*which == "list") return run_list(*f);
    if (*which == "uninstall") return run_uninstall(*f);
    return static_cast<int>(kUsage);
  };
}

}  // namespace lepton::cli
