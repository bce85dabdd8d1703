// Parsing HTTP/1.x requests with Beast, and the one conversion from Beast's message to our
// Request. The server reads requests incrementally with the same parser set up by
// detail::apply_limits and converts them with detail::to_request; parse_request does the same
// over a complete byte buffer (unit tests, fuzzing).
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "http/message.h"

namespace lepton::http {

struct Limits {
  size_t max_header_bytes = 128 * 1024;      // request line + fields, as Spin's field limit
  size_t max_body_bytes = 64 * 1024 * 1024;  // after de-chunking
};

// Parses the first request in `bytes` (which must hold it completely; any bytes after it are
// ignored). Errors say what is wrong: "request header exceeds N bytes" (a server answers 431),
// "request body exceeds N bytes" (413), "incomplete request", "unsupported HTTP version..."
// (505: only 1.0 and 1.1 are served), "malformed request: <reason>" (400). The connection fields of
// the result are left empty, except scheme "http".
Result<Request> parse_request(std::string_view bytes, const Limits& limits = {});

namespace detail {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;
using BeastParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// Where a request arrived; copied into the Request.
struct ConnectionInfo {
  std::string_view client_addr;
  std::string_view local_addr;
  std::string_view scheme = "http";
  std::string_view default_host;  // used when the request names no host
};

// Configures a fresh parser with the limits (header and body size).
void apply_limits(BeastParser& parser, const Limits& limits);

// True for the HTTP versions we serve (1.0 and 1.1).
inline bool supported_version(unsigned version) { return version == 10 || version == 11; }

// Beast appends a chunked body's trailer fields to the header's field list: callers note how many
// fields the header had (when the header is done) and pass it here. kAllFields: no trailers.
inline constexpr size_t kAllFields = static_cast<size_t>(-1);
size_t field_count(const boost::beast::http::fields& fields);
// The fields past `header_fields` (names lowercased).
std::vector<Header> trailer_fields(const boost::beast::http::fields& fields, size_t header_fields);

// A Request with the method, target, header fields (the first `header_fields`) and connection
// facts of `message`; no body (the body streams).
Request to_request_head(const BeastRequest& message, const ConnectionInfo& info,
                        size_t header_fields = kAllFields);
// Moves a parsed message into a Request: the head, the body, and fields past `header_fields` as
// trailers.
Request to_request(BeastRequest&& message, const ConnectionInfo& info,
                   size_t header_fields = kAllFields);

// True when `ec` is a parse error of the request (as opposed to I/O errors or EOF).
bool is_parse_error(const boost::beast::error_code& ec);

// The status answering a parse error: 431 header too large, 413 body too large, 505 bad version,
// 400 otherwise.
uint16_t error_status(const boost::beast::error_code& ec);

// A message for a parse error, naming the limit when one was hit.
std::string describe_error(const boost::beast::error_code& ec, const Limits& limits);

// Splits a request-target into path and query; `authority` receives the host of an absolute
// target ("http://h:1/p" -> "h:1"), else is left empty.
void split_target(std::string_view target, std::string& path, std::string& query,
                  std::string& authority);

}  // namespace detail
}  // namespace lepton::http
