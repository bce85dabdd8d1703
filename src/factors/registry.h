// The one registration point of host interfaces ("factors"): every interface a guest may
// import is defined here, once per process, into the linker all components are resolved with.
#pragma once

#include <wasmtime.h>

#include "common/result.h"

namespace lepton::factors {

Status define_all(wasmtime_linker_t* linker);

// Each factor's own registration, called by define_all.
Status define_spin1_config(wasmtime_linker_t* linker);
Status define_spin1_outbound_http(wasmtime_linker_t* linker);

}  // namespace lepton::factors
