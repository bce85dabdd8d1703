// Spin 1 `sqlite` interface (wit-bindgen 0.2 ABI): a connection is a u32 handle; open and
// execute answer expected<T, error> through a return area; close forgets the handle. The
// databases and permissions are those of the component interfaces (sqlite_access.h).
//
// Layouts: expected<u32|query-result, error> is tag u8@0, payload@4 (ok u32@4; query-result
// columns ptr/len @4/@8, rows ptr/len @12/@16; err: error tag u8@4, io string ptr/len @8/@12).
// `value` is 16 bytes, align 8: tag u8@0, payload@8 (s64, f64, or string/list ptr/len @8/@12).
// row-result is list<value> (8 bytes, align 4).
#include "engine/store.h"
#include "factors/host_context.h"
#include "factors/registry.h"
#include "factors/spin1_abi.h"
#include "factors/sqlite_access.h"

namespace lepton::factors {

namespace {

constexpr std::string_view kInterface = "sqlite";

struct Call {
  engine::GuestAllocator alloc;
  uint32_t ret;
  HostContext* host;

  Status err(const SqliteFailure& f) {
    uint32_t ptr = 0;
    const bool io = f.kind == SqliteError::kIo;
    if (io) {
      LEPTON_TRY(ptr, alloc.copy_in(f.message));
    }
    auto memory = alloc.memory();
    if (!memory.store(ret, uint8_t{1}) || !memory.store(ret + 4, static_cast<uint8_t>(f.kind)) ||
        !memory.store(ret + 8, ptr) ||
        !memory.store(ret + 12, static_cast<uint32_t>(io ? f.message.size() : 0)))
      return fail("return area {:#x} is outside guest memory", ret);
    return {};
  }
  Result<std::string> string(int32_t ptr, int32_t len) {
    auto view = alloc.memory().string(static_cast<uint32_t>(ptr), static_cast<uint32_t>(len));
    if (!view) return fail("argument is outside guest memory");
    return std::string(*view);
  }
  Spin1SqliteConnections& connections() {
    if (!host->spin1_sqlite) host->spin1_sqlite = std::make_shared<Spin1SqliteConnections>();
    return *host->spin1_sqlite;
  }
  sqlite::Connection* connection(int32_t handle) {
    auto h = static_cast<uint32_t>(handle);
    if (host == nullptr || !host->spin1_sqlite || h == 0 || h > host->spin1_sqlite->open.size())
      return nullptr;
    return host->spin1_sqlite->open[h - 1].get();
  }
};

template <typename F>
wasm_trap_t* with_call(wasmtime_caller_t* caller, uint32_t ret, F body) {
  auto alloc = spin1::caller_allocator(caller);
  if (!alloc) return spin1::trap(kInterface, alloc.error());
  Call call{*alloc, ret, engine::StoreData::of(caller).get<HostContext>()};
  Status done = body(call);
  if (!done) return spin1::trap(kInterface, done.error());
  return nullptr;
}

wasm_trap_t* sqlite_open(void*, wasmtime_caller_t* caller, wasmtime_val_raw_t* args, size_t) {
  return with_call(caller, static_cast<uint32_t>(args[2].i32), [&](Call& c) -> Status {
    LEPTON_TRY(std::string label, c.string(args[0].i32, args[1].i32));
    if (c.host == nullptr) return c.err({SqliteError::kAccessDenied, {}});
    auto& table = c.connections();
    if (table.live >= kMaxSqliteConnections)
      return c.err({SqliteError::kIo, "too many connections opened"});
    auto opened = open_sqlite(c.host->sqlite, label);
    if (auto* f = std::get_if<SqliteFailure>(&opened)) return c.err(*f);
    table.open.push_back(std::move(std::get<std::unique_ptr<sqlite::Connection>>(opened)));
    ++table.live;
    auto memory = c.alloc.memory();
    if (!memory.store(c.ret, uint8_t{0}) ||
        !memory.store(c.ret + 4, static_cast<uint32_t>(table.open.size())))
      return fail("return area {:#x} is outside guest memory", c.ret);
    return {};
  });
}

Result<std::vector<sqlite::Value>> lift_params(const engine::GuestMemory& memory, uint32_t ptr,
                                               uint32_t len) {
  std::vector<sqlite::Value> out;
  if (static_cast<uint64_t>(len) * 16 > memory.size())
    return fail("parameter list is outside guest memory");
  out.reserve(len);
  for (uint32_t i = 0; i < len; ++i) {
    const uint64_t at = uint64_t{ptr} + uint64_t{i} * 16;
    uint8_t tag = 0;
    if (!memory.load(at, tag)) return fail("parameter {} is outside guest memory", i);
    switch (tag) {
      case 0: {
        int64_t v = 0;
        if (!memory.load(at + 8, v)) return fail("parameter {} is outside guest memory", i);
        out.push_back(sqlite::Value::of_integer(v));
        break;
      }
      case 1: {
        double v = 0;
        if (!memory.load(at + 8, v)) return fail("parameter {} is outside guest memory", i);
        out.push_back(sqlite::Value::of_real(v));
        break;
      }
      case 2:
      case 3: {
        uint32_t p = 0, n = 0;
        if (!memory.load(at + 8, p) || !memory.load(at + 12, n))
          return fail("parameter {} is outside guest memory", i);
        auto bytes = memory.string(p, n);
        if (!bytes) return fail("parameter {} data is outside guest memory", i);
        out.push_back(tag == 2 ? sqlite::Value::of_text(std::string(*bytes))
                               : sqlite::Value::of_blob(std::string(*bytes)));
        break;
      }
      case 4:
        out.push_back(sqlite::Value::null());
        break;
      default:
        return fail("parameter {}: invalid value discriminant {}", i, tag);
    }
  }
  return out;
}

// Copies a query-result into guest memory; returns (columns ptr, len, rows ptr, len).
Result<std::array<uint32_t, 4>> lower_result(engine::GuestAllocator& alloc,
                                             const sqlite::QueryResult& r) {
  const auto ncols = static_cast<uint32_t>(r.columns.size());
  LEPTON_TRY(uint32_t columns, alloc.alloc(4, ncols * 8));
  for (uint32_t i = 0; i < ncols; ++i) {
    LEPTON_TRY(uint32_t p, alloc.copy_in(r.columns[i]));
    auto memory = alloc.memory();
    if (!memory.store(columns + i * 8, p) ||
        !memory.store(columns + i * 8 + 4, static_cast<uint32_t>(r.columns[i].size())))
      return fail("column list is outside guest memory");
  }
  const auto nrows = static_cast<uint32_t>(r.rows.size());
  LEPTON_TRY(uint32_t rows, alloc.alloc(4, nrows * 8));
  for (uint32_t i = 0; i < nrows; ++i) {
    const auto& row = r.rows[i];
    const auto nvals = static_cast<uint32_t>(row.size());
    LEPTON_TRY(uint32_t values, alloc.alloc(8, nvals * 16));
    for (uint32_t j = 0; j < nvals; ++j) {
      const sqlite::Value& v = row[j];
      const uint32_t at = values + j * 16;
      uint32_t data = 0;
      if (v.kind == sqlite::Value::Kind::kText || v.kind == sqlite::Value::Kind::kBlob) {
        LEPTON_TRY(data, alloc.copy_in(v.bytes));
      }
      auto memory = alloc.memory();
      bool ok = memory.store(at, static_cast<uint8_t>(v.kind));
      switch (v.kind) {
        case sqlite::Value::Kind::kInteger:
          ok = ok && memory.store(at + 8, v.integer);
          break;
        case sqlite::Value::Kind::kReal:
          ok = ok && memory.store(at + 8, v.real);
          break;
        case sqlite::Value::Kind::kText:
        case sqlite::Value::Kind::kBlob:
          ok = ok && memory.store(at + 8, data) &&
               memory.store(at + 12, static_cast<uint32_t>(v.bytes.size()));
          break;
        case sqlite::Value::Kind::kNull:
          break;
      }
      if (!ok) return fail("row values are outside guest memory");
    }
    auto memory = alloc.memory();
    if (!memory.store(rows + i * 8, values) || !memory.store(rows + i * 8 + 4, nvals))
      return fail("row list is outside guest memory");
  }
  return std::array<uint32_t, 4>{columns, ncols, rows, nrows};
}

wasm_trap_t* sqlite_execute(void*, wasmtime_caller_t* caller, wasmtime_val_raw_t* args, size_t) {
  return with_call(caller, static_cast<uint32_t>(args[5].i32), [&](Call& c) -> Status {
    sqlite::Connection* conn = c.connection(args[0].i32);
    if (conn == nullptr) return c.err({SqliteError::kInvalidConnection, {}});
    LEPTON_TRY(std::string statement, c.string(args[1].i32, args[2].i32));
    LEPTON_TRY(auto params, lift_params(c.alloc.memory(), static_cast<uint32_t>(args[3].i32),
                                        static_cast<uint32_t>(args[4].i32)));
    auto done = execute_sqlite(*conn, statement, params);
    if (auto* f = std::get_if<SqliteFailure>(&done)) return c.err(*f);
    LEPTON_TRY(auto lists, lower_result(c.alloc, std::get<sqlite::QueryResult>(done)));
    auto memory = c.alloc.memory();
    if (!memory.store(c.ret, uint8_t{0}) || !memory.store(c.ret + 4, lists[0]) ||
        !memory.store(c.ret + 8, lists[1]) || !memory.store(c.ret + 12, lists[2]) ||
        !memory.store(c.ret + 16, lists[3]))
      return fail("return area {:#x} is outside guest memory", c.ret);
    return {};
  });
}

wasm_trap_t* sqlite_close(void*, wasmtime_caller_t* caller, wasmtime_val_raw_t* args, size_t) {
  // Handles are indexes, never reused within a request: closing frees the connection.
  HostContext* host = engine::StoreData::of(caller).get<HostContext>();
  auto h = static_cast<uint32_t>(args[0].i32);
  if (host != nullptr && host->spin1_sqlite && h != 0 && h <= host->spin1_sqlite->open.size() &&
      host->spin1_sqlite->open[h - 1]) {
    host->spin1_sqlite->open[h - 1].reset();
    --host->spin1_sqlite->live;
  }
  return nullptr;
}

}  // namespace

Status define_spin1_sqlite(wasmtime_linker_t* linker) {
  constexpr auto I = WASM_I32;
  LEPTON_CHECK(engine::define_raw_func(linker, "sqlite", "open", {I, I, I}, {}, sqlite_open));
  LEPTON_CHECK(
      engine::define_raw_func(linker, "sqlite", "execute", {I, I, I, I, I, I}, {}, sqlite_execute));
  return engine::define_raw_func(linker, "sqlite", "close", {I}, {}, sqlite_close);
}

}  // namespace lepton::factors
