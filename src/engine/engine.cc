#include "engine/engine.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>

#include "engine/wasmtime_ext.h"

namespace lepton::engine {

namespace {

std::string name_to_string(wasm_name_t& name) {
  std::string s(name.data, name.size);
  wasm_byte_vec_delete(&name);
  return s;
}

}  // namespace

bool pagemap_scan_supported() {
  static const bool supported = [] {
    int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    // PAGEMAP_SCAN is _IOWR('f', 16, struct pm_scan_arg) (96 bytes; not in Debian 12's headers).
    // A zero-sized argument is refused with EINVAL by kernels that have it; the others do not
    // know the ioctl (ENOTTY).
    struct PmScanArg {
      uint64_t fields[12];
    };
    PmScanArg arg{};
    int rc = ioctl(fd, _IOWR('f', 16, PmScanArg), &arg);
    int err = errno;
    close(fd);
    return rc == 0 || err != ENOTTY;
  }();
  return supported;
}

Error take_error(wasmtime_error_t* error) {
  wasm_name_t message;
  wasmtime_error_message(error, &message);
  wasmtime_error_delete(error);
  return Error{name_to_string(message)};
}

Error take_trap(wasm_trap_t* trap) {
  wasm_name_t message;
  wasm_trap_message(trap, &message);
  wasm_trap_delete(trap);
  std::string s = name_to_string(message);
  while (!s.empty() && s.back() == '\0') s.pop_back();  // wasm_trap_message NUL-terminates
  return Error{std::move(s)};
}

Result<std::unique_ptr<Engine>> Engine::create(const EngineOptions& options) {
  if (options.max_instances == 0) return fail("max instances must be at least 1");
  if (options.max_instance_memory < 65536)
    return fail("max instance memory must be at least one page (65536 bytes), got {}",
                options.max_instance_memory);

  wasm_config_t* config = wasm_config_new();
  wasmtime_config_epoch_interruption_set(config, true);
  wasmtime_config_memory_init_cow_set(config, true);
  wasmtime_config_parallel_compilation_set(config, true);
  wasmtime_config_cranelift_opt_level_set(config, WASMTIME_OPT_LEVEL_SPEED);

  // Cranelift's incremental cache: a function compiled once (by any app) is not compiled again.
  // JS components all embed the same engine (StarlingMonkey, ~12 MB), so a new JS app compiles
  // only the functions that differ; bench/new-to-200.sh and docs/benchmarks.md measure it.
  if (options.cache) {
    std::string dir =
        ((options.cache_dir.empty() ? default_cache_dir() : options.cache_dir) / "functions")
            .string();
    if (wasmtime_error_t* error = lepton_config_incremental_cache_set(
            config, reinterpret_cast<const uint8_t*>(dir.data()), dir.size())) {
      wasm_config_delete(config);
      return take_error(error).context("enabling the incremental compilation cache");
    }
  }

  if (options.pooling) {
    wasmtime_pooling_allocation_config_t* pool = wasmtime_pooling_allocation_config_new();
    // A request may instantiate a few core instances (adapters, components), so give the
    // instance and memory pools headroom over the concurrency cap.
    uint32_t slots = options.max_instances;
    wasmtime_pooling_allocation_config_total_core_instances_set(pool, slots * 4);
    wasmtime_pooling_allocation_config_total_memories_set(pool, slots * 4);
    wasmtime_pooling_allocation_config_total_tables_set(pool, slots * 4);
    wasmtime_pooling_allocation_config_total_stacks_set(pool, slots);
    wasmtime_pooling_allocation_config_total_component_instances_set(pool, slots);
    wasmtime_pooling_allocation_config_max_memory_size_set(pool, options.max_instance_memory);
    wasmtime_pooling_allocation_config_max_memories_per_module_set(pool, 1);
    wasmtime_pooling_allocation_config_max_tables_per_module_set(pool, 2);
    wasmtime_pooling_allocation_config_table_elements_set(pool, 100000);
    wasmtime_pooling_allocation_config_max_core_instance_size_set(pool, 4 << 20);
    // Keep the low part of each memory slot resident instead of decommitting it with madvise
    // (whose TLB shootdown hits every core) and faulting it back in on the next request.
    // With PAGEMAP_SCAN only the dirtied pages are restored, so a large region costs nothing for
    // a small guest and spares a large one (a JS engine's heap image) its copy-on-write faults.
    // Without it the region is reset with memset, so it stays at 128 KiB: the whole initial
    // memory of a small guest (wasi-libc C: data, 64 KiB stack, start of the heap), ~2 us a
    // request. bench/request_overhead_bench (pooling:1 vs :2) and bench/component_load.sh measure
    // it.
    bool pagemap = options.pagemap_scan.value_or(pagemap_scan_supported());
    wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(
        pool, pagemap ? size_t{64} << 20 : size_t{128} << 10);
    wasmtime_pooling_allocation_config_table_keep_resident_set(pool, 16 << 10);
    lepton_pooling_allocation_config_pagemap_scan_set(pool, pagemap);
    wasmtime_pooling_allocation_strategy_set(config, pool);
    wasmtime_pooling_allocation_config_delete(pool);
  }

  wasm_engine_t* raw = nullptr;
  if (wasmtime_error_t* error = lepton_engine_new(config, &raw)) {
    Error e = take_error(error);
    if (options.pooling)
      return fail(
          "cannot create the pooling allocator for {} instances of up to {} bytes of "
          "memory each: {} (lower --max-instances or --max-instance-memory, or use "
          "--disable-pooling)",
          options.max_instances, options.max_instance_memory, e.message);
    return fail("cannot create the Wasmtime engine: {}", e.message);
  }

  // Only settings that change generated code belong here; pooling does not.
  std::string fingerprint = fmt::format("wasmtime-{};x86_64;epoch;cow;speed", WASMTIME_VERSION);
  auto engine = std::unique_ptr<Engine>(new Engine(raw, options, std::move(fingerprint)));
  return engine;
}

Engine::Engine(wasm_engine_t* engine, EngineOptions options, std::string fingerprint)
    : engine_(engine),
      options_(std::move(options)),
      fingerprint_(std::move(fingerprint)),
      empty_functype_(wasm_functype_new_0_0()) {
  ticker_ = std::thread([this] { tick_loop(); });
}

Engine::~Engine() {
  stopping_ = true;
  if (ticker_.joinable()) ticker_.join();
  wasm_functype_delete(empty_functype_);
  wasm_engine_delete(engine_);
}

void Engine::tick_loop() {
  while (!stopping_.load(std::memory_order_relaxed)) {
    std::this_thread::sleep_for(options_.epoch_tick);
    wasmtime_engine_increment_epoch(engine_);
  }
}

uint64_t Engine::ticks_for(std::chrono::milliseconds timeout) const {
  auto tick = options_.epoch_tick.count() > 0 ? options_.epoch_tick.count() : 1;
  return static_cast<uint64_t>((timeout.count() + tick - 1) / tick) + 1;
}

}  // namespace lepton::engine
