// End-to-end Redis trigger: `lepton up` subscribed to a real redis-server
// (tests/support/redis_server.h), running the C guest tests/guests/components/redis_trigger.c,
// which RPUSHes every message it handles to the list $LOG_KEY (read back from the server here).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "lepton_process.h"
#include "support/redis_server.h"

namespace lepton::testing {
namespace {

using namespace std::chrono_literals;

std::string trigger_guest() { return guest("components/redis-trigger"); }

std::string guest_missing() {
  if (std::filesystem::exists(trigger_guest())) return "";
  std::ifstream in(std::string(LEPTON_GUEST_DIR) + "/components/redis-trigger.skip");
  std::stringstream s;
  s << in.rdbuf();
  return s.str().empty() ? "component redis-trigger was not built" : s.str();
}

// A component of the guest recording into `log_key` on `url` (granted as an outbound host).
std::string component(const std::string& id, const std::string& url, const std::string& log_key) {
  return fmt::format(R"(
[component.{0}]
source = "{1}"
allowed_outbound_hosts = ["{2}"]
environment = {{ REDIS_ADDRESS = "{2}", LOG_KEY = "{3}" }}
)",
                     id, trigger_guest(), url, log_key);
}

class RedisTriggerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = guest_missing(); !why.empty()) GTEST_SKIP() << why;
    std::string why;
    redis_ = RedisServer::start(&why);
    if (!redis_ && !RedisServer::binary()) GTEST_SKIP() << why;
    ASSERT_TRUE(redis_) << why;
  }

  std::string addr() const { return "127.0.0.1:" + std::to_string(redis_->port()); }

  // The usual app: one component `worker` on channel "messages" at the application's default
  // address, logging to "log".
  std::string simple_app() const {
    return fmt::format(R"(spin_manifest_version = 2
[application]
name = "redis-trigger"
[application.trigger.redis]
address = "{0}"
[[trigger.redis]]
channel = "messages"
component = "worker"
{1})",
                       redis_->url(), component("worker", redis_->url(), "log"));
  }

  // Starts lepton up and waits until it has subscribed.
  void up(const std::string& manifest, std::vector<std::string> extra = {}) {
    app_ = std::make_unique<TempApp>(manifest);
    std::vector<std::string> args{"-f", app_->manifest().string(), "--log-dir",
                                  (app_->dir() / "logs").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string failure;
    server_ = LeptonServer::start_until(args, "Active Channels on [^\n]*\n", &failure);
    ASSERT_TRUE(server_) << failure;
  }

  // PUBLISH; returns the number of subscribers that got it.
  std::string publish(const std::string& channel, const std::string& payload,
                      const RedisServer* server = nullptr) {
    return (server ? server : redis_.get())->command({"PUBLISH", channel, payload});
  }

  // Polls until `key` holds `n` elements (or 10 s pass); returns them in order, joined by "|".
  std::string wait_for_list(const std::string& key, size_t n, const RedisServer* server = nullptr) {
    const RedisServer* s = server ? server : redis_.get();
    auto until = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < until) {
      if (s->command({"LLEN", key}) == std::to_string(n)) break;
      std::this_thread::sleep_for(20ms);
    }
    std::string out;
    for (size_t i = 0;; ++i) {
      std::string item = s->command({"LINDEX", key, std::to_string(i)});
      if (item == "(nil)") break;
      out += (out.empty() ? "" : "|") + item;
    }
    return out;
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<TempApp> app_;
  std::unique_ptr<LeptonServer> server_;
};

TEST_F(RedisTriggerTest, DeliversMessagesWithoutAnHttpListener) {
  up(simple_app());
  EXPECT_TRUE(server_->wait_for_output("Active Channels on " + addr() + ":\n\t" + addr() +
                                       "/messages: [worker]\n"))
      << server_->output();
  std::string out = server_->output();
  EXPECT_EQ(out.find("Serving http"), std::string::npos) << out;
  EXPECT_EQ(publish("messages", "hello"), "1");
  EXPECT_EQ(publish("messages", std::string("bin\0ary", 7)), "1");
  EXPECT_EQ(publish("other", "not for us"), "0");
  EXPECT_EQ(publish("messages", "third"), "1");
  EXPECT_EQ(wait_for_list("log", 3), std::string("hello|bin\0ary|third", 19));
  EXPECT_EQ(server_->stop(), 0) << server_->output();
}

TEST_F(RedisTriggerTest, ChannelsAddressesAndTemplates) {
  // x on "a" (default address), y on "{{ chan }}" = "b" at its own templated address, z on "a"
  // as well: one subscription for the address, carrying both channels.
  up(fmt::format(R"(spin_manifest_version = 2
[application]
name = "channels"
[application.trigger.redis]
address = "redis://127.0.0.1:{{{{ port }}}}"
[variables]
port = {{ default = "{0}" }}
chan = {{ default = "b" }}
url = {{ default = "{1}" }}
[[trigger.redis]]
channel = "a"
component = "x"
[[trigger.redis]]
channel = "{{{{ chan }}}}"
address = "{{{{ url }}}}"
component = "y"
[[trigger.redis]]
channel = "a"
component = "z"
{2}{3}{4})",
                 redis_->port(), redis_->url(), component("x", redis_->url(), "log-x"),
                 component("y", redis_->url(), "log-y"), component("z", redis_->url(), "log-z")));
  EXPECT_TRUE(server_->wait_for_output("\t" + addr() + "/a: [x,z]\n")) << server_->output();
  EXPECT_TRUE(server_->wait_for_output("\t" + addr() + "/b: [y]\n")) << server_->output();
  EXPECT_EQ(redis_->command({"PUBSUB", "NUMSUB", "a", "b"}), "1,1,a,b");  // one connection each
  EXPECT_EQ(publish("a", "to-a"), "1");
  EXPECT_EQ(publish("b", "to-b"), "1");
  EXPECT_EQ(wait_for_list("log-x", 1), "to-a");
  EXPECT_EQ(wait_for_list("log-z", 1), "to-a");
  EXPECT_EQ(wait_for_list("log-y", 1), "to-b");
}

TEST_F(RedisTriggerTest, TrapsAndErrorsAreLoggedAndLaterMessagesStillArrive) {
  up(simple_app(), {"--quiet"});
  EXPECT_EQ(publish("messages", "first"), "1");
  EXPECT_EQ(publish("messages", "trap"), "1");
  EXPECT_EQ(publish("messages", "fail"), "1");
  EXPECT_EQ(publish("messages", "after"), "1");
  EXPECT_EQ(wait_for_list("log", 2), "first|after");
  EXPECT_TRUE(server_->wait_for_output(
      "component 'worker' failed to handle a message on channel 'messages': component 'worker' "
      "failed"))
      << server_->output();
  EXPECT_TRUE(server_->wait_for_output("the Redis handler returned an error")) << server_->output();
  std::ifstream log(app_->dir() / "logs" / "worker_stderr.txt");
  std::stringstream s;
  s << log.rdbuf();
  EXPECT_NE(s.str().find("failed to handle a message on channel 'messages'"), std::string::npos)
      << s.str();
}

TEST_F(RedisTriggerTest, ResubscribesAfterRedisRestartsOnTheSamePort) {
  up(simple_app());
  EXPECT_EQ(publish("messages", "before"), "1");
  EXPECT_EQ(wait_for_list("log", 1), "before");

  uint16_t port = redis_->port();
  redis_->kill_now();
  EXPECT_TRUE(server_->wait_for_output("lost the connection to " + addr())) << server_->output();
  std::this_thread::sleep_for(300ms);  // let a reconnect attempt or two fail
  std::string why;
  auto again = RedisServer::start_on(port, &why);
  ASSERT_TRUE(again) << why;
  EXPECT_TRUE(server_->wait_for_output("reconnected to " + addr(), 15s)) << server_->output();
  EXPECT_EQ(publish("messages", "after", again.get()), "1");
  EXPECT_EQ(wait_for_list("log", 1, again.get()), "after");
  EXPECT_EQ(server_->stop(), 0);
}

TEST_F(RedisTriggerTest, StopsPromptlyWhileRedisIsDown) {
  up(simple_app());
  redis_->kill_now();
  EXPECT_TRUE(server_->wait_for_output("lost the connection")) << server_->output();
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(server_->stop(), 0) << server_->output();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST_F(RedisTriggerTest, AHandlerThatNeverReturnsDoesNotHangTheStop) {
  up(simple_app());
  EXPECT_EQ(publish("messages", "loop"), "1");
  std::this_thread::sleep_for(200ms);  // the guest is spinning now
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(server_->stop(), 0) << server_->output();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 15s);
  EXPECT_NE(server_->output().find("a Redis handler is still running after 10 s"),
            std::string::npos)
      << server_->output();
}

TEST_F(RedisTriggerTest, ServesHttpAndRedisTogether) {
  std::string hello = guest("components/hello");
  if (!std::filesystem::exists(hello)) GTEST_SKIP() << "component hello was not built";
  app_ = std::make_unique<TempApp>(simple_app() + fmt::format(R"(
[[trigger.http]]
route = "/hello"
component = "web"
[component.web]
source = "{}"
)",
                                                              hello));
  std::string failure;
  server_ = LeptonServer::start({"-f", app_->manifest().string()}, &failure);
  ASSERT_TRUE(server_) << failure;
  EXPECT_NE(server_->output().find("Active Channels on " + addr()), std::string::npos);
  auto r = server_->get("/hello");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(publish("messages", "both"), "1");
  EXPECT_EQ(wait_for_list("log", 1), "both");
}

TEST_F(RedisTriggerTest, Spin1CoreModule) {
  // tests/guests/spin1_probe.c exports handle-redis-message (wit-bindgen 0.2 ABI) and stores each
  // payload with Spin 1 outbound-redis `set`.
  up(fmt::format(R"(spin_manifest_version = "1"
name = "spin1-redis"
trigger = {{ type = "redis", address = "{0}" }}
[[component]]
id = "probe"
source = "{1}"
allowed_outbound_hosts = ["{0}"]
environment = {{ REDIS_ADDRESS = "{0}", LOG_KEY = "spin1-last" }}
[component.trigger]
channel = "spin1"
)",
                 redis_->url(), guest("spin1_probe")));
  EXPECT_EQ(publish("spin1", "one"), "1");
  auto until = std::chrono::steady_clock::now() + 10s;
  while (redis_->command({"GET", "spin1-last"}) != "one" &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(redis_->command({"GET", "spin1-last"}), "one");
  EXPECT_EQ(publish("spin1", "trap"), "1");
  EXPECT_EQ(publish("spin1", "fail"), "1");
  EXPECT_EQ(publish("spin1", "two"), "1");
  until = std::chrono::steady_clock::now() + 10s;
  while (redis_->command({"GET", "spin1-last"}) != "two" &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(redis_->command({"GET", "spin1-last"}), "two");
  EXPECT_TRUE(
      server_->wait_for_output("component 'probe' failed to handle a message on channel "
                               "'spin1'"))
      << server_->output();
  EXPECT_TRUE(server_->wait_for_output("the Redis handler returned an error")) << server_->output();
}

TEST_F(RedisTriggerTest, StartupErrors) {
  // Nothing listens: Spin fails at startup too.
  uint16_t dead = free_port();
  auto r = run_lepton({"up", "-f",
                       TempApp(fmt::format(R"(spin_manifest_version = 2
[application]
name = "dead"
[[trigger.redis]]
address = "redis://127.0.0.1:{}"
channel = "c"
component = "worker"
{})",
                                           dead, component("worker", redis_->url(), "log")))
                           .manifest()
                           .string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("Redis trigger failed to connect to 127.0.0.1:" + std::to_string(dead)),
            std::string::npos)
      << r.output;

  // Not a redis:// URL (after template resolution).
  TempApp bad_url(fmt::format(R"(spin_manifest_version = 2
[application]
name = "bad"
[variables]
where = {{ default = "http://127.0.0.1" }}
[[trigger.redis]]
address = "{{{{ where }}}}"
channel = "c"
component = "worker"
{})",
                              component("worker", redis_->url(), "log")));
  r = run_lepton({"up", "-f", bad_url.manifest().string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("invalid address \"http://127.0.0.1\""), std::string::npos) << r.output;

  // A component without a Redis handler (an HTTP component).
  std::string hello = guest("components/hello");
  if (std::filesystem::exists(hello)) {
    TempApp http_only(fmt::format(R"(spin_manifest_version = 2
[application]
name = "wrong"
[[trigger.redis]]
address = "{}"
channel = "c"
component = "web"
[component.web]
source = "{}"
)",
                                  redis_->url(), hello));
    r = run_lepton({"up", "-f", http_only.manifest().string()});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.output.find("component 'web' is used by a Redis trigger but exports no Redis "
                            "handler"),
              std::string::npos)
        << r.output;
  }

  // Manifest errors name the file and the field.
  TempApp no_channel(fmt::format(R"(spin_manifest_version = 2
[application]
name = "nochan"
[[trigger.redis]]
address = "{}"
component = "worker"
{})",
                                 redis_->url(), component("worker", redis_->url(), "log")));
  r = run_lepton({"up", "-f", no_channel.manifest().string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("spin.toml"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("missing field 'channel' in [[trigger.redis]]"), std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace lepton::testing
