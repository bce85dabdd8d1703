// The seam between the HTTP trigger and the ways a component can answer a request (Spin 1 ABI,
// WAGI, and — with the component model — wasi:http). Chosen per route at startup.
#pragma once

#include <memory>
#include <vector>

#include "app/app.h"
#include "common/result.h"
#include "executors/component_host.h"
#include "http/message.h"
#include "http/router.h"

namespace lepton::executors {

// The app a request runs in, for service chaining (http://<component>.spin.internal/...): a
// request to another component of the same app, handled in memory without a socket.
class LocalApp {
 public:
  virtual ~LocalApp() = default;
  // Routes `request` to `component_id` as Spin does (private triggers included); 404 when no
  // trigger names it.
  virtual http::Response handle_chained(std::string_view component_id,
                                        const http::Request& request) const = 0;
};

// One incoming request, routed.
struct HttpCall {
  const http::Request& request;
  const http::RouteMatch& route;
  const std::vector<http::Header>& spin_headers;  // spin-* headers, computed by the trigger
  const LocalApp* app = nullptr;                  // null: no service chaining
};

class HttpExecutor {
 public:
  virtual ~HttpExecutor() = default;
  // Never fails outward: a guest error or trap is logged and becomes a 500.
  virtual http::Response handle(const HttpCall& call) = 0;
  // True when handle() reads the request body as it arrives (HttpCall::request.body_stream);
  // otherwise the body is complete in request.body before handle() is called.
  virtual bool streams_request_body() const { return false; }
};

// Picks the executor for a route as Spin does: WAGI when the trigger says so, otherwise by the
// component's exports. The error explains what the component exports instead.
Result<std::unique_ptr<HttpExecutor>> make_http_executor(const ComponentHost& component,
                                                         const app::HttpTrigger& trigger);

// The 500 every failed request gets, after logging `error` against the component.
http::Response internal_error(const ComponentHost& component, const Error& error);

}  // namespace lepton::executors
