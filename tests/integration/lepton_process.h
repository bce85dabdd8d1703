// LeptonServer / TempApp / run_lepton moved to tests/support (shared with the conformance runner).
#pragma once

#include "support/lepton_process.h"
