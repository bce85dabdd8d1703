#include "outbound/outbound.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace lepton::outbound {
namespace {

using ::testing::HasSubstr;

BlockedNetworks parse(std::vector<std::string> entries) {
  auto b = BlockedNetworks::parse(entries);
  EXPECT_TRUE(b.ok()) << b.error().message;
  return b.ok() ? *b : BlockedNetworks();
}

TEST(BlockedNetworks, Cidrs) {
  auto b = parse({"127.0.0.0/8", "10.1.2.3", "fd00::/8", "192.168.0.0/16"});
  EXPECT_FALSE(b.empty());
  EXPECT_TRUE(b.is_blocked("127.0.0.1"));
  EXPECT_TRUE(b.is_blocked("127.255.0.9"));
  EXPECT_FALSE(b.is_blocked("128.0.0.1"));
  EXPECT_TRUE(b.is_blocked("10.1.2.3"));
  EXPECT_FALSE(b.is_blocked("10.1.2.4"));
  EXPECT_TRUE(b.is_blocked("fd12::1"));
  EXPECT_TRUE(b.is_blocked("[fd12::1]"));
  EXPECT_FALSE(b.is_blocked("fe80::1"));
  EXPECT_TRUE(b.is_blocked("192.168.44.1"));
  EXPECT_FALSE(b.is_blocked("example.com"));  // names are checked after resolution
  // IPv4-mapped and IPv4-compatible IPv6 forms of a blocked IPv4 address.
  EXPECT_TRUE(b.is_blocked("::ffff:127.0.0.1"));
  EXPECT_TRUE(b.is_blocked("::10.1.2.3"));
  EXPECT_FALSE(b.is_blocked("::ffff:8.8.8.8"));
}

TEST(BlockedNetworks, Private) {
  auto b = parse({"private"});
  for (const char* ip : {"127.0.0.1", "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1",
                         "169.254.1.1", "100.64.0.1", "0.0.0.0", "::1", "::", "fe80::1", "fd00::1",
                         "2001:db8::1", "::ffff:10.0.0.1", "198.18.0.1", "240.0.0.1"})
    EXPECT_TRUE(b.is_blocked(ip)) << ip;
  for (const char* ip : {"8.8.8.8", "1.1.1.1", "172.32.0.1", "2606:4700::1111", "192.0.0.9"})
    EXPECT_FALSE(b.is_blocked(ip)) << ip;
}

TEST(BlockedNetworks, Sockaddr) {
  auto b = parse({"127.0.0.0/8"});
  sockaddr_in in{};
  in.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
  EXPECT_TRUE(b.is_blocked(reinterpret_cast<sockaddr*>(&in)));
  inet_pton(AF_INET, "93.184.216.34", &in.sin_addr);
  EXPECT_FALSE(b.is_blocked(reinterpret_cast<sockaddr*>(&in)));
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "::ffff:127.0.0.2", &in6.sin6_addr);
  EXPECT_TRUE(b.is_blocked(reinterpret_cast<sockaddr*>(&in6)));
}

TEST(BlockedNetworks, BadEntriesNameTheFault) {
  for (const char* bad : {"10.0.0.0/33", "nope", "::1/129", "1.2.3.4/", "1.2.3/8", "Private"}) {
    auto b = BlockedNetworks::parse({bad});
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_THAT(b.error().message, HasSubstr(std::string("'") + bad + "'"));
  }
  EXPECT_TRUE(BlockedNetworks::parse({}).ok());
  EXPECT_TRUE(BlockedNetworks().empty());
}

TEST(Outbound, CheckAndResolveUseTheProcessPolicy) {
  set_blocked_networks(parse({"127.0.0.0/8"}));
  auto resolved = resolve_allowed("127.0.0.1", 80);
  ASSERT_FALSE(resolved.ok());
  EXPECT_THAT(resolved.error().message, HasSubstr(std::string(kProhibited)));
  sockaddr_in in{};
  in.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
  EXPECT_FALSE(check_address(reinterpret_cast<sockaddr*>(&in)).ok());
  set_blocked_networks(BlockedNetworks());
  EXPECT_TRUE(check_address(reinterpret_cast<sockaddr*>(&in)).ok());
  EXPECT_TRUE(resolve_allowed("127.0.0.1", 80).ok());
}

TEST(Outbound, HttpPermitsLimitConcurrency) {
  set_max_concurrent_http_requests(1);  // Spin: N + 1 = 2 slots
  std::atomic<int> in{0}, peak{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&] {
      HttpPermit permit;
      ASSERT_TRUE(permit.acquire().ok());
      int now = ++in;
      int p = peak.load();
      while (now > p && !peak.compare_exchange_weak(p, now)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      --in;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(peak.load(), 2);
  set_max_concurrent_http_requests(std::nullopt);
}

}  // namespace
}  // namespace lepton::outbound
