// Hand-written WAT modules calling preview1 functions with raw pointers: bounds checks (FAULT,
// never a host crash), exact struct layouts, readdir cookies, proc_exit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "wasi/harness.h"

namespace lepton::wasi {
namespace {

using ::testing::HasSubstr;
using testing::Linker;
using testing::TempDir;
using testing::test_engine;

constexpr int32_t kFault = 21, kBadf = 8, kInval = 28, kNametoolong = 37;

struct Import {
  const char* name;
  const char* params;  // wasm value types, space-separated
  bool result = true;
};

// Forwarders "w_<name>" for each import, so the test can call any function with any argument.
const Import kImports[] = {
    {"fd_write", "i32 i32 i32 i32"},
    {"fd_read", "i32 i32 i32 i32"},
    {"args_get", "i32 i32"},
    {"args_sizes_get", "i32 i32"},
    {"environ_get", "i32 i32"},
    {"random_get", "i32 i32"},
    {"clock_time_get", "i32 i64 i32"},
    {"path_open", "i32 i32 i32 i32 i32 i64 i64 i32 i32"},
    {"fd_readdir", "i32 i32 i32 i64 i32"},
    {"poll_oneoff", "i32 i32 i32 i32"},
    {"fd_prestat_dir_name", "i32 i32 i32"},
    {"fd_filestat_get", "i32 i32"},
    {"fd_fdstat_get", "i32 i32"},
    {"fd_seek", "i32 i64 i32 i32"},
    {"proc_exit", "i32", false},
};

std::string module_wat(bool with_memory) {
  std::string wat = "(module\n";
  for (const auto& imp : kImports)
    wat += fmt::format("(import \"wasi_snapshot_preview1\" \"{0}\" (func ${0} (param {1}){2}))\n",
                       imp.name, imp.params, imp.result ? " (result i32)" : "");
  if (with_memory) wat += "(memory (export \"memory\") 1)\n";
  for (const auto& imp : kImports) {
    std::string body;
    int n = 0;
    for (const char* p = imp.params; *p != '\0'; ++p)
      if (*p == 'i') body += fmt::format(" (local.get {})", n++);
    wat += fmt::format("(func (export \"w_{0}\") (param {1}){2} (call ${0}{3}))\n", imp.name,
                       imp.params, imp.result ? " (result i32)" : "", body);
  }
  return wat + ")\n";
}

class Abi : public ::testing::Test {
 protected:
  void SetUp() override { instantiate(true, true); }

  void instantiate(bool with_memory, bool attach_ctx) {
    std::string wat = module_wat(with_memory);
    wasm_byte_vec_t wasm;
    wasmtime_error_t* error = wasmtime_wat2wasm(wat.data(), wat.size(), &wasm);
    ASSERT_EQ(error, nullptr) << engine::take_error(error).message;
    error = wasmtime_module_new(eng_.raw(), reinterpret_cast<const uint8_t*>(wasm.data), wasm.size,
                                &module_);
    wasm_byte_vec_delete(&wasm);
    ASSERT_EQ(error, nullptr) << engine::take_error(error).message;

    auto a = dir_.write("a.txt", "alpha");
    Preview1Config config;
    config.args = {"prog", "arg"};
    config.env = {{"K", "V"}};
    config.stdin_data = "stdin-data";
    config.files = testing::tree({{a, "/a.txt"}, {a, "/dir/b.txt"}});
    config.stdout_sink = [this](std::string_view s) { out_.append(s); };
    ctx_ = make_preview1(std::move(config));
    store_ = std::make_unique<engine::Store>(eng_, engine::StoreLimits{});
    if (attach_ctx) attach(*ctx_, store_->context());
    wasm_trap_t* trap = nullptr;
    error = wasmtime_linker_instantiate(linker_.raw, store_->context(), module_, &instance_, &trap);
    ASSERT_EQ(error, nullptr) << engine::take_error(error).message;
    ASSERT_EQ(trap, nullptr);
    if (with_memory) {
      auto memory = engine::export_memory(store_->context(), instance_);
      ASSERT_TRUE(memory.ok());
      memory_ = *memory;
    }
  }

  void TearDown() override {
    store_.reset();
    if (module_ != nullptr) wasmtime_module_delete(module_);
  }

  uint8_t* mem() { return wasmtime_memory_data(store_->context(), &memory_); }
  template <typename T>
  void poke(uint32_t at, T value) {
    std::memcpy(mem() + at, &value, sizeof value);
  }
  template <typename T>
  T peek(uint32_t at) {
    T value;
    std::memcpy(&value, mem() + at, sizeof value);
    return value;
  }

  static wasmtime_val_t i32(uint32_t v) {
    wasmtime_val_t val;
    val.kind = WASMTIME_I32;
    val.of.i32 = static_cast<int32_t>(v);
    return val;
  }
  static wasmtime_val_t i64(uint64_t v) {
    wasmtime_val_t val;
    val.kind = WASMTIME_I64;
    val.of.i64 = static_cast<int64_t>(v);
    return val;
  }

  // Calls w_<name>; returns the errno, or -1 after a trap (kept in trap_).
  int32_t call(const std::string& name, std::vector<wasmtime_val_t> args) {
    auto func = engine::export_func(store_->context(), instance_, "w_" + name);
    EXPECT_TRUE(func.ok());
    if (!func.ok()) return -2;
    wasmtime_val_t result{};
    wasm_trap_t* trap = nullptr;
    wasmtime_error_t* error =
        wasmtime_func_call(store_->context(), &*func, args.data(), args.size(), &result,
                           name == "proc_exit" ? 0 : 1, &trap);
    if (error != nullptr) {
      trap_ = engine::take_error(error).message;
      return -1;
    }
    if (trap != nullptr) {
      trap_ = engine::take_trap(trap).message;
      return -1;
    }
    return result.of.i32;
  }

  engine::Engine& eng_ = test_engine();
  Linker linker_{eng_};
  TempDir dir_;
  wasmtime_module_t* module_ = nullptr;
  Preview1CtxPtr ctx_{nullptr, nullptr};
  std::unique_ptr<engine::Store> store_;
  wasmtime_instance_t instance_{};
  wasmtime_memory_t memory_{};
  std::string out_, trap_;
};

constexpr uint32_t kEnd = 65536;  // one page

TEST_F(Abi, FdWriteWritesValidIovecs) {
  poke<uint32_t>(0, 100);
  poke<uint32_t>(4, 5);
  poke<uint32_t>(8, 200);
  poke<uint32_t>(12, 3);
  std::memcpy(mem() + 100, "hello", 5);
  std::memcpy(mem() + 200, " you", 4);
  EXPECT_EQ(call("fd_write", {i32(1), i32(0), i32(2), i32(300)}), 0);
  EXPECT_EQ(peek<uint32_t>(300), 8u);
  EXPECT_EQ(out_, "hello yo");
  EXPECT_EQ(call("fd_write", {i32(99), i32(0), i32(1), i32(300)}), kBadf);
  EXPECT_EQ(call("fd_write", {i32(0), i32(0), i32(1), i32(300)}), kBadf);  // stdin
  EXPECT_EQ(call("fd_write", {i32(3), i32(0), i32(1), i32(300)}), kBadf);  // a directory
}

TEST_F(Abi, FdWriteFaultsOnEveryOutOfBoundsPointer) {
  std::memcpy(mem() + 100, "hello", 5);
  // The iovec array runs past the end of memory.
  EXPECT_EQ(call("fd_write", {i32(1), i32(kEnd - 4), i32(1), i32(300)}), kFault);
  EXPECT_EQ(call("fd_write", {i32(1), i32(0), i32(0xFFFFFFFF), i32(300)}), kFault);
  // A buffer runs past the end, or wraps around 4 GiB.
  poke<uint32_t>(0, kEnd - 10);
  poke<uint32_t>(4, 100);
  EXPECT_EQ(call("fd_write", {i32(1), i32(0), i32(1), i32(300)}), kFault);
  poke<uint32_t>(0, 0xFFFFFFFF);
  poke<uint32_t>(4, 2);
  EXPECT_EQ(call("fd_write", {i32(1), i32(0), i32(1), i32(300)}), kFault);
  // A good buffer, a bad result pointer: nothing is written.
  poke<uint32_t>(0, 100);
  poke<uint32_t>(4, 5);
  EXPECT_EQ(call("fd_write", {i32(1), i32(0), i32(1), i32(kEnd - 2)}), kFault);
  EXPECT_EQ(out_, "");
  // Zero-length buffers anywhere in bounds, even at the very end, are fine.
  poke<uint32_t>(0, kEnd);
  poke<uint32_t>(4, 0);
  EXPECT_EQ(call("fd_write", {i32(1), i32(0), i32(1), i32(300)}), 0);
  EXPECT_EQ(peek<uint32_t>(300), 0u);
}

TEST_F(Abi, FdReadFaultsWithoutConsumingStdin) {
  poke<uint32_t>(0, kEnd - 4);
  poke<uint32_t>(4, 8);
  EXPECT_EQ(call("fd_read", {i32(0), i32(0), i32(1), i32(300)}), kFault);
  poke<uint32_t>(0, 100);
  poke<uint32_t>(4, 64);
  EXPECT_EQ(call("fd_read", {i32(0), i32(0), i32(1), i32(kEnd)}), kFault);
  EXPECT_EQ(call("fd_read", {i32(0), i32(0), i32(1), i32(300)}), 0);
  EXPECT_EQ(peek<uint32_t>(300), 10u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(mem() + 100), 10), "stdin-data");
  EXPECT_EQ(call("fd_read", {i32(0), i32(0), i32(1), i32(300)}), 0);
  EXPECT_EQ(peek<uint32_t>(300), 0u);  // end of input
  EXPECT_EQ(call("fd_read", {i32(1), i32(0), i32(1), i32(300)}), kBadf);
}

TEST_F(Abi, ArgsAndEnvironFault) {
  EXPECT_EQ(call("args_sizes_get", {i32(kEnd), i32(0)}), kFault);
  EXPECT_EQ(call("args_sizes_get", {i32(0), i32(kEnd - 3)}), kFault);
  EXPECT_EQ(call("args_get", {i32(kEnd - 4), i32(0)}), kFault);  // 2 pointers need 8 bytes
  EXPECT_EQ(call("args_get", {i32(0), i32(kEnd - 4)}), kFault);  // "prog\0arg\0" is 9 bytes
  EXPECT_EQ(call("environ_get", {i32(0), i32(kEnd - 3)}), kFault);
  EXPECT_EQ(call("args_sizes_get", {i32(0), i32(4)}), 0);
  EXPECT_EQ(peek<uint32_t>(0), 2u);
  EXPECT_EQ(peek<uint32_t>(4), 9u);
  EXPECT_EQ(call("args_get", {i32(16), i32(100)}), 0);
  EXPECT_EQ(peek<uint32_t>(16), 100u);
  EXPECT_EQ(peek<uint32_t>(20), 105u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(mem() + 100), 9), std::string("prog\0arg\0", 9));
  EXPECT_EQ(call("environ_get", {i32(16), i32(200)}), 0);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(mem() + 200)), "K=V");
}

TEST_F(Abi, RandomAndClockFault) {
  EXPECT_EQ(call("random_get", {i32(65000), i32(1000)}), kFault);
  EXPECT_EQ(call("random_get", {i32(0xFFFFFFF0), i32(0x20)}), kFault);
  EXPECT_EQ(call("random_get", {i32(kEnd - 1), i32(1)}), 0);
  EXPECT_EQ(call("random_get", {i32(kEnd), i32(0)}), 0);
  EXPECT_EQ(call("clock_time_get", {i32(1), i64(0), i32(kEnd - 4)}), kFault);
  EXPECT_EQ(call("clock_time_get", {i32(1), i64(0), i32(kEnd - 8)}), 0);
  EXPECT_GT(peek<uint64_t>(kEnd - 8), 0u);
  EXPECT_EQ(call("clock_time_get", {i32(7), i64(0), i32(0)}), kInval);
}

TEST_F(Abi, PathOpenFaults) {
  std::memcpy(mem() + 100, "a.txt", 5);
  EXPECT_EQ(call("path_open",
                 {i32(3), i32(0), i32(kEnd - 2), i32(5), i32(0), i64(2), i64(0), i32(0), i32(300)}),
            kFault);
  EXPECT_EQ(call("path_open",
                 {i32(3), i32(0), i32(100), i32(5), i32(0), i64(2), i64(0), i32(0), i32(kEnd)}),
            kFault);
  EXPECT_EQ(call("path_open",
                 {i32(3), i32(0), i32(100), i32(5), i32(0), i64(2), i64(0), i32(0), i32(300)}),
            0);
  EXPECT_EQ(peek<uint32_t>(300), 4u);  // lowest free descriptor
  // Write rights, create, truncate: refused; unknown flag bits: invalid.
  EXPECT_EQ(call("path_open",
                 {i32(3), i32(0), i32(100), i32(5), i32(0), i64(64), i64(0), i32(0), i32(300)}),
            63);
  EXPECT_EQ(call("path_open",
                 {i32(3), i32(0), i32(100), i32(5), i32(8), i64(2), i64(0), i32(0), i32(300)}),
            63);
  EXPECT_EQ(call("path_open",
                 {i32(3), i32(0), i32(100), i32(5), i32(16), i64(2), i64(0), i32(0), i32(300)}),
            kInval);
  // An absolute path is not relative to the directory descriptor.
  std::memcpy(mem() + 100, "/a.txt", 6);
  EXPECT_EQ(call("path_open",
                 {i32(3), i32(0), i32(100), i32(6), i32(0), i64(2), i64(0), i32(0), i32(300)}),
            63);
  // Opening from a file descriptor rather than a directory.
  EXPECT_EQ(call("path_open",
                 {i32(1), i32(0), i32(101), i32(5), i32(0), i64(2), i64(0), i32(0), i32(300)}),
            54);
}

TEST_F(Abi, FdstatAndFilestatLayouts) {
  std::memcpy(mem() + 100, "a.txt", 5);
  ASSERT_EQ(call("path_open",
                 {i32(3), i32(0), i32(100), i32(5), i32(0), i64(2), i64(0), i32(4), i32(300)}),
            0);
  uint32_t fd = peek<uint32_t>(300);
  std::memset(mem() + 400, 0xAA, 64);
  ASSERT_EQ(call("fd_fdstat_get", {i32(fd), i32(400)}), 0);
  EXPECT_EQ(peek<uint8_t>(400), 4);           // regular file
  EXPECT_EQ(peek<uint8_t>(401), 0);           // padding is zeroed
  EXPECT_EQ(peek<uint16_t>(402), 4);          // NONBLOCK as opened
  EXPECT_EQ(peek<uint64_t>(408) & 0x40, 0u);  // no FD_WRITE
  EXPECT_NE(peek<uint64_t>(408) & 0x2, 0u);   // FD_READ
  ASSERT_EQ(call("fd_filestat_get", {i32(fd), i32(400)}), 0);
  EXPECT_EQ(peek<uint64_t>(400), 1u);  // dev
  EXPECT_NE(peek<uint64_t>(408), 0u);  // ino
  EXPECT_EQ(peek<uint8_t>(416), 4);    // filetype
  EXPECT_EQ(peek<uint64_t>(424), 1u);  // nlink
  EXPECT_EQ(peek<uint64_t>(432), 5u);  // size
  EXPECT_NE(peek<uint64_t>(448), 0u);  // mtim
  EXPECT_EQ(call("fd_filestat_get", {i32(fd), i32(kEnd - 63)}), kFault);
  EXPECT_EQ(call("fd_fdstat_get", {i32(fd), i32(kEnd - 23)}), kFault);
  ASSERT_EQ(call("fd_filestat_get", {i32(3), i32(400)}), 0);
  EXPECT_EQ(peek<uint8_t>(416), 3);  // directory
  // Seeking: relative to the end, then before the start.
  EXPECT_EQ(call("fd_seek", {i32(fd), i64(static_cast<uint64_t>(-2)), i32(2), i32(500)}), 0);
  EXPECT_EQ(peek<uint64_t>(500), 3u);
  EXPECT_EQ(call("fd_seek", {i32(fd), i64(static_cast<uint64_t>(-4)), i32(1), i32(500)}), kInval);
  EXPECT_EQ(call("fd_seek", {i32(fd), i64(0), i32(3), i32(500)}), kInval);
  EXPECT_EQ(call("fd_seek", {i32(fd), i64(0), i32(0), i32(kEnd - 4)}), kFault);
  EXPECT_EQ(call("fd_seek", {i32(1), i64(0), i32(0), i32(500)}), 70);  // SPIPE
}

TEST_F(Abi, PrestatDirName) {
  EXPECT_EQ(call("fd_prestat_dir_name", {i32(3), i32(kEnd - 1), i32(1)}), 0);
  EXPECT_EQ(peek<char>(kEnd - 1), '/');
  EXPECT_EQ(call("fd_prestat_dir_name", {i32(3), i32(kEnd), i32(1)}), kFault);
  EXPECT_EQ(call("fd_prestat_dir_name", {i32(3), i32(0), i32(0)}), kNametoolong);
  EXPECT_EQ(call("fd_prestat_dir_name", {i32(4), i32(0), i32(1)}), kBadf);
}

struct Dirent {
  uint64_t next, ino;
  uint32_t namlen;
  uint8_t type;
  std::string name;
};

TEST_F(Abi, ReaddirLayoutAndCookies) {
  EXPECT_EQ(call("fd_readdir", {i32(3), i32(kEnd - 10), i32(100), i64(0), i32(0)}), kFault);
  EXPECT_EQ(call("fd_readdir", {i32(3), i32(0), i32(100), i64(0), i32(kEnd)}), kFault);
  EXPECT_EQ(call("fd_readdir", {i32(1), i32(0), i32(100), i64(0), i32(8)}), 54);  // NOTDIR

  // A buffer too small for everything: filled to the last byte, the last entry truncated.
  std::memset(mem() + 1000, 0xEE, 64);
  ASSERT_EQ(call("fd_readdir", {i32(3), i32(1000), i32(30), i64(0), i32(8)}), 0);
  EXPECT_EQ(peek<uint32_t>(8), 30u);
  EXPECT_EQ(peek<uint64_t>(1000), 1u);  // d_next of "."
  EXPECT_EQ(peek<uint64_t>(1008), 1u);  // the root's inode
  EXPECT_EQ(peek<uint32_t>(1016), 1u);
  EXPECT_EQ(peek<uint8_t>(1020), 3);
  EXPECT_EQ(peek<char>(1024), '.');
  EXPECT_EQ(peek<uint8_t>(1025), 2);     // start of "..": d_next = 2
  EXPECT_EQ(peek<uint8_t>(1030), 0xEE);  // nothing written past buf_len

  // Resume from each cookie and collect the listing.
  auto read_all = [&](uint64_t cookie) {
    std::vector<Dirent> entries;
    EXPECT_EQ(call("fd_readdir", {i32(3), i32(1000), i32(4096), i64(cookie), i32(8)}), 0);
    uint32_t used = peek<uint32_t>(8);
    EXPECT_LT(used, 4096u);  // all of it fit: the end of the directory
    for (uint32_t at = 1000; at < 1000 + used;) {
      Dirent d{peek<uint64_t>(at), peek<uint64_t>(at + 8), peek<uint32_t>(at + 16),
               peek<uint8_t>(at + 20), ""};
      d.name.assign(reinterpret_cast<char*>(mem() + at + 24), d.namlen);
      at += 24 + d.namlen;
      entries.push_back(d);
    }
    return entries;
  };
  auto all = read_all(0);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].name, ".");
  EXPECT_EQ(all[1].name, "..");
  EXPECT_EQ(all[2].name, "a.txt");
  EXPECT_EQ(all[2].type, 4);
  EXPECT_EQ(all[3].name, "dir");
  EXPECT_EQ(all[3].type, 3);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].next, i + 1);
  auto rest = read_all(all[1].next);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].name, "a.txt");
  EXPECT_EQ(rest[0].ino, all[2].ino);
  EXPECT_TRUE(read_all(4).empty());
  EXPECT_TRUE(read_all(~0ull).empty());
}

TEST_F(Abi, PollOneoffFaults) {
  EXPECT_EQ(call("poll_oneoff", {i32(kEnd - 40), i32(0), i32(1), i32(8)}), kFault);
  EXPECT_EQ(call("poll_oneoff", {i32(0), i32(kEnd - 16), i32(1), i32(8)}), kFault);
  EXPECT_EQ(call("poll_oneoff", {i32(0), i32(100), i32(0), i32(8)}), kInval);
  // A relative monotonic timer of 1 ms.
  std::memset(mem(), 0, 48);
  poke<uint64_t>(0, 77);
  poke<uint8_t>(8, 0);
  poke<uint32_t>(16, 1);
  poke<uint64_t>(24, 1'000'000);
  ASSERT_EQ(call("poll_oneoff", {i32(0), i32(100), i32(1), i32(8)}), 0);
  EXPECT_EQ(peek<uint32_t>(8), 1u);
  EXPECT_EQ(peek<uint64_t>(100), 77u);
  EXPECT_EQ(peek<uint16_t>(108), 0u);
  EXPECT_EQ(peek<uint8_t>(110), 0);
  // An unknown subscription tag.
  poke<uint8_t>(8, 9);
  EXPECT_EQ(call("poll_oneoff", {i32(0), i32(100), i32(1), i32(8)}), kInval);
}

TEST_F(Abi, ProcExitTrapsWithTheCode) {
  EXPECT_EQ(call("proc_exit", {i32(3)}), -1);
  EXPECT_THAT(trap_, HasSubstr(kExitTrapMessage));
  EXPECT_EQ(exit_code(*ctx_), 3);
}

TEST_F(Abi, DefiningTwiceFails) { EXPECT_FALSE(define_preview1(linker_.raw).ok()); }

class AbiNoMemory : public Abi {
 protected:
  void SetUp() override { instantiate(false, true); }
};

TEST_F(AbiNoMemory, EveryPointerFaults) {
  EXPECT_EQ(call("fd_write", {i32(1), i32(0), i32(1), i32(0)}), kFault);
  EXPECT_EQ(call("random_get", {i32(0), i32(1)}), kFault);
  EXPECT_EQ(call("random_get", {i32(0), i32(0)}), 0);
}

class AbiNoContext : public Abi {
 protected:
  void SetUp() override { instantiate(true, false); }
};

TEST_F(AbiNoContext, CallsTrap) {
  EXPECT_EQ(call("random_get", {i32(0), i32(1)}), -1);
  EXPECT_THAT(trap_, HasSubstr("without a WASI context"));
}

}  // namespace
}  // namespace lepton::wasi
