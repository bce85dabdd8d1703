// Spin 1 `key-value` interface (wit-bindgen 0.2 ABI): a store is a u32 handle; open, get, set,
// delete, exists, get-keys answer expected<T, error> through a return area; close frees it.
// The stores and permissions are those of the component interfaces (key_value_access.h).
#include "common/suspend.h"
#include "engine/store.h"
#include "factors/host_context.h"
#include "factors/registry.h"
#include "factors/spin1_abi.h"

namespace lepton::factors {

namespace {

// variant error { store-table-full, no-such-store, access-denied, invalid-store, no-such-key,
// io(string) }
enum class KvError : uint8_t {
  kStoreTableFull = 0,
  kNoSuchStore,
  kAccessDenied,
  kInvalidStore,
  kNoSuchKey,
  kIo
};
constexpr size_t kMaxOpen = 256;
constexpr std::string_view kInterface = "key-value";

// A call's view of guest memory and its return area (expected<T, error>: tag@0, payload@4,
// error tag@4 and io message @8/@12).
struct Call {
  wasmtime_caller_t* caller;
  engine::GuestAllocator alloc;
  uint32_t ret;
  HostContext* host;

  Status err(KvError kind, std::string_view message = {}) {
    auto memory = alloc.memory();
    uint32_t ptr = 0;
    if (kind == KvError::kIo) {
      LEPTON_TRY(ptr, alloc.copy_in(message));
      memory = alloc.memory();
    }
    if (!memory.store(ret, uint8_t{1}) || !memory.store(ret + 4, static_cast<uint8_t>(kind)) ||
        !memory.store(ret + 8, ptr) ||
        !memory.store(ret + 12, static_cast<uint32_t>(kind == KvError::kIo ? message.size() : 0)))
      return fail("return area {:#x} is outside guest memory", ret);
    return {};
  }
  template <typename T>
  Status ok(T payload) {
    auto memory = alloc.memory();
    if (!memory.store(ret, uint8_t{0}) || !memory.store(ret + 4, payload))
      return fail("return area {:#x} is outside guest memory", ret);
    return {};
  }
  Status ok_list(uint32_t ptr, uint32_t len) {
    auto memory = alloc.memory();
    if (!memory.store(ret, uint8_t{0}) || !memory.store(ret + 4, ptr) ||
        !memory.store(ret + 8, len))
      return fail("return area {:#x} is outside guest memory", ret);
    return {};
  }
  Result<std::string> string(int32_t ptr, int32_t len) {
    auto view = alloc.memory().string(static_cast<uint32_t>(ptr), static_cast<uint32_t>(len));
    if (!view) return fail("argument is outside guest memory");
    return std::string(*view);
  }
  const key_value::Store* store(int32_t handle) const {
    auto h = static_cast<uint32_t>(handle);
    if (host == nullptr || h == 0 || h > host->spin1_stores.size()) return nullptr;
    return host->spin1_stores[h - 1];
  }
};

// Runs `body` with the call set up; errors of `body` trap the guest.
template <typename F>
wasm_trap_t* with_call(wasmtime_caller_t* caller, uint32_t ret, F body) {
  auto alloc = spin1::caller_allocator(caller);
  if (!alloc) return spin1::trap(kInterface, alloc.error());
  Call call{caller, *alloc, ret, engine::StoreData::of(caller).get<HostContext>()};
  Status done = body(call);
  if (!done) return spin1::trap(kInterface, done.error());
  return nullptr;
}

// Store operations that take (store, key) and fill the return area.
template <typename F>
wasm_trap_t* keyed(wasmtime_caller_t* caller, wasmtime_val_raw_t* args, uint32_t ret, F op) {
  return with_call(caller, ret, [&](Call& c) -> Status {
    const key_value::Store* s = c.store(args[0].i32);
    if (s == nullptr) return c.err(KvError::kInvalidStore);
    LEPTON_TRY(std::string key, c.string(args[1].i32, args[2].i32));
    return op(c, *s, key);
  });
}

wasm_trap_t* kv_open(void*, wasmtime_caller_t* caller, wasmtime_val_raw_t* args, size_t) {
  return with_call(caller, static_cast<uint32_t>(args[2].i32), [&](Call& c) -> Status {
    LEPTON_TRY(std::string label, c.string(args[0].i32, args[1].i32));
    if (c.host == nullptr) return c.err(KvError::kAccessDenied);
    if (c.host->spin1_stores.size() >= kMaxOpen) return c.err(KvError::kStoreTableFull);
    auto opened = open_store(c.host->key_value, label);
    if (auto* e = std::get_if<OpenError>(&opened))
      return c.err(*e == OpenError::kNoSuchStore ? KvError::kNoSuchStore : KvError::kAccessDenied);
    c.host->spin1_stores.push_back(std::get<const key_value::Store*>(opened));
    return c.ok(static_cast<uint32_t>(c.host->spin1_stores.size()));
  });
}

wasm_trap_t* kv_get(void*, wasmtime_caller_t* caller, wasmtime_val_raw_t* args, size_t) {
  return keyed(caller, args, static_cast<uint32_t>(args[3].i32),
               [](Call& c, const key_value::Store& s, const std::string& key) -> Status {
                 auto value = off_loop([&] { return s.get(key); });
                 if (!value) return c.err(KvError::kIo, value.error().message);
                 if (!*value) return c.err(KvError::kNoSuchKey);
                 LEPTON_TRY(uint32_t ptr, c.alloc.copy_in(**value));
                 return c.ok_list(ptr, static_cast<uint32_t>((*value)->size()));
               });
}

wasm_trap_t* kv_set(void*, wasmtime_caller_t* caller, wasmtime_val_raw_t* args, size_t) {
  return keyed(caller, args, static_cast<uint32_t>(args[5].i32),
               [args](Call& c, const key_value::Store& s, const std::string& key) -> Status {
                 LEPTON_TRY(std::string value, c.string(args[3].i32, args[4].i32));
                 auto done = off_loop([&] { return s.set(key, value); });
                 if (!done) return c.err(KvError::kIo, done.error().message);
                 auto memory = c.alloc.memory();
                 if (!memory.store(c.ret, uint8_t{0}))
                   return fail("return area {:#x} is outside guest memory", c.ret);
                 return {};
               });
}

wasm_trap_t* kv_delete(void*, wasmtime_caller_t* caller, wasmtime_val_raw_t* args, size_t) {
  return keyed(caller, args, static_cast<uint32_t>(args[3].i32),
               [](Call& c, const key_value::Store& s, const std::string& key) -> Status {
                 auto done = off_loop([&] { return s.remove(key); });
                 if (!done) return c.err(KvError::kIo, done.error().message);
                 auto memory = c.alloc.memory();
                 if (!memory.store(c.ret, uint8_t{0}))
                   return fail("return area {:#x} is outside guest memory", c.ret);
                 return {};
               });
}

wasm_trap_t* kv_exists(void*, wasmtime_caller_t* caller, wasmtime_val_raw_t* args, size_t) {
  return keyed(caller, args, static_cast<uint32_t>(args[3].i32),
               [](Call& c, const key_value::Store& s, const std::string& key) -> Status {
                 auto found = off_loop([&] { return s.exists(key); });
                 if (!found) return c.err(KvError::kIo, found.error().message);
                 return c.ok(static_cast<uint8_t>(*found ? 1 : 0));
               });
}

wasm_trap_t* kv_get_keys(void*, wasmtime_caller_t* caller, wasmtime_val_raw_t* args, size_t) {
  return with_call(caller, static_cast<uint32_t>(args[1].i32), [&](Call& c) -> Status {
    const key_value::Store* s = c.store(args[0].i32);
    if (s == nullptr) return c.err(KvError::kInvalidStore);
    auto keys = off_loop([&] { return s->keys(); });
    if (!keys) return c.err(KvError::kIo, keys.error().message);
    const auto n = static_cast<uint32_t>(keys->size());
    LEPTON_TRY(uint32_t array, c.alloc.alloc(4, n * 8));
    for (uint32_t i = 0; i < n; ++i) {
      LEPTON_TRY(uint32_t ptr, c.alloc.copy_in((*keys)[i]));
      auto memory = c.alloc.memory();
      if (!memory.store(array + i * 8, ptr) ||
          !memory.store(array + i * 8 + 4, static_cast<uint32_t>((*keys)[i].size())))
        return fail("key list is outside guest memory");
    }
    return c.ok_list(array, n);
  });
}

wasm_trap_t* kv_close(void*, wasmtime_caller_t* caller, wasmtime_val_raw_t* args, size_t) {
  // Handles are indexes, never reused within a request: closing only forgets the store.
  HostContext* host = engine::StoreData::of(caller).get<HostContext>();
  auto h = static_cast<uint32_t>(args[0].i32);
  if (host != nullptr && h != 0 && h <= host->spin1_stores.size())
    host->spin1_stores[h - 1] = nullptr;
  return nullptr;
}

}  // namespace

Status define_spin1_key_value(wasmtime_linker_t* linker) {
  constexpr auto I = WASM_I32;
  LEPTON_CHECK(engine::define_raw_func(linker, "key-value", "open", {I, I, I}, {}, kv_open));
  LEPTON_CHECK(engine::define_raw_func(linker, "key-value", "get", {I, I, I, I}, {}, kv_get));
  LEPTON_CHECK(engine::define_raw_func(linker, "key-value", "set", {I, I, I, I, I, I}, {}, kv_set));
  LEPTON_CHECK(engine::define_raw_func(linker, "key-value", "delete", {I, I, I, I}, {}, kv_delete));
  LEPTON_CHECK(engine::define_raw_func(linker, "key-value", "exists", {I, I, I, I}, {}, kv_exists));
  LEPTON_CHECK(engine::define_raw_func(linker, "key-value", "get-keys", {I, I}, {}, kv_get_keys));
  return engine::define_raw_func(linker, "key-value", "close", {I}, {}, kv_close);
}

}  // namespace lepton::factors
