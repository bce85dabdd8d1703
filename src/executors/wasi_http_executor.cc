#include "executors/wasi_http_executor.h"

#include <fmt/format.h>

#include "component/instance.h"
#include "engine/guest_call.h"
#include "factors/spin_component.h"
#include "wasi2/wasi2.h"
#include "wasi_http/wasi_http.h"

namespace lepton::executors {

namespace {

std::string describe(const ComponentHost& component, const component::InstanceState& state,
                     const Error& error) {
  if (engine::is_cancelled(error))
    return fmt::format("component '{}' was stopped: its client closed the connection",
                       component.id());
  if (engine::is_interrupt(error))
    return fmt::format("component '{}' exceeded the request timeout", component.id());
  if (auto code = wasi2::exit_code(state))
    return fmt::format("component '{}' exited with code {}", component.id(), *code);
  return fmt::format("component '{}' failed: {}", component.id(), error.message);
}

}  // namespace

namespace {
// A request's store and instance (the instance refers to the store: it goes first).
struct Instance {
  engine::Store store;
  std::unique_ptr<component::ComponentInstance> instance;
  Instance(engine::Engine& engine, const engine::StoreLimits& limits) : store(engine, limits) {}
  ~Instance() { instance.reset(); }
};
}  // namespace

Prepared WasiHttpExecutor::prepare(const HttpCall& call) {
  auto owned = std::make_shared<Instance>(component_.engine(), component_.limits());
  engine::Store& store = owned->store;
  std::string self_origin;
  self_origin.reserve(call.request.scheme.size() + 3 + call.request.host.size());
  self_origin.append(call.request.scheme).append("://").append(call.request.host);
  auto configure = [&](component::InstanceState& state) {
    auto wasi = std::make_unique<wasi2::Config>();
    wasi->args = {component_.id()};
    wasi->env = component_.environment();
    wasi->files = component_.files();
    ComponentLogs* logs = &component_.logs();
    wasi->stdout_sink = [logs](std::string_view s) { logs->out(s); };
    wasi->stderr_sink = [logs](std::string_view s) { logs->err(s); };
    if (component_.limits().timeout)
      wasi->deadline = std::chrono::steady_clock::now() + *component_.limits().timeout;
    wasi->allowed_hosts = &component_.allowed_hosts();  // wasi:sockets
    state.emplace(std::move(wasi));
    state.emplace(std::make_unique<factors::SpinComponent>(factors::SpinComponent{
        component_.id(), &component_.variables(), &component_.allowed_hosts(),
        component_.key_value(), component_.sqlite(), &component_.spec().ai_models}));
    auto http = std::make_unique<wasi_http::HttpConfig>();
    http->allowed_hosts = &component_.allowed_hosts();
    http->component_id = component_.id();
    http->self_origin = self_origin;
    http->writer = call.request.response_writer;
    if (const LocalApp* app = call.app)
      http->chain = [app](std::string_view component, const http::Request& r) {
        return app->handle_chained(component, r);
      };
    state.emplace(std::move(http));
  };
  auto instance =
      component::ComponentInstance::instantiate(component_.component(), store, configure);
  if (!instance)
    return {
        std::nullopt,
        internal_error(component_, Error{fmt::format("component '{}' failed to start: {}",
                                                     component_.id(), instance.error().message)})};
  owned->instance = std::move(*instance);
  GuestJob job;
  job.store = &owned->store;
  job.run = [this, &call, owned] { return run(call, *owned->instance); };
  job.keep = owned;
  return {std::move(job), {}};
}

http::Response WasiHttpExecutor::run(const HttpCall& call,
                                     component::ComponentInstance& instance) const {
  component::InstanceState& state = instance.state();

  // The guest sees the request with Spin's spin-* headers, as under Spin.
  uint32_t req = wasi_http::new_incoming_request(state, call.request, call.spin_headers);
  uint32_t out = wasi_http::new_response_outparam(state);
  std::vector<component::Val> args{component::Val::own(req), component::Val::own(out)};
  auto done = instance.call(handle_, args);
  const wasi_http::ResponseOut* set = wasi_http::response(state);
  if (http::ResponseWriter* writer = call.request.response_writer; writer && writer->started()) {
    // Streamed: status and headers are out; a failure now can only cut the body short.
    if (!done) {
      writer->abort();
      internal_error(component_, Error{describe(component_, state, done.error())});
    } else if (set && set->body && set->body->trailers) {
      writer->finish(set->body->trailers->entries);
    }
    return http::Response{};
  }
  if (!done && !(set && wasi2::exit_code(state) == 0))
    return internal_error(component_, Error{describe(component_, state, done.error())});
  if (set == nullptr)
    return internal_error(
        component_,
        Error{fmt::format("component '{}' returned without setting a response", component_.id())});
  if (set->is_error)
    return internal_error(
        component_, Error{fmt::format("component '{}' answered with error {}", component_.id(),
                                      wasi_http::describe_error_code(set->error))});

  http::Response response;
  response.status = set->status;
  response.headers = wasi_http::response_headers(*set);
  // The request's state dies with this call: take the body instead of copying it.
  if (set->body) {
    response.body = std::move(set->body->data);
    if (set->body->trailers) response.trailers = set->body->trailers->entries;
  }
  // A body the guest wrote without declaring its length is framed chunked (HTTP/1.1), as Spin
  // frames it; Spin's conformance suite (outbound-wasi-http-v0.2.0-no-perms) checks that no
  // computed content-length appears.
  if (set->body_taken && !http::find_header(response.headers, "content-length"))
    response.headers.push_back({"transfer-encoding", "chunked"});
  return response;
}

}  // namespace lepton::executors
