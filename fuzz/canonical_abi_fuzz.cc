// Canonical ABI fuzzer: the first bytes choose a component type and a string encoding, the rest
// is guest memory. The type is lifted from memory (load at 0) and from the same bytes read as flat
// core values; lifting must fail cleanly or succeed, and whatever lifts must survive a store →
// load and a lower_flat → lift_flat round trip unchanged.
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "component/canonical_abi.h"

using namespace lepton;
using namespace lepton::component;

namespace {

class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::span<const uint8_t> rest() const { return {data_ + pos_, size_ - pos_}; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

std::vector<std::string> names(size_t n) {
  std::vector<std::string> v;
  for (size_t i = 0; i < n; ++i) v.push_back("n" + std::to_string(i));
  return v;
}

TypePtr gen(Input& in, int depth, const ResourcePtr& res) {
  uint8_t op = in.byte() % 24;
  if (depth >= 5 && op >= 13) op %= 13;
  Result<TypePtr> t = TypePtr{};
  switch (op) {
    case 13:
      t = Type::list(gen(in, depth + 1, res));
      break;
    case 14: {
      uint32_t n = 1 + in.byte() % 6;
      t = Type::fixed_list(gen(in, depth + 1, res), n);
      break;
    }
    case 15: {
      std::vector<Type::Field> fields;
      for (int i = 0, n = 1 + in.byte() % 4; i < n; ++i)
        fields.push_back({"f" + std::to_string(i), gen(in, depth + 1, res)});
      t = Type::record(std::move(fields));
      break;
    }
    case 16: {
      std::vector<TypePtr> types;
      for (int i = 0, n = 1 + in.byte() % 4; i < n; ++i) types.push_back(gen(in, depth + 1, res));
      t = Type::tuple(std::move(types));
      break;
    }
    case 17: {
      std::vector<Type::Case> cases;
      for (int i = 0, n = 1 + in.byte() % 4; i < n; ++i) {
        TypePtr payload = (in.byte() & 1) ? gen(in, depth + 1, res) : nullptr;
        cases.push_back({"c" + std::to_string(i), payload});
      }
      t = Type::variant(std::move(cases));
      break;
    }
    case 18:
      t = Type::enumeration(names(1 + in.byte() * 2));
      break;
    case 19:
      t = Type::option(gen(in, depth + 1, res));
      break;
    case 20: {
      uint8_t shape = in.byte();
      TypePtr ok = (shape & 1) ? gen(in, depth + 1, res) : nullptr;
      TypePtr err = (shape & 2) ? gen(in, depth + 1, res) : nullptr;
      t = Type::result(ok, err);
      break;
    }
    case 21:
      t = Type::flags(names(1 + in.byte() % 32));
      break;
    case 22:
      t = Type::own(res);
      break;
    case 23:
      t = Type::borrow(res);
      break;
    default:
      return Type::primitive(static_cast<Type::Kind>(op));
  }
  if (!t.ok()) return Type::primitive(Type::Kind::kU8);
  return *t;
}

class FuzzRealloc : public Realloc {
 public:
  explicit FuzzRealloc(size_t size) : bytes(size) {}
  Result<uint32_t> realloc(uint32_t old_ptr, uint32_t old_size, uint32_t alignment,
                           uint32_t new_size) override {
    uint64_t ptr = (next_ + alignment - 1) / alignment * alignment;
    if (ptr + new_size > (64u << 20)) return fail("fuzz realloc: out of memory");
    if (ptr + new_size > bytes.size()) bytes.resize(ptr + new_size);
    if (old_ptr != 0)
      std::memmove(bytes.data() + ptr, bytes.data() + old_ptr, std::min(old_size, new_size));
    next_ = ptr + new_size;
    return static_cast<uint32_t>(ptr);
  }
  std::span<uint8_t> memory() override { return bytes; }
  std::vector<uint8_t> bytes;

 private:
  uint64_t next_ = 64;
};

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void round_trip(const Val& v, const Type& t, StringEncoding enc) {
  FuzzRealloc mem(64);
  Context cx{.memory = mem.bytes, .encoding = enc, .realloc = &mem};
  auto ptr = cx.allocate(t.alignment(), t.size());
  if (!ptr.ok()) return;  // too large for the fuzz heap
  Status st = store(cx, v, *ptr, t);
  if (!st.ok()) return;
  auto back = load(cx, *ptr, t);
  check(back.ok() && *back == v);

  if (!t.flat_stored()) return;
  std::vector<wasmtime_val_raw_t> flat;
  if (!lower_flat(cx, v, t, flat).ok()) return;
  check(flat.size() == t.flat_count());
  FlatReader r(flat);
  auto again = lift_flat(cx, r, t);
  check(again.ok() && *again == v && r.done());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  auto res = std::make_shared<Resource>("res");
  TypePtr t = gen(in, 0, res);
  auto enc = static_cast<StringEncoding>(in.byte() % 3);
  auto rest = in.rest();
  std::vector<uint8_t> memory(rest.begin(), rest.end());

  HandleTable table;
  for (uint32_t i = 0; i < 4; ++i) (void)resource_new(table, res, 100 + i);
  ImportCall call(table);
  ExportCall task;
  Context cx{.memory = memory,
             .encoding = enc,
             .handles = &table,
             .import_call = &call,
             .export_call = &task,
             .lift_budget = 1 << 20};

  auto v = load(cx, 0, *t);
  if (v.ok() && !t->has_handles()) round_trip(*v, *t, enc);

  if (t->flat_stored()) {
    std::vector<wasmtime_val_raw_t> slots(t->flat_count());
    for (size_t i = 0; i < slots.size(); ++i) {
      std::memset(&slots[i], 0, sizeof(slots[i]));
      if (8 * i + 8 <= memory.size()) std::memcpy(&slots[i].i64, memory.data() + 8 * i, 8);
    }
    cx.lift_budget = 1 << 20;
    FlatReader r(slots);
    auto fv = lift_flat(cx, r, *t);
    if (fv.ok()) {
      check(r.done());
      if (!t->has_handles()) round_trip(*fv, *t, enc);
    }
  }
  call.finish();
  return 0;
}
