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

// Where export `name` is in `module` (Wasmtime's ModuleExport), resolved once so that instances
// can look it up without the by-name search (UTF-8 check, hash, map) of
// wasmtime_instance_export_get. Null when the module has no such export. Free with
// lepton_module_export_delete.
typedef struct lepton_module_export lepton_module_export_t;
lepton_module_export_t* lepton_module_export_index(const wasmtime_module_t* module,
                                                   const char* name, size_t len);
void lepton_module_export_delete(lepton_module_export_t* export_);

// wasmtime_instance_export_get by a resolved location; false when `instance` is not an instance
// of the module the location came from. `instance` must belong to the store of `context`.
bool lepton_instance_module_export(wasmtime_context_t* context, const wasmtime_instance_t* instance,
                                   const lepton_module_export_t* export_, wasmtime_extern_t* item);

// wasmtime_memory_data and wasmtime_memory_data_size in one call into Wasmtime.
uint8_t* lepton_memory_view(wasmtime_context_t* context, const wasmtime_memory_t* memory,
                            size_t* size);

// Every definition of `linker` in `module` named by a decimal index below `n` ("0", "1", …),
// made for the store of `context` as wasmtime_linker_get would, written to out[index], in one
// pass with no lookup by name. Returns how many were written; other entries are left as they were.
size_t lepton_linker_get_indexed(const wasmtime_linker_t* linker, wasmtime_context_t* context,
                                 const char* module, size_t module_len, wasmtime_extern_t* out,
                                 size_t n);

// Turns on Cranelift's incremental compilation cache, kept in directory `dir` (`len` bytes of
// UTF-8): one file per compiled function, keyed by a hash of its IR and the compiler settings.
wasmtime_error_t* lepton_config_incremental_cache_set(wasm_config_t* config, const uint8_t* dir,
                                                      size_t len);

// Makes, in the store of `context`, a function of type [] -> [] that suspends the fiber of the
// async call running it once: called (wasmtime_func_call_unchecked) from host code inside a guest
// call made with wasmtime_func_call_async, it makes that call's future poll return false, and
// returns when the future is polled again. Marks the store as needing async entry points.
void lepton_suspend_func_new(wasmtime_context_t* context, wasmtime_func_t* out);

#ifdef __cplusplus
}
#endif
