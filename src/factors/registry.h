// The one registration point of host interfaces ("factors"): every interface a guest may
// import is defined here, once per process, into the linker all components are resolved with.
#pragma once

#include <wasmtime.h>

#include "common/result.h"
#include "component/host.h"

namespace lepton::factors {

// Core-module host interfaces (wasi_snapshot_preview1, Spin 1 ABI imports) into `linker`.
Status define_all(wasmtime_linker_t* linker);
// Component-model host interfaces (WASI 0.2, wasi:http, ...) into `registry`.
void register_all(component::HostRegistry& registry);

// Each factor's own registration, called by define_all.
Status define_spin1_config(wasmtime_linker_t* linker);
Status define_spin1_outbound_http(wasmtime_linker_t* linker);
Status define_spin1_outbound_redis(wasmtime_linker_t* linker);
Status define_spin1_key_value(wasmtime_linker_t* linker);
Status define_spin1_outbound_mysql(wasmtime_linker_t* linker);
Status define_spin1_sqlite(wasmtime_linker_t* linker);
Status define_spin1_outbound_pg(wasmtime_linker_t* linker);

}  // namespace lepton::factors
