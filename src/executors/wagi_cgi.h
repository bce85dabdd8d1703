// The pure parts of Spin's WAGI executor (spin/crates/http/src/wagi/mod.rs and
// spin/crates/trigger-http/src/wagi.rs): the CGI environment, argv, and the response parsed
// from the guest's stdout. No Wasm here; header-only dependencies on http/router.h (RouteMatch)
// and http/message.h (Header).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "http/message.h"
#include "http/router.h"

namespace lepton::executors::wagi {

struct RequestFacts {
  std::string_view method;                     // "GET"
  std::string_view http_version = "HTTP/1.1";  // as Rust debug-prints http::Version:
                                               // "HTTP/1.0", "HTTP/1.1", "HTTP/2.0"
  std::string_view scheme = "http";            // the server's scheme ("http" when chained)
  std::string_view path_and_query;             // request target as received ("/a/b?x=1")
  std::span<const http::Header> headers;       // in received order, names lowercase, after the
                                               // server dropped Connection (and a
                                               // *.spin.internal Host)
  std::string_view client_ip;                  // "127.0.0.1", "::1" ("0.0.0.0" when chained)
  uint16_t client_port = 0;                    // (0 when chained)
  size_t body_length = 0;                      // bytes of the collected body (its stdin)
};

// The environment Spin gives a WAGI guest, in Spin's insertion order (Spin itself passes a
// HashMap, so the guest sees no particular order). Values, as Spin computes them:
//   AUTH_TYPE ""             CONTENT_LENGTH <body_length> (always, "0" without a body)
//   CONTENT_TYPE             the value of a request header literally named "content_type"
//                            (Spin looks up "CONTENT_TYPE"), else "" — the real one is in
//                            HTTP_CONTENT_TYPE
//   GATEWAY_INTERFACE "CGI/1.1"   SERVER_SOFTWARE "WAGI/1"   SERVER_PROTOCOL <http_version>
//   QUERY_STRING             the raw query ("" when none)
//   REMOTE_ADDR, REMOTE_HOST client IP (no port)      REMOTE_USER ""
//   REQUEST_METHOD           SCRIPT_NAME  RouteMatch::based_route_or_prefix ("" for "/...")
//   PATH_INFO                RouteMatch::path_info, raw (Spin's decoded value is overwritten)
//   X_RAW_PATH_INFO          same            PATH_TRANSLATED  percent-decoded (lossy UTF-8)
//   SERVER_NAME/SERVER_PORT  from the Host header split at its first ':': name part if non-empty
//                            else "default_host"; port part if non-empty else the Host
//                            authority's port, else "80"
//   X_FULL_URL               <scheme>://<Host or "localhost"><path_and_query>
//   X_MATCHED_ROUTE, X_BASE_PATH "/", X_RAW_COMPONENT_ROUTE, X_COMPONENT_ROUTE,
//   X_CLIENT_ADDR "<ip>:<port>", X_PATH_MATCH_<NAME uppercased> per ":name"
//   HTTP_<NAME>              per request header, name uppercased with '-' -> '_'; the last
//                            value of a repeated header wins; Authorization and Connection are
//                            skipped; a value that is not visible ASCII becomes "CORRUPT VALUE"
std::vector<std::pair<std::string, std::string>> cgi_environment(const http::RouteMatch& match,
                                                                 const RequestFacts& facts);

// argv from the executor's template: "${SCRIPT_NAME}" -> the request path (not the route),
// then "${ARGS}" -> the raw query with '&' replaced by ' ', then split on every ' ' (so the
// default "${SCRIPT_NAME} ${ARGS}" gives ["/path", ""] without a query).
std::vector<std::string> argv(std::string_view argv_template, std::string_view path_and_query);

struct WagiResponse {
  uint16_t status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercase, unique
  std::string body;
  // Messages Spin logs while composing the response (invalid status code -> 502, invalid header
  // name ignored, missing content-type/location/status -> 500 with kInsufficientResponse body).
  std::vector<std::string> log;
};

inline constexpr std::string_view kInsufficientResponse =
    "Exactly one of 'location' or 'content-type' must be specified";

// Spin's compose_response over the guest's stdout. Header lines run to the first empty line
// ("\n\n"; every '\r' before it is ignored); the rest is the body, byte for byte. A header line
// is "name: value" (both trimmed); `status` sets the code from its first word (a 3-digit code
// 100-999, anything else -> 502), `location` without status -> 302, and a response needs at
// least one of content-type, location or status, else it becomes 500 with body
// kInsufficientResponse. A repeated header keeps its last value. Errors (Spin answers 500 with
// an empty body and logs the message): empty stdout (the guest is probably not a WAGI program),
// header section not UTF-8, a header value with control characters.
Result<WagiResponse> parse_output(std::string_view stdout_bytes, std::string_view component_id);

// Percent-decodes `s` and replaces invalid UTF-8 with U+FFFD (Rust's decode_utf8_lossy).
std::string percent_decode_lossy(std::string_view s);

}  // namespace lepton::executors::wagi
