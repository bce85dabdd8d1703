// The wit-bindgen 0.2 canonical ABI that Spin 1.x core modules speak (docs/spin1-abi.md):
// strings/lists are (ptr, len) pairs, a header is a 16-byte tuple of two strings, variant tags
// are single bytes, and multi-value results go through a return area.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "engine/guest_call.h"
#include "engine/guest_memory.h"
#include "http/message.h"

namespace lepton::factors::spin1 {

// enum method { get, post, put, delete, patch, head, options }
std::optional<uint32_t> method_index(std::string_view method);
std::string_view method_name(uint32_t index);  // "" when out of range

// The `response` record (28 bytes, align 4) as stored in a return area at `base`.
struct ResponseLayout {
  static constexpr uint32_t kSize = 28;
  static constexpr uint32_t kStatus = 0, kHeadersTag = 4, kHeadersPtr = 8, kHeadersLen = 12,
                            kBodyTag = 16, kBodyPtr = 20, kBodyLen = 24;
};

struct GuestList {
  uint32_t ptr = 0;
  uint32_t len = 0;
};

// Copies headers into guest memory as list<tuple<string,string>>.
Result<GuestList> lower_headers(engine::GuestAllocator& alloc,
                                const std::vector<http::Header>& headers);
// The same for the concatenation of two lists, the names of the first lowercased (ASCII) on
// the way: a request's own headers, then the spin-* headers.
Result<GuestList> lower_headers(engine::GuestAllocator& alloc,
                                std::span<const http::Header> lowercased,
                                std::span<const http::Header> headers);
// Reads list<tuple<string,string>>; errors name the bad element.
Result<std::vector<http::Header>> lift_headers(const engine::GuestMemory& memory, GuestList list);
Result<std::string> lift_bytes(const engine::GuestMemory& memory, GuestList list);

// Reads a `response` record: status, option<headers>, option<body>.
Result<http::Response> lift_response(const engine::GuestMemory& memory, uint32_t base);
// Writes a `response` record at `base` (lists allocated through `alloc`).
Status lower_response(engine::GuestAllocator& alloc, uint32_t base, const http::Response& response);

}  // namespace lepton::factors::spin1

namespace lepton::factors::spin1 {
// The calling guest's memory and `canonical_abi_realloc`, for host functions that return
// strings or lists; the error says which export is missing.
Result<engine::GuestAllocator> caller_allocator(wasmtime_caller_t* caller);
// A trap for a host function to return; the message names the interface.
wasm_trap_t* trap(std::string_view interface, const Error& error);
}  // namespace lepton::factors::spin1
