// Registers the preview1 host functions with a Wasmtime linker as unchecked (raw-slot)
// functions. Each function's wasm signature is derived from its C++ parameter types, so the two
// cannot disagree.
#include <array>
#include <initializer_list>
#include <string_view>
#include <utility>

#include "engine/engine.h"
#include "engine/store.h"
#include "wasi/internal.h"

namespace lepton::wasi {

namespace {

using detail::Call;
using detail::Errno;

constexpr std::string_view kModule = "wasi_snapshot_preview1";

template <typename T>
struct WasmParam;
template <>
struct WasmParam<uint32_t> {
  static constexpr wasm_valkind_t kKind = WASM_I32;
  static uint32_t get(const wasmtime_val_raw_t& v) { return static_cast<uint32_t>(v.i32); }
};
template <>
struct WasmParam<uint64_t> {
  static constexpr wasm_valkind_t kKind = WASM_I64;
  static uint64_t get(const wasmtime_val_raw_t& v) { return static_cast<uint64_t>(v.i64); }
};

wasm_valtype_vec_t valtypes(std::initializer_list<wasm_valkind_t> kinds) {
  wasm_valtype_vec_t vec;
  wasm_valtype_vec_new_uninitialized(&vec, kinds.size());
  size_t i = 0;
  for (wasm_valkind_t kind : kinds) vec.data[i++] = wasm_valtype_new(kind);
  return vec;
}

wasm_functype_t* functype(std::initializer_list<wasm_valkind_t> params,
                          std::initializer_list<wasm_valkind_t> results) {
  wasm_valtype_vec_t p = valtypes(params);
  wasm_valtype_vec_t r = valtypes(results);
  return wasm_functype_new(&p, &r);
}

wasm_trap_t* trap(std::string_view message) {
  return wasmtime_trap_new(message.data(), message.size());
}

Preview1Ctx* ctx_of(wasmtime_caller_t* caller) {
  return engine::StoreData::of(caller).get<Preview1Ctx>();
}

constexpr std::string_view kNoContext =
    "lepton: a wasi_snapshot_preview1 function was called in a store without a WASI context";

template <auto F>
struct Thunk;

template <typename... A, Errno (*F)(Call&, A...)>
struct Thunk<F> {
  static wasm_trap_t* invoke(void*, wasmtime_caller_t* caller, wasmtime_val_raw_t* raw, size_t) {
    Preview1Ctx* ctx = ctx_of(caller);
    if (ctx == nullptr) return trap(kNoContext);
    Call call(*ctx, caller);
    Errno e = apply(call, raw, std::index_sequence_for<A...>{});
    if (call.trap) return trap(*call.trap);
    raw[0].i32 = static_cast<int32_t>(e);
    return nullptr;
  }

  template <size_t... I>
  static Errno apply(Call& call, const wasmtime_val_raw_t* raw, std::index_sequence<I...>) {
    return F(call, WasmParam<A>::get(raw[I])...);
  }

  static wasm_functype_t* type() { return functype({WasmParam<A>::kKind...}, {WASM_I32}); }
};

// proc_exit(code: i32) has no result: it records the code and unwinds the guest with a trap.
wasm_trap_t* proc_exit(void*, wasmtime_caller_t* caller, wasmtime_val_raw_t* raw, size_t) {
  Preview1Ctx* ctx = ctx_of(caller);
  if (ctx == nullptr) return trap(kNoContext);
  ctx->set_exit_code(raw[0].i32);
  return trap(kExitTrapMessage);
}

wasm_functype_t* proc_exit_type() { return functype({WASM_I32}, {}); }

struct Definition {
  std::string_view name;
  wasmtime_func_unchecked_callback_t callback;
  wasm_functype_t* (*type)();
};

#define LEPTON_WASI_FN(name) \
  Definition { #name, &Thunk<&detail::name>::invoke, &Thunk<&detail::name>::type }

constexpr std::array kDefinitions = {
    LEPTON_WASI_FN(args_get),
    LEPTON_WASI_FN(args_sizes_get),
    LEPTON_WASI_FN(environ_get),
    LEPTON_WASI_FN(environ_sizes_get),
    LEPTON_WASI_FN(clock_res_get),
    LEPTON_WASI_FN(clock_time_get),
    LEPTON_WASI_FN(fd_advise),
    LEPTON_WASI_FN(fd_allocate),
    LEPTON_WASI_FN(fd_close),
    LEPTON_WASI_FN(fd_datasync),
    LEPTON_WASI_FN(fd_fdstat_get),
    LEPTON_WASI_FN(fd_fdstat_set_flags),
    LEPTON_WASI_FN(fd_fdstat_set_rights),
    LEPTON_WASI_FN(fd_filestat_get),
    LEPTON_WASI_FN(fd_filestat_set_size),
    LEPTON_WASI_FN(fd_filestat_set_times),
    LEPTON_WASI_FN(fd_pread),
    LEPTON_WASI_FN(fd_prestat_get),
    LEPTON_WASI_FN(fd_prestat_dir_name),
    LEPTON_WASI_FN(fd_pwrite),
    LEPTON_WASI_FN(fd_read),
    LEPTON_WASI_FN(fd_readdir),
    LEPTON_WASI_FN(fd_renumber),
    LEPTON_WASI_FN(fd_seek),
    LEPTON_WASI_FN(fd_sync),
    LEPTON_WASI_FN(fd_tell),
    LEPTON_WASI_FN(fd_write),
    LEPTON_WASI_FN(path_create_directory),
    LEPTON_WASI_FN(path_filestat_get),
    LEPTON_WASI_FN(path_filestat_set_times),
    LEPTON_WASI_FN(path_link),
    LEPTON_WASI_FN(path_open),
    LEPTON_WASI_FN(path_readlink),
    LEPTON_WASI_FN(path_remove_directory),
    LEPTON_WASI_FN(path_rename),
    LEPTON_WASI_FN(path_symlink),
    LEPTON_WASI_FN(path_unlink_file),
    LEPTON_WASI_FN(poll_oneoff),
    Definition{"proc_exit", &proc_exit, &proc_exit_type},
    LEPTON_WASI_FN(proc_raise),
    LEPTON_WASI_FN(sched_yield),
    LEPTON_WASI_FN(random_get),
    LEPTON_WASI_FN(sock_accept),
    LEPTON_WASI_FN(sock_recv),
    LEPTON_WASI_FN(sock_send),
    LEPTON_WASI_FN(sock_shutdown),
};
static_assert(kDefinitions.size() == 46, "wasi_snapshot_preview1 has 46 functions");

#undef LEPTON_WASI_FN

}  // namespace

Status define_preview1(wasmtime_linker_t* linker) {
  for (const Definition& def : kDefinitions) {
    wasm_functype_t* type = def.type();
    wasmtime_error_t* error = wasmtime_linker_define_func_unchecked(
        linker, kModule.data(), kModule.size(), def.name.data(), def.name.size(), type,
        def.callback, nullptr, nullptr);
    wasm_functype_delete(type);
    if (error != nullptr)
      return engine::take_error(error).context(fmt::format("defining {}::{}", kModule, def.name));
  }
  return {};
}

std::vector<std::string> preview1_function_names() {
  std::vector<std::string> names;
  for (const Definition& def : kDefinitions) names.emplace_back(def.name);
  return names;
}

}  // namespace lepton::wasi
