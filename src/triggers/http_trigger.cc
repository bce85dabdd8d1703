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

http::Response HttpTrigger::handle(const http::Request& request) const {
  if (request.path.starts_with(http::kWellKnownPrefix)) return well_known(request);
  auto match = router_.match(request.path);
  if (!match) return {404, {}, {}};
  return dispatch(request, *match);
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
  return dispatch(request, *match);
}

http::Response HttpTrigger::dispatch(const http::Request& request,
                                     const http::RouteMatch& route) const {
  const http::RouteMatch* match = &route;
  const app::HttpTrigger& trigger = runtime_.app().http_triggers[match->trigger_index];
  if (trigger.static_response) {
    const auto& s = *trigger.static_response;
    http::Response response{s.status_code, {}, s.body};
    for (const auto& [k, v] : s.headers) response.headers.push_back({k, v});
    return response;
  }
  http::SpinRequestFacts facts;
  facts.scheme = request.scheme;
  if (auto host = request.header("host")) facts.host = *host;
  facts.path_and_query = request.target;
  facts.client_addr = request.client_addr;
  std::vector<http::Header> spin_headers;
  http::append_spin_headers(*match, facts, spin_headers);
  executors::HttpExecutor& executor = *executors_[match->trigger_index];
  if (request.body_stream && !executor.streams_request_body()) {
    // Only if the server was told otherwise than streams_request_body() says: buffer it here.
    http::Request whole = request;
    whole.body_stream = nullptr;
    std::string error;
    if (!http::read_whole(*request.body_stream, whole.body, 64 * 1024 * 1024, error)) {
      spdlog::warn("{} {}: {}", request.method, request.target, error);
      return {413, {}, {}};
    }
    whole.trailers = request.body_stream->trailers();
    return executor.handle({whole, *match, spin_headers, this});
  }
  return executor.handle({request, *match, spin_headers, this});
}

}  // namespace lepton::triggers
