#include "http/server.h"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <charconv>
#include <condition_variable>
#include <ctime>
#include <exception>
#include <future>
#include <list>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "common/suspend.h"
#include "http/request_parser.h"

namespace lepton::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using error_code = boost::beast::error_code;

namespace {

// After a response that closes the connection, how long we keep reading (and discarding) what the
// client still sends, so that closing does not reset the connection before it read the response.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr int kFreePortAttempts = 10;
// "No limit" for Beast's parser: boost::none would do, but Beast 1.74 compares a content-length
// against an empty optional as greater, and refuses every body.
constexpr uint64_t kNoBodyLimit = std::numeric_limits<uint64_t>::max();
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::string endpoint_string(const tcp::endpoint& ep) {
  error_code ec;
  std::string address = ep.address().to_string(ec);
  if (ep.address().is_v6()) return fmt::format("[{}]:{}", address, ep.port());
  return fmt::format("{}:{}", address, ep.port());
}

// IMF-fixdate of now, recomputed once a second per thread.
const std::string& http_date() {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  thread_local std::time_t cached = -1;
  thread_local std::string text;
  std::time_t now = std::time(nullptr);
  if (now != cached) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    text =
        fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} GMT", kDays[tm.tm_wday % 7], tm.tm_mday,
                    kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached = now;
  }
  return text;
}

bool is_token_char(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool valid_header_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return is_token_char(static_cast<unsigned char>(c));
  });
}

// Visible ASCII, space, tab and obs-text; no other control characters (no CR/LF injection).
bool valid_header_value(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c == '\t' || (c >= 0x20 && c != 0x7f);
  });
}

// Fills `out` from the handler's response. Framing headers are the server's: content-length is
// computed, transfer-encoding from the handler selects chunked framing (HTTP/1.1 only),
// connection/keep-alive are dropped (set later from the keep-alive decision).
void build_response(Response&& in, unsigned version, bhttp::response<bhttp::string_body>& out) {
  out = {};
  out.version(version);
  unsigned status = in.status;
  if (status < 200 || status > 999) {
    spdlog::error("handler returned invalid HTTP status {}; answering 500", status);
    in = Response{500, {}, {}};
    status = 500;
  }
  out.result(status);
  bool chunked = false;
  for (Header& h : in.headers) {
    if (!valid_header_name(h.name) || !valid_header_value(h.value)) {
      spdlog::warn("dropping invalid response header '{}'", h.name);
      continue;
    }
    if (header_name_equals(h.name, "content-length") || header_name_equals(h.name, "connection") ||
        header_name_equals(h.name, "keep-alive")) {
      continue;
    }
    if (header_name_equals(h.name, "transfer-encoding")) {
      chunked = true;
      continue;
    }
    out.insert(h.name, h.value);
  }
  if (out.find(bhttp::field::date) == out.end()) out.set(bhttp::field::date, http_date());
  out.body() = std::move(in.body);
  if (status == 204 || status == 304) {
    out.body().clear();  // no content, and no content-length
  } else if (chunked && version == 11) {
    out.chunked(true);
  } else {
    out.content_length(out.body().size());
  }
}

// ALPN: we speak HTTP/1.1 only; clients offering h2 and http/1.1 get http/1.1.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void*) {
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  unsigned char selected_len = 0;
  if (SSL_select_next_proto(&selected, &selected_len, kHttp11, sizeof kHttp11, in, inlen) ==
      OPENSSL_NPN_NEGOTIATED) {
    *out = selected;
    *outlen = selected_len;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

Result<std::unique_ptr<ssl::context>> make_tls_context(const Server::TlsFiles& files) {
  const std::pair<const char*, const std::filesystem::path*> inputs[] = {
      {"certificate", &files.cert}, {"private key", &files.key}};
  for (const auto& [what, path] : inputs) {
    std::error_code fec;
    if (!std::filesystem::is_regular_file(*path, fec)) {
      return fail("cannot load TLS {} {}: file not found", what, path->string());
    }
  }
  std::unique_ptr<ssl::context> ctx;
  try {
    ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  } catch (const std::exception& e) {
    return fail("cannot create TLS context: {}", e.what());
  }
  error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use,
                   ec);
  if (ec) return fail("cannot configure TLS: {}", ec.message());
  ctx->use_certificate_chain_file(files.cert.string(), ec);
  if (ec) return fail("cannot load TLS certificate {}: {}", files.cert.string(), ec.message());
  ctx->use_private_key_file(files.key.string(), ssl::context::pem, ec);
  if (ec) return fail("cannot load TLS private key {}: {}", files.key.string(), ec.message());
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return fail("TLS private key {} does not match certificate {}", files.key.string(),
                files.cert.string());
  }
  SSL_CTX_set_alpn_select_cb(ctx->native_handle(), select_alpn, nullptr);
  return ctx;
}

// "host:port", "[v6]:port" -> endpoints to try, IPv4 first (as Spin prefers 127.0.0.1 for
// localhost).
Result<std::vector<tcp::endpoint>> resolve_listen(std::string_view listen, asio::io_context& ioc) {
  std::string_view host;
  std::string_view port_text;
  bool bracketed = !listen.empty() && listen.front() == '[';
  if (bracketed) {
    size_t close = listen.find(']');
    if (close == std::string_view::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      return fail("expected [ipv6]:port");
    }
    host = listen.substr(1, close - 1);
    port_text = listen.substr(close + 2);
  } else {
    size_t colon = listen.rfind(':');
    if (colon == std::string_view::npos) return fail("expected host:port");
    host = listen.substr(0, colon);
    port_text = listen.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return fail("IPv6 addresses need brackets, as in [::1]:3000");
    }
  }
  if (host.empty()) return fail("missing host (use 0.0.0.0 for all interfaces)");
  unsigned port = 0;
  auto [end, err] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || err != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return fail("invalid port '{}'", port_text);
  }
  error_code ec;
  auto address = asio::ip::make_address(std::string(host), ec);
  if (!ec) return std::vector<tcp::endpoint>{tcp::endpoint(address, static_cast<uint16_t>(port))};
  if (bracketed) return fail("invalid IPv6 address '{}'", host);
  tcp::resolver resolver(ioc);
  auto results =
      resolver.resolve(std::string(host), std::to_string(port), tcp::resolver::numeric_service, ec);
  if (ec) return fail("cannot resolve '{}': {}", host, ec.message());
  std::vector<tcp::endpoint> endpoints;
  for (bool v4 : {true, false}) {
    for (const auto& entry : results) {
      const tcp::endpoint& e = entry.endpoint();
      if (e.address().is_v4() == v4 &&
          std::find(endpoints.begin(), endpoints.end(), e) == endpoints.end()) {
        endpoints.push_back(e);
      }
    }
  }
  if (endpoints.empty()) return fail("'{}' resolves to no address", host);
  return endpoints;
}

std::string bind_error_text(const error_code& ec) {
  if (ec == asio::error::address_in_use) return "address in use";
  if (ec == boost::system::errc::address_not_available) return "address not available on this host";
  if (ec == asio::error::access_denied) return "permission denied";
  return ec.message();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Shared server state and connection registry.

namespace server_internal {

class ConnectionBase;

struct ServerState {
  Server::Options options;
  Limits limits;
  Server::Handler handler;
  Server::AsyncHandler async_handler;
  // Each I/O loop's scheduler (owned by Server::Impl): a request's tasks run on its connection's.
  std::vector<std::pair<asio::io_context*, Scheduler*>> schedulers;
  Scheduler& scheduler_of(asio::execution_context& context) {
    for (auto& [ioc, scheduler] : schedulers)
      if (ioc == &context) return *scheduler;
    return *schedulers.front().second;
  }
  std::string bound_address;
  std::string scheme = "http";
  std::unique_ptr<ssl::context> tls;
  asio::thread_pool* pool = nullptr;  // owned by Server::Impl, joined before it goes away
  std::atomic<bool> stopping{false};
  std::atomic<bool> io_stopped{false};  // I/O threads are gone: nothing posted will run

  std::mutex mutex;
  std::condition_variable drained;                // signalled when `open` becomes empty
  std::list<std::weak_ptr<ConnectionBase>> open;  // connections whose socket is open

  std::vector<std::shared_ptr<ConnectionBase>> snapshot() {
    std::vector<std::shared_ptr<ConnectionBase>> live;
    std::lock_guard lock(mutex);
    for (auto& weak : open) {
      if (auto strong = weak.lock()) live.push_back(std::move(strong));
    }
    return live;
  }
};

class ConnectionBase : public std::enable_shared_from_this<ConnectionBase> {
 public:
  explicit ConnectionBase(std::shared_ptr<ServerState> state) : state_(std::move(state)) {}
  virtual ~ConnectionBase() { unregister(); }
  ConnectionBase(const ConnectionBase&) = delete;
  ConnectionBase& operator=(const ConnectionBase&) = delete;

  void register_open() {
    std::lock_guard lock(state_->mutex);
    position_ = state_->open.insert(state_->open.end(), weak_from_this());
    registered_ = true;
  }

  virtual void start() = 0;
  // Thread-safe; both run on the connection's strand.
  virtual void begin_shutdown() = 0;  // close if idle, else close after the current response
  virtual void force_close() = 0;

 protected:
  // Called once the socket is closed: the connection no longer delays shutdown.
  void unregister() {
    std::lock_guard lock(state_->mutex);
    if (!registered_) return;
    registered_ = false;
    state_->open.erase(position_);
    if (state_->open.empty()) state_->drained.notify_all();
  }

  std::shared_ptr<ServerState> state_;

 private:
  std::list<std::weak_ptr<ConnectionBase>>::iterator position_;
  bool registered_ = false;  // guarded by state_->mutex
};

// The body of a request whose handler already runs (Options::stream_body). The connection's
// strand appends what it reads and stops reading once kHighWater bytes wait unread; the handler
// thread takes bytes out and, when it drains the buffer below kLowWater, asks the strand to read
// on (`resume`).
class StreamedBody final : public RequestBody {
 public:
  static constexpr size_t kHighWater = 256 * 1024;
  static constexpr size_t kLowWater = 64 * 1024;

  explicit StreamedBody(std::function<void()> resume) : resume_(std::move(resume)) {}

  State read(std::string& out, size_t max) override {
    bool resume = false;
    State state;
    {
      std::lock_guard lock(mu_);
      size_t available = data_.size() - pos_;
      if (available > 0 && max > 0) {
        size_t n = std::min(max, available);
        out.append(data_, pos_, n);
        pos_ += n;
        if (pos_ == data_.size()) {
          data_.clear();
          pos_ = 0;
        }
        if (paused_ && data_.size() - pos_ < kLowWater) {
          paused_ = false;
          resume = true;
        }
        state = State::kData;
      } else if (available > 0) {
        state = State::kData;
      } else {
        state = ended_ ? State::kEnd : failed_ ? State::kError : State::kPending;
      }
    }
    if (resume) resume_();
    return state;
  }
  void on_ready(std::function<void()> notify) override {
    std::lock_guard lock(mu_);
    notify_ = std::move(notify);
  }
  std::vector<Header> trailers() override {
    std::lock_guard lock(mu_);
    return trailers_;
  }
  std::string error() override {
    std::lock_guard lock(mu_);
    return error_;
  }

  // ---- the strand's side ----
  void append(std::string_view data) {
    std::lock_guard lock(mu_);
    data_.append(data);
    if (notify_) notify_();
  }
  // True (and remembers to be resumed) when the reader has enough unread bytes.
  bool pause_if_full() {
    std::lock_guard lock(mu_);
    paused_ = data_.size() - pos_ >= kHighWater;
    return paused_;
  }
  void end(std::vector<Header> trailers) {
    std::lock_guard lock(mu_);
    ended_ = true;
    trailers_ = std::move(trailers);
    if (notify_) notify_();
  }
  void fail(std::string error) {
    std::lock_guard lock(mu_);
    if (ended_ || failed_) return;
    failed_ = true;
    error_ = std::move(error);
    if (notify_) notify_();
  }

 private:
  std::function<void()> resume_;
  std::mutex mu_;
  std::string data_;
  size_t pos_ = 0;
  bool paused_ = false;
  bool ended_ = false;
  bool failed_ = false;
  std::string error_;
  std::vector<Header> trailers_;
  std::function<void()> notify_;
};

// One client connection: a sequence of requests, processed one at a time, on one strand.
template <class Stream>
class Connection final : public ConnectionBase {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  enum class Phase { kStarting, kIdle, kReading, kHandling, kWriting, kClosing };

 public:
  Connection(std::shared_ptr<ServerState> state, tcp::socket&& socket, std::string client_addr,
             std::string local_addr)
    requires(!kTls)
      : ConnectionBase(std::move(state)),
        executor_(socket.get_executor()),
        stream_(std::move(socket)),
        client_addr_(std::move(client_addr)),
        local_addr_(std::move(local_addr)) {}

  Connection(std::shared_ptr<ServerState> state, tcp::socket&& socket, std::string client_addr,
             std::string local_addr)
    requires(kTls)
      : ConnectionBase(state),
        executor_(socket.get_executor()),
        stream_(std::move(socket), *state->tls),
        client_addr_(std::move(client_addr)),
        local_addr_(std::move(local_addr)) {}

  void start() override {
    asio::dispatch(executor_, [self = self()] { self->on_start(); });
  }
  void begin_shutdown() override {
    asio::post(executor_, [self = self()] { self->on_begin_shutdown(); });
  }
  void force_close() override {
    asio::post(executor_, [self = self()] { self->close_now(); });
  }

 private:
  std::shared_ptr<Connection> self() {
    return std::static_pointer_cast<Connection>(shared_from_this());
  }
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }
  std::chrono::seconds idle_timeout() const { return state_->options.idle_timeout; }

  void on_start() {
    if constexpr (kTls) {
      phase_ = Phase::kStarting;
      tcp().expires_after(idle_timeout());
      stream_.async_handshake(ssl::stream_base::server, [self = self()](error_code ec) {
        if (ec) {
          spdlog::debug("TLS handshake with {} failed: {}", self->client_addr_, ec.message());
          self->close_now();
          return;
        }
        self->read_header();
      });
    } else {
      read_header();
    }
  }

  void on_begin_shutdown() {
    shutdown_requested_ = true;
    bool idle = phase_ == Phase::kIdle && buffer_.size() == 0 && !(parser_ && parser_->got_some());
    if (idle || phase_ == Phase::kStarting) close_now();
    // Otherwise the response in progress is sent with `connection: close`.
  }

  // ---- reading ----

  void read_header() {
    if (closed_) return;
    if (shutdown_requested_ || state_->stopping.load()) {
      close_gracefully();
      return;
    }
    phase_ = Phase::kIdle;
    stream_head_.reset();
    parser_.emplace();
    detail::apply_limits(*parser_, state_->limits);
    // Beast would refuse a content-length over the limit with the header; whether the limit
    // applies is only known once the header says where the request goes (on_header).
    if (state_->options.stream_body) parser_->body_limit(kNoBodyLimit);
    tcp().expires_after(idle_timeout());
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = self()](error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(error_code ec) {
    if (ec) return on_read_error(ec);
    phase_ = Phase::kReading;
    const auto& message = parser_->get();
    header_fields_ = detail::field_count(message);
    if (!detail::supported_version(message.version())) return send_error(505, 11);
    if (state_->options.stream_body && !parser_->is_done()) {
      // A body that came in with the header is taken whole: streaming it would only add hops.
      auto length = parser_->content_length();
      bool arrived = length && *length <= buffer_.size();
      Request head =
          arrived ? Request{} : detail::to_request_head(message, connection_info(), header_fields_);
      if (!arrived && state_->options.stream_body(head)) {
        stream_head_ = std::move(head);
      } else {
        // Buffered: the limit applies, and an oversized body is refused before 100-continue.
        const uint64_t limit = state_->limits.max_body_bytes;
        if (auto length = parser_->content_length(); length && *length > limit) {
          spdlog::debug("bad request from {}: {}", client_addr_,
                        detail::describe_error(bhttp::error::body_limit, state_->limits));
          return send_error(413, message.version());
        }
        parser_->body_limit(limit);
      }
    }
    auto expect = message[bhttp::field::expect];
    if (message.version() == 11 && !parser_->is_done() &&
        header_name_equals(std::string_view(expect.data(), expect.size()), "100-continue")) {
      tcp().expires_after(idle_timeout());
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = self()](error_code ec, size_t) {
                          if (ec) return self->close_now();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    if (closed_) return;
    if (parser_->is_done()) return dispatch();
    if (stream_head_) {
      Request head = std::move(*stream_head_);
      stream_head_.reset();
      return dispatch_streaming(std::move(head));
    }
    // The timeout is for progress: a large body may take longer than idle_timeout in total.
    tcp().expires_after(idle_timeout());
    bhttp::async_read_some(stream_, buffer_, *parser_, [self = self()](error_code ec, size_t) {
      if (ec) return self->on_read_error(ec);
      self->read_body();
    });
  }

  void on_read_error(const error_code& ec) {
    if (closed_) return;
    if (detail::is_parse_error(ec)) {
      unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
      spdlog::debug("bad request from {}: {}", client_addr_,
                    detail::describe_error(ec, state_->limits));
      return send_error(detail::error_status(ec), version);
    }
    // EOF between requests, client gone, idle timeout, cancelled by shutdown.
    close_now();
  }

  // ---- handling ----

  detail::ConnectionInfo connection_info() const {
    return detail::ConnectionInfo{client_addr_, local_addr_, state_->scheme, state_->bound_address};
  }

  void note_message(const detail::BeastRequest& message) {
    version_ = message.version();
    keep_alive_ = message.keep_alive();
    head_ = message.method() == bhttp::verb::head;
  }

  void dispatch() {
    note_message(parser_->get());
    Request request = detail::to_request(parser_->release(), connection_info(), header_fields_);
    parser_.reset();
    run_handler(std::move(request), nullptr);
  }

  void run_handler(Request request, std::shared_ptr<StreamedBody> body) {
    phase_ = Phase::kHandling;
    tcp().expires_never();
    if (state_->async_handler) return run_async_handler(std::move(request), std::move(body));
    asio::post(*state_->pool,
               [self = self(), request = std::move(request), body = std::move(body)]() mutable {
                 StreamWriter writer(self);
                 request.response_writer = &writer;
                 Response response = self->invoke(request);
                 if (writer.started()) {
                   // The handler streamed its response; what it returned is not sent.
                   bool ok = writer.finish({});
                   asio::post(self->executor_, [self, ok] {
                     self->handler_returned();
                     self->stream_done(ok);
                   });
                   return;
                 }
                 asio::post(self->executor_, [self, response = std::move(response)]() mutable {
                   self->handler_returned();
                   self->write_response(std::move(response));
                 });
               });
  }

  // An asynchronous handler runs here, on the I/O thread, and answers when it is done (from any
  // thread); the request and its writer live until then.
  void run_async_handler(Request request, std::shared_ptr<StreamedBody> body) {
    struct InFlight {
      Request request;
      std::shared_ptr<StreamedBody> body;
      std::unique_ptr<StreamWriter> writer;
      std::atomic<bool> responded{false};
    };
    auto in = std::make_shared<InFlight>();
    in->request = std::move(request);
    in->body = std::move(body);
    in->writer = std::make_unique<StreamWriter>(self());
    in->request.response_writer = in->writer.get();
    in->request.cancellation = std::make_shared<Cancellation>();
    auto respond = [self = self(), in](Response response) {
      in->responded.store(true);
      // dispatch: a response given while the handler still runs on this strand is written now.
      asio::dispatch(self->executor_, [self, in, response = std::move(response)]() mutable {
        StreamWriter& writer = *in->writer;
        if (writer.started()) {
          // The handler streamed its response; what it returned is not sent.
          if (writer.finished() || !writer.ok()) {
            self->handler_returned();
            return self->stream_done(writer.ok());
          }
          return self->stream_finish({}, [self](bool ok) {
            self->handler_returned();
            self->stream_done(ok);
          });
        }
        self->handler_returned();
        self->write_response(std::move(response));
      });
    };
    try {
      state_->async_handler(in->request,
                            state_->scheduler_of(asio::query(executor_, asio::execution::context)),
                            std::move(respond));
    } catch (const std::exception& e) {
      spdlog::error("handler failed on {} {}: {}", in->request.method, in->request.target,
                    e.what());
    }
    // Most requests are answered before the handler returns; only those still running need the
    // socket watched for a client that hangs up.
    if (!in->body && !in->responded.load())
      watch_hangup(in->request.cancellation,
                   std::shared_ptr<const std::atomic<bool>>(in, &in->responded));
  }

  // While an asynchronous handler runs on a request whose body is read, nothing reads the
  // socket: wait for it to become readable. End of stream (or an error) means the client hung up:
  // its request is cancelled. Bytes (a pipelined request) are left for the next read.
  void watch_hangup(std::shared_ptr<Cancellation> cancellation,
                    std::shared_ptr<const std::atomic<bool>> responded) {
    auto on_readable = [self = self(), cancellation, responded](error_code ec) {
      if (responded->load() || ec == asio::error::operation_aborted) return;
      char byte;
      ssize_t n = ::recv(self->tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (ec || n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        spdlog::debug("{} closed the connection while its request ran: cancelled",
                      self->client_addr_);
        cancellation->cancel();
      }
    };
    tcp().socket().async_wait(tcp::socket::wait_read, std::move(on_readable));
  }

  // ---- streaming request bodies (Options::stream_body) ----

  // The header is read, the body is not: the handler starts now and reads the body as the strand
  // pumps it from the socket into `body_`.
  void dispatch_streaming(Request request) {
    note_message(parser_->get());
    // Beast's string body would reserve the whole content-length up front: the body is read
    // into a fixed buffer instead (a parser may change its body type until the body begins).
    body_parser_.emplace(std::move(*parser_));
    parser_.reset();
    body_parser_->body_limit(kNoBodyLimit);
    std::weak_ptr<Connection> weak = self();
    body_ = std::make_shared<StreamedBody>([weak] {
      if (auto c = weak.lock()) asio::post(c->executor_, [c] { c->pump_body(); });
    });
    body_done_ = body_discard_ = pump_stopped_ = awaiting_body_end_ = false;
    discarded_ = 0;
    request.body_stream = body_.get();
    run_handler(std::move(request), body_);
    pump_body();
  }

  // Reads the next piece of the body unless the handler has enough unread. After the handler
  // returned (body_discard_), what is left is read and dropped, so that the connection can
  // carry the next request; past max_body_bytes it is closed instead.
  void pump_body() {
    if (closed_ || !body_ || body_done_ || pump_stopped_ || pump_reading_) return;
    if (body_parser_->is_done()) {
      body_done_ = true;
      body_->end(detail::trailer_fields(body_parser_->get().base(), header_fields_));
      if (awaiting_body_end_) next_request();
      return;
    }
    if (body_discard_ && discarded_ > state_->limits.max_body_bytes) {
      pump_stopped_ = true;
      close_after_ = true;
      if (awaiting_body_end_) next_request();
      return;
    }
    if (!body_discard_ && body_->pause_if_full()) return;
    pump_buffer_.resize(kPumpBufferBytes);
    auto& target = body_parser_->get().body();
    target.data = pump_buffer_.data();
    target.size = pump_buffer_.size();
    pump_reading_ = true;
    tcp().expires_after(idle_timeout());
    bhttp::async_read_some(stream_, buffer_, *body_parser_,
                           [self = self()](error_code ec, size_t) { self->on_body_read(ec); });
  }

  void on_body_read(error_code ec) {
    pump_reading_ = false;
    if (closed_) return;
    if (drain_after_pump_) return drain();
    if (ec == bhttp::error::need_buffer) ec = {};  // our buffer is full: not an error
    size_t got = pump_buffer_.size() - body_parser_->get().body().size;
    if (got > 0) {
      if (body_discard_) {
        discarded_ += got;
      } else {
        body_->append(std::string_view(pump_buffer_.data(), got));
      }
    }
    if (ec) {
      std::string why = detail::is_parse_error(ec)
                            ? detail::describe_error(ec, state_->limits)
                            : "the client stopped sending the body (" + ec.message() + ")";
      spdlog::debug("request body from {}: {}", client_addr_, why);
      body_->fail(std::move(why));
      pump_stopped_ = true;
      close_after_ = true;
      if (awaiting_body_end_) next_request();
      return;
    }
    pump_body();
  }

  // On the strand, once the handler returned: the rest of a streamed body is only drained now.
  void handler_returned() {
    if (!body_) return;
    body_discard_ = true;
    pump_body();
  }

  // After a response went out: the next request on this connection, or close.
  void next_request() {
    if (closed_) return;
    if (close_after_) return close_gracefully();
    if (body_ && !body_done_) {
      if (pump_stopped_) return close_gracefully();
      awaiting_body_end_ = true;
      return pump_body();
    }
    body_.reset();
    body_parser_.reset();
    read_header();
  }

  // ---- streaming responses (ResponseWriter) ----

  // Runs on a handler thread; each call hands its work to the strand and waits for it.
  class StreamWriter final : public ResponseWriter {
   public:
    explicit StreamWriter(std::shared_ptr<Connection> connection)
        : connection_(std::move(connection)) {}
    bool start(uint16_t status, const std::vector<Header>& headers) override {
      if (started_) return false;
      started_ = true;
      ok_ = run([c = connection_, status, headers](Done done) {
        c->stream_start(status, headers, std::move(done));
      });
      return ok_;
    }
    bool write(std::string_view data) override {
      if (!started_ || finished_ || !ok_) return false;
      if (data.empty()) return true;
      // The strand owns a copy: if the server stops while we wait, nothing points at the caller.
      ok_ = run([c = connection_, data = std::make_shared<std::string>(data)](Done done) {
        c->stream_write(data, std::move(done));
      });
      return ok_;
    }
    bool finish(const std::vector<Header>& trailers) override {
      if (!started_ || !ok_) return false;
      if (finished_) return true;
      finished_ = true;
      ok_ = run(
          [c = connection_, trailers](Done done) { c->stream_finish(trailers, std::move(done)); });
      return ok_;
    }
    void abort() override { ok_ = false; }
    bool started() const override { return started_; }
    bool finished() const { return finished_; }
    bool ok() const { return ok_; }

   private:
    using Done = std::function<void(bool)>;
    // Posts `work` to the strand and waits for its result (a guest task is suspended meanwhile,
    // a handler thread blocks); gives up (false) once the server's I/O threads have stopped,
    // since the work would then never run, or when the waiting task is cancelled.
    bool run(std::function<void(Done)> work) {
      Completion<bool> result;
      asio::post(connection_->executor_, [work = std::move(work), done = result.callback()] {
        work([done](bool ok) { done(ok); });
      });
      if (Suspendable::current() != nullptr) {
        // A task: its wait ends with the result, or when it is cancelled or out of time (also
        // when the I/O threads stop: its fiber is then torn down).
        auto ok = result.wait("writing the response");
        return ok && *ok;
      }
      for (;;) {
        auto ok = result.wait("writing the response",
                              SteadyClock::now() + std::chrono::milliseconds(100));
        if (ok) return *ok;
        if (connection_->state_->io_stopped.load()) return false;
      }
    }
    std::shared_ptr<Connection> connection_;
    bool started_ = false;
    bool finished_ = false;
    bool ok_ = true;
  };

  bool stream_chunked() const { return version_ == 11; }

  // The response in progress is the connection's last.
  bool must_close() const {
    bool body_lost = body_ && !body_done_ && pump_stopped_;  // the rest of the body can't be read
    return !keep_alive_ || shutdown_requested_ || state_->stopping.load() || body_lost;
  }

  void stream_start(uint16_t status, const std::vector<Header>& headers,
                    std::function<void(bool)> done) {
    if (closed_) return done(false);
    phase_ = Phase::kWriting;
    try {
      build_response(Response{status, headers, {}}, version_, res_);
    } catch (const std::exception& e) {
      spdlog::error("cannot build response: {}", e.what());
      return done(false);
    }
    res_.erase(bhttp::field::content_length);
    if (stream_chunked()) res_.chunked(true);
    // HTTP/1.0 has no chunks: the body ends when the connection closes.
    close_after_ = !stream_chunked() || must_close();
    res_.keep_alive(!close_after_);
    serializer_.emplace(res_);
    serializer_->split(true);
    tcp().expires_after(idle_timeout());
    bhttp::async_write_header(
        stream_, *serializer_,
        [self = self(), done = std::move(done)](error_code ec, size_t) { done(!ec); });
  }

  void stream_write(std::shared_ptr<std::string> data, std::function<void(bool)> done) {
    if (closed_) return done(false);
    if (head_) return done(true);
    tcp().expires_after(idle_timeout());
    auto buffer = asio::buffer(data->data(), data->size());
    auto on_written = [self = self(), data, done = std::move(done)](error_code ec, size_t) {
      done(!ec);
    };
    if (stream_chunked()) {
      asio::async_write(stream_, bhttp::make_chunk(buffer), std::move(on_written));
    } else {
      asio::async_write(stream_, buffer, std::move(on_written));
    }
  }

  void stream_finish(const std::vector<Header>& trailers, std::function<void(bool)> done) {
    if (closed_) return done(false);
    if (head_ || !stream_chunked()) return done(true);
    tcp().expires_after(idle_timeout());
    auto fields = std::make_shared<bhttp::fields>();
    for (const Header& t : trailers) {
      // Framing and invalid fields never go out as trailers.
      if (!valid_header_name(t.name) || !valid_header_value(t.value) ||
          header_name_equals(t.name, "content-length") ||
          header_name_equals(t.name, "transfer-encoding") || header_name_equals(t.name, "trailer"))
        continue;
      fields->insert(t.name, t.value);
    }
    asio::async_write(
        stream_, bhttp::make_chunk_last(*fields),
        [self = self(), fields, done = std::move(done)](error_code ec, size_t) { done(!ec); });
  }

  // On the strand, after a streamed response: next request, or close.
  void stream_done(bool ok) {
    serializer_.reset();
    res_ = {};
    if (!ok) return close_now();
    next_request();
  }

  Response invoke(Request& request) {
    try {
      return state_->handler(request);
    } catch (const std::exception& e) {
      spdlog::error("handler failed on {} {}: {}", request.method, request.target, e.what());
    } catch (...) {
      spdlog::error("handler failed on {} {}: unknown exception", request.method, request.target);
    }
    return Response{500, {}, {}};
  }

  // ---- writing ----

  void write_response(Response&& response) {
    if (closed_) return;
    if (!response.trailers.empty() && version_ == 11 && !head_)
      return write_with_trailers(std::move(response));
    bool close = must_close();
    try {
      build_response(std::move(response), version_, res_);
    } catch (const std::exception& e) {
      spdlog::error("cannot build response: {}", e.what());
      return send_error(500, version_);
    }
    res_.keep_alive(!close);
    close_after_ = close;
    start_write();
  }

  // Trailers need chunked framing: the response goes out the way a streamed one does.
  void write_with_trailers(Response&& response) {
    auto r = std::make_shared<Response>(std::move(response));
    stream_start(r->status, r->headers, [self = self(), r](bool ok) {
      if (!ok) return self->stream_done(false);
      auto finish = [self, r](bool ok) {
        if (!ok) return self->stream_done(false);
        self->stream_finish(r->trailers, [self](bool ok) { self->stream_done(ok); });
      };
      if (r->body.empty()) return finish(true);
      self->stream_write(std::make_shared<std::string>(std::move(r->body)), finish);
    });
  }

  void send_error(unsigned status, unsigned version) {
    res_ = {};
    res_.version(detail::supported_version(version) ? version : 11);
    res_.result(status);
    res_.set(bhttp::field::date, http_date());
    res_.set(bhttp::field::connection, "close");
    res_.content_length(0);
    head_ = false;
    close_after_ = true;
    start_write();
  }

  void start_write() {
    phase_ = Phase::kWriting;
    serializer_.emplace(res_);
    if (head_) serializer_->split(true);  // lets us stop after the header
    write_some();
  }

  void write_some() {
    tcp().expires_after(idle_timeout());
    bhttp::async_write_some(stream_, *serializer_,
                            [self = self()](error_code ec, size_t) { self->on_write(ec); });
  }

  void on_write(const error_code& ec) {
    if (ec) return close_now();
    if (head_ ? !serializer_->is_header_done() : !serializer_->is_done()) return write_some();
    serializer_.reset();
    res_ = {};
    next_request();
  }

  // ---- closing ----

  void close_gracefully() {
    if (closed_) return;
    phase_ = Phase::kClosing;
    if constexpr (kTls) {
      if (pump_reading_) return close_now();  // TLS shutdown can't overlap a body read
      tcp().expires_after(
          std::min<std::chrono::steady_clock::duration>(idle_timeout(), kLingerTime));
      stream_.async_shutdown([self = self()](error_code) { self->close_now(); });
    } else {
      error_code ignored;
      tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
      linger_deadline_ = std::chrono::steady_clock::now() + kLingerTime;
      // A body read in flight owns the buffer: draining starts when it completes.
      if (pump_reading_) {
        drain_after_pump_ = true;
        return;
      }
      drain();
    }
  }

  void drain() {
    buffer_.consume(buffer_.size());
    tcp().expires_at(linger_deadline_);
    tcp().async_read_some(buffer_.prepare(4096), [self = self()](error_code ec, size_t) {
      if (ec) return self->close_now();
      self->drain();
    });
  }

  void close_now() {
    if (closed_) return;
    closed_ = true;
    if (body_) body_->fail("the connection closed before the body was complete");
    phase_ = Phase::kClosing;
    error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().close();
    unregister();
  }

  asio::any_io_executor executor_;  // the connection's strand
  Stream stream_;
  std::string client_addr_;
  std::string local_addr_;
  beast::flat_buffer buffer_;
  std::optional<detail::BeastParser> parser_;
  size_t header_fields_ = detail::kAllFields;  // fields before a chunked body's trailers
  // A streamed request body: its parser, the handler's view, and the pump's state.
  static constexpr size_t kPumpBufferBytes = 64 * 1024;
  std::optional<bhttp::request_parser<bhttp::buffer_body>> body_parser_;
  std::shared_ptr<StreamedBody> body_;
  std::string pump_buffer_;
  uint64_t discarded_ = 0;
  std::optional<Request> stream_head_;  // the request, when its body streams
  bool body_done_ = false;
  bool body_discard_ = false;
  bool pump_reading_ = false;
  bool pump_stopped_ = false;
  bool awaiting_body_end_ = false;
  bool drain_after_pump_ = false;
  bhttp::response<bhttp::string_body> res_;
  std::optional<bhttp::response_serializer<bhttp::string_body>> serializer_;
  Phase phase_ = Phase::kStarting;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_ = false;
  bool close_after_ = false;
  bool shutdown_requested_ = false;
  bool closed_ = false;
  std::chrono::steady_clock::time_point linger_deadline_;
};

using PlainConnection = Connection<beast::tcp_stream>;
using TlsConnection = Connection<beast::ssl_stream<beast::tcp_stream>>;

}  // namespace server_internal

using server_internal::ConnectionBase;
using server_internal::PlainConnection;
using server_internal::ServerState;
using server_internal::TlsConnection;

// ---------------------------------------------------------------------------------------------
// Server

// Guest tasks run on the I/O threads: posted work and timers on the server's io_context.
class IoScheduler final : public Scheduler {
 public:
  explicit IoScheduler(asio::io_context& ioc) : ioc_(ioc) {}
  void post(std::function<void()> fn) override { asio::post(ioc_, std::move(fn)); }
  void post_at(SteadyTime when, std::function<void()> fn) override {
    auto timer = std::make_shared<asio::steady_timer>(ioc_, when);
    timer->async_wait([timer, fn = std::move(fn)](error_code) { fn(); });
  }

 private:
  asio::io_context& ioc_;
};

// One event loop per I/O thread: a connection (and the guest tasks of its requests) stays on the
// loop it was accepted onto, so a request's work never wakes another thread (with one loop
// shared by all threads, every queued completion could wake an idle thread: measured at 3x the
// rescheduling interrupts and -30% requests/s on the hello component).
struct IoLoop {
  asio::io_context ioc{1};
  IoScheduler scheduler{ioc};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
};

struct Server::Impl {
  std::shared_ptr<ServerState> state = std::make_shared<ServerState>();
  std::vector<std::unique_ptr<IoLoop>> loops{[] {
    std::vector<std::unique_ptr<IoLoop>> v;
    v.push_back(std::make_unique<IoLoop>());
    return v;
  }()};
  asio::io_context& ioc = loops.front()->ioc;  // the acceptor's loop
  size_t next_loop = 0;                        // round-robin, on the acceptor's strand
  std::unique_ptr<asio::thread_pool> pool;
  tcp::acceptor acceptor{asio::make_strand(ioc)};
  asio::steady_timer accept_retry{acceptor.get_executor()};
  std::vector<std::thread> io_threads;

  std::mutex shutdown_mutex;  // serialises shutdown()
  std::mutex done_mutex;
  std::condition_variable done_cv;
  bool done = false;

  error_code try_bind(const tcp::endpoint& endpoint) {
    error_code ec;
    error_code ignored;
    if (acceptor.is_open()) acceptor.close(ignored);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) acceptor.close(ignored);
    return ec;
  }

  Status listen(const Options& options) {
    auto endpoints = resolve_listen(options.listen, ioc);
    if (!endpoints.ok())
      return endpoints.error().context(fmt::format("cannot listen on {}", options.listen));
    error_code last;
    for (const tcp::endpoint& endpoint : *endpoints) {
      int attempts = options.find_free_port && endpoint.port() != 0 ? kFreePortAttempts : 1;
      for (int i = 0; i < attempts && endpoint.port() + i <= 65535; ++i) {
        tcp::endpoint candidate(endpoint.address(), static_cast<uint16_t>(endpoint.port() + i));
        last = try_bind(candidate);
        if (!last) {
          error_code ec;
          state->bound_address = endpoint_string(acceptor.local_endpoint(ec));
          if (i > 0)
            spdlog::info("{} is in use; listening on {}", options.listen, state->bound_address);
          return {};
        }
        if (last != asio::error::address_in_use) break;
      }
    }
    std::string reason = bind_error_text(last);
    if (options.find_free_port && last == asio::error::address_in_use) {
      reason += fmt::format(" (tried {} ports)", kFreePortAttempts);
    }
    return fail("cannot listen on {}: {}", options.listen, reason);
  }

  void do_accept() {
    asio::io_context& target = loops[next_loop++ % loops.size()]->ioc;
    acceptor.async_accept(asio::make_strand(target), [this](error_code ec, tcp::socket socket) {
      on_accept(ec, std::move(socket));
    });
  }

  void on_accept(const error_code& ec, tcp::socket socket) {
    if (state->stopping.load() || ec == asio::error::operation_aborted || !acceptor.is_open()) {
      return;
    }
    if (ec) {
      // Typically out of file descriptors: back off instead of spinning.
      spdlog::warn("accepting on {} failed: {}", state->bound_address, ec.message());
      accept_retry.expires_after(std::chrono::milliseconds(100));
      accept_retry.async_wait([this](error_code wait_ec) {
        if (!wait_ec && !state->stopping.load()) do_accept();
      });
      return;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::string client = endpoint_string(socket.remote_endpoint(ignored));
    std::string local = endpoint_string(socket.local_endpoint(ignored));
    std::shared_ptr<ConnectionBase> connection;
    if (state->tls) {
      connection = std::make_shared<TlsConnection>(state, std::move(socket), std::move(client),
                                                   std::move(local));
    } else {
      connection = std::make_shared<PlainConnection>(state, std::move(socket), std::move(client),
                                                     std::move(local));
    }
    connection->register_open();
    connection->start();
    do_accept();
  }

  void run_io(asio::io_context& context) {
    for (;;) {
      try {
        context.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("HTTP server I/O thread: {}", e.what());
      } catch (...) {
        spdlog::error("HTTP server I/O thread: unknown exception");
      }
    }
  }

  bool wait_drained(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(state->mutex);
    return state->drained.wait_until(lock, deadline, [&] { return state->open.empty(); });
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  if (impl_) shutdown(std::chrono::milliseconds(0));
}

Result<std::unique_ptr<Server>> Server::start(Options options, Handler handler) {
  if (!handler) return fail("HTTP server needs a handler");
  return start_impl(std::move(options), std::move(handler), nullptr);
}

Result<std::unique_ptr<Server>> Server::start(Options options, AsyncHandler handler) {
  if (!handler) return fail("HTTP server needs a handler");
  return start_impl(std::move(options), nullptr, std::move(handler));
}

Result<std::unique_ptr<Server>> Server::start_impl(Options options, Handler handler,
                                                   AsyncHandler async_handler) {
  const std::string listen = options.listen;
  std::unique_ptr<Server> server(new Server(std::make_unique<Impl>()));
  Impl& m = *server->impl_;
  ServerState& state = *m.state;
  try {
    size_t cores = std::max(1u, std::thread::hardware_concurrency());
    size_t io_threads = options.threads != 0 ? options.threads : cores;
    size_t handler_threads =
        options.handler_threads != 0 ? options.handler_threads : std::max<size_t>(4, 2 * cores);
    state.limits = Limits{options.max_header_bytes, options.max_body_bytes};
    state.handler = std::move(handler);
    state.async_handler = std::move(async_handler);
    for (size_t i = 1; i < io_threads; ++i) m.loops.push_back(std::make_unique<IoLoop>());
    for (auto& loop : m.loops) state.schedulers.push_back({&loop->ioc, &loop->scheduler});
    if (options.tls) {
      auto tls = make_tls_context(*options.tls);
      if (!tls.ok()) return std::move(tls).error();
      state.tls = std::move(*tls);
      state.scheme = "https";
    }
    LEPTON_CHECK(m.listen(options));
    state.options = std::move(options);
    if (state.handler) {
      m.pool = std::make_unique<asio::thread_pool>(handler_threads);
      state.pool = m.pool.get();
    }
    for (auto& loop : m.loops) loop->work.emplace(loop->ioc.get_executor());
    m.do_accept();
    for (auto& loop : m.loops)
      m.io_threads.emplace_back([&m, &context = loop->ioc] { m.run_io(context); });
  } catch (const std::exception& e) {
    return fail("cannot start HTTP server on {}: {}", listen, e.what());
  }
  return server;
}

std::string Server::bound_address() const { return impl_->state->bound_address; }

std::string Server::scheme() const { return impl_->state->scheme; }

void Server::shutdown(std::chrono::milliseconds grace) {
  Impl& m = *impl_;
  std::lock_guard serial(m.shutdown_mutex);
  {
    std::lock_guard lock(m.done_mutex);
    if (m.done) return;
  }
  auto deadline = std::chrono::steady_clock::now() + grace;
  m.state->stopping.store(true);

  // Stop accepting.
  asio::post(m.acceptor.get_executor(), [&m] {
    error_code ignored;
    m.acceptor.close(ignored);
    m.accept_retry.cancel();
  });
  // Close idle connections; the busy ones close after their response.
  for (auto& connection : m.state->snapshot()) connection->begin_shutdown();
  if (!m.wait_drained(deadline)) {
    for (auto& connection : m.state->snapshot()) connection->force_close();
    // Closing takes a trip through each strand; don't wait long if an I/O thread is wedged.
    m.wait_drained(std::chrono::steady_clock::now() + std::chrono::seconds(1));
  }

  for (auto& loop : m.loops) loop->work.reset();
  m.state->io_stopped.store(true);
  for (auto& loop : m.loops) loop->ioc.stop();
  for (std::thread& thread : m.io_threads) {
    if (thread.get_id() == std::this_thread::get_id()) {
      thread.detach();  // shutdown() from an I/O thread: cannot join ourselves
    } else if (thread.joinable()) {
      thread.join();
    }
  }
  m.io_threads.clear();
  if (m.pool) {
    m.pool->stop();  // requests not yet started are dropped; their connections are closed
    m.pool->join();
  }
  {
    std::lock_guard lock(m.done_mutex);
    m.done = true;
  }
  m.done_cv.notify_all();
}

void Server::wait() {
  Impl& m = *impl_;
  std::unique_lock lock(m.done_mutex);
  m.done_cv.wait(lock, [&] { return m.done; });
}

}  // namespace lepton::http
