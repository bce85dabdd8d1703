#include "engine/guest_call.h"

#include <array>
#include <cstring>
#include <vector>

#include "engine/engine.h"

namespace lepton::engine {

namespace {
constexpr std::string_view kInterruptMarker = "interrupt";
constexpr std::string_view kCancelledMarker = "the request was cancelled";
}  // namespace

Result<void> call_i32(wasmtime_context_t* context, const wasmtime_func_t& func,
                      std::initializer_list<uint32_t> args, std::span<uint32_t> results) {
  // Only the argument slots need values: the callee writes its results over them.
  std::array<wasmtime_val_raw_t, 16> slots;
  size_t n = std::max(args.size(), results.size());
  if (n > slots.size()) return fail("too many arguments for a raw guest call ({})", n);
  size_t i = 0;
  for (uint32_t a : args) slots[i++].i32 = static_cast<int32_t>(a);
  for (; i < n; ++i) slots[i].i64 = 0;
  LEPTON_CHECK(call_raw(context, func, std::span(slots.data(), n)));
  for (size_t r = 0; r < results.size(); ++r) results[r] = static_cast<uint32_t>(slots[r].i32);
  return {};
}

Status call_raw(wasmtime_context_t* context, const wasmtime_func_t& func,
                std::span<wasmtime_val_raw_t> slots) {
  wasm_trap_t* trap = nullptr;
  if (wasmtime_error_t* error =
          wasmtime_func_call_unchecked(context, &func, slots.data(), slots.size(), &trap))
    return take_error(error);
  if (trap != nullptr) {
    wasmtime_trap_code_t code;
    bool interrupted = wasmtime_trap_code(trap, &code) && code == WASMTIME_TRAP_CODE_INTERRUPT;
    Error e = take_trap(trap);
    if (interrupted) e.message = fmt::format("{} ({})", kInterruptMarker, e.message);
    return e;
  }
  return {};
}

bool is_cancelled(const Error& error) {
  return error.message.find(kCancelledMarker) != std::string::npos;
}

bool is_interrupt(const Error& error) {
  // A trap at the epoch deadline, or the error a guest task's epoch callback stops it with
  // (guest_task.cc), which Wasmtime reports under its backtrace.
  return error.message.starts_with(kInterruptMarker) ||
         error.message.find(kDeadlineMessage) != std::string::npos;
}

Result<uint32_t> GuestAllocator::alloc(uint32_t align, uint32_t size) {
  return alloc_block(align, size);
}

// One memory view per allocation, taken after the guest call (which may have grown memory),
// serves the bounds check, the copy and the caller's stores that follow (current()).
Result<uint32_t> GuestAllocator::alloc_block(uint32_t align, uint32_t size) {
  uint32_t ptr = 0;
  LEPTON_CHECK(call_i32(context_, realloc_, {0, 0, align, size}, std::span(&ptr, 1)));
  view_ = memory();
  if (size != 0 && !view_.slice(ptr, size))
    return fail("guest realloc returned {:#x}+{} outside its memory", ptr, size);
  return ptr;
}

Result<uint32_t> GuestAllocator::copy_in(std::string_view bytes, uint32_t align) {
  LEPTON_TRY(uint32_t ptr, alloc_block(align, static_cast<uint32_t>(bytes.size())));
  if (bytes.empty()) {
    if (!view_.slice(ptr, 0)) return fail("guest memory too small for 0 bytes");
    return ptr;
  }
  std::memcpy(view_.slice(ptr, bytes.size())->data(), bytes.data(), bytes.size());
  return ptr;
}

Result<uint32_t> GuestAllocator::copy_in_lowercase(std::string_view bytes) {
  LEPTON_TRY(uint32_t ptr, copy_in(bytes));
  if (auto dst = view_.slice(ptr, bytes.size()); dst && !bytes.empty())
    for (uint8_t& c : *dst)
      if (c >= 'A' && c <= 'Z') c = static_cast<uint8_t>(c + ('a' - 'A'));
  return ptr;
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
