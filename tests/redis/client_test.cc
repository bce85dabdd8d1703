#include "redis/client.h"

#include <gtest/gtest.h>

namespace lepton::redis {
namespace {

TEST(RedisAddress, ParsesHostPortDbAndCredentials) {
  auto a = parse_address("redis://127.0.0.1");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6379);
  EXPECT_EQ(a->db, 0);

  auto b = parse_address("redis://user:secret@cache.example:7000/3");
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->host, "cache.example");
  EXPECT_EQ(b->port, 7000);
  EXPECT_EQ(b->user, "user");
  EXPECT_EQ(b->password, "secret");
  EXPECT_EQ(b->db, 3);

  auto c = parse_address("rediss://[::1]:6380");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->scheme, "rediss");
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 6380);
}

TEST(RedisAddress, RejectsMalformedAddresses) {
  for (const char* bad : {"127.0.0.1:6379", "http://x", "redis://", "redis://h:0",
                          "redis://h:99999", "redis://h:x", "redis://h/db", "redis://[::1"})
    EXPECT_FALSE(parse_address(bad).ok()) << bad;
}

TEST(RedisClient, PassedDeadlineFailsFast) {
  auto a = parse_address("redis://127.0.0.1:1");
  ASSERT_TRUE(a.ok());
  auto c = Client::connect(*a, Client::Clock::now() - std::chrono::seconds(1));
  EXPECT_FALSE(c.ok());
}

}  // namespace
}  // namespace lepton::redis
