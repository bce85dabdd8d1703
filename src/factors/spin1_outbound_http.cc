// Spin 1 `wasi-outbound-http` interface: request(req) -> expected<response, http-error>.
// Only hosts granted by allowed_outbound_hosts (or legacy allowed_http_hosts) are reachable;
// anything else answers destination-not-allowed, as Spin does.
#include <spdlog/spdlog.h>

#include "engine/store.h"
#include "factors/host_context.h"
#include "factors/registry.h"
#include "factors/spin1_abi.h"
#include "http/client.h"

namespace lepton::factors {

namespace {

// enum http-error { success, destination-not-allowed, invalid-url, request-error,
//                   runtime-error, too-many-requests }
enum class HttpError : uint8_t {
  DestinationNotAllowed = 1,
  InvalidUrl = 2,
  RequestError = 3,
  RuntimeError = 4,
};

struct Outcome {
  std::optional<http::Response> response;
  HttpError error = HttpError::RuntimeError;
};

Outcome perform(const HostContext* host, http::OutgoingRequest request, std::string_view uri) {
  if (uri.starts_with("/")) {
    // Relative URIs go to the app itself, which the manifest must grant as `self`.
    if (host == nullptr || host->allowed_hosts == nullptr || !host->allowed_hosts->allows_self())
      return {std::nullopt, HttpError::DestinationNotAllowed};
    auto url = http::parse_url(host->self_origin + std::string(uri));
    if (!url) return {std::nullopt, HttpError::InvalidUrl};
    request.url = *url;
  } else {
    auto url = http::parse_url(uri);
    if (!url) return {std::nullopt, HttpError::InvalidUrl};
    request.url = *url;
    if (host == nullptr || host->allowed_hosts == nullptr ||
        !host->allowed_hosts->allows(request.url.scheme, request.url.host, request.url.port))
      return {std::nullopt, HttpError::DestinationNotAllowed};
  }
  request.component_id = std::string(host->component_id);
  auto response = http::send(request);
  if (!response) {
    spdlog::warn("outbound request to {} failed: {}", uri, response.error().message);
    return {std::nullopt, HttpError::RuntimeError};
  }
  for (auto& h : response->headers)
    for (auto& c : h.name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return {std::move(*response), HttpError::RuntimeError};
}

wasm_trap_t* request(void*, wasmtime_caller_t* caller, wasmtime_val_raw_t* args, size_t) {
  constexpr std::string_view kInterface = "wasi-outbound-http::request";
  auto a = [&](int i) { return static_cast<uint32_t>(args[i].i32); };
  auto alloc = spin1::caller_allocator(caller);
  if (!alloc) return spin1::trap(kInterface, alloc.error());
  auto memory = alloc->memory();

  http::OutgoingRequest out;
  std::string_view method = spin1::method_name(a(0));
  if (method.empty()) return spin1::trap(kInterface, fail("invalid method discriminant {}", a(0)));
  out.method = std::string(method);
  auto uri = memory.string(a(1), a(2));
  if (!uri) return spin1::trap(kInterface, fail("uri is outside guest memory"));
  std::string uri_text(*uri);
  auto headers = spin1::lift_headers(memory, {a(3), a(4)});
  if (!headers) return spin1::trap(kInterface, headers.error());
  out.headers = std::move(*headers);
  if (a(7) > 1) return spin1::trap(kInterface, fail("invalid discriminant {} for body", a(7)));
  if (a(7) == 1) {
    auto body = spin1::lift_bytes(memory, {a(8), a(9)});
    if (!body) return spin1::trap(kInterface, body.error());
    out.body = std::move(*body);
  }
  const uint32_t ret = a(10);

  const HostContext* host = engine::StoreData::of(caller).get<HostContext>();
  Outcome outcome = perform(host, std::move(out), uri_text);

  // expected<response, http-error>: tag u8 @0; ok payload (response record) @4; err enum u8 @4.
  if (outcome.response) {
    auto lowered = spin1::lower_response(*alloc, ret + 4, *outcome.response);
    if (!lowered) return spin1::trap(kInterface, lowered.error());
    if (!alloc->memory().store(ret, uint8_t{0}))
      return spin1::trap(kInterface, fail("return area is outside guest memory"));
  } else {
    auto m = alloc->memory();
    if (!m.store(ret, uint8_t{1}) || !m.store(ret + 4, static_cast<uint8_t>(outcome.error)))
      return spin1::trap(kInterface, fail("return area is outside guest memory"));
  }
  return nullptr;
}

}  // namespace

Status define_spin1_outbound_http(wasmtime_linker_t* linker) {
  return engine::define_raw_func(linker, "wasi-outbound-http", "request",
                                 {WASM_I32, WASM_I32, WASM_I32, WASM_I32, WASM_I32, WASM_I32,
                                  WASM_I32, WASM_I32, WASM_I32, WASM_I32, WASM_I32},
                                 {}, request);
}

}  // namespace lepton::factors
