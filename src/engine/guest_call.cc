#include "engine/guest_call.h"

#include <array>
#include <cstring>
#include <vector>

#include "engine/engine.h"

namespace lepton::engine {

namespace {
constexpr std::string_view kInterruptMarker = "interrupt";
}

Result<void> call_i32(wasmtime_context_t* context, const wasmtime_func_t& func,
                      std::initializer_list<uint32_t> args, std::span<uint32_t> results) {
  // Only the argument slots need values: the callee writes its results over them.
  std::array<wasmtime_val_raw_t, 16> slots;
  size_t n = std::max(args.size(), results.size());
  if (n > slots.size()) return fail("too many arguments for a raw guest call ({})", n);
  size_t i = 0;
  for (uint32_t a : args) slots[i++].i32 = static_cast<int32_t>(a);
  for (; i < n; ++i) slots[i].i64 = 0;
  wasm_trap_t* trap = nullptr;
  if (wasmtime_error_t* error =
          wasmtime_func_call_unchecked(context, &func, slots.data(), n, &trap))
    return take_error(error);
  if (trap != nullptr) {
    wasmtime_trap_code_t code;
    bool interrupted = wasmtime_trap_code(trap, &code) && code == WASMTIME_TRAP_CODE_INTERRUPT;
    Error e = take_trap(trap);
    if (interrupted) e.message = fmt::format("{} ({})", kInterruptMarker, e.message);
    return e;
  }
  for (size_t r = 0; r < results.size(); ++r) results[r] = static_cast<uint32_t>(slots[r].i32);
  return {};
}

bool is_interrupt(const Error& error) { return error.message.starts_with(kInterruptMarker); }

Result<uint32_t> GuestAllocator::alloc(uint32_t align, uint32_t size) {
  LEPTON_TRY(auto block, alloc_block(align, size));
  return block.ptr;
}

// One memory view per allocation, taken after the guest call (which may have grown memory),
// serves both the bounds check and the copy: each view costs two calls into Wasmtime.
Result<GuestAllocator::Block> GuestAllocator::alloc_block(uint32_t align, uint32_t size) {
  Block block;
  LEPTON_CHECK(call_i32(context_, realloc_, {0, 0, align, size}, std::span(&block.ptr, 1)));
  if (size == 0) return block;
  auto bytes = memory().slice(block.ptr, size);
  if (!bytes) return fail("guest realloc returned {:#x}+{} outside its memory", block.ptr, size);
  block.bytes = *bytes;
  return block;
}

Result<uint32_t> GuestAllocator::copy_in(std::string_view bytes, uint32_t align) {
  LEPTON_TRY(auto block, alloc_block(align, static_cast<uint32_t>(bytes.size())));
  if (bytes.empty()) {
    if (!memory().slice(block.ptr, 0)) return fail("guest memory too small for 0 bytes");
    return block.ptr;
  }
  std::memcpy(block.bytes.data(), bytes.data(), bytes.size());
  return block.ptr;
}

}  // namespace lepton::engine

namespace lepton::engine {

namespace {
void fill(wasm_valtype_vec_t& vec, std::initializer_list<wasm_valkind_t> kinds) {
  std::vector<wasm_valtype_t*> types;
  for (auto k : kinds) types.push_back(wasm_valtype_new(k));
  if (types.empty()) {
    wasm_valtype_vec_new_empty(&vec);
  } else {
    wasm_valtype_vec_new(&vec, types.size(), types.data());
  }
}
}  // namespace

Status define_raw_func(wasmtime_linker_t* linker, std::string_view module, std::string_view name,
                       std::initializer_list<wasm_valkind_t> params,
                       std::initializer_list<wasm_valkind_t> results,
                       wasmtime_func_unchecked_callback_t callback, void* env) {
  wasm_valtype_vec_t p, r;
  fill(p, params);
  fill(r, results);
  wasm_functype_t* type = wasm_functype_new(&p, &r);
  wasmtime_error_t* error = wasmtime_linker_define_func_unchecked(
      linker, module.data(), module.size(), name.data(), name.size(), type, callback, env, nullptr);
  wasm_functype_delete(type);
  if (error != nullptr)
    return take_error(error).context(fmt::format("defining {}::{}", module, name));
  return {};
}

}  // namespace lepton::engine
