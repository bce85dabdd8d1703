#include "triggers/redis_trigger.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

namespace lepton::triggers {

Result<std::unique_ptr<RedisTrigger>> RedisTrigger::create(const AppRuntime& runtime) {
  const app::App& app = runtime.app();
  auto trigger = std::unique_ptr<RedisTrigger>(new RedisTrigger());
  for (const auto& t : app.redis_triggers) {
    const std::string& address_text = t.address.empty() ? app.redis_address : t.address;
    if (address_text.empty())
      return fail(
          "Redis trigger '{}' has no address and the application sets no default "
          "([application.trigger.redis] address)",
          t.id);
    auto url = runtime.variables().render(address_text);
    if (!url)
      return fail("Redis trigger '{}': failed to resolve the address \"{}\" for component '{}': {}",
                  t.id, address_text, t.component, url.error().message);
    auto channel = runtime.variables().render(t.channel);
    if (!channel)
      return fail("Redis trigger '{}': failed to resolve the channel \"{}\" for component '{}': {}",
                  t.id, t.channel, t.component, channel.error().message);
    auto address = redis::parse_address(*url);
    if (!address)
      return fail("Redis trigger '{}': invalid address \"{}\": {}", t.id, *url,
                  address.error().message);
    const executors::RedisExecutor* executor = nullptr;
    if (auto it = trigger->executors_.find(t.component); it != trigger->executors_.end()) {
      executor = it->second.get();
    } else {
      const executors::ComponentHost* component = runtime.component(t.component);
      if (component == nullptr)
        return fail("Redis trigger '{}' names unknown component '{}'", t.id, t.component);
      LEPTON_TRY(auto made, executors::RedisExecutor::create(*component));
      executor = made.get();
      trigger->executors_.emplace(t.component, std::move(made));
    }

    auto& sub = trigger->subscriptions_[*url];
    if (!sub) {
      sub = std::make_unique<Subscription>();
      sub->url = *url;
      sub->address = *address;
      sub->component_id = t.component;  // rediss://: its [[client_tls]] rules apply
    }
    sub->channels[*channel].push_back(executor);
  }
  return trigger;
}

RedisTrigger::~RedisTrigger() { stop(); }

Status RedisTrigger::start() {
  for (auto& [url, sub] : subscriptions_) {
    std::vector<std::string> channels;
    for (const auto& [channel, executors] : sub->channels) channels.push_back(channel);
    const Subscription* s = sub.get();
    redis::Subscriber::Options options;
    options.component_id = sub->component_id;
    sub->subscriber = std::make_unique<redis::Subscriber>(
        sub->address, channels,
        [this, s](const std::string& channel, const std::string& payload) {
          deliver(*s, channel, payload);
        },
        options);
    std::string display = sub->subscriber->display();
    spdlog::info("Connecting to Redis server at {}", display);
    if (auto ok = sub->subscriber->connect(); !ok)
      return fail("Redis trigger failed to connect to {}: {}", display, ok.error().message);
    std::printf("Active Channels on %s:\n", display.c_str());
    for (const auto& [channel, executors] : sub->channels) {
      std::string ids;
      for (const auto* e : executors) ids += (ids.empty() ? "" : ",") + e->component().id();
      std::printf("\t%s/%s: [%s]\n", display.c_str(), channel.c_str(), ids.c_str());
    }
    std::fflush(stdout);
  }
  for (auto& [url, sub] : subscriptions_) sub->subscriber->start();
  return {};
}

bool RedisTrigger::stop(std::chrono::milliseconds grace) {
  using Clock = std::chrono::steady_clock;
  bool forever = grace == std::chrono::milliseconds::max();
  auto until = forever ? Clock::time_point::max() : Clock::now() + grace;
  bool all = true;
  for (auto& [url, sub] : subscriptions_) {
    if (!sub->subscriber) continue;
    auto left =
        forever
            ? grace
            : std::max(std::chrono::milliseconds(0),
                       std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()));
    all &= sub->subscriber->stop(left);
  }
  return all;
}

void RedisTrigger::deliver(const Subscription& s, const std::string& channel,
                           const std::string& payload) const {
  auto it = s.channels.find(channel);
  if (it == s.channels.end()) {
    spdlog::error("Redis trigger: message from unexpected channel \"{}\" on {}", channel,
                  s.subscriber->display());
    return;
  }
  for (const executors::RedisExecutor* executor : it->second) {
    auto done = executor->handle(payload);
    if (done) continue;
    const executors::ComponentHost& component = executor->component();
    std::string message =
        fmt::format("Redis trigger: component '{}' failed to handle a message on channel '{}': {}",
                    component.id(), channel, done.error().message);
    spdlog::error("{}", message);
    component.logs().err(fmt::format("lepton: {}\n", message));
  }
}

}  // namespace lepton::triggers
