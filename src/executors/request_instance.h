// One request's sandbox: a fresh store, the WASI and host-interface state registered in it,
// and a fresh instance of the component. Destroyed when the request is done.
#pragma once

#include <memory>

#include "engine/store.h"
#include "executors/component_host.h"
#include "factors/host_context.h"
#include "wasi/preview1.h"

namespace lepton::executors {

class RequestInstance {
 public:
  // `self_origin` is "scheme://host" of the incoming request (for relative outbound URLs).
  static Result<std::unique_ptr<RequestInstance>> create(const ComponentHost& component,
                                                         wasi::Preview1Config wasi,
                                                         std::string self_origin);

  wasmtime_context_t* context() const { return store_.context(); }
  engine::Store& store() { return store_; }
  const wasmtime_instance_t& instance() const { return instance_; }
  const wasi::Preview1Ctx& wasi() const { return *wasi_; }

  // Turns a failed guest call into a message for the log: timeouts and proc_exit are named.
  std::string describe_failure(const Error& error) const;

 private:
  RequestInstance(const ComponentHost& component, wasi::Preview1Config wasi);

  const ComponentHost& component_;
  std::unique_ptr<wasi::Preview1Ctx, void (*)(wasi::Preview1Ctx*)> wasi_;
  factors::HostContext host_;
  engine::Store store_;
  wasmtime_instance_t instance_{};
};

// Preview 1 settings every executor starts from: environment, files and log sinks of the
// component.
wasi::Preview1Config base_wasi_config(const ComponentHost& component);

}  // namespace lepton::executors
