#include "cli/main.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "cli/commands.h"

namespace lepton::cli {

int main(int argc, char** argv) {
  // Diagnostics go to stderr; stdout belongs to the command's own output (and guests' output).
  auto logger = spdlog::stderr_color_mt("lepton");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  if (const char* level = std::getenv("LEPTON_LOG"))
    spdlog::set_level(spdlog::level::from_str(level));

  CLI::App app{"lepton: run serverless WebAssembly apps (Spin-compatible)", "lepton"};
  app.set_version_flag("-V,--version", std::string("lepton ") + LEPTON_VERSION);
  app.require_subcommand(1);
  Run up = add_up_command(app);
  Run new_app = add_new_command(app);
  Run add_component = add_add_command(app);
  Run templates = add_templates_command(app);
  Run build = add_build_command(app);
  Run doctor = add_doctor_command(app);
  Run plugins = add_plugins_command(app);
  Run help = add_help_command(app);
  Run completions = add_completions_command(app);
  Run watch = add_watch_command(app);
  if (auto external = run_external(app, argc, argv)) return *external;

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kUsage;
  }
  for (auto* sub : app.get_subcommands()) {
    if (sub->get_name() == "up") return up();
    if (sub->get_name() == "new") return new_app();
    if (sub->get_name() == "add") return add_component();
    if (sub->get_name() == "templates") return templates();
    if (sub->get_name() == "build") return build();
    if (sub->get_name() == "doctor") return doctor();
    if (sub->get_name() == "plugins") return plugins();
    if (sub->get_name() == "help") return help();
    if (sub->get_name() == "completions") return completions();
    if (sub->get_name() == "watch") return watch();
  }
  return kUsage;
}

}  // namespace lepton::cli
