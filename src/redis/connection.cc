#include "redis/connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "outbound/client_tls.h"
#include "outbound/outbound.h"

namespace lepton::redis {

namespace {

Reply convert(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_STATUS:
      out.kind = Reply::Kind::kStatus;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.kind = Reply::Kind::kError;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.kind = Reply::Kind::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.kind = Reply::Kind::kString;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      out.kind = Reply::Kind::kArray;
      break;
    default:
      out.kind = Reply::Kind::kNil;
      break;
  }
  return out;
}

// The queued OpenSSL errors as text (and clears them).
std::string ssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

bool is_ip(const std::string& host) {
  in6_addr a6{};
  in_addr a4{};
  return inet_pton(AF_INET, host.c_str(), &a4) == 1 || inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

socklen_t length_of(const sockaddr_storage& a) {
  return a.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

Result<std::vector<sockaddr_storage>> resolve(const Address& address, bool apply_policy) {
  if (apply_policy && !outbound::blocked_networks().empty())
    return outbound::resolve_allowed(address.host, address.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string port = std::to_string(address.port);
  if (int rc = getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return fail("cannot resolve {}: {}", address.host, gai_strerror(rc));
  std::vector<sockaddr_storage> out;
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    sockaddr_storage s{};
    std::memcpy(&s, ai->ai_addr, std::min<size_t>(ai->ai_addrlen, sizeof s));
    out.push_back(s);
  }
  freeaddrinfo(found);
  if (out.empty()) return fail("cannot resolve {}: no address", address.host);
  return out;
}

}  // namespace

Connection::~Connection() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) close(fd_);
  if (reader_ != nullptr) redisReaderFree(reader_);
}

Status Connection::wait(short events, Clock::time_point deadline, std::string_view step) {
  while (true) {
    int timeout = -1;
    if (deadline != Clock::time_point::max()) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return fail("{} {}: timed out", step, where_);
      timeout = static_cast<int>(left.count());
    }
    pollfd p[2] = {{fd_, events, 0}, {wake_fd_, POLLIN, 0}};
    int n = poll(p, wake_fd_ >= 0 ? 2 : 1, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("{} {}: poll: {}", step, where_, std::strerror(errno));
    }
    if (n == 0) continue;  // the deadline check above ends the loop
    if (wake_fd_ >= 0 && p[1].revents != 0) return Error{std::string(kStopped)};
    if (p[0].revents != 0) return {};
  }
}

Result<std::unique_ptr<Connection>> Connection::open(const Address& address, const Options& options,
                                                     Clock::time_point deadline) {
  auto c = std::unique_ptr<Connection>(new Connection());
  bool v6 = address.host.find(':') != std::string::npos;
  c->where_ = fmt::format("{}{}{}:{}", v6 ? "[" : "", address.host, v6 ? "]" : "", address.port);
  c->wake_fd_ = options.wake_fd;
  c->reader_ = redisReaderCreate();
  if (c->reader_ == nullptr) return fail("connecting to {}: out of memory", c->where_);

  auto addresses = resolve(address, options.apply_block_networks);
  if (!addresses) return addresses.error().context(fmt::format("connecting to {}", c->where_));
  std::string last_error;
  for (const sockaddr_storage& a : *addresses) {
    const auto* sa = reinterpret_cast<const sockaddr*>(&a);
    int fd = socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    if (c->fd_ >= 0) close(c->fd_);
    c->fd_ = fd;
    if (::connect(fd, sa, length_of(a)) != 0 && errno != EINPROGRESS) {
      last_error = fmt::format("{}: {}", outbound::ip_text(sa), std::strerror(errno));
      continue;
    }
    Status ready = c->wait(POLLOUT, deadline, "connecting to");
    if (!ready) {
      if (ready.error().message == kStopped) return std::move(ready).error();
      last_error = ready.error().message;
      continue;
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) {
      last_error = fmt::format("{}: {}", outbound::ip_text(sa), std::strerror(err));
      continue;
    }
    last_error.clear();
    break;
  }
  if (!last_error.empty()) {
    if (last_error.starts_with("connecting to")) return fail("{}", last_error);
    return fail("connecting to {}: {}", c->where_, last_error);
  }
  int one = 1;
  setsockopt(c->fd_, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  setsockopt(c->fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  if (address.scheme != "rediss") return c;

  // TLS.
  ERR_clear_error();
  c->ctx_ = SSL_CTX_new(TLS_client_method());
  if (c->ctx_ == nullptr) return fail("TLS with {}: {}", c->where_, ssl_errors());
  SSL_CTX_set_min_proto_version(c->ctx_, TLS1_2_VERSION);
  auto tls = outbound::tls_for(options.component_id, address.host, address.port);
  if (Status s = outbound::configure_ssl_ctx(c->ctx_, tls); !s)
    return std::move(s).error().context(fmt::format("TLS with {}", c->where_));
  c->ssl_ = SSL_new(c->ctx_);
  if (c->ssl_ == nullptr || SSL_set_fd(c->ssl_, c->fd_) != 1)
    return fail("TLS with {}: {}", c->where_, ssl_errors());
  if (is_ip(address.host)) {
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl_), address.host.c_str()) != 1)
      return fail("TLS with {}: bad IP address", c->where_);
  } else {
    if (SSL_set_tlsext_host_name(c->ssl_, address.host.c_str()) != 1 ||
        SSL_set1_host(c->ssl_, address.host.c_str()) != 1)
      return fail("TLS with {}: cannot set the server name: {}", c->where_, ssl_errors());
  }
  while (true) {
    ERR_clear_error();
    int rc = SSL_connect(c->ssl_);
    if (rc == 1) break;
    int e = SSL_get_error(c->ssl_, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      LEPTON_CHECK(
          c->wait(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, "TLS handshake with"));
      continue;
    }
    long verify = SSL_get_verify_result(c->ssl_);
    if (verify != X509_V_OK)
      return fail("TLS handshake with {} failed: certificate verify failed ({})", c->where_,
                  X509_verify_cert_error_string(verify));
    std::string why = ssl_errors();
    if (why.empty())
      why = e == SSL_ERROR_SYSCALL && errno != 0 ? std::strerror(errno)
                                                 : "the server closed the connection";
    return fail("TLS handshake with {} failed: {}", c->where_, why);
  }
  return c;
}

Status Connection::write_all(std::string_view data, Clock::time_point deadline) {
  size_t done = 0;
  while (done < data.size()) {
    const char* p = data.data() + done;
    size_t n = data.size() - done;
    if (ssl_ != nullptr) {
      ERR_clear_error();
      int rc = SSL_write(ssl_, p, static_cast<int>(std::min<size_t>(n, 1 << 30)));
      if (rc > 0) {
        done += static_cast<size_t>(rc);
        continue;
      }
      int e = SSL_get_error(ssl_, rc);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        LEPTON_CHECK(wait(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, "writing to"));
        continue;
      }
      std::string why = ssl_errors();
      return fail("writing to {}: {}", where_, why.empty() ? std::strerror(errno) : why);
    }
    ssize_t rc = ::send(fd_, p, n, MSG_NOSIGNAL);
    if (rc > 0) {
      done += static_cast<size_t>(rc);
      continue;
    }
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      LEPTON_CHECK(wait(POLLOUT, deadline, "writing to"));
      continue;
    }
    return fail("writing to {}: {}", where_, std::strerror(errno));
  }
  return {};
}

Status Connection::read_some(Clock::time_point deadline) {
  char buf[16384];
  while (true) {
    if (ssl_ != nullptr) {
      ERR_clear_error();
      int rc = SSL_read(ssl_, buf, sizeof buf);
      if (rc > 0) {
        redisReaderFeed(reader_, buf, static_cast<size_t>(rc));
        return {};
      }
      int e = SSL_get_error(ssl_, rc);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        LEPTON_CHECK(wait(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, "reading from"));
        continue;
      }
      if (e == SSL_ERROR_ZERO_RETURN) return fail("{} closed the connection", where_);
      std::string why = ssl_errors();
      if (why.empty())
        why = e == SSL_ERROR_SYSCALL && errno != 0 ? std::strerror(errno)
                                                   : "the server closed the connection";
      return fail("reading from {}: {}", where_, why);
    }
    ssize_t rc = ::recv(fd_, buf, sizeof buf, 0);
    if (rc > 0) {
      redisReaderFeed(reader_, buf, static_cast<size_t>(rc));
      return {};
    }
    if (rc == 0) return fail("{} closed the connection", where_);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      LEPTON_CHECK(wait(POLLIN, deadline, "reading from"));
      continue;
    }
    return fail("reading from {}: {}", where_, std::strerror(errno));
  }
}

Status Connection::send(const std::vector<std::vector<std::string>>& commands,
                        Clock::time_point deadline) {
  std::string out;
  for (const auto& argv : commands) {
    std::vector<const char*> args;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    char* formatted = nullptr;
    int n =
        redisFormatCommandArgv(&formatted, static_cast<int>(args.size()), args.data(), lens.data());
    if (n < 0 || formatted == nullptr) return fail("formatting a command: out of memory");
    out.append(formatted, static_cast<size_t>(n));
    redisFreeCommand(formatted);
  }
  return write_all(out, deadline);
}

Result<Reply> Connection::receive(Clock::time_point deadline) {
  while (true) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_, &raw) != REDIS_OK)
      return fail("protocol error from {}: {}", where_, reader_->errstr);
    if (raw != nullptr) {
      Reply out = convert(static_cast<redisReply*>(raw));
      freeReplyObject(raw);
      return out;
    }
    LEPTON_CHECK(read_some(deadline));
  }
}

}  // namespace lepton::redis
