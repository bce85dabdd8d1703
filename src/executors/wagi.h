// WAGI executor: runs a WASI command per request CGI-style — request in the environment and on
// stdin, response parsed from stdout (executors/wagi_cgi.h has the rules).
#pragma once

#include "executors/http_executor.h"
#include "executors/request_instance.h"

namespace lepton::executors {

struct WagiOutput;  // wagi.cc: the guest's stdout, streamed once it is large

class WagiExecutor final : public HttpExecutor {
 public:
  WagiExecutor(const ComponentHost& component, app::WagiExecutor config)
      : component_(component), config_(std::move(config)) {}
  Prepared prepare(const HttpCall& call) override;
  const ComponentHost& component() const override { return component_; }

 private:
  http::Response run(const http::Request& req, RequestInstance& ri, WagiOutput& output) const;

  const ComponentHost& component_;
  app::WagiExecutor config_;
};

}  // namespace lepton::executors
