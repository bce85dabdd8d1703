// App-wide policy for outbound connections, from the runtime config: which destination IP
// networks are blocked ([outbound_networking] block_networks) and how many outbound HTTP requests
// may be in flight at once ([outbound_http] max_concurrent_requests).
//
// Every client that opens a network connection for a guest (wasi:http / Spin 1 HTTP, wasi:sockets,
// Redis; Postgres, MySQL, MQTT likewise) checks each resolved address with check_address() after
// DNS resolution and before connecting, or resolves through resolve_allowed(), which does both.
// The policy is set once at startup (`lepton up`) before any request is served, and is read-only
// afterwards; the default blocks nothing and limits nothing.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/suspend.h"

namespace lepton::outbound {

// An IP network in CIDR notation (IPv4 addresses are kept as IPv4-mapped IPv6).
struct Network {
  std::array<uint8_t, 16> address{};  // IPv6 or IPv4-mapped
  int prefix = 0;                     // over the 128-bit form
  std::string text;                   // as written
};

// Spin's block_networks: CIDRs ("10.0.0.0/8", "::1/128", or a bare address = /32, /128) and the
// keyword "private" (every address that is not globally routable: loopback, RFC 1918, link-local,
// CGNAT, documentation, unique-local, ...). IPv4-mapped and IPv4-compatible IPv6 addresses are
// also checked as the IPv4 address they carry.
class BlockedNetworks {
 public:
  BlockedNetworks() = default;
  // The error names the entry that is neither a CIDR nor "private".
  static Result<BlockedNetworks> parse(const std::vector<std::string>& entries);

  bool empty() const { return !block_private_ && networks_.empty(); }
  bool is_blocked(const sockaddr* addr) const;
  // A numeric IPv4 or IPv6 address; a name that is not an IP address is never blocked here.
  bool is_blocked(std::string_view ip) const;

 private:
  bool blocked16(const std::array<uint8_t, 16>& a) const;
  std::vector<Network> networks_;
  bool block_private_ = false;
};

// True when `a` (16-byte form, IPv4 mapped) is not globally routable.
bool is_private(const std::array<uint8_t, 16>& a);

// ---- the process-wide policy ------------------------------------------------------------------

// Set once at startup, before requests are served.
void set_blocked_networks(BlockedNetworks networks);
const BlockedNetworks& blocked_networks();

// The error message every client uses for a blocked destination (wasi:http maps it to
// `destination-IP-prohibited`).
constexpr std::string_view kProhibited = "destination IP prohibited";

// OK, or an error "destination IP prohibited: <ip> is in a network blocked by the runtime config
// ([outbound_networking] block_networks)".
Status check_address(const sockaddr* addr);

// Resolves host:port (getaddrinfo, TCP) and drops blocked addresses. Errors: resolution failed,
// or every address is blocked (the kProhibited message).
Result<std::vector<sockaddr_storage>> resolve_allowed(const std::string& host, uint16_t port);

// Formats an address ("127.0.0.1", "::1") for messages.
std::string ip_text(const sockaddr* addr);

// ---- [outbound_http] max_concurrent_requests --------------------------------------------------

// Limits outbound HTTP requests in flight across the app. Spin's semantics: the limit N admits
// N + 1 requests at once (Spin sizes its semaphore max_concurrent_requests + 1, so 0 still lets
// one request through); the others wait for a slot.
// A guest task waiting for a slot is suspended (common/suspend.h), a plain thread blocks; neither
// waits past `until`.
class RequestLimiter {
 public:
  explicit RequestLimiter(size_t slots) : free_(slots) {}
  Status acquire(std::optional<SteadyTime> until);
  void release();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Suspendable*> waiting_;  // tasks suspended in acquire()
  size_t free_;
};

// nullopt: unlimited (the default).
void set_max_concurrent_http_requests(std::optional<int64_t> max_concurrent_requests);

// Holds one outbound HTTP slot from acquire() to its end (no-op when unlimited).
class HttpPermit {
 public:
  HttpPermit();
  ~HttpPermit();
  // Waits for a slot, at most until `until` (and the waiting task's deadline): an Error then.
  Status acquire(std::optional<SteadyTime> until = {});
  HttpPermit(const HttpPermit&) = delete;
  HttpPermit& operator=(const HttpPermit&) = delete;

 private:
  std::shared_ptr<RequestLimiter> limiter_;
  bool held_ = false;
};

}  // namespace lepton::outbound
