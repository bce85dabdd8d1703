// lepton's command line: one file per command, registered here.
#pragma once

namespace lepton::cli {

// Exit codes every command uses (docs/cli.md).
enum ExitCode : int {
  kOk = 0,
  kFailure = 1,   // the command ran and failed (app failed to load, server error)
  kUsage = 2,     // bad flags or arguments
};

int main(int argc, char** argv);

}  // namespace lepton::cli
