// Spin 1 `spin-config` interface: get-config(key) -> expected<string, error>, answered from the
// component's [component.x.variables] (rendered from app variables by the VariableResolver).
#include <array>

#include "engine/store.h"
#include "factors/host_context.h"
#include "factors/registry.h"
#include "factors/spin1_abi.h"

namespace lepton::factors {

namespace {

// variant error { provider(string), invalid-key(string), invalid-schema(string), other(string) }
enum class ConfigError : uint8_t { Provider = 0, InvalidKey = 1, InvalidSchema = 2, Other = 3 };

// Writes expected<string, error> at ret (16 bytes: tag@0, ok string @4/@8, err tag@4 msg @8/@12).
Status write_result(engine::GuestAllocator& alloc, uint32_t ret, bool ok, ConfigError kind,
                    std::string_view text) {
  LEPTON_TRY(uint32_t ptr, alloc.copy_in(text));
  auto memory = alloc.memory();
  const auto len = static_cast<uint32_t>(text.size());
  bool stored =
      ok ? memory.store(ret, uint8_t{0}) && memory.store(ret + 4, ptr) && memory.store(ret + 8, len)
         : memory.store(ret, uint8_t{1}) && memory.store(ret + 4, uint8_t(kind)) &&
               memory.store(ret + 8, ptr) && memory.store(ret + 12, len);
  if (!stored) return fail("return area {:#x} is outside guest memory", ret);
  return {};
}

wasm_trap_t* get_config(void*, wasmtime_caller_t* caller, wasmtime_val_raw_t* args, size_t) {
  constexpr std::string_view kInterface = "spin-config::get-config";
  const auto key_ptr = static_cast<uint32_t>(args[0].i32);
  const auto key_len = static_cast<uint32_t>(args[1].i32);
  const auto ret = static_cast<uint32_t>(args[2].i32);
  auto alloc = spin1::caller_allocator(caller);
  if (!alloc) return spin1::trap(kInterface, alloc.error());
  auto key_view = alloc->memory().string(key_ptr, key_len);
  if (!key_view) return spin1::trap(kInterface, fail("key is outside guest memory"));
  std::string key(*key_view);

  const HostContext* host = engine::StoreData::of(caller).get<HostContext>();
  Status written;
  if (host == nullptr || host->variables == nullptr) {
    written = write_result(*alloc, ret, false, ConfigError::Other, "variables are not available");
  } else {
    auto found = host->variables->lookup(std::string(host->component_id), key);
    if (auto* value = std::get_if<std::string>(&found)) {
      written = write_result(*alloc, ret, true, ConfigError::Other, *value);
    } else {
      const auto& error = std::get<app::VariableError>(found);
      ConfigError kind = error.kind == app::VariableError::Kind::kInvalidName
                             ? ConfigError::InvalidKey
                         : error.kind == app::VariableError::Kind::kProvider ? ConfigError::Provider
                                                                             : ConfigError::Other;
      written = write_result(*alloc, ret, false, kind, error.message);
    }
  }
  if (!written) return spin1::trap(kInterface, written.error());
  return nullptr;
}

}  // namespace

Status define_spin1_config(wasmtime_linker_t* linker) {
  return engine::define_raw_func(linker, "spin-config", "get-config",
                                 {WASM_I32, WASM_I32, WASM_I32}, {}, get_config);
}

}  // namespace lepton::factors
