// Spin 1 `outbound-pg` for core modules (wit-bindgen 0.2 ABI, docs/spin1-abi.md):
//   query(address, statement, params: list<parameter-value>) -> expected<row-set, pg-error>
//   execute(address, statement, params) -> expected<u64, pg-error>
// Flat: six i32 (three ptr/len pairs) and a return pointer. As in Spin 1 every call names its
// address and is checked against allowed_outbound_hosts; connections come from the process-wide
// pool (postgres/client.h) and go back to it after the call.
// Layouts: parameter-value / db-value are 16 bytes (tag u8 @0, payload @8); column is 12 bytes
// (name ptr/len @0/@4, db-data-type u8 @8); a row is list<db-value>; row-set is two lists.
// expected<row-set, pg-error>: tag @0, payload @4 (error: pg-error tag u8 @4, string @8/@12);
// expected<u64, pg-error>: tag @0, payload @8 (error tag u8 @8, string @12/@16). pg-error cases:
// success, connection-failed, bad-parameter, query-failed, value-conversion-failed, other-error.
#include <bit>

#include "common/suspend.h"
#include "engine/store.h"
#include "factors/host_context.h"
#include "factors/registry.h"
#include "factors/spin1_abi.h"
#include "postgres/client.h"
#include "postgres/versions.h"

namespace lepton::factors {

namespace {

using component::Val;
namespace pg = postgres;

// The rdbms-types parameter-value cases (= fermyon:spin/rdbms-types@2.0.0).
Result<std::vector<Val>> lift_params(const engine::GuestMemory& m, uint32_t ptr, uint32_t len) {
  std::vector<Val> out;
  for (uint32_t i = 0; i < len; ++i) {
    uint32_t at = ptr + 16 * i;
    uint8_t tag = 0;
    if (!m.load(at, tag)) return fail("parameter {} is outside guest memory", i);
    auto scalar = [&](auto zero) -> Result<decltype(zero)> {
      decltype(zero) v{};
      if (!m.load(at + 8, v)) return fail("parameter {} is outside guest memory", i);
      return v;
    };
    switch (tag) {
      case 0: {
        LEPTON_TRY(uint8_t b, scalar(uint8_t{}));
        out.push_back(Val::variant(0, Val::bool_(b != 0)));
        break;
      }
      case 1: {
        LEPTON_TRY(int8_t v, scalar(int8_t{}));
        out.push_back(Val::variant(1, Val::s8(v)));
        break;
      }
      case 2: {
        LEPTON_TRY(int16_t v, scalar(int16_t{}));
        out.push_back(Val::variant(2, Val::s16(v)));
        break;
      }
      case 3: {
        LEPTON_TRY(int32_t v, scalar(int32_t{}));
        out.push_back(Val::variant(3, Val::s32(v)));
        break;
      }
      case 4: {
        LEPTON_TRY(int64_t v, scalar(int64_t{}));
        out.push_back(Val::variant(4, Val::s64(v)));
        break;
      }
      case 5:
      case 6:
      case 7:
      case 8:  // unsigned: refused by the conversion with Spin's message
        out.push_back(Val::variant(tag, Val::u64(0)));
        break;
      case 9: {
        LEPTON_TRY(float v, scalar(float{}));
        out.push_back(Val::variant(9, Val::f32(v)));
        break;
      }
      case 10: {
        LEPTON_TRY(double v, scalar(double{}));
        out.push_back(Val::variant(10, Val::f64(v)));
        break;
      }
      case 11:
      case 12: {
        uint32_t p = 0, n = 0;
        if (!m.load(at + 8, p) || !m.load(at + 12, n))
          return fail("parameter {} is outside guest memory", i);
        auto s = m.string(p, n);
        if (!s) return fail("parameter {} is outside guest memory", i);
        out.push_back(Val::variant(
            tag, tag == 11 ? Val::string(std::string(*s)) : Val::bytes(std::string(*s))));
        break;
      }
      case 13:
        out.push_back(Val::variant(13));
        break;
      default:
        return fail("parameter {} has invalid parameter-value tag {}", i, tag);
    }
  }
  return out;
}

Status store_at(const engine::GuestMemory& m, uint32_t at, auto v) {
  if (!m.store(at, v)) return fail("return area {:#x} is outside guest memory", at);
  return {};
}

Result<uint32_t> lower_string(engine::GuestAllocator& alloc, const std::string& s) {
  return alloc.copy_in(s);
}

// db-value (rdbms-types cases) at `at`.
Status lower_value(engine::GuestAllocator& alloc, uint32_t at, const Val& v) {
  uint32_t tag = v.case_index();
  uint32_t p = 0, n = 0;
  if (tag == 11 || tag == 12) {
    LEPTON_TRY(p, lower_string(alloc, v.payload()->as_string()));
    n = static_cast<uint32_t>(v.payload()->as_string().size());
  }
  const engine::GuestMemory& m = alloc.current();
  LEPTON_CHECK(store_at(m, at, static_cast<uint8_t>(tag)));
  switch (tag) {
    case 0:
      return store_at(m, at + 8, static_cast<uint8_t>(v.payload()->as_bool()));
    case 1:
      return store_at(m, at + 8, static_cast<int8_t>(v.payload()->as_int()));
    case 2:
      return store_at(m, at + 8, static_cast<int16_t>(v.payload()->as_int()));
    case 3:
      return store_at(m, at + 8, static_cast<int32_t>(v.payload()->as_int()));
    case 4:
      return store_at(m, at + 8, v.payload()->as_int());
    case 9:
      return store_at(m, at + 8, v.payload()->as_f32());
    case 10:
      return store_at(m, at + 8, v.payload()->as_f64());
    case 11:
    case 12:
      LEPTON_CHECK(store_at(m, at + 8, p));
      return store_at(m, at + 12, n);
    default:
      return {};
  }
}

Status lower_row_set(engine::GuestAllocator& alloc, uint32_t at, const Val& rs) {
  auto columns = rs.items()[0].items();
  auto rows = rs.items()[1].items();
  LEPTON_TRY(uint32_t cols, alloc.alloc(4, static_cast<uint32_t>(12 * columns.size())));
  for (size_t i = 0; i < columns.size(); ++i) {
    const std::string& name = columns[i].items()[0].as_string();
    LEPTON_TRY(uint32_t p, alloc.copy_in(name));
    uint32_t base = cols + static_cast<uint32_t>(12 * i);
    const engine::GuestMemory& m = alloc.current();
    LEPTON_CHECK(store_at(m, base, p));
    LEPTON_CHECK(store_at(m, base + 4, static_cast<uint32_t>(name.size())));
    LEPTON_CHECK(store_at(m, base + 8, static_cast<uint8_t>(columns[i].items()[1].case_index())));
  }
  LEPTON_TRY(uint32_t row_list, alloc.alloc(4, static_cast<uint32_t>(8 * rows.size())));
  for (size_t r = 0; r < rows.size(); ++r) {
    auto values = rows[r].items();
    LEPTON_TRY(uint32_t row, alloc.alloc(8, static_cast<uint32_t>(16 * values.size())));
    for (size_t i = 0; i < values.size(); ++i)
      LEPTON_CHECK(lower_value(alloc, row + static_cast<uint32_t>(16 * i), values[i]));
    const engine::GuestMemory& m = alloc.current();
    LEPTON_CHECK(store_at(m, row_list + static_cast<uint32_t>(8 * r), row));
    LEPTON_CHECK(store_at(m, row_list + static_cast<uint32_t>(8 * r + 4),
                          static_cast<uint32_t>(values.size())));
  }
  const engine::GuestMemory m = alloc.memory();
  LEPTON_CHECK(store_at(m, at, cols));
  LEPTON_CHECK(store_at(m, at + 4, static_cast<uint32_t>(columns.size())));
  LEPTON_CHECK(store_at(m, at + 8, row_list));
  return store_at(m, at + 12, static_cast<uint32_t>(rows.size()));
}

template <bool kQuery>
wasm_trap_t* call(void*, wasmtime_caller_t* caller, wasmtime_val_raw_t* args, size_t) {
  const char* interface = kQuery ? "outbound-pg::query" : "outbound-pg::execute";
  auto alloc = spin1::caller_allocator(caller);
  if (!alloc) return spin1::trap(interface, alloc.error());
  auto arg = [&](int i) { return static_cast<uint32_t>(args[i].i32); };
  const uint32_t ret = arg(6);
  engine::GuestMemory m = alloc->memory();
  auto address = m.string(arg(0), arg(1));
  auto statement = m.string(arg(2), arg(3));
  if (!address || !statement)
    return spin1::trap(interface, fail("address or statement is outside guest memory"));
  auto lifted = lift_params(m, arg(4), arg(5));
  if (!lifted) return spin1::trap(interface, lifted.error());

  std::optional<pg::Failure> failure;
  Val rows;
  uint64_t count = 0;
  std::vector<Val> params;
  for (const Val& p : *lifted) {
    auto v4 = pg::param_to_v4(pg::Version::k2, p);
    if (!v4) {
      failure = pg::Failure{pg::Failure::Kind::kValueConversionFailed,
                            "Postgres does not support unsigned integers",
                            {}};
      break;
    }
    params.push_back(std::move(*v4));
  }
  const HostContext* host = engine::StoreData::of(caller).get<HostContext>();
  std::string addr(*address);
  if (!failure) failure = pg::check_address(addr, host != nullptr ? host->allowed_hosts : nullptr);
  if (!failure)
    run_off_loop([&] {  // a synchronous client: off the event loop
      auto conn = pg::Connection::pooled(addr, host != nullptr ? host->component_id : "");
      if (auto* f = std::get_if<pg::Failure>(&conn)) {
        failure = *f;
      } else if (kQuery) {
        auto got = std::get<0>(conn)->query(std::string(*statement), params);
        if (auto* f = std::get_if<pg::Failure>(&got))
          failure = *f;
        else
          rows = pg::row_set_from_v4(pg::Version::k2, std::get<Val>(got));
      } else {
        auto got = std::get<0>(conn)->execute(std::string(*statement), params);
        if (auto* f = std::get_if<pg::Failure>(&got))
          failure = *f;
        else
          count = std::get<uint64_t>(got);
      }
      if (auto* c = std::get_if<std::unique_ptr<pg::Connection>>(&conn))
        pg::Connection::release(addr, std::move(*c));
    });

  const uint32_t payload = kQuery ? 4 : 8;
  Status written;
  if (failure) {
    auto p = alloc->copy_in(failure->message);
    if (!p) return spin1::trap(interface, p.error());
    engine::GuestMemory out = alloc->memory();
    // pg-error cases are the error variant's shifted by one (`success` first).
    written = store_at(out, ret, uint8_t{1});
    if (written)
      written = store_at(out, ret + payload,
                         static_cast<uint8_t>(static_cast<uint32_t>(failure->kind) + 1));
    if (written) written = store_at(out, ret + payload + 4, *p);
    if (written)
      written = store_at(out, ret + payload + 8, static_cast<uint32_t>(failure->message.size()));
  } else if (kQuery) {
    written = lower_row_set(*alloc, ret + payload, rows);
    if (written) written = store_at(alloc->memory(), ret, uint8_t{0});
  } else {
    engine::GuestMemory out = alloc->memory();
    written = store_at(out, ret, uint8_t{0});
    if (written) written = store_at(out, ret + payload, count);
  }
  if (!written) return spin1::trap(interface, written.error());
  return nullptr;
}

}  // namespace

Status define_spin1_outbound_pg(wasmtime_linker_t* linker) {
  std::initializer_list<wasm_valkind_t> seven{WASM_I32, WASM_I32, WASM_I32, WASM_I32,
                                              WASM_I32, WASM_I32, WASM_I32};
  LEPTON_CHECK(engine::define_raw_func(linker, "outbound-pg", "query", seven, {}, call<true>));
  LEPTON_CHECK(engine::define_raw_func(linker, "outbound-pg", "execute", seven, {}, call<false>));
  return {};
}

}  // namespace lepton::factors
