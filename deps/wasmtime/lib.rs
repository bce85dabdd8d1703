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

// Exports resolved once per module instead of by name per request: `Module::get_export_index`
// and `Instance::get_module_export` (wasmtime_instance_export_get checks UTF-8, hashes the name
// and searches the export map every time). Plus one call for a memory's base and size (the C
// API needs two, each finding the memory in the store).
use wasmtime_c_api::wasmtime::{Instance, Memory, Module, ModuleExport};

const _: () = assert!(size_of::<wasmtime_module_t>() == size_of::<Module>());
const _: () = assert!(align_of::<wasmtime_module_t>() == align_of::<Module>());

/// The location of export `name` in `module`, or null when the module has no such export (or
/// the name is not UTF-8). Free with `lepton_module_export_delete`. Valid for instances of this
/// module (and only those: `lepton_instance_module_export` rejects any other instance).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lepton_module_export_index(
    module: *const wasmtime_module_t,
    name: *const u8,
    len: usize,
) -> *mut ModuleExport {
    let module = unsafe { &*(module as *const Module) };
    let name = if len == 0 { &[][..] } else { unsafe { std::slice::from_raw_parts(name, len) } };
    let Ok(name) = std::str::from_utf8(name) else { return std::ptr::null_mut() };
    match module.get_export_index(name) {
        Some(export) => Box::into_raw(Box::new(export)),
        None => std::ptr::null_mut(),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn lepton_module_export_delete(export: *mut ModuleExport) {
    if !export.is_null() {
        drop(unsafe { Box::from_raw(export) });
    }
}

/// `wasmtime_instance_export_get` by a location from `lepton_module_export_index`. False when
/// the instance is not of the module the location was taken from. The instance must belong to
/// the store of `store` (as for every wasmtime_instance_* function).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lepton_instance_module_export(
    store: WasmtimeStoreContextMut<'_>,
    instance: &Instance,
    export: &ModuleExport,
    item: &mut std::mem::MaybeUninit<wasmtime_extern_t>,
) -> bool {
    match instance.get_module_export(store, export) {
        Some(e) => {
            item.write(wasmtime_extern_t::from(e));
            true
        }
        None => false,
    }
}

/// wasmtime_memory_data and wasmtime_memory_data_size in one call: returns the base, stores the
/// size in bytes in `*size`.
#[unsafe(no_mangle)]
pub extern "C" fn lepton_memory_view(
    store: WasmtimeStoreContextMut<'_>,
    memory: &Memory,
    size: &mut usize,
) -> *mut u8 {
    let data = memory.data_mut(store);
    *size = data.len();
    data.as_mut_ptr()
}

// A component's host trampolines, fetched for a store all at once instead of one
// wasmtime_linker_get each (which interns both names in the linker's string pool, hashes them
// and searches its map every time).
use wasmtime_c_api::wasmtime::Linker;

const _: () = assert!(size_of::<wasmtime_linker_t>() == size_of::<Linker<WasmtimeStoreData>>());
const _: () = assert!(align_of::<wasmtime_linker_t>() == align_of::<Linker<WasmtimeStoreData>>());

/// Writes every definition of `linker` in module `module` whose name is a decimal index below
/// `n` (lepton names trampoline i "i") to `out[index]`, as `wasmtime_linker_get` would, in one
/// pass over the linker. Returns how many were written; entries of `out` without a definition
/// are left as they were.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lepton_linker_get_indexed(
    linker: *const wasmtime_linker_t,
    mut store: WasmtimeStoreContextMut<'_>,
    module: *const u8,
    module_len: usize,
    out: *mut wasmtime_extern_t,
    n: usize,
) -> usize {
    let linker = unsafe { &*(linker as *const Linker<WasmtimeStoreData>) };
    let module =
        if module_len == 0 { &[][..] } else { unsafe { std::slice::from_raw_parts(module, module_len) } };
    let mut written = 0;
    for (m, name, item) in linker.iter(&mut store) {
        if m.as_bytes() != module {
            continue;
        }
        let Ok(index) = name.parse::<usize>() else { continue };
        if index >= n {
            continue;
        }
        unsafe { out.add(index).write(wasmtime_extern_t::from(item)) };
        written += 1;
    }
    written
}

// Cranelift's incremental compilation cache, on disk: one file per compiled function, named by
// the hex of its cache key (a hash of the function's IR and the compiler settings). A file holds
// the key followed by the value, and is only trusted when the stored key matches. Writes go to a
// temporary name and are renamed into place, so concurrent lepton processes never see half a
// file. Any I/O error is a cache miss or a failed insert, never a compile error.
use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;
use wasmtime_c_api::wasmtime::CacheStore;

#[derive(Debug)]
struct DirCacheStore {
    dir: PathBuf,
}

impl DirCacheStore {
    fn path(&self, key: &[u8]) -> PathBuf {
        let mut name = String::with_capacity(2 * key.len().min(64) + 4);
        for b in key.iter().take(64) {
            name.push_str(&format!("{b:02x}"));
        }
        // Two-level fan-out keeps directories small (tens of thousands of functions per engine).
        let (head, _) = name.split_at(name.len().min(2));
        self.dir.join(head).join(&name)
    }
}

impl CacheStore for DirCacheStore {
    fn get(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        let bytes = std::fs::read(self.path(key)).ok()?;
        if bytes.len() < 4 {
            return None;
        }
        let key_len = u32::from_le_bytes(bytes[..4].try_into().ok()?) as usize;
        if bytes.len() < 4 + key_len || &bytes[4..4 + key_len] != key {
            return None;
        }
        Some(Cow::Owned(bytes[4 + key_len..].to_vec()))
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        let path = self.path(key);
        let Some(parent) = path.parent() else { return false };
        if std::fs::create_dir_all(parent).is_err() {
            return false;
        }
        let mut bytes = Vec::with_capacity(4 + key.len() + value.len());
        bytes.extend_from_slice(&(key.len() as u32).to_le_bytes());
        bytes.extend_from_slice(key);
        bytes.extend_from_slice(&value);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, &bytes).is_err() {
            let _ = std::fs::remove_file(&tmp);
            return false;
        }
        std::fs::rename(&tmp, &path).is_ok()
    }
}

/// Turns on Cranelift's incremental compilation cache in directory `dir` (`len` bytes of UTF-8,
/// created on first insert).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lepton_config_incremental_cache_set(
    config: *mut wasm_config_t,
    dir: *const u8,
    len: usize,
) -> Option<Box<wasmtime_error_t>> {
    let config = unsafe { &mut *(config as *mut Config) };
    let dir = match std::str::from_utf8(unsafe { std::slice::from_raw_parts(dir, len) }) {
        Ok(d) => PathBuf::from(d),
        Err(_) => return Some(Box::new(wasmtime_error_t::from(format_err!("cache dir is not UTF-8")))),
    };
    match config.enable_incremental_compilation(Arc::new(DirCacheStore { dir })) {
        Ok(_) => None,
        Err(error) => Some(Box::new(wasmtime_error_t::from(format_err!("{error:#}")))),
    }
}

// Guests that wait without holding a thread. A guest call made with `wasmtime_func_call_async`
// runs on a fiber; host code running on that fiber (inside a host function) calls the function
// made here, with `wasmtime_func_call_unchecked`, to suspend the fiber: the call future's poll
// returns false at once, and the next poll resumes the host code where it called. The C API only
// lets a host function wait by returning a continuation after it has finished with its caller,
// which does not fit a host function that still has to write results into guest memory (and may
// call the guest's realloc) once its I/O is done; this lets lepton's host code wait in the middle.
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use wasmtime_c_api::wasmtime::{Func, FuncType};

struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            Poll::Pending
        }
    }
}

/// Makes, in the store of `store`, a function of type `[] -> []` that suspends the calling fiber
/// once. Making it marks the store as needing async entry points (instantiate before).
#[unsafe(no_mangle)]
pub extern "C" fn lepton_suspend_func_new(mut store: WasmtimeStoreContextMut<'_>, out: &mut Func) {
    let ty = FuncType::new(store.engine(), [], []);
    *out = Func::new_async(&mut store, ty, |_caller, _params, _results| {
        Box::new(async {
            YieldOnce(false).await;
            Ok(())
        })
    });
}
