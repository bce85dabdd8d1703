// slow_upstream: a deliberately slow HTTP/1.1 server for I/O-bound benchmarks (bench/io_bound.sh)
// and failure drills. One thread, one io_context: every connection is a coroutine-free chain of
// Beast reads, an asio timer and a Beast write, so tens of thousands of connections wait at once
// without a thread each.
//
//   slow_upstream [--port N] [--delay-ms N] [--mode normal|never|reset] [--max-seconds N]
//
// Listens on 127.0.0.1:PORT (default 0: the kernel picks one) and prints
// `listening on 127.0.0.1:PORT` as the first line of stdout, flushed. Modes:
//   normal  every request is answered after DELAY_MS with 200 "ok\n" (keep-alive honoured,
//           pipelined requests answered in order);
//   never   requests are read and never answered (the connection stays open until the peer
//           closes it or the server stops);
//   reset   after DELAY_MS, a status line, headers with Content-Length 100 and 3 bytes of body
//           are sent, then the connection is reset (SO_LINGER 0 and close: a TCP RST).
// Stops by itself after MAX_SECONDS (default 600), or on SIGINT/SIGTERM. SIGUSR1 prints
// `stats: accepted=A requests=R open=O peak_open=P` to stderr (A and R since the previous
// SIGUSR1, P the most connections open at once since then) and starts a new interval; the same
// line is printed at exit. The soft RLIMIT_NOFILE is raised to the hard limit at start.
#include <sys/resource.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

enum class Mode { kNormal, kNever, kReset };

struct Options {
  unsigned short port = 0;
  long delay_ms = 100;
  Mode mode = Mode::kNormal;
  long max_seconds = 600;
};

struct Stats {
  std::uint64_t accepted = 0;
  std::uint64_t requests = 0;
  std::uint64_t open = 0;
  std::uint64_t peak_open = 0;

  void print() const {
    std::fprintf(stderr, "stats: accepted=%llu requests=%llu open=%llu peak_open=%llu\n",
                 static_cast<unsigned long long>(accepted),
                 static_cast<unsigned long long>(requests), static_cast<unsigned long long>(open),
                 static_cast<unsigned long long>(peak_open));
    std::fflush(stderr);
  }
  void reset_interval() {
    accepted = 0;
    requests = 0;
    peak_open = open;
  }
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "slow_upstream: %s\nusage: slow_upstream [--port N] [--delay-ms N] "
               "[--mode normal|never|reset] [--max-seconds N]\n",
               why);
  std::exit(2);
}

long parse_number(std::string_view flag, const char* text, long min, long max) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
    std::string why = "bad value for " + std::string(flag) + ": '" + text + "'";
    usage(why.c_str());
  }
  return v;
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string value_storage;
    const char* value = nullptr;
    if (arg == "-h" || arg == "--help") {
      std::printf(
          "usage: slow_upstream [--port N] [--delay-ms N] [--mode normal|never|reset] "
          "[--max-seconds N]\n");
      std::exit(0);
    }
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      value_storage = std::string(arg.substr(eq + 1));
      value = value_storage.c_str();
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      std::string why = "missing value for " + std::string(arg);
      usage(why.c_str());
    }
    if (arg == "--port") {
      o.port = static_cast<unsigned short>(parse_number(arg, value, 0, 65535));
    } else if (arg == "--delay-ms") {
      o.delay_ms = parse_number(arg, value, 0, 86'400'000);
    } else if (arg == "--max-seconds") {
      o.max_seconds = parse_number(arg, value, 1, 86'400 * 365);
    } else if (arg == "--mode") {
      std::string_view m = value;
      if (m == "normal") {
        o.mode = Mode::kNormal;
      } else if (m == "never") {
        o.mode = Mode::kNever;
      } else if (m == "reset") {
        o.mode = Mode::kReset;
      } else {
        usage("--mode must be normal, never or reset");
      }
    } else {
      std::string why = "unknown option " + std::string(arg);
      usage(why.c_str());
    }
  }
  return o;
}

void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  rlim_t want = rl.rlim_max == RLIM_INFINITY ? rlim_t{1} << 20 : rl.rlim_max;
  if (rl.rlim_cur >= want) return;
  rl.rlim_cur = want;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
    std::fprintf(stderr, "slow_upstream: cannot raise RLIMIT_NOFILE: %s\n", std::strerror(errno));
  }
}

// What the reset mode sends before the RST: a complete head announcing 100 bytes, then 3.
constexpr std::string_view kPartialResponse =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nok\n";

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const Options& options, Stats& stats)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        options_(options),
        stats_(stats) {
    if (++stats_.open > stats_.peak_open) stats_.peak_open = stats_.open;
  }
  ~Session() { --stats_.open; }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() { read_request(); }

 private:
  void read_request() {
    request_ = {};
    http::async_read(
        socket_, buffer_, request_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_request(ec); });
  }

  void on_request(error_code ec) {
    if (ec) return close();  // EOF, reset, parse error: drop the connection
    ++stats_.requests;
    if (options_.mode == Mode::kNever) {
      // Hold the request unanswered; keep reading so a peer's close frees the connection.
      return read_request();
    }
    timer_.expires_after(std::chrono::milliseconds(options_.delay_ms));
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (ec) return self->close();
      if (self->options_.mode == Mode::kReset) return self->send_partial_and_reset();
      self->send_ok();
    });
  }

  void send_ok() {
    response_ = {};
    response_.result(http::status::ok);
    response_.version(request_.version());
    response_.set(http::field::content_type, "text/plain");
    response_.body() = "ok\n";
    response_.keep_alive(request_.keep_alive());
    response_.prepare_payload();
    http::async_write(socket_, response_, [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec) return self->close();
      if (!self->response_.keep_alive()) {
        error_code ignored;
        self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
        return self->close();
      }
      self->read_request();
    });
  }

  void send_partial_and_reset() {
    asio::async_write(socket_, asio::buffer(kPartialResponse.data(), kPartialResponse.size()),
                      [self = shared_from_this()](error_code ec, std::size_t) {
                        if (ec) return self->close();
                        // Give the peer a moment to read the partial response before the RST
                        // (a reset can make the peer's kernel drop unread data).
                        self->timer_.expires_after(std::chrono::milliseconds(10));
                        self->timer_.async_wait([self](error_code) { self->reset(); });
                      });
  }

  void reset() {
    error_code ignored;
    socket_.set_option(asio::socket_base::linger(true, 0), ignored);
    socket_.close(ignored);
  }

  void close() {
    error_code ignored;
    socket_.close(ignored);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_{8192};
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  const Options& options_;
  Stats& stats_;
};

class Listener {
 public:
  Listener(asio::io_context& ioc, const Options& options, Stats& stats)
      : ioc_(ioc), acceptor_(ioc), retry_timer_(ioc), options_(options), stats_(stats) {
    tcp::endpoint ep(asio::ip::make_address_v4("127.0.0.1"), options.port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
  }

  unsigned short port() const { return acceptor_.local_endpoint().port(); }

  void accept() {
    acceptor_.async_accept(ioc_, [this](error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (ec) {
        // EMFILE/ENFILE and the like: report once per burst and retry shortly instead of spinning.
        std::fprintf(stderr, "slow_upstream: accept: %s\n", ec.message().c_str());
        retry_timer_.expires_after(std::chrono::milliseconds(50));
        retry_timer_.async_wait([this](error_code wait_ec) {
          if (!wait_ec) accept();
        });
        return;
      }
      ++stats_.accepted;
      error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<Session>(std::move(socket), options_, stats_)->start();
      accept();
    });
  }

  void stop() {
    error_code ignored;
    acceptor_.close(ignored);
    retry_timer_.cancel();
  }

 private:
  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  const Options& options_;
  Stats& stats_;
};

}  // namespace

int main(int argc, char** argv) {
  Options options = parse_options(argc, argv);
  raise_fd_limit();

  Stats stats;  // before the io_context: sessions it still owns at exit update it as they die
  asio::io_context ioc(1);
  std::unique_ptr<Listener> listener;
  try {
    listener = std::make_unique<Listener>(ioc, options, stats);
  } catch (const boost::system::system_error& e) {
    std::fprintf(stderr, "slow_upstream: cannot listen on 127.0.0.1:%u: %s\n", options.port,
                 e.what());
    return 1;
  }
  std::printf("listening on 127.0.0.1:%u\n", listener->port());
  std::fflush(stdout);
  listener->accept();

  asio::steady_timer deadline(ioc);
  deadline.expires_after(std::chrono::seconds(options.max_seconds));
  deadline.async_wait([&](error_code ec) {
    if (ec) return;
    std::fprintf(stderr, "slow_upstream: --max-seconds %ld reached, stopping\n",
                 options.max_seconds);
    ioc.stop();
  });

  asio::signal_set stop_signals(ioc, SIGINT, SIGTERM);
  stop_signals.async_wait([&](error_code ec, int) {
    if (!ec) ioc.stop();
  });

  asio::signal_set stats_signal(ioc, SIGUSR1);
  std::function<void()> wait_stats = [&] {
    stats_signal.async_wait([&](error_code ec, int) {
      if (ec) return;
      stats.print();
      stats.reset_interval();
      wait_stats();
    });
  };
  wait_stats();

  ioc.run();
  listener->stop();
  stats.print();
  return 0;
}
