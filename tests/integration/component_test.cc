// End-to-end: `lepton up` serving wasi:http components built from source by the test build
// (C via wit-bindgen, JS via @spinframework/build-tools, Python via componentize-py).
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "lepton_process.h"

namespace lepton::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

std::string component(const std::string& name) { return guest("components/" + name); }

std::string app_with(const std::string& name, const std::string& route,
                     const std::string& extra = "") {
  return fmt::format(R"(spin_manifest_version = 2
[application]
name = "components"
[[trigger.http]]
route = "{}"
component = "c"
[component.c]
source = "{}"
{}
)",
                     route, component(name), extra);
}

TEST(Components, ServesCHelloComponent) {
  if (auto why = missing_component("hello"); !why.empty()) GTEST_SKIP() << why;
  TempApp app(app_with("hello", "/hello"));
  std::string failure;
  auto server = LeptonServer::start({"-f", app.manifest().string()}, &failure);
  ASSERT_TRUE(server) << failure;
  for (int i = 0; i < 3; ++i) {
    auto r = server->get("/hello");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "Hello from a C component");
    EXPECT_EQ(r->header("content-type"), "text/plain");
  }
  auto none = server->get("/other");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->status, 404);
}

// Two C components composed into one by `wasm-tools compose` (greeted + greeter): the handler's
// calls into its sibling component run through lepton's component-to-component adapters.
TEST(Components, ServesAComposedComponent) {
  if (auto why = missing_component("greeted-composed"); !why.empty()) GTEST_SKIP() << why;
  TempApp app(app_with("greeted-composed", "/..."));
  std::string failure;
  auto server = LeptonServer::start({"-f", app.manifest().string()}, &failure);
  ASSERT_TRUE(server) << failure;
  for (int i = 0; i < 3; ++i) {
    auto r = server->get("/composition");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "Hello, composition! (tally 33)");
    EXPECT_EQ(r->header("content-type"), "text/plain");
  }
  auto r = server->get("/");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->body, "Hello, world! (tally 15)");
}

TEST(Components, EchoReturnsTheRequestBody) {
  if (auto why = missing_component("echo"); !why.empty()) GTEST_SKIP() << why;
  TempApp app(app_with("echo", "/..."));
  std::string failure;
  auto server = LeptonServer::start({"-f", app.manifest().string()}, &failure);
  ASSERT_TRUE(server) << failure;
  std::string body(300 * 1024, 'x');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  auto r = server->request("POST", "/echo", body);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "application/octet-stream");
  EXPECT_EQ(r->body.size(), body.size());
  EXPECT_TRUE(r->body == body);
}

// Sends a raw request on a fresh connection (from its own thread: `body_chunks` are written while
// the response is read, as a streaming client does) and reads the response with Beast, checking
// each body byte with `check` instead of keeping the body. Returns the response head and body size.
struct RawResult {
  std::string error;
  unsigned status = 0;
  bhttp::fields fields;  // header fields, then trailers
  uint64_t body_size = 0;
  bool body_ok = true;
};
RawResult raw_exchange(const std::string& base_url, const std::string& head,
                       const std::function<bool(std::string&)>& next_chunk,
                       const std::function<bool(uint64_t offset, char c)>& check) {
  RawResult out;
  asio::io_context ioc;
  tcp::socket socket(ioc);
  std::string hostport = base_url.substr(base_url.find("://") + 3);
  size_t colon = hostport.rfind(':');
  boost::system::error_code ec;
  socket.connect(tcp::endpoint(asio::ip::make_address(hostport.substr(0, colon)),
                               static_cast<uint16_t>(std::stoi(hostport.substr(colon + 1)))),
                 ec);
  if (ec) {
    out.error = "connect: " + ec.message();
    return out;
  }
  std::thread writer([&] {
    boost::system::error_code wec;
    asio::write(socket, asio::buffer(head), wec);
    std::string chunk;
    while (!wec && next_chunk(chunk)) asio::write(socket, asio::buffer(chunk), wec);
  });
  bhttp::response_parser<bhttp::empty_body> header_parser;
  beast::flat_buffer buffer;
  bhttp::read_header(socket, buffer, header_parser, ec);
  if (!ec) {
    bhttp::response_parser<bhttp::buffer_body> parser(std::move(header_parser));
    parser.body_limit(std::numeric_limits<uint64_t>::max());
    std::vector<char> piece(1 << 16);
    while (!ec && !parser.is_done()) {
      parser.get().body().data = piece.data();
      parser.get().body().size = piece.size();
      bhttp::read(socket, buffer, parser, ec);
      if (ec == bhttp::error::need_buffer) ec = {};
      size_t got = piece.size() - parser.get().body().size;
      for (size_t i = 0; i < got && out.body_ok; ++i)
        out.body_ok = check(out.body_size + i, piece[i]);
      out.body_size += got;
    }
    out.status = parser.get().result_int();
    out.fields = parser.get().base();
  }
  if (ec) out.error = ec.message();
  socket.shutdown(tcp::socket::shutdown_both, ec);
  writer.join();
  return out;
}

char pattern(uint64_t i) { return static_cast<char>('a' + (i % 65521) % 26); }

// 100 MiB up and back through the echo guest: the request body reaches the guest while it
// arrives and the response streams out, so neither is held whole (lepton's peak memory stays
// far below the body size; without request streaming the 64 MiB buffered-body limit answers 413).
TEST(Components, LargeUploadIsStreamedBothWays) {
  if (auto why = missing_component("echo"); !why.empty()) GTEST_SKIP() << why;
  TempApp app(app_with("echo", "/..."));
  std::string failure;
  auto server = LeptonServer::start({"-f", app.manifest().string()}, &failure);
  ASSERT_TRUE(server) << failure;
  auto warm = server->request("POST", "/", "warm");
  ASSERT_TRUE(warm.ok()) << warm.error().message;
  size_t before = peak_rss(server->pid());
  constexpr uint64_t kSize = uint64_t{100} << 20;
  uint64_t sent = 0;
  auto r = raw_exchange(
      server->base_url(),
      fmt::format("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n", kSize),
      [&](std::string& chunk) {
        if (sent == kSize) return false;
        chunk.resize(std::min<uint64_t>(1 << 16, kSize - sent));
        for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = pattern(sent + i);
        sent += chunk.size();
        return true;
      },
      [](uint64_t offset, char c) { return c == pattern(offset); });
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body_size, kSize);
  EXPECT_TRUE(r.body_ok) << "the echoed body differs from what was sent";
  size_t after = peak_rss(server->pid());
  EXPECT_LT(after - before, size_t{32} << 20) << "peak RSS grew from " << before << " to " << after;
}

// A chunked request's trailers reach the guest (incoming-body.finish → future-trailers), and the
// trailers the guest passes to outgoing-body.finish go out after the chunked response body.
TEST(Components, TrailersReachTheGuestAndTheClient) {
  if (auto why = missing_component("echo"); !why.empty()) GTEST_SKIP() << why;
  TempApp app(app_with("echo", "/..."));
  std::string failure;
  auto server = LeptonServer::start({"-f", app.manifest().string()}, &failure);
  ASSERT_TRUE(server) << failure;
  int step = 0;
  auto r = raw_exchange(
      server->base_url(),
      "POST /t HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
      [&](std::string& chunk) {
        if (step == 0) chunk = "5\r\nhello\r\n";
        if (step == 1) chunk = "0\r\nX-Checksum: 5d41402a\r\nX-Other: two words\r\n\r\n";
        return step++ < 2;
      },
      [](uint64_t offset, char c) { return c == "hello"[offset]; });
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body_size, 5u);
  EXPECT_TRUE(r.body_ok);
  EXPECT_EQ(std::string(r.fields["x-checksum"]), "5d41402a");
  EXPECT_EQ(std::string(r.fields["x-other"]), "two words");
  EXPECT_EQ(std::string(r.fields["transfer-encoding"]), "chunked");
}

// A guest writing 100 MiB: the response goes out as it is written (chunked), so lepton's peak
// memory stays far below the body size.
TEST(Components, LargeResponseIsStreamedNotBuffered) {
  if (auto why = missing_component("stream"); !why.empty()) GTEST_SKIP() << why;
  TempApp app(app_with("stream", "/..."));
  std::string failure;
  auto server = LeptonServer::start({"-f", app.manifest().string()}, &failure);
  ASSERT_TRUE(server) << failure;
  auto small = server->get("/?mb=0");
  ASSERT_TRUE(small.ok()) << small.error().message;
  size_t before = peak_rss(server->pid());
  auto r = server->request("GET", "/?mb=100", {}, {}, std::chrono::seconds(120));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(r->body.size(), 100u << 20);
  for (size_t i : {size_t{0}, size_t{65535}, size_t{65536}, (size_t{100} << 20) - 1})
    ASSERT_EQ(r->body[i], static_cast<char>('a' + (i % 65536) % 26)) << "byte " << i;
  size_t after = peak_rss(server->pid());
  EXPECT_LT(after - before, size_t{32} << 20) << "peak RSS grew from " << before << " to " << after;
}

TEST(Components, OutboundHttpHonoursAllowedHosts) {
  if (auto why = missing_component("outbound"); !why.empty()) GTEST_SKIP() << why;
  // The hello app is the outbound target: one lepton serves it, another calls it.
  TempApp target(app_with("hello", "/hello"));
  std::string failure;
  auto hello = LeptonServer::start({"-f", target.manifest().string()}, &failure);
  ASSERT_TRUE(hello) << failure;
  std::string authority = hello->base_url().substr(std::string("http://").size());

  TempApp allowed(app_with("outbound", "/...",
                           fmt::format("allowed_outbound_hosts = [\"http://{}\"]", authority)));
  auto caller = LeptonServer::start({"-f", allowed.manifest().string()}, &failure);
  ASSERT_TRUE(caller) << failure;
  auto ok = caller->get("/?url=" + hello->base_url() + "/hello");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(ok->body, "status 200");

  TempApp denied(
      app_with("outbound", "/...", "allowed_outbound_hosts = [\"https://example.com\"]"));
  auto closed = LeptonServer::start({"-f", denied.manifest().string()}, &failure);
  ASSERT_TRUE(closed) << failure;
  auto no = closed->get("/?url=" + hello->base_url() + "/hello");
  ASSERT_TRUE(no.ok()) << no.error().message;
  EXPECT_EQ(no->status, 502);
  EXPECT_EQ(no->body, "error: 15");  // error-code case 15 = HTTP-request-denied
}

// An app of two components: `target` (the hello component) on `target_route`, and "out" (the
// outbound caller) on /out/... with `hosts` as its allowed_outbound_hosts entries.
std::string caller_app(const std::string& target, const std::string& target_route,
                       const std::string& hosts) {
  return fmt::format(R"(spin_manifest_version = 2
[application]
name = "callers"
[[trigger.http]]
{}
component = "{}"
[[trigger.http]]
route = "/out/..."
component = "out"
[component.{}]
source = "{}"
[component.out]
source = "{}"
allowed_outbound_hosts = [{}]
)",
                     target_route, target, target, component("hello"), component("outbound"),
                     hosts);
}

// A path-only outbound request goes to the app itself when `allowed_outbound_hosts` grants
// "http://self" (as in Spin), and is denied otherwise.
TEST(Components, RelativeOutboundRequestsGoToTheAppItself) {
  if (auto why = missing_component("outbound"); !why.empty()) GTEST_SKIP() << why;
  auto app_text = [](const std::string& hosts) {
    return caller_app("hello", "route = \"/hello\"", hosts);
  };
  std::string failure;
  TempApp allowed(app_text("\"http://self\""));
  auto server = LeptonServer::start({"-f", allowed.manifest().string()}, &failure);
  ASSERT_TRUE(server) << failure;
  auto ok = server->get("/out/?url=/hello");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(ok->body, "status 200");
  auto missing = server->get("/out/?url=/nowhere");
  ASSERT_TRUE(missing.ok()) << missing.error().message;
  EXPECT_EQ(missing->body, "status 404");

  TempApp denied(app_text("\"https://example.com\""));
  auto closed = LeptonServer::start({"-f", denied.manifest().string()}, &failure);
  ASSERT_TRUE(closed) << failure;
  auto no = closed->get("/out/?url=/hello");
  ASSERT_TRUE(no.ok()) << no.error().message;
  EXPECT_EQ(no->status, 502);
  EXPECT_EQ(no->body, "error: 15");
}

// Service chaining: http://<component>.spin.internal/... reaches that component in memory, even
// on a private route, when allowed_outbound_hosts lists it; otherwise HTTP-request-denied.
TEST(Components, ServiceChainingReachesPrivateComponents) {
  if (auto why = missing_component("outbound"); !why.empty()) GTEST_SKIP() << why;
  auto app_text = [](const std::string& hosts) {
    return caller_app("backend", "route = { private = true }", hosts);
  };
  std::string failure;
  TempApp allowed(app_text("\"http://backend.spin.internal\""));
  auto server = LeptonServer::start({"-f", allowed.manifest().string()}, &failure);
  ASSERT_TRUE(server) << failure;
  auto ok = server->get("/out/?url=http://backend.spin.internal/anything");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(ok->body, "status 200");
  auto no_route = server->get("/backend");  // private: not routable from outside
  ASSERT_TRUE(no_route.ok());
  EXPECT_EQ(no_route->status, 404);

  TempApp denied(app_text("\"http://other.spin.internal\""));
  auto closed = LeptonServer::start({"-f", denied.manifest().string()}, &failure);
  ASSERT_TRUE(closed) << failure;
  auto no = closed->get("/out/?url=http://backend.spin.internal/anything");
  ASSERT_TRUE(no.ok()) << no.error().message;
  EXPECT_EQ(no->status, 502);
  EXPECT_EQ(no->body, "error: 15");
}

TEST(Components, ServesJavaScriptComponent) {
  if (auto why = missing_component("js-hello"); !why.empty()) GTEST_SKIP() << why;
  TempApp app(app_with("js-hello", "/..."));
  std::string failure;
  auto server = LeptonServer::start({"-f", app.manifest().string()}, &failure);
  ASSERT_TRUE(server) << failure;
  for (int i = 0; i < 2; ++i) {
    auto r = server->get("/js");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "Hello from JS");
  }
}

// The Spin Python SDK's component imports every Spin host interface (key-value, sqlite,
// postgres, mysql, mqtt, llm, redis, variables): lepton provides them all, so it loads strictly,
// without --trap-missing-imports.
TEST(Components, PythonComponentLoadsWithEverySpinImportProvided) {
  if (auto why = missing_component("py-hello"); !why.empty()) GTEST_SKIP() << why;
  TempApp app(app_with("py-hello", "/..."));
  std::string failure;
  auto server = LeptonServer::start({"-f", app.manifest().string()}, &failure);
  ASSERT_TRUE(server) << failure;
  auto r = server->get("/py");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "Hello from Python");
}

// The core module of a C guest (<name>.core.wasm: wit-bindgen output with its component-type
// section, before `wasm-tools component new`) is served as is, as Spin serves it: same status,
// headers and body as its componentized build.
TEST(Components, CoreModuleBuildsAnswerLikeTheirComponents) {
  for (std::string name : {"hello", "echo", "stdio"}) {
    SCOPED_TRACE(name);
    if (auto why = missing_component(name + ".core"); !why.empty()) GTEST_SKIP() << why;
    TempApp app(fmt::format(R"(spin_manifest_version = 2
[application]
name = "core-modules"
[[trigger.http]]
route = "/comp/..."
component = "comp"
[[trigger.http]]
route = "/core/..."
component = "core"
[component.comp]
source = "{}"
[component.core]
source = "{}"
)",
                            component(name), component(name + ".core")));
    std::string failure;
    auto server = LeptonServer::start({"-f", app.manifest().string()}, &failure);
    ASSERT_TRUE(server) << failure;
    std::string body = "some request body";
    auto want = server->request("POST", "/comp/x", body);
    auto got = server->request("POST", "/core/x", body);
    ASSERT_TRUE(want.ok()) << want.error().message;
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(got->status, 200);
    EXPECT_EQ(got->status, want->status);
    EXPECT_EQ(got->body, want->body);
    EXPECT_EQ(got->header("content-type"), want->header("content-type"));
    EXPECT_FALSE(got->body.empty());
    if (name == "echo") EXPECT_EQ(got->body, body);
  }
}

// wasi_snapshot_preview1 calls of a core module (wasi-libc stdio, getenv) reach lepton's preview
// 1 with the component's configuration: its environment, and its log files for stdout/stderr.
TEST(Components, CoreModuleStdioGoesToTheComponentLogs) {
  if (auto why = missing_component("stdio.core"); !why.empty()) GTEST_SKIP() << why;
  TempApp app(app_with("stdio.core", "/...", "environment = { GREETING = \"from spin.toml\" }"));
  std::string failure;
  auto server = LeptonServer::start({"-f", app.manifest().string()}, &failure);
  ASSERT_TRUE(server) << failure;
  auto r = server->get("/");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "GREETING=from spin.toml");
  server->stop();
  auto read = [](const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  auto logs = app.dir() / ".spin" / "logs";
  EXPECT_NE(read(logs / "c_stdout.txt").find("stdio guest out"), std::string::npos);
  EXPECT_NE(read(logs / "c_stderr.txt").find("stdio guest err"), std::string::npos);
}

}  // namespace
}  // namespace lepton::testing
