// Registration of each subcommand; each returns the function that runs it after parsing.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>

namespace lepton::cli {

using Run = std::function<int()>;

Run add_up_command(CLI::App& app);
Run add_new_command(CLI::App& app);
Run add_add_command(CLI::App& app);
Run add_templates_command(CLI::App& app);
Run add_build_command(CLI::App& app);
Run add_doctor_command(CLI::App& app);
Run add_plugins_command(CLI::App& app);
Run add_help_command(CLI::App& app);
Run add_completions_command(CLI::App& app);
Run add_watch_command(CLI::App& app);

// `lepton <word>` for a word that is no built-in command: runs the plugin (does not return when
// it starts), or prints the commands and returns kUsage. nullopt: argv names a built-in command.
std::optional<int> run_external(const CLI::App& app, int argc, char** argv);

}  // namespace lepton::cli
