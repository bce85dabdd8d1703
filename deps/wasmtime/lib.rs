// Re-export Wasmtime's C API so cargo emits it as the static library `libwasmtime.a`.
pub use wasmtime_c_api::*;

// Two settings lepton needs that the 48.0.8 C API lacks (declared in src/engine/wasmtime_ext.h).
// The C API's handle types are single-field wrappers around Wasmtime's Rust types whose field is
// crate-private, so these reach the inner value through a pointer cast; the assertions below
// stop the build if a future version changes that layout.
use std::mem::{align_of, size_of};
use wasmtime_c_api::wasmtime::{format_err, Config, Enabled, Engine, PoolingAllocationConfig};

const _: () = assert!(size_of::<wasmtime_pooling_allocation_config_t>() == size_of::<PoolingAllocationConfig>());
const _: () = assert!(align_of::<wasmtime_pooling_allocation_config_t>() == align_of::<PoolingAllocationConfig>());
const _: () = assert!(size_of::<wasm_config_t>() == size_of::<Config>());
const _: () = assert!(align_of::<wasm_config_t>() == align_of::<Config>());
const _: () = assert!(size_of::<wasm_engine_t>() == size_of::<Engine>());
const _: () = assert!(align_of::<wasm_engine_t>() == align_of::<Engine>());

/// Resets pooled linear memory by scanning for resident pages (Linux `PAGEMAP_SCAN`, 6.7+) and
/// restoring only those, instead of `memset` over the whole keep-resident region. Falls back to
/// the plain behaviour where the ioctl is missing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lepton_pooling_allocation_config_pagemap_scan_set(
    pool: *mut wasmtime_pooling_allocation_config_t,
    enable: bool,
) {
    let pool = unsafe { &mut *(pool as *mut PoolingAllocationConfig) };
    pool.pagemap_scan(if enable { Enabled::Auto } else { Enabled::No });
}

/// `wasm_engine_new_with_config`, but an engine that cannot be created (e.g. the pooling
/// allocator cannot reserve its address space) is returned as an error instead of aborting the
/// process. Takes ownership of `config` in every case.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lepton_engine_new(
    config: *mut wasm_config_t,
    out: *mut *mut wasm_engine_t,
) -> Option<Box<wasmtime_error_t>> {
    let config = unsafe { Box::from_raw(config as *mut Config) };
    match Engine::new(&config) {
        Ok(engine) => {
            unsafe { *out = Box::into_raw(Box::new(engine)) as *mut wasm_engine_t };
            None
        }
        // One line ("a: b: c") instead of the multi-line "Caused by:" report.
        Err(error) => Some(Box::new(wasmtime_error_t::from(format_err!("{error:#}")))),
    }
}
