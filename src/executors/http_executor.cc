#include "executors/http_executor.h"

#include <spdlog/spdlog.h>

#include "executors/spin1_http.h"
#include "executors/wagi.h"
#include "executors/wasi_http_executor.h"

namespace lepton::executors {

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
