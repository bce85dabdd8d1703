// Spin's HTTP router: which [[trigger.http]] handles a request path, and the route facts Spin
// reports to the guest (spin-* headers, WAGI variables).
//
// Spin builds its router with the `routefinder` crate (0.5.4) and these rules, all reproduced
// here:
//  - a route is made absolute ("foo" -> "/foo"), one trailing '/' is stripped from it and from the
//    base, and the two are joined ("/" + "/" -> "", the root route);
//  - "/a/..." and "/a/*" are trailing wildcards; they match "/a", "/a/", "/a/x/y";
//  - ":name" captures one segment (up to the next '/', or '.' when the route has one there);
//  - routes are ordered once, segment by segment: literal > ":param" > wildcard, then more '.'
//    segments first, then the shorter route first, then manifest order; the first route in that
//    order that matches the path wins. So "/a" beats "/a/...", "/a/b/..." beats "/a/...",
//    "/users/new" beats "/users/:id", "/:x" beats "/...";
//  - a path is compared with all its leading and trailing '/' ignored ("/a/" matches "/a");
//  - private triggers are not routable at all (service chaining reaches them by component id, see
//    Router::chain);
//  - two triggers with the same route text: the later one wins, the earlier is reported as a
//    duplicate.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/app.h"
#include "common/result.h"

namespace lepton::http {

// Paths under this prefix are answered by the runtime before routing.
inline constexpr std::string_view kWellKnownPrefix = "/.well-known/spin/";

// What Spin knows about a matched request. Plain data: executors read it without linking the
// router.
struct RouteMatch {
  // The trigger whose configuration serves the request. Like Spin, a component is configured by
  // the last [[trigger.http]] naming it (its executor, e.g. WAGI argv); a static response by its
  // own trigger.
  size_t trigger_index = 0;
  // The trigger whose route matched (differs from trigger_index only when a component has
  // several triggers). For a service-chaining match, equal to trigger_index.
  size_t route_trigger_index = 0;
  // Spin's lookup key: the component id, or the trigger id for a static response.
  std::string lookup_key;
  bool is_static_response = false;

  std::string based_route;            // spin-matched-route / X_MATCHED_ROUTE: route with base,
                                      // as written after normalisation ("" for "/")
  std::string based_route_or_prefix;  // based_route without a trailing "/..." (WAGI SCRIPT_NAME)
  std::string raw_route;              // spin-raw-component-route: the route as written
  std::string raw_route_or_prefix;    // spin-component-route: raw_route without a trailing "/..."
  std::string path_info;              // spin-path-info / PATH_INFO: the trailing-wildcard tail
                                      // ("" for "/a" or non-wildcard routes, "/" for "/a/")
  std::vector<std::pair<std::string, std::string>> params;  // ":name" captures, raw, route order
};

// One line of the "Available Routes:" listing.
struct RouteListing {
  std::string lookup_key;  // component id or trigger id
  std::string display;     // as Spin prints it: "/hello", "/hello (wildcard)", "" for "/",
                           // " (wildcard)" for "/..."
  std::string path;        // route without wildcard suffix; "/" when empty (JSON output)
  bool is_wildcard = false;
  bool is_static_response = false;
  size_t trigger_index = 0;
};

// A route that can never be reached because a later trigger has the same route text.
struct DuplicateRoute {
  std::string route;         // based route; "/" for the root route
  std::string replaced_id;   // lookup key of the unreachable trigger
  std::string effective_id;  // lookup key of the trigger that wins
};

class Router {
 public:
  // Builds the router from the triggers in manifest order. Spin always passes base "/" (Spin 3
  // rejects any other v1 `base`). Errors: a route routefinder cannot parse ("*name" segment,
  // unnamed ':'), naming the route and its lookup key.
  static Result<Router> build(const std::vector<app::HttpTrigger>& triggers,
                              std::string_view base = "/");

  // The best route for `path` (the raw, percent-encoded request path without query), or nothing
  // (Spin answers 404). The well-known prefix is not special here.
  std::optional<RouteMatch> match(std::string_view path) const;

  // Service chaining (http://<component>.spin.internal/...): Spin bypasses routing and
  // synthesises a "/..." match for the component with the whole path as path info; private
  // triggers are reachable this way. Error when no trigger names the component.
  Result<RouteMatch> chain(std::string_view component_id, std::string_view path) const;

  // Routes in Spin's listing order (the routing order), private triggers excluded.
  std::vector<RouteListing> listing() const;

  // Spin's banner after "Serving <base_url>": "Available Routes:\n" then per route
  // "  <key>: <base_url><display>\n" and, for a component with a description,
  // "    <description>\n". `base_url` is "http://127.0.0.1:3000" (no trailing '/').
  std::string available_routes(std::string_view base_url,
                               const std::map<std::string, app::Component>& components) const;

  const std::vector<DuplicateRoute>& duplicates() const { return duplicates_; }
  // Spin's error log lines for duplicates: a header line then "  <replaced>: <route> (duplicate
  // of <effective>)"; empty when there are none.
  std::vector<std::string> duplicate_warnings() const;
  // True when some route lies under /.well-known/spin/ (Spin logs that it is unreachable).
  bool contains_reserved_route() const;

  // Each trigger's id: HttpTrigger::id when set (the manifest loader fills it), otherwise
  // generated as Spin's normalize_trigger_ids does: "<component>-http-trigger" when free, else
  // "http-trigger<N>" (smallest free N from 1). Static responses are keyed by this id.
  static std::vector<std::string> default_trigger_ids(
      const std::vector<app::HttpTrigger>& triggers);

  struct Segment {
    enum class Kind { kSlash, kDot, kExact, kParam, kWildcard };
    Kind kind;
    std::string text;  // exact text or param name
  };

 private:
  struct Entry {
    std::vector<Segment> segments;
    size_t route_trigger_index = 0;
    size_t config_trigger_index = 0;
    std::string lookup_key;
    bool is_static_response = false;
    bool is_wildcard = false;
    std::string based_route;
    std::string raw_route;
    std::string wildcard_prefix;  // based route without "/..." or "/*" (wildcards only)
  };

  RouteMatch make_match(const Entry& entry, std::string_view path,
                        const std::vector<std::string_view>& captures) const;

  std::vector<Entry> entries_;  // in routing order
  std::vector<DuplicateRoute> duplicates_;
  // component id -> the last trigger naming it (Spin's per-component trigger config)
  std::map<std::string, size_t, std::less<>> component_config_;
};

}  // namespace lepton::http
