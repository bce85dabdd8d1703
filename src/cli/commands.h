// Registration of each subcommand; each returns the function that runs it after parsing.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace lepton::cli {

using Run = std::function<int()>;

Run add_up_command(CLI::App& app);
Run add_new_command(CLI::App& app);
Run add_add_command(CLI::App& app);
Run add_templates_command(CLI::App& app);

}  // namespace lepton::cli
