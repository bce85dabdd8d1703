// wasi:sockets 0.2 (network, instance-network, ip-name-lookup, tcp, tcp-create-socket, udp,
// udp-create-socket) over non-blocking POSIX sockets, every remote address checked against the
// component's allowed_outbound_hosts (Config::allowed_hosts) the way Spin checks them.
//
// Permissions (Spin's socket_addr_check, spin-factor-outbound-networking):
//   tcp connect            "tcp" scheme on the remote address, else access-denied
//   udp stream(remote)     "udp" scheme on the remote address, else access-denied
//   udp send               "udp" scheme on each datagram's address, else access-denied
//   udp bind               the unspecified address (0.0.0.0 / ::) with any port is allowed; a
//                          specific address is checked with the "udp" scheme (as Spin's UdpBind)
//   tcp bind               the unspecified address is allowed (it reaches no one: the connect is
//                          what is checked); a specific address is access-denied (Spin denies
//                          every TcpBind)
//   tcp listen / accept    not-supported (a request handler has no business serving)
//   ip-name-lookup         only when some entry could permit a name: host `*`, a CIDR, a literal
//                          domain equal to the name or a `*.domain` covering it; otherwise
//                          permanent-resolver-failure (what Wasmtime answers when name lookup
//                          is disabled). IP literals are returned as they are.
// No Config, no allowed_hosts or no entries: every check fails.
//
// Waiting: a socket pollable checks its descriptor with poll(2). Waiting on it alone
// (pollable.block, blocking-read, ...) sleeps in poll(2) until ready or the request's deadline;
// waiting on several at once (wasi:io/poll#poll) goes through wait_any, which knows nothing of
// descriptors, so the pollable asks it to look again after a short, growing interval (0.25 ms up
// to 8 ms).
#include "wasi2/sockets.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "app/allowed_hosts.h"
#include "outbound/outbound.h"
#include "wasi2/host_util.h"
#include "wasi2/wasi2.h"

namespace lepton::wasi2 {

using component::InstanceState;
using component::ObjectTable;
using component::Val;
using detail::define;
using detail::HostCall;
namespace ty = component::ty;

namespace {

// error-code, in WIT order (the case index is the ABI value).
enum class Code : uint32_t {
  kUnknown,
  kAccessDenied,
  kNotSupported,
  kInvalidArgument,
  kOutOfMemory,
  kTimeout,
  kConcurrencyConflict,
  kNotInProgress,
  kWouldBlock,
  kInvalidState,
  kNewSocketLimit,
  kAddressNotBindable,
  kAddressInUse,
  kRemoteUnreachable,
  kConnectionRefused,
  kConnectionReset,
  kConnectionAborted,
  kDatagramTooLarge,
  kNameUnresolvable,
  kTemporaryResolverFailure,
  kPermanentResolverFailure,
};
const std::vector<std::string> kCodeLabels = {"unknown",
                                              "access-denied",
                                              "not-supported",
                                              "invalid-argument",
                                              "out-of-memory",
                                              "timeout",
                                              "concurrency-conflict",
                                              "not-in-progress",
                                              "would-block",
                                              "invalid-state",
                                              "new-socket-limit",
                                              "address-not-bindable",
                                              "address-in-use",
                                              "remote-unreachable",
                                              "connection-refused",
                                              "connection-reset",
                                              "connection-aborted",
                                              "datagram-too-large",
                                              "name-unresolvable",
                                              "temporary-resolver-failure",
                                              "permanent-resolver-failure"};
constexpr std::string_view kNetworkDomain = "wasi:sockets/network";

Code from_errno(int e) {
  switch (e) {
    case EACCES:
    case EPERM:
      return Code::kAccessDenied;
    case EAGAIN:
      return Code::kWouldBlock;
    case EINVAL:
    case EAFNOSUPPORT:
    case EDESTADDRREQ:
      return Code::kInvalidArgument;
    case EMFILE:
    case ENFILE:
      return Code::kNewSocketLimit;
    case ENOMEM:
    case ENOBUFS:
      return Code::kOutOfMemory;
    case EADDRINUSE:
      return Code::kAddressInUse;
    case EADDRNOTAVAIL:
      return Code::kAddressNotBindable;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case EHOSTDOWN:
      return Code::kRemoteUnreachable;
    case ECONNREFUSED:
      return Code::kConnectionRefused;
    case ECONNRESET:
    case EPIPE:
      return Code::kConnectionReset;
    case ECONNABORTED:
      return Code::kConnectionAborted;
    case ETIMEDOUT:
      return Code::kTimeout;
    case EMSGSIZE:
      return Code::kDatagramTooLarge;
    case EOPNOTSUPP:
    case ENOPROTOOPT:
      return Code::kNotSupported;
    case EISCONN:
    case ENOTCONN:
    case EALREADY:
      return Code::kInvalidState;
    default:
      return Code::kUnknown;
  }
}

Val code_val(Code c) { return Val::enum_(static_cast<uint32_t>(c)); }
Val err(Code c) { return Val::err(code_val(c)); }
Val err_errno(int e) { return err(from_errno(e)); }

// A stream error carrying its error-code, for network-error-code.
StreamError stream_failure(int e) {
  return StreamError::failed(
      IoError{std::strerror(e), std::string(kNetworkDomain), code_val(from_errno(e))});
}

// ---- Addresses -------------------------------------------------------------------------------

enum Family : uint32_t { kIpv4 = 0, kIpv6 = 1 };

int af_of(uint32_t family) { return family == kIpv4 ? AF_INET : AF_INET6; }

struct SockAddr {
  sockaddr_storage storage{};
  socklen_t len = 0;

  int family() const { return storage.ss_family; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
  const sockaddr_in& v4() const { return *reinterpret_cast<const sockaddr_in*>(&storage); }
  const sockaddr_in6& v6() const { return *reinterpret_cast<const sockaddr_in6*>(&storage); }
  uint16_t port() const { return ntohs(family() == AF_INET ? v4().sin_port : v6().sin6_port); }
  bool unspecified() const {
    if (family() == AF_INET) return v4().sin_addr.s_addr == htonl(INADDR_ANY);
    return IN6_IS_ADDR_UNSPECIFIED(&v6().sin6_addr);
  }
  // The IP as AllowedHosts and Spin spell it: dotted IPv4, or IPv6 without brackets.
  std::string host() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (family() == AF_INET)
      ::inet_ntop(AF_INET, &v4().sin_addr, buf, sizeof buf);
    else
      ::inet_ntop(AF_INET6, &v6().sin6_addr, buf, sizeof buf);
    return buf;
  }
};

// ip-socket-address -> sockaddr. The shapes are fixed by the WIT types, so a mismatch is a trap.
Result<SockAddr> sockaddr_of(const Val& v) {
  if (v.payload() == nullptr) return fail("wasi:sockets: ip-socket-address without payload");
  std::span<const Val> f = v.payload()->items();
  SockAddr out;
  if (v.case_index() == kIpv4) {
    if (f.size() != 2 || f[1].items().size() != 4)
      return fail("wasi:sockets: malformed ipv4-socket-address");
    auto& a = *reinterpret_cast<sockaddr_in*>(&out.storage);
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(f[0].as_uint()));
    uint32_t ip = 0;
    for (const Val& octet : f[1].items()) ip = (ip << 8) | static_cast<uint32_t>(octet.as_uint());
    a.sin_addr.s_addr = htonl(ip);
    out.len = sizeof(sockaddr_in);
    return out;
  }
  if (f.size() != 4 || f[2].items().size() != 8)
    return fail("wasi:sockets: malformed ipv6-socket-address");
  auto& a = *reinterpret_cast<sockaddr_in6*>(&out.storage);
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(static_cast<uint16_t>(f[0].as_uint()));
  a.sin6_flowinfo = htonl(static_cast<uint32_t>(f[1].as_uint()));
  for (size_t i = 0; i < 8; ++i) {
    auto seg = static_cast<uint16_t>(f[2].items()[i].as_uint());
    a.sin6_addr.s6_addr[2 * i] = static_cast<uint8_t>(seg >> 8);
    a.sin6_addr.s6_addr[2 * i + 1] = static_cast<uint8_t>(seg & 0xff);
  }
  a.sin6_scope_id = static_cast<uint32_t>(f[3].as_uint());
  out.len = sizeof(sockaddr_in6);
  return out;
}

Val ipv4_val(const in_addr& a) {
  uint32_t ip = ntohl(a.s_addr);
  return Val::tuple({Val::u8(static_cast<uint8_t>(ip >> 24)),
                     Val::u8(static_cast<uint8_t>(ip >> 16)),
                     Val::u8(static_cast<uint8_t>(ip >> 8)), Val::u8(static_cast<uint8_t>(ip))});
}
Val ipv6_val(const in6_addr& a) {
  std::vector<Val> segs;
  for (size_t i = 0; i < 8; ++i)
    segs.push_back(Val::u16(static_cast<uint16_t>((a.s6_addr[2 * i] << 8) | a.s6_addr[2 * i + 1])));
  return Val::tuple(std::move(segs));
}

Val socket_address_val(const SockAddr& a) {
  if (a.family() == AF_INET)
    return Val::variant(kIpv4, Val::record({Val::u16(a.port()), ipv4_val(a.v4().sin_addr)}));
  return Val::variant(kIpv6,
                      Val::record({Val::u16(a.port()), Val::u32(ntohl(a.v6().sin6_flowinfo)),
                                   ipv6_val(a.v6().sin6_addr), Val::u32(a.v6().sin6_scope_id)}));
}

// The checks every remote address gets before the permission check (Wasmtime's): right family,
// a real destination (not unspecified, not port 0, no IPv4-mapped IPv6).
bool valid_remote(const SockAddr& a, int family) {
  if (a.family() != family || a.unspecified() || a.port() == 0) return false;
  if (a.family() == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&a.v6().sin6_addr)) return false;
  return true;
}

const Config* config_of(InstanceState& instance) { return instance.find<Config>(); }

// Whether allowed_outbound_hosts lets the guest reach `a` with `scheme` ("tcp", "udp").
bool permitted(InstanceState& instance, std::string_view scheme, const SockAddr& a) {
  const Config* c = config_of(instance);
  if (c == nullptr || c->allowed_hosts == nullptr || c->allowed_hosts->empty()) return false;
  if (!c->allowed_hosts->allows(scheme, a.host(), a.port())) return false;
  // [outbound_networking] block_networks wins over allowed_outbound_hosts (as in Spin).
  return !outbound::blocked_networks().is_blocked(a.get());
}

// Whether some entry could permit a connection to a host named `name` (lowercase).
bool lookup_permitted(InstanceState& instance, const std::string& name) {
  const Config* c = config_of(instance);
  if (c == nullptr || c->allowed_hosts == nullptr) return false;
  using Kind = app::AllowedHosts::Entry::HostKind;
  for (const auto& e : c->allowed_hosts->entries()) {
    switch (e.host_kind) {
      case Kind::kAny:
      case Kind::kCidr:  // the name may resolve into the range
        return true;
      case Kind::kAnySubdomain:
        if (name.size() > e.subdomain_suffix.size() && name.ends_with(e.subdomain_suffix))
          return true;
        break;
      case Kind::kLiteral:
        if (e.literal.kind == app::AllowedHosts::Host::Kind::kDomain && e.literal.domain == name)
          return true;
        break;
      case Kind::kSelf:
        break;
    }
  }
  return false;
}

// ---- Descriptors and pollables ---------------------------------------------------------------

// One socket descriptor, shared by the socket and its streams and pollables: closed when the last
// of them is dropped.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};
using FdPtr = std::shared_ptr<Fd>;

Result<FdPtr> new_socket(int family, int type, int& error) {
  int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = errno;
    return fail("socket: {}", std::strerror(errno));
  }
  if (family == AF_INET6) {
    int one = 1;  // the WIT's ipv6 sockets are ipv6-only (no IPv4-mapped traffic)
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  }
  return std::make_shared<Fd>(fd);
}

// Whether `events` are pending on `fd` within `timeout_ms` (-1: forever). Errors and hang-ups
// count as ready: the next operation reports them.
bool poll_fd(int fd, short events, int timeout_ms) {
  struct pollfd p{fd, events, 0};
  for (;;) {
    int n = ::poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    return n != 0;  // n < 0 (EBADF, ...): ready, so the caller sees the error
  }
}

class FdPollable final : public Pollable {
 public:
  FdPollable(FdPtr fd, short events) : fd_(std::move(fd)), events_(events) {}
  bool ready() override {
    if (poll_fd(fd_->fd, events_, 0)) {
      backoff_ = kMinBackoff;
      return true;
    }
    return false;
  }
  std::optional<Clock::time_point> ready_at() override {
    auto at = Clock::now() + backoff_;
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
    return at;
  }
  bool block(Deadline deadline) override {
    // A guest task must not sleep in poll(2): it waits suspended, looking again on the growing
    // interval of ready_at().
    if (Suspendable::current() != nullptr) return Pollable::block(deadline);
    for (;;) {
      int timeout = -1;
      if (deadline) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count();
        if (left <= 0) return poll_fd(fd_->fd, events_, 0);
        timeout = static_cast<int>(std::min<int64_t>(left, INT_MAX));
      }
      if (poll_fd(fd_->fd, events_, timeout)) return true;
      if (deadline && Clock::now() >= *deadline) return false;
    }
  }

 private:
  static constexpr std::chrono::microseconds kMinBackoff{250};
  static constexpr std::chrono::microseconds kMaxBackoff{8000};
  FdPtr fd_;
  short events_;
  std::chrono::microseconds backoff_ = kMinBackoff;
};

// ---- TCP streams -----------------------------------------------------------------------------

class TcpInputStream final : public InputStream {
 public:
  explicit TcpInputStream(FdPtr fd) : fd_(std::move(fd)) {}
  StreamResult<std::string> read(uint64_t len) override {
    if (eof_) return StreamError::end();
    if (len == 0) return std::string();
    std::string buf(static_cast<size_t>(std::min(len, kMaxTransfer)), '\0');
    for (;;) {
      ssize_t n = ::recv(fd_->fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n > 0) {
        buf.resize(static_cast<size_t>(n));
        return buf;
      }
      if (n == 0) {
        eof_ = true;
        return StreamError::end();
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return std::string();
      eof_ = true;
      return stream_failure(errno);
    }
  }
  std::unique_ptr<Pollable> subscribe() override {
    return std::make_unique<FdPollable>(fd_, POLLIN);
  }

 private:
  FdPtr fd_;
  bool eof_ = false;
};

// Bytes the socket did not take yet wait in `pending_`; check_write allows more only once they
// are gone, so the buffer never exceeds one permitted write.
class TcpOutputStream final : public OutputStream {
 public:
  explicit TcpOutputStream(FdPtr fd) : fd_(std::move(fd)) {}
  StreamResult<uint64_t> check_write() override {
    if (failed_) return StreamError::end();
    StreamStatus drained = drain();
    if (!drained.ok()) return std::move(drained.error());
    if (!pending_.empty()) return uint64_t{0};
    return poll_fd(fd_->fd, POLLOUT, 0) ? kChunk : uint64_t{0};
  }
  StreamStatus write(std::string_view data) override {
    if (failed_) return StreamError::end();
    if (!pending_.empty() || data.size() > kChunk)
      return StreamError::failed("tcp output-stream: write exceeds what check-write permitted");
    pending_.assign(data);
    return drain();
  }
  StreamStatus flush() override {
    if (failed_) return StreamError::end();
    return drain();
  }
  std::unique_ptr<Pollable> subscribe() override {
    return std::make_unique<FdPollable>(fd_, POLLOUT);
  }

 private:
  // Sends what the socket takes now; the rest stays pending.
  StreamStatus drain() {
    size_t done = 0;
    while (done < pending_.size()) {
      ssize_t n = ::send(fd_->fd, pending_.data() + done, pending_.size() - done,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n >= 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      int e = errno;
      failed_ = true;  // after a failure the stream is closed, as the WIT says
      pending_.clear();
      return stream_failure(e);
    }
    pending_.erase(0, done);
    return stream_ok();
  }

  static constexpr uint64_t kChunk = 64 * 1024;
  FdPtr fd_;
  std::string pending_;
  bool failed_ = false;
};

// ---- UDP streams -----------------------------------------------------------------------------

// What a udp-socket's streams share with it: calling `stream` again replaces the streams, and
// the old ones then fail with invalid-state.
struct UdpShared {
  FdPtr fd;
  int family = AF_INET;
  uint64_t generation = 0;
  std::optional<SockAddr> remote;  // set by stream(some(addr)): the connected peer
};

struct IncomingStream {
  std::shared_ptr<UdpShared> udp;
  uint64_t generation;
};
struct OutgoingStream {
  std::shared_ptr<UdpShared> udp;
  uint64_t generation;
  uint64_t permit = 0;  // datagrams check-send allowed and send has not used yet
};

// ---- Sockets ---------------------------------------------------------------------------------

struct TcpSocket {
  enum class State { kUnbound, kBindStarted, kBound, kConnecting, kConnected, kClosed };
  FdPtr fd;
  int family = AF_INET;
  State state = State::kUnbound;
  int connect_error = 0;  // a connect that failed at once, reported by finish-connect
};

// At most this many datagrams per receive or per check-send permit.
constexpr uint64_t kBatch = 64;

struct UdpSocket {
  enum class State { kUnbound, kBindStarted, kBound };
  std::shared_ptr<UdpShared> shared;
  State state = State::kUnbound;
};

struct ResolveStream {
  std::vector<Val> addresses;  // ip-address values
  size_t next = 0;
};

struct Network {};

struct SocketsState {
  ObjectTable<Network> networks;
  ObjectTable<TcpSocket> tcp;
  ObjectTable<UdpSocket> udp;
  ObjectTable<IncomingStream> incoming;
  ObjectTable<OutgoingStream> outgoing;
  ObjectTable<ResolveStream> resolves;
};

SocketsState& sockets(InstanceState& instance) { return instance.state<SocketsState>(); }

template <typename T>
Result<T*> lookup(ObjectTable<T>& table, uint32_t rep, std::string_view what) {
  T* p = table.get(rep);
  if (p == nullptr) return fail("wasi:sockets: unknown {} {}", what, rep);
  return p;
}

Status check_network(InstanceState& instance, const Val& v) {
  if (sockets(instance).networks.get(v.rep()) == nullptr)
    return fail("wasi:sockets: unknown network {}", v.rep());
  return {};
}

// ---- Socket options --------------------------------------------------------------------------

Val get_int_opt(int fd, int level, int name, const std::function<Val(int)>& make) {
  int v = 0;
  socklen_t len = sizeof v;
  if (::getsockopt(fd, level, name, &v, &len) != 0) return err_errno(errno);
  return Val::ok(make(v));
}

Val set_int_opt(int fd, int level, int name, int v) {
  if (::setsockopt(fd, level, name, &v, sizeof v) != 0) return err_errno(errno);
  return Val::ok();
}

int clamp_int(uint64_t v) { return static_cast<int>(std::min<uint64_t>(v, INT_MAX)); }

int hop_level(int family) { return family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6; }
int hop_name(int family) { return family == AF_INET ? IP_TTL : IPV6_UNICAST_HOPS; }

Val get_hop_limit(int fd, int family) {
  return get_int_opt(fd, hop_level(family), hop_name(family),
                     [](int v) { return Val::u8(static_cast<uint8_t>(std::clamp(v, 0, 255))); });
}
Val set_hop_limit(int fd, int family, uint64_t v) {
  if (v == 0) return err(Code::kInvalidArgument);
  return set_int_opt(fd, hop_level(family), hop_name(family), static_cast<int>(v));
}

// Linux reports twice the size set (its bookkeeping overhead); the guest sees what it set.
Val get_buffer_size(int fd, int name) {
  return get_int_opt(fd, SOL_SOCKET, name,
                     [](int v) { return Val::u64(static_cast<uint64_t>(std::max(v / 2, 1))); });
}
Val set_buffer_size(int fd, int name, uint64_t v) {
  if (v == 0) return err(Code::kInvalidArgument);
  return set_int_opt(fd, SOL_SOCKET, name, clamp_int(v));
}

// Keep-alive durations are whole seconds on Linux (1..32767); nanoseconds round up.
constexpr uint64_t kNsPerSec = 1'000'000'000ull;
Val get_seconds_opt(int fd, int name) {
  return get_int_opt(fd, IPPROTO_TCP, name, [](int v) {
    return Val::u64(static_cast<uint64_t>(std::max(v, 0)) * kNsPerSec);
  });
}
Val set_seconds_opt(int fd, int name, uint64_t ns) {
  if (ns == 0) return err(Code::kInvalidArgument);
  uint64_t secs = std::clamp<uint64_t>(ns / kNsPerSec + (ns % kNsPerSec != 0 ? 1 : 0), 1, 32767);
  return set_int_opt(fd, IPPROTO_TCP, name, static_cast<int>(secs));
}

Val local_address(int fd) {
  SockAddr a;
  a.len = sizeof a.storage;
  if (::getsockname(fd, a.get(), &a.len) != 0) return err_errno(errno);
  return Val::ok(socket_address_val(a));
}
Val remote_address(int fd) {
  SockAddr a;
  a.len = sizeof a.storage;
  if (::getpeername(fd, a.get(), &a.len) != 0) return err_errno(errno);
  return Val::ok(socket_address_val(a));
}

Val family_val(int family) { return Val::enum_(family == AF_INET ? kIpv4 : kIpv6); }

// Binds `fd` to `a` (start-bind's work); ok or the error-code.
Val bind_to(int fd, int family, const SockAddr& a) {
  if (a.family() != family) return err(Code::kInvalidArgument);
  if (::bind(fd, a.get(), a.len) != 0)
    return err(errno == EADDRNOTAVAIL ? Code::kAddressNotBindable : from_errno(errno));
  return Val::ok();
}

// ---- Types -----------------------------------------------------------------------------------

struct Types {
  component::TypePtr code = ty::enum_(kCodeLabels);
  component::TypePtr family = ty::enum_({"ipv4", "ipv6"});
  component::TypePtr ipv4 = ty::tuple({ty::u8(), ty::u8(), ty::u8(), ty::u8()});
  component::TypePtr ipv6 = ty::tuple(
      {ty::u16(), ty::u16(), ty::u16(), ty::u16(), ty::u16(), ty::u16(), ty::u16(), ty::u16()});
  component::TypePtr ip_address = ty::variant({{"ipv4", ipv4}, {"ipv6", ipv6}});
  component::TypePtr socket_address =
      ty::variant({{"ipv4", ty::record({{"port", ty::u16()}, {"address", ipv4}})},
                   {"ipv6", ty::record({{"port", ty::u16()},
                                        {"flow-info", ty::u32()},
                                        {"address", ipv6},
                                        {"scope-id", ty::u32()}})}});
  component::TypePtr unit_r = ty::result(nullptr, code);
  component::TypePtr r(component::TypePtr ok) const { return ty::result(std::move(ok), code); }
};

template <typename T>
component::HostDrop drop_in(ObjectTable<T> SocketsState::* table, std::string what) {
  return detail::drop_from<SocketsState>(table, std::move(what));
}

// ---- Registration ----------------------------------------------------------------------------

void register_network(component::HostRegistry& registry, const Types& t) {
  auto error = registry.resource("wasi:io/error", "error");
  auto& iface = registry.add("wasi:sockets/network");
  iface.resource("network", drop_in(&SocketsState::networks, "network"));
  define(iface, "network-error-code", ty::func({{"err", ty::borrow(error)}}, {ty::option(t.code)}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(IoError * e, io_error(c.instance, c.args[0].rep()));
           if (e->domain == kNetworkDomain && e->code)
             c.results.push_back(Val::some(*e->code));
           else
             c.results.push_back(Val::none());
           return {};
         });

  auto network = registry.resource("wasi:sockets/network", "network");
  auto& inst = registry.add("wasi:sockets/instance-network");
  define(inst, "instance-network", ty::func({}, {ty::own(network)}), [](HostCall& c) -> Status {
    c.results.push_back(Val::own(sockets(c.instance).networks.insert(Network{})));
    return {};
  });
}

void register_ip_name_lookup(component::HostRegistry& registry, const Types& t) {
  auto network = registry.resource("wasi:sockets/network", "network");
  auto pollable_t = registry.resource("wasi:io/poll", "pollable");
  auto& iface = registry.add("wasi:sockets/ip-name-lookup");
  auto stream_t =
      iface.resource("resolve-address-stream", drop_in(&SocketsState::resolves, "resolve stream"));
  define(
      iface, "resolve-addresses",
      ty::func({{"network", ty::borrow(network)}, {"name", ty::string()}},
               {t.r(ty::own(stream_t))}),
      [](HostCall& c) -> Status {
        LEPTON_CHECK(check_network(c.instance, c.args[0]));
        std::string name = c.args[1].as_string();
        std::ranges::transform(name, name.begin(), [](char ch) {
          return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
        });
        if (name.size() > 2 && name.front() == '[' && name.back() == ']')
          name = name.substr(1, name.size() - 2);
        ResolveStream out;
        in_addr a4{};
        in6_addr a6{};
        if (::inet_pton(AF_INET, name.c_str(), &a4) == 1) {
          out.addresses.push_back(Val::variant(kIpv4, ipv4_val(a4)));
        } else if (::inet_pton(AF_INET6, name.c_str(), &a6) == 1) {
          out.addresses.push_back(Val::variant(kIpv6, ipv6_val(a6)));
        } else {
          if (name.empty() || name.find('\0') != std::string::npos || name.size() > 253) {
            c.results.push_back(err(Code::kInvalidArgument));
            return {};
          }
          if (!lookup_permitted(c.instance, name)) {
            c.results.push_back(err(Code::kPermanentResolverFailure));
            return {};
          }
          // Resolved now, synchronously (as Wasmtime's blocking getaddrinfo); the stream then
          // hands the addresses out one by one.
          addrinfo hints{};
          hints.ai_family = AF_UNSPEC;
          hints.ai_socktype = SOCK_STREAM;  // one entry per address, not per socket type
          addrinfo* res = nullptr;
          int rc = ::getaddrinfo(name.c_str(), nullptr, &hints, &res);
          if (rc != 0) {
            Code code = rc == EAI_NONAME || rc == EAI_NODATA ? Code::kNameUnresolvable
                        : rc == EAI_AGAIN                    ? Code::kTemporaryResolverFailure
                                                             : Code::kPermanentResolverFailure;
            c.results.push_back(err(code));
            return {};
          }
          for (addrinfo* p = res; p != nullptr; p = p->ai_next) {
            Val v;
            if (p->ai_family == AF_INET)
              v = Val::variant(kIpv4,
                               ipv4_val(reinterpret_cast<sockaddr_in*>(p->ai_addr)->sin_addr));
            else if (p->ai_family == AF_INET6)
              v = Val::variant(kIpv6,
                               ipv6_val(reinterpret_cast<sockaddr_in6*>(p->ai_addr)->sin6_addr));
            else
              continue;
            if (std::ranges::find(out.addresses, v) == out.addresses.end())
              out.addresses.push_back(std::move(v));
          }
          ::freeaddrinfo(res);
        }
        c.results.push_back(Val::ok(Val::own(sockets(c.instance).resolves.insert(std::move(out)))));
        return {};
      });
  auto self = ty::borrow(stream_t);
  define(iface, "[method]resolve-address-stream.resolve-next-address",
         ty::func({{"self", self}}, {t.r(ty::option(t.ip_address))}), [](HostCall& c) -> Status {
           LEPTON_TRY(ResolveStream * s,
                      lookup(sockets(c.instance).resolves, c.args[0].rep(), "resolve stream"));
           if (s->next < s->addresses.size())
             c.results.push_back(Val::ok(Val::some(s->addresses[s->next++])));
           else
             c.results.push_back(Val::ok(Val::none()));
           return {};
         });
  define(
      iface, "[method]resolve-address-stream.subscribe",
      ty::func({{"self", self}}, {ty::own(pollable_t)}), [](HostCall& c) -> Status {
        LEPTON_TRY(ResolveStream * s,
                   lookup(sockets(c.instance).resolves, c.args[0].rep(), "resolve stream"));
        (void)s;  // resolved at creation: always ready
        c.results.push_back(Val::own(add_pollable(c.instance, std::make_unique<ReadyPollable>())));
        return {};
      });
}

Result<TcpSocket*> tcp_of(HostCall& c) {
  return lookup(sockets(c.instance).tcp, c.args[0].rep(), "tcp-socket");
}

void register_tcp(component::HostRegistry& registry, const Types& t) {
  auto network = registry.resource("wasi:sockets/network", "network");
  auto pollable_t = registry.resource("wasi:io/poll", "pollable");
  auto input = registry.resource("wasi:io/streams", "input-stream");
  auto output = registry.resource("wasi:io/streams", "output-stream");
  auto& iface = registry.add("wasi:sockets/tcp");
  auto tcp_t = iface.resource("tcp-socket", drop_in(&SocketsState::tcp, "tcp-socket"));
  auto self = ty::borrow(tcp_t);
  auto shutdown_t = ty::enum_({"receive", "send", "both"});
  using State = TcpSocket::State;
  auto m = [&](std::string name,
               std::initializer_list<std::pair<std::string, component::TypePtr>> params,
               component::TypePtr result, component::HostFunction fn) {
    std::vector<std::pair<std::string, component::TypePtr>> all{{"self", self}};
    all.insert(all.end(), params.begin(), params.end());
    component::FunctionType type;
    for (auto& [n, p] : all) {
      type.param_names.push_back(n);
      type.params.push_back(p);
    }
    if (result) type.results.push_back(std::move(result));
    define(iface, "[method]tcp-socket." + name, std::move(type), std::move(fn));
  };

  m("start-bind", {{"network", ty::borrow(network)}, {"local-address", t.socket_address}}, t.unit_r,
    [](HostCall& c) -> Status {
      LEPTON_TRY(TcpSocket * s, tcp_of(c));
      LEPTON_CHECK(check_network(c.instance, c.args[1]));
      LEPTON_TRY(SockAddr a, sockaddr_of(c.args[2]));
      if (s->state != State::kUnbound) {
        c.results.push_back(err(Code::kInvalidState));
      } else if (a.family() == s->family && !a.unspecified()) {
        c.results.push_back(err(Code::kAccessDenied));
      } else {
        Val r = bind_to(s->fd->fd, s->family, a);
        if (r.case_index() == 0) s->state = State::kBindStarted;
        c.results.push_back(std::move(r));
      }
      return {};
    });
  m("finish-bind", {}, t.unit_r, [](HostCall& c) -> Status {
    LEPTON_TRY(TcpSocket * s, tcp_of(c));
    if (s->state != State::kBindStarted) {
      c.results.push_back(err(Code::kNotInProgress));
    } else {
      s->state = State::kBound;
      c.results.push_back(Val::ok());
    }
    return {};
  });
  m("start-connect", {{"network", ty::borrow(network)}, {"remote-address", t.socket_address}},
    t.unit_r, [](HostCall& c) -> Status {
      LEPTON_TRY(TcpSocket * s, tcp_of(c));
      LEPTON_CHECK(check_network(c.instance, c.args[1]));
      LEPTON_TRY(SockAddr a, sockaddr_of(c.args[2]));
      if (s->state != State::kUnbound && s->state != State::kBound) {
        c.results.push_back(err(Code::kInvalidState));
      } else if (!valid_remote(a, s->family)) {
        c.results.push_back(err(Code::kInvalidArgument));
      } else if (!permitted(c.instance, "tcp", a)) {
        c.results.push_back(err(Code::kAccessDenied));
      } else {
        int rc;
        do {
          rc = ::connect(s->fd->fd, a.get(), a.len);
        } while (rc != 0 && errno == EINTR);
        if (rc == 0 || errno == EINPROGRESS) {
          s->state = State::kConnecting;
          c.results.push_back(Val::ok());
        } else {
          // A connect that fails at once leaves the socket unusable, as in Wasmtime.
          s->state = State::kClosed;
          c.results.push_back(err_errno(errno));
        }
      }
      return {};
    });
  m("finish-connect", {}, t.r(ty::tuple({ty::own(input), ty::own(output)})),
    [](HostCall& c) -> Status {
      LEPTON_TRY(TcpSocket * s, tcp_of(c));
      if (s->state != State::kConnecting) {
        c.results.push_back(err(Code::kNotInProgress));
        return {};
      }
      if (!poll_fd(s->fd->fd, POLLOUT, 0)) {
        c.results.push_back(err(Code::kWouldBlock));
        return {};
      }
      int e = 0;
      socklen_t len = sizeof e;
      if (::getsockopt(s->fd->fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0) e = errno;
      if (e != 0) {
        s->state = State::kClosed;
        c.results.push_back(err_errno(e));
        return {};
      }
      s->state = State::kConnected;
      uint32_t in = add_input_stream(c.instance, std::make_unique<TcpInputStream>(s->fd));
      uint32_t out = add_output_stream(c.instance, std::make_unique<TcpOutputStream>(s->fd));
      c.results.push_back(Val::ok(Val::tuple({Val::own(in), Val::own(out)})));
      return {};
    });
  // Serving connections is not offered (see the top of the file).
  auto not_supported = [](HostCall& c) -> Status {
    LEPTON_TRY(TcpSocket * s, tcp_of(c));
    (void)s;
    c.results.push_back(err(Code::kNotSupported));
    return {};
  };
  m("start-listen", {}, t.unit_r, not_supported);
  m("finish-listen", {}, t.unit_r, [](HostCall& c) -> Status {
    LEPTON_TRY(TcpSocket * s, tcp_of(c));
    (void)s;
    c.results.push_back(err(Code::kNotInProgress));
    return {};
  });
  m("accept", {}, t.r(ty::tuple({ty::own(tcp_t), ty::own(input), ty::own(output)})),
    [](HostCall& c) -> Status {
      LEPTON_TRY(TcpSocket * s, tcp_of(c));
      (void)s;
      c.results.push_back(err(Code::kInvalidState));  // never listening
      return {};
    });
  m("set-listen-backlog-size", {{"value", ty::u64()}}, t.unit_r, not_supported);
  m("is-listening", {}, ty::bool_(), [](HostCall& c) -> Status {
    LEPTON_TRY(TcpSocket * s, tcp_of(c));
    (void)s;
    c.results.push_back(Val::bool_(false));
    return {};
  });
  m("local-address", {}, t.r(t.socket_address), [](HostCall& c) -> Status {
    LEPTON_TRY(TcpSocket * s, tcp_of(c));
    bool bound = s->state == State::kBound || s->state == State::kConnecting ||
                 s->state == State::kConnected;
    c.results.push_back(bound ? local_address(s->fd->fd) : err(Code::kInvalidState));
    return {};
  });
  m("remote-address", {}, t.r(t.socket_address), [](HostCall& c) -> Status {
    LEPTON_TRY(TcpSocket * s, tcp_of(c));
    c.results.push_back(s->state == State::kConnected ? remote_address(s->fd->fd)
                                                      : err(Code::kInvalidState));
    return {};
  });
  m("address-family", {}, t.family, [](HostCall& c) -> Status {
    LEPTON_TRY(TcpSocket * s, tcp_of(c));
    c.results.push_back(family_val(s->family));
    return {};
  });

  // Options: a getter and a setter over the descriptor.
  using Get = Val (*)(const TcpSocket&);
  using Set = Val (*)(const TcpSocket&, const Val&);
  auto option = [&](const std::string& name, component::TypePtr type, Get get, Set set) {
    m(name, {}, t.r(type), [get](HostCall& c) -> Status {
      LEPTON_TRY(TcpSocket * s, tcp_of(c));
      c.results.push_back(get(*s));
      return {};
    });
    m("set-" + name, {{"value", type}}, t.unit_r, [set](HostCall& c) -> Status {
      LEPTON_TRY(TcpSocket * s, tcp_of(c));
      c.results.push_back(set(*s, c.args[1]));
      return {};
    });
  };
  option(
      "keep-alive-enabled", ty::bool_(),
      [](const TcpSocket& s) {
        return get_int_opt(s.fd->fd, SOL_SOCKET, SO_KEEPALIVE,
                           [](int v) { return Val::bool_(v != 0); });
      },
      [](const TcpSocket& s, const Val& v) {
        return set_int_opt(s.fd->fd, SOL_SOCKET, SO_KEEPALIVE, v.as_bool() ? 1 : 0);
      });
  option(
      "keep-alive-idle-time", ty::u64(),
      [](const TcpSocket& s) { return get_seconds_opt(s.fd->fd, TCP_KEEPIDLE); },
      [](const TcpSocket& s, const Val& v) {
        return set_seconds_opt(s.fd->fd, TCP_KEEPIDLE, v.as_uint());
      });
  option(
      "keep-alive-interval", ty::u64(),
      [](const TcpSocket& s) { return get_seconds_opt(s.fd->fd, TCP_KEEPINTVL); },
      [](const TcpSocket& s, const Val& v) {
        return set_seconds_opt(s.fd->fd, TCP_KEEPINTVL, v.as_uint());
      });
  option(
      "keep-alive-count", ty::u32(),
      [](const TcpSocket& s) {
        return get_int_opt(s.fd->fd, IPPROTO_TCP, TCP_KEEPCNT,
                           [](int v) { return Val::u32(static_cast<uint32_t>(std::max(v, 0))); });
      },
      [](const TcpSocket& s, const Val& v) {
        if (v.as_uint() == 0) return err(Code::kInvalidArgument);
        return set_int_opt(s.fd->fd, IPPROTO_TCP, TCP_KEEPCNT,
                           static_cast<int>(std::min<uint64_t>(v.as_uint(), 127)));
      });
  option(
      "hop-limit", ty::u8(), [](const TcpSocket& s) { return get_hop_limit(s.fd->fd, s.family); },
      [](const TcpSocket& s, const Val& v) {
        return set_hop_limit(s.fd->fd, s.family, v.as_uint());
      });
  option(
      "receive-buffer-size", ty::u64(),
      [](const TcpSocket& s) { return get_buffer_size(s.fd->fd, SO_RCVBUF); },
      [](const TcpSocket& s, const Val& v) {
        return set_buffer_size(s.fd->fd, SO_RCVBUF, v.as_uint());
      });
  option(
      "send-buffer-size", ty::u64(),
      [](const TcpSocket& s) { return get_buffer_size(s.fd->fd, SO_SNDBUF); },
      [](const TcpSocket& s, const Val& v) {
        return set_buffer_size(s.fd->fd, SO_SNDBUF, v.as_uint());
      });

  m("subscribe", {}, ty::own(pollable_t), [](HostCall& c) -> Status {
    LEPTON_TRY(TcpSocket * s, tcp_of(c));
    // Only a connect in progress has something to wait for.
    std::unique_ptr<Pollable> p;
    if (s->state == State::kConnecting)
      p = std::make_unique<FdPollable>(s->fd, POLLOUT);
    else
      p = std::make_unique<ReadyPollable>();
    c.results.push_back(Val::own(add_pollable(c.instance, std::move(p))));
    return {};
  });
  m("shutdown", {{"shutdown-type", shutdown_t}}, t.unit_r, [](HostCall& c) -> Status {
    LEPTON_TRY(TcpSocket * s, tcp_of(c));
    if (s->state != State::kConnected) {
      c.results.push_back(err(Code::kInvalidState));
      return {};
    }
    static constexpr int kHow[] = {SHUT_RD, SHUT_WR, SHUT_RDWR};
    uint32_t i = std::min<uint32_t>(c.args[1].case_index(), 2);
    c.results.push_back(::shutdown(s->fd->fd, kHow[i]) == 0 ? Val::ok() : err_errno(errno));
    return {};
  });

  auto& create = registry.add("wasi:sockets/tcp-create-socket");
  define(create, "create-tcp-socket",
         ty::func({{"address-family", t.family}}, {t.r(ty::own(tcp_t))}),
         [](HostCall& c) -> Status {
           int family = af_of(c.args[0].case_index());
           int e = 0;
           auto fd = new_socket(family, SOCK_STREAM, e);
           if (!fd.ok()) {
             c.results.push_back(err_errno(e));
             return {};
           }
           TcpSocket s;
           s.fd = std::move(*fd);
           s.family = family;
           c.results.push_back(Val::ok(Val::own(sockets(c.instance).tcp.insert(std::move(s)))));
           return {};
         });
}

Result<UdpSocket*> udp_of(HostCall& c) {
  return lookup(sockets(c.instance).udp, c.args[0].rep(), "udp-socket");
}

void register_udp(component::HostRegistry& registry, const Types& t) {
  auto network = registry.resource("wasi:sockets/network", "network");
  auto pollable_t = registry.resource("wasi:io/poll", "pollable");
  auto& iface = registry.add("wasi:sockets/udp");
  auto udp_t = iface.resource("udp-socket", drop_in(&SocketsState::udp, "udp-socket"));
  auto in_t = iface.resource("incoming-datagram-stream",
                             drop_in(&SocketsState::incoming, "incoming-datagram-stream"));
  auto out_t = iface.resource("outgoing-datagram-stream",
                              drop_in(&SocketsState::outgoing, "outgoing-datagram-stream"));
  auto incoming_t =
      ty::record({{"data", ty::list(ty::u8())}, {"remote-address", t.socket_address}});
  auto outgoing_t =
      ty::record({{"data", ty::list(ty::u8())}, {"remote-address", ty::option(t.socket_address)}});
  auto self = ty::borrow(udp_t);
  using State = UdpSocket::State;
  auto m = [&](std::string name,
               std::initializer_list<std::pair<std::string, component::TypePtr>> params,
               component::TypePtr result, component::HostFunction fn) {
    component::FunctionType type;
    type.param_names.push_back("self");
    type.params.push_back(self);
    for (const auto& [n, p] : params) {
      type.param_names.push_back(n);
      type.params.push_back(p);
    }
    type.results.push_back(std::move(result));
    define(iface, "[method]udp-socket." + name, std::move(type), std::move(fn));
  };

  m("start-bind", {{"network", ty::borrow(network)}, {"local-address", t.socket_address}}, t.unit_r,
    [](HostCall& c) -> Status {
      LEPTON_TRY(UdpSocket * s, udp_of(c));
      LEPTON_CHECK(check_network(c.instance, c.args[1]));
      LEPTON_TRY(SockAddr a, sockaddr_of(c.args[2]));
      if (s->state != State::kUnbound) {
        c.results.push_back(err(Code::kInvalidState));
      } else if (a.family() == s->shared->family && !a.unspecified() &&
                 !permitted(c.instance, "udp", a)) {
        c.results.push_back(err(Code::kAccessDenied));
      } else {
        Val r = bind_to(s->shared->fd->fd, s->shared->family, a);
        if (r.case_index() == 0) s->state = State::kBindStarted;
        c.results.push_back(std::move(r));
      }
      return {};
    });
  m("finish-bind", {}, t.unit_r, [](HostCall& c) -> Status {
    LEPTON_TRY(UdpSocket * s, udp_of(c));
    if (s->state != State::kBindStarted) {
      c.results.push_back(err(Code::kNotInProgress));
    } else {
      s->state = State::kBound;
      c.results.push_back(Val::ok());
    }
    return {};
  });
  m("stream", {{"remote-address", ty::option(t.socket_address)}},
    t.r(ty::tuple({ty::own(in_t), ty::own(out_t)})), [](HostCall& c) -> Status {
      LEPTON_TRY(UdpSocket * s, udp_of(c));
      UdpShared& u = *s->shared;
      if (s->state != State::kBound) {
        c.results.push_back(err(Code::kInvalidState));
        return {};
      }
      std::optional<SockAddr> remote;
      if (c.args[1].case_index() == 1) {
        LEPTON_TRY(SockAddr a, sockaddr_of(*c.args[1].payload()));
        if (!valid_remote(a, u.family)) {
          c.results.push_back(err(Code::kInvalidArgument));
          return {};
        }
        if (!permitted(c.instance, "udp", a)) {
          c.results.push_back(err(Code::kAccessDenied));
          return {};
        }
        remote = a;
      }
      if (remote) {
        if (::connect(u.fd->fd, remote->get(), remote->len) != 0) {
          c.results.push_back(err_errno(errno));
          return {};
        }
      } else if (u.remote) {
        sockaddr unspec{};
        unspec.sa_family = AF_UNSPEC;  // dissolves the association
        ::connect(u.fd->fd, &unspec, sizeof unspec);
      }
      u.remote = remote;
      ++u.generation;  // streams from an earlier call stop working
      auto& st = sockets(c.instance);
      uint32_t in = st.incoming.insert(IncomingStream{s->shared, u.generation});
      uint32_t out = st.outgoing.insert(OutgoingStream{s->shared, u.generation, 0});
      c.results.push_back(Val::ok(Val::tuple({Val::own(in), Val::own(out)})));
      return {};
    });
  m("local-address", {}, t.r(t.socket_address), [](HostCall& c) -> Status {
    LEPTON_TRY(UdpSocket * s, udp_of(c));
    c.results.push_back(s->state == State::kBound ? local_address(s->shared->fd->fd)
                                                  : err(Code::kInvalidState));
    return {};
  });
  m("remote-address", {}, t.r(t.socket_address), [](HostCall& c) -> Status {
    LEPTON_TRY(UdpSocket * s, udp_of(c));
    c.results.push_back(s->shared->remote ? Val::ok(socket_address_val(*s->shared->remote))
                                          : err(Code::kInvalidState));
    return {};
  });
  m("address-family", {}, t.family, [](HostCall& c) -> Status {
    LEPTON_TRY(UdpSocket * s, udp_of(c));
    c.results.push_back(family_val(s->shared->family));
    return {};
  });
  m("unicast-hop-limit", {}, t.r(ty::u8()), [](HostCall& c) -> Status {
    LEPTON_TRY(UdpSocket * s, udp_of(c));
    c.results.push_back(get_hop_limit(s->shared->fd->fd, s->shared->family));
    return {};
  });
  m("set-unicast-hop-limit", {{"value", ty::u8()}}, t.unit_r, [](HostCall& c) -> Status {
    LEPTON_TRY(UdpSocket * s, udp_of(c));
    c.results.push_back(set_hop_limit(s->shared->fd->fd, s->shared->family, c.args[1].as_uint()));
    return {};
  });
  for (auto [name, opt] :
       {std::pair{"receive-buffer-size", SO_RCVBUF}, std::pair{"send-buffer-size", SO_SNDBUF}}) {
    int o = opt;
    m(name, {}, t.r(ty::u64()), [o](HostCall& c) -> Status {
      LEPTON_TRY(UdpSocket * s, udp_of(c));
      c.results.push_back(get_buffer_size(s->shared->fd->fd, o));
      return {};
    });
    m(std::string("set-") + name, {{"value", ty::u64()}}, t.unit_r, [o](HostCall& c) -> Status {
      LEPTON_TRY(UdpSocket * s, udp_of(c));
      c.results.push_back(set_buffer_size(s->shared->fd->fd, o, c.args[1].as_uint()));
      return {};
    });
  }
  m("subscribe", {}, ty::own(pollable_t), [](HostCall& c) -> Status {
    LEPTON_TRY(UdpSocket * s, udp_of(c));
    (void)s;  // binding completes at once: nothing to wait for
    c.results.push_back(Val::own(add_pollable(c.instance, std::make_unique<ReadyPollable>())));
    return {};
  });

  define(iface, "[method]incoming-datagram-stream.receive",
         ty::func({{"self", ty::borrow(in_t)}, {"max-results", ty::u64()}},
                  {t.r(ty::list(incoming_t))}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(IncomingStream * s, lookup(sockets(c.instance).incoming, c.args[0].rep(),
                                                 "incoming-datagram-stream"));
           if (s->generation != s->udp->generation) {
             c.results.push_back(err(Code::kInvalidState));
             return {};
           }
           uint64_t max = std::min(c.args[1].as_uint(), kBatch);
           std::vector<Val> out;
           std::string buf(65536, '\0');
           while (out.size() < max) {
             SockAddr from;
             from.len = sizeof from.storage;
             ssize_t n = ::recvfrom(s->udp->fd->fd, buf.data(), buf.size(), MSG_DONTWAIT,
                                    from.get(), &from.len);
             if (n < 0) {
               if (errno == EINTR) continue;
               if (errno == EAGAIN || errno == EWOULDBLOCK || !out.empty()) break;
               c.results.push_back(err_errno(errno));
               return {};
             }
             out.push_back(Val::record(
                 {Val::bytes(buf.substr(0, static_cast<size_t>(n))), socket_address_val(from)}));
           }
           c.results.push_back(Val::ok(Val::list(std::move(out))));
           return {};
         });
  define(iface, "[method]incoming-datagram-stream.subscribe",
         ty::func({{"self", ty::borrow(in_t)}}, {ty::own(pollable_t)}), [](HostCall& c) -> Status {
           LEPTON_TRY(IncomingStream * s, lookup(sockets(c.instance).incoming, c.args[0].rep(),
                                                 "incoming-datagram-stream"));
           c.results.push_back(Val::own(
               add_pollable(c.instance, std::make_unique<FdPollable>(s->udp->fd, POLLIN))));
           return {};
         });
  define(iface, "[method]outgoing-datagram-stream.check-send",
         ty::func({{"self", ty::borrow(out_t)}}, {t.r(ty::u64())}), [](HostCall& c) -> Status {
           LEPTON_TRY(OutgoingStream * s, lookup(sockets(c.instance).outgoing, c.args[0].rep(),
                                                 "outgoing-datagram-stream"));
           if (s->generation != s->udp->generation) {
             c.results.push_back(err(Code::kInvalidState));
             return {};
           }
           s->permit = poll_fd(s->udp->fd->fd, POLLOUT, 0) ? kBatch : 0;
           c.results.push_back(Val::ok(Val::u64(s->permit)));
           return {};
         });
  define(iface, "[method]outgoing-datagram-stream.send",
         ty::func({{"self", ty::borrow(out_t)}, {"datagrams", ty::list(outgoing_t)}},
                  {t.r(ty::u64())}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(OutgoingStream * s, lookup(sockets(c.instance).outgoing, c.args[0].rep(),
                                                 "outgoing-datagram-stream"));
           UdpShared& u = *s->udp;
           if (s->generation != u.generation) {
             c.results.push_back(err(Code::kInvalidState));
             return {};
           }
           std::span<const Val> dgrams = c.args[1].items();
           // The WIT: sending more than check-send permitted traps.
           if (dgrams.size() > s->permit)
             return fail("wasi:sockets: send of {} datagrams exceeds the check-send permit of {}",
                         dgrams.size(), s->permit);
           s->permit -= dgrams.size();
           // One datagram: sent, not sent for now (the socket is full), or an error-code.
           enum class Outcome { kSent, kFull, kFailed };
           auto send_one = [&](const Val& d, Code& failure) -> Result<Outcome> {
             std::span<const Val> f = d.items();
             const std::string& data = f[0].as_bytes();
             std::optional<SockAddr> to;
             if (f[1].case_index() == 1) {
               LEPTON_TRY(SockAddr a, sockaddr_of(*f[1].payload()));
               // A connected stream sends only to its peer.
               bool other_peer =
                   u.remote && (a.host() != u.remote->host() || a.port() != u.remote->port());
               if (!valid_remote(a, u.family) || other_peer) {
                 failure = Code::kInvalidArgument;
                 return Outcome::kFailed;
               }
               if (!permitted(c.instance, "udp", a)) {
                 failure = Code::kAccessDenied;
                 return Outcome::kFailed;
               }
               to = a;
             } else if (!u.remote) {
               failure = Code::kInvalidArgument;
               return Outcome::kFailed;
             }
             ssize_t n;
             do {
               n = u.remote || !to
                       ? ::send(u.fd->fd, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL)
                       : ::sendto(u.fd->fd, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                                  to->get(), to->len);
             } while (n < 0 && errno == EINTR);
             if (n >= 0) return Outcome::kSent;
             if (errno == EAGAIN || errno == EWOULDBLOCK) return Outcome::kFull;
             failure = from_errno(errno);
             return Outcome::kFailed;
           };
           uint64_t sent = 0;
           for (const Val& d : dgrams) {
             Code failure = Code::kUnknown;
             LEPTON_TRY(Outcome o, send_one(d, failure));
             if (o == Outcome::kFull) break;
             if (o == Outcome::kFailed) {
               // The WIT: an error on the first datagram is returned, a later one ends the batch.
               if (sent == 0) {
                 c.results.push_back(err(failure));
                 return {};
               }
               break;
             }
             ++sent;
           }
           c.results.push_back(Val::ok(Val::u64(sent)));
           return {};
         });
  define(iface, "[method]outgoing-datagram-stream.subscribe",
         ty::func({{"self", ty::borrow(out_t)}}, {ty::own(pollable_t)}), [](HostCall& c) -> Status {
           LEPTON_TRY(OutgoingStream * s, lookup(sockets(c.instance).outgoing, c.args[0].rep(),
                                                 "outgoing-datagram-stream"));
           c.results.push_back(Val::own(
               add_pollable(c.instance, std::make_unique<FdPollable>(s->udp->fd, POLLOUT))));
           return {};
         });

  auto& create = registry.add("wasi:sockets/udp-create-socket");
  define(create, "create-udp-socket",
         ty::func({{"address-family", t.family}}, {t.r(ty::own(udp_t))}),
         [](HostCall& c) -> Status {
           int family = af_of(c.args[0].case_index());
           int e = 0;
           auto fd = new_socket(family, SOCK_DGRAM, e);
           if (!fd.ok()) {
             c.results.push_back(err_errno(e));
             return {};
           }
           UdpSocket s;
           s.shared = std::make_shared<UdpShared>();
           s.shared->fd = std::move(*fd);
           s.shared->family = family;
           c.results.push_back(Val::ok(Val::own(sockets(c.instance).udp.insert(std::move(s)))));
           return {};
         });
}

}  // namespace

void register_sockets(component::HostRegistry& registry) {
  Types t;
  register_network(registry, t);
  register_tcp(registry, t);
  register_udp(registry, t);
  register_ip_name_lookup(registry, t);
}

size_t live_socket_objects(InstanceState& instance) {
  const SocketsState* s = instance.find<SocketsState>();
  if (s == nullptr) return 0;
  return s->networks.size() + s->tcp.size() + s->udp.size() + s->incoming.size() +
         s->outgoing.size() + s->resolves.size();
}

}  // namespace lepton::wasi2
