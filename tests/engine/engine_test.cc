#include "engine/engine.h"

#include <gtest/gtest.h>
#include <sys/utsname.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "engine/guest_call.h"
#include "engine/module.h"
#include "support/test_engine.h"
#include "engine/store.h"

namespace lepton::engine {
namespace {

using lepton::testing::wat2wasm;

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cache_dir_ = std::filesystem::temp_directory_path() /
                 ("lepton-engine-test-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(cache_dir_);
    EngineOptions options;
    options.cache_dir = cache_dir_;
    options.max_instances = 8;
    options.max_instance_memory = 16 << 20;
    auto engine = Engine::create(options);
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    engine_ = std::move(*engine);
  }
  void TearDown() override { std::filesystem::remove_all(cache_dir_); }

  Result<wasmtime_instance_t> instantiate(Store& store, const Module& module) {
    wasmtime_instance_t instance;
    wasm_trap_t* trap = nullptr;
    if (auto* error =
            wasmtime_instance_new(store.context(), module.get(), nullptr, 0, &instance, &trap))
      return take_error(error);
    if (trap) return take_trap(trap);
    return instance;
  }

  std::filesystem::path cache_dir_;
  std::unique_ptr<Engine> engine_;
};

constexpr std::string_view kAdd = R"((module
  (memory (export "memory") 1)
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "spin") (loop br 0))
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))
)";

TEST_F(EngineTest, CompilesThenHitsTheCache) {
  std::string wasm = wat2wasm(kAdd);
  auto first = load_module(*engine_, bytes_of(wasm), "add");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->origin, ModuleOrigin::Compiled);
  auto second = load_module(*engine_, bytes_of(wasm), "add");
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->origin, ModuleOrigin::CacheHit);
  EXPECT_EQ(first->sha256, second->sha256);
  EXPECT_EQ(first->sha256.size(), 64u);

  Store store(*engine_, {});
  auto instance = instantiate(store, second->module);
  ASSERT_TRUE(instance.ok()) << instance.error().message;
  auto add = export_func(store.context(), *instance, "add");
  ASSERT_TRUE(add.ok());
  uint32_t sum = 0;
  ASSERT_TRUE(call_i32(store.context(), *add, {40, 2}, std::span(&sum, 1)).ok());
  EXPECT_EQ(sum, 42u);
}

TEST_F(EngineTest, CorruptCacheFileIsRebuiltNotLoaded) {
  std::string wasm = wat2wasm(kAdd);
  ASSERT_TRUE(load_module(*engine_, bytes_of(wasm), "add").ok());
  int corrupted = 0;
  for (const auto& entry : std::filesystem::directory_iterator(cache_dir_)) {
    if (!entry.is_regular_file()) continue;  // functions/: the incremental cache
    std::fstream f(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-10, std::ios::end);
    f.write("garbage!!!", 10);
    ++corrupted;
  }
  ASSERT_EQ(corrupted, 1);
  auto again = load_module(*engine_, bytes_of(wasm), "add");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->origin, ModuleOrigin::CacheRebuilt);
  auto third = load_module(*engine_, bytes_of(wasm), "add");
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->origin, ModuleOrigin::CacheHit);
}

TEST_F(EngineTest, TruncatedCacheFileIsRebuilt) {
  std::string wasm = wat2wasm(kAdd);
  ASSERT_TRUE(load_module(*engine_, bytes_of(wasm), "add").ok());
  for (const auto& entry : std::filesystem::directory_iterator(cache_dir_))
    if (entry.is_regular_file()) std::filesystem::resize_file(entry.path(), 5);
  auto again = load_module(*engine_, bytes_of(wasm), "add");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->origin, ModuleOrigin::CacheRebuilt);
}

size_t files_under(const std::filesystem::path& dir) {
  size_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file()) ++n;
  return n;
}

// Cranelift's incremental cache (<cache dir>/functions) is keyed by each function's IR, not by the
// module: another module with the same code (another custom section) finds its functions' entries
// already there (it adds almost none), a module with a new function adds its entry, and damaged
// entries are misses, not errors. (That entries are hits and what that saves is measured in
// bench/new-to-200.sh, docs/benchmarks.md.)
TEST_F(EngineTest, FunctionCacheReusesFunctionsAcrossModules) {
  auto functions = cache_dir_ / "functions";
  ASSERT_TRUE(load_module(*engine_, bytes_of(wat2wasm(kAdd)), "add").ok());
  size_t after_first = files_under(functions);
  EXPECT_GE(after_first, 4u);  // add, spin, grow (+ trampolines)

  // The same code with a custom section appended: another module (the module cache misses)
  // made of already compiled functions.
  std::string with_custom = wat2wasm(kAdd) + std::string("\x00\x0a\x06leptonabc", 12);
  auto second = load_module(*engine_, bytes_of(with_custom), "add+custom");
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->origin, ModuleOrigin::Compiled);
  // Parallel compilation makes a key or two differ between runs; the rest are the same entries.
  size_t after_second = files_under(functions);
  EXPECT_LT(after_second - after_first, after_first / 2);

  std::string with_func(kAdd);
  with_func.insert(
      with_func.rfind(')'),
      R"((func (export "mul") (param i32 i32) (result i32) local.get 0 local.get 1 i32.mul))");
  ASSERT_TRUE(load_module(*engine_, bytes_of(wat2wasm(with_func)), "add+mul").ok());
  EXPECT_GT(files_under(functions), after_second);

  // Damage every entry: the next compile misses, recompiles, and the module still works.
  for (const auto& e : std::filesystem::recursive_directory_iterator(functions))
    if (e.is_regular_file()) std::filesystem::resize_file(e.path(), 3);
  std::string third = std::string(kAdd);
  third.insert(third.rfind(')'), R"((data (i32.const 32) "third"))");
  auto rebuilt = load_module(*engine_, bytes_of(wat2wasm(third)), "add+third");
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().message;
  Store store(*engine_, {});
  auto instance = instantiate(store, rebuilt->module);
  ASSERT_TRUE(instance.ok()) << instance.error().message;
  auto add = export_func(store.context(), *instance, "add");
  ASSERT_TRUE(add.ok());
  uint32_t sum = 0;
  ASSERT_TRUE(call_i32(store.context(), *add, {40, 2}, std::span(&sum, 1)).ok());
  EXPECT_EQ(sum, 42u);
}

TEST_F(EngineTest, InvalidWasmNamesTheSource) {
  std::string junk = "\0asm\x01\0\0\0garbage";
  auto loaded = load_module(*engine_, bytes_of(junk), "component 'broken' (broken.wasm)");
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("component 'broken'"), std::string::npos)
      << loaded.error().message;
}

TEST_F(EngineTest, EpochDeadlineInterruptsRunawayLoop) {
  std::string wasm = wat2wasm(kAdd);
  auto loaded = load_module(*engine_, bytes_of(wasm), "add");
  ASSERT_TRUE(loaded.ok());
  Store store(*engine_, {.timeout = std::chrono::milliseconds(50)});
  auto instance = instantiate(store, loaded->module);
  ASSERT_TRUE(instance.ok());
  auto spin = export_func(store.context(), *instance, "spin");
  ASSERT_TRUE(spin.ok());
  auto start = std::chrono::steady_clock::now();
  auto result = call_i32(store.context(), *spin, {}, {});
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(is_interrupt(result.error())) << result.error().message;
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST_F(EngineTest, MemoryLimitStopsGrowth) {
  std::string wasm = wat2wasm(kAdd);
  auto loaded = load_module(*engine_, bytes_of(wasm), "add");
  ASSERT_TRUE(loaded.ok());
  Store store(*engine_, {.max_memory_bytes = 4 * 65536});
  auto instance = instantiate(store, loaded->module);
  ASSERT_TRUE(instance.ok());
  auto grow = export_func(store.context(), *instance, "grow");
  ASSERT_TRUE(grow.ok());
  uint32_t old_pages = 0;
  ASSERT_TRUE(call_i32(store.context(), *grow, {2}, std::span(&old_pages, 1)).ok());
  EXPECT_EQ(old_pages, 1u);
  ASSERT_TRUE(call_i32(store.context(), *grow, {8}, std::span(&old_pages, 1)).ok());
  EXPECT_EQ(old_pages, 0xFFFFFFFFu);  // -1: refused
}

TEST(StoreData, TypedSlots) {
  struct A {
    int v;
  };
  struct B {
    int v;
  };
  StoreData data;
  A a{1};
  B b{2};
  EXPECT_EQ(data.get<A>(), nullptr);
  data.set(&a);
  data.set(&b);
  EXPECT_EQ(data.get<A>()->v, 1);
  EXPECT_EQ(data.get<B>()->v, 2);
}

TEST(EngineOptionsTest, RejectsNonsense) {
  EngineOptions options;
  options.max_instances = 0;
  EXPECT_FALSE(Engine::create(options).ok());
  options.max_instances = 1;
  options.max_instance_memory = 100;
  EXPECT_FALSE(Engine::create(options).ok());
}

// The probe agrees with the kernel version: PAGEMAP_SCAN arrived in Linux 6.7.
TEST(Engine, PagemapScanProbeMatchesKernelVersion) {
  utsname u{};
  ASSERT_EQ(uname(&u), 0);
  int major = 0, minor = 0;
  ASSERT_EQ(std::sscanf(u.release, "%d.%d", &major, &minor), 2) << u.release;
  bool expected = major > 6 || (major == 6 && minor >= 7);
  EXPECT_EQ(pagemap_scan_supported(), expected) << "kernel " << u.release;
}

}  // namespace
}  // namespace lepton::engine
