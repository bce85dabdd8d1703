// Test helpers for the canonical ABI: a guest memory in a vector with a bump realloc that records
// its calls, like a guest's cabi_realloc would see them.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "component/canonical_abi.h"

namespace lepton::component::testing {

struct ReallocCall {
  uint32_t old_ptr, old_size, alignment, new_size;
  bool operator==(const ReallocCall&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const ReallocCall& c) {
  return os << "realloc(" << c.old_ptr << ", " << c.old_size << ", " << c.alignment << ", "
            << c.new_size << ")";
}

class BumpRealloc : public Realloc {
 public:
  explicit BumpRealloc(size_t memory_size = 1 << 16, uint32_t heap_start = 1024)
      : bytes(memory_size), next_(heap_start) {}

  Result<uint32_t> realloc(uint32_t old_ptr, uint32_t old_size, uint32_t alignment,
                           uint32_t new_size) override {
    calls.push_back({old_ptr, old_size, alignment, new_size});
    if (fixed_result) return *fixed_result;
    if (old_ptr != 0 && new_size <= old_size) return old_ptr;  // shrink in place
    uint64_t ptr = (next_ + alignment - 1) / alignment * alignment;
    if (ptr + new_size > bytes.size()) {
      if (!grow) return fail("out of memory");
      bytes.resize(std::max<size_t>(bytes.size() * 2, ptr + new_size));
    }
    if (old_ptr != 0) std::memmove(bytes.data() + ptr, bytes.data() + old_ptr, old_size);
    next_ = ptr + new_size;
    return static_cast<uint32_t>(ptr);
  }
  std::span<uint8_t> memory() override { return bytes; }

  Context context(StringEncoding encoding = StringEncoding::kUtf8) {
    return Context{.memory = bytes, .encoding = encoding, .realloc = this};
  }

  void put(uint32_t ptr, std::string_view data) {
    std::memcpy(bytes.data() + ptr, data.data(), data.size());
  }
  template <typename T>
  void put_le(uint32_t ptr, T v) {
    std::memcpy(bytes.data() + ptr, &v, sizeof(T));
  }
  template <typename T>
  T get_le(uint32_t ptr) const {
    T v;
    std::memcpy(&v, bytes.data() + ptr, sizeof(T));
    return v;
  }
  std::string get(uint32_t ptr, uint32_t len) const {
    return std::string(reinterpret_cast<const char*>(bytes.data() + ptr), len);
  }

  std::vector<uint8_t> bytes;
  std::vector<ReallocCall> calls;
  std::optional<uint32_t> fixed_result;  // return this pointer from every call
  bool grow = true;                      // grow (and so move) memory when full

 private:
  uint64_t next_;
};

inline wasmtime_val_raw_t raw_i32(uint32_t v) {
  wasmtime_val_raw_t r;
  std::memset(&r, 0, sizeof(r));
  r.i32 = static_cast<int32_t>(v);
  return r;
}
inline wasmtime_val_raw_t raw_i64(uint64_t v) {
  wasmtime_val_raw_t r;
  std::memset(&r, 0, sizeof(r));
  r.i64 = static_cast<int64_t>(v);
  return r;
}

// Expects `r` to be an error whose message contains `needle`.
template <typename T>
::testing::AssertionResult FailsWith(const Result<T>& r, std::string_view needle) {
  if (r.ok()) return ::testing::AssertionFailure() << "succeeded; expected error with " << needle;
  if (r.error().message.find(needle) == std::string::npos)
    return ::testing::AssertionFailure()
           << "error \"" << r.error().message << "\" lacks \"" << needle << "\"";
  return ::testing::AssertionSuccess();
}

}  // namespace lepton::component::testing
