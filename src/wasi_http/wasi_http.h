// wasi:http 0.2 for components: wasi:http/types (fields, requests, responses, bodies, futures) and
// wasi:http/outgoing-handler, over lepton's HTTP messages and the wasi:io streams of wasi2/io.h.
//
// The executor builds a request's incoming-request and response-outparam with
// new_incoming_request() / new_response_outparam(), calls the guest's incoming-handler.handle,
// and reads what the guest set with response(). Bodies: the incoming body is read as it arrives
// (or from the buffered request); the response body is collected as the guest writes it and
// streams to the client once it outgrows HttpConfig::stream_threshold. Outgoing requests go through
// http::send when `allowed_outbound_hosts` permits them; a denied request is HTTP-request-denied,
// as in Spin.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "app/allowed_hosts.h"
#include "component/host.h"
#include "http/message.h"

namespace lepton::wasi_http {

// A header list shared between the handles that view it (a response and its headers() child).
struct FieldsData {
  std::vector<http::Header> entries;  // names as given (compared case-insensitively)
};

// The body a guest writes for a response or an outgoing request.
struct BodyBuffer {
  std::string data;
  bool finished = false;
  std::shared_ptr<FieldsData> trailers;
  // Set once the response streams: writes go here instead of `data` (false: client gone).
  std::function<bool(std::string_view)> sink;
};

// What the guest passed to response-outparam.set.
struct ResponseOut {
  bool is_error = false;
  component::Val error;  // the error-code value when is_error
  uint16_t status = 200;
  std::shared_ptr<FieldsData> headers;
  std::shared_ptr<BodyBuffer> body;
  // The guest took the body (outgoing-response.body). Without a content-length header such a
  // body goes out chunked on HTTP/1.1, as Spin (hyper) frames it; an untaken one is empty
  // (content-length: 0).
  bool body_taken = false;
};

// Per-request configuration, installed by the executor with InstanceState::emplace.
struct HttpConfig {
  const app::AllowedHosts* allowed_hosts = nullptr;  // null: no outbound requests
  std::string_view component_id;  // for [[client_tls]] on outbound https (outlives requests)
  std::string self_origin;        // "http://127.0.0.1:3000": where relative outbound URLs go
  std::chrono::milliseconds outbound_timeout{30000};
  // Where the response streams once its body outgrows stream_threshold (null: always buffered).
  // Small responses stay whole, so they keep their content-length and cost no extra hand-offs.
  http::ResponseWriter* writer = nullptr;
  size_t stream_threshold = 64 * 1024;
  // Service chaining: requests to http://<component>.spin.internal/... are handed to this (the
  // component id, the request as it would be sent) instead of the network. Null: not possible.
  std::function<http::Response(std::string_view component, const http::Request&)> chain;
};

// The rep of a new incoming-request for `request`, whose headers are request.headers followed by
// `extra_headers` (the executor's spin-* headers). Its body is request.body, or what arrives
// through request.body_stream while the guest reads it; its trailers are request.trailers or the
// stream's.
uint32_t new_incoming_request(component::InstanceState& instance, const http::Request& request,
                              std::span<const http::Header> extra_headers = {});
// The rep of a new response-outparam.
uint32_t new_response_outparam(component::InstanceState& instance);
// What the guest set, once it set it (nullptr before).
const ResponseOut* response(component::InstanceState& instance);

// The response headers as lepton sends them (names lowercased).
std::vector<http::Header> response_headers(const ResponseOut& response);

// "error-code" as text for logs: "HTTP-request-denied", "internal-error(\"boom\")".
std::string describe_error_code(const component::Val& error);

// Registers wasi:http/types and wasi:http/outgoing-handler (needs wasi2::register_io first).
void register_http(component::HostRegistry& registry);

}  // namespace lepton::wasi_http
