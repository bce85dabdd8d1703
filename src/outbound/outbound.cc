#include "outbound/outbound.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <charconv>
#include <cstring>

namespace lepton::outbound {

namespace {

using Bytes = std::array<uint8_t, 16>;

Bytes mapped_v4(const uint8_t v4[4]) {
  Bytes out{};
  out[10] = 0xff;
  out[11] = 0xff;
  std::memcpy(out.data() + 12, v4, 4);
  return out;
}

bool is_mapped(const Bytes& a) {
  for (int i = 0; i < 10; ++i)
    if (a[i] != 0) return false;
  return a[10] == 0xff && a[11] == 0xff;
}

// ::a.b.c.d (IPv4-compatible, deprecated) but not :: or ::1.
bool is_compatible(const Bytes& a) {
  for (int i = 0; i < 12; ++i)
    if (a[i] != 0) return false;
  return !(a[12] == 0 && a[13] == 0 && a[14] == 0 && a[15] <= 1);
}

std::optional<Bytes> parse_ip(std::string_view text) {
  std::string s(text);
  uint8_t buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return mapped_v4(buf);
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    Bytes out;
    std::memcpy(out.data(), buf, 16);
    return out;
  }
  return std::nullopt;
}

bool matches(const Bytes& a, const Bytes& net, int prefix) {
  int full = prefix / 8;
  for (int i = 0; i < full; ++i)
    if (a[i] != net[i]) return false;
  int rest = prefix % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (net[full] & mask);
}

bool in_v4(const Bytes& a, uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3, int prefix) {
  uint8_t v4[4] = {b0, b1, b2, b3};
  return matches(a, mapped_v4(v4), 96 + prefix);
}

bool in_v6(const Bytes& a, std::initializer_list<uint8_t> head, int prefix) {
  Bytes net{};
  size_t i = 0;
  for (uint8_t b : head) net[i++] = b;
  return matches(a, net, prefix);
}

BlockedNetworks g_blocked;
std::mutex g_limiter_mu;
std::shared_ptr<RequestLimiter> g_limiter;

}  // namespace

bool is_private(const Bytes& a) {
  if (is_mapped(a)) {
    if (in_v4(a, 0, 0, 0, 0, 8)) return true;        // "this network"
    if (in_v4(a, 10, 0, 0, 0, 8)) return true;       // RFC 1918
    if (in_v4(a, 100, 64, 0, 0, 10)) return true;    // shared address space (CGNAT)
    if (in_v4(a, 127, 0, 0, 0, 8)) return true;      // loopback
    if (in_v4(a, 169, 254, 0, 0, 16)) return true;   // link-local
    if (in_v4(a, 172, 16, 0, 0, 12)) return true;    // RFC 1918
    if (in_v4(a, 192, 0, 0, 0, 24))                  // IETF protocol assignments,
      return !(a[15] == 9 || a[15] == 10);           // but for two anycast addresses
    if (in_v4(a, 192, 0, 2, 0, 24)) return true;     // documentation
    if (in_v4(a, 192, 168, 0, 0, 16)) return true;   // RFC 1918
    if (in_v4(a, 198, 18, 0, 0, 15)) return true;    // benchmarking
    if (in_v4(a, 198, 51, 100, 0, 24)) return true;  // documentation
    if (in_v4(a, 203, 0, 113, 0, 24)) return true;   // documentation
    if (in_v4(a, 240, 0, 0, 0, 4)) return true;      // reserved, broadcast
    return false;
  }
  Bytes zero{};
  if (a == zero) return true;                                           // unspecified
  if (in_v6(a, {}, 127) && a[15] == 1) return true;                     // loopback
  if (in_v6(a, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48)) return true;  // local NAT64
  if (in_v6(a, {0x01, 0x00}, 64)) return true;                          // discard-only
  if (in_v6(a, {0x20, 0x01, 0x0d, 0xb8}, 32)) return true;              // documentation
  if (in_v6(a, {0x20, 0x01, 0x00}, 23)) return true;                    // IETF assignments
  if (in_v6(a, {0xfc}, 7)) return true;                                 // unique local
  if (in_v6(a, {0xfe, 0x80}, 10)) return true;                          // link-local
  if (a[0] == 0xff) return (a[1] & 0x0f) != 0x0e;                       // non-global multicast
  return false;
}

Result<BlockedNetworks> BlockedNetworks::parse(const std::vector<std::string>& entries) {
  BlockedNetworks out;
  for (const auto& entry : entries) {
    if (entry == "private") {
      out.block_private_ = true;
      continue;
    }
    auto slash = entry.find('/');
    std::string_view ip = std::string_view(entry).substr(0, slash);
    auto bytes = parse_ip(ip);
    bool v4 = ip.find(':') == std::string_view::npos;
    int max = v4 ? 32 : 128;
    int prefix = max;
    if (bytes && slash != std::string::npos) {
      std::string_view p = std::string_view(entry).substr(slash + 1);
      auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
      if (p.empty() || ec != std::errc() || end != p.data() + p.size() || prefix < 0 ||
          prefix > max)
        bytes.reset();
    }
    if (!bytes)
      return fail(
          "[outbound_networking] block_networks: '{}' is neither an IP network in CIDR notation "
          "(e.g. \"10.0.0.0/8\", \"fd00::/8\") nor the keyword \"private\"",
          entry);
    out.networks_.push_back(Network{*bytes, v4 ? prefix + 96 : prefix, entry});
  }
  return out;
}

bool BlockedNetworks::blocked16(const Bytes& a) const {
  if (block_private_ && is_private(a)) return true;
  for (const auto& n : networks_)
    if (matches(a, n.address, n.prefix)) return true;
  if (is_compatible(a)) return blocked16(mapped_v4(a.data() + 12));
  return false;
}

bool BlockedNetworks::is_blocked(const sockaddr* addr) const {
  if (empty() || addr == nullptr) return false;
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    return blocked16(mapped_v4(reinterpret_cast<const uint8_t*>(&in->sin_addr)));
  }
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    Bytes a;
    std::memcpy(a.data(), &in6->sin6_addr, 16);
    return blocked16(a);
  }
  return false;
}

bool BlockedNetworks::is_blocked(std::string_view ip) const {
  if (empty()) return false;
  if (ip.starts_with("[") && ip.ends_with("]")) ip = ip.substr(1, ip.size() - 2);
  auto bytes = parse_ip(ip);
  return bytes && blocked16(*bytes);
}

void set_blocked_networks(BlockedNetworks networks) { g_blocked = std::move(networks); }
const BlockedNetworks& blocked_networks() { return g_blocked; }

std::string ip_text(const sockaddr* addr) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (addr->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr, buf, sizeof buf);
  else if (addr->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr, buf, sizeof buf);
  return buf;
}

Status check_address(const sockaddr* addr) {
  if (!g_blocked.is_blocked(addr)) return {};
  return fail(
      "{}: {} is in a network blocked by the runtime config ([outbound_networking] "
      "block_networks)",
      kProhibited, ip_text(addr));
}

Result<std::vector<sockaddr_storage>> resolve_allowed(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string h = host;
  if (h.starts_with("[") && h.ends_with("]")) h = h.substr(1, h.size() - 2);
  int rc = ::getaddrinfo(h.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0) return fail("resolving {}: {}", host, gai_strerror(rc));
  std::vector<sockaddr_storage> out;
  std::string blocked;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    if (g_blocked.is_blocked(ai->ai_addr)) {
      if (blocked.empty()) blocked = ip_text(ai->ai_addr);
      continue;
    }
    sockaddr_storage s{};
    std::memcpy(&s, ai->ai_addr, ai->ai_addrlen);
    out.push_back(s);
  }
  ::freeaddrinfo(res);
  if (out.empty() && !blocked.empty())
    return fail(
        "{}: {} resolves to {}, which is in a network blocked by the runtime config "
        "([outbound_networking] block_networks)",
        kProhibited, host, blocked);
  if (out.empty()) return fail("resolving {}: no addresses", host);
  return out;
}

Status RequestLimiter::acquire(std::optional<SteadyTime> until) {
  if (Suspendable* task = Suspendable::current()) {
    {
      std::lock_guard lock(mu_);
      if (free_ > 0) {
        --free_;
        return {};
      }
      waiting_.push_back(task);
    }
    for (;;) {
      Status s = task->suspend_until(
          [&] {
            std::lock_guard lock(mu_);
            return free_ > 0;
          },
          until);
      std::lock_guard lock(mu_);
      if (s.ok() && free_ > 0) {
        --free_;
        std::erase(waiting_, task);
        return {};
      }
      if (!s.ok() || (until && SteadyClock::now() >= *until)) {
        std::erase(waiting_, task);
        if (!s.ok()) return std::move(s).error().context("waiting for an outbound HTTP slot");
        return fail(
            "timed out waiting for an outbound HTTP slot ([outbound_http] "
            "max_concurrent_requests)");
      }
    }
  }
  std::unique_lock lock(mu_);
  auto has_slot = [&] { return free_ > 0; };
  if (until) {
    if (!cv_.wait_until(lock, *until, has_slot))
      return fail(
          "timed out waiting for an outbound HTTP slot ([outbound_http] "
          "max_concurrent_requests)");
  } else {
    cv_.wait(lock, has_slot);
  }
  --free_;
  return {};
}

void RequestLimiter::release() {
  {
    std::lock_guard lock(mu_);
    ++free_;
    for (Suspendable* task : waiting_) task->wake();
  }
  cv_.notify_one();
}

void set_max_concurrent_http_requests(std::optional<int64_t> max_concurrent_requests) {
  std::lock_guard lock(g_limiter_mu);
  if (!max_concurrent_requests || *max_concurrent_requests < 0) {
    g_limiter.reset();
    return;
  }
  g_limiter = std::make_shared<RequestLimiter>(static_cast<size_t>(*max_concurrent_requests) + 1);
}

HttpPermit::HttpPermit() {
  std::lock_guard lock(g_limiter_mu);
  limiter_ = g_limiter;
}

Status HttpPermit::acquire(std::optional<SteadyTime> until) {
  if (!limiter_ || held_) return {};
  LEPTON_CHECK(limiter_->acquire(until));
  held_ = true;
  return {};
}

HttpPermit::~HttpPermit() {
  if (limiter_ && held_) limiter_->release();
}

}  // namespace lepton::outbound
