#include "redis/subscriber.h"

#include <fmt/ranges.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace lepton::redis {

namespace {

using Clock = std::chrono::steady_clock;

std::string_view str(const redisReply* r) {
  return r->str == nullptr ? std::string_view() : std::string_view(r->str, r->len);
}

// ["message", channel, payload]: the channel and payload; otherwise false.
bool as_message(const redisReply* r, std::string& channel, std::string& payload) {
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 3) return false;
  const redisReply* kind = r->element[0];
  if (kind->type != REDIS_REPLY_STRING || str(kind) != "message") return false;
  channel = std::string(str(r->element[1]));
  payload = std::string(str(r->element[2]));
  return true;
}

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

}  // namespace

struct Subscriber::Connection {
  redisContext* context = nullptr;
  // Messages read while still waiting for the subscription confirmations.
  std::vector<std::pair<std::string, std::string>> pending;
  ~Connection() {
    if (context != nullptr) redisFree(context);
  }
  int fd() const { return context->fd; }
  std::string error() const {
    return context->errstr[0] != 0 ? std::string(context->errstr) : std::string("I/O error");
  }
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

Subscriber::Wait Subscriber::wait(int fd, short events, Clock::time_point deadline) const {
  while (true) {
    if (stopping_) return Wait::kStopped;
    int timeout = -1;
    if (deadline != Clock::time_point::max()) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return Wait::kTimeout;
      timeout = static_cast<int>(left.count());
    }
    pollfd p[2] = {{wake_fd_, POLLIN, 0}, {fd, events, 0}};
    int n = poll(p, fd >= 0 ? 2 : 1, timeout);
    if (n < 0 && errno != EINTR) return Wait::kTimeout;
    if (n <= 0) continue;
    if (p[0].revents != 0) return Wait::kStopped;
    if (fd >= 0 && p[1].revents != 0) return Wait::kReady;
  }
}

bool Subscriber::sleep(std::chrono::milliseconds d) const {
  return wait(-1, 0, Clock::now() + d) != Wait::kStopped;
}

Result<std::unique_ptr<Subscriber::Connection>> Subscriber::open() {
  if (address_.scheme == "rediss")
    return fail("rediss:// (TLS) is not supported: lepton's hiredis has no TLS");
  auto conn = std::make_unique<Connection>();
  conn->context = redisConnectNonBlock(address_.host.c_str(), address_.port);
  if (conn->context == nullptr) return fail("connecting to {}: out of memory", display());
  if (conn->context->err != 0) return fail("connecting to {}: {}", display(), conn->error());
  auto deadline = Clock::now() + options_.connect_timeout;
  auto await = [&](short events, std::string_view what) -> Status {
    switch (wait(conn->fd(), events, deadline)) {
      case Wait::kReady:
        return {};
      case Wait::kStopped:
        return fail("stopped");
      case Wait::kTimeout:
        break;
    }
    return fail("{} {}: timed out after {} ms", what, display(), options_.connect_timeout.count());
  };
  LEPTON_CHECK(await(POLLOUT, "connecting to"));
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(conn->fd(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) return fail("connecting to {}: {}", display(), std::strerror(err));
  redisEnableKeepAlive(conn->context);

  auto append = [&](const std::vector<std::string>& argv) {
    std::vector<const char*> args;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    redisAppendCommandArgv(conn->context, static_cast<int>(args.size()), args.data(), lens.data());
  };
  bool auth = !address_.password.empty();
  if (auth) {
    std::vector<std::string> argv{"AUTH"};
    if (!address_.user.empty()) argv.push_back(address_.user);
    argv.push_back(address_.password);
    append(argv);
  }
  std::vector<std::string> subscribe{"SUBSCRIBE"};
  subscribe.insert(subscribe.end(), channels_.begin(), channels_.end());
  append(subscribe);
  while (true) {
    int done = 0;
    if (redisBufferWrite(conn->context, &done) == REDIS_ERR)
      return fail("subscribing on {}: {}", display(), conn->error());
    if (done != 0) break;
    LEPTON_CHECK(await(POLLOUT, "subscribing on"));
  }

  // The AUTH reply, then one confirmation per channel.
  size_t confirmations = channels_.size();
  while (auth || confirmations > 0) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(conn->context, &raw) == REDIS_ERR)
      return fail("subscribing on {}: {}", display(), conn->error());
    if (raw == nullptr) {
      LEPTON_CHECK(await(POLLIN, "subscribing on"));
      if (redisBufferRead(conn->context) == REDIS_ERR)
        return fail("subscribing on {}: {}", display(), conn->error());
      continue;
    }
    ReplyPtr reply(static_cast<redisReply*>(raw));
    if (reply->type == REDIS_REPLY_ERROR)
      return fail("{} on {}: {}", auth ? "AUTH" : "SUBSCRIBE", display(), str(reply.get()));
    if (auth) {
      auth = false;
      continue;
    }
    std::string channel, payload;
    if (as_message(reply.get(), channel, payload)) {
      conn->pending.emplace_back(std::move(channel), std::move(payload));
    } else if (reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1 &&
               str(reply->element[0]) == "subscribe") {
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
    void* raw = nullptr;
    if (redisGetReplyFromReader(c.context, &raw) == REDIS_ERR) return c.error();
    if (raw != nullptr) {
      ReplyPtr reply(static_cast<redisReply*>(raw));
      std::string channel, payload;
      if (as_message(reply.get(), channel, payload)) {
        if (stopping_) return {};
        handler_(channel, payload);
      }
      continue;
    }
    if (wait(c.fd(), POLLIN, Clock::time_point::max()) == Wait::kStopped) return {};
    if (redisBufferRead(c.context) == REDIS_ERR) return c.error();
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
