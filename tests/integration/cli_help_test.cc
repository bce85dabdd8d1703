// `lepton help ...` and `lepton completions SHELL`: help for any command path, and a bash
// completion script that completes the real commands and flags when bash runs it.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "lepton_process.h"

namespace lepton::testing {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(CliHelp, HelpNamesCommandsAndNestedCommands) {
  auto top = run_lepton({"help"});
  EXPECT_EQ(top.exit_code, 0) << top.output;
  for (const char* cmd : {"up", "new", "build", "templates", "completions", "help"})
    EXPECT_TRUE(contains(top.output, cmd)) << cmd << "\n" << top.output;
  auto up = run_lepton({"help", "up"});
  EXPECT_EQ(up.exit_code, 0);
  EXPECT_TRUE(contains(up.output, "--listen")) << up.output;
  // Same text as --help.
  EXPECT_EQ(up.output, run_lepton({"up", "--help"}).output);
  auto nested = run_lepton({"help", "templates", "install"});
  EXPECT_EQ(nested.exit_code, 0);
  EXPECT_TRUE(contains(nested.output, "--dir")) << nested.output;
  auto unknown = run_lepton({"help", "templates", "frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(contains(unknown.output, "`lepton templates` has no command 'frobnicate'"))
      << unknown.output;
}

TEST(CliHelp, EveryCommandAnswersHelp) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"up"},
                                                                {"new"},
                                                                {"add"},
                                                                {"build"},
                                                                {"doctor"},
                                                                {"plugins"},
                                                                {"plugins", "list"},
                                                                {"plugins", "install"},
                                                                {"plugins", "uninstall"},
                                                                {"templates"},
                                                                {"completions"},
                                                                {"help"}}) {
    auto with_help = args;
    with_help.push_back("--help");
    auto r = run_lepton(with_help);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.output;
    EXPECT_TRUE(contains(r.output, "Usage")) << args[0] << ": " << r.output;
  }
}

// Runs the generated bash completion for the words typed so far (the last one being completed)
// and returns the candidates, space separated.
std::string complete_bash(const fs::path& script, const std::string& words) {
  std::string command = "bash -c 'source " + script.string() + "; COMP_WORDS=(" + words +
                        "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _lepton; "
                        "echo \"${COMPREPLY[*]}\"' 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  std::string out;
  char buf[4096];
  while (pipe && fgets(buf, sizeof buf, pipe.get()) != nullptr) out += buf;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST(CliCompletions, BashCompletesCommandsSubcommandsAndFlags) {
  auto r = run_lepton({"completions", "bash"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  fs::path script = fs::temp_directory_path() / ("lepton-completion-" + std::to_string(getpid()));
  std::ofstream(script) << r.output;
  EXPECT_EQ(complete_bash(script, "lepton templates in"), "install");
  EXPECT_EQ(complete_bash(script, "lepton up --lis"), "--listen");
  EXPECT_EQ(complete_bash(script, "lepton b"), "build");
  // Flags before the subcommand path don't confuse it; nested commands complete their flags.
  EXPECT_EQ(complete_bash(script, "lepton templates install --di"), "--dir");
  std::string top = complete_bash(script, "lepton \"\"");
  for (const char* cmd : {"up", "new", "add", "build", "doctor", "plugins", "templates"})
    EXPECT_TRUE(contains(" " + top + " ", std::string(" ") + cmd + " ")) << cmd << ": " << top;
  fs::remove(script);
}

TEST(CliCompletions, ZshAndFishScriptsAndBadShell) {
  auto zsh = run_lepton({"completions", "zsh"});
  EXPECT_EQ(zsh.exit_code, 0);
  EXPECT_TRUE(contains(zsh.output, "#compdef lepton"));
  EXPECT_TRUE(contains(zsh.output, "bashcompinit"));
  auto fish = run_lepton({"completions", "fish"});
  EXPECT_EQ(fish.exit_code, 0);
  EXPECT_TRUE(contains(fish.output, "complete -c lepton -n '__fish_use_subcommand' -a 'up'"))
      << fish.output;
  EXPECT_TRUE(contains(fish.output, "-l listen")) << fish.output;
  auto bad = run_lepton({"completions", "powershell"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(contains(bad.output, "powershell")) << bad.output;
}

}  // namespace
}  // namespace lepton::testing
