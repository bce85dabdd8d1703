// Spin 1 `outbound-mysql` for core modules (wit-bindgen 0.2 ABI, docs/spin1-abi.md):
//   query(address, statement, params: list<parameter-value>) -> expected<row-set, mysql-error>
//   execute(address, statement, params) -> expected<unit, mysql-error>
// Each call names its address, is checked against allowed_outbound_hosts and, as in Spin, runs on
// a connection of its own. mysql-error is `variant { success, connection-failed(string),
// bad-parameter(string), query-failed(string), value-conversion-failed(string),
// other-error(string) }`: rdbms-types' error kinds shifted by one.
//
// Layouts: parameter-value / db-value 16 bytes, align 8 (tag u8 @0, payload @8; strings and
// lists as ptr @8, len @12); column 12 bytes (name @0, data-type u8 @8); row = list<db-value>;
// row-set { columns @0, rows @8 }; the expected at the return pointer: tag u8 @0, payload @4.
#include "common/suspend.h"
#include "engine/store.h"
#include "factors/host_context.h"
#include "factors/registry.h"
#include "factors/spin1_abi.h"
#include "mysql/client.h"

namespace lepton::factors {

namespace {

Result<std::vector<mysql::Value>> lift_params(const engine::GuestMemory& m, uint32_t ptr,
                                              uint32_t len) {
  std::vector<mysql::Value> out;
  for (uint32_t i = 0; i < len; ++i) {
    uint32_t at = ptr + 16 * i;
    uint8_t tag = 0;
    if (!m.load(at, tag)) return fail("parameter {} is outside guest memory", i);
    auto load = [&](auto v) -> Result<decltype(v)> {
      if (!m.load(at + 8, v)) return fail("parameter {} is outside guest memory", i);
      return v;
    };
    switch (tag) {
      case 0: {
        LEPTON_TRY(uint8_t b, load(uint8_t{}));
        out.emplace_back(b != 0);
        break;
      }
      case 1: {
        LEPTON_TRY(int8_t v, load(int8_t{}));
        out.emplace_back(v);
        break;
      }
      case 2: {
        LEPTON_TRY(int16_t v, load(int16_t{}));
        out.emplace_back(v);
        break;
      }
      case 3: {
        LEPTON_TRY(int32_t v, load(int32_t{}));
        out.emplace_back(v);
        break;
      }
      case 4: {
        LEPTON_TRY(int64_t v, load(int64_t{}));
        out.emplace_back(v);
        break;
      }
      case 5: {
        LEPTON_TRY(uint8_t v, load(uint8_t{}));
        out.emplace_back(v);
        break;
      }
      case 6: {
        LEPTON_TRY(uint16_t v, load(uint16_t{}));
        out.emplace_back(v);
        break;
      }
      case 7: {
        LEPTON_TRY(uint32_t v, load(uint32_t{}));
        out.emplace_back(v);
        break;
      }
      case 8: {
        LEPTON_TRY(uint64_t v, load(uint64_t{}));
        out.emplace_back(v);
        break;
      }
      case 9: {
        LEPTON_TRY(float v, load(float{}));
        out.emplace_back(v);
        break;
      }
      case 10: {
        LEPTON_TRY(double v, load(double{}));
        out.emplace_back(v);
        break;
      }
      case 11:
      case 12: {
        uint32_t p = 0, n = 0;
        if (!m.load(at + 8, p) || !m.load(at + 12, n))
          return fail("parameter {} is outside guest memory", i);
        auto s = m.string(p, n);
        if (!s) return fail("parameter {} is outside guest memory", i);
        if (tag == 11)
          out.emplace_back(std::string(*s));
        else
          out.emplace_back(mysql::Binary{std::string(*s)});
        break;
      }
      case 13:
        out.emplace_back(mysql::Null{});
        break;
      default:
        return fail("parameter {} has invalid parameter-value tag {}", i, tag);
    }
  }
  return out;
}

Status store_at(engine::GuestAllocator& alloc, uint32_t at, auto v) {
  if (!alloc.memory().store(at, v)) return fail("address {:#x} is outside guest memory", at);
  return {};
}

Status lower_value(engine::GuestAllocator& alloc, uint32_t at, const mysql::Value& v) {
  LEPTON_CHECK(store_at(alloc, at, static_cast<uint8_t>(v.index())));
  return std::visit(
      [&](const auto& x) -> Status {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, mysql::Null>) {
          return {};
        } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, mysql::Binary>) {
          const std::string& bytes = [&]() -> const std::string& {
            if constexpr (std::is_same_v<T, std::string>)
              return x;
            else
              return x.bytes;
          }();
          LEPTON_TRY(uint32_t p, alloc.copy_in(bytes));
          LEPTON_CHECK(store_at(alloc, at + 8, p));
          return store_at(alloc, at + 12, static_cast<uint32_t>(bytes.size()));
        } else if constexpr (std::is_same_v<T, bool>) {
          return store_at(alloc, at + 8, static_cast<uint8_t>(x ? 1 : 0));
        } else {
          return store_at(alloc, at + 8, x);
        }
      },
      v);
}

Status lower_row_set(engine::GuestAllocator& alloc, uint32_t at, const mysql::RowSet& rs) {
  LEPTON_TRY(uint32_t cols, alloc.alloc(4, static_cast<uint32_t>(12 * rs.columns.size())));
  for (size_t i = 0; i < rs.columns.size(); ++i) {
    uint32_t c = cols + static_cast<uint32_t>(12 * i);
    LEPTON_TRY(uint32_t name, alloc.copy_in(rs.columns[i].name));
    LEPTON_CHECK(store_at(alloc, c, name));
    LEPTON_CHECK(store_at(alloc, c + 4, static_cast<uint32_t>(rs.columns[i].name.size())));
    LEPTON_CHECK(store_at(alloc, c + 8, static_cast<uint8_t>(rs.columns[i].type)));
  }
  LEPTON_TRY(uint32_t rows, alloc.alloc(4, static_cast<uint32_t>(8 * rs.rows.size())));
  for (size_t r = 0; r < rs.rows.size(); ++r) {
    const auto& row = rs.rows[r];
    LEPTON_TRY(uint32_t values, alloc.alloc(8, static_cast<uint32_t>(16 * row.size())));
    for (size_t i = 0; i < row.size(); ++i)
      LEPTON_CHECK(lower_value(alloc, values + static_cast<uint32_t>(16 * i), row[i]));
    uint32_t slot = rows + static_cast<uint32_t>(8 * r);
    LEPTON_CHECK(store_at(alloc, slot, values));
    LEPTON_CHECK(store_at(alloc, slot + 4, static_cast<uint32_t>(row.size())));
  }
  LEPTON_CHECK(store_at(alloc, at, cols));
  LEPTON_CHECK(store_at(alloc, at + 4, static_cast<uint32_t>(rs.columns.size())));
  LEPTON_CHECK(store_at(alloc, at + 8, rows));
  return store_at(alloc, at + 12, static_cast<uint32_t>(rs.rows.size()));
}

Status lower_error(engine::GuestAllocator& alloc, uint32_t ret, const mysql::DbError& e) {
  LEPTON_TRY(uint32_t p, alloc.copy_in(e.message));
  LEPTON_CHECK(store_at(alloc, ret, uint8_t{1}));
  LEPTON_CHECK(store_at(alloc, ret + 4, static_cast<uint8_t>(static_cast<uint8_t>(e.kind) + 1)));
  LEPTON_CHECK(store_at(alloc, ret + 8, p));
  return store_at(alloc, ret + 12, static_cast<uint32_t>(e.message.size()));
}

template <bool kQuery>
wasm_trap_t* call(void*, wasmtime_caller_t* caller, wasmtime_val_raw_t* args, size_t) {
  const char* interface = kQuery ? "outbound-mysql::query" : "outbound-mysql::execute";
  auto alloc = spin1::caller_allocator(caller);
  if (!alloc) return spin1::trap(interface, alloc.error());
  auto arg = [&](int i) { return static_cast<uint32_t>(args[i].i32); };
  const uint32_t ret = arg(6);
  engine::GuestMemory m = alloc->memory();
  auto address = m.string(arg(0), arg(1));
  auto statement = m.string(arg(2), arg(3));
  if (!address || !statement)
    return spin1::trap(interface, fail("address or statement is outside guest memory"));
  auto params = lift_params(m, arg(4), arg(5));
  if (!params) return spin1::trap(interface, params.error());
  std::string addr(*address), stmt(*statement);

  auto run = [&]() -> std::variant<mysql::RowSet, mysql::DbError> {
    const HostContext* host = engine::StoreData::of(caller).get<HostContext>();
    if (host == nullptr || host->allowed_hosts == nullptr ||
        !host->allowed_hosts->allows_url(addr, "mysql"))
      return mysql::DbError{mysql::ErrorKind::kConnectionFailed,
                            "address " + addr + " is not permitted"};
    auto parsed = mysql::parse_address(addr);
    if (!parsed) return mysql::DbError{mysql::ErrorKind::kConnectionFailed, parsed.error().message};
    auto connected = mysql::Client::connect(*parsed, host->component_id);
    if (auto* e = std::get_if<mysql::DbError>(&connected)) return *e;
    auto& client = std::get<std::unique_ptr<mysql::Client>>(connected);
    if constexpr (kQuery) {
      return client->query(stmt, *params);
    } else {
      if (auto e = client->execute(stmt, *params)) return *e;
      return mysql::RowSet{};
    }
  };
  auto result = off_loop(run);  // a synchronous client: off the event loop
  Status written;
  if (auto* e = std::get_if<mysql::DbError>(&result)) {
    written = lower_error(*alloc, ret, *e);
  } else {
    if constexpr (kQuery) written = lower_row_set(*alloc, ret + 4, std::get<mysql::RowSet>(result));
    if (written) written = store_at(*alloc, ret, uint8_t{0});
  }
  if (!written) return spin1::trap(interface, written.error());
  return nullptr;
}

}  // namespace

Status define_spin1_outbound_mysql(wasmtime_linker_t* linker) {
  std::initializer_list<wasm_valkind_t> seven{WASM_I32, WASM_I32, WASM_I32, WASM_I32,
                                              WASM_I32, WASM_I32, WASM_I32};
  LEPTON_CHECK(
      engine::define_raw_func(linker, "outbound-mysql", "query", seven, {}, call<true>, nullptr));
  LEPTON_CHECK(engine::define_raw_func(linker, "outbound-mysql", "execute", seven, {}, call<false>,
                                       nullptr));
  return {};
}

}  // namespace lepton::factors
