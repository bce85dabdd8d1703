#include "http/spin_headers.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "http/router.h"

namespace lepton::http {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

RouteMatch route(const std::string& pattern, std::string_view path) {
  app::HttpTrigger t;
  t.component = "DUMMY";
  t.route = pattern;
  auto router = Router::build({t});
  EXPECT_TRUE(router.ok());
  auto m = router->match(path);
  EXPECT_TRUE(m.has_value()) << pattern << " vs " << path;
  return m.value_or(RouteMatch{});
}

TEST(SpinHeadersTest, WildcardRoute) {
  RouteMatch m = route("/foo/...", "/foo/bar");
  SpinRequestFacts facts;
  facts.scheme = "https";
  facts.host = "fermyon.dev";
  facts.path_and_query = "/foo/bar?key1=value1&key2=value2";
  facts.client_addr = "127.0.0.1:8777";
  Headers expected = {
      {"spin-path-info", "/bar"},
      {"spin-full-url", "https://fermyon.dev/foo/bar?key1=value1&key2=value2"},
      {"spin-matched-route", "/foo/..."},
      {"spin-base-path", "/"},
      {"spin-raw-component-route", "/foo/..."},
      {"spin-component-route", "/foo"},
      {"spin-client-addr", "127.0.0.1:8777"},
  };
  EXPECT_EQ(spin_headers(m, facts), expected);
}

TEST(SpinHeadersTest, NamedWildcards) {
  RouteMatch m = route("/foo/:userid/...", "/foo/42/bar");
  SpinRequestFacts facts;
  facts.scheme = "https";
  facts.host = "fermyon.dev";
  facts.path_and_query = "/foo/42/bar?key1=value1&key2=value2";
  facts.client_addr = "127.0.0.1:8777";
  Headers expected = {
      {"spin-path-info", "/bar"},
      {"spin-full-url", "https://fermyon.dev/foo/42/bar?key1=value1&key2=value2"},
      {"spin-matched-route", "/foo/:userid/..."},
      {"spin-base-path", "/"},
      {"spin-raw-component-route", "/foo/:userid/..."},
      {"spin-component-route", "/foo/:userid"},
      {"spin-client-addr", "127.0.0.1:8777"},
      {"spin-path-match-userid", "42"},
  };
  EXPECT_EQ(spin_headers(m, facts), expected);
}

TEST(SpinHeadersTest, ExactRouteWithoutHostHeader) {
  RouteMatch m = route("/hello", "/hello/");
  SpinRequestFacts facts;
  facts.path_and_query = "/hello/";
  facts.client_addr = "[::1]:5000";
  auto headers = spin_headers(m, facts);
  std::map<std::string, std::string> h(headers.begin(), headers.end());
  EXPECT_EQ(h["spin-path-info"], "");
  EXPECT_EQ(h["spin-full-url"], "http://localhost/hello/");
  EXPECT_EQ(h["spin-matched-route"], "/hello");
  EXPECT_EQ(h["spin-raw-component-route"], "/hello");
  EXPECT_EQ(h["spin-component-route"], "/hello");
  EXPECT_EQ(h["spin-client-addr"], "[::1]:5000");
  EXPECT_EQ(headers.size(), 7u);
}

TEST(SpinHeadersTest, RootAndCatchAll) {
  SpinRequestFacts facts;
  facts.host = "127.0.0.1:3000";
  facts.path_and_query = "/";
  facts.client_addr = "127.0.0.1:1";
  auto root = spin_headers(route("/", "/"), facts);
  EXPECT_EQ(root[0], (std::pair<std::string, std::string>{"spin-path-info", ""}));
  EXPECT_EQ(root[1].second, "http://127.0.0.1:3000/");
  EXPECT_EQ(root[2].second, "");   // spin-matched-route of "/" is the empty based route
  EXPECT_EQ(root[4].second, "/");  // raw
  EXPECT_EQ(root[5].second, "/");  // component route

  auto all = spin_headers(route("/...", "/"), facts);
  EXPECT_EQ(all[0].second, "/");
  EXPECT_EQ(all[2].second, "/...");
  EXPECT_EQ(all[4].second, "/...");
  EXPECT_EQ(all[5].second, "");
}

TEST(SpinHeadersTest, ParamNamesBecomeHeaderNames) {
  RouteMatch m = route("/:User_ID/:b", "/x/y");
  SpinRequestFacts facts;
  facts.path_and_query = "/x/y";
  auto headers = spin_headers(m, facts);
  ASSERT_EQ(headers.size(), 9u);
  EXPECT_EQ(headers[7], (std::pair<std::string, std::string>{"spin-path-match-user-id", "x"}));
  EXPECT_EQ(headers[8], (std::pair<std::string, std::string>{"spin-path-match-b", "y"}));
}

TEST(SpinHeadersTest, ChainedRequest) {
  app::HttpTrigger t;
  t.component = "backend";
  t.route = "/private";
  t.is_private = true;
  auto router = Router::build({t});
  ASSERT_TRUE(router.ok());
  auto m = router->chain("backend", "/a/b");
  ASSERT_TRUE(m.ok());
  SpinRequestFacts facts;
  facts.host = "backend.spin.internal";
  facts.path_and_query = "/a/b?q";
  facts.client_addr = "0.0.0.0:0";
  Headers expected = {
      {"spin-path-info", "/a/b"},           {"spin-full-url", "http://backend.spin.internal/a/b?q"},
      {"spin-matched-route", "/..."},       {"spin-base-path", "/"},
      {"spin-raw-component-route", "/..."}, {"spin-component-route", ""},
      {"spin-client-addr", "0.0.0.0:0"},
  };
  EXPECT_EQ(spin_headers(*m, facts), expected);
}

TEST(SpinHeadersTest, FormatSocketAddr) {
  EXPECT_EQ(format_socket_addr("127.0.0.1", 8777), "127.0.0.1:8777");
  EXPECT_EQ(format_socket_addr("::1", 80), "[::1]:80");
}

}  // namespace
}  // namespace lepton::http
