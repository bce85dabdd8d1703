#include "http/request_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace lepton::http {
namespace {

using ::testing::HasSubstr;

Request parse_ok(std::string_view bytes, const Limits& limits = {}) {
  auto result = parse_request(bytes, limits);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return result.ok() ? std::move(result).value() : Request{};
}

std::string parse_error(std::string_view bytes, const Limits& limits = {}) {
  auto result = parse_request(bytes, limits);
  EXPECT_FALSE(result.ok());
  return result.ok() ? std::string() : result.error().message;
}

TEST(ParseRequest, SimpleGet) {
  Request r =
      parse_ok("GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: example.com\r\nX-Custom: Some Value\r\n\r\n");
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/a/b?x=1&y=2");
  EXPECT_EQ(r.path, "/a/b");
  EXPECT_EQ(r.query, "x=1&y=2");
  EXPECT_EQ(r.host, "example.com");
  EXPECT_EQ(r.scheme, "http");
  EXPECT_EQ(r.body, "");
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[1], (Header{"x-custom", "Some Value"}));  // names lowercased
  EXPECT_EQ(r.header("X-CUSTOM"), "Some Value");
  EXPECT_EQ(r.header("x-missing"), std::nullopt);
}

TEST(ParseRequest, ContentLengthBody) {
  Request r = parse_ok("POST /submit HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.body, "hello");
}

TEST(ParseRequest, ChunkedBody) {
  Request r = parse_ok(
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n");
  EXPECT_EQ(r.body, "hello world");
}

TEST(ParseRequest, DuplicateHeadersKeptInOrder) {
  Request r = parse_ok("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\n\r\n");
  ASSERT_EQ(r.headers.size(), 3u);
  EXPECT_EQ(r.headers[1].value, "1");
  EXPECT_EQ(r.headers[2].value, "2");
  EXPECT_EQ(r.header("x-a"), "1");
}

TEST(ParseRequest, AbsoluteFormTarget) {
  Request r = parse_ok("GET http://example.com:8080/p/q?z=1 HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.path, "/p/q");
  EXPECT_EQ(r.query, "z=1");
  EXPECT_EQ(r.host, "example.com:8080");
  Request bare = parse_ok("GET http://example.com HTTP/1.1\r\n\r\n");
  EXPECT_EQ(bare.path, "/");
  EXPECT_EQ(bare.host, "example.com");
}

TEST(ParseRequest, HostHeaderWinsOverAbsoluteTarget) {
  Request r = parse_ok("GET http://a.example/x HTTP/1.1\r\nHost: b.example\r\n\r\n");
  EXPECT_EQ(r.host, "b.example");
}

TEST(ParseRequest, Http10WithoutHost) {
  Request r = parse_ok("GET /old HTTP/1.0\r\n\r\n");
  EXPECT_EQ(r.path, "/old");
  EXPECT_EQ(r.host, "");
}

TEST(ParseRequest, EmptyQueryAndQuestionMark) {
  Request r = parse_ok("GET /p? HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(r.path, "/p");
  EXPECT_EQ(r.query, "");
  EXPECT_EQ(r.target, "/p?");
}

TEST(ParseRequest, PathIsNotDecoded) {
  Request r = parse_ok("GET /a%20b/c?q=%2F HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(r.path, "/a%20b/c");
  EXPECT_EQ(r.query, "q=%2F");
}

TEST(ParseRequest, TrailingBytesIgnored) {
  Request r = parse_ok("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(r.path, "/1");
}

TEST(ParseRequest, HeaderTooLarge) {
  Limits limits{.max_header_bytes = 1024, .max_body_bytes = 1024};
  std::string big = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n";
  EXPECT_THAT(parse_error(big, limits), HasSubstr("request header exceeds 1024 bytes"));
  // Also when the header never ends within the limit.
  EXPECT_THAT(parse_error("GET / HTTP/1.1\r\nX: " + std::string(2000, 'a'), limits),
              HasSubstr("request header exceeds 1024 bytes"));
}

TEST(ParseRequest, BodyTooLargeByContentLength) {
  Limits limits{.max_header_bytes = 1024, .max_body_bytes = 10};
  EXPECT_THAT(parse_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", limits),
              HasSubstr("request body exceeds 10 bytes"));
  Request at_limit =
      parse_ok("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789", limits);
  EXPECT_EQ(at_limit.body, "0123456789");
}

TEST(ParseRequest, BodyTooLargeChunked) {
  Limits limits{.max_header_bytes = 1024, .max_body_bytes = 10};
  EXPECT_THAT(parse_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "6\r\nhello \r\n6\r\nworld!\r\n0\r\n\r\n",
                          limits),
              HasSubstr("request body exceeds 10 bytes"));
}

TEST(ParseRequest, Malformed) {
  EXPECT_THAT(parse_error("GARBAGE\r\n\r\n"), HasSubstr("malformed request"));
  EXPECT_THAT(parse_error("GET / HTTP/1.1\r\nNo colon here\r\n\r\n"), HasSubstr("malformed"));
  EXPECT_THAT(parse_error("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n"),
              HasSubstr("malformed"));
  EXPECT_THAT(parse_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "zz\r\nhello\r\n0\r\n\r\n"),
              HasSubstr("malformed"));
}

TEST(ParseRequest, ConflictingFramingRejected) {
  // Request smuggling: both content-length and chunked.
  EXPECT_FALSE(parse_request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                             "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
                   .ok());
  EXPECT_FALSE(parse_request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                             "Content-Length: 4\r\n\r\nabcd")
                   .ok());
}

TEST(ParseRequest, Incomplete) {
  EXPECT_THAT(parse_error(""), HasSubstr("incomplete request"));
  EXPECT_THAT(parse_error("GET / HTTP/1.1\r\nHost: h\r\n"), HasSubstr("incomplete request"));
  EXPECT_THAT(parse_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc"),
              HasSubstr("incomplete request"));
  EXPECT_THAT(parse_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "5\r\nhello\r\n"),
              HasSubstr("incomplete request"));
}

TEST(ParseRequest, UnsupportedVersion) {
  EXPECT_THAT(parse_error("GET / HTTP/1.2\r\nHost: h\r\n\r\n"),
              HasSubstr("unsupported HTTP version"));
  EXPECT_THAT(parse_error("GET / HTTP/2.0\r\nHost: h\r\n\r\n"),
              HasSubstr("unsupported HTTP version"));
}

TEST(SplitTarget, Forms) {
  std::string path, query, authority;
  detail::split_target("/", path, query, authority);
  EXPECT_EQ(path, "/");
  EXPECT_EQ(query, "");
  detail::split_target("*", path, query, authority);
  EXPECT_EQ(path, "*");
  detail::split_target("https://h:1?x", path, query, authority);
  EXPECT_EQ(path, "/");
  EXPECT_EQ(query, "x");
  EXPECT_EQ(authority, "h:1");
  detail::split_target("example.com:443", path, query, authority);  // CONNECT
  EXPECT_EQ(path, "example.com:443");
  EXPECT_EQ(authority, "");
  detail::split_target("/a?b?c", path, query, authority);
  EXPECT_EQ(path, "/a");
  EXPECT_EQ(query, "b?c");
}

TEST(ToRequest, FillsConnectionInfo) {
  detail::BeastRequest message;
  message.method_string("PUT");
  message.target("/x?y");
  message.version(11);
  message.body() = "data";
  Request r = detail::to_request(
      std::move(message),
      detail::ConnectionInfo{"10.0.0.1:5555", "10.0.0.2:3000", "https", "10.0.0.2:3000"});
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.client_addr, "10.0.0.1:5555");
  EXPECT_EQ(r.local_addr, "10.0.0.2:3000");
  EXPECT_EQ(r.scheme, "https");
  EXPECT_EQ(r.host, "10.0.0.2:3000");  // no Host header: the listen address
  EXPECT_EQ(r.body, "data");
}

TEST(Message, HeaderLookupIsCaseInsensitive) {
  Response response{200, {{"Content-Type", "text/plain"}}, ""};
  EXPECT_EQ(response.header("content-type"), "text/plain");
  EXPECT_TRUE(header_name_equals("X-ABC", "x-abc"));
  EXPECT_FALSE(header_name_equals("x-abc", "x-abd"));
  EXPECT_FALSE(header_name_equals("x-ab", "x-abc"));
}

}  // namespace
}  // namespace lepton::http
