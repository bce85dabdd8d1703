// Redis trigger executor: runs one Redis message in a fresh instance of a component. Components
// export `fermyon:spin/inbound-redis` (unversioned, as Spin 2/3 SDKs do, or @2.0.0)
// `handle-message: func(message: list<u8>) -> result<_, error>`; Spin 1 core modules export
// `handle-redis-message` (wit-bindgen 0.2 ABI: (ptr, len) -> pointer to expected<unit, error>).
#pragma once

#include <memory>
#include <string_view>

#include "common/result.h"
#include "component/linker.h"
#include "engine/store.h"
#include "executors/component_host.h"

namespace lepton::executors {

class RedisExecutor {
 public:
  // The error explains what the component exports instead.
  static Result<std::unique_ptr<RedisExecutor>> create(const ComponentHost& component);

  // Thread-safe. An error names the component and says what failed (the guest's error result,
  // a trap, a timeout, proc_exit).
  Status handle(std::string_view payload) const;

  const ComponentHost& component() const { return component_; }

  static constexpr std::string_view kInterface = "fermyon:spin/inbound-redis";
  static constexpr std::string_view kSpin1Export = "handle-redis-message";

 private:
  RedisExecutor(const ComponentHost& component, const component::LiftedFunction* handle);
  Status handle_component(std::string_view payload) const;
  Status handle_spin1(std::string_view payload) const;

  const ComponentHost& component_;
  const component::LiftedFunction* handle_;  // null: a Spin 1 core module
  engine::ExportIndex spin1_handler_, spin1_realloc_, spin1_memory_;
};

}  // namespace lepton::executors
