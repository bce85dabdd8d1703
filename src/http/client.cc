#include "http/client.h"

// Boost 1.74 does not detect C++20 coroutines with clang + libstdc++; they work.
#include <coroutine>
#ifndef BOOST_ASIO_HAS_CO_AWAIT
#define BOOST_ASIO_HAS_CO_AWAIT 1
#endif
#ifndef BOOST_ASIO_HAS_STD_COROUTINE
#define BOOST_ASIO_HAS_STD_COROUTINE 1
#endif

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <map>
#include <optional>
#include <thread>
#include <type_traits>

#include "common/suspend.h"
#include "outbound/client_tls.h"
#include "outbound/outbound.h"

namespace lepton::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

Result<Url> parse_url(std::string_view text) {
  auto sep = text.find("://");
  if (sep == std::string_view::npos) return fail("'{}' is not an absolute URL", text);
  Url url;
  url.scheme = std::string(text.substr(0, sep));
  for (auto& c : url.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (url.scheme != "http" && url.scheme != "https")
    return fail("'{}': unsupported scheme '{}'", text, url.scheme);
  std::string_view rest = text.substr(sep + 3);
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  url.target = end == std::string_view::npos ? "/" : std::string(rest.substr(end));
  if (url.target.starts_with("?")) url.target.insert(0, "/");
  if (auto hash = url.target.find('#'); hash != std::string::npos) url.target.resize(hash);
  if (authority.find('@') != std::string_view::npos)
    return fail("'{}': credentials in URLs are not supported", text);
  std::string_view port_text;
  if (authority.starts_with("[")) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return fail("'{}': unterminated IPv6 address", text);
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(":")) return fail("'{}': bad authority", text);
      port_text = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return fail("'{}' has no host", text);
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || port == 0 || port > 65535)
      return fail("'{}': bad port '{}'", text, port_text);
    url.port = static_cast<uint16_t>(port);
  } else {
    url.port = url.scheme == "https" ? 443 : 80;
  }
  return url;
}

namespace {

using asio::awaitable;
using asio::use_awaitable;

bhttp::request<bhttp::string_body> build(const OutgoingRequest& request) {
  bhttp::request<bhttp::string_body> req;
  req.method_string(request.method);
  req.target(request.url.target);
  req.version(11);
  bool has_host = false;
  for (const auto& h : request.headers) {
    if (header_name_equals(h.name, "host")) has_host = true;
    req.insert(h.name, h.value);
  }
  if (!has_host) {
    const Url& url = request.url;
    bool default_port =
        (url.scheme == "http" && url.port == 80) || (url.scheme == "https" && url.port == 443);
    std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
    req.set(bhttp::field::host, default_port ? host : fmt::format("{}:{}", host, url.port));
  }
  req.body() = request.body;
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT")
    req.prepare_payload();
  return req;
}

// A response, and whether its connection may carry another request.
struct Exchanged {
  Response response;
  bool keep_alive = false;
};

template <typename Stream>
awaitable<Exchanged> exchange(Stream& stream, const OutgoingRequest& request) {
  auto req = build(request);
  co_await bhttp::async_write(stream, req, use_awaitable);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(256ull << 20);
  parser.header_limit(128 << 10);
  if (request.method == "HEAD") parser.skip(true);
  co_await bhttp::async_read(stream, buffer, parser, use_awaitable);
  auto& res = parser.get();
  Response response;
  response.status = static_cast<uint16_t>(res.result_int());
  for (const auto& field : res)
    response.headers.push_back({std::string(field.name_string()), std::string(field.value())});
  response.body = std::move(res.body());
  co_return Exchanged{std::move(response), res.keep_alive() && parser.is_done()};
}

// Idle keep-alive connections by origin (and, for https, by the component whose [[client_tls]]
// configured them), reused by later requests: no connect, and for TLS no new handshake. Only the
// client loop's thread touches it. A connection idle longer than kMaxIdle is not reused (servers
// drop idle connections after a few seconds: Node's default is 5 s).
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
template <typename Stream>
struct Idle {
  std::unique_ptr<Stream> stream;
  std::shared_ptr<asio::ssl::context> tls;  // the context a TLS stream was made with
  SteadyTime since;
};

class ConnectionPool {
 public:
  static constexpr size_t kMaxIdlePerOrigin = 128;
  static constexpr std::chrono::seconds kMaxIdle{4};

  template <typename Stream>
  std::optional<Idle<Stream>> take(const std::string& key) {
    auto& list = map<Stream>()[key];
    while (!list.empty()) {
      Idle<Stream> idle = std::move(list.back());
      list.pop_back();
      if (SteadyClock::now() - idle.since < kMaxIdle) return idle;
    }
    return std::nullopt;
  }
  template <typename Stream>
  void put(const std::string& key, Idle<Stream> idle) {
    auto& list = map<Stream>()[key];
    if (list.size() >= kMaxIdlePerOrigin) return;
    idle.since = SteadyClock::now();
    list.push_back(std::move(idle));
  }

 private:
  template <typename Stream>
  std::map<std::string, std::vector<Idle<Stream>>>& map() {
    if constexpr (std::is_same_v<Stream, TlsStream>)
      return tls_;
    else
      return plain_;
  }
  std::map<std::string, std::vector<Idle<beast::tcp_stream>>> plain_;
  std::map<std::string, std::vector<Idle<TlsStream>>> tls_;
};

ConnectionPool& connection_pool() {
  static ConnectionPool pool;
  return pool;
}

// A request may go again on a new connection when a reused one turns out to be closed: only
// methods that are safe to repeat.
bool idempotent(std::string_view method) {
  for (std::string_view m : {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
    if (method == m) return true;
  return false;
}

// Sends `request` on an idle pooled connection to its origin, if there is one: the response,
// or nullopt when there was none or it failed before a response came (the caller then opens a
// new connection; a non-idempotent request is not repeated and its error stands).
template <typename Stream>
awaitable<std::optional<Response>> try_pooled(const std::string& key,
                                              const OutgoingRequest& request, SteadyTime deadline,
                                              std::shared_ptr<std::string> step) {
  auto idle = connection_pool().take<Stream>(key);
  if (!idle) co_return std::nullopt;
  beast::get_lowest_layer(*idle->stream).expires_at(deadline);
  *step = "exchanging (reused connection)";
  std::optional<Exchanged> got;
  std::exception_ptr error;
  try {
    got = co_await exchange(*idle->stream, request);
  } catch (...) {
    error = std::current_exception();
  }
  if (!got) {
    if (!idempotent(request.method)) std::rethrow_exception(error);
    co_return std::nullopt;
  }
  if (got->keep_alive) connection_pool().put(key, std::move(*idle));
  co_return std::move(got->response);
}

awaitable<Response> run(const OutgoingRequest& request, std::shared_ptr<std::string> step,
                        SteadyTime deadline) {
  auto executor = co_await asio::this_coro::executor;
  const Url& url = request.url;
  std::string key = fmt::format("{}://{}:{}#{}", url.scheme, url.host, url.port,
                                request.apply_outbound_policy ? request.component_id : "");
  if (url.scheme == "https") {
    if (auto r = co_await try_pooled<TlsStream>(key, request, deadline, step)) co_return *r;
  } else {
    if (auto r = co_await try_pooled<beast::tcp_stream>(key, request, deadline, step)) co_return *r;
  }
  tcp::resolver resolver(executor);
  *step = "resolving " + url.host;
  // Resolution runs off this thread (Asio's resolver); the deadline cancels it.
  asio::steady_timer guard(executor, deadline);
  guard.async_wait([&resolver](boost::system::error_code ec) {
    if (!ec) resolver.cancel();
  });
  auto resolved =
      co_await resolver.async_resolve(url.host, std::to_string(url.port), use_awaitable);
  guard.cancel();
  // [outbound_networking] block_networks: blocked addresses are dropped after resolution; when
  // none is left the request fails as destination-IP-prohibited (Spin's behaviour).
  std::vector<tcp::endpoint> endpoints;
  std::string blocked;
  for (const auto& entry : resolved) {
    if (request.apply_outbound_policy &&
        outbound::blocked_networks().is_blocked(entry.endpoint().data())) {
      if (blocked.empty()) blocked = entry.endpoint().address().to_string();
      continue;
    }
    endpoints.push_back(entry.endpoint());
  }
  if (endpoints.empty() && !blocked.empty())
    throw std::runtime_error(
        fmt::format("{}: {} resolves to {}, which is in a network blocked by the runtime config "
                    "([outbound_networking] block_networks)",
                    outbound::kProhibited, url.host, blocked));
  if (url.scheme == "https") {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    // [[client_tls]]: the CA roots and client certificate for this component and host.
    outbound::TlsClientConfig tls;
    if (request.apply_outbound_policy)
      tls = outbound::tls_for(request.component_id, url.host, url.port);
    if (auto st = outbound::configure_ssl_ctx(ctx->native_handle(), tls); !st)
      throw std::runtime_error(st.error().message);
    auto stream = std::make_unique<TlsStream>(executor, *ctx);
    if (!SSL_set_tlsext_host_name(stream->native_handle(), url.host.c_str()))
      throw std::runtime_error("cannot set TLS server name");
    stream->set_verify_callback(asio::ssl::host_name_verification(url.host));
    // Every step on the socket (connect, handshake, write, read) ends at the deadline.
    beast::get_lowest_layer(*stream).expires_at(deadline);
    *step = "connecting";
    co_await beast::get_lowest_layer(*stream).async_connect(endpoints, use_awaitable);
    *step = "TLS handshake";
    co_await stream->async_handshake(asio::ssl::stream_base::client, use_awaitable);
    *step = "exchanging";
    Exchanged got = co_await exchange(*stream, request);
    if (got.keep_alive) connection_pool().put(key, Idle<TlsStream>{std::move(stream), ctx, {}});
    co_return std::move(got.response);
  }
  auto stream = std::make_unique<beast::tcp_stream>(executor);
  stream->expires_at(deadline);
  *step = "connecting";
  co_await stream->async_connect(endpoints, use_awaitable);
  *step = "exchanging";
  Exchanged got = co_await exchange(*stream, request);
  if (got.keep_alive)
    connection_pool().put(key, Idle<beast::tcp_stream>{std::move(stream), nullptr, {}});
  co_return std::move(got.response);
}

// The thread on which every outbound request's socket work runs: requests wait for their
// answer (a guest task suspended, or a plain thread blocked) instead of driving their own loop,
// so one thread carries any number of requests in flight.
class ClientLoop {
 public:
  ClientLoop() : work_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~ClientLoop() {
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  asio::io_context& io() { return io_; }

 private:
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
};

ClientLoop& client_loop() {
  static ClientLoop loop;
  return loop;
}

}  // namespace

// Boost reports failures as exceptions inside the coroutine; they end here and become a
// Result, so nothing escapes this function.
Result<Response> send(const OutgoingRequest& request) {
  const Url& url = request.url;
  std::string where = fmt::format("{}://{}:{}{}", url.scheme, url.host, url.port, url.target);
  // The request's own timeout, and never past the deadline of the guest task waiting for it.
  SteadyTime deadline = SteadyClock::now() + request.timeout;
  if (Suspendable* task = Suspendable::current())
    if (auto d = task->deadline(); d && *d < deadline) deadline = *d;
  std::optional<outbound::HttpPermit> permit;  // [outbound_http] max_concurrent_requests
  if (request.apply_outbound_policy) {
    permit.emplace();
    if (Status s = permit->acquire(deadline); !s.ok()) return std::move(s).error().context(where);
  }
  auto step = std::make_shared<std::string>();
  auto owned = std::make_shared<OutgoingRequest>(request);
  Completion<Response> answer;
  asio::co_spawn(
      client_loop().io(), run(*owned, step, deadline),
      [owned, step, done = answer.callback()](std::exception_ptr e, Response r) {
        if (!e) return done(std::move(r));
        try {
          std::rethrow_exception(e);
        } catch (const boost::system::system_error& ex) {
          if (ex.code() == beast::error::timeout || ex.code() == asio::error::operation_aborted)
            return done(fail("timed out"));
          done(fail("{}", ex.what()));
        } catch (const std::exception& ex) {
          done(fail("{}", ex.what()));
        }
      });
  // The socket work stops itself at the deadline; the extra second covers a late callback.
  auto response = answer.wait("outbound request", deadline + std::chrono::seconds(1));
  if (!response) {
    const std::string& m = response.error().message;
    if (m.find("timed out") != std::string::npos || SteadyClock::now() >= deadline) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(request.timeout).count();
      return fail("{}: timed out after {} ms while {}", where, ms, *step);
    }
    return fail("{}: {} failed: {}", where, *step, m);
  }
  return std::move(*response);
}

}  // namespace lepton::http
