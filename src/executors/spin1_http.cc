#include "executors/spin1_http.h"

#include <spdlog/spdlog.h>

#include <array>

#include "engine/guest_call.h"
#include "executors/request_instance.h"
#include "factors/spin1_abi.h"

namespace lepton::executors {

namespace {

Result<http::Response> run(const Spin1HttpExecutor::Exports& exports, RequestInstance& instance,
                           const HttpCall& call, uint32_t method) {
  wasmtime_context_t* cx = instance.context();
  LEPTON_TRY(auto entry, engine::export_func(cx, instance.instance(), exports.handler));
  LEPTON_TRY(auto realloc, engine::export_func(cx, instance.instance(), exports.realloc));
  LEPTON_TRY(auto memory, engine::export_memory(cx, instance.instance(), exports.memory));
  engine::GuestAllocator alloc(cx, realloc, memory);

  // Lower the request record in the order Spin 1 hosts did: uri, headers, params, body. Header
  // names are lowercased (the request's own as they are copied in; spin-* ones already are).
  const http::Request& req = call.request;
  std::string_view uri = req.target.empty() ? std::string_view("/") : std::string_view(req.target);
  LEPTON_TRY(uint32_t uri_ptr, alloc.copy_in(uri));
  LEPTON_TRY(auto header_list,
             factors::spin1::lower_headers(alloc, req.headers, call.spin_headers));
  LEPTON_TRY(uint32_t params_ptr, alloc.alloc(4, 0));  // params: always empty (as in Spin)
  LEPTON_TRY(uint32_t body_ptr, alloc.copy_in(req.body));

  uint32_t ret = 0;
  LEPTON_CHECK(engine::call_i32(
      cx, entry,
      {method, uri_ptr, static_cast<uint32_t>(uri.size()), header_list.ptr, header_list.len,
       params_ptr, 0, 1, body_ptr, static_cast<uint32_t>(req.body.size())},
      std::span(&ret, 1)));
  LEPTON_TRY(auto response, factors::spin1::lift_response(alloc.memory(), ret));
  if (response.status < 100 || response.status > 600)
    return fail("returned invalid HTTP status {}", response.status);
  // Spin inserts response headers into a map: a repeated name keeps its last value, at the
  // position of its last occurrence.
  auto& headers = response.headers;
  for (auto& h : headers) http::lowercase_ascii(h.name);
  bool repeated = false;
  for (size_t i = 1; i < headers.size() && !repeated; ++i)
    for (size_t j = 0; j < i && !repeated; ++j) repeated = headers[i].name == headers[j].name;
  if (repeated) {
    std::vector<http::Header> unique;
    for (auto& h : headers) {
      std::erase_if(unique, [&](const http::Header& u) { return u.name == h.name; });
      unique.push_back(std::move(h));
    }
    headers = std::move(unique);
  }
  return response;
}

}  // namespace

Spin1HttpExecutor::Spin1HttpExecutor(const ComponentHost& component)
    : component_(component),
      exports_{engine::ExportIndex(component.module(), kExport),
               engine::ExportIndex(component.module(), "canonical_abi_realloc"),
               engine::ExportIndex(component.module(), "memory")} {}

Prepared Spin1HttpExecutor::prepare(const HttpCall& call) {
  auto method = factors::spin1::method_index(call.request.method);
  if (!method) return {std::nullopt, http::Response{405, {}, {}}};

  std::string self_origin;
  self_origin.reserve(call.request.scheme.size() + 3 + call.request.host.size());
  self_origin.append(call.request.scheme).append("://").append(call.request.host);
  auto instance =
      RequestInstance::create(component_, base_wasi_config(component_), std::move(self_origin));
  if (!instance) return {std::nullopt, internal_error(component_, instance.error())};
  std::shared_ptr<RequestInstance> owned = std::move(*instance);
  GuestJob job;
  job.store = &owned->store();
  job.run = [this, &call, owned, m = *method]() -> http::Response {
    auto response = run(exports_, *owned, call, m);
    if (!response)
      return internal_error(component_, Error{owned->describe_failure(response.error())});
    return std::move(*response);
  };
  job.keep = owned;
  return {std::move(job), {}};
}

}  // namespace lepton::executors
