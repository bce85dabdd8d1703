// The component model's canonical ABI (design/mvp/CanonicalABI.md and its Python reference
// definitions.py) for 32-bit memories and synchronous calls: layout (alignment, elem_size),
// flattening, load/store between guest memory and `Val`s, and lift_flat/lower_flat over raw core
// values. Every condition on which the spec traps returns an Error starting "canonical ABI:" and
// naming the condition; a trap leaves the guest instance unusable (the caller must not reuse it).
//
// Host strings are UTF-8; the guest's encoding (utf8, utf16, latin1+utf16) is transcoded at the
// boundary, with the spec's realloc sizing. list<u8> moves with a single memcpy each way.
//
// Not covered: memory64 (i64 pointers), async lifts/lowers, stream/future/error-context, map.
#pragma once

#include <wasmtime.h>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/result.h"
#include "component/resources.h"
#include "component/string_encoding.h"
#include "component/types.h"
#include "component/values.h"
#include "engine/guest_memory.h"

namespace lepton::component {

inline constexpr uint32_t kMaxFlatParams = 16;
inline constexpr uint32_t kMaxFlatResults = 1;
inline constexpr uint32_t kMaxStringByteLength = (1u << 28) - 1;
inline constexpr uint32_t kMaxListByteLength = (1u << 28) - 1;
inline constexpr uint32_t kCanonicalNan32 = 0x7fc00000;
inline constexpr uint64_t kCanonicalNan64 = 0x7ff8000000000000;
// latin1+utf16: the high bit of a string's length marks UTF-16 code units.
inline constexpr uint32_t kUtf16Tag = 1u << 31;

// The guest's allocator (`cabi_realloc`), used when lowering strings, lists and spilled values
// into guest memory. Calls may grow guest memory, so the context re-reads memory() after each.
class Realloc {
 public:
  virtual ~Realloc() = default;
  virtual Result<uint32_t> realloc(uint32_t old_ptr, uint32_t old_size, uint32_t alignment,
                                   uint32_t new_size) = 0;
  // The memory view as it is now.
  virtual std::span<uint8_t> memory() = 0;
};

// Realloc backed by a Wasmtime instance's exported realloc function and memory.
class WasmRealloc final : public Realloc {
 public:
  WasmRealloc(wasmtime_context_t* context, wasmtime_func_t realloc, wasmtime_memory_t memory)
      : context_(context), realloc_(realloc), memory_(memory) {}
  Result<uint32_t> realloc(uint32_t old_ptr, uint32_t old_size, uint32_t alignment,
                           uint32_t new_size) override;
  std::span<uint8_t> memory() override;

 private:
  wasmtime_context_t* context_;
  wasmtime_func_t realloc_;
  wasmtime_memory_t memory_;
};

// The whole of a guest memory view as a span.
std::span<uint8_t> memory_span(const engine::GuestMemory& memory);

// The lift/lower context of one call (the spec's LiftLowerContext): canonical options plus the
// instance's handle table and the call scope that borrows belong to.
struct Context {
  std::span<uint8_t> memory;
  StringEncoding encoding = StringEncoding::kUtf8;
  Realloc* realloc = nullptr;         // required to lower strings, lists, spilled values
  HandleTable* handles = nullptr;     // required for own/borrow
  ImportCall* import_call = nullptr;  // lifting borrow<T>: the call the handles are lent to
  ExportCall* export_call = nullptr;  // lowering borrow<T>: the call the borrows live in
  // Bytes of strings and lists one lift may still read. Lists of lists can alias the same memory
  // many times over; a finite budget bounds what a hostile guest makes the host allocate.
  uint64_t lift_budget = UINT64_MAX;
  // Count of bulk memcpy copies of list<u8>/string data (observability for tests and benches).
  uint64_t bulk_copies = 0;

  // cabi_realloc through `realloc`, refreshing `memory`; checks the result's alignment and bounds.
  Result<uint32_t> reallocate(uint32_t old_ptr, uint32_t old_size, uint32_t alignment,
                              uint32_t new_size);
  Result<uint32_t> allocate(uint32_t alignment, uint32_t size) {
    return reallocate(0, 0, alignment, size);
  }
};

// Layout.
inline uint32_t alignment(const Type& t) { return t.alignment(); }
inline uint32_t elem_size(const Type& t) { return t.size(); }
// The core types of `t`, or nullopt when it flattens to more than Type::kMaxStoredFlat values.
std::optional<std::span<const CoreType>> flatten_type(const Type& t);

// The core signature of a synchronous function: params over kMaxFlatParams spill to one i32
// pointer; results over kMaxFlatResults return an i32 pointer (lift: the callee allocates) or
// take one as an extra last param (lower: the caller provides it).
enum class Direction : uint8_t { kLift, kLower };
struct FlatSignature {
  std::vector<CoreType> params;
  std::vector<CoreType> results;
  bool params_indirect = false;
  bool results_indirect = false;
  bool operator==(const FlatSignature&) const = default;
};
FlatSignature flatten_functype(const FunctionType& f, Direction direction);

// Memory. `ptr` must be aligned to alignment(t) and ptr+elem_size(t) inside memory (checked).
Result<Val> load(Context& cx, uint32_t ptr, const Type& t);
Status store(Context& cx, const Val& v, uint32_t ptr, const Type& t);

// Raw core values (Wasmtime's unchecked-call slots). Slots are typed by the flattening, not by
// tags; an i32 read takes the low 32 bits of the slot.
class FlatReader {
 public:
  explicit FlatReader(std::span<const wasmtime_val_raw_t> values) : values_(values) {}
  Result<const wasmtime_val_raw_t*> next();
  size_t position() const { return pos_; }
  bool done() const { return pos_ == values_.size(); }

 private:
  std::span<const wasmtime_val_raw_t> values_;
  size_t pos_ = 0;
};

Result<Val> lift_flat(Context& cx, FlatReader& in, const Type& t);
// Appends flat_count(t) slots to `out` (each slot zeroed, then written at its own width, so a
// joined i64 slot holding an i32/f32 payload has zero high bits).
Status lower_flat(Context& cx, const Val& v, const Type& t, std::vector<wasmtime_val_raw_t>& out);

// Function arguments and results (the spec's lift_flat_values / lower_flat_values): when the
// types flatten to more than `max_flat` values they travel through memory as a tuple — lifting
// reads the pointer from `in`; lowering stores at `out_ptr` when given (a lowered import's
// result pointer) or allocates with realloc and appends the pointer to `out`.
Result<std::vector<Val>> lift_flat_values(Context& cx, uint32_t max_flat, FlatReader& in,
                                          std::span<const TypePtr> types);
Status lower_flat_values(Context& cx, uint32_t max_flat, std::span<const Val> values,
                         std::span<const TypePtr> types, std::vector<wasmtime_val_raw_t>& out,
                         std::optional<uint32_t> out_ptr = std::nullopt);

// Host-side text helpers shared with tests: strict UTF-8 validation (no surrogates, no overlong
// forms, at most U+10FFFF).
bool is_valid_utf8(std::string_view s);

}  // namespace lepton::component
