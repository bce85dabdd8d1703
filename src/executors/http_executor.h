// The seam between the HTTP trigger and the ways a component can answer a request (Spin 1 ABI,
// WAGI, and — with the component model — wasi:http). Chosen per route at startup.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "app/app.h"
#include "common/result.h"
#include "common/suspend.h"
#include "engine/store.h"
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

// The part of a request that runs guest code, once its instance exists: run() is called on a
// guest task's fiber (engine/guest_task.h), where the guest and the host functions it calls wait
// without holding a thread. `keep` owns the store and everything run() uses.
struct GuestJob {
  engine::Store* store = nullptr;
  std::function<http::Response()> run;
  std::shared_ptr<void> keep;
};

// What prepare() made of a request: a job for the guest, or an answer given without one (405,
// a component that failed to start).
struct Prepared {
  std::optional<GuestJob> job;
  http::Response response;
};

class HttpExecutor {
 public:
  virtual ~HttpExecutor() = default;
  // On the calling thread, before anything waits: the request's store and instance. Never fails
  // outward: a guest error or trap is logged and becomes a 500.
  virtual Prepared prepare(const HttpCall& call) = 0;
  // The component this executor runs (its limits give the request's deadline).
  virtual const ComponentHost& component() const = 0;
  // True when the job reads the request body as it arrives (HttpCall::request.body_stream);
  // otherwise the body is complete in request.body before prepare() is called.
  virtual bool streams_request_body() const { return false; }

  // The whole request as a guest task on `scheduler` (the calling thread must be one of its
  // threads); `respond` is called once, on the scheduler, and `call` must stay valid until then.
  void handle_async(const HttpCall& call, Scheduler& scheduler,
                    std::function<void(http::Response)> respond);
  // The same on a private loop on the calling thread, which it blocks (tests, tools).
  http::Response handle(const HttpCall& call);
};

// Picks the executor for a route as Spin does: WAGI when the trigger says so, otherwise by the
// component's exports. The error explains what the component exports instead.
Result<std::unique_ptr<HttpExecutor>> make_http_executor(const ComponentHost& component,
                                                         const app::HttpTrigger& trigger);

// The 500 every failed request gets, after logging `error` against the component.
http::Response internal_error(const ComponentHost& component, const Error& error);

}  // namespace lepton::executors
