// Compiled core modules and the on-disk cache of precompiled ones.
#pragma once

#include <wasmtime.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "common/result.h"
#include "engine/engine.h"

namespace lepton::engine {

struct ModuleDeleter {
  void operator()(wasmtime_module_t* m) const { wasmtime_module_delete(m); }
};
using Module = std::unique_ptr<wasmtime_module_t, ModuleDeleter>;

// How a module was obtained, for logs and tests.
enum class ModuleOrigin { Compiled, CacheHit, CacheRebuilt };

struct LoadedModule {
  Module module;
  ModuleOrigin origin = ModuleOrigin::Compiled;
  std::string sha256;  // of the wasm bytes
};

// Compiles the wasm binary `wasm` for `engine`, going through the precompiled cache
// when the engine has one: the key is sha256(wasm) + engine fingerprint. Cache files carry a
// checksum of their payload; a corrupt or incompatible file is rebuilt, never loaded blindly.
// `what` names the source in errors ("component 'hello' (/app/hello.wasm)").
Result<LoadedModule> load_module(Engine& engine, std::span<const uint8_t> wasm,
                                 std::string_view what);
Result<LoadedModule> load_module_file(Engine& engine, const std::filesystem::path& path,
                                      std::string_view what);

// Reads a whole file; the error names the path.
Result<std::string> read_file(const std::filesystem::path& path);

std::string sha256_hex(std::span<const uint8_t> bytes);

}  // namespace lepton::engine
