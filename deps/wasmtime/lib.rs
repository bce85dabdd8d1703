// Re-export Wasmtime's C API so cargo emits it as the static library `libwasmtime.a`.
pub use wasmtime_c_api::*;
