// Spin 1.x HTTP executor: core modules exporting `handle-http-request` with the wit-bindgen 0.2
// canonical ABI (docs/spin1-abi.md has the layouts).
#pragma once

#include "executors/http_executor.h"

namespace lepton::executors {

class Spin1HttpExecutor final : public HttpExecutor {
 public:
  explicit Spin1HttpExecutor(const ComponentHost& component);
  Prepared prepare(const HttpCall& call) override;
  const ComponentHost& component() const override { return component_; }

  static constexpr std::string_view kExport = "handle-http-request";

  // The guest exports each request uses, located once in the module.
  struct Exports {
    engine::ExportIndex handler, realloc, memory;
  };

 private:
  const ComponentHost& component_;
  Exports exports_;
};

}  // namespace lepton::executors
