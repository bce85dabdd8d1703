// wasi:http executor: components exporting wasi:http/incoming-handler (any 0.2.x version, and the
// 2023 release candidates). Each request instantiates the component's linked template into a
// fresh store, passes an incoming-request (with Spin's spin-* headers) and a response-outparam
// to `handle`, and answers with what the guest set.
#pragma once

#include "component/instance.h"
#include "component/linker.h"
#include "executors/http_executor.h"

namespace lepton::executors {

class WasiHttpExecutor final : public HttpExecutor {
 public:
  WasiHttpExecutor(const ComponentHost& component, const component::LiftedFunction& handle)
      : component_(component), handle_(handle) {}
  Prepared prepare(const HttpCall& call) override;
  const ComponentHost& component() const override { return component_; }
  bool streams_request_body() const override { return true; }

  static constexpr std::string_view kInterface = "wasi:http/incoming-handler";

 private:
  http::Response run(const HttpCall& call, component::ComponentInstance& instance) const;

  const ComponentHost& component_;
  const component::LiftedFunction& handle_;
};

}  // namespace lepton::executors
