// The one Wasmtime engine of a lepton process: configuration (pooling allocator, copy-on-write
// memory images, epoch interruption) plus the epoch ticker thread that makes request timeouts work.
#pragma once

#include <wasmtime.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "common/result.h"

namespace lepton::engine {

struct EngineOptions {
  bool pooling = true;                        // --disable-pooling turns it off
  uint32_t max_instances = 1000;              // pooling slots = concurrency cap (Spin's default)
  uint64_t max_instance_memory = 4ull << 30;  // bytes per linear memory (Spin's default, 4 GiB)
  std::chrono::milliseconds epoch_tick{10};   // Spin ticks every 10 ms
  // Reset a pooled memory slot by restoring only its resident pages (PAGEMAP_SCAN) instead of
  // memset over the whole keep-resident region; falls back by itself on kernels before 6.7.
  // Off: measured no faster for small guests here (the ioctl's page walk costs what the memset
  // saves; bench mode pooling:2).
  bool pagemap_scan = false;
  bool cache = true;                // precompiled-module cache on disk
  std::filesystem::path cache_dir;  // empty = $XDG_CACHE_HOME/lepton/modules
};

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

 private:
  Engine(wasm_engine_t* engine, EngineOptions options, std::string fingerprint);
  void tick_loop();

  wasm_engine_t* engine_;
  EngineOptions options_;
  std::string fingerprint_;
  std::atomic<bool> stopping_{false};
  std::thread ticker_;
};

// Turns a Wasmtime error or trap into lepton's Error (and frees it).
Error take_error(wasmtime_error_t* error);
Error take_trap(wasm_trap_t* trap);

}  // namespace lepton::engine
