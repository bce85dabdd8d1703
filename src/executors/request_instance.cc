#include "executors/request_instance.h"

#include "engine/guest_call.h"

namespace lepton::executors {

wasi::Preview1Config base_wasi_config(const ComponentHost& component) {
  wasi::Preview1Config config;
  config.args = {component.id()};
  config.env = component.environment();
  config.files = component.files();
  ComponentLogs* logs = &component.logs();
  config.stdout_sink = [logs](std::string_view s) { logs->out(s); };
  config.stderr_sink = [logs](std::string_view s) { logs->err(s); };
  if (component.limits().timeout)
    config.sleep_deadline = std::chrono::steady_clock::now() + *component.limits().timeout;
  return config;
}

RequestInstance::RequestInstance(const ComponentHost& component, wasi::Preview1Config wasi)
    : component_(component),
      wasi_(wasi::make_preview1(std::move(wasi))),
      store_(component.engine(), component.limits()) {}

Result<std::unique_ptr<RequestInstance>> RequestInstance::create(const ComponentHost& component,
                                                                 wasi::Preview1Config wasi,
                                                                 std::string self_origin) {
  auto request = std::unique_ptr<RequestInstance>(new RequestInstance(component, std::move(wasi)));
  request->host_.component_id = component.id();
  request->host_.variables = &component.variables();
  request->host_.allowed_hosts = &component.allowed_hosts();
  request->host_.key_value = component.key_value();
  request->host_.sqlite = component.sqlite();
  request->host_.self_origin = std::move(self_origin);
  wasi::attach(*request->wasi_, request->context());
  request->store_.data().set(&request->host_);
  LEPTON_TRY(request->instance_, component.instantiate(request->store_));
  // Reactors (wasi-libc, TinyGo) run their constructors in _initialize before any export.
  if (auto init = component.initialize_export().func(request->context(), request->instance_)) {
    auto done = engine::call_i32(request->context(), *init, {}, {});
    if (!done) return Error{request->describe_failure(done.error())}.context("_initialize");
  }
  return request;
}

std::string RequestInstance::describe_failure(const Error& error) const {
  if (engine::is_cancelled(error))
    return fmt::format("component '{}' was stopped: its client closed the connection",
                       component_.id());
  if (engine::is_interrupt(error))
    return fmt::format("component '{}' exceeded the request timeout", component_.id());
  if (auto code = wasi::exit_code(*wasi_))
    return fmt::format("component '{}' exited with code {}", component_.id(), *code);
  return fmt::format("component '{}' failed: {}", component_.id(), error.message);
}

}  // namespace lepton::executors
