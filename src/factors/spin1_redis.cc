// Spin 1 `outbound-redis` for core modules (wit-bindgen 0.2 ABI, docs/spin1-abi.md): every call
// names its address, is checked against allowed_outbound_hosts and, as in Spin 1, runs on a
// connection of its own. Any failure (denied, unreachable, Redis error) is the `error` case of
// redis-types' `enum error { success, error }`.
#include <array>
#include <optional>

#include "common/suspend.h"
#include "engine/store.h"
#include "factors/host_context.h"
#include "factors/registry.h"
#include "factors/spin1_abi.h"
#include "redis/client.h"

namespace lepton::factors {

namespace {

enum class Op { kPublish, kGet, kSet, kIncr, kDel, kSadd, kSmembers, kSrem, kExecute };

struct OpDef {
  Op op;
  const char* name;
  const char* command;  // nullptr: execute
  int lists;            // (ptr, len) pairs after the address
};
constexpr std::array<OpDef, 9> kOps{{{Op::kPublish, "publish", "PUBLISH", 2},
                                     {Op::kGet, "get", "GET", 1},
                                     {Op::kSet, "set", "SET", 2},
                                     {Op::kIncr, "incr", "INCR", 1},
                                     {Op::kDel, "del", "DEL", 1},
                                     {Op::kSadd, "sadd", "SADD", 2},
                                     {Op::kSmembers, "smembers", "SMEMBERS", 1},
                                     {Op::kSrem, "srem", "SREM", 2},
                                     {Op::kExecute, "execute", nullptr, 2}}};

// list<string> elements: (ptr, len) pairs, 8 bytes each.
Result<std::vector<std::string>> lift_strings(const engine::GuestMemory& m, uint32_t ptr,
                                              uint32_t len) {
  std::vector<std::string> out;
  for (uint32_t i = 0; i < len; ++i) {
    uint32_t p = 0, n = 0;
    if (!m.load(ptr + 8 * i, p) || !m.load(ptr + 8 * i + 4, n))
      return fail("list element {} is outside guest memory", i);
    auto s = m.string(p, n);
    if (!s) return fail("list element {} is outside guest memory", i);
    out.emplace_back(*s);
  }
  return out;
}

// list<redis-parameter>: 16-byte variants, tag u8 @0, s64 or (ptr, len) @8.
Result<std::vector<std::string>> lift_parameters(const engine::GuestMemory& m, uint32_t ptr,
                                                 uint32_t len) {
  std::vector<std::string> out;
  for (uint32_t i = 0; i < len; ++i) {
    uint32_t at = ptr + 16 * i;
    uint8_t tag = 0;
    if (!m.load(at, tag)) return fail("argument {} is outside guest memory", i);
    if (tag == 0) {
      int64_t v = 0;
      if (!m.load(at + 8, v)) return fail("argument {} is outside guest memory", i);
      out.push_back(std::to_string(v));
    } else if (tag == 1) {
      uint32_t p = 0, n = 0;
      if (!m.load(at + 8, p) || !m.load(at + 12, n))
        return fail("argument {} is outside guest memory", i);
      auto s = m.string(p, n);
      if (!s) return fail("argument {} is outside guest memory", i);
      out.emplace_back(*s);
    } else {
      return fail("argument {} has invalid redis-parameter tag {}", i, tag);
    }
  }
  return out;
}

void flatten(const redis::Reply& r, std::vector<const redis::Reply*>& out) {
  if (r.kind == redis::Reply::Kind::kArray) {
    for (const auto& e : r.elements) flatten(e, out);
  } else {
    out.push_back(&r);
  }
}

// Lowers the ok payload at ret; returns false when the reply has the wrong shape (-> error).
Result<bool> write_ok(engine::GuestAllocator& alloc, Op op, uint32_t ret, const redis::Reply& r) {
  using Kind = redis::Reply::Kind;
  auto store = [&](uint32_t at, auto v) -> Status {
    if (!alloc.memory().store(at, v)) return fail("return area {:#x} is outside guest memory", at);
    return {};
  };
  switch (op) {
    case Op::kPublish:
    case Op::kSet:
      break;
    case Op::kGet: {  // expected<payload, error>: a missing key is an empty payload, as in Spin
      if (r.kind != Kind::kString && r.kind != Kind::kNil) return false;
      LEPTON_TRY(uint32_t p, alloc.copy_in(r.text));
      LEPTON_CHECK(store(ret + 4, p));
      LEPTON_CHECK(store(ret + 8, static_cast<uint32_t>(r.text.size())));
      break;
    }
    case Op::kIncr:
    case Op::kDel:
    case Op::kSadd:
    case Op::kSrem:  // expected<s64, error>: s64 @8
      if (r.kind != Kind::kInteger) return false;
      LEPTON_CHECK(store(ret + 8, r.integer));
      break;
    case Op::kSmembers: {
      if (r.kind != Kind::kArray) return false;
      LEPTON_TRY(uint32_t list, alloc.alloc(4, static_cast<uint32_t>(8 * r.elements.size())));
      for (size_t i = 0; i < r.elements.size(); ++i) {
        LEPTON_TRY(uint32_t p, alloc.copy_in(r.elements[i].text));
        LEPTON_CHECK(store(list + 8 * i, p));
        LEPTON_CHECK(store(list + 8 * i + 4, static_cast<uint32_t>(r.elements[i].text.size())));
      }
      LEPTON_CHECK(store(ret + 4, list));
      LEPTON_CHECK(store(ret + 8, static_cast<uint32_t>(r.elements.size())));
      break;
    }
    case Op::kExecute: {  // list<redis-result>: 16-byte variants, tag u8 @0, payload @8
      std::vector<const redis::Reply*> items;
      flatten(r, items);
      LEPTON_TRY(uint32_t list, alloc.alloc(8, static_cast<uint32_t>(16 * items.size())));
      for (size_t i = 0; i < items.size(); ++i) {
        uint32_t at = list + static_cast<uint32_t>(16 * i);
        const redis::Reply& e = *items[i];
        switch (e.kind) {
          case Kind::kStatus:
          case Kind::kString: {
            LEPTON_TRY(uint32_t p, alloc.copy_in(e.text));
            LEPTON_CHECK(store(at, uint8_t{e.kind == Kind::kStatus ? uint8_t{1} : uint8_t{3}}));
            LEPTON_CHECK(store(at + 8, p));
            LEPTON_CHECK(store(at + 12, static_cast<uint32_t>(e.text.size())));
            break;
          }
          case Kind::kInteger:
            LEPTON_CHECK(store(at, uint8_t{2}));
            LEPTON_CHECK(store(at + 8, e.integer));
            break;
          default:
            LEPTON_CHECK(store(at, uint8_t{0}));
        }
      }
      LEPTON_CHECK(store(ret + 4, list));
      LEPTON_CHECK(store(ret + 8, static_cast<uint32_t>(items.size())));
      break;
    }
  }
  return true;
}

// The payload offset of the `error` case (the enum sits where the ok payload would).
uint32_t error_offset(Op op) {
  switch (op) {
    case Op::kPublish:
    case Op::kSet:
      return 1;
    case Op::kIncr:
    case Op::kDel:
    case Op::kSadd:
    case Op::kSrem:
      return 8;
    default:
      return 4;
  }
}

wasm_trap_t* call(void* env, wasmtime_caller_t* caller, wasmtime_val_raw_t* args, size_t) {
  const OpDef& def = *static_cast<const OpDef*>(env);
  std::string interface = std::string("outbound-redis::") + def.name;
  auto alloc = spin1::caller_allocator(caller);
  if (!alloc) return spin1::trap(interface, alloc.error());
  auto arg = [&](int i) { return static_cast<uint32_t>(args[i].i32); };
  const uint32_t ret = arg(2 + 2 * def.lists);
  engine::GuestMemory m = alloc->memory();

  // Everything is read before anything is allocated in the guest.
  auto address = m.string(arg(0), arg(1));
  if (!address) return spin1::trap(interface, fail("address is outside guest memory"));
  std::vector<std::string> argv;
  if (def.command) argv.push_back(def.command);
  for (int i = 0; i < def.lists; ++i) {
    uint32_t p = arg(2 + 2 * i), n = arg(3 + 2 * i);
    bool string_list =
        (def.op == Op::kDel && i == 0) || ((def.op == Op::kSadd || def.op == Op::kSrem) && i == 1);
    if (def.op == Op::kExecute && i == 1) {
      auto params = lift_parameters(m, p, n);
      if (!params) return spin1::trap(interface, params.error());
      argv.insert(argv.end(), params->begin(), params->end());
    } else if (string_list) {
      auto strings = lift_strings(m, p, n);
      if (!strings) return spin1::trap(interface, strings.error());
      argv.insert(argv.end(), strings->begin(), strings->end());
    } else {
      auto s = m.string(p, n);
      if (!s) return spin1::trap(interface, fail("argument is outside guest memory"));
      argv.emplace_back(*s);
    }
  }

  std::optional<redis::Reply> reply;
  const HostContext* host = engine::StoreData::of(caller).get<HostContext>();
  if (host != nullptr && host->allowed_hosts != nullptr &&
      host->allowed_hosts->allows_url(*address, "redis")) {
    run_off_loop([&] {  // a synchronous client: off the event loop
      if (auto parsed = redis::parse_address(*address)) {
        if (auto client = redis::Client::connect(*parsed, std::nullopt, host->component_id)) {
          if (auto r = (*client)->command(argv); r && r->kind != redis::Reply::Kind::kError)
            reply = std::move(*r);
        }
      }
    });
  }
  bool ok = false;
  if (reply) {
    auto written = write_ok(*alloc, def.op, ret, *reply);
    if (!written) return spin1::trap(interface, written.error());
    ok = *written;
  }
  engine::GuestMemory out = alloc->memory();
  bool stored =
      ok ? out.store(ret, uint8_t{0})
         : out.store(ret, uint8_t{1}) && out.store(ret + error_offset(def.op), uint8_t{1});
  if (!stored)
    return spin1::trap(interface, fail("return area {:#x} is outside guest memory", ret));
  return nullptr;
}

}  // namespace

Status define_spin1_outbound_redis(wasmtime_linker_t* linker) {
  for (const OpDef& def : kOps) {
    std::initializer_list<wasm_valkind_t> five{WASM_I32, WASM_I32, WASM_I32, WASM_I32, WASM_I32};
    std::initializer_list<wasm_valkind_t> seven{WASM_I32, WASM_I32, WASM_I32, WASM_I32,
                                                WASM_I32, WASM_I32, WASM_I32};
    LEPTON_CHECK(engine::define_raw_func(linker, "outbound-redis", def.name,
                                         def.lists == 1 ? five : seven, {}, call,
                                         const_cast<OpDef*>(&def)));
  }
  return {};
}

}  // namespace lepton::factors
