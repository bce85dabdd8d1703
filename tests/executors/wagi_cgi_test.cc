#include "executors/wagi_cgi.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace lepton::executors::wagi {
namespace {

using Env = std::map<std::string, std::string>;

http::RouteMatch wildcard_match() {
  http::RouteMatch m;
  m.lookup_key = "wagi";
  m.based_route = "/foo/:id/...";
  m.based_route_or_prefix = "/foo/:id";
  m.raw_route = "/foo/:id/...";
  m.raw_route_or_prefix = "/foo/:id";
  m.path_info = "/a%20b/caf%C3%A9%FF";
  m.params = {{"id", "42"}, {"user_name", "bob"}};
  return m;
}

TEST(WagiCgiTest, EnvironmentMatchesSpin) {
  std::vector<http::Header> headers = {
      {"host", "example.com:3000"},
      {"content-type", "text/plain"},
      {"user-agent", "curl/8"},
      {"authorization", "Bearer secret"},
      {"x-multi", "one"},
      {"x-multi", "two"},
      {"x-bin", std::string("a\x01z")},
  };
  RequestFacts facts;
  facts.method = "POST";
  facts.http_version = "HTTP/1.1";
  facts.scheme = "http";
  facts.path_and_query = "/foo/42/a%20b/caf%C3%A9%FF?x=1&y=2";
  facts.headers = headers;
  facts.client_ip = "127.0.0.1";
  facts.client_port = 51234;
  facts.body_length = 11;

  auto vars = cgi_environment(wildcard_match(), facts);
  Env env(vars.begin(), vars.end());
  EXPECT_EQ(env.size(), vars.size()) << "duplicate keys";
  Env expected = {
      {"AUTH_TYPE", ""},
      {"CONTENT_LENGTH", "11"},
      {"CONTENT_TYPE", ""},
      {"X_FULL_URL", "http://example.com:3000/foo/42/a%20b/caf%C3%A9%FF?x=1&y=2"},
      {"GATEWAY_INTERFACE", "CGI/1.1"},
      {"X_MATCHED_ROUTE", "/foo/:id/..."},
      {"QUERY_STRING", "x=1&y=2"},
      {"REMOTE_ADDR", "127.0.0.1"},
      {"REMOTE_HOST", "127.0.0.1"},
      {"REMOTE_USER", ""},
      {"REQUEST_METHOD", "POST"},
      {"SCRIPT_NAME", "/foo/:id"},
      {"X_RAW_PATH_INFO", "/a%20b/caf%C3%A9%FF"},
      {"PATH_INFO", "/a%20b/caf%C3%A9%FF"},
      {"PATH_TRANSLATED", "/a b/caf\xC3\xA9\xEF\xBF\xBD"},
      {"SERVER_NAME", "example.com"},
      {"SERVER_PORT", "3000"},
      {"SERVER_PROTOCOL", "HTTP/1.1"},
      {"SERVER_SOFTWARE", "WAGI/1"},
      {"HTTP_HOST", "example.com:3000"},
      {"HTTP_CONTENT_TYPE", "text/plain"},
      {"HTTP_USER_AGENT", "curl/8"},
      {"HTTP_X_MULTI", "two"},
      {"HTTP_X_BIN", "CORRUPT VALUE"},
      {"X_BASE_PATH", "/"},
      {"X_RAW_COMPONENT_ROUTE", "/foo/:id/..."},
      {"X_COMPONENT_ROUTE", "/foo/:id"},
      {"X_CLIENT_ADDR", "127.0.0.1:51234"},
      {"X_PATH_MATCH_ID", "42"},
      {"X_PATH_MATCH_USER_NAME", "bob"},
  };
  EXPECT_EQ(env, expected);
  // Spin's insertion order, with overridden keys kept at their first position.
  EXPECT_EQ(vars.front().first, "AUTH_TYPE");
  EXPECT_EQ(vars[3].first, "X_FULL_URL");
  EXPECT_EQ(vars.back().first, "X_PATH_MATCH_USER_NAME");
}

TEST(WagiCgiTest, EnvironmentDefaultsWithoutHostOrQuery) {
  http::RouteMatch m;
  m.based_route = "";
  m.raw_route = "/";
  m.raw_route_or_prefix = "/";
  std::vector<http::Header> headers = {{"content_type", "odd/underscore"}};
  RequestFacts facts;
  facts.method = "GET";
  facts.http_version = "HTTP/2.0";
  facts.scheme = "https";
  facts.path_and_query = "/";
  facts.headers = headers;
  facts.client_ip = "::1";
  facts.client_port = 9;
  auto vars = cgi_environment(m, facts);
  Env env(vars.begin(), vars.end());
  EXPECT_EQ(env["CONTENT_LENGTH"], "0");
  EXPECT_EQ(env["CONTENT_TYPE"], "odd/underscore");  // Spin reads a header named CONTENT_TYPE
  EXPECT_EQ(env["QUERY_STRING"], "");
  EXPECT_EQ(env["SERVER_NAME"], "default_host");
  EXPECT_EQ(env["SERVER_PORT"], "80");
  EXPECT_EQ(env["SERVER_PROTOCOL"], "HTTP/2.0");
  EXPECT_EQ(env["X_FULL_URL"], "https://localhost/");
  EXPECT_EQ(env["SCRIPT_NAME"], "");
  EXPECT_EQ(env["X_MATCHED_ROUTE"], "");
  EXPECT_EQ(env["PATH_INFO"], "");
  EXPECT_EQ(env["REMOTE_ADDR"], "::1");
  EXPECT_EQ(env["X_CLIENT_ADDR"], "[::1]:9");
  EXPECT_EQ(env["HTTP_CONTENT_TYPE"], "odd/underscore");
  EXPECT_EQ(env.count("HTTP_HOST"), 0u);
}

TEST(WagiCgiTest, HostHeaderSplitAtFirstColon) {
  http::RouteMatch m;
  std::vector<http::Header> headers = {{"host", "[::1]:3000"}};
  RequestFacts facts;
  facts.path_and_query = "/";
  facts.headers = headers;
  auto vars = cgi_environment(m, facts);
  Env env(vars.begin(), vars.end());
  EXPECT_EQ(env["SERVER_NAME"], "[");
  EXPECT_EQ(env["SERVER_PORT"], ":1]:3000");
  EXPECT_EQ(env["X_FULL_URL"], "http://[::1]:3000/");
}

TEST(WagiCgiTest, Argv) {
  EXPECT_EQ(argv("${SCRIPT_NAME} ${ARGS}", "/hello/x?a=1&b=2"),
            (std::vector<std::string>{"/hello/x", "a=1", "b=2"}));
  EXPECT_EQ(argv("${SCRIPT_NAME} ${ARGS}", "/hello"), (std::vector<std::string>{"/hello", ""}));
  EXPECT_EQ(argv("${SCRIPT_NAME} ${ARGS}", "/hello?"), (std::vector<std::string>{"/hello", ""}));
  EXPECT_EQ(argv("prog  --flag ${ARGS}", "/p?q=a%20b"),
            (std::vector<std::string>{"prog", "", "--flag", "q=a%20b"}));
  EXPECT_EQ(argv("${SCRIPT_NAME}", "/${ARGS}?z"), (std::vector<std::string>{"/z"}));
  EXPECT_EQ(argv("", "/x"), (std::vector<std::string>{""}));
}

TEST(WagiCgiTest, OutputWithContentType) {
  auto res = parse_output("Content-Type: text/plain\nX-Extra:  spaced  \n\nhello\r\nworld", "c");
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->headers, (std::vector<std::pair<std::string, std::string>>{
                              {"content-type", "text/plain"}, {"x-extra", "spaced"}}));
  EXPECT_EQ(res->body, "hello\r\nworld");
}

TEST(WagiCgiTest, OutputWithCrlf) {
  auto res = parse_output("content-type: text/html\r\nstatus: 201 Created\r\n\r\n<p>\r\n", "c");
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 201);
  EXPECT_EQ(res->body, "<p>\r\n");
  ASSERT_EQ(res->headers.size(), 1u);
}

TEST(WagiCgiTest, LocationWithoutStatusRedirects) {
  auto res = parse_output("Location: /elsewhere\n\n", "c");
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 302);
  EXPECT_EQ(res->headers[0], (std::pair<std::string, std::string>{"location", "/elsewhere"}));
  EXPECT_EQ(res->body, "");

  auto explicit_status = parse_output("Location: /x\nStatus: 301\n\n", "c");
  ASSERT_TRUE(explicit_status.ok());
  EXPECT_EQ(explicit_status->status, 301);
  auto status_first = parse_output("Status: 307\nLocation: /x\n\n", "c");
  ASSERT_TRUE(status_first.ok());
  EXPECT_EQ(status_first->status, 307);
}

TEST(WagiCgiTest, StatusAloneIsSufficient) {
  auto res = parse_output("Status: 404 Not Found\n\nmissing", "c");
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 404);
  EXPECT_TRUE(res->headers.empty());
  EXPECT_EQ(res->body, "missing");
}

TEST(WagiCgiTest, BadStatusIs502) {
  for (const char* out : {"Status: abc\n\n", "Status: 99\n\n", "Status: 1000\n\n",
                          "Status: 099\n\n", "Content-Type: a/b\nStatus: 20x\n\nbody"}) {
    auto res = parse_output(out, "c");
    ASSERT_TRUE(res.ok()) << out;
    EXPECT_EQ(res->status, 502) << out;
  }
  auto high = parse_output("Status: 999\n\n", "c");
  ASSERT_TRUE(high.ok());
  EXPECT_EQ(high->status, 999);
}

TEST(WagiCgiTest, InsufficientHeadersAre500WithMessage) {
  for (const char* out : {"X-Only: header\n\nbody", "just a body without headers",
                          "\n\nbody after empty headers", "no-colon-line\n\nbody"}) {
    auto res = parse_output(out, "c");
    ASSERT_TRUE(res.ok()) << out;
    EXPECT_EQ(res->status, 500) << out;
    EXPECT_EQ(res->body, kInsufficientResponse) << out;
    EXPECT_TRUE(res->headers.empty()) << out;
    EXPECT_FALSE(res->log.empty()) << out;
  }
}

TEST(WagiCgiTest, RepeatedAndInvalidHeaderNames) {
  auto res = parse_output(
      "Content-Type: a/b\nX-Dup: 1\nX-Dup: 2\nbad name: v\nno colon here\n: empty\n\nB", "c");
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->headers, (std::vector<std::pair<std::string, std::string>>{{"content-type", "a/b"},
                                                                            {"x-dup", "2"}}));
  EXPECT_EQ(res->body, "B");
  EXPECT_EQ(res->log.size(), 3u);  // corrupt line, two invalid names
}

TEST(WagiCgiTest, MalformedOutputIsAnError) {
  auto empty = parse_output("", "my-wagi");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message,
            "The \"my-wagi\" component is configured to use the WAGI executor but did not write "
            "to stdout. Check the `executor` in spin.toml.");

  auto bad_utf8 = parse_output("Content-Type: text/\xff\n\nbody", "c");
  EXPECT_FALSE(bad_utf8.ok());

  auto control = parse_output(std::string("Content-Type: text/plain\x01\n\nbody"), "c");
  EXPECT_FALSE(control.ok());

  // Invalid UTF-8 in the body is fine: it is passed through.
  auto body = parse_output("Content-Type: application/octet-stream\n\n\xff\xfe\r\n", "c");
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->body, "\xff\xfe\r\n");
}

TEST(WagiCgiTest, PercentDecodeLossy) {
  EXPECT_EQ(percent_decode_lossy("/a%20b%2"), "/a b%2");
  EXPECT_EQ(percent_decode_lossy("%zz%41"), "%zzA");
  EXPECT_EQ(percent_decode_lossy("%E2%82"), "\xEF\xBF\xBD");
  EXPECT_EQ(percent_decode_lossy("%E2%82%AC"), "\xE2\x82\xAC");
  EXPECT_EQ(percent_decode_lossy("%C0%AF"), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace
}  // namespace lepton::executors::wagi
