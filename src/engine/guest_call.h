// Calling into a guest from the host with raw values: the realloc-style allocators of the
// canonical ABI (Spin 1's `canonical_abi_realloc`, the component model's `cabi_realloc`) and
// plain exports. Calls may grow memory, so take a new GuestMemory view after each one.
#pragma once

#include <wasmtime.h>

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

#include "common/result.h"
#include "engine/guest_memory.h"

namespace lepton::engine {

// Calls `func` with i32 arguments; `results` receives up to results.size() i32 results.
// Traps come back as an Error carrying the trap message.
Result<void> call_i32(wasmtime_context_t* context, const wasmtime_func_t& func,
                      std::initializer_list<uint32_t> args, std::span<uint32_t> results);

// Calls `func` with raw values: `slots` holds the arguments and receives the results (it must be
// as long as the longer of the two lists).
Status call_raw(wasmtime_context_t* context, const wasmtime_func_t& func,
                std::span<wasmtime_val_raw_t> slots);

// Returns true when a failed call ended because the epoch deadline passed (or its task's deadline,
// or the task was cancelled).
bool is_interrupt(const Error& error);
// Returns true when a failed call ended because its task was cancelled (the client went away).
bool is_cancelled(const Error& error);
// What a guest task's epoch callback stops a guest with.
inline constexpr std::string_view kDeadlineMessage =
    "interrupt: the request's deadline passed or it was cancelled";

// Allocates guest memory through a realloc(old_ptr, old_size, align, new_size) export.
class GuestAllocator {
 public:
  GuestAllocator(wasmtime_context_t* context, wasmtime_func_t realloc, wasmtime_memory_t memory)
      : context_(context), realloc_(realloc), memory_(memory) {}

  Result<uint32_t> alloc(uint32_t align, uint32_t size);
  // Allocates and copies `bytes`; returns the guest pointer. Empty data still gets a real
  // (non-null) pointer, as Spin 1 hosts did.
  Result<uint32_t> copy_in(std::string_view bytes, uint32_t align = 1);
  // copy_in with ASCII letters lowercased in the copy (header names).
  Result<uint32_t> copy_in_lowercase(std::string_view bytes);
  // A fresh view of the memory (one call into Wasmtime).
  GuestMemory memory() const { return GuestMemory(context_, memory_); }
  // The view taken after the last allocation through this allocator: valid until guest code
  // runs again other than through this allocator.
  const GuestMemory& current() const { return view_; }

 private:
  Result<uint32_t> alloc_block(uint32_t align, uint32_t size);

  wasmtime_context_t* context_;
  wasmtime_func_t realloc_;
  wasmtime_memory_t memory_;
  GuestMemory view_;
};

}  // namespace lepton::engine

namespace lepton::engine {
// Defines a host function taking and returning raw values of the given kinds.
Status define_raw_func(wasmtime_linker_t* linker, std::string_view module, std::string_view name,
                       std::initializer_list<wasm_valkind_t> params,
                       std::initializer_list<wasm_valkind_t> results,
                       wasmtime_func_unchecked_callback_t callback, void* env = nullptr);
}  // namespace lepton::engine
