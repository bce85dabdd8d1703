// Bounds-checked view of a guest's linear memory for host functions. A view is valid only until
// guest code runs again (memory.grow may move it), so host functions take a fresh one per call.
#pragma once

#include <wasmtime.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "engine/wasmtime_ext.h"

namespace lepton::engine {

class GuestMemory {
 public:
  GuestMemory() = default;
  GuestMemory(wasmtime_context_t* context, const wasmtime_memory_t& memory) {
    base_ = lepton_memory_view(context, &memory, &size_);  // one call into Wasmtime, not two
  }

  // The caller's exported "memory", if it has one.
  static std::optional<GuestMemory> of_caller(wasmtime_caller_t* caller) {
    wasmtime_extern_t item;
    if (!wasmtime_caller_export_get(caller, "memory", 6, &item)) return std::nullopt;
    if (item.kind != WASMTIME_EXTERN_MEMORY) {
      wasmtime_extern_delete(&item);
      return std::nullopt;
    }
    return GuestMemory(wasmtime_caller_context(caller), item.of.memory);
  }

  size_t size() const { return size_; }

  // [ptr, ptr+len) if it lies inside memory.
  std::optional<std::span<uint8_t>> slice(uint64_t ptr, uint64_t len) const {
    if (ptr > size_ || len > size_ - ptr) return std::nullopt;
    return std::span<uint8_t>(base_ + ptr, len);
  }
  std::optional<std::string_view> string(uint64_t ptr, uint64_t len) const {
    auto s = slice(ptr, len);
    if (!s) return std::nullopt;
    return std::string_view(reinterpret_cast<const char*>(s->data()), s->size());
  }

  // Little-endian loads and stores of plain integers (wasm is little-endian, so is x86-64).
  template <typename T>
  bool load(uint64_t ptr, T& out) const {
    static_assert(std::is_trivially_copyable_v<T>);
    auto s = slice(ptr, sizeof(T));
    if (!s) return false;
    std::memcpy(&out, s->data(), sizeof(T));
    return true;
  }
  template <typename T>
  bool store(uint64_t ptr, const T& value) const {
    static_assert(std::is_trivially_copyable_v<T>);
    auto s = slice(ptr, sizeof(T));
    if (!s) return false;
    std::memcpy(s->data(), &value, sizeof(T));
    return true;
  }
  bool write(uint64_t ptr, std::string_view bytes) const {
    auto s = slice(ptr, bytes.size());
    if (!s) return false;
    if (!bytes.empty()) std::memcpy(s->data(), bytes.data(), bytes.size());
    return true;
  }

 private:
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
};

}  // namespace lepton::engine
