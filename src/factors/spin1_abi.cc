#include "factors/spin1_abi.h"

#include <array>

namespace lepton::factors::spin1 {

namespace {
constexpr std::array<std::string_view, 7> kMethods = {"GET",   "POST", "PUT",    "DELETE",
                                                      "PATCH", "HEAD", "OPTIONS"};
constexpr uint32_t kTupleSize = 16;

Result<bool> option_tag(const engine::GuestMemory& memory, uint32_t at, std::string_view what) {
  uint8_t tag = 0;
  if (!memory.load(at, tag)) return fail("{} tag at {:#x} is outside guest memory", what, at);
  if (tag > 1) return fail("invalid discriminant {} for option {} at {:#x}", tag, what, at);
  return tag == 1;
}
}  // namespace

std::optional<uint32_t> method_index(std::string_view method) {
  for (uint32_t i = 0; i < kMethods.size(); ++i)
    if (kMethods[i] == method) return i;
  return std::nullopt;
}

std::string_view method_name(uint32_t index) {
  return index < kMethods.size() ? kMethods[index] : std::string_view();
}

Result<GuestList> lower_headers(engine::GuestAllocator& alloc,
                                const std::vector<http::Header>& headers) {
  return lower_headers(alloc, {}, headers);
}

Result<GuestList> lower_headers(engine::GuestAllocator& alloc,
                                std::span<const http::Header> lowercased,
                                std::span<const http::Header> headers) {
  const auto count = static_cast<uint32_t>(lowercased.size() + headers.size());
  LEPTON_TRY(uint32_t array, alloc.alloc(4, count * kTupleSize));
  for (uint32_t i = 0; i < count; ++i) {
    const bool lower = i < lowercased.size();
    const http::Header& h = lower ? lowercased[i] : headers[i - lowercased.size()];
    LEPTON_TRY(uint32_t name, lower ? alloc.copy_in_lowercase(h.name) : alloc.copy_in(h.name));
    LEPTON_TRY(uint32_t value, alloc.copy_in(h.value));
    const uint32_t at = array + i * kTupleSize;
    const std::array<uint32_t, 4> tuple = {name, static_cast<uint32_t>(h.name.size()), value,
                                           static_cast<uint32_t>(h.value.size())};
    // Through the view taken after the last realloc (which may have grown memory).
    if (!alloc.current().store(at, tuple))
      return fail("header array at {:#x} is outside guest memory", at);
  }
  return GuestList{array, count};
}

Result<std::string> lift_bytes(const engine::GuestMemory& memory, GuestList list) {
  auto s = memory.string(list.ptr, list.len);
  if (!s) return fail("list {:#x}+{} is outside guest memory", list.ptr, list.len);
  return std::string(*s);
}

Result<std::vector<http::Header>> lift_headers(const engine::GuestMemory& memory, GuestList list) {
  if (!memory.slice(list.ptr, uint64_t{list.len} * kTupleSize))
    return fail("header list {:#x} ({} entries) is outside guest memory", list.ptr, list.len);
  std::vector<http::Header> headers;
  headers.reserve(list.len);
  for (uint32_t i = 0; i < list.len; ++i) {
    std::array<uint32_t, 4> t{};
    (void)memory.load(list.ptr + i * kTupleSize, t);
    auto name = memory.string(t[0], t[1]);
    auto value = memory.string(t[2], t[3]);
    if (!name || !value) return fail("header {} points outside guest memory", i);
    headers.push_back({std::string(*name), std::string(*value)});
  }
  return headers;
}

Result<http::Response> lift_response(const engine::GuestMemory& memory, uint32_t base) {
  using L = ResponseLayout;
  if (!memory.slice(base, L::kSize))
    return fail("response record at {:#x} is outside guest memory", base);
  http::Response response;
  uint16_t status = 0;
  (void)memory.load(base + L::kStatus, status);
  response.status = status;
  LEPTON_TRY(bool has_headers, option_tag(memory, base + L::kHeadersTag, "headers"));
  if (has_headers) {
    GuestList list;
    (void)memory.load(base + L::kHeadersPtr, list.ptr);
    (void)memory.load(base + L::kHeadersLen, list.len);
    LEPTON_TRY(response.headers, lift_headers(memory, list));
  }
  LEPTON_TRY(bool has_body, option_tag(memory, base + L::kBodyTag, "body"));
  if (has_body) {
    GuestList list;
    (void)memory.load(base + L::kBodyPtr, list.ptr);
    (void)memory.load(base + L::kBodyLen, list.len);
    LEPTON_TRY(response.body, lift_bytes(memory, list));
  }
  return response;
}

Status lower_response(engine::GuestAllocator& alloc, uint32_t base,
                      const http::Response& response) {
  using L = ResponseLayout;
  LEPTON_TRY(GuestList headers, lower_headers(alloc, response.headers));
  LEPTON_TRY(uint32_t body, alloc.copy_in(response.body));
  auto memory = alloc.memory();
  bool ok = memory.slice(base, L::kSize).has_value() &&
            memory.store(base + L::kStatus, static_cast<uint16_t>(response.status)) &&
            memory.store(base + L::kHeadersTag, uint8_t{1}) &&
            memory.store(base + L::kHeadersPtr, headers.ptr) &&
            memory.store(base + L::kHeadersLen, headers.len) &&
            memory.store(base + L::kBodyTag, uint8_t{1}) &&
            memory.store(base + L::kBodyPtr, body) &&
            memory.store(base + L::kBodyLen, static_cast<uint32_t>(response.body.size()));
  if (!ok) return fail("response record at {:#x} is outside guest memory", base);
  return {};
}

}  // namespace lepton::factors::spin1

namespace lepton::factors::spin1 {

Result<engine::GuestAllocator> caller_allocator(wasmtime_caller_t* caller) {
  wasmtime_extern_t memory, realloc;
  if (!wasmtime_caller_export_get(caller, "memory", 6, &memory) ||
      memory.kind != WASMTIME_EXTERN_MEMORY)
    return fail("the module exports no memory");
  static constexpr std::string_view kRealloc = "canonical_abi_realloc";
  if (!wasmtime_caller_export_get(caller, kRealloc.data(), kRealloc.size(), &realloc) ||
      realloc.kind != WASMTIME_EXTERN_FUNC)
    return fail("the module exports no function '{}'", kRealloc);
  return engine::GuestAllocator(wasmtime_caller_context(caller), realloc.of.func, memory.of.memory);
}

wasm_trap_t* trap(std::string_view interface, const Error& error) {
  std::string message = fmt::format("{}: {}", interface, error.message);
  return wasmtime_trap_new(message.data(), message.size());
}

}  // namespace lepton::factors::spin1
