// End-to-end outbound Redis (fermyon:spin/redis@2.0.0): `lepton up` serving the C guest
// tests/guests/components/redis.c against a real redis-server (tests/support/redis_server.h),
// each operation checked from the server side with a direct hiredis connection.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lepton_process.h"
#include "support/redis_server.h"

namespace lepton::testing {
namespace {

std::string redis_guest() { return guest("components/redis"); }

std::string guest_missing() {
  if (std::filesystem::exists(redis_guest())) return "";
  std::ifstream in(std::string(LEPTON_GUEST_DIR) + "/components/redis.skip");
  std::stringstream s;
  s << in.rdbuf();
  return s.str().empty() ? "component redis was not built" : s.str();
}

std::string app(const std::string& hosts, const std::string& variables = "") {
  return fmt::format(R"(spin_manifest_version = 2
[application]
name = "redis"
{}
[[trigger.http]]
route = "/..."
component = "r"
[component.r]
source = "{}"
allowed_outbound_hosts = [{}]
)",
                     variables, redis_guest(), hosts);
}

class RedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = guest_missing(); !why.empty()) GTEST_SKIP() << why;
    std::string why;
    redis_ = RedisServer::start(&why);
    if (!redis_ && !RedisServer::binary()) GTEST_SKIP() << why;
    ASSERT_TRUE(redis_) << why;
  }

  void serve(const std::string& manifest, std::vector<std::string> extra = {}) {
    app_ = std::make_unique<TempApp>(manifest);
    std::vector<std::string> args{"-f", app_->manifest().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string failure;
    server_ = LeptonServer::start(args, &failure);
    ASSERT_TRUE(server_) << failure;
  }

  // GET /?op=<op>&addr=<addr>&<rest>; returns "<status> <body>".
  std::string call(const std::string& op, const std::string& rest = "",
                   const std::string& addr = "") {
    auto r = server_->get("/?op=" + op + "&addr=" + (addr.empty() ? redis_->url() : addr) +
                          (rest.empty() ? "" : "&" + rest));
    if (!r) return "request failed: " + r.error().message;
    return std::to_string(r->status) + " " + r->body;
  }

  std::string connections_received() {
    std::string info = redis_->command({"INFO", "stats"});
    size_t at = info.find("total_connections_received:");
    return info.substr(at, info.find('\r', at) - at);
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<TempApp> app_;
  std::unique_ptr<LeptonServer> server_;
};

TEST_F(RedisTest, EachOperationReachesTheServer) {
  serve(app("\"redis://127.0.0.1:*\""));

  EXPECT_EQ(call("set", "key=greeting&value=hello"), "200 ok");
  EXPECT_EQ(redis_->command({"GET", "greeting"}), "hello");
  redis_->command({"SET", "from-test", "world"});
  EXPECT_EQ(call("get", "key=from-test"), "200 world");
  EXPECT_EQ(call("get", "key=absent"), "200 (none)");

  EXPECT_EQ(call("incr", "key=counter"), "200 1");
  EXPECT_EQ(call("incr", "key=counter"), "200 2");
  EXPECT_EQ(redis_->command({"GET", "counter"}), "2");

  EXPECT_EQ(call("sadd", "key=colors&values=red,green,blue"), "200 3");
  EXPECT_EQ(call("sadd", "key=colors&values=red,cyan"), "200 1");
  EXPECT_EQ(redis_->command({"SMEMBERS", "colors"}), "blue,cyan,green,red");
  auto members = call("smembers", "key=colors");
  ASSERT_TRUE(members.starts_with("200 ")) << members;
  std::vector<std::string> got;
  std::stringstream list(members.substr(4));
  for (std::string m; std::getline(list, m, ',');) got.push_back(m);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"blue", "cyan", "green", "red"}));
  EXPECT_EQ(call("srem", "key=colors&values=red,nope"), "200 1");
  EXPECT_EQ(redis_->command({"SMEMBERS", "colors"}), "blue,cyan,green");

  EXPECT_EQ(call("del", "values=greeting,counter,nope"), "200 2");
  EXPECT_EQ(redis_->command({"EXISTS", "greeting", "counter"}), "0");

  // execute: integer and binary parameters; status, integer, binary and nil results, arrays
  // flattened.
  EXPECT_EQ(call("execute", "cmd=SET&values=n,i:41"), "200 status:OK");
  EXPECT_EQ(call("execute", "cmd=INCRBY&values=n,i:1"), "200 int:42");
  EXPECT_EQ(call("execute", "cmd=GET&values=n"), "200 bin:42");
  EXPECT_EQ(call("execute", "cmd=GET&values=none"), "200 nil");
  EXPECT_EQ(call("execute", "cmd=RPUSH&values=l,a,b"), "200 int:2");
  EXPECT_EQ(call("execute", "cmd=LRANGE&values=l,i:0,i:-1"), "200 bin:a,bin:b");
  EXPECT_EQ(redis_->command({"LRANGE", "l", "0", "-1"}), "a,b");

  // Server errors come back as values: WRONGTYPE is type-error for sadd, other(...) elsewhere.
  EXPECT_EQ(call("sadd", "key=l&values=x"), "502 error: type-error");
  EXPECT_TRUE(call("incr", "key=l").starts_with("502 error: other: WRONGTYPE"))
      << call("incr", "key=l");
  EXPECT_TRUE(call("execute", "cmd=NOSUCHCOMMAND").starts_with("502 error: other: ERR"));
}

TEST_F(RedisTest, PublishReachesASubscriber) {
  serve(app("\"redis://127.0.0.1:*\""));
  auto sub = redis_->connect();
  ASSERT_TRUE(sub && sub->err == 0);
  timeval tv{5, 0};
  redisSetTimeout(sub.get(), tv);
  freeReplyObject(redisCommand(sub.get(), "SUBSCRIBE news"));

  EXPECT_EQ(call("publish", "key=news&value=extra"), "200 ok");
  void* raw = nullptr;
  ASSERT_EQ(redisGetReply(sub.get(), &raw), REDIS_OK);
  auto* msg = static_cast<redisReply*>(raw);
  ASSERT_EQ(msg->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(msg->elements, 3u);
  EXPECT_EQ(std::string(msg->element[0]->str), "message");
  EXPECT_EQ(std::string(msg->element[1]->str), "news");
  EXPECT_EQ(std::string(msg->element[2]->str, msg->element[2]->len), "extra");
  freeReplyObject(msg);
}

// Handles opened to one address in one request share a connection.
TEST_F(RedisTest, OneConnectionPerAddressPerRequest) {
  serve(app("\"redis://127.0.0.1:*\""));
  auto ids = call("ids");
  ASSERT_TRUE(ids.starts_with("200 ")) << ids;
  std::string both = ids.substr(4);
  size_t comma = both.find(',');
  EXPECT_EQ(both.substr(0, comma), both.substr(comma + 1));
  EXPECT_NE(both.substr(0, comma), "-1");
}

TEST_F(RedisTest, DeniedHostIsInvalidAddressAndNothingConnects) {
  // Another port of the same host, and another host: neither grants the server's address.
  serve(app("\"redis://example.com\", \"redis://127.0.0.1:1\""));
  std::string before = connections_received();
  EXPECT_EQ(call("set", "key=denied&value=x"), "502 error: invalid-address");
  EXPECT_EQ(
      call("set", "key=denied&value=x", "redis://localhost:" + std::to_string(redis_->port())),
      "502 error: invalid-address");
  // The INFO call itself is one more connection; lepton's would be another.
  std::string after = connections_received();
  auto count = [](const std::string& s) { return std::stoll(s.substr(s.find(':') + 1)); };
  EXPECT_EQ(count(after), count(before) + 1) << before << " -> " << after;
  EXPECT_EQ(redis_->command({"EXISTS", "denied"}), "0");
}

TEST_F(RedisTest, NoAllowedHostsMeansNoRedis) {
  serve(app(""));
  EXPECT_EQ(call("get", "key=x"), "502 error: invalid-address");
}

TEST_F(RedisTest, AllowedHostFromVariableTemplate) {
  serve(app("\"redis://{{ redis_host }}:{{ redis_port }}\"",
            "[variables]\nredis_host = { default = \"127.0.0.1\" }\nredis_port = { required = true "
            "}"),
        {"--variable", "redis_port=" + std::to_string(redis_->port())});
  EXPECT_EQ(call("set", "key=templated&value=yes"), "200 ok");
  EXPECT_EQ(redis_->command({"GET", "templated"}), "yes");
}

TEST_F(RedisTest, DeadAddressIsAnErrorNotAHang) {
  serve(app("\"redis://127.0.0.1:*\""));
  // Nothing listens: refused at once.
  std::string dead = "redis://127.0.0.1:" + std::to_string(free_port());
  auto refused = call("get", "key=x", dead);
  EXPECT_TRUE(refused.starts_with("502 error: other: ")) << refused;
}

TEST_F(RedisTest, SilentServerStopsAtTheRequestDeadline) {
  // A listener that accepts but never answers: the command waits until the request's deadline.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string silent = "redis://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  serve(app("\"redis://127.0.0.1:*\""), {"--request-timeout", "1s"});
  auto start = std::chrono::steady_clock::now();
  auto r = call("get", "key=x", silent);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(r.starts_with("200")) << r;
  EXPECT_LT(took, std::chrono::seconds(5)) << r;
  close(fd);
}

// rediss:// to a server that does not speak TLS: the handshake fails, as an `other` error (TLS
// servers: tests/integration/rediss_test.cc).
TEST_F(RedisTest, RedissToAPlainServerFailsTheHandshake) {
  serve(app("\"rediss://127.0.0.1:*\""));
  auto r = call("get", "key=x", "rediss://127.0.0.1:" + std::to_string(redis_->port()));
  EXPECT_TRUE(r.starts_with("502 error: other: ")) << r;
  EXPECT_NE(r.find("TLS handshake"), std::string::npos) << r;
}

}  // namespace
}  // namespace lepton::testing
