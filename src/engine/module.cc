#include "engine/module.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

namespace lepton::engine {

namespace {

constexpr std::string_view kMagic = "LEPTON-CWASM-1\n";
constexpr size_t kDigestLen = 32;

std::string digest(std::span<const uint8_t> bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), out, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string to_hex(std::string_view raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 15]);
  }
  return hex;
}

Result<Module> compile(Engine& engine, std::span<const uint8_t> wasm, std::string_view what) {
  wasmtime_module_t* module = nullptr;
  if (wasmtime_error_t* error =
          wasmtime_module_new(engine.raw(), wasm.data(), wasm.size(), &module))
    return take_error(error).context(fmt::format("compiling {}", what));
  return Module(module);
}

// Returns the module from a cache file, or nothing when the file is absent, corrupt or was
// written for another engine (the caller then recompiles and overwrites it).
std::optional<Module> read_cached(Engine& engine, const std::filesystem::path& file,
                                  bool& existed) {
  auto bytes = read_file(file);
  existed = bytes.ok();
  if (!bytes.ok()) return std::nullopt;
  std::string_view data = *bytes;
  if (data.size() < kMagic.size() + kDigestLen || data.substr(0, kMagic.size()) != kMagic) {
    spdlog::warn("module cache: {} has no valid header; rebuilding it", file.string());
    return std::nullopt;
  }
  std::string_view stored = data.substr(kMagic.size(), kDigestLen);
  std::string_view payload = data.substr(kMagic.size() + kDigestLen);
  auto payload_bytes = std::span(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
  if (digest(payload_bytes) != stored) {
    spdlog::warn("module cache: {} fails its checksum; rebuilding it", file.string());
    return std::nullopt;
  }
  wasmtime_module_t* module = nullptr;
  if (wasmtime_error_t* error = wasmtime_module_deserialize(engine.raw(), payload_bytes.data(),
                                                            payload_bytes.size(), &module)) {
    spdlog::warn("module cache: {} was not accepted ({}); rebuilding it", file.string(),
                 take_error(error).message);
    return std::nullopt;
  }
  return Module(module);
}

void write_cached(const Module& module, const std::filesystem::path& file) {
  wasm_byte_vec_t serialized;
  if (wasmtime_error_t* error = wasmtime_module_serialize(module.get(), &serialized)) {
    spdlog::warn("module cache: cannot serialize: {}", take_error(error).message);
    return;
  }
  auto payload = std::span(reinterpret_cast<const uint8_t*>(serialized.data), serialized.size);
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  // Write beside the target and rename, so a crash never leaves a half-written cache file.
  auto tmp = file;
  tmp += fmt::format(".tmp{}", ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(kMagic.data(), static_cast<std::streamsize>(kMagic.size()));
    std::string sum = digest(payload);
    out.write(sum.data(), static_cast<std::streamsize>(sum.size()));
    out.write(reinterpret_cast<const char*>(payload.data()),
              static_cast<std::streamsize>(payload.size()));
    if (!out) {
      spdlog::warn("module cache: cannot write {}", tmp.string());
      wasm_byte_vec_delete(&serialized);
      std::filesystem::remove(tmp, ec);
      return;
    }
  }
  wasm_byte_vec_delete(&serialized);
  std::filesystem::rename(tmp, file, ec);
  if (ec) spdlog::warn("module cache: cannot rename into {}: {}", file.string(), ec.message());
}

}  // namespace

std::filesystem::path default_cache_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0')
    return std::filesystem::path(xdg) / "lepton" / "modules";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
    return std::filesystem::path(home) / ".cache" / "lepton" / "modules";
  return std::filesystem::temp_directory_path() / "lepton-modules";
}

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read {}: {}", path.string(), std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return fail("error reading {}", path.string());
  return ss.str();
}

std::string sha256_hex(std::span<const uint8_t> bytes) { return to_hex(digest(bytes)); }

Result<LoadedModule> load_module(Engine& engine, std::span<const uint8_t> wasm,
                                 std::string_view what) {
  LoadedModule loaded;
  loaded.sha256 = sha256_hex(wasm);
  if (!engine.options().cache) {
    LEPTON_TRY(loaded.module, compile(engine, wasm, what));
    return loaded;
  }
  auto dir = engine.options().cache_dir.empty() ? default_cache_dir() : engine.options().cache_dir;
  std::string key_material = loaded.sha256 + "|" + engine.fingerprint();
  auto key = sha256_hex(
      std::span(reinterpret_cast<const uint8_t*>(key_material.data()), key_material.size()));
  auto file = dir / (key + ".cwasm");
  bool existed = false;
  if (auto cached = read_cached(engine, file, existed)) {
    loaded.module = std::move(*cached);
    loaded.origin = ModuleOrigin::CacheHit;
    return loaded;
  }
  LEPTON_TRY(loaded.module, compile(engine, wasm, what));
  loaded.origin = existed ? ModuleOrigin::CacheRebuilt : ModuleOrigin::Compiled;
  write_cached(loaded.module, file);
  return loaded;
}

Result<LoadedModule> load_module_file(Engine& engine, const std::filesystem::path& path,
                                      std::string_view what) {
  LEPTON_TRY(auto bytes, read_file(path));
  return load_module(engine,
                     std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), what);
}

}  // namespace lepton::engine
