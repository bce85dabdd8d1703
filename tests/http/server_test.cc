#include "http/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace lepton::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using error_code = boost::beast::error_code;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace std::chrono_literals;

using BeastResponse = bhttp::response<bhttp::string_body>;

tcp::endpoint parse_endpoint(const std::string& address) {
  size_t colon = address.rfind(':');
  std::string host = address.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  return tcp::endpoint(asio::ip::make_address(host),
                       static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
}

// A blocking test client with a timeout on every operation (so a misbehaving server fails the
// test instead of hanging it). Stream is beast::tcp_stream or an ssl_stream over it.
template <class Stream>
class BasicClient {
 public:
  explicit BasicClient(const std::string& address, ssl::context* tls = nullptr)
    requires std::is_same_v<Stream, beast::tcp_stream>
      : stream_(ioc_) {
    connect(address);
  }
  BasicClient(const std::string& address, ssl::context* tls)
    requires(!std::is_same_v<Stream, beast::tcp_stream>)
      : stream_(ioc_, *tls) {
    SSL_set_tlsext_host_name(stream_.native_handle(), "localhost");
    static const unsigned char kAlpn[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_set_alpn_protos(stream_.native_handle(), kAlpn, sizeof kAlpn);
    connect(address);
    if (!error_) {
      error_ =
          run([&](auto handler) { stream_.async_handshake(ssl::stream_base::client, handler); });
    }
  }

  bool ok() const { return !error_; }
  error_code error() const { return error_; }
  Stream& stream() { return stream_; }

  error_code send(std::string_view raw) {
    return run([&](auto handler) {
      asio::async_write(stream_, asio::buffer(raw.data(), raw.size()), handler);
    });
  }

  // Reads one response; nullopt on error (see error()).
  std::optional<BeastResponse> read(bool head = false) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    parser.skip(head);
    error_ = run([&](auto handler) { bhttp::async_read(stream_, buffer_, parser, handler); });
    if (error_) return std::nullopt;
    return parser.release();
  }

  std::optional<BeastResponse> request(std::string_view raw, bool head = false) {
    if ((error_ = send(raw))) return std::nullopt;
    return read(head);
  }

  // True when the server closes the connection (EOF or reset) within `timeout`.
  bool closed_by_server(std::chrono::milliseconds timeout = 3s) {
    if (buffer_.size() > 0) return false;
    char byte;
    error_code ec = run(
        [&](auto handler) { stream_.async_read_some(asio::buffer(&byte, 1), handler); }, timeout);
    return ec == asio::error::eof || ec == asio::error::connection_reset ||
           ec == ssl::error::stream_truncated;
  }

 private:
  void connect(const std::string& address) {
    tcp::endpoint endpoint = parse_endpoint(address);
    error_ = run(
        [&](auto handler) { beast::get_lowest_layer(stream_).async_connect(endpoint, handler); });
  }

  template <class Start>
  error_code run(Start&& start, std::chrono::milliseconds timeout = 5s) {
    error_code result = asio::error::timed_out;
    beast::get_lowest_layer(stream_).expires_after(timeout);
    start([&](error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  asio::io_context ioc_;
  Stream stream_;
  beast::flat_buffer buffer_;
  error_code error_;
};

using Client = BasicClient<beast::tcp_stream>;
using TlsClient = BasicClient<beast::ssl_stream<beast::tcp_stream>>;

// Echoes what it saw in x-* headers and the body.
Response echo(Request& request) {
  Response response;
  response.headers = {{"x-method", request.method},      {"x-path", request.path},
                      {"x-query", request.query},        {"x-host", request.host},
                      {"x-client", request.client_addr}, {"x-local", request.local_addr},
                      {"x-scheme", request.scheme}};
  response.body = request.body;
  return response;
}

std::unique_ptr<Server> start_server(Server::Handler handler, Server::Options options = {}) {
  if (options.listen == Server::Options{}.listen) options.listen = "127.0.0.1:0";
  if (options.threads == 0) options.threads = 2;
  auto server = Server::start(std::move(options), std::move(handler));
  if (!server.ok()) {
    ADD_FAILURE() << server.error().message;
    return nullptr;
  }
  return std::move(server).value();
}

std::string field(const BeastResponse& response, std::string_view name) {
  auto it = response.find(beast::string_view(name.data(), name.size()));
  return it == response.end() ? std::string("<absent>") : std::string(it->value());
}

TEST(Server, SimpleGet) {
  auto server = start_server(echo);
  ASSERT_TRUE(server);
  EXPECT_THAT(server->bound_address(), StartsWith("127.0.0.1:"));
  EXPECT_NE(server->bound_address(), "127.0.0.1:0");
  EXPECT_EQ(server->scheme(), "http");
  Client client(server->bound_address());
  ASSERT_TRUE(client.ok());
  auto response = client.request("GET /hello/world?x=1 HTTP/1.1\r\nHost: test.example\r\n\r\n");
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->result_int(), 200);
  EXPECT_EQ(response->version(), 11u);
  EXPECT_EQ(field(*response, "x-method"), "GET");
  EXPECT_EQ(field(*response, "x-path"), "/hello/world");
  EXPECT_EQ(field(*response, "x-query"), "x=1");
  EXPECT_EQ(field(*response, "x-host"), "test.example");
  EXPECT_THAT(field(*response, "x-client"), StartsWith("127.0.0.1:"));
  EXPECT_EQ(field(*response, "x-local"), server->bound_address());
  EXPECT_EQ(field(*response, "x-scheme"), "http");
  EXPECT_EQ(field(*response, "content-length"), "0");
  EXPECT_THAT(field(*response, "date"), HasSubstr(" GMT"));
  EXPECT_TRUE(response->keep_alive());
}

TEST(Server, PostBodyEcho) {
  auto server = start_server(echo);
  ASSERT_TRUE(server);
  Client client(server->bound_address());
  auto response =
      client.request("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world");
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->body(), "hello world");
  EXPECT_EQ(field(*response, "content-length"), "11");
}

TEST(Server, LargeBodyEcho) {
  auto server = start_server(echo);
  ASSERT_TRUE(server);
  Client client(server->bound_address());
  std::string body(3 * 1024 * 1024, 'z');
  auto response = client.request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: " +
                                 std::to_string(body.size()) + "\r\n\r\n" + body);
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->body().size(), body.size());
  EXPECT_EQ(response->body(), body);
}

TEST(Server, ChunkedRequestBody) {
  auto server = start_server(echo);
  ASSERT_TRUE(server);
  Client client(server->bound_address());
  auto response = client.request(
      "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n");
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->body(), "hello world");
}

TEST(Server, KeepAliveThreeRequestsOnOneConnection) {
  std::atomic<int> calls{0};
  auto server = start_server([&](Request& request) {
    ++calls;
    return echo(request);
  });
  ASSERT_TRUE(server);
  Client client(server->bound_address());
  std::string first_client;
  for (int i = 0; i < 3; ++i) {
    std::string body = "request " + std::to_string(i);
    auto response =
        client.request("POST /" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n" + body);
    ASSERT_TRUE(response) << "request " << i << ": " << client.error().message();
    EXPECT_EQ(response->body(), body);
    EXPECT_EQ(field(*response, "x-path"), "/" + std::to_string(i));
    if (i == 0) first_client = field(*response, "x-client");
    EXPECT_EQ(field(*response, "x-client"), first_client);  // same connection
  }
  EXPECT_EQ(calls.load(), 3);
}

TEST(Server, PipelinedRequests) {
  auto server = start_server(echo);
  ASSERT_TRUE(server);
  Client client(server->bound_address());
  ASSERT_FALSE(
      client.send("GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
                  "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi"
                  "GET /c HTTP/1.1\r\nHost: h\r\n\r\n"));
  for (std::string path : {"/a", "/b", "/c"}) {
    auto response = client.read();
    ASSERT_TRUE(response) << path << ": " << client.error().message();
    EXPECT_EQ(field(*response, "x-path"), path);
  }
}

TEST(Server, Http10ClosesAfterResponse) {
  auto server = start_server(echo);
  ASSERT_TRUE(server);
  Client client(server->bound_address());
  auto response = client.request("GET /old HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->version(), 10u);
  EXPECT_EQ(response->result_int(), 200);
  EXPECT_EQ(field(*response, "x-host"), server->bound_address());  // no Host header
  EXPECT_TRUE(client.closed_by_server());
}

TEST(Server, Http10KeepAlive) {
  auto server = start_server(echo);
  ASSERT_TRUE(server);
  Client client(server->bound_address());
  for (int i = 0; i < 2; ++i) {
    auto response = client.request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    ASSERT_TRUE(response) << client.error().message();
    EXPECT_EQ(field(*response, "connection"), "keep-alive");
  }
}

TEST(Server, ConnectionCloseHonoured) {
  auto server = start_server(echo);
  ASSERT_TRUE(server);
  Client client(server->bound_address());
  auto response = client.request("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(field(*response, "connection"), "close");
  EXPECT_TRUE(client.closed_by_server());
}

TEST(Server, ExpectContinue) {
  auto server = start_server(echo);
  ASSERT_TRUE(server);
  Client client(server->bound_address());
  auto interim = client.request(
      "PUT /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_TRUE(interim) << client.error().message();
  EXPECT_EQ(interim->result_int(), 100);
  auto response = client.request("hello");
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->result_int(), 200);
  EXPECT_EQ(response->body(), "hello");
}

Server::Options small_limits() {
  Server::Options options;
  options.max_header_bytes = 1024;
  options.max_body_bytes = 1024;
  return options;
}

TEST(Server, OversizeContentLengthIs413) {
  auto server = start_server(echo, small_limits());
  ASSERT_TRUE(server);
  Client client(server->bound_address());
  // Answered from the header alone, before any body byte is sent.
  auto response = client.request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1025\r\n\r\n");
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->result_int(), 413);
  EXPECT_EQ(field(*response, "connection"), "close");
  EXPECT_TRUE(client.closed_by_server());

  // With Expect: 100-continue there is no 100, just the 413.
  Client expecting(server->bound_address());
  response = expecting.request(
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_TRUE(response) << expecting.error().message();
  EXPECT_EQ(response->result_int(), 413);

  // At the limit is fine.
  Client fits(server->bound_address());
  response = fits.request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1024\r\n\r\n" +
                          std::string(1024, 'x'));
  ASSERT_TRUE(response) << fits.error().message();
  EXPECT_EQ(response->result_int(), 200);
}

TEST(Server, OversizeChunkedBodyIs413) {
  std::atomic<int> calls{0};
  auto server = start_server(
      [&](Request& request) {
        ++calls;
        return echo(request);
      },
      small_limits());
  ASSERT_TRUE(server);
  Client client(server->bound_address());
  std::string chunk(600, 'c');
  auto response =
      client.request("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" +
                     chunk + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n");
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->result_int(), 413);
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_EQ(calls.load(), 0);
}

TEST(Server, HeaderTooLargeIs431) {
  auto server = start_server(echo, small_limits());
  ASSERT_TRUE(server);
  Client client(server->bound_address());
  auto response =
      client.request("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n");
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->result_int(), 431);
  EXPECT_EQ(field(*response, "connection"), "close");
  EXPECT_TRUE(client.closed_by_server());
}

TEST(Server, MalformedRequestIs400) {
  auto server = start_server(echo);
  ASSERT_TRUE(server);
  for (std::string bad :
       {std::string("GARBAGE\r\n\r\n"), std::string("GET / HTTP/1.1\r\nBad Header\r\n\r\n"),
        std::string("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        std::string("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked"
                    "\r\n\r\nxyz\r\n")}) {
    Client client(server->bound_address());
    auto response = client.request(bad);
    ASSERT_TRUE(response) << bad << ": " << client.error().message();
    EXPECT_EQ(response->result_int(), 400) << bad;
    EXPECT_EQ(field(*response, "connection"), "close");
    EXPECT_TRUE(client.closed_by_server());
  }
}

TEST(Server, UnsupportedVersionIs505) {
  auto server = start_server(echo);
  ASSERT_TRUE(server);
  for (std::string version : {"1.2", "2.0"}) {
    Client client(server->bound_address());
    auto response = client.request("GET / HTTP/" + version + "\r\nHost: h\r\n\r\n");
    ASSERT_TRUE(response) << version << ": " << client.error().message();
    EXPECT_EQ(response->result_int(), 505) << version;
    EXPECT_TRUE(client.closed_by_server());
  }
}

TEST(Server, HeadHasLengthButNoBody) {
  auto server = start_server([](Request& request) {
    return Response{200, {{"content-type", "text/plain"}}, "0123456789"};
  });
  ASSERT_TRUE(server);
  Client client(server->bound_address());
  auto head = client.request("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n", /*head=*/true);
  ASSERT_TRUE(head) << client.error().message();
  EXPECT_EQ(head->result_int(), 200);
  EXPECT_EQ(field(*head, "content-length"), "10");
  EXPECT_EQ(head->body(), "");
  // No stray body bytes: the next response on the connection parses cleanly.
  auto get = client.request("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(get) << client.error().message();
  EXPECT_EQ(get->body(), "0123456789");
}

TEST(Server, ServerOwnsFraming) {
  auto server = start_server([](Request& request) {
    if (request.path == "/chunked") {
      return Response{200, {{"Transfer-Encoding", "chunked"}}, "abc"};
    }
    if (request.path == "/nocontent") return Response{204, {}, "ignored"};
    if (request.path == "/bad-status") return Response{42, {}, "x"};
    return Response{201,
                    {{"Content-Length", "999"},
                     {"Connection", "close"},
                     {"X-Injected", "a\r\nEvil: yes"},
                     {"Bad Name", "v"},
                     {"date", "custom"},
                     {"X-Ok", "fine"}},
                    "body"};
  });
  ASSERT_TRUE(server);
  Client client(server->bound_address());
  auto response = client.request("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->result_int(), 201);
  EXPECT_EQ(field(*response, "content-length"), "4");
  EXPECT_EQ(field(*response, "x-injected"), "<absent>");
  EXPECT_EQ(field(*response, "evil"), "<absent>");
  EXPECT_EQ(field(*response, "date"), "custom");
  EXPECT_EQ(field(*response, "x-ok"), "fine");
  EXPECT_TRUE(response->keep_alive());  // the handler's connection header is not ours to obey

  response = client.request("GET /chunked HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_TRUE(response->chunked());
  EXPECT_EQ(field(*response, "content-length"), "<absent>");
  EXPECT_EQ(response->body(), "abc");

  response = client.request("GET /nocontent HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->result_int(), 204);
  EXPECT_EQ(field(*response, "content-length"), "<absent>");

  response = client.request("GET /bad-status HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->result_int(), 500);

  // Still in sync after all of that.
  response = client.request("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->body(), "body");
}

TEST(Server, HandlerExceptionIs500) {
  auto server = start_server([](Request& request) -> Response {
    if (request.path == "/throw") throw std::runtime_error("boom");
    if (request.path == "/throw-int") throw 42;
    return Response{200, {}, "ok"};
  });
  ASSERT_TRUE(server);
  Client client(server->bound_address());
  auto response = client.request("GET /throw HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->result_int(), 500);
  response = client.request("GET /throw-int HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->result_int(), 500);
  response = client.request("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->body(), "ok");
}

TEST(Server, SlowHandlerDoesNotBlockOtherConnections) {
  Server::Options options;
  options.threads = 1;  // even with a single I/O thread
  auto server = start_server(
      [](Request& request) {
        if (request.path == "/slow") std::this_thread::sleep_for(500ms);
        return Response{200, {}, request.path};
      },
      options);
  ASSERT_TRUE(server);
  std::optional<BeastResponse> slow;
  std::chrono::steady_clock::time_point slow_done;
  std::thread slow_thread([&] {
    Client client(server->bound_address());
    slow = client.request("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
    slow_done = std::chrono::steady_clock::now();
  });
  std::this_thread::sleep_for(100ms);
  auto start = std::chrono::steady_clock::now();
  Client client(server->bound_address());
  auto fast = client.request("GET /fast HTTP/1.1\r\nHost: h\r\n\r\n");
  auto fast_done = std::chrono::steady_clock::now();
  slow_thread.join();
  ASSERT_TRUE(fast) << client.error().message();
  ASSERT_TRUE(slow);
  EXPECT_EQ(fast->body(), "/fast");
  EXPECT_EQ(slow->body(), "/slow");
  EXPECT_LT(fast_done - start, 400ms);
  EXPECT_LT(fast_done, slow_done);
}

TEST(Server, GracefulShutdownFinishesInFlightAndClosesIdle) {
  std::atomic<bool> entered{false};
  auto server = start_server([&](Request& request) {
    if (request.path == "/slow") {
      entered = true;
      std::this_thread::sleep_for(400ms);
    }
    return Response{200, {}, "done " + request.path};
  });
  ASSERT_TRUE(server);
  std::string address = server->bound_address();

  Client idle(address);
  ASSERT_TRUE(idle.request("GET /warm HTTP/1.1\r\nHost: h\r\n\r\n"));

  std::optional<BeastResponse> slow;
  bool slow_closed = false;
  std::thread slow_thread([&] {
    Client client(address);
    slow = client.request("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
    slow_closed = client.closed_by_server();
  });
  for (int i = 0; i < 200 && !entered; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(entered);

  std::atomic<bool> waited{false};
  std::thread waiter([&] {
    server->wait();
    waited = true;
  });
  auto start = std::chrono::steady_clock::now();
  server->shutdown(5s);
  auto elapsed = std::chrono::steady_clock::now() - start;
  slow_thread.join();
  waiter.join();

  ASSERT_TRUE(slow);
  EXPECT_EQ(slow->result_int(), 200);
  EXPECT_EQ(slow->body(), "done /slow");
  EXPECT_EQ(field(*slow, "connection"), "close");
  EXPECT_TRUE(slow_closed);
  EXPECT_TRUE(idle.closed_by_server(100ms));
  EXPECT_LT(elapsed, 2500ms);
  EXPECT_TRUE(waited);
  Client late(address);
  EXPECT_FALSE(late.ok());  // no longer listening
  server->shutdown(1s);     // idempotent
}

TEST(Server, ShutdownAfterGraceClosesBusyConnections) {
  auto server = start_server([](Request& request) {
    std::this_thread::sleep_for(800ms);
    return Response{200, {}, "late"};
  });
  ASSERT_TRUE(server);
  Client client(server->bound_address());
  ASSERT_FALSE(client.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  std::this_thread::sleep_for(100ms);
  server->shutdown(100ms);
  EXPECT_FALSE(client.read());  // closed without a response
}

TEST(Server, IdleTimeoutClosesConnection) {
  Server::Options options;
  options.idle_timeout = 1s;
  auto server = start_server(echo, options);
  ASSERT_TRUE(server);
  Client client(server->bound_address());
  ASSERT_TRUE(client.request("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.closed_by_server(3s));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 800ms);
}

TEST(Server, ManyConcurrentConnections) {
  auto server = start_server(echo);
  ASSERT_TRUE(server);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      Client client(server->bound_address());
      for (int i = 0; i < 20; ++i) {
        std::string body = std::to_string(t) + "/" + std::to_string(i);
        auto response = client.request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: " +
                                       std::to_string(body.size()) + "\r\n\r\n" + body);
        if (response && response->body() == body) ++ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 160);
}

// ---- TLS ----

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "lepton-http-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes a self-signed P-256 certificate for localhost / 127.0.0.1 and its key as PEM.
bool write_self_signed(const std::filesystem::path& cert_path,
                       const std::filesystem::path& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  bool ok = key && cert;
  if (ok) {
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                              std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      ok = ok && ext && X509_add_ext(cert, ext, -1) == 1;
      X509_EXTENSION_free(ext);
    }
    ok = ok && X509_sign(cert, key, EVP_sha256()) > 0;
  }
  if (ok) {
    BIO* out = BIO_new_file(cert_path.c_str(), "w");
    ok = out && PEM_write_bio_X509(out, cert) == 1;
    BIO_free(out);
    out = BIO_new_file(key_path.c_str(), "w");
    ok =
        ok && out && PEM_write_bio_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    BIO_free(out);
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

TEST(ServerTls, HttpsRequestWithSelfSignedCert) {
  TempDir dir;
  auto cert = dir.path() / "cert.pem";
  auto key = dir.path() / "key.pem";
  ASSERT_TRUE(write_self_signed(cert, key));
  Server::Options options;
  options.tls = Server::TlsFiles{cert, key};
  auto server = start_server(echo, options);
  ASSERT_TRUE(server);
  EXPECT_EQ(server->scheme(), "https");

  ssl::context client_tls(ssl::context::tls_client);
  client_tls.load_verify_file(cert.string());
  client_tls.set_verify_mode(ssl::verify_peer);
  TlsClient client(server->bound_address(), &client_tls);
  ASSERT_TRUE(client.ok()) << client.error().message();

  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(client.stream().native_handle(), &alpn, &alpn_len);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(alpn), alpn_len), "http/1.1");

  for (int i = 0; i < 2; ++i) {  // keep-alive over TLS
    auto response = client.request(
        "POST /secure?q=1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 6\r\n\r\nsecret");
    ASSERT_TRUE(response) << client.error().message();
    EXPECT_EQ(response->result_int(), 200);
    EXPECT_EQ(response->body(), "secret");
    EXPECT_EQ(field(*response, "x-scheme"), "https");
    EXPECT_EQ(field(*response, "x-path"), "/secure");
  }
  auto response = client.request("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_TRUE(client.closed_by_server());

  // A plain-HTTP client on the TLS port gets nowhere, and the server survives it.
  Client plain(server->bound_address());
  EXPECT_FALSE(plain.request("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  TlsClient again(server->bound_address(), &client_tls);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_TRUE(again.request("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
}

TEST(ServerTls, LoadErrorsNameTheFile) {
  TempDir dir;
  auto cert = dir.path() / "cert.pem";
  auto key = dir.path() / "key.pem";
  ASSERT_TRUE(write_self_signed(cert, key));
  auto garbage = dir.path() / "garbage.pem";
  std::ofstream(garbage) << "not a certificate\n";
  auto other_cert = dir.path() / "other.pem";
  auto other_key = dir.path() / "other-key.pem";
  ASSERT_TRUE(write_self_signed(other_cert, other_key));

  auto start_tls = [](std::filesystem::path c, std::filesystem::path k) {
    Server::Options options;
    options.listen = "127.0.0.1:0";
    options.tls = Server::TlsFiles{std::move(c), std::move(k)};
    return Server::start(options, echo);
  };
  auto missing = start_tls(dir.path() / "nope.pem", key);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message, HasSubstr("cannot load TLS certificate"));
  EXPECT_THAT(missing.error().message, HasSubstr("nope.pem: file not found"));

  auto bad_cert = start_tls(garbage, key);
  ASSERT_FALSE(bad_cert.ok());
  EXPECT_THAT(bad_cert.error().message,
              HasSubstr("cannot load TLS certificate " + garbage.string()));

  auto bad_key = start_tls(cert, garbage);
  ASSERT_FALSE(bad_key.ok());
  EXPECT_THAT(bad_key.error().message,
              HasSubstr("cannot load TLS private key " + garbage.string()));

  auto mismatch = start_tls(cert, other_key);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_THAT(mismatch.error().message, HasSubstr(other_key.string()));
}

// ---- listening ----

TEST(ServerListen, PortInUse) {
  auto first = start_server(echo);
  ASSERT_TRUE(first);
  Server::Options options;
  options.listen = first->bound_address();
  auto second = Server::start(options, echo);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().message,
            "cannot listen on " + first->bound_address() + ": address in use");
}

TEST(ServerListen, FindFreePortTriesTheNextPorts) {
  auto first = start_server(echo);
  ASSERT_TRUE(first);
  Server::Options options;
  options.listen = first->bound_address();
  options.find_free_port = true;
  auto second = Server::start(options, echo);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_NE((*second)->bound_address(), first->bound_address());
  Client client((*second)->bound_address());
  EXPECT_TRUE(client.request("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
}

TEST(ServerListen, BadAddresses) {
  for (std::string listen :
       {"127.0.0.1", "::1:3000", "[::1", "[::1]3000", "127.0.0.1:99999", "127.0.0.1:x", ":3000",
        "[not-v6]:3000", "no-such-host.invalid:3000"}) {
    Server::Options options;
    options.listen = listen;
    auto server = Server::start(options, echo);
    ASSERT_FALSE(server.ok()) << listen;
    EXPECT_THAT(server.error().message, StartsWith("cannot listen on " + listen + ": ")) << listen;
  }
}

TEST(ServerListen, HostnameAndIpv6) {
  Server::Options options;
  options.listen = "localhost:0";
  auto server = start_server(echo, options);
  ASSERT_TRUE(server);
  EXPECT_THAT(server->bound_address(), StartsWith("127.0.0.1:"));  // IPv4 preferred

  options.listen = "[::1]:0";
  auto v6 = Server::start(options, echo);
  if (!v6.ok()) GTEST_SKIP() << "no IPv6 loopback: " << v6.error().message;
  EXPECT_THAT((*v6)->bound_address(), StartsWith("[::1]:"));
  Client client((*v6)->bound_address());
  auto response = client.request("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_THAT(field(*response, "x-client"), StartsWith("[::1]:"));
}

TEST(ServerListen, NoHandler) {
  auto server = Server::start(Server::Options{}, Server::Handler{});
  EXPECT_FALSE(server.ok());
}

// ---- request bodies read while they arrive (Options::stream_body) and trailers ----

// Reads a streamed body piece by piece; `first` is fulfilled with the first piece.
std::string read_streamed(RequestBody& body, std::promise<std::string>* first = nullptr) {
  std::mutex mu;
  std::condition_variable cv;
  bool ready = false;
  body.on_ready([&] {
    std::lock_guard lock(mu);
    ready = true;
    cv.notify_one();
  });
  std::string all;
  while (true) {
    std::string piece;
    auto state = body.read(piece, 1 << 16);
    if (state == RequestBody::State::kData) {
      if (first && all.empty()) first->set_value(piece);
      all += piece;
      continue;
    }
    if (state == RequestBody::State::kEnd) break;
    if (state == RequestBody::State::kError) {
      all += "<error: " + body.error() + ">";
      break;
    }
    std::unique_lock lock(mu);
    cv.wait_for(lock, 100ms, [&] { return ready; });
    ready = false;
  }
  body.on_ready({});
  return all;
}

Server::Options streaming_options() {
  Server::Options options;
  options.stream_body = [](const Request& head) { return head.path != "/buffered"; };
  return options;
}

// The handler starts before the body is complete: the client sends the rest only after the
// handler has seen the first part (a buffering server would never answer).
TEST(ServerStreamingBody, HandlerReadsTheBodyWhileItArrives) {
  std::promise<std::string> first;
  auto first_seen = first.get_future();
  auto server = start_server(
      [&](Request& r) {
        Response response;
        EXPECT_NE(r.body_stream, nullptr);
        if (r.body_stream) response.body = read_streamed(*r.body_stream, &first);
        return response;
      },
      streaming_options());
  ASSERT_TRUE(server);
  Client client(server->bound_address());
  ASSERT_FALSE(client.send("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello "));
  ASSERT_EQ(first_seen.wait_for(5s), std::future_status::ready)
      << "the handler did not start before the body was complete";
  EXPECT_EQ(first_seen.get(), "hello ");
  ASSERT_FALSE(client.send("world"));
  auto response = client.read();
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->body(), "hello world");
}

// What a handler saw of a chunked body: the body, each trailer as x-trailer-<name>, and whether
// the trailer also showed up among the headers (it must not).
Response report_body_and_trailers(const Request& r, std::string body,
                                  const std::vector<Header>& trailers) {
  Response response;
  response.body = std::move(body);
  for (const Header& t : trailers) response.headers.push_back({"x-trailer-" + t.name, t.value});
  response.headers.push_back({"x-header-checksum", r.header("x-checksum") ? "yes" : "no"});
  return response;
}

// POSTs a chunked body in two writes ("hello", then `rest`, which ends with the trailers), so
// the header reaches the server before the body is complete.
std::optional<BeastResponse> post_chunked_in_two(Client& client, const std::string& path,
                                                 const std::string& rest) {
  if (client.send("POST " + path +
                  " HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"))
    return std::nullopt;
  std::this_thread::sleep_for(50ms);
  return client.request(rest);
}

TEST(ServerStreamingBody, ChunkedBodyAndItsTrailers) {
  auto server = start_server(
      [](Request& r) {
        if (!r.body_stream) return Response{500, {}, "not streamed"};
        std::string body = read_streamed(*r.body_stream);
        return report_body_and_trailers(r, std::move(body), r.body_stream->trailers());
      },
      streaming_options());
  ASSERT_TRUE(server);
  Client client(server->bound_address());
  auto response = post_chunked_in_two(client, "/c", "6\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n");
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->body(), "hello world");
  EXPECT_EQ(field(*response, "x-trailer-x-checksum"), "abc");
  EXPECT_EQ(field(*response, "x-header-checksum"), "no");
}

TEST(ServerStreamingBody, BufferedChunkedBodyKeepsTrailersApart) {
  auto server =
      start_server([](Request& r) { return report_body_and_trailers(r, r.body, r.trailers); },
                   streaming_options());
  ASSERT_TRUE(server);
  Client client(server->bound_address());
  auto response = post_chunked_in_two(client, "/buffered", "0\r\nX-Checksum: abc\r\n\r\n");
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->body(), "hello");
  EXPECT_EQ(field(*response, "x-trailer-x-checksum"), "abc");
  EXPECT_EQ(field(*response, "x-header-checksum"), "no");
}

// A handler that ignores the body: the rest is read and dropped, and the connection carries the
// next request.
TEST(ServerStreamingBody, UnreadBodyIsDrainedForTheNextRequest) {
  std::atomic<int> calls{0};
  auto server = start_server(
      [&](Request& r) {
        ++calls;
        return Response{200, {}, r.path};
      },
      streaming_options());
  ASSERT_TRUE(server);
  Client client(server->bound_address());
  std::string body(3 << 20, 'z');
  ASSERT_FALSE(client.send("POST /first HTTP/1.1\r\nHost: h\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, 1000)));
  auto first = client.read();
  ASSERT_TRUE(first) << client.error().message();
  EXPECT_EQ(first->body(), "/first");
  ASSERT_FALSE(client.send(body.substr(1000)));
  auto second = client.request("GET /second HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(second) << client.error().message();
  EXPECT_EQ(second->body(), "/second");
  EXPECT_EQ(calls.load(), 2);
}

// The client goes away mid-body: the handler's read fails instead of waiting forever.
TEST(ServerStreamingBody, ClientGoneFailsTheRead) {
  std::promise<std::string> result;
  auto done = result.get_future();
  auto server = start_server(
      [&](Request& r) {
        result.set_value(r.body_stream ? read_streamed(*r.body_stream) : "not streamed");
        return Response{};
      },
      streaming_options());
  ASSERT_TRUE(server);
  {
    Client client(server->bound_address());
    ASSERT_FALSE(client.send("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nabc"));
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(done.wait_for(10s), std::future_status::ready);
  EXPECT_THAT(done.get(), StartsWith("abc<error: "));
}

TEST(ServerTrailers, ResponseTrailersFollowAChunkedBody) {
  auto server = start_server([](Request&) {
    Response response{200, {{"content-type", "text/plain"}}, "body text"};
    response.trailers = {{"x-checksum", "42"}, {"content-length", "1"}, {"bad name", "x"}};
    return response;
  });
  ASSERT_TRUE(server);
  Client client(server->bound_address());
  auto response = client.request("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(response) << client.error().message();
  EXPECT_EQ(response->body(), "body text");
  EXPECT_TRUE(response->chunked());
  EXPECT_EQ(field(*response, "x-checksum"), "42");  // Beast appends trailers to the fields
  EXPECT_EQ(field(*response, "content-length"), "<absent>");
  // The connection stays usable.
  auto again = client.request("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(again) << client.error().message();
  EXPECT_EQ(again->body(), "body text");
  // HTTP/1.0 has no trailers: a plain body.
  Client old(server->bound_address());
  auto plain = old.request("GET / HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(plain) << old.error().message();
  EXPECT_EQ(plain->body(), "body text");
  EXPECT_FALSE(plain->chunked());
  EXPECT_EQ(field(*plain, "x-checksum"), "<absent>");
}

}  // namespace
}  // namespace lepton::http
