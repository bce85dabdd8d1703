// A component's network grants: Spin's `allowed_outbound_hosts` (and the legacy
// `allowed_http_hosts`, converted to it). Reproduces spin_outbound_networking_config's
// AllowedHostConfig/AllowedHostsConfig (Spin main/4.x, the stricter parser; Spin 3.6 accepted a
// few malformed IPv6 forms that this rejects).
//
// Entry syntax `scheme://host[:port][/]`:
//   scheme  `*` or letters only (compared case-sensitively with the request's lowercase scheme)
//   host    `*`; `*.domain` (strict subdomains only); `self` / `self.alt` (relative requests);
//           an IPv4/IPv6 CIDR `10.0.0.0/8`, `2001:db8::/32` (host bits truncated); a literal domain
//           (ASCII, case-insensitive), IPv4 (WHATWG forms: `0x7f.1` is 127.0.0.1) or `[IPv6]`;
//           `<component>.spin.internal` / `*.spin.internal` for service chaining
//   port    a number; `a..b` = a <= port < b (Rust Range: the end is EXCLUSIVE); `*`; or absent:
//           the scheme's well-known port (http 80, https 443, redis 6379, mysql 3306,
//           postgres 5432, mqtt 1883; any other scheme, `*` included, must name a port)
// A request without an explicit port is checked with its scheme's well-known port.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace lepton::app {

class AllowedHosts {
 public:
  // Parses rendered entries. An entry still containing "{{" is rejected: render templates first,
  // and drop entries whose rendered text is skippable (see is_skippable_rendered_entry) as Spin
  // does. A lone "insecure:allow-all" is rejected with Spin's hint. Errors name the entry and the
  // failing part, e.g. `allowed_outbound_hosts entry "http://x:99999": Invalid allowed host port
  // "99999": port "99999" is not a number`.
  static Result<AllowedHosts> parse(const std::vector<std::string>& entries);
  // As above, and expands `*.spin.internal` to `<id>.spin.internal` for each id, as Spin does
  // with the app's component ids (without ids, `*.spin.internal` matches any component name).
  static Result<AllowedHosts> parse(const std::vector<std::string>& entries,
                                    const std::vector<std::string>& component_ids);

  // Whether a connection to scheme://host:port is allowed. `host` is a domain, an IPv4 address
  // or an IPv6 address with or without brackets; `port` 0 means "not given" (the scheme's
  // well-known port applies). `self` entries never match here (see allows_self).
  bool allows(std::string_view scheme, std::string_view host, uint16_t port) const;
  // Spin's check_url: parses `url` ("https://user@host:8443/p?q"); if it has no scheme://host,
  // retries as "<default_scheme>://<url>" (so "example.com:8080" and socket addresses
  // "10.0.0.1:5432" work). Unparseable -> false.
  bool allows_url(std::string_view url, std::string_view default_scheme = "https") const;
  // Relative ("self") outbound HTTP requests, and http://self.alt/...: some entry has scheme `*`,
  // http or https and host `*`, `self` or `self.alt`.
  bool allows_self() const;
  // Service chaining to `component_id`: whether http://<component_id>.spin.internal is allowed.
  bool allows_service_chaining(std::string_view component_id) const;
  // No entries: the component has no network access.
  bool empty() const { return entries_.empty(); }

  struct Host {
    enum class Kind { kDomain, kIpv4, kIpv6 };
    Kind kind = Kind::kDomain;
    std::string domain;  // lowercase ASCII
    uint32_t ipv4 = 0;
    std::array<uint8_t, 16> ipv6 = {};  // network order

    bool operator==(const Host&) const = default;
  };

  struct Entry {
    enum class HostKind { kAny, kAnySubdomain, kSelf, kLiteral, kCidr };
    std::string original;
    bool any_scheme = false;
    std::string scheme;
    HostKind host_kind = HostKind::kAny;
    std::string subdomain_suffix;  // ".example.com" (kAnySubdomain)
    Host literal;                  // kLiteral
    Host cidr_network;             // kCidr: kIpv4/kIpv6 network address (truncated)
    uint8_t cidr_prefix = 0;
    bool any_port = false;
    uint16_t port_low = 0;   // allowed: port_low <= p < port_high (single port: high = low + 1,
    uint32_t port_high = 0;  // computed in 32 bits so 65535 works)

    bool is_for_service_chaining() const;
  };

  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

// Spin's optional-endpoint rule for templated entries: a rendered value of "", "http://" or
// "https://" is dropped instead of parsed.
bool is_skippable_rendered_entry(std::string_view rendered);

// The legacy `allowed_http_hosts` list converted to `allowed_outbound_hosts` entries, exactly as
// Spin's compat layer does: "insecure:allow-all" anywhere -> "http://*:*", "https://*:*",
// "http://self"; "self" -> "http://self"; "host[:port]" or "http(s)://host[:port][/]" ->
// "http://host[:port]" and "https://host[:port]" (host normalised: lowercase, IPv4 dotted, port
// dropped when it is the URL scheme's default). `allow_database_access` (v1 manifests without
// `allowed_outbound_hosts`) prepends "redis://*:*", "mysql://*:*", "postgres://*:*". Error:
// "One or more allowed_http_hosts entries was invalid:\n<one line per bad entry>".
Result<std::vector<std::string>> convert_allowed_http_hosts(const std::vector<std::string>& hosts,
                                                            bool allow_database_access);

// "<component>.spin.internal[:port]" -> "<component>" (Spin's parse_service_chaining_host);
// used to drop such a Host header from inbound requests.
std::optional<std::string> service_chaining_target(std::string_view host);

// The default port Spin assumes for a scheme: http 80, https 443, redis 6379, mysql 3306,
// postgres 5432, mqtt 1883.
std::optional<uint16_t> well_known_port(std::string_view scheme);

}  // namespace lepton::app
