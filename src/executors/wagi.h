// WAGI executor: runs a WASI command per request CGI-style — request in the environment and on
// stdin, response parsed from stdout (executors/wagi_cgi.h has the rules).
#pragma once

#include "executors/http_executor.h"

namespace lepton::executors {

class WagiExecutor final : public HttpExecutor {
 public:
  WagiExecutor(const ComponentHost& component, app::WagiExecutor config)
      : component_(component), config_(std::move(config)) {}
  http::Response handle(const HttpCall& call) override;

 private:
  const ComponentHost& component_;
  app::WagiExecutor config_;
};

}  // namespace lepton::executors
