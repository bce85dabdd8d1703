#include "executors/http_executor.h"

#include <spdlog/spdlog.h>

#include "engine/guest_call.h"
#include "engine/guest_task.h"
#include "executors/spin1_http.h"
#include "executors/wagi.h"
#include "executors/wasi_http_executor.h"

namespace lepton::executors {

namespace {

engine::GuestTask::Options task_options(const ComponentHost& component) {
  engine::GuestTask::Options options;
  if (component.limits().timeout)
    options.deadline = std::chrono::steady_clock::now() + *component.limits().timeout;
  return options;
}

// The response of a task that ended without one: its body never returned (cancelled while
// suspended), or failed outside the guest.
http::Response task_failed(const ComponentHost& component, const Status& status) {
  std::string why = status.ok() ? "the request was cancelled" : status.error().message;
  if (engine::is_interrupt(Error{why}))
    why = fmt::format("component '{}' exceeded the request timeout", component.id());
  return internal_error(component, Error{why});
}

}  // namespace

void HttpExecutor::handle_async(const HttpCall& call, Scheduler& scheduler,
                                std::function<void(http::Response)> respond) {
  Prepared prepared = prepare(call);
  if (!prepared.job) return respond(std::move(prepared.response));
  struct Run {
    GuestJob job;
    std::optional<http::Response> response;
  };
  auto run = std::make_shared<Run>(Run{std::move(*prepared.job), std::nullopt});
  const ComponentHost& host = component();
  auto task = engine::GuestTask::spawn(
      *run->job.store, scheduler,
      [run]() -> Status {
        run->response = run->job.run();
        return {};
      },
      [run, &host, respond = std::move(respond)](Status status) {
        if (run->response) return respond(std::move(*run->response));
        respond(task_failed(host, status));
      },
      task_options(host));
  // A client that hangs up stops its guest (a waiting guest at once, a running one at its next
  // epoch tick).
  if (call.request.cancellation && !task->finished())
    call.request.cancellation->on_cancel([weak = std::weak_ptr<engine::GuestTask>(task)] {
      if (auto t = weak.lock()) t->cancel("the client closed the connection");
    });
}

http::Response HttpExecutor::handle(const HttpCall& call) {
  Prepared prepared = prepare(call);
  if (!prepared.job) return std::move(prepared.response);
  GuestJob& job = *prepared.job;
  std::optional<http::Response> response;
  Status status = engine::run_blocking(
      *job.store,
      [&]() -> Status {
        response = job.run();
        return {};
      },
      task_options(component()));
  if (response) return std::move(*response);
  return task_failed(component(), status);
}

http::Response internal_error(const ComponentHost& component, const Error& error) {
  spdlog::error("{}", error.message);
  component.logs().err(fmt::format("lepton: {}\n", error.message));
  return http::Response{500, {}, {}};
}

Result<std::unique_ptr<HttpExecutor>> make_http_executor(const ComponentHost& component,
                                                         const app::HttpTrigger& trigger) {
  if (const auto& tmpl = component.component()) {
    if (trigger.wagi)
      return fail(
          "component '{}' is a WAGI route but is a component-model component (WAGI needs "
          "a wasip1 command module)",
          component.id());
    // Spin: an HTTP component exports exactly one handler interface.
    const component::LiftedFunction* handle =
        tmpl->find_export(WasiHttpExecutor::kInterface, "handle");
    if (handle == nullptr) {
      std::string exports;
      for (const auto& e : tmpl->exports())
        exports += fmt::format("{}{}#{}", exports.empty() ? "" : ", ", e.interface, e.name);
      return fail(
          "component '{}' exports no HTTP handler: expected wasi:http/incoming-handler "
          "(0.2.x); it exports: {}",
          component.id(), exports.empty() ? "nothing" : exports);
    }
    return std::unique_ptr<HttpExecutor>(new WasiHttpExecutor(component, *handle));
  }
  if (trigger.wagi) {
    if (!component.exports_function(trigger.wagi->entrypoint))
      return fail(
          "component '{}' is a WAGI route but exports no function '{}' (the executor's "
          "entrypoint)",
          component.id(), trigger.wagi->entrypoint);
    return std::unique_ptr<HttpExecutor>(new WagiExecutor(component, *trigger.wagi));
  }
  if (component.exports_function(Spin1HttpExecutor::kExport)) {
    if (!component.exports_function("canonical_abi_realloc"))
      return fail("component '{}' exports handle-http-request but not canonical_abi_realloc",
                  component.id());
    return std::unique_ptr<HttpExecutor>(new Spin1HttpExecutor(component));
  }
  if (component.exports_function("_start"))
    return fail(
        "component '{}' is a WASI command without a Spin HTTP export: should this use "
        "the WAGI executor (executor = {{ type = \"wagi\" }})?",
        component.id());
  return fail(
      "component '{}' exports no HTTP handler: expected 'handle-http-request' (Spin 1 "
      "ABI) or a WAGI entrypoint",
      component.id());
}

}  // namespace lepton::executors
