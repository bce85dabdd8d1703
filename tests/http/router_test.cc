#include "http/router.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lepton::http {
namespace {

app::HttpTrigger component_trigger(std::string component, std::string route,
                                   bool is_private = false) {
  app::HttpTrigger t;
  t.component = std::move(component);
  t.route = std::move(route);
  t.is_private = is_private;
  return t;
}

app::HttpTrigger static_trigger(std::string route) {
  app::HttpTrigger t;
  t.route = std::move(route);
  t.static_response = app::StaticResponse{};
  return t;
}

Router build(const std::vector<std::pair<std::string, std::string>>& routes) {
  std::vector<app::HttpTrigger> triggers;
  for (const auto& [component, route] : routes)
    triggers.push_back(component_trigger(component, route));
  auto router = Router::build(triggers);
  EXPECT_TRUE(router.ok()) << router.error().message;
  return std::move(router).value();
}

std::string routed(const Router& router, std::string_view path) {
  auto m = router.match(path);
  return m ? m->lookup_key : "<none>";
}

// Precedence: (routes in manifest order, path, expected component).
struct PrecedenceCase {
  std::vector<std::pair<std::string, std::string>> routes;
  std::string path;
  std::string expected;
};

TEST(RouterTest, PrecedenceTable) {
  const std::vector<PrecedenceCase> cases = {
      // exact routes
      {{{"foo", "/foo"}, {"foobar", "/foo/bar"}}, "/foo", "foo"},
      {{{"foo", "/foo"}, {"foobar", "/foo/bar"}}, "/foo/bar", "foobar"},
      // exact beats wildcard, in either order
      {{{"wild", "/..."}, {"one", "/one"}}, "/one", "one"},
      {{{"one", "/one"}, {"wild", "/..."}}, "/one", "one"},
      {{{"wild", "/foo/..."}, {"exact", "/foo"}}, "/foo", "exact"},
      {{{"wild", "/foo/..."}, {"exact", "/foo/bar"}}, "/foo/bar", "exact"},
      {{{"wild", "/foo/..."}, {"exact", "/foo/bar"}}, "/foo/baz", "wild"},
      // longest wildcard prefix, regardless of order
      {{{"1", "/one/..."}, {"12", "/one/two/..."}, {"123", "/one/two/three/..."}},
       "/one/two/three/four",
       "123"},
      {{{"123", "/one/two/three/..."}, {"12", "/one/two/..."}, {"1", "/one/..."}},
       "/one/two/three/four",
       "123"},
      {{{"123", "/one/two/three/..."}, {"12", "/one/two/..."}, {"1", "/one/..."}},
       "/one/two",
       "12"},
      {{{"123", "/one/two/three/..."}, {"12", "/one/two/..."}, {"1", "/one/..."}}, "/one/x", "1"},
      // literal beats :param beats wildcard
      {{{"param", "/users/:id"}, {"new", "/users/new"}}, "/users/new", "new"},
      {{{"param", "/users/:id"}, {"new", "/users/new"}}, "/users/42", "param"},
      {{{"wild", "/users/..."}, {"param", "/users/:id"}}, "/users/42", "param"},
      {{{"wild", "/users/..."}, {"param", "/users/:id"}}, "/users/42/x", "wild"},
      {{{"wild", "/users/..."}, {"param", "/users/:id"}}, "/users", "wild"},
      {{{"wild", "/..."}, {"param", "/:x"}}, "/abc", "param"},
      {{{"wild", "/..."}, {"param", "/:x"}}, "/", "wild"},
      // the left-most literal decides
      {{{"a", "/:a/b"}, {"b", "/a/:b"}}, "/a/b", "b"},
      // :param vs longer literal wildcard: /a/:x/c vs /a/b/...
      {{{"param", "/a/:x/c"}, {"wild", "/a/b/..."}}, "/a/b/c", "wild"},
      // catch-all
      {{{"all", "/..."}}, "/", "all"},
      {{{"all", "/..."}}, "/foo/bar", "all"},
      {{{"all", "/*"}}, "/foo/bar", "all"},
      // trailing slashes on the path are ignored, leading ones too
      {{{"foo", "/foo"}}, "/foo/", "foo"},
      {{{"foo", "/foo"}}, "//foo//", "foo"},
      {{{"foo", "/foo/"}}, "/foo", "foo"},
      // a route is not a string prefix
      {{{"foo", "/foo"}}, "/foobar", "<none>"},
      {{{"foo", "/foo/..."}}, "/foobar", "<none>"},
      {{{"foo", "/foo/..."}}, "/fo", "<none>"},
      // root route matches only the root
      {{{"root", "/"}, {"foo", "/foo"}}, "/", "root"},
      {{{"root", "/"}}, "/x", "<none>"},
      // routes without a leading slash are made absolute
      {{{"foo", "foo"}}, "/foo", "foo"},
  };
  for (const PrecedenceCase& c : cases) {
    Router router = build(c.routes);
    std::string desc;
    for (const auto& [component, route] : c.routes) desc += component + "=" + route + " ";
    EXPECT_EQ(routed(router, c.path), c.expected) << "routes: " << desc << "path: " << c.path;
  }
}

TEST(RouterTest, WildcardPathInfoKeepsTrailingSlash) {
  Router router = build({{"comp", "/test/..."}});
  EXPECT_EQ(router.match("/test")->path_info, "");
  EXPECT_EQ(router.match("/test/")->path_info, "/");
  EXPECT_EQ(router.match("/test/hello")->path_info, "/hello");
  EXPECT_EQ(router.match("/test/hello/")->path_info, "/hello/");
  EXPECT_EQ(router.match("/test/a/b/c")->path_info, "/a/b/c");

  Router all = build({{"comp", "/..."}});
  EXPECT_EQ(all.match("/1/2/3")->path_info, "/1/2/3");
  EXPECT_EQ(all.match("/")->path_info, "/");
  EXPECT_EQ(all.match("/abc/")->path_info, "/abc/");

  Router exact = build({{"comp", "/exact"}});
  EXPECT_EQ(exact.match("/exact/")->path_info, "");
}

TEST(RouterTest, RouteStringsAsSpinReportsThem) {
  Router router = build({{"wild", "/foo/..."},
                         {"star", "/bar/*"},
                         {"all", "/..."},
                         {"root", "/"},
                         {"slash", "/baz/"},
                         {"rel", "qux"}});
  auto m = router.match("/foo/x");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->based_route, "/foo/...");
  EXPECT_EQ(m->based_route_or_prefix, "/foo");
  EXPECT_EQ(m->raw_route, "/foo/...");
  EXPECT_EQ(m->raw_route_or_prefix, "/foo");

  m = router.match("/bar/x");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->lookup_key, "star");
  EXPECT_EQ(m->based_route, "/bar/*");
  EXPECT_EQ(m->raw_route_or_prefix, "/bar/*");  // only "/..." is stripped
  EXPECT_EQ(m->path_info, "/x");

  m = router.match("/zzz");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->lookup_key, "all");
  EXPECT_EQ(m->based_route, "/...");
  EXPECT_EQ(m->raw_route_or_prefix, "");
  EXPECT_EQ(m->based_route_or_prefix, "");

  m = router.match("/");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->lookup_key, "root");
  EXPECT_EQ(m->based_route, "");
  EXPECT_EQ(m->raw_route, "/");
  EXPECT_EQ(m->raw_route_or_prefix, "/");

  m = router.match("/baz");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->lookup_key, "slash");
  EXPECT_EQ(m->based_route, "/baz");
  EXPECT_EQ(m->raw_route, "/baz/");

  m = router.match("/qux");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->based_route, "/qux");
  EXPECT_EQ(m->raw_route, "qux");
}

TEST(RouterTest, NamedParams) {
  Router router = build({{"comp", "/1/:two/3"}});
  auto m = router.match("/1/2/3");
  ASSERT_TRUE(m);
  ASSERT_EQ(m->params.size(), 1u);
  EXPECT_EQ(m->params[0], (std::pair<std::string, std::string>{"two", "2"}));
  // routefinder lets a param capture an empty segment.
  EXPECT_EQ(router.match("/1//3")->params[0].second, "");

  Router wild = build({{"comp", "/foo/:userid/..."}});
  m = wild.match("/foo/42/bar");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->params[0].second, "42");
  EXPECT_EQ(m->path_info, "/bar");
  EXPECT_EQ(m->raw_route_or_prefix, "/foo/:userid");

  Router dotted = build({{"comp", "/files/:name.json"}});
  m = dotted.match("/files/report.json");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->params[0].second, "report");
  EXPECT_FALSE(dotted.match("/files/report.txt"));
  EXPECT_FALSE(dotted.match("/files/report"));

  Router encoded = build({{"comp", "/u/:name"}});
  EXPECT_EQ(encoded.match("/u/a%20b")->params[0].second, "a%20b");  // captures stay raw
}

TEST(RouterTest, PrivateRoutesAreNotRoutableButChainable) {
  std::vector<app::HttpTrigger> triggers = {component_trigger("public", "/..."),
                                            component_trigger("secret", "/secret", true)};
  auto router = Router::build(triggers);
  ASSERT_TRUE(router.ok()) << router.error().message;
  EXPECT_EQ(routed(*router, "/secret"), "public");
  ASSERT_EQ(router->listing().size(), 1u);

  auto chained = router->chain("secret", "/x/y");
  ASSERT_TRUE(chained.ok());
  EXPECT_EQ(chained->trigger_index, 1u);
  EXPECT_EQ(chained->lookup_key, "secret");
  EXPECT_EQ(chained->based_route, "/...");
  EXPECT_EQ(chained->raw_route, "/...");
  EXPECT_EQ(chained->raw_route_or_prefix, "");
  EXPECT_EQ(chained->path_info, "/x/y");
  EXPECT_TRUE(chained->params.empty());

  auto unknown = router->chain("nope", "/");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message, "unknown routing destination 'nope'");
}

TEST(RouterTest, OnlyPrivateMatchesNothing) {
  auto router = Router::build({component_trigger("secret", "/...", true)});
  ASSERT_TRUE(router.ok());
  EXPECT_FALSE(router->match("/anything"));
}

TEST(RouterTest, DuplicateRoutesLastOneWins) {
  auto router =
      Router::build({component_trigger("comp-/", "/"), component_trigger("first", "/foo"),
                     component_trigger("second", "/foo"), component_trigger("whee", "/whee/...")});
  ASSERT_TRUE(router.ok());
  EXPECT_EQ(routed(*router, "/foo"), "second");
  EXPECT_EQ(router->match("/foo")->trigger_index, 2u);
  ASSERT_EQ(router->listing().size(), 3u);
  EXPECT_EQ(router->listing()[1].lookup_key, "second");
  ASSERT_EQ(router->duplicates().size(), 1u);
  EXPECT_EQ(router->duplicates()[0].replaced_id, "first");
  EXPECT_EQ(router->duplicates()[0].effective_id, "second");
  EXPECT_EQ(router->duplicates()[0].route, "/foo");
  std::vector<std::string> expected = {
      "The following component routes are duplicates and will never be used:",
      "  first: /foo (duplicate of second)"};
  EXPECT_EQ(router->duplicate_warnings(), expected);
}

TEST(RouterTest, DuplicateReportingIsFaithful) {
  auto router = Router::build(
      {component_trigger("first-root", "/"), component_trigger("second-root", "/"),
       component_trigger("first-all", "/..."), component_trigger("second-all", "/...")});
  ASSERT_TRUE(router.ok());
  ASSERT_EQ(router->duplicates().size(), 2u);
  EXPECT_EQ(router->duplicates()[0].route, "/");
  EXPECT_EQ(router->duplicates()[0].replaced_id, "first-root");
  EXPECT_EQ(router->duplicates()[1].route, "/...");
  // Same text after normalisation but different raw text: both kept, the first one routes.
  auto near = Router::build({component_trigger("a", "/foo"), component_trigger("b", "/foo/")});
  ASSERT_TRUE(near.ok());
  EXPECT_TRUE(near->duplicates().empty());
  EXPECT_EQ(routed(*near, "/foo"), "a");
}

TEST(RouterTest, ComponentConfigIsItsLastTrigger) {
  std::vector<app::HttpTrigger> triggers = {component_trigger("c", "/a"),
                                            component_trigger("c", "/b")};
  triggers[1].wagi = app::WagiExecutor{};
  auto router = Router::build(triggers);
  ASSERT_TRUE(router.ok());
  auto m = router->match("/a");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->route_trigger_index, 0u);
  EXPECT_EQ(m->trigger_index, 1u);
}

TEST(RouterTest, StaticResponsesUseTriggerIds) {
  std::vector<app::HttpTrigger> triggers = {
      component_trigger("hello", "/hello/..."), static_trigger("/static"),
      component_trigger("hello", "/again"), static_trigger("/static2")};
  EXPECT_EQ(Router::default_trigger_ids(triggers),
            (std::vector<std::string>{"hello-http-trigger", "http-trigger1", "http-trigger2",
                                      "http-trigger3"}));
  auto router = Router::build(triggers);
  ASSERT_TRUE(router.ok());
  auto m = router->match("/static");
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->is_static_response);
  EXPECT_EQ(m->lookup_key, "http-trigger1");
  EXPECT_EQ(m->trigger_index, 1u);
}

TEST(RouterTest, ExplicitTriggerIdsAreKeptAndAvoided) {
  std::vector<app::HttpTrigger> triggers = {static_trigger("/a"), static_trigger("/b"),
                                            component_trigger("c", "/c")};
  triggers[1].id = "http-trigger1";
  triggers[2].id = "custom";
  EXPECT_EQ(Router::default_trigger_ids(triggers),
            (std::vector<std::string>{"http-trigger2", "http-trigger1", "custom"}));
  auto router = Router::build(triggers);
  ASSERT_TRUE(router.ok());
  EXPECT_EQ(routed(*router, "/b"), "http-trigger1");
  EXPECT_EQ(routed(*router, "/c"), "c");  // components are keyed by component id
}

TEST(RouterTest, TriggerNeedsExactlyOneTarget) {
  app::HttpTrigger both = component_trigger("c", "/");
  both.static_response = app::StaticResponse{};
  auto router = Router::build({both});
  ASSERT_FALSE(router.ok());
  EXPECT_EQ(router.error().message,
            "Triggers must specify either component or static_response - c-http-trigger has both");
}

TEST(RouterTest, BadRoutesAreErrors) {
  auto named_wildcard = Router::build({component_trigger("c", "/a/*b")});
  ASSERT_FALSE(named_wildcard.ok());
  EXPECT_EQ(named_wildcard.error().message,
            "Error parsing route /a/*b associated with component c: since there can only be one "
            "wildcard, it doesn't need a name. replace `*b` with `*`");
  auto unnamed = Router::build({component_trigger("c", "/a/:/b")});
  ASSERT_FALSE(unnamed.ok());
  EXPECT_NE(unnamed.error().message.find("params must be named"), std::string::npos);
}

TEST(RouterTest, ListingOrderAndBanner) {
  std::vector<app::HttpTrigger> triggers = {
      component_trigger("catch-all", "/..."), component_trigger("hello", "/hello"),
      component_trigger("root", "/"), component_trigger("api", "/api/..."),
      static_trigger("/static")};
  auto router = Router::build(triggers);
  ASSERT_TRUE(router.ok());
  std::map<std::string, app::Component> components;
  components["hello"].description = "Says hello";
  EXPECT_EQ(router->available_routes("http://127.0.0.1:3000", components),
            "Available Routes:\n"
            "  root: http://127.0.0.1:3000\n"
            "  hello: http://127.0.0.1:3000/hello\n"
            "    Says hello\n"
            "  http-trigger1: http://127.0.0.1:3000/static\n"
            "  api: http://127.0.0.1:3000/api (wildcard)\n"
            "  catch-all: http://127.0.0.1:3000 (wildcard)\n");
  auto listing = router->listing();
  EXPECT_EQ(listing[0].path, "/");
  EXPECT_FALSE(listing[0].is_wildcard);
  EXPECT_EQ(listing[4].path, "/");
  EXPECT_TRUE(listing[4].is_wildcard);
  EXPECT_EQ(listing[3].path, "/api");
}

TEST(RouterTest, ManifestOrderKeptAmongEqualRoutes) {
  Router router = build(
      {{"comp-/", "/"}, {"comp-/foo", "/foo"}, {"comp-/bar", "/bar"}, {"comp-/whee", "/whee/..."}});
  auto listing = router.listing();
  ASSERT_EQ(listing.size(), 4u);
  EXPECT_EQ(listing[0].lookup_key, "comp-/");
  EXPECT_EQ(listing[1].lookup_key, "comp-/foo");
  EXPECT_EQ(listing[2].lookup_key, "comp-/bar");
  EXPECT_EQ(listing[3].lookup_key, "comp-/whee");
  EXPECT_EQ(listing[3].display, "/whee (wildcard)");
}

TEST(RouterTest, BaseIsPrepended) {
  auto router = Router::build(
      {component_trigger("foo", "/foo"), component_trigger("foobar", "/foo/bar")}, "/base/");
  ASSERT_TRUE(router.ok());
  EXPECT_EQ(routed(*router, "/base/foo"), "foo");
  EXPECT_EQ(routed(*router, "/base/foo/bar"), "foobar");
  EXPECT_EQ(routed(*router, "/foo"), "<none>");
  EXPECT_EQ(router->match("/base/foo")->based_route, "/base/foo");
  EXPECT_EQ(router->match("/base/foo")->raw_route, "/foo");
}

TEST(RouterTest, ReservedRoutes) {
  EXPECT_TRUE(build({{"c", "/.well-known/spin/..."}}).contains_reserved_route());
  EXPECT_TRUE(build({{"c", "/.well-known/spin/fie"}}).contains_reserved_route());
  EXPECT_FALSE(build({{"c", "/.well-known/spindle/..."}}).contains_reserved_route());
  EXPECT_FALSE(build({{"c", "/.well-known/spin"}}).contains_reserved_route());
}

}  // namespace
}  // namespace lepton::http
