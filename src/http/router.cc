#include "http/router.h"

#include <fmt/format.h>

#include <set>

namespace lepton::http {
namespace {

using Segment = Router::Segment;
using Kind = Segment::Kind;

// Spin's sanitize(): strips exactly one trailing '/'.
std::string_view strip_one_trailing_slash(std::string_view s) {
  if (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return s;
}

// Spin's sanitize_with_base(): absolutize the route, strip one trailing '/' from base and route.
std::string based_route(std::string_view base, std::string_view route) {
  std::string absolute = route.starts_with('/') ? std::string(route) : "/" + std::string(route);
  std::string out(strip_one_trailing_slash(base));
  out += strip_one_trailing_slash(absolute);
  return out;
}

std::string_view trim_slashes(std::string_view s) {
  while (!s.empty() && s.front() == '/') s.remove_prefix(1);
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return s;
}

// routefinder's RouteSpec parser: the route (leading/trailing '/' trimmed) is cut at every '.'
// and '/'; "*" is the wildcard, ":name" a param, empty sections vanish, a '.' becomes part of a
// preceding literal or else a Dot segment, and a '/' before a section becomes a Slash segment.
Result<std::vector<Segment>> parse_route_spec(std::string_view source) {
  std::string_view s = trim_slashes(source);
  std::vector<Segment> segments;
  size_t last_index = 0;
  for (size_t index = 0;; ++index) {
    bool at_end = index == s.size();
    if (!at_end && s[index] != '.' && s[index] != '/') continue;
    std::optional<char> first_char;
    if (last_index != 0) first_char = s[last_index - 1];
    std::string_view section = s.substr(last_index, index - last_index);
    last_index = index + 1;

    std::optional<Segment> segment;
    if (section == "*") {
      segment = Segment{Kind::kWildcard, ""};
    } else if (section.starts_with('*')) {
      return fail(
          "since there can only be one wildcard, it doesn't need a name. replace `{}` with `*`",
          section);
    } else if (section == ":") {
      return fail("params must be named");
    } else if (section.starts_with(':')) {
      segment = Segment{Kind::kParam, std::string(section.substr(1))};
    } else if (!section.empty()) {
      segment = Segment{Kind::kExact, std::string(section)};
    }

    if (first_char == '.') {
      if (!segments.empty() && segments.back().kind == Kind::kExact) {
        segments.back().text += '.';
      } else {
        segments.push_back(Segment{Kind::kDot, ""});
      }
    }
    if (segment) {
      if (first_char == '/') segments.push_back(Segment{Kind::kSlash, ""});
      segments.push_back(std::move(*segment));
    }
    if (at_end) break;
  }
  return segments;
}

// routefinder's Segment ordering (not a strict order for Dot; reproduced as is).
int compare_segment(const Segment& a, const Segment& b) {
  Kind x = a.kind;
  Kind y = b.kind;
  auto either = [&](Kind p, Kind q) { return (x == p && y == q); };
  if (x == y) return 0;
  if (either(Kind::kDot, Kind::kSlash) || either(Kind::kSlash, Kind::kDot)) return 0;
  if (x == Kind::kDot) return 1;
  if (x == Kind::kExact) return 1;
  if (x == Kind::kParam) return y == Kind::kExact ? -1 : 1;
  if (x == Kind::kWildcard) return (y == Kind::kExact || y == Kind::kParam) ? -1 : 1;
  return -1;  // Slash against Exact, Param or Wildcard
}

size_t count_dots(const std::vector<Segment>& segments) {
  size_t n = 0;
  for (const Segment& s : segments) n += s.kind == Kind::kDot;
  return n;
}

// routefinder's RouteSpec::cmp(a, b): < 0 when `a` is tried before `b`. Never 0: equal-weight
// routes compare "greater", so a newly added route goes after the ones already there.
int compare_spec(const std::vector<Segment>& a, const std::vector<Segment>& b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    int c = compare_segment(a[i], b[i]);
    if (c != 0) return -c;
  }
  size_t da = count_dots(a);
  size_t db = count_dots(b);
  if (da != db) return da > db ? -1 : 1;
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return 1;
}

// routefinder's RouteSpec::matches: the path with all leading and trailing '/' removed is
// consumed segment by segment; what is left must be empty. Captures (params, then the wildcard)
// are slices of `path`. A segment sequence routefinder would panic on counts as no match.
bool match_spec(const std::vector<Segment>& segments, std::string_view path,
                std::vector<std::string_view>& captures) {
  std::string_view p = trim_slashes(path);
  captures.clear();
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& segment = segments[i];
    const Segment* next = i + 1 < segments.size() ? &segments[i + 1] : nullptr;
    switch (segment.kind) {
      case Kind::kExact:
        if (!p.starts_with(segment.text)) return false;
        p.remove_prefix(segment.text.size());
        break;
      case Kind::kParam: {
        if (p.empty()) return false;
        if (next == nullptr || next->kind == Kind::kSlash) {
          size_t end = p.find('/');
          std::string_view capture = p.substr(0, end);
          captures.push_back(capture);
          p.remove_prefix(capture.size());
        } else if (next->kind == Kind::kDot) {
          size_t index = p.find_first_of("./");
          if (index == std::string_view::npos || p[index] != '.') return false;
          captures.push_back(p.substr(0, index));
          p.remove_prefix(index);
        } else {
          return false;
        }
        break;
      }
      case Kind::kWildcard:
        if (next != nullptr) return false;
        captures.push_back(p);
        p = {};
        break;
      case Kind::kSlash:
        if (!p.empty() && p.front() == '/' && next != nullptr) {
          p.remove_prefix(1);
        } else if (p.empty() && (next == nullptr || next->kind == Kind::kWildcard)) {
          // stays
        } else {
          return false;
        }
        break;
      case Kind::kDot:
        if (p.empty() || p.front() != '.') return false;
        p.remove_prefix(1);
        break;
    }
  }
  return p.empty() || p == "/";
}

std::string_view strip_wildcard_suffix(std::string_view route) {
  if (route.ends_with("/...")) route.remove_suffix(4);
  return route;
}

}  // namespace

std::vector<std::string> Router::default_trigger_ids(
    const std::vector<app::HttpTrigger>& triggers) {
  std::set<std::string, std::less<>> used;
  for (const app::HttpTrigger& trigger : triggers) {
    if (!trigger.id.empty()) used.insert(trigger.id);
  }
  std::vector<std::string> ids;
  ids.reserve(triggers.size());
  size_t counter = 1;
  for (const app::HttpTrigger& trigger : triggers) {
    if (!trigger.id.empty()) {
      ids.push_back(trigger.id);
      continue;
    }
    if (!trigger.component.empty()) {
      std::string candidate = trigger.component + "-http-trigger";
      if (used.insert(candidate).second) {
        ids.push_back(std::move(candidate));
        continue;
      }
    }
    while (used.contains(fmt::format("http-trigger{}", counter))) ++counter;
    std::string id = fmt::format("http-trigger{}", counter);
    used.insert(id);
    ids.push_back(std::move(id));
  }
  return ids;
}

Result<Router> Router::build(const std::vector<app::HttpTrigger>& triggers, std::string_view base) {
  Router router;
  std::vector<std::string> trigger_ids = default_trigger_ids(triggers);

  // Lookup keys, and which trigger configures each key (the last one naming a component).
  std::vector<std::string> keys(triggers.size());
  for (size_t i = 0; i < triggers.size(); ++i) {
    const app::HttpTrigger& t = triggers[i];
    bool has_component = !t.component.empty();
    bool has_static = t.static_response.has_value();
    if (has_component == has_static) {
      return fail("Triggers must specify either component or static_response - {} has {}",
                  trigger_ids[i], has_component ? "both" : "neither");
    }
    keys[i] = has_component ? t.component : trigger_ids[i];
    if (has_component) router.component_config_[t.component] = i;
  }

  // Public routes in first-seen order of their text; a later trigger with the same route text
  // replaces the earlier one in place (IndexMap semantics) and the earlier one is a duplicate.
  struct Pending {
    size_t trigger_index;
    std::string based;
  };
  std::vector<Pending> pending;
  std::map<std::string_view, size_t> by_raw_route;
  for (size_t i = 0; i < triggers.size(); ++i) {
    const app::HttpTrigger& t = triggers[i];
    if (t.is_private) continue;
    Pending p{i, based_route(base, t.route)};
    auto [it, inserted] = by_raw_route.emplace(t.route, pending.size());
    if (inserted) {
      pending.push_back(std::move(p));
      continue;
    }
    Pending& replaced = pending[it->second];
    router.duplicates_.push_back(DuplicateRoute{replaced.based.empty() ? "/" : replaced.based,
                                                keys[replaced.trigger_index], keys[i]});
    replaced = std::move(p);
  }

  for (Pending& p : pending) {
    const app::HttpTrigger& t = triggers[p.trigger_index];
    Entry entry;
    entry.route_trigger_index = p.trigger_index;
    entry.lookup_key = keys[p.trigger_index];
    entry.is_static_response = t.static_response.has_value();
    entry.config_trigger_index =
        entry.is_static_response ? p.trigger_index : router.component_config_[t.component];
    entry.raw_route = t.route;
    std::string spec;
    if (p.based.ends_with("/...")) {
      entry.is_wildcard = true;
      entry.wildcard_prefix = p.based.substr(0, p.based.size() - 4);
      spec = entry.wildcard_prefix + "/*";
    } else if (p.based.ends_with("/*")) {
      entry.is_wildcard = true;
      entry.wildcard_prefix = p.based.substr(0, p.based.size() - 2);
      spec = p.based;
    } else {
      spec = p.based;
    }
    entry.based_route = std::move(p.based);
    auto segments = parse_route_spec(spec);
    if (!segments.ok()) {
      return fail("Error parsing route {} associated with component {}: {}", entry.based_route,
                  entry.lookup_key, segments.error().message);
    }
    entry.segments = std::move(*segments);

    // BTreeMap insertion with routefinder's ordering: before the first route it sorts below.
    auto pos = router.entries_.begin();
    while (pos != router.entries_.end() && compare_spec(entry.segments, pos->segments) >= 0) {
      ++pos;
    }
    router.entries_.insert(pos, std::move(entry));
  }
  return router;
}

RouteMatch Router::make_match(const Entry& entry, std::string_view path,
                              const std::vector<std::string_view>& captures) const {
  RouteMatch m;
  m.trigger_index = entry.config_trigger_index;
  m.route_trigger_index = entry.route_trigger_index;
  m.lookup_key = entry.lookup_key;
  m.is_static_response = entry.is_static_response;
  m.based_route = entry.based_route;
  m.based_route_or_prefix = std::string(strip_wildcard_suffix(entry.based_route));
  m.raw_route = entry.raw_route;
  m.raw_route_or_prefix = std::string(strip_wildcard_suffix(entry.raw_route));

  size_t next_capture = 0;
  for (const Segment& segment : entry.segments) {
    if (segment.kind != Kind::kParam && segment.kind != Kind::kWildcard) continue;
    if (next_capture >= captures.size()) break;
    std::string_view value = captures[next_capture++];
    if (segment.kind == Kind::kWildcard) {
      // Spin keeps the trailing slash that routefinder drops.
      bool slash = path.ends_with('/');
      if (value.empty()) {
        m.path_info = slash ? "/" : "";
      } else {
        m.path_info = fmt::format("/{}{}", value, slash ? "/" : "");
      }
      continue;
    }
    // Spin collects params into a map: a repeated name keeps its last value.
    bool replaced = false;
    for (auto& [name, v] : m.params) {
      if (name == segment.text) {
        v = std::string(value);
        replaced = true;
      }
    }
    if (!replaced) m.params.emplace_back(segment.text, std::string(value));
  }
  return m;
}

std::optional<RouteMatch> Router::match(std::string_view path) const {
  std::vector<std::string_view> captures;
  for (const Entry& entry : entries_) {
    if (match_spec(entry.segments, path, captures)) return make_match(entry, path, captures);
  }
  return std::nullopt;
}

Result<RouteMatch> Router::chain(std::string_view component_id, std::string_view path) const {
  auto it = component_config_.find(component_id);
  if (it == component_config_.end()) {
    return fail("unknown routing destination '{}'", component_id);
  }
  RouteMatch m;
  m.trigger_index = it->second;
  m.route_trigger_index = it->second;
  m.lookup_key = std::string(component_id);
  m.based_route = "/...";
  m.based_route_or_prefix = "";
  m.raw_route = "/...";
  m.raw_route_or_prefix = "";
  m.path_info = std::string(path);
  return m;
}

std::vector<RouteListing> Router::listing() const {
  std::vector<RouteListing> out;
  out.reserve(entries_.size());
  for (const Entry& e : entries_) {
    RouteListing l;
    l.lookup_key = e.lookup_key;
    l.is_wildcard = e.is_wildcard;
    l.is_static_response = e.is_static_response;
    l.trigger_index = e.route_trigger_index;
    const std::string& p = e.is_wildcard ? e.wildcard_prefix : e.based_route;
    l.display = e.is_wildcard ? p + " (wildcard)" : p;
    l.path = p.empty() ? "/" : p;
    out.push_back(std::move(l));
  }
  return out;
}

std::string Router::available_routes(
    std::string_view base_url, const std::map<std::string, app::Component>& components) const {
  std::string out = "Available Routes:\n";
  for (const RouteListing& l : listing()) {
    out += fmt::format("  {}: {}{}\n", l.lookup_key, base_url, l.display);
    if (l.is_static_response) continue;
    auto it = components.find(l.lookup_key);
    if (it != components.end() && !it->second.description.empty()) {
      out += fmt::format("    {}\n", it->second.description);
    }
  }
  return out;
}

std::vector<std::string> Router::duplicate_warnings() const {
  std::vector<std::string> lines;
  if (duplicates_.empty()) return lines;
  lines.emplace_back("The following component routes are duplicates and will never be used:");
  for (const DuplicateRoute& d : duplicates_) {
    lines.push_back(
        fmt::format("  {}: {} (duplicate of {})", d.replaced_id, d.route, d.effective_id));
  }
  return lines;
}

bool Router::contains_reserved_route() const {
  for (const Entry& e : entries_) {
    if (e.based_route.starts_with(kWellKnownPrefix)) return true;
  }
  return false;
}

}  // namespace lepton::http
