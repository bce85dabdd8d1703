// End-to-end: the runtime config's outbound policy. [outbound_networking] block_networks denies
// connections to blocked IP networks after DNS resolution, whatever allowed_outbound_hosts
// grants (wasi:http sees destination-IP-prohibited, Spin 1 HTTP a runtime error, Redis
// other(...)); [outbound_http] max_concurrent_requests caps outbound HTTP requests in flight
// across the app (Spin's semantics: N admits N + 1).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "http/server.h"
#include "lepton_process.h"
#include "support/redis_server.h"

namespace lepton::testing {
namespace {

std::string component_path(const std::string& name) { return guest("components/" + name); }

// A local HTTP server that counts requests and the most it had in flight at once; each request
// takes `delay`.
class CountingServer {
 public:
  explicit CountingServer(std::chrono::milliseconds delay = std::chrono::milliseconds(0))
      : delay_(delay) {
    http::Server::Options options;
    options.listen = "127.0.0.1:0";
    options.threads = 1;
    options.handler_threads = 16;
    auto server = http::Server::start(options, [this](http::Request&) {
      int now = ++in_flight_;
      int seen = max_.load();
      while (now > seen && !max_.compare_exchange_weak(seen, now)) {
      }
      ++requests_;
      std::this_thread::sleep_for(delay_);
      --in_flight_;
      http::Response r;
      r.body = "counted";
      return r;
    });
    EXPECT_TRUE(server.ok()) << server.error().message;
    if (server.ok()) server_ = std::move(*server);
  }
  std::string authority() const { return server_->bound_address(); }
  std::string url() const { return "http://" + authority() + "/"; }
  int requests() const { return requests_; }
  int max_in_flight() const { return max_; }

 private:
  std::chrono::milliseconds delay_;
  std::atomic<int> in_flight_{0}, max_{0}, requests_{0};
  std::unique_ptr<http::Server> server_;
};

std::string outbound_app(const std::string& hosts) {
  return fmt::format(R"(spin_manifest_version = 2
[application]
name = "policy"
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = "{}"
allowed_outbound_hosts = [{}]
)",
                     component_path("outbound"), hosts);
}

std::string call(LeptonServer& server, const std::string& path) {
  auto r = server.get(path);
  if (!r.ok()) return "request failed: " + r.error().message;
  return fmt::format("{} {}", r->status, r->body);
}

TEST(OutboundPolicy, BlockedNetworkDeniesGrantedHttp) {
  if (auto why = missing_component("outbound"); !why.empty()) GTEST_SKIP() << why;
  CountingServer target;
  TempApp app(outbound_app(fmt::format("\"http://{}\"", target.authority())));
  {  // Control: granted and not blocked, the request goes through.
    auto server = serve_with_runtime_config(app, "");
    ASSERT_TRUE(server);
    EXPECT_EQ(call(*server, "/?url=" + target.url()), "200 status 200");
    EXPECT_EQ(target.requests(), 1);
  }
  for (const char* blocked :
       {"[\"127.0.0.0/8\"]", "[\"private\"]", "[\"10.0.0.0/8\", \"127.0.0.1\"]"}) {
    SCOPED_TRACE(blocked);
    auto server = serve_with_runtime_config(
        app, fmt::format("[outbound_networking]\nblock_networks = {}\n", blocked));
    ASSERT_TRUE(server);
    // error-code case 4 = destination-IP-prohibited; the target never sees the request.
    EXPECT_EQ(call(*server, "/?url=" + target.url()), "502 error: 4");
    EXPECT_EQ(target.requests(), 1);
    EXPECT_EQ(server->output().find("block_networks is accepted but not used"), std::string::npos);
  }
  {  // A network that does not hold the target blocks nothing.
    auto server = serve_with_runtime_config(
        app, "[outbound_networking]\nblock_networks = [\"10.0.0.0/8\"]\n");
    ASSERT_TRUE(server);
    EXPECT_EQ(call(*server, "/?url=" + target.url()), "200 status 200");
    EXPECT_EQ(target.requests(), 2);
  }
}

TEST(OutboundPolicy, BlockedNetworkDeniesSpin1Http) {
  CountingServer target;
  TempApp app(fmt::format(R"(spin_manifest_version = 2
[application]
name = "policy1"
[[trigger.http]]
route = "/..."
component = "probe"
[component.probe]
source = "{}"
allowed_outbound_hosts = ["http://{}"]
)",
                          guest("spin1_probe"), target.authority()));
  auto open = serve_with_runtime_config(app, "");
  ASSERT_TRUE(open);
  EXPECT_EQ(call(*open, "/outbound?" + target.url()).substr(0, 15), "200 status: 200");
  auto blocked =
      serve_with_runtime_config(app, "[outbound_networking]\nblock_networks = [\"127.0.0.0/8\"]\n");
  ASSERT_TRUE(blocked);
  EXPECT_EQ(call(*blocked, "/outbound?" + target.url()), "502 http-error 4");  // runtime-error
  EXPECT_EQ(target.requests(), 1);
}

TEST(OutboundPolicy, BlockedNetworkDeniesRedis) {
  if (auto why = missing_component("redis"); !why.empty()) GTEST_SKIP() << why;
  std::string why;
  auto redis = RedisServer::start(&why);
  if (!redis && !RedisServer::binary()) GTEST_SKIP() << why;
  ASSERT_TRUE(redis) << why;
  TempApp app(fmt::format(R"(spin_manifest_version = 2
[application]
name = "policy-redis"
[[trigger.http]]
route = "/..."
component = "r"
[component.r]
source = "{}"
allowed_outbound_hosts = ["redis://127.0.0.1:*"]
)",
                          component_path("redis")));
  auto server =
      serve_with_runtime_config(app, "[outbound_networking]\nblock_networks = [\"127.0.0.0/8\"]\n");
  ASSERT_TRUE(server);
  std::string r = call(*server, "/?op=set&addr=" + redis->url() + "&key=k&value=v");
  EXPECT_EQ(r.substr(0, 18), "502 error: other: ") << r;
  EXPECT_NE(r.find("destination IP prohibited"), std::string::npos) << r;
  EXPECT_EQ(redis->command({"GET", "k"}), "(nil)");
}

TEST(OutboundPolicy, BadBlockNetworksEntryIsAnError) {
  TempApp app(outbound_app("\"http://127.0.0.1:1\""));
  app.write("rc.toml", "[outbound_networking]\nblock_networks = [\"10.0.0.0/33\"]\n");
  auto result = run_lepton({"up", "-f", app.manifest().string(), "--runtime-config-file",
                            (app.dir() / "rc.toml").string(), "--listen", "127.0.0.1:0"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("'10.0.0.0/33' is neither an IP network"), std::string::npos)
      << result.output;
}

// Sends `n` requests at once through the app and returns the target's peak concurrency.
int peak_concurrency(const std::string& runtime_config, int n) {
  CountingServer target(std::chrono::milliseconds(400));
  TempApp app(outbound_app(fmt::format("\"http://{}\"", target.authority())));
  auto server = serve_with_runtime_config(app, runtime_config);
  if (!server) return -1;
  std::vector<std::future<std::string>> calls;
  for (int i = 0; i < n; ++i)
    calls.push_back(
        std::async(std::launch::async, [&] { return call(*server, "/?url=" + target.url()); }));
  for (auto& c : calls) EXPECT_EQ(c.get(), "200 status 200");
  EXPECT_EQ(target.requests(), n);
  return target.max_in_flight();
}

TEST(OutboundPolicy, MaxConcurrentRequestsCapsInFlight) {
  if (auto why = missing_component("outbound"); !why.empty()) GTEST_SKIP() << why;
  // Unlimited: the six requests overlap at the target.
  EXPECT_GE(peak_concurrency("", 6), 3);
  // max_concurrent_requests = 1: Spin sizes its semaphore N + 1, so two at a time.
  EXPECT_EQ(peak_concurrency("[outbound_http]\nmax_concurrent_requests = 1\n", 6), 2);
  // 0 still lets one through (Spin's documented quirk), one at a time.
  EXPECT_EQ(peak_concurrency("[outbound_http]\nmax_concurrent_requests = 0\n", 4), 1);
}

}  // namespace
}  // namespace lepton::testing
