#include "app/allowed_hosts.h"

#include <arpa/inet.h>
#include <fmt/format.h>

namespace lepton::app {
namespace {

using Host = AllowedHosts::Host;
using Entry = AllowedHosts::Entry;
using HostKind = Entry::HostKind;

constexpr std::string_view kServiceChainingDomain = "spin.internal";
constexpr std::string_view kServiceChainingSuffix = ".spin.internal";
constexpr std::string_view kLearnMore =
    "Learn more: "
    "https://spinframework.dev/v3/http-outbound#granting-http-permissions-to-components";

// Rust's `{:?}` of a str: quoted, with \" \\ \n \r \t and \u{..} for other controls.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{{{:x}}}", c);
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ascii_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ascii_space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower(c);
  return out;
}

// Rust's `u<N>::from_str`: optional '+', then at least one decimal digit, no overflow.
std::optional<uint32_t> parse_unsigned(std::string_view s, uint32_t max) {
  if (s.starts_with('+')) s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > max) return std::nullopt;
  }
  return static_cast<uint32_t>(v);
}

// Rust's Ipv4Addr::from_str: four decimal octets, no leading zeros.
std::optional<uint32_t> parse_ipv4_strict(std::string_view s) {
  uint32_t out = 0;
  for (int part = 0; part < 4; ++part) {
    size_t end = part < 3 ? s.find('.') : s.size();
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view octet = s.substr(0, end);
    if (octet.empty() || octet.size() > 3 || (octet.size() > 1 && octet[0] == '0')) {
      return std::nullopt;
    }
    uint32_t v = 0;
    for (char c : octet) {
      if (!is_digit(c)) return std::nullopt;
      v = v * 10 + static_cast<uint32_t>(c - '0');
    }
    if (v > 255) return std::nullopt;
    out = (out << 8) | v;
    s.remove_prefix(part < 3 ? end + 1 : end);
  }
  return out;
}

std::optional<std::array<uint8_t, 16>> parse_ipv6(std::string_view s) {
  if (s.empty() || s.size() > 64) return std::nullopt;
  std::string z(s);
  std::array<uint8_t, 16> out{};
  if (inet_pton(AF_INET6, z.c_str(), out.data()) != 1) return std::nullopt;
  return out;
}

// WHATWG IPv4 number: "0x" hex, leading "0" octal, else decimal. nullopt = not a number;
// overflow yields a value above 2^32 - 1 (caller rejects it).
std::optional<uint64_t> parse_ipv4_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int radix = 10;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    radix = 16;
  } else if (s.size() >= 2 && s[0] == '0') {
    s.remove_prefix(1);
    radix = 8;
  }
  if (s.empty()) return 0;
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (is_digit(c)) {
      d = c - '0';
    } else if (radix == 16 && c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (radix == 16 && c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    if (d >= radix) return std::nullopt;
    v = v * static_cast<uint64_t>(radix) + static_cast<uint64_t>(d);
    if (v > 0xffffffffull) v = 0x100000000ull;  // saturate: already invalid
  }
  return v;
}

bool ends_in_a_number(std::string_view domain) {
  std::string_view last = domain;
  size_t dot = domain.rfind('.');
  if (dot != std::string_view::npos) last = domain.substr(dot + 1);
  if (last.empty()) {
    if (dot == std::string_view::npos) return false;
    std::string_view before = domain.substr(0, dot);
    size_t prev = before.rfind('.');
    if (prev == std::string_view::npos && before.empty()) return false;
    last = prev == std::string_view::npos ? before : before.substr(prev + 1);
  }
  if (!last.empty()) {
    bool all_digits = true;
    for (char c : last) all_digits = all_digits && is_digit(c);
    if (all_digits) return true;
  }
  return parse_ipv4_number(last).has_value();
}

// WHATWG IPv4 parser (url::parser::parse_ipv4addr).
std::optional<uint32_t> parse_ipv4_whatwg(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    parts.push_back(
        s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.size() > 1 && parts.back().empty()) parts.pop_back();
  if (parts.size() > 4) return std::nullopt;
  std::vector<uint64_t> numbers;
  for (std::string_view part : parts) {
    auto n = parse_ipv4_number(part);
    if (!n || *n > 0xffffffffull) return std::nullopt;
    numbers.push_back(*n);
  }
  uint64_t ipv4 = numbers.back();
  numbers.pop_back();
  if (ipv4 > (0xffffffffull >> (8 * numbers.size()))) return std::nullopt;
  for (size_t i = 0; i < numbers.size(); ++i) {
    if (numbers[i] > 255) return std::nullopt;
    ipv4 += numbers[i] << (8 * (3 - i));
  }
  return static_cast<uint32_t>(ipv4);
}

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hex_value(s[i + 1]);
      int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// WHATWG forbidden domain code points (ASCII part).
bool is_forbidden_domain_char(unsigned char c) {
  if (c <= 0x20 || c == 0x7f) return true;
  return std::string_view("#%/:<>?@[\\]^|").find(static_cast<char>(c)) != std::string_view::npos;
}

// url::Host::parse for special schemes: "[v6]", WHATWG IPv4 forms, or an ASCII domain
// (lowercased). Non-ASCII (IDNA) domains are not supported.
Result<Host> parse_host(std::string_view input) {
  Host host;
  if (input.starts_with('[')) {
    if (!input.ends_with(']')) return fail("invalid IPv6 address");
    auto v6 = parse_ipv6(input.substr(1, input.size() - 2));
    if (!v6) return fail("invalid IPv6 address");
    host.kind = Host::Kind::kIpv6;
    host.ipv6 = *v6;
    return host;
  }
  std::string domain = percent_decode(input);
  for (char ch : domain) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c >= 0x80) return fail("invalid international domain name");
    if (is_forbidden_domain_char(c)) return fail("invalid domain character");
  }
  if (domain.empty()) return fail("empty host");
  domain = lowercase(domain);
  if (ends_in_a_number(domain)) {
    auto v4 = parse_ipv4_whatwg(domain);
    if (!v4) return fail("invalid IPv4 address");
    host.kind = Host::Kind::kIpv4;
    host.ipv4 = *v4;
    return host;
  }
  host.kind = Host::Kind::kDomain;
  host.domain = std::move(domain);
  return host;
}

// A host as a request names it: also accepts a bare IPv6 address.
Result<Host> parse_request_host(std::string_view host) {
  if (!host.starts_with('[') && host.find(':') != std::string_view::npos) {
    auto v6 = parse_ipv6(host);
    if (!v6) return fail("invalid IPv6 address");
    Host h;
    h.kind = Host::Kind::kIpv6;
    h.ipv6 = *v6;
    return h;
  }
  return parse_host(host);
}

// url's host serialisation: domain as is, dotted IPv4, compressed "[v6]".
std::string serialize_host(const Host& host) {
  switch (host.kind) {
    case Host::Kind::kDomain:
      return host.domain;
    case Host::Kind::kIpv4:
      return fmt::format("{}.{}.{}.{}", host.ipv4 >> 24, (host.ipv4 >> 16) & 0xff,
                         (host.ipv4 >> 8) & 0xff, host.ipv4 & 0xff);
    case Host::Kind::kIpv6: {
      uint16_t pieces[8];
      for (int i = 0; i < 8; ++i) {
        pieces[i] = static_cast<uint16_t>((host.ipv6[2 * i] << 8) | host.ipv6[2 * i + 1]);
      }
      int best_start = -1, best_len = 0;
      for (int i = 0; i < 8;) {
        if (pieces[i] != 0) {
          ++i;
          continue;
        }
        int j = i;
        while (j < 8 && pieces[j] == 0) ++j;
        if (j - i > best_len) {
          best_start = i;
          best_len = j - i;
        }
        i = j;
      }
      if (best_len < 2) best_start = -1;
      std::string out = "[";
      for (int i = 0; i < 8; ++i) {
        if (i == best_start) {
          out += i == 0 ? "::" : ":";
          i += best_len - 1;
          continue;
        }
        out += fmt::format("{:x}", pieces[i]);
        if (i != 7) out += ':';
      }
      out += ']';
      return out;
    }
  }
  return {};
}

std::optional<uint16_t> special_default_port(std::string_view scheme) {
  if (scheme == "http" || scheme == "ws") return 80;
  if (scheme == "https" || scheme == "wss") return 443;
  if (scheme == "ftp") return 21;
  return std::nullopt;
}

bool is_special_scheme(std::string_view scheme) {
  return special_default_port(scheme).has_value() || scheme == "file";
}

// The parts of a URL Spin looks at, parsed as the `url` crate does for the cases that matter.
struct ParsedUrl {
  std::string scheme;  // lowercase
  bool has_host = false;
  std::string host;  // special schemes: serialised (lowercase domain, dotted IPv4, [v6])
  std::optional<uint16_t> port;  // None when absent or the special scheme's default
  std::string path;              // "/" at least for special schemes
};

Result<ParsedUrl> parse_url(std::string_view input) {
  std::string_view s = trim(input);
  ParsedUrl url;
  size_t i = 0;
  if (s.empty() || !is_alpha(s[0])) return fail("relative URL without a base");
  while (i < s.size() &&
         (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')) {
    ++i;
  }
  if (i == s.size() || s[i] != ':') return fail("relative URL without a base");
  url.scheme = lowercase(s.substr(0, i));
  std::string_view rest = s.substr(i + 1);
  bool special = is_special_scheme(url.scheme);
  if (special) {
    while (!rest.empty() && (rest.front() == '/' || rest.front() == '\\')) rest.remove_prefix(1);
  } else if (rest.starts_with("//")) {
    rest.remove_prefix(2);
  } else {
    url.path = std::string(rest.substr(0, rest.find_first_of("?#")));
    return url;
  }
  size_t auth_end = rest.find_first_of(special ? "/?#\\" : "/?#");
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view after = auth_end == std::string_view::npos ? "" : rest.substr(auth_end);
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);

  std::string_view host_text;
  std::string_view port_text;
  bool has_port = false;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return fail("invalid IPv6 address");
    host_text = authority.substr(0, close + 1);
    std::string_view tail = authority.substr(close + 1);
    if (!tail.empty()) {
      if (tail.front() != ':') return fail("invalid port number");
      has_port = true;
      port_text = tail.substr(1);
    }
  } else {
    size_t colon = authority.find(':');
    host_text = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
  }
  if (has_port && !port_text.empty()) {
    for (char c : port_text) {
      if (!is_digit(c)) return fail("invalid port number");
    }
    auto p = parse_unsigned(port_text, 65535);
    if (!p) return fail("invalid port number");
    if (special_default_port(url.scheme) != static_cast<uint16_t>(*p)) {
      url.port = static_cast<uint16_t>(*p);
    }
  }
  if (special && url.scheme != "file") {
    if (host_text.empty()) return fail("empty host");
    LEPTON_TRY(Host host, parse_host(host_text));
    url.host = serialize_host(host);
  } else {
    url.host = std::string(host_text);
  }
  url.has_host = true;
  std::string_view path = after.substr(0, after.find_first_of("?#"));
  url.path = path.empty() && special ? "/" : std::string(path);
  return url;
}

// ip_network's IpNetwork::from_str_truncate: "<addr>/<prefix>", host bits cleared.
bool parse_cidr(std::string_view s, Host& network, uint8_t& prefix) {
  size_t slash = s.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view ip = s.substr(0, slash);
  std::string_view mask = s.substr(slash + 1);
  if (ip.empty() || mask.empty()) return false;
  auto bits = parse_unsigned(mask, 255);
  if (!bits) return false;
  if (auto v4 = parse_ipv4_strict(ip)) {
    if (*bits > 32) return false;
    network.kind = Host::Kind::kIpv4;
    network.ipv4 = *bits == 0 ? 0 : (*v4 & (0xffffffffu << (32 - *bits)));
    prefix = static_cast<uint8_t>(*bits);
    return true;
  }
  if (auto v6 = parse_ipv6(ip)) {
    if (*bits > 128) return false;
    network.kind = Host::Kind::kIpv6;
    network.ipv6 = *v6;
    for (int i = 0; i < 16; ++i) {
      int keep = static_cast<int>(*bits) - 8 * i;
      if (keep >= 8) continue;
      network.ipv6[i] =
          keep <= 0 ? 0 : static_cast<uint8_t>(network.ipv6[i] & (0xff << (8 - keep)));
    }
    prefix = static_cast<uint8_t>(*bits);
    return true;
  }
  return false;
}

bool cidr_contains(const Host& network, uint8_t prefix, const Host& addr) {
  if (network.kind != addr.kind) return false;
  if (addr.kind == Host::Kind::kIpv4) {
    uint32_t mask = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
    return (addr.ipv4 & mask) == network.ipv4;
  }
  if (addr.kind == Host::Kind::kIpv6) {
    for (int i = 0; i < 16; ++i) {
      int keep = static_cast<int>(prefix) - 8 * i;
      if (keep <= 0) break;
      uint8_t mask = keep >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - keep));
      if ((addr.ipv6[i] & mask) != network.ipv6[i]) return false;
    }
    return true;
  }
  return false;
}

// HostConfig::parse. On success fills the host part of `entry`.
Status parse_host_config(std::string_view host, Entry& entry) {
  host = trim(host);
  if (host == "*") {
    entry.host_kind = HostKind::kAny;
    return {};
  }
  if (host == "self" || host == "self.alt") {
    entry.host_kind = HostKind::kSelf;
    return {};
  }
  if (host.starts_with('{')) {
    if (!host.ends_with('}')) return fail("Condition failed: `host.ends_with('}}')`");
    return fail("host lists are not yet supported");
  }
  if (parse_cidr(host, entry.cidr_network, entry.cidr_prefix)) {
    entry.host_kind = HostKind::kCidr;
    return {};
  }
  if (host.ends_with('/')) host.remove_suffix(1);
  if (host.find('/') != std::string_view::npos) return fail("must not include a path");
  if (host.starts_with("*.")) {
    std::string_view domain = host.substr(2);
    if (domain.find('*') != std::string_view::npos) {
      return fail("wildcards are allowed only as prefixes");
    }
    auto parsed = parse_host(domain);
    if (!parsed.ok()) {
      return fail("invalid wildcard host \"*.{}\": {}", domain, parsed.error().message);
    }
    if (parsed->kind != Host::Kind::kDomain) return fail("wildcard suffix must be a domain");
    entry.host_kind = HostKind::kAnySubdomain;
    entry.subdomain_suffix = "." + parsed->domain;
    return {};
  }
  if (host.find('*') != std::string_view::npos) {
    return fail("wildcards are allowed only as subdomains");
  }
  LEPTON_TRY(entry.literal, parse_host(host));
  entry.host_kind = HostKind::kLiteral;
  return {};
}

Status parse_port_config(std::string_view port, std::string_view scheme, Entry& entry) {
  if (port.empty()) {
    auto p = well_known_port(scheme);
    if (!p) {
      return fail(
          "no port was provided and the scheme {} does not have a known default port "
          "number",
          quoted(scheme));
    }
    entry.port_low = *p;
    entry.port_high = static_cast<uint32_t>(*p) + 1;
    return {};
  }
  if (port == "*") {
    entry.any_port = true;
    return {};
  }
  if (port.starts_with('{')) return fail("port lists are not yet supported");
  size_t dots = port.find("..");
  if (dots != std::string_view::npos) {
    auto start = parse_unsigned(port.substr(0, dots), 65535);
    auto end = parse_unsigned(port.substr(dots + 2), 65535);
    if (!start || !end) return fail("port range {} contains non-number", quoted(port));
    entry.port_low = static_cast<uint16_t>(*start);
    entry.port_high = *end;
    return {};
  }
  auto p = parse_unsigned(port, 65535);
  if (!p) return fail("port {} is not a number", quoted(port));
  entry.port_low = static_cast<uint16_t>(*p);
  entry.port_high = *p + 1;
  return {};
}

Status parse_scheme_config(std::string_view scheme, Entry& entry) {
  if (scheme == "*") {
    entry.any_scheme = true;
    return {};
  }
  if (scheme.starts_with('{')) return fail("scheme lists are not supported");
  for (char c : scheme) {
    if (!is_alpha(c)) return fail("only alphabetic characters are allowed");
  }
  entry.scheme = std::string(scheme);
  return {};
}

// AllowedHostConfig::parse.
Result<Entry> parse_entry(const std::string& original) {
  Entry entry;
  entry.original = original;
  std::string_view url = trim(original);
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    if (url == "*" || url == ":" || url.empty() || url == "?") {
      return fail(
          "{} is not an allowed outbound host format.\nHosts must be in the form "
          "<scheme>://<host>[:<port>], with '*' wildcards allowed for each.\nIf you intended to "
          "allow all outbound networking, you can use '*://*:*' - this will obviate all network "
          "sandboxing.\n{}",
          quoted(url), kLearnMore);
    }
    return fail("{} does not contain a scheme (e.g., 'http://' or '*://')\n{}", quoted(url),
                kLearnMore);
  }
  std::string_view scheme = url.substr(0, sep);
  std::string_view rest = url.substr(sep + 3);
  std::string_view host = rest;
  std::string_view port;
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos) {
    std::string_view h = rest.substr(0, colon);
    std::string_view tail = rest.substr(colon + 1);
    Entry probe;
    if (tail.empty()) {
      host = h;
    } else if (parse_host_config(rest, probe).ok()) {
      host = rest;
    } else {
      size_t slash = tail.find('/');
      if (slash != std::string_view::npos) {
        if (slash + 1 < tail.size())
          return fail("{} has a path but is not allowed to", quoted(url));
        tail = tail.substr(0, slash);
      }
      host = h;
      port = tail;
    }
  }

  if (auto s = parse_port_config(port, scheme, entry); !s.ok()) {
    return fail("Invalid allowed host port {}: {}", quoted(port), s.error().message);
  }
  if (auto s = parse_scheme_config(scheme, entry); !s.ok()) {
    return fail("Invalid allowed host scheme {}: {}", quoted(scheme), s.error().message);
  }
  if (auto s = parse_host_config(host, entry); !s.ok()) {
    return fail("Invalid allowed host {}: {}", quoted(host), s.error().message);
  }
  return entry;
}

bool entry_allows(const Entry& e, std::string_view scheme, const Host& host,
                  std::optional<uint16_t> port) {
  if (!e.any_scheme && e.scheme != scheme) return false;
  switch (e.host_kind) {
    case HostKind::kAny:
      break;
    case HostKind::kAnySubdomain:
      if (host.kind != Host::Kind::kDomain || !host.domain.ends_with(e.subdomain_suffix)) {
        return false;
      }
      break;
    case HostKind::kLiteral:
      if (!(host == e.literal)) return false;
      break;
    case HostKind::kCidr:
      if (!cidr_contains(e.cidr_network, e.cidr_prefix, host)) return false;
      break;
    case HostKind::kSelf:
      return false;
  }
  if (e.any_port) return true;
  std::optional<uint16_t> p = port ? port : well_known_port(scheme);
  if (!p) return false;
  return *p >= e.port_low && *p < e.port_high;
}

}  // namespace

bool AllowedHosts::Entry::is_for_service_chaining() const {
  if (host_kind == HostKind::kLiteral) {
    return literal.kind == Host::Kind::kDomain && literal.domain.ends_with(kServiceChainingSuffix);
  }
  return host_kind == HostKind::kAnySubdomain && subdomain_suffix == kServiceChainingSuffix;
}

Result<AllowedHosts> AllowedHosts::parse(const std::vector<std::string>& entries) {
  if (entries.size() == 1 && entries[0] == "insecure:allow-all") {
    return fail(
        "'insecure:allow-all' is not allowed - use '*://*:*' instead if you really want to allow "
        "all outbound traffic'");
  }
  AllowedHosts out;
  out.entries_.reserve(entries.size());
  for (const std::string& text : entries) {
    if (text.find("{{") != std::string::npos) {
      return fail(
          "allowed_outbound_hosts entry {}: contains an unrendered template; `{{{{ }}}}` must "
          "be resolved before parsing",
          quoted(text));
    }
    auto entry = parse_entry(text);
    if (!entry.ok()) {
      return fail("allowed_outbound_hosts entry {}: {}", quoted(text), entry.error().message);
    }
    out.entries_.push_back(std::move(*entry));
  }
  return out;
}

Result<AllowedHosts> AllowedHosts::parse(const std::vector<std::string>& entries,
                                         const std::vector<std::string>& component_ids) {
  LEPTON_TRY(AllowedHosts parsed, parse(entries));
  AllowedHosts out;
  for (Entry& e : parsed.entries_) {
    if (e.host_kind == HostKind::kAnySubdomain && e.subdomain_suffix == kServiceChainingSuffix) {
      for (const std::string& id : component_ids) {
        Entry expanded = e;
        expanded.host_kind = HostKind::kLiteral;
        expanded.subdomain_suffix.clear();
        expanded.literal = Host{Host::Kind::kDomain, id + std::string(kServiceChainingSuffix)};
        out.entries_.push_back(std::move(expanded));
      }
      continue;
    }
    out.entries_.push_back(std::move(e));
  }
  return out;
}

bool AllowedHosts::allows(std::string_view scheme, std::string_view host, uint16_t port) const {
  auto parsed = parse_request_host(host);
  if (!parsed.ok()) return false;
  std::string s = lowercase(scheme);
  std::optional<uint16_t> p;
  if (port != 0) p = port;
  for (const Entry& e : entries_) {
    if (entry_allows(e, s, *parsed, p)) return true;
  }
  return false;
}

bool AllowedHosts::allows_url(std::string_view url, std::string_view default_scheme) const {
  // Spin first drops the userinfo of "scheme://user:pa#ss@host/..." (it percent-encodes it),
  // so that '#', '/' or '?' in a password do not end the authority.
  std::string text(url);
  if (size_t at = text.find('@'); at != std::string::npos) {
    size_t scheme_end = text.find("://");
    scheme_end = scheme_end == std::string::npos ? 0 : scheme_end + 3;
    size_t path_start = text.find('/', scheme_end);
    if (at >= scheme_end && (path_start == std::string::npos || at < path_start)) {
      text.erase(scheme_end, at - scheme_end);
    }
  }
  auto parsed = parse_url(text);
  if (!parsed.ok() || !parsed->has_host) {
    parsed = parse_url(fmt::format("{}://{}", default_scheme, text));
    if (!parsed.ok() || !parsed->has_host) return false;
  }
  auto host = parse_host(parsed->host);
  if (!host.ok()) return false;
  for (const Entry& e : entries_) {
    if (entry_allows(e, parsed->scheme, *host, parsed->port)) return true;
  }
  return false;
}

bool AllowedHosts::allows_self() const {
  for (const Entry& e : entries_) {
    bool scheme_ok = e.any_scheme || e.scheme == "http" || e.scheme == "https";
    bool host_ok = e.host_kind == HostKind::kAny || e.host_kind == HostKind::kSelf;
    if (scheme_ok && host_ok) return true;
  }
  return false;
}

bool AllowedHosts::allows_service_chaining(std::string_view component_id) const {
  return allows("http", fmt::format("{}{}", component_id, kServiceChainingSuffix), 0);
}

bool is_skippable_rendered_entry(std::string_view rendered) {
  return rendered.empty() || rendered == "http://" || rendered == "https://";
}

std::optional<uint16_t> well_known_port(std::string_view scheme) {
  if (scheme == "postgres") return 5432;
  if (scheme == "mysql") return 3306;
  if (scheme == "redis") return 6379;
  if (scheme == "mqtt") return 1883;
  if (scheme == "http") return 80;
  if (scheme == "https") return 443;
  return std::nullopt;
}

std::optional<std::string> service_chaining_target(std::string_view host) {
  if (size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  size_t dot = host.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  if (host.substr(dot + 1) != kServiceChainingDomain) return std::nullopt;
  return std::string(host.substr(0, dot));
}

Result<std::vector<std::string>> convert_allowed_http_hosts(const std::vector<std::string>& hosts,
                                                            bool allow_database_access) {
  std::vector<std::string> out;
  if (allow_database_access) {
    out = {"redis://*:*", "mysql://*:*", "postgres://*:*"};
  }
  for (const std::string& h : hosts) {
    if (h == "insecure:allow-all") {
      out.insert(out.end(), {"http://*:*", "https://*:*", "http://self"});
      return out;
    }
  }
  std::vector<std::string> errors;
  std::vector<std::pair<std::string, std::optional<uint16_t>>> specific;
  for (const std::string& text : hosts) {
    Result<ParsedUrl> url = Error{};
    if (text.find("//") != std::string::npos) {
      url = parse_url(text);
      if (!url.ok()) {
        errors.push_back(
            fmt::format("{} isn't a valid HTTP host URL: {}", text, url.error().message));
        continue;
      }
      if (url->scheme != "http" && url->scheme != "https") {
        errors.push_back(fmt::format("{} isn't a valid host or host:port string", text));
        continue;
      }
    } else {
      url = parse_url("http://" + text);
      if (!url.ok()) {
        errors.push_back(fmt::format("{} isn't a valid host or host:port string", text));
        continue;
      }
    }
    if (!url->has_host || url->host.empty()) {
      errors.push_back(fmt::format("{} doesn't contain a host name", text));
      continue;
    }
    if (url->path.size() > 1) {
      errors.push_back(
          fmt::format("{} contains a path, should be host and optional port only", text));
      continue;
    }
    specific.emplace_back(url->host, url->port);
  }
  if (!errors.empty()) {
    std::string joined;
    for (size_t i = 0; i < errors.size(); ++i) {
      if (i) joined += '\n';
      joined += errors[i];
    }
    return fail("One or more allowed_http_hosts entries was invalid:\n{}", joined);
  }
  for (const auto& [domain, port] : specific) {
    if (domain == "self") {
      out.emplace_back("http://self");
      continue;
    }
    std::string p = port ? fmt::format(":{}", *port) : "";
    out.push_back(fmt::format("http://{}{}", domain, p));
    out.push_back(fmt::format("https://{}{}", domain, p));
  }
  return out;
}

}  // namespace lepton::app
