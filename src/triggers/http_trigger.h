// The HTTP trigger: routes each request to its trigger's executor (or static response), adds
// Spin's request headers, and answers the runtime's own /.well-known/spin/ endpoints.
#pragma once

#include <memory>
#include <vector>

#include "executors/http_executor.h"
#include "http/message.h"
#include "http/router.h"
#include "triggers/app_runtime.h"

namespace lepton::triggers {

class HttpTrigger final : public executors::LocalApp {
 public:
  static Result<std::unique_ptr<HttpTrigger>> create(const AppRuntime& runtime);

  // Thread-safe; called concurrently by the server's handler pool.
  http::Response handle(const http::Request& request) const;
  // Whether the request (its header only) goes to an executor that reads the body as it arrives
  // (http::Server::Options::stream_body). Thread-safe and cheap: one route match.
  bool streams_request_body(const http::Request& request) const;

  const http::Router& router() const { return router_; }

  http::Response handle_chained(std::string_view component_id,
                                const http::Request& request) const override;

 private:
  HttpTrigger(const AppRuntime& runtime, http::Router router)
      : runtime_(runtime), router_(std::move(router)) {}
  http::Response well_known(const http::Request& request) const;
  http::Response dispatch(const http::Request& request, const http::RouteMatch& match) const;

  const AppRuntime& runtime_;
  http::Router router_;
  // Per trigger index: the executor, or null for a static response.
  std::vector<std::unique_ptr<executors::HttpExecutor>> executors_;
};

}  // namespace lepton::triggers
