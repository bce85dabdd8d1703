#include "redis/subscriber.h"

#include <fmt/ranges.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "redis/connection.h"

namespace lepton::redis {

namespace {

using Clock = std::chrono::steady_clock;

// ["message", channel, payload]: the channel and payload; otherwise false.
bool as_message(const Reply& r, std::string& channel, std::string& payload) {
  if (r.kind != Reply::Kind::kArray || r.elements.size() < 3) return false;
  const Reply& kind = r.elements[0];
  if (kind.kind != Reply::Kind::kString || kind.text != "message") return false;
  channel = r.elements[1].text;
  payload = r.elements[2].text;
  return true;
}

}  // namespace

struct Subscriber::Connection {
  std::unique_ptr<redis::Connection> io;
  // Messages read while still waiting for the subscription confirmations.
  std::vector<std::pair<std::string, std::string>> pending;
};

Subscriber::Subscriber(Address address, std::vector<std::string> channels, Handler handler,
                       Options options)
    : address_(std::move(address)),
      channels_(std::move(channels)),
      handler_(std::move(handler)),
      options_(options),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

Subscriber::~Subscriber() {
  stop();
  if (wake_fd_ >= 0) close(wake_fd_);
}

std::string Subscriber::display() const {
  return fmt::format("{}:{}", address_.host, address_.port);
}

Subscriber::Wait Subscriber::wait(Clock::time_point deadline) const {
  while (true) {
    if (stopping_) return Wait::kStopped;
    int timeout = -1;
    if (deadline != Clock::time_point::max()) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return Wait::kTimeout;
      timeout = static_cast<int>(left.count());
    }
    pollfd p{wake_fd_, POLLIN, 0};
    int n = poll(&p, 1, timeout);
    if (n < 0 && errno != EINTR) return Wait::kTimeout;
    if (n <= 0) continue;
    return Wait::kStopped;
  }
}

bool Subscriber::sleep(std::chrono::milliseconds d) const {
  return wait(Clock::now() + d) != Wait::kStopped;
}

Result<std::unique_ptr<Subscriber::Connection>> Subscriber::open() {
  if (stopping_) return fail("stopped");
  auto conn = std::make_unique<Connection>();
  auto deadline = Clock::now() + options_.connect_timeout;
  redis::Connection::Options io_options;
  io_options.component_id = options_.component_id;
  io_options.apply_block_networks = false;  // the app's own trigger, not a guest's connection
  io_options.wake_fd = wake_fd_;
  auto timed_out = [&](Error e) -> Error {
    if (e.message.ends_with(": timed out"))
      return fail("{} after {} ms", e.message, options_.connect_timeout.count());
    return e;
  };
  auto io = redis::Connection::open(address_, io_options, deadline);
  if (!io) return timed_out(std::move(io).error());
  conn->io = std::move(*io);

  std::vector<std::vector<std::string>> commands;
  bool auth = !address_.password.empty();
  if (auth) {
    std::vector<std::string> argv{"AUTH"};
    if (!address_.user.empty()) argv.push_back(address_.user);
    argv.push_back(address_.password);
    commands.push_back(std::move(argv));
  }
  std::vector<std::string> subscribe{"SUBSCRIBE"};
  subscribe.insert(subscribe.end(), channels_.begin(), channels_.end());
  commands.push_back(std::move(subscribe));
  if (Status sent = conn->io->send(commands, deadline); !sent)
    return timed_out(std::move(sent).error().context(fmt::format("subscribing on {}", display())));

  // The AUTH reply, then one confirmation per channel.
  size_t confirmations = channels_.size();
  while (auth || confirmations > 0) {
    auto reply = conn->io->receive(deadline);
    if (!reply)
      return timed_out(
          std::move(reply).error().context(fmt::format("subscribing on {}", display())));
    if (reply->kind == Reply::Kind::kError)
      return fail("{} on {}: {}", auth ? "AUTH" : "SUBSCRIBE", display(), reply->text);
    if (auth) {
      auth = false;
      continue;
    }
    std::string channel, payload;
    if (as_message(*reply, channel, payload)) {
      conn->pending.emplace_back(std::move(channel), std::move(payload));
    } else if (reply->kind == Reply::Kind::kArray && !reply->elements.empty() &&
               reply->elements[0].text == "subscribe") {
      --confirmations;
    }
  }
  return conn;
}

Status Subscriber::connect() {
  LEPTON_TRY(connection_, open());
  return {};
}

void Subscriber::start() {
  thread_ = std::thread([this] {
    run();
    std::lock_guard lock(mutex_);
    finished_ = true;
    finished_cv_.notify_all();
  });
}

bool Subscriber::stop(std::chrono::milliseconds grace) {
  stopping_ = true;
  uint64_t one = 1;
  if (wake_fd_ >= 0) (void)!write(wake_fd_, &one, sizeof one);
  if (!thread_.joinable()) return true;
  if (grace != std::chrono::milliseconds::max()) {
    std::unique_lock lock(mutex_);
    if (!finished_cv_.wait_for(lock, grace, [this] { return finished_; })) return false;
  }
  thread_.join();
  return true;
}

std::string Subscriber::serve(Connection& c) {
  for (auto& [channel, payload] : c.pending) {
    if (stopping_) return {};
    handler_(channel, payload);
  }
  c.pending.clear();
  while (true) {
    auto reply = c.io->receive(Clock::time_point::max());
    if (stopping_) return {};
    if (!reply) return reply.error().message;
    std::string channel, payload;
    if (as_message(*reply, channel, payload)) handler_(channel, payload);
  }
}

void Subscriber::run() {
  std::unique_ptr<Connection> c = std::move(connection_);
  while (!stopping_) {
    if (c) {
      std::string why = serve(*c);
      c.reset();
      if (stopping_) return;
      spdlog::warn("Redis trigger: lost the connection to {} ({}); reconnecting", display(), why);
    }
    auto delay = options_.initial_backoff;
    while (true) {
      if (!sleep(delay)) return;
      auto opened = open();
      if (opened) {
        c = std::move(*opened);
        spdlog::info("Redis trigger: reconnected to {} and subscribed again to {}", display(),
                     fmt::join(channels_, ", "));
        break;
      }
      if (stopping_) return;
      delay = std::min(delay * 2, options_.max_backoff);
      spdlog::warn("Redis trigger: reconnecting to {} failed: {}; next attempt in {} ms", display(),
                   opened.error().message, delay.count());
    }
  }
}

}  // namespace lepton::redis
