#include "executors/redis_executor.h"

#include <fmt/format.h>

#include "component/instance.h"
#include "engine/guest_call.h"
#include "executors/request_instance.h"
#include "factors/spin_component.h"
#include "wasi2/wasi2.h"
#include "wasi_http/wasi_http.h"

namespace lepton::executors {

RedisExecutor::RedisExecutor(const ComponentHost& component,
                             const component::LiftedFunction* handle)
    : component_(component), handle_(handle) {
  if (handle_ == nullptr) {
    spin1_handler_ = engine::ExportIndex(component.module(), kSpin1Export);
    spin1_realloc_ = engine::ExportIndex(component.module(), "canonical_abi_realloc");
    spin1_memory_ = engine::ExportIndex(component.module(), "memory");
  }
}

Result<std::unique_ptr<RedisExecutor>> RedisExecutor::create(const ComponentHost& component) {
  if (const auto& tmpl = component.component()) {
    const component::LiftedFunction* handle = tmpl->find_export(kInterface, "handle-message");
    if (handle == nullptr) {
      std::string exports;
      for (const auto& e : tmpl->exports())
        exports += fmt::format("{}{}#{}", exports.empty() ? "" : ", ", e.interface, e.name);
      return fail(
          "component '{}' is used by a Redis trigger but exports no Redis handler: expected "
          "fermyon:spin/inbound-redis#handle-message; it exports: {}",
          component.id(), exports.empty() ? "nothing" : exports);
    }
    const auto& params = handle->type.params;
    if (params.size() != 1 || handle->type.results.size() != 1)
      return fail(
          "component '{}': fermyon:spin/inbound-redis#handle-message has an unexpected "
          "signature (expected func(message: list<u8>) -> result<_, error>)",
          component.id());
    return std::unique_ptr<RedisExecutor>(new RedisExecutor(component, handle));
  }
  if (!component.exports_function(kSpin1Export))
    return fail(
        "component '{}' is used by a Redis trigger but exports no Redis handler: expected "
        "'handle-redis-message' (Spin 1 ABI) or fermyon:spin/inbound-redis#handle-message",
        component.id());
  if (!component.exports_function("canonical_abi_realloc"))
    return fail("component '{}' exports handle-redis-message but not canonical_abi_realloc",
                component.id());
  return std::unique_ptr<RedisExecutor>(new RedisExecutor(component, nullptr));
}

Status RedisExecutor::handle(std::string_view payload) const {
  return handle_ != nullptr ? handle_component(payload) : handle_spin1(payload);
}

Status RedisExecutor::handle_component(std::string_view payload) const {
  engine::Store store(component_.engine(), component_.limits());
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
    wasi->allowed_hosts = &component_.allowed_hosts();
    state.emplace(std::move(wasi));
    state.emplace(std::make_unique<factors::SpinComponent>(factors::SpinComponent{
        component_.id(), &component_.variables(), &component_.allowed_hosts(),
        component_.key_value(), component_.sqlite(), &component_.spec().ai_models}));
    // Outbound wasi:http works from a Redis handler too (no incoming request: no self origin).
    auto http = std::make_unique<wasi_http::HttpConfig>();
    http->allowed_hosts = &component_.allowed_hosts();
    http->component_id = component_.id();
    state.emplace(std::move(http));
  };
  auto instance =
      component::ComponentInstance::instantiate(component_.component(), store, configure);
  if (!instance)
    return fail("component '{}' failed to start: {}", component_.id(), instance.error().message);
  component::InstanceState& state = (*instance)->state();
  std::vector<component::Val> args{component::Val::bytes(std::string(payload))};
  auto done = (*instance)->call(*handle_, args);
  if (!done) {
    const Error& error = done.error();
    if (engine::is_interrupt(error))
      return fail("component '{}' exceeded the request timeout", component_.id());
    if (auto code = wasi2::exit_code(state)) {
      if (*code == 0) return {};
      return fail("component '{}' exited with code {}", component_.id(), *code);
    }
    return fail("component '{}' failed: {}", component_.id(), error.message);
  }
  if (done->size() == 1 && (*done)[0].case_index() == 1)
    return fail("component '{}': the Redis handler returned an error", component_.id());
  return {};
}

Status RedisExecutor::handle_spin1(std::string_view payload) const {
  LEPTON_TRY(auto instance, RequestInstance::create(component_, base_wasi_config(component_), ""));
  auto run = [&]() -> Status {
    wasmtime_context_t* cx = instance->context();
    LEPTON_TRY(auto entry, engine::export_func(cx, instance->instance(), spin1_handler_));
    LEPTON_TRY(auto realloc, engine::export_func(cx, instance->instance(), spin1_realloc_));
    LEPTON_TRY(auto memory, engine::export_memory(cx, instance->instance(), spin1_memory_));
    engine::GuestAllocator alloc(cx, realloc, memory);
    LEPTON_TRY(uint32_t ptr, alloc.copy_in(payload));
    uint32_t ret = 0;
    LEPTON_CHECK(engine::call_i32(cx, entry, {ptr, static_cast<uint32_t>(payload.size())},
                                  std::span(&ret, 1)));
    // expected<unit, error>: tag u8 at ret (0 ok, 1 err), the error enum u8 at ret + 1.
    uint8_t tag = 0;
    if (!alloc.memory().load(ret, tag)) return fail("returned an out-of-bounds result pointer");
    if (tag == 0) return {};
    if (tag != 1) return fail("returned an invalid result discriminant {}", tag);
    return fail("the Redis handler returned an error");
  };
  auto done = run();
  if (!done) return Error{instance->describe_failure(done.error())};
  return {};
}

}  // namespace lepton::executors
