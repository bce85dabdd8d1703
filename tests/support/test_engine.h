// The engine the in-process component tests share: a few small pooled slots and the module cache
// in the temp directory (content-addressed and checksummed, so sharing it between runs and test
// binaries only saves compile time). Header-only: any test folder can use it without linking.
#pragma once

#include <gtest/gtest.h>
#include <wasmtime.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "engine/engine.h"

namespace lepton::testing {

inline Result<std::unique_ptr<engine::Engine>> make_test_engine() {
  engine::EngineOptions options;
  options.max_instances = 8;
  options.max_instance_memory = 64 << 20;
  options.cache_dir = std::filesystem::temp_directory_path() / "lepton-test-module-cache";
  return engine::Engine::create(options);
}

// The binary of a module written in the text format (the test fails on a syntax error).
inline std::string wat2wasm(std::string_view wat) {
  wasm_byte_vec_t out;
  wasmtime_error_t* error = wasmtime_wat2wasm(wat.data(), wat.size(), &out);
  EXPECT_EQ(error, nullptr);
  if (error != nullptr) return {};
  std::string bytes(out.data, out.size);
  wasm_byte_vec_delete(&out);
  return bytes;
}

}  // namespace lepton::testing
