// The key-value backends over every operation the host interfaces use: one scenario run on
// SQLite and on a real redis-server (tests/support/redis_server.h), then what only Redis has:
// where the values land, the shared keyspace, concurrent compare-and-swap, a server that
// dropped its connections, and one that is not there.
#include "key_value/store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>

#include "key_value/redis_store.h"
#include "support/redis_server.h"

namespace lepton::key_value {
namespace {

using testing::RedisServer;

std::unique_ptr<RedisServer> start_redis(std::string* why) {
  if (!RedisServer::binary()) {
    *why = "redis-server is not installed";
    return nullptr;
  }
  auto server = RedisServer::start(why);
  EXPECT_TRUE(server) << *why;
  return server;
}

std::shared_ptr<Stores> open_redis(const std::string& url,
                                   const std::vector<std::string>& labels = {"default"}) {
  std::vector<StoreSpec> specs;
  for (const auto& l : labels) specs.push_back({l, std::nullopt, url});
  auto stores = Stores::open(std::nullopt, specs);
  EXPECT_TRUE(stores) << stores.error().message;
  return stores ? *stores : nullptr;
}

// Every operation, on an empty store.
void scenario(const Store& s) {
  EXPECT_EQ(*s.get("a"), std::nullopt);
  EXPECT_FALSE(*s.exists("a"));
  ASSERT_TRUE(s.set("a", std::string("one\0two", 7)));  // values are bytes
  EXPECT_EQ(**s.get("a"), std::string("one\0two", 7));
  EXPECT_TRUE(*s.exists("a"));
  ASSERT_TRUE(s.set("a", "uno"));
  EXPECT_EQ(**s.get("a"), "uno");
  ASSERT_TRUE(s.set("b", ""));
  EXPECT_EQ(**s.get("b"), "");  // empty is not absent
  EXPECT_EQ(*s.keys(), (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(s.remove("a"));
  ASSERT_TRUE(s.remove("a"));  // deleting nothing is fine
  EXPECT_EQ(*s.get("a"), std::nullopt);
  EXPECT_EQ(*s.keys(), std::vector<std::string>{"b"});

  EXPECT_EQ(*s.increment("n", 5), 5);
  EXPECT_EQ(*s.increment("n", -7), -2);
  EXPECT_EQ(**s.get("n"), "-2");
  ASSERT_TRUE(s.set("word", "abc"));

  ASSERT_TRUE(s.set_many({{"x", "10"}, {"y", "20"}}));
  ASSERT_TRUE(s.set_many({}));
  auto many = s.get_many({"x", "z", "y"});
  ASSERT_TRUE(many) << many.error().message;
  EXPECT_EQ(*many, (std::vector<std::optional<std::string>>{"10", std::nullopt, "20"}));
  EXPECT_TRUE(s.get_many({})->empty());
  ASSERT_TRUE(s.delete_many({"x", "y", "never"}));
  ASSERT_TRUE(s.delete_many({}));
  EXPECT_FALSE(*s.exists("x"));
  EXPECT_FALSE(*s.exists("y"));

  // Compare-and-swap: a cas wins only while its key still holds what it saw.
  {
    auto cas = s.new_cas("c");
    ASSERT_TRUE(cas) << cas.error().message;
    EXPECT_EQ((*cas)->current(), std::nullopt);
    auto swapped = (*cas)->swap("1");
    ASSERT_TRUE(swapped) << swapped.error().message;
    EXPECT_TRUE(*swapped);
  }
  {
    auto cas = s.new_cas("c");
    ASSERT_TRUE(cas);
    EXPECT_EQ((*cas)->current(), std::optional<std::string>("1"));
    ASSERT_TRUE(s.set("c", "2"));  // behind its back
    EXPECT_FALSE(*(*cas)->swap("3"));
    EXPECT_EQ(**s.get("c"), "2");
  }
  {
    auto cas = s.new_cas("c");
    ASSERT_TRUE(cas);
    EXPECT_EQ((*cas)->current(), std::optional<std::string>("2"));
    EXPECT_TRUE(*(*cas)->swap("3"));
    EXPECT_EQ(**s.get("c"), "3");
  }
  {
    auto unused = s.new_cas("c");  // made and dropped without a swap
    ASSERT_TRUE(unused);
  }
  ASSERT_TRUE(s.set("c", "4"));
  EXPECT_EQ(**s.get("c"), "4");
  EXPECT_EQ(*s.keys(), (std::vector<std::string>{"b", "c", "n", "word"}));
}

TEST(SqliteKeyValueStore, EveryOperation) {
  auto stores = Stores::open(std::nullopt, {});
  ASSERT_TRUE(stores) << stores.error().message;
  scenario(*(*stores)->find("default"));
}

TEST(RedisKeyValueStore, EveryOperation) {
  std::string why;
  auto redis = start_redis(&why);
  if (!redis) GTEST_SKIP() << why;
  auto stores = open_redis(redis->url());
  ASSERT_TRUE(stores);
  scenario(*stores->find("default"));
}

TEST(RedisKeyValueStore, ValuesAreRedisStringsInOneKeyspaceForEveryLabel) {
  std::string why;
  auto redis = start_redis(&why);
  if (!redis) GTEST_SKIP() << why;
  // As Spin: labels on the same server are not separated, and keys are not prefixed.
  auto stores = open_redis(redis->url(), {"default", "other"});
  ASSERT_TRUE(stores);
  const Store& d = *stores->find("default");
  const Store& o = *stores->find("other");
  ASSERT_TRUE(d.set("greeting", "hello"));
  EXPECT_EQ(redis->command({"GET", "greeting"}), "hello");
  EXPECT_EQ(redis->command({"TYPE", "greeting"}), "string");
  EXPECT_EQ(**o.get("greeting"), "hello");
  EXPECT_EQ(*d.increment("hits", 3), 3);
  EXPECT_EQ(redis->command({"GET", "hits"}), "3");
  ASSERT_TRUE(o.set_many({{"m1", "a"}, {"m2", "b"}}));
  EXPECT_EQ(redis->command({"MGET", "m1", "m2"}), "a,b");
  ASSERT_TRUE(d.delete_many({"m1"}));
  EXPECT_EQ(redis->command({"EXISTS", "m1"}), "0");
  // What others write is seen, byte for byte.
  EXPECT_EQ(redis->command({"SET", "outside", "x y"}), "OK");
  EXPECT_EQ(**d.get("outside"), "x y");
  EXPECT_EQ(*o.keys(), (std::vector<std::string>{"greeting", "hits", "m2", "outside"}));
  // INCRBY on a value that is not an integer: an error, nothing changed.
  ASSERT_TRUE(d.set("word", "abc"));
  auto bad = d.increment("word", 1);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("not an integer"), std::string::npos) << bad.error().message;
  EXPECT_EQ(redis->command({"GET", "word"}), "abc");
  ASSERT_TRUE(d.remove("word"));
  // A key of another Redis type is an error, not a crash.
  EXPECT_EQ(redis->command({"LPUSH", "list", "1"}), "1");
  auto wrong = d.get("list");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("WRONGTYPE"), std::string::npos) << wrong.error().message;
}

TEST(RedisKeyValueStore, DatabaseNumberInTheUrl) {
  std::string why;
  auto redis = start_redis(&why);
  if (!redis) GTEST_SKIP() << why;
  auto stores = open_redis(redis->url() + "/3");
  ASSERT_TRUE(stores);
  ASSERT_TRUE(stores->find("default")->set("k", "in-3"));
  EXPECT_EQ(redis->command({"GET", "k"}), "(nil)");  // db 0
  auto c = redis->connect();
  auto* r = static_cast<redisReply*>(redisCommand(c.get(), "SELECT 3"));
  freeReplyObject(r);
  r = static_cast<redisReply*>(redisCommand(c.get(), "GET k"));
  ASSERT_TRUE(r != nullptr && r->type == REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(r->str, r->len), "in-3");
  freeReplyObject(r);
}

// Racing writers through compare-and-swap lose no update: each retries on a lost race, and the
// counter ends at the number of increments.
TEST(RedisKeyValueStore, ConcurrentCompareAndSwapLosesNoUpdate) {
  std::string why;
  auto redis = start_redis(&why);
  if (!redis) GTEST_SKIP() << why;
  auto stores = open_redis(redis->url());
  ASSERT_TRUE(stores);
  const Store& s = *stores->find("default");
  constexpr int kThreads = 4, kEach = 50;
  std::atomic<int> lost{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        for (;;) {
          auto cas = s.new_cas("counter");
          if (!cas) {
            ++errors;
            break;
          }
          int now = (*cas)->current() ? std::stoi(*(*cas)->current()) : 0;
          auto swapped = (*cas)->swap(std::to_string(now + 1));
          if (!swapped) {
            ++errors;
            break;
          }
          if (*swapped) break;
          ++lost;
        }
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(redis->command({"GET", "counter"}), std::to_string(kThreads * kEach));
  std::printf("lost races (retried): %d\n", lost.load());
}

TEST(RedisKeyValueStore, RecoversWhenTheServerDroppedItsConnections) {
  std::string why;
  auto redis = start_redis(&why);
  if (!redis) GTEST_SKIP() << why;
  auto stores = open_redis(redis->url());
  ASSERT_TRUE(stores);
  const Store& s = *stores->find("default");
  ASSERT_TRUE(s.set("k", "v"));  // leaves a pooled connection
  // Kills every client but the one asking: the pooled connection is now dead.
  EXPECT_NE(redis->command({"CLIENT", "KILL", "TYPE", "normal"}), "0");
  auto got = s.get("k");
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(**got, "v");
  ASSERT_TRUE(s.set("k", "w"));
  EXPECT_NE(redis->command({"CLIENT", "KILL", "TYPE", "normal"}), "0");
  auto cas = s.new_cas("k");
  ASSERT_TRUE(cas) << cas.error().message;
  EXPECT_TRUE(*(*cas)->swap("x"));
  EXPECT_EQ(redis->command({"GET", "k"}), "x");
}

TEST(RedisKeyValueStore, UnreachableServerIsAnErrorOfEachOperation) {
  // Nothing listens on this port: startup succeeds (Spin connects lazily too), operations fail.
  auto stores = open_redis("redis://127.0.0.1:" + std::to_string(testing::free_port()));
  ASSERT_TRUE(stores);
  const Store& s = *stores->find("default");
  auto got = s.get("k");
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message.find("Redis at 127.0.0.1:"), std::string::npos)
      << got.error().message;
  EXPECT_FALSE(s.set("k", "v"));
  EXPECT_FALSE(s.remove("k"));
  EXPECT_FALSE(s.exists("k"));
  EXPECT_FALSE(s.keys());
  EXPECT_FALSE(s.increment("k", 1));
  EXPECT_FALSE(s.new_cas("k"));
  EXPECT_FALSE(s.get_many({"k"}));
  EXPECT_FALSE(s.set_many({{"k", "v"}}));
  EXPECT_FALSE(s.delete_many({"k"}));
}

TEST(RedisKeyValueStore, BadUrlsFailAtOpen) {
  for (const char* url : {"http://localhost", "redis://", "redis://host:99999", "rediss://h:0"}) {
    auto stores = Stores::open(std::nullopt, {{"default", std::nullopt, std::string(url)}});
    ASSERT_FALSE(stores) << url;
    EXPECT_NE(stores.error().message.find("key-value store 'default'"), std::string::npos)
        << stores.error().message;
  }
  // rediss:// (TLS) is accepted; like redis://, the server is not contacted at open.
  EXPECT_TRUE(Stores::open(std::nullopt, {{"default", std::nullopt, "rediss://h"}}));
}

}  // namespace
}  // namespace lepton::key_value
