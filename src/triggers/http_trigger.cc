#include "triggers/http_trigger.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "http/spin_headers.h"

namespace lepton::triggers {

Result<std::unique_ptr<HttpTrigger>> HttpTrigger::create(const AppRuntime& runtime) {
  const app::App& app = runtime.app();
  LEPTON_TRY(auto router, http::Router::build(app.http_triggers, app.http_base));
  for (const auto& line : router.duplicate_warnings()) spdlog::error("{}", line);
  if (router.contains_reserved_route())
    spdlog::warn("routes under {} are reserved for the runtime and can't be reached",
                 http::kWellKnownPrefix);
  auto trigger = std::unique_ptr<HttpTrigger>(new HttpTrigger(runtime, std::move(router)));
  trigger->max_running_ = runtime.engine().options().max_instances;
  for (const auto& t : app.http_triggers) {
    if (t.static_response) {
      trigger->executors_.push_back(nullptr);
      continue;
    }
    const executors::ComponentHost* component = runtime.component(t.component);
    if (component == nullptr)
      return fail("route '{}' names unknown component '{}'", t.route, t.component);
    LEPTON_TRY(auto executor, executors::make_http_executor(*component, t));
    trigger->executors_.push_back(std::move(executor));
  }
  return trigger;
}

http::Response HttpTrigger::well_known(const http::Request& request) const {
  std::string_view rest = std::string_view(request.path).substr(http::kWellKnownPrefix.size());
  if (rest == "health") return {200, {{"content-type", "text/plain"}}, "OK"};
  if (rest == "info") {
    const app::App& app = runtime_.app();
    nlohmann::json info = {{"name", app.name},
                           {"version", app.version},
                           {"runtime", "lepton"},
                           {"runtime_version", LEPTON_VERSION}};
    return {200, {{"content-type", "application/json"}}, info.dump()};
  }
  return {404, {}, {}};
}

void HttpTrigger::handle_async(const http::Request& request, Scheduler& scheduler,
                               Respond respond) const {
  scheduler_.store(&scheduler, std::memory_order_relaxed);
  if (request.path.starts_with(http::kWellKnownPrefix)) return respond(well_known(request));
  auto match = router_.match(request.path);
  if (!match) return respond({404, {}, {}});
  if (!executors_[match->trigger_index]) return dispatch(request, *match, nullptr, respond);
  auto shared_respond = std::make_shared<Respond>(std::move(respond));
  admit(
      scheduler,
      [this, &request, route = *match, &scheduler, shared_respond] {
        dispatch(request, route, &scheduler, [this, shared_respond](http::Response r) {
          finished();
          (*shared_respond)(std::move(r));
        });
      },
      [shared_respond](http::Response r) { (*shared_respond)(std::move(r)); });
}

void HttpTrigger::admit(Scheduler& scheduler, std::function<void()> start,
                        const Respond& reject) const {
  {
    std::lock_guard lock(admission_mu_);
    if (running_ < max_running_) {
      ++running_;
    } else if (waiting_.size() < max_running_) {
      waiting_.push_back({&scheduler, std::move(start)});
      return;
    } else {
      start = nullptr;
    }
  }
  if (start) return start();
  spdlog::warn("{} requests running and {} waiting: answering 503", max_running_, max_running_);
  reject({503, {{"retry-after", "1"}}, {}});
}

void HttpTrigger::finished() const {
  Waiting next;
  {
    std::lock_guard lock(admission_mu_);
    if (waiting_.empty()) {
      --running_;
      return;
    }
    next = std::move(waiting_.front());
    waiting_.pop_front();
  }
  // The slot passes to the oldest waiting request, on its own connection's loop.
  next.scheduler->post(std::move(next.start));
}

http::Response HttpTrigger::handle(const http::Request& request) const {
  if (request.path.starts_with(http::kWellKnownPrefix)) return well_known(request);
  auto match = router_.match(request.path);
  if (!match) return {404, {}, {}};
  return dispatch_blocking(request, *match);
}

http::Response HttpTrigger::dispatch_blocking(const http::Request& request,
                                              const http::RouteMatch& route) const {
  http::Response out;
  dispatch(request, route, nullptr, [&out](http::Response r) { out = std::move(r); });
  return out;
}

bool HttpTrigger::streams_request_body(const http::Request& request) const {
  if (request.path.starts_with(http::kWellKnownPrefix)) return false;
  auto match = router_.match(request.path);
  if (!match) return false;
  const auto& executor = executors_[match->trigger_index];
  return executor && executor->streams_request_body();
}

http::Response HttpTrigger::handle_chained(std::string_view component_id,
                                           const http::Request& request) const {
  auto match = router_.chain(component_id, request.path);
  if (!match) return {404, {}, {}};
  Scheduler* scheduler = scheduler_.load(std::memory_order_relaxed);
  if (Suspendable::current() == nullptr || scheduler == nullptr) {
    // Not under the server (a blocking handle()): the chained request runs on a private loop,
    // on a worker thread when the caller is itself a task, so that tasks never nest.
    return off_loop([&] { return dispatch_blocking(request, *match); });
  }
  // The chained request starts from the loop, not from inside this guest's host call; this task
  // waits for its answer without holding the thread.
  Completion<http::Response> answer;
  scheduler->post([this, request = std::make_shared<http::Request>(request), route = *match,
                   scheduler, done = answer.callback()] {
    dispatch(*request, route, scheduler, [request, done](http::Response r) { done(std::move(r)); });
  });
  auto response = answer.wait("service chaining");
  if (!response) return {500, {}, {}};
  return std::move(*response);
}

void HttpTrigger::dispatch(const http::Request& request, const http::RouteMatch& route,
                           Scheduler* scheduler, Respond respond) const {
  const app::HttpTrigger& trigger = runtime_.app().http_triggers[route.trigger_index];
  if (trigger.static_response) {
    const auto& s = *trigger.static_response;
    http::Response response{s.status_code, {}, s.body};
    for (const auto& [k, v] : s.headers) response.headers.push_back({k, v});
    return respond(std::move(response));
  }
  // What the executor's call refers to lives until the response is given.
  struct Call {
    http::Request whole;  // the request with its body read, when the executor needs it whole
    http::RouteMatch match;
    std::vector<http::Header> spin_headers;
  };
  auto call = std::make_shared<Call>();
  call->match = route;
  http::SpinRequestFacts facts;
  facts.scheme = request.scheme;
  if (auto host = request.header("host")) facts.host = *host;
  facts.path_and_query = request.target;
  facts.client_addr = request.client_addr;
  http::append_spin_headers(call->match, facts, call->spin_headers);
  executors::HttpExecutor& executor = *executors_[route.trigger_index];
  const http::Request* req = &request;
  if (request.body_stream && !executor.streams_request_body()) {
    // Only if the server was told otherwise than streams_request_body() says: buffer it here.
    call->whole = request;
    call->whole.body_stream = nullptr;
    std::string error;
    if (!http::read_whole(*request.body_stream, call->whole.body, 64 * 1024 * 1024, error)) {
      spdlog::warn("{} {}: {}", request.method, request.target, error);
      return respond({413, {}, {}});
    }
    call->whole.trailers = request.body_stream->trailers();
    req = &call->whole;
  }
  auto exec_call = std::make_shared<executors::HttpCall>(
      executors::HttpCall{*req, call->match, call->spin_headers, this});
  if (scheduler == nullptr) return respond(executor.handle(*exec_call));
  executor.handle_async(
      *exec_call, *scheduler,
      [call, exec_call, respond = std::move(respond)](http::Response r) { respond(std::move(r)); });
}

}  // namespace lepton::triggers
