// End-to-end: the async core. Guests that wait on a backend are suspended, not parked on a thread,
// so slow routes do not stall fast ones; looping guests get their share of CPU and no more;
// deadlines bound every wait; SIGTERM drains and exits.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "http/server.h"
#include "lepton_process.h"

namespace lepton::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// An upstream that answers every request after `delay`, counting how many it had in flight.
class SlowUpstream {
 public:
  explicit SlowUpstream(std::chrono::milliseconds delay) : delay_(delay) {
    http::Server::Options options;
    options.listen = "127.0.0.1:0";
    options.threads = 1;
    options.handler_threads = 64;
    auto server = http::Server::start(options, [this](http::Request& request) {
      {
        std::lock_guard lock(mu_);
        clients_.insert(request.client_addr);
      }
      int now = ++in_flight_;
      int seen = max_.load();
      while (now > seen && !max_.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(delay_);
      --in_flight_;
      return http::Response{200, {}, "slow"};
    });
    EXPECT_TRUE(server.ok()) << server.error().message;
    if (server.ok()) server_ = std::move(*server);
  }
  std::string url() const { return "http://" + server_->bound_address() + "/"; }
  int max_in_flight() const { return max_; }
  // The client addresses (ip:port) requests came from: one per connection.
  size_t connections() const {
    std::lock_guard lock(mu_);
    return clients_.size();
  }

 private:
  std::chrono::milliseconds delay_;
  mutable std::mutex mu_;
  std::set<std::string> clients_;
  std::atomic<int> in_flight_{0}, max_{0};
  std::unique_ptr<http::Server> server_;
};

// An upstream that accepts connections (the kernel completes the handshake into the backlog)
// and never answers.
class SilentUpstream {
 public:
  SilentUpstream() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 64), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentUpstream() { ::close(fd_); }
  std::string url() const { return fmt::format("http://127.0.0.1:{}/", port_); }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

std::string two_route_app(const std::string& slow_component, const std::string& slow_hosts) {
  return fmt::format(R"(spin_manifest_version = 2
[application]
name = "async-core"
[[trigger.http]]
route = "/slow/..."
component = "slow"
[[trigger.http]]
route = "/fast"
component = "fast"
[component.slow]
source = "{}"
allowed_outbound_hosts = [{}]
[component.fast]
source = "{}"
)",
                     slow_component, slow_hosts, guest("components/hello"));
}

// The Spin 1 probe (its /probe/loop never returns) on /probe/..., and the hello component on
// /fast when `with_fast`.
std::string probe_app(bool with_fast) {
  std::string manifest = fmt::format(R"(spin_manifest_version = 2
[application]
name = "loops"
[[trigger.http]]
route = "/probe/..."
component = "probe"
[component.probe]
source = "{}"
)",
                                     guest("spin1_probe"));
  if (with_fast)
    manifest += fmt::format(R"([[trigger.http]]
route = "/fast"
component = "fast"
[component.fast]
source = "{}"
)",
                            guest("components/hello"));
  return manifest;
}

class AsyncCoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* c : {"outbound", "hello"})
      if (auto why = missing_component(c); !why.empty()) GTEST_SKIP() << why;
    if (auto why = missing_guest("spin1_probe"); !why.empty()) GTEST_SKIP() << why;
  }
};

TEST_F(AsyncCoreTest, GuestsWaitingOnABackendDoNotStallOtherRoutes) {
  SlowUpstream upstream(2s);
  TempApp app(two_route_app(guest("components/outbound"), "\"http://127.0.0.1:*\""));
  auto server = LeptonServer::start({"-f", app.manifest().string()});
  ASSERT_TRUE(server);
  // More guests waiting at once than the server has threads (2 I/O threads on this machine;
  // the old design had 4 handler threads in all).
  constexpr int kSlow = 24;
  std::vector<std::future<std::string>> slow;
  for (int i = 0; i < kSlow; ++i)
    slow.push_back(std::async(std::launch::async, [&] {
      auto r = server->request("GET", "/slow/?url=" + upstream.url(), {}, {}, 30s);
      return r.ok() ? fmt::format("{} {}", r->status, r->body) : r.error().message;
    }));
  std::this_thread::sleep_for(500ms);  // the slow ones are now waiting on the upstream
  auto start = Clock::now();
  for (int i = 0; i < 5; ++i) {
    auto r = server->request("GET", "/fast", {}, {}, 10s);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, 200);
  }
  // Five fast requests while 24 guests wait: they did not queue behind the 2 s upstream.
  EXPECT_LT(Clock::now() - start, 1500ms);
  for (auto& f : slow) EXPECT_EQ(f.get(), "200 status 200");
  EXPECT_EQ(upstream.max_in_flight(), kSlow);  // every guest was waiting at the same time
}

TEST_F(AsyncCoreTest, BeyondTheInstanceSlotsRequestsQueueThenGet503) {
  SlowUpstream upstream(1500ms);
  TempApp app(two_route_app(guest("components/outbound"), "\"http://127.0.0.1:*\""));
  // Two instance slots: two requests run, two wait their turn, the rest are turned away.
  auto server = LeptonServer::start({"-f", app.manifest().string(), "--max-instances", "2"});
  ASSERT_TRUE(server);
  std::vector<std::future<Result<http::Response>>> calls;
  for (int i = 0; i < 6; ++i)
    calls.push_back(std::async(std::launch::async, [&] {
      return server->request("GET", "/slow/?url=" + upstream.url(), {}, {}, 30s);
    }));
  int ok = 0, busy = 0;
  for (auto& f : calls) {
    auto r = f.get();
    ASSERT_TRUE(r.ok()) << r.error().message;
    if (r->status == 200) ++ok;
    if (r->status == 503) {
      ++busy;
      EXPECT_EQ(r->header("retry-after"), "1");
    }
  }
  EXPECT_EQ(ok, 4);
  EXPECT_EQ(busy, 2);
  EXPECT_LE(upstream.max_in_flight(), 2);
  // The slots come back: the server answers again.
  auto again = server->request("GET", "/slow/?url=" + upstream.url(), {}, {}, 30s);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 200);
}

TEST_F(AsyncCoreTest, OutboundRequestsReuseKeptAliveConnections) {
  SlowUpstream upstream(0ms);
  TempApp app(two_route_app(guest("components/outbound"), "\"http://127.0.0.1:*\""));
  auto server = LeptonServer::start({"-f", app.manifest().string()});
  ASSERT_TRUE(server);
  for (int i = 0; i < 5; ++i) {
    auto r = server->get("/slow/?url=" + upstream.url());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->body, "status 200");
  }
  EXPECT_EQ(upstream.connections(), 1u);  // five requests, one after the other, one connection
}

TEST_F(AsyncCoreTest, RequestTimeoutBoundsOutboundHttp) {
  SilentUpstream upstream;
  TempApp app(two_route_app(guest("components/outbound"), "\"http://127.0.0.1:*\""));
  auto server = LeptonServer::start({"-f", app.manifest().string(), "--request-timeout", "1s"});
  ASSERT_TRUE(server);
  auto start = Clock::now();
  auto r = server->request("GET", "/slow/?url=" + upstream.url(), {}, {}, 60s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  // The request's deadline ends the outbound wait (not the client's 30 s timeout): a 500.
  EXPECT_EQ(r->status, 500);
  EXPECT_LT(Clock::now() - start, 10s);
  EXPECT_TRUE(server->wait_for_output("exceeded the request timeout")) << server->output();
  auto fast = server->get("/fast");
  ASSERT_TRUE(fast.ok());
  EXPECT_EQ(fast->status, 200);
}

TEST_F(AsyncCoreTest, LoopingGuestsDoNotTakeTheServerDownAndSigtermStillExits) {
  TempApp app(probe_app(/*with_fast=*/true));
  // No request timeout: the looping guests would run forever.
  auto server = LeptonServer::start({"-f", app.manifest().string()});
  ASSERT_TRUE(server);
  std::vector<std::thread> loops;
  for (int i = 0; i < 6; ++i)
    loops.emplace_back([&] { (void)server->request("GET", "/probe/loop", {}, {}, 1s); });
  for (auto& t : loops) t.join();  // the clients gave up; the guests still loop
  for (int i = 0; i < 3; ++i) {
    auto r = server->request("GET", "/fast", {}, {}, 10s);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, 200);
  }
  auto start = Clock::now();
  EXPECT_EQ(server->stop(SIGTERM), 0);  // drains (10 s grace at most) and exits, no SIGKILL
  EXPECT_LT(Clock::now() - start, 20s);
}

// CPU time (user + system) the process `pid` has used, in seconds.
double cpu_seconds(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start past the last ')'.
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)
    if (i == 14 || i == 15) ticks += std::stod(field);
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

TEST_F(AsyncCoreTest, ClientHangingUpStopsItsGuest) {
  TempApp app(probe_app(/*with_fast=*/false));
  auto server = LeptonServer::start({"-f", app.manifest().string()});
  ASSERT_TRUE(server);
  std::vector<std::thread> loops;
  for (int i = 0; i < 4; ++i)
    loops.emplace_back([&] { (void)server->request("GET", "/probe/loop", {}, {}, 500ms); });
  for (auto& t : loops) t.join();  // each client gave up after 500 ms and closed its connection
  ASSERT_TRUE(server->wait_for_output("its client closed the connection")) << server->output();
  std::this_thread::sleep_for(200ms);
  // No guest runs any more: the server is idle (four looping guests would use both cores).
  double before = cpu_seconds(server->pid());
  std::this_thread::sleep_for(1s);
  EXPECT_LT(cpu_seconds(server->pid()) - before, 0.3);
}

TEST_F(AsyncCoreTest, WagiSleepPastTheDeadlineFailsTheRequest) {
  if (auto why = missing_guest("wagi_probe"); !why.empty()) GTEST_SKIP() << why;
  TempApp app(fmt::format(R"(spin_manifest_version = 2
[application]
name = "wagi-sleep"
[[trigger.http]]
route = "/cgi/..."
component = "cgi"
executor = {{ type = "wagi" }}
[component.cgi]
source = "{}"
)",
                          guest("wagi_probe")));
  auto server = LeptonServer::start({"-f", app.manifest().string(), "--request-timeout", "300ms"});
  ASSERT_TRUE(server);
  // The guest sleeps 1 s; its request may live 300 ms: it is stopped (as Spin's epoch deadline
  // stops it) instead of waking to answer 200 late.
  auto r = server->get("/cgi/?sleep");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 500);
  EXPECT_TRUE(server->wait_for_output("exceeded the request timeout")) << server->output();
}

}  // namespace
}  // namespace lepton::testing
