#include "cli/main.h"

int main(int argc, char** argv) { return lepton::cli::main(argc, argv); }
