// The HTTP trigger: routes each request to its trigger's executor (or static response), adds
// Spin's request headers, and answers the runtime's own /.well-known/spin/ endpoints.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "common/suspend.h"
#include "executors/http_executor.h"
#include "http/message.h"
#include "http/router.h"
#include "triggers/app_runtime.h"

namespace lepton::triggers {

class HttpTrigger final : public executors::LocalApp {
 public:
  static Result<std::unique_ptr<HttpTrigger>> create(const AppRuntime& runtime);

  using Respond = std::function<void(http::Response)>;
  // Thread-safe; called concurrently on the scheduler's threads. Guest code runs as tasks on
  // `scheduler`; `respond` is called once, on it; `request` must stay valid until then.
  // Admission: at most as many requests run guest code at once as the engine has instance slots
  // (one more would fail to instantiate); as many again wait, in arrival order; beyond that the
  // answer is 503 with Retry-After. Requests chained from a running one are not counted.
  void handle_async(const http::Request& request, Scheduler& scheduler, Respond respond) const;
  // The same, blocking the calling thread until the response is there (tests, tools).
  http::Response handle(const http::Request& request) const;
  // Whether the request (its header only) goes to an executor that reads the body as it arrives
  // (http::Server::Options::stream_body). Thread-safe and cheap: one route match.
  bool streams_request_body(const http::Request& request) const;

  const http::Router& router() const { return router_; }

  // From a guest's host code: suspends its task until the chained request is answered (that
  // request runs as a task of its own on the same scheduler).
  http::Response handle_chained(std::string_view component_id,
                                const http::Request& request) const override;

 private:
  HttpTrigger(const AppRuntime& runtime, http::Router router)
      : runtime_(runtime), router_(std::move(router)) {}
  http::Response well_known(const http::Request& request) const;
  // Answers `request` on `route`; with a scheduler, guest code runs as a task on it, otherwise
  // on a private loop on this thread.
  void dispatch(const http::Request& request, const http::RouteMatch& route, Scheduler* scheduler,
                Respond respond) const;
  http::Response dispatch_blocking(const http::Request& request,
                                   const http::RouteMatch& route) const;

  const AppRuntime& runtime_;
  http::Router router_;
  // Per trigger index: the executor, or null for a static response.
  std::vector<std::unique_ptr<executors::HttpExecutor>> executors_;
  // The scheduler of the requests being served (for service chaining), set by handle_async.
  mutable std::atomic<Scheduler*> scheduler_{nullptr};

  // Admission (handle_async): requests running guest code, and those waiting for a turn.
  struct Waiting {
    Scheduler* scheduler;
    std::function<void()> start;
  };
  void admit(Scheduler& scheduler, std::function<void()> start, const Respond& reject) const;
  void finished() const;
  size_t max_running_ = 0;
  mutable std::mutex admission_mu_;
  mutable size_t running_ = 0;
  mutable std::deque<Waiting> waiting_;
};

}  // namespace lepton::triggers
