// Outbound HTTP/1.1 client used by host interfaces (Spin 1 wasi-outbound-http,
// wasi:http/outgoing-handler, the LLM and Vault clients). send() waits for the answer: a guest task
// is suspended meanwhile (common/suspend.h), a plain thread blocks. The socket work of every
// request runs on one client I/O thread, with idle keep-alive connections reused per origin, and
// ends at the request's timeout or the waiting task's deadline, whichever comes first.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/result.h"
#include "http/message.h"

namespace lepton::http {

struct Url {
  std::string scheme;  // "http" | "https"
  std::string host;    // without brackets for IPv6
  uint16_t port = 0;   // explicit or the scheme's default
  std::string target;  // path + query, at least "/"
};

// Parses an absolute http(s) URL; the error says what is wrong with it.
Result<Url> parse_url(std::string_view url);

struct OutgoingRequest {
  std::string method = "GET";
  Url url;
  std::vector<Header> headers;
  std::string body;
  std::chrono::milliseconds timeout{30000};
  // A guest's request obeys the app's outbound policy (src/outbound: block_networks,
  // max_concurrent_requests); the host's own requests (Vault, LLM service) set this false.
  bool apply_outbound_policy = true;
  // The guest component making the request: picks its [[client_tls]] settings for https.
  std::string component_id;
};

// Sends the request and reads the whole response. Errors name the URL and the failing step
// ("timed out after N ms while connecting").
Result<Response> send(const OutgoingRequest& request);

}  // namespace lepton::http
