// The one Wasmtime engine of a lepton process: configuration (pooling allocator, copy-on-write
// memory images, epoch interruption) plus the epoch ticker thread that makes request timeouts work.
#pragma once

#include <wasmtime.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "common/result.h"

namespace lepton::engine {

struct EngineOptions {
  bool pooling = true;                        // --disable-pooling turns it off
  uint32_t max_instances = 1000;              // pooling slots = concurrency cap (Spin's default)
  uint64_t max_instance_memory = 4ull << 30;  // bytes per linear memory (Spin's default, 4 GiB)
  std::chrono::milliseconds epoch_tick{10};   // Spin ticks every 10 ms
  // How a pooled memory slot is reset between requests. On: the low 64 MiB stay resident and
  // only the pages the last request dirtied are restored (PAGEMAP_SCAN, Linux >= 6.7), so a big
  // guest (a JS engine's heap image) takes no copy-on-write faults, madvise or TLB shootdowns per
  // request: 2.0-2.3x the requests/s of the JS hello component, same peak RSS, neutral for the C
  // one (docs/benchmarks.md). Off: the low 128 KiB stay resident and are reset with memset, the
  // rest is decommitted with madvise. Unset: on when the kernel supports it (Wasmtime's own
  // fallback would memset the whole 64 MiB region on older kernels).
  std::optional<bool> pagemap_scan;
  bool cache = true;                // precompiled-module cache on disk
  std::filesystem::path cache_dir;  // empty = $XDG_CACHE_HOME/lepton/modules
};

// $XDG_CACHE_HOME/lepton/modules (else ~/.cache/lepton/modules): compiled modules, and under
// functions/ Cranelift's per-function incremental cache.
std::filesystem::path default_cache_dir();

// Whether this kernel has the PAGEMAP_SCAN ioctl (Linux >= 6.7).
bool pagemap_scan_supported();

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> create(const EngineOptions& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  wasm_engine_t* raw() const { return engine_; }
  const EngineOptions& options() const { return options_; }
  // Everything that makes a compiled module valid for this engine: Wasmtime version and the
  // configuration that changes generated code. Part of the module cache key.
  const std::string& fingerprint() const { return fingerprint_; }
  // Converts a wall-clock timeout into epoch ticks for wasmtime_context_set_epoch_deadline.
  uint64_t ticks_for(std::chrono::milliseconds timeout) const;
  // The type [] -> [] (Wasmtime ties a function type to the first engine it is used with, so
  // each engine has its own).
  const wasm_functype_t* empty_functype() const { return empty_functype_; }

 private:
  Engine(wasm_engine_t* engine, EngineOptions options, std::string fingerprint);
  void tick_loop();

  wasm_engine_t* engine_;
  EngineOptions options_;
  std::string fingerprint_;
  wasm_functype_t* empty_functype_;
  std::atomic<bool> stopping_{false};
  std::thread ticker_;
};

// Turns a Wasmtime error or trap into lepton's Error (and frees it).
Error take_error(wasmtime_error_t* error);
Error take_trap(wasm_trap_t* trap);

}  // namespace lepton::engine
