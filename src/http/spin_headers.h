// The spin-* request headers Spin adds for the Spin-ABI and wasi-http executors
// (spin/crates/trigger-http/src/headers.rs: compute_default_headers + prepare_request_headers).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/message.h"
#include "http/router.h"

namespace lepton::http {

struct SpinRequestFacts {
  // The server's scheme: "http" or "https" ("http" for a service-chaining request).
  std::string_view scheme = "http";
  // The Host header as received; Spin uses "localhost" when there is none.
  std::optional<std::string_view> host;
  // The request target's path and query as received ("/a/b?x=1"), not decoded.
  std::string_view path_and_query;
  // The peer as Rust prints a SocketAddr: "127.0.0.1:51234", "[::1]:51234";
  // "0.0.0.0:0" for a service-chaining request.
  std::string_view client_addr;
};

// The headers, in Spin's order: spin-path-info, spin-full-url, spin-matched-route,
// spin-base-path, spin-raw-component-route, spin-component-route, spin-client-addr, then
// spin-path-match-<name> per ":name" capture (name lowercased, '_' -> '-'). Values:
//   spin-full-url   = <scheme>://<host><path_and_query>
//   spin-path-info  = the wildcard tail (RouteMatch::path_info)
//   spin-matched-route = RouteMatch::based_route ("" for the root route "/")
//   spin-base-path  = "/" always
// Spin appends these after the request's own headers (a client-sent spin-* header stays too).
// The wasi-http executor drops a header whose name is not a valid HTTP token.
std::vector<std::pair<std::string, std::string>> spin_headers(const RouteMatch& match,
                                                              const SpinRequestFacts& facts);
// The same headers appended to `out` (what the trigger hands to executors).
void append_spin_headers(const RouteMatch& match, const SpinRequestFacts& facts,
                         std::vector<Header>& out);

// Formats a peer address the way Rust's SocketAddr Display does ("[::1]:80" for IPv6).
std::string format_socket_addr(std::string_view ip, uint16_t port);

}  // namespace lepton::http
