// wasi:sockets through the registered host functions: signatures, TCP and UDP round trips with
// loopback peers the tests open themselves, allowed_outbound_hosts denials (proven by the peer
// seeing nothing), name lookup, and drops releasing every object and descriptor.
#include "wasi2/sockets.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "app/allowed_hosts.h"
#include "wasi2/host_fixture.h"

namespace lepton::wasi2 {
namespace {

using component::Val;
using testing::Host;
using testing::ok_of;

constexpr std::string_view kTcp = "wasi:sockets/tcp";
constexpr std::string_view kUdp = "wasi:sockets/udp";
constexpr std::string_view kNetwork = "wasi:sockets/network";
constexpr std::string_view kStreams = "wasi:io/streams";
constexpr uint32_t kAccessDenied = 1;
constexpr uint32_t kWouldBlock = 8;
constexpr uint32_t kConnectionRefused = 14;
constexpr uint32_t kPermanentResolverFailure = 20;

// A test-side socket bound to 127.0.0.1 on a free port.
class Peer {
 public:
  explicit Peer(int type) : fd_(::socket(AF_INET, type | SOCK_CLOEXEC, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    if (type == SOCK_STREAM) EXPECT_EQ(::listen(fd_, 4), 0);
  }
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;
  ~Peer() { ::close(fd_); }
  int fd() const { return fd_; }
  uint16_t port() const { return port_; }
  // Whether something arrives (a connection, a datagram) within `ms`.
  bool readable(int ms) const {
    struct pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, ms) == 1;
  }

 private:
  int fd_;
  uint16_t port_ = 0;
};

Val loopback(uint16_t port) {
  return Val::variant(0, Val::record({Val::u16(port), Val::tuple({Val::u8(127), Val::u8(0),
                                                                  Val::u8(0), Val::u8(1)})}));
}
Val any_v4() {
  return Val::variant(
      0, Val::record({Val::u16(0), Val::tuple({Val::u8(0), Val::u8(0), Val::u8(0), Val::u8(0)})}));
}

// The error-code of a result<_, error-code>, or -1 when ok.
int64_t code_of(const Val& result) {
  if (result.case_index() == 0) return -1;
  return result.payload()->case_index();
}

app::AllowedHosts allow(std::vector<std::string> entries) {
  auto r = app::AllowedHosts::parse(entries);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return std::move(*r);
}

Host host_with(const app::AllowedHosts* hosts) {
  Config config;
  config.allowed_hosts = hosts;
  config.deadline = Clock::now() + std::chrono::seconds(10);
  return Host(std::move(config));
}

uint32_t network(Host& h) {
  return h.call("wasi:sockets/instance-network", "instance-network").rep();
}

uint32_t tcp_socket(Host& h) {
  return ok_of(h.call("wasi:sockets/tcp-create-socket", "create-tcp-socket", {Val::enum_(0)}))
      .rep();
}

// start-connect then finish-connect, waiting on the socket's pollable while it would block.
Val connect(Host& h, uint32_t sock, uint32_t net, uint16_t port) {
  Val started = h.call(kTcp, "[method]tcp-socket.start-connect",
                       {Val::borrow(sock), Val::borrow(net), loopback(port)});
  if (started.case_index() != 0) return started;
  for (;;) {
    Val done = h.call(kTcp, "[method]tcp-socket.finish-connect", {Val::borrow(sock)});
    if (code_of(done) != kWouldBlock) return done;
    uint32_t p = h.call(kTcp, "[method]tcp-socket.subscribe", {Val::borrow(sock)}).rep();
    h.call("wasi:io/poll", "[method]pollable.block", {Val::borrow(p)});
    EXPECT_TRUE(h.drop("wasi:io/poll", "pollable", p).ok());
  }
}

TEST(Sockets, EveryInterfaceRegisteredWithWitSignatures) {
  Host h;
  for (auto name :
       {"wasi:sockets/network", "wasi:sockets/instance-network", "wasi:sockets/ip-name-lookup",
        "wasi:sockets/tcp", "wasi:sockets/tcp-create-socket", "wasi:sockets/udp",
        "wasi:sockets/udp-create-socket"})
    EXPECT_NE(h.registry.find(std::string(name) + "@0.2.3"), nullptr) << name;
  EXPECT_EQ(h.registry.find("wasi:sockets/tcp")->functions().size(), 28u);
  EXPECT_EQ(h.registry.find("wasi:sockets/udp")->functions().size(), 18u);

  const std::string code =
      "enum { unknown, access-denied, not-supported, invalid-argument, out-of-memory, timeout, "
      "concurrency-conflict, not-in-progress, would-block, invalid-state, new-socket-limit, "
      "address-not-bindable, address-in-use, remote-unreachable, connection-refused, "
      "connection-reset, connection-aborted, datagram-too-large, name-unresolvable, "
      "temporary-resolver-failure, permanent-resolver-failure }";
  EXPECT_EQ(h.signature(kNetwork, "network-error-code"),
            "(err: borrow<error>) -> option<" + code + ">");
  const std::string sockaddr =
      "variant { ipv4(record { port: u16, address: tuple<u8, u8, u8, u8> }), "
      "ipv6(record { port: u16, flow-info: u32, address: tuple<u16, u16, u16, u16, u16, u16, u16, "
      "u16>, scope-id: u32 }) }";
  EXPECT_EQ(h.signature(kTcp, "[method]tcp-socket.start-connect"),
            "(self: borrow<tcp-socket>, network: borrow<network>, remote-address: " + sockaddr +
                ") -> result<_, " + code + ">");
  EXPECT_EQ(h.signature(kTcp, "[method]tcp-socket.finish-connect"),
            "(self: borrow<tcp-socket>) -> result<tuple<own<input-stream>, own<output-stream>>, " +
                code + ">");
  EXPECT_EQ(h.signature(kTcp, "[method]tcp-socket.keep-alive-idle-time"),
            "(self: borrow<tcp-socket>) -> result<u64, " + code + ">");
  EXPECT_EQ(h.signature(kTcp, "[method]tcp-socket.shutdown"),
            "(self: borrow<tcp-socket>, shutdown-type: enum { receive, send, both }) -> "
            "result<_, " +
                code + ">");
  EXPECT_EQ(h.signature("wasi:sockets/tcp-create-socket", "create-tcp-socket"),
            "(address-family: enum { ipv4, ipv6 }) -> result<own<tcp-socket>, " + code + ">");
  EXPECT_EQ(h.signature(kUdp, "[method]udp-socket.stream"),
            "(self: borrow<udp-socket>, remote-address: option<" + sockaddr +
                ">) -> result<tuple<own<incoming-datagram-stream>, "
                "own<outgoing-datagram-stream>>, " +
                code + ">");
  EXPECT_EQ(h.signature(kUdp, "[method]outgoing-datagram-stream.send"),
            "(self: borrow<outgoing-datagram-stream>, datagrams: list<record { data: list<u8>, "
            "remote-address: option<" +
                sockaddr + "> }>) -> result<u64, " + code + ">");
  EXPECT_EQ(h.signature("wasi:sockets/ip-name-lookup", "resolve-addresses"),
            "(network: borrow<network>, name: string) -> result<own<resolve-address-stream>, " +
                code + ">");
  EXPECT_EQ(h.signature("wasi:sockets/instance-network", "instance-network"), "() -> own<network>");
}

TEST(Sockets, TcpRoundTripThroughStreamsThenDropsCloseEverything) {
  Peer listener(SOCK_STREAM);
  auto hosts = allow({"tcp://127.0.0.1:" + std::to_string(listener.port())});
  Host h = host_with(&hosts);
  uint32_t net = network(h);
  uint32_t sock = tcp_socket(h);
  Val streams = ok_of(connect(h, sock, net, listener.port()));
  uint32_t in = streams.items()[0].rep();
  uint32_t out = streams.items()[1].rep();

  int conn = ::accept(listener.fd(), nullptr, nullptr);
  ASSERT_GE(conn, 0);
  Val remote = ok_of(h.call(kTcp, "[method]tcp-socket.remote-address", {Val::borrow(sock)}));
  EXPECT_EQ(remote, loopback(listener.port()));
  EXPECT_EQ(code_of(h.call(kTcp, "[method]tcp-socket.set-keep-alive-enabled",
                           {Val::borrow(sock), Val::bool_(true)})),
            -1);
  EXPECT_EQ(ok_of(h.call(kTcp, "[method]tcp-socket.keep-alive-enabled", {Val::borrow(sock)})),
            Val::bool_(true));

  ok_of(h.call(kStreams, "[method]output-stream.blocking-write-and-flush",
               {Val::borrow(out), Val::bytes("hello")}));
  char buf[16] = {};
  ASSERT_EQ(::recv(conn, buf, sizeof buf, 0), 5);
  EXPECT_EQ(std::string(buf, 5), "hello");
  ASSERT_EQ(::send(conn, "echo:hello", 10, 0), 10);
  std::string got;
  while (got.size() < 10) {
    Val r = ok_of(
        h.call(kStreams, "[method]input-stream.blocking-read", {Val::borrow(in), Val::u64(64)}));
    got += r.as_bytes();
  }
  EXPECT_EQ(got, "echo:hello");

  EXPECT_TRUE(h.drop(kStreams, "input-stream", in).ok());
  EXPECT_TRUE(h.drop(kStreams, "output-stream", out).ok());
  EXPECT_TRUE(h.drop(kTcp, "tcp-socket", sock).ok());
  EXPECT_TRUE(h.drop(kNetwork, "network", net).ok());
  EXPECT_EQ(live_socket_objects(h.instance), 0u);
  EXPECT_EQ(io_state(h.instance).input_streams.size(), 0u);
  EXPECT_EQ(io_state(h.instance).output_streams.size(), 0u);
  EXPECT_EQ(io_state(h.instance).pollables.size(), 0u);
  // The guest's descriptor is closed: the peer reads the end of the stream.
  EXPECT_EQ(::recv(conn, buf, sizeof buf, 0), 0);
  ::close(conn);
}

TEST(Sockets, TcpConnectNotGrantedIsAccessDeniedAndReachesNoOne) {
  Peer listener(SOCK_STREAM);
  for (auto entries : std::vector<std::vector<std::string>>{
           {},
           {"tcp://127.0.0.1:" + std::to_string(listener.port() + 1)},
           {"udp://127.0.0.1:" + std::to_string(listener.port())},
           {"http://127.0.0.1:" + std::to_string(listener.port())}}) {
    auto hosts = allow(entries);
    Host h = host_with(&hosts);
    uint32_t sock = tcp_socket(h);
    EXPECT_EQ(code_of(connect(h, sock, network(h), listener.port())), kAccessDenied);
    EXPECT_FALSE(listener.readable(50)) << "a denied connect reached the listener";
  }
  Host no_config;  // no Config at all: denied too
  uint32_t sock = tcp_socket(no_config);
  EXPECT_EQ(code_of(connect(no_config, sock, network(no_config), listener.port())), kAccessDenied);
  EXPECT_FALSE(listener.readable(50));
}

TEST(Sockets, TcpAnySchemeGrantsAndRefusedConnectionIsReported) {
  uint16_t closed_port;
  {
    Peer gone(SOCK_STREAM);
    closed_port = gone.port();
  }
  auto hosts = allow({"*://127.0.0.1:*"});
  Host h = host_with(&hosts);
  EXPECT_EQ(code_of(connect(h, tcp_socket(h), network(h), closed_port)), kConnectionRefused);
}

TEST(Sockets, UdpDatagramRoundTripWhenGranted) {
  Peer peer(SOCK_DGRAM);
  auto hosts = allow({"udp://127.0.0.1:" + std::to_string(peer.port())});
  Host h = host_with(&hosts);
  uint32_t net = network(h);
  uint32_t sock =
      ok_of(h.call("wasi:sockets/udp-create-socket", "create-udp-socket", {Val::enum_(0)})).rep();
  ok_of(h.call(kUdp, "[method]udp-socket.start-bind",
               {Val::borrow(sock), Val::borrow(net), any_v4()}));
  ok_of(h.call(kUdp, "[method]udp-socket.finish-bind", {Val::borrow(sock)}));
  Val streams = ok_of(h.call(kUdp, "[method]udp-socket.stream", {Val::borrow(sock), Val::none()}));
  uint32_t in = streams.items()[0].rep();
  uint32_t out = streams.items()[1].rep();

  EXPECT_GE(ok_of(h.call(kUdp, "[method]outgoing-datagram-stream.check-send", {Val::borrow(out)}))
                .as_uint(),
            1u);
  Val dgram = Val::record({Val::bytes("ping"), Val::some(loopback(peer.port()))});
  EXPECT_EQ(ok_of(h.call(kUdp, "[method]outgoing-datagram-stream.send",
                         {Val::borrow(out), Val::list({dgram})})),
            Val::u64(1));

  ASSERT_TRUE(peer.readable(2000));
  char buf[16];
  sockaddr_in from{};
  socklen_t len = sizeof from;
  ssize_t n = ::recvfrom(peer.fd(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
  ASSERT_EQ(n, 4);
  EXPECT_EQ(std::string(buf, 4), "ping");
  ASSERT_EQ(::sendto(peer.fd(), "pong", 4, 0, reinterpret_cast<sockaddr*>(&from), len), 4);

  // Waits through wasi:io/poll#poll (wait_any), not just pollable.block.
  uint32_t p = h.call(kUdp, "[method]incoming-datagram-stream.subscribe", {Val::borrow(in)}).rep();
  EXPECT_EQ(h.call("wasi:io/poll", "poll", {Val::list({Val::borrow(p)})}),
            Val::list({Val::u32(0)}));
  Val got = ok_of(
      h.call(kUdp, "[method]incoming-datagram-stream.receive", {Val::borrow(in), Val::u64(8)}));
  ASSERT_EQ(got.items().size(), 1u);
  EXPECT_EQ(got.items()[0].items()[0].as_bytes(), "pong");
  EXPECT_EQ(got.items()[0].items()[1], loopback(peer.port()));

  EXPECT_TRUE(h.drop("wasi:io/poll", "pollable", p).ok());
  EXPECT_TRUE(h.drop(kUdp, "incoming-datagram-stream", in).ok());
  EXPECT_TRUE(h.drop(kUdp, "outgoing-datagram-stream", out).ok());
  EXPECT_TRUE(h.drop(kUdp, "udp-socket", sock).ok());
  EXPECT_TRUE(h.drop(kNetwork, "network", net).ok());
  EXPECT_EQ(live_socket_objects(h.instance), 0u);
  EXPECT_EQ(io_state(h.instance).pollables.size(), 0u);
}

TEST(Sockets, UdpNotGrantedIsAccessDeniedAndSendsNothing) {
  Peer peer(SOCK_DGRAM);
  auto hosts = allow({"udp://127.0.0.1:" + std::to_string(peer.port() + 1),
                      "tcp://127.0.0.1:" + std::to_string(peer.port())});
  Host h = host_with(&hosts);
  uint32_t net = network(h);
  uint32_t sock =
      ok_of(h.call("wasi:sockets/udp-create-socket", "create-udp-socket", {Val::enum_(0)})).rep();
  ok_of(h.call(kUdp, "[method]udp-socket.start-bind",
               {Val::borrow(sock), Val::borrow(net), any_v4()}));
  ok_of(h.call(kUdp, "[method]udp-socket.finish-bind", {Val::borrow(sock)}));
  EXPECT_EQ(code_of(h.call(kUdp, "[method]udp-socket.stream",
                           {Val::borrow(sock), Val::some(loopback(peer.port()))})),
            kAccessDenied);
  Val streams = ok_of(h.call(kUdp, "[method]udp-socket.stream", {Val::borrow(sock), Val::none()}));
  uint32_t out = streams.items()[1].rep();
  ok_of(h.call(kUdp, "[method]outgoing-datagram-stream.check-send", {Val::borrow(out)}));
  Val dgram = Val::record({Val::bytes("ping"), Val::some(loopback(peer.port()))});
  EXPECT_EQ(code_of(h.call(kUdp, "[method]outgoing-datagram-stream.send",
                           {Val::borrow(out), Val::list({dgram})})),
            kAccessDenied);
  EXPECT_FALSE(peer.readable(50)) << "a denied datagram reached the peer";
  // Binding a specific address is checked as Spin checks UdpBind.
  uint32_t other =
      ok_of(h.call("wasi:sockets/udp-create-socket", "create-udp-socket", {Val::enum_(0)})).rep();
  EXPECT_EQ(code_of(h.call(kUdp, "[method]udp-socket.start-bind",
                           {Val::borrow(other), Val::borrow(net), loopback(0)})),
            kAccessDenied);
}

TEST(Sockets, NameLookupOfLocalhostWhenSomeEntryCouldPermitIt) {
  auto hosts = allow({"tcp://localhost:5432"});
  Host h = host_with(&hosts);
  uint32_t net = network(h);
  Val r = h.call("wasi:sockets/ip-name-lookup", "resolve-addresses",
                 {Val::borrow(net), Val::string("LocalHost")});
  uint32_t stream = ok_of(r).rep();
  std::vector<Val> addrs;
  for (;;) {
    Val next =
        ok_of(h.call("wasi:sockets/ip-name-lookup",
                     "[method]resolve-address-stream.resolve-next-address", {Val::borrow(stream)}));
    if (next.case_index() == 0) break;
    addrs.push_back(*next.payload());
  }
  Val v4 = Val::variant(0, Val::tuple({Val::u8(127), Val::u8(0), Val::u8(0), Val::u8(1)}));
  Val v6 = Val::variant(1, Val::tuple({Val::u16(0), Val::u16(0), Val::u16(0), Val::u16(0),
                                       Val::u16(0), Val::u16(0), Val::u16(0), Val::u16(1)}));
  EXPECT_TRUE(std::ranges::find(addrs, v4) != addrs.end() ||
              std::ranges::find(addrs, v6) != addrs.end());
  EXPECT_TRUE(h.drop("wasi:sockets/ip-name-lookup", "resolve-address-stream", stream).ok());
  EXPECT_TRUE(h.drop(kNetwork, "network", net).ok());
  EXPECT_EQ(live_socket_objects(h.instance), 0u);
}

TEST(Sockets, NameLookupNoEntryCouldPermitIsPermanentResolverFailure) {
  auto hosts = allow({"tcp://example.com:5432"});
  Host h = host_with(&hosts);
  uint32_t net = network(h);
  EXPECT_EQ(code_of(h.call("wasi:sockets/ip-name-lookup", "resolve-addresses",
                           {Val::borrow(net), Val::string("localhost")})),
            kPermanentResolverFailure);
  // IP literals need no lookup.
  EXPECT_EQ(code_of(h.call("wasi:sockets/ip-name-lookup", "resolve-addresses",
                           {Val::borrow(net), Val::string("127.0.0.1")})),
            -1);
}

}  // namespace
}  // namespace lepton::wasi2
