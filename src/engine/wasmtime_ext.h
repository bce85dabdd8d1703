// Settings lepton needs that Wasmtime's C API (48.0.8) does not expose, implemented in our
// wrapper crate (deps/wasmtime/lib.rs) on top of Wasmtime's Rust API.
#pragma once

#include <wasmtime.h>

#ifdef __cplusplus
extern "C" {
#endif

// Reset pooled memory by restoring only resident pages (Linux PAGEMAP_SCAN, kernel 6.7+);
// Wasmtime falls back to memset of the keep-resident region where the ioctl is unavailable.
void lepton_pooling_allocation_config_pagemap_scan_set(wasmtime_pooling_allocation_config_t* pool,
                                                       bool enable);

// Like wasm_engine_new_with_config (takes ownership of config), but returns an error instead of
// aborting the process when the engine cannot be created.
wasmtime_error_t* lepton_engine_new(wasm_config_t* config, wasm_engine_t** out);

#ifdef __cplusplus
}
#endif
