// Runs real guests through Wasmtime with lepton's preview1 host, for the wasi tests.
#pragma once

#include <gtest/gtest.h>
#include <wasmtime.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/module.h"
#include "engine/store.h"
#include "wasi/preview1.h"

namespace lepton::wasi::testing {

inline engine::Engine& test_engine(bool pooling = false) {
  static std::unique_ptr<engine::Engine> engines[2];
  auto& slot = engines[pooling ? 1 : 0];
  if (!slot) {
    engine::EngineOptions options;
    options.pooling = pooling;
    options.max_instances = 4;
    options.max_instance_memory = 64ull << 20;
    options.cache = false;
    auto created = engine::Engine::create(options);
    if (!created) {
      ADD_FAILURE() << created.error().message;
      std::abort();
    }
    slot = std::move(*created);
  }
  return *slot;
}

inline std::filesystem::path guest_path(const std::string& name) {
  return std::filesystem::path(LEPTON_GUEST_DIR) / (name + ".wasm");
}

// Compiled guests, per engine and name.
inline wasmtime_module_t* guest_module(engine::Engine& eng, const std::string& name) {
  static std::map<std::pair<engine::Engine*, std::string>, engine::Module> modules;
  auto key = std::make_pair(&eng, name);
  auto it = modules.find(key);
  if (it == modules.end()) {
    auto loaded = engine::load_module_file(eng, guest_path(name), name);
    if (!loaded) {
      ADD_FAILURE() << loaded.error().message;
      return nullptr;
    }
    it = modules.emplace(key, std::move(loaded->module)).first;
  }
  return it->second.get();
}

struct Linker {
  explicit Linker(engine::Engine& eng) : raw(wasmtime_linker_new(eng.raw())) {
    auto status = define_preview1(raw);
    EXPECT_TRUE(status.ok()) << (status.ok() ? "" : status.error().message);
  }
  ~Linker() { wasmtime_linker_delete(raw); }
  wasmtime_linker_t* raw;
};

struct RunResult {
  std::string out, err;
  std::optional<int> exit_code;     // from proc_exit
  std::optional<std::string> trap;  // any trap or error, including proc_exit's
};

// Instantiates `module` with a fresh store and WASI context and calls `_start`.
inline RunResult run_module(engine::Engine& eng, wasmtime_module_t* module, Preview1Config config,
                            std::optional<engine::StoreLimits> limits = std::nullopt) {
  RunResult result;
  if (module == nullptr) {
    result.trap = "no module";
    return result;
  }
  config.stdout_sink = [&](std::string_view s) { result.out.append(s); };
  config.stderr_sink = [&](std::string_view s) { result.err.append(s); };
  auto ctx = make_preview1(std::move(config));
  Linker linker(eng);
  engine::Store store(eng, limits.value_or(engine::StoreLimits{}));
  attach(*ctx, store.context());
  wasmtime_instance_t instance;
  wasm_trap_t* trap = nullptr;
  wasmtime_error_t* error =
      wasmtime_linker_instantiate(linker.raw, store.context(), module, &instance, &trap);
  if (error != nullptr) {
    result.trap = engine::take_error(error).message;
    return result;
  }
  if (trap != nullptr) {
    result.trap = engine::take_trap(trap).message;
    return result;
  }
  auto start = engine::export_func(store.context(), instance, "_start");
  if (!start) {
    result.trap = start.error().message;
    return result;
  }
  error = wasmtime_func_call(store.context(), &*start, nullptr, 0, nullptr, 0, &trap);
  if (error != nullptr) result.trap = engine::take_error(error).message;
  if (trap != nullptr) result.trap = engine::take_trap(trap).message;
  result.exit_code = exit_code(*ctx);
  return result;
}

inline RunResult run_guest(const std::string& name, Preview1Config config, bool pooling = false) {
  engine::Engine& eng = test_engine(pooling);
  return run_module(eng, guest_module(eng, name), std::move(config));
}

// A scratch directory of host files, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "lepton-wasi-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& content) const {
    auto p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

 private:
  std::filesystem::path path_;
};

inline std::shared_ptr<const FileTree> tree(const std::vector<app::FileMount>& mounts) {
  auto built = FileTree::build(mounts);
  EXPECT_TRUE(built.ok()) << (built.ok() ? "" : built.error().message);
  return built.ok() ? *built : nullptr;
}

}  // namespace lepton::wasi::testing
