#include "executors/wagi_cgi.h"

#include <fmt/format.h>

#include <map>

namespace lepton::executors::wagi {
namespace {

// Insertion-ordered environment where a later insert of the same key replaces the value in place
// (the order Spin inserts into its HashMap; the guest sees them in this order).
class Env {
 public:
  void set(std::string key, std::string value) {
    auto [it, inserted] = index_.emplace(key, vars_.size());
    if (inserted) {
      vars_.emplace_back(std::move(key), std::move(value));
    } else {
      vars_[it->second].second = std::move(value);
    }
  }
  std::vector<std::pair<std::string, std::string>> take() { return std::move(vars_); }

 private:
  std::vector<std::pair<std::string, std::string>> vars_;
  std::map<std::string, size_t, std::less<>> index_;
};

char to_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

// http::HeaderValue::to_str: visible ASCII and tab only.
bool is_visible_ascii(std::string_view v) {
  for (char ch : v) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (!((c >= 0x20 && c < 0x7f) || c == '\t')) return false;
  }
  return true;
}

// http::HeaderValue::from_str: no control characters except tab (bytes >= 0x80 are fine).
bool is_valid_header_value(std::string_view v) {
  for (char ch : v) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

// http::HeaderName::from_lowercase: a non-empty lowercase RFC 7230 token.
bool is_valid_lowercase_header_name(std::string_view n) {
  if (n.empty() || n.size() > 0xffff) return false;
  for (char c : n) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

std::string replace_all(std::string_view s, std::string_view from, std::string_view to) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t hit = s.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(s.substr(pos));
  return out;
}

std::pair<std::string_view, std::optional<std::string_view>> split_target(std::string_view pq) {
  size_t q = pq.find('?');
  if (q == std::string_view::npos) return {pq, std::nullopt};
  return {pq.substr(0, q), pq.substr(q + 1)};
}

// Classifies a UTF-8 lead byte >= 0x80: the sequence length and the allowed range of the
// second byte (narrower after E0, ED, F0, F4). False for bytes that can't start a sequence.
bool utf8_lead(unsigned char c, size_t& len, unsigned char& lo, unsigned char& hi) {
  lo = 0x80;
  hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return false;
  }
  return true;
}

// Decodes one UTF-8 code point at s[i]; returns its length, or 0 when `s` is not valid there.
size_t utf8_valid_prefix(std::string_view s, size_t i, uint32_t* cp) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t len;
  unsigned char lo, hi;
  if (!utf8_lead(c, len, lo, hi)) return 0;
  if (i + len > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  }
  uint32_t v = c & (0xff >> (len + 1));
  for (size_t k = 1; k < len; ++k) v = (v << 6) | (byte(i + k) & 0x3f);
  *cp = v;
  return len;
}

// Length of the maximal prefix of an invalid sequence at s[i] that Rust replaces by one U+FFFD.
size_t invalid_run(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  size_t len;
  unsigned char lo, hi;
  if (!utf8_lead(c, len, lo, hi)) return 1;
  size_t k = 1;
  if (i + k >= s.size() || byte(i + k) < lo || byte(i + k) > hi) return 1;
  for (k = 2; k < len; ++k) {
    if (i + k >= s.size() || byte(i + k) < 0x80 || byte(i + k) > 0xbf) return k;
  }
  return len;
}

std::string utf8_lossy(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp;
    size_t n = utf8_valid_prefix(s, i, &cp);
    if (n > 0) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      i += invalid_run(s, i);
    }
  }
  return out;
}

// Position of the first invalid UTF-8 byte, or npos.
size_t first_invalid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp;
    size_t n = utf8_valid_prefix(s, i, &cp);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

bool is_unicode_whitespace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
         cp == 0x205f || cp == 0x3000;
}

// Rust's str::trim (Unicode White_Space) on valid UTF-8.
std::string_view trim_unicode(std::string_view s) {
  while (!s.empty()) {
    uint32_t cp;
    size_t n = utf8_valid_prefix(s, 0, &cp);
    if (n == 0 || !is_unicode_whitespace(cp)) break;
    s.remove_prefix(n);
  }
  while (!s.empty()) {
    size_t start = s.size() - 1;
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xc0) == 0x80) --start;
    uint32_t cp;
    size_t n = utf8_valid_prefix(s, start, &cp);
    if (n == 0 || start + n != s.size() || !is_unicode_whitespace(cp)) break;
    s.remove_suffix(n);
  }
  return s;
}

// The port of a Host authority ("h:8080", "[::1]:8080"), as http::Uri::port_u16 reads it.
std::optional<std::string> authority_port(std::string_view authority) {
  size_t bracket = authority.rfind(']');
  size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos || (bracket != std::string_view::npos && colon < bracket)) {
    return std::nullopt;
  }
  std::string_view port = authority.substr(colon + 1);
  if (port.empty() || port.size() > 5) return std::nullopt;
  uint32_t v = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > 65535) return std::nullopt;
  return std::to_string(v);
}

}  // namespace

std::string percent_decode_lossy(std::string_view s) {
  std::string bytes;
  bytes.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      bytes += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      bytes += s[i];
    }
  }
  return utf8_lossy(bytes);
}

std::vector<std::pair<std::string, std::string>> cgi_environment(const http::RouteMatch& match,
                                                                 const RequestFacts& facts) {
  auto [path, query] = split_target(facts.path_and_query);
  (void)path;

  std::optional<std::string_view> host_header;
  std::optional<std::string_view> content_type;
  for (const http::Header& h : facts.headers) {
    if (!host_header && iequals(h.name, "host")) host_header = h.value;
    if (!content_type && iequals(h.name, "content_type")) content_type = h.value;
  }

  // parse_host_header_uri with Spin's hard-coded default host "default_host".
  std::string server_name = "default_host";
  std::string server_port = "80";
  if (host_header && is_visible_ascii(*host_header)) {
    if (auto p = authority_port(*host_header)) server_port = *p;
    std::string_view hdr = *host_header;
    size_t colon = hdr.find(':');
    std::string_view name = hdr.substr(0, colon);
    if (!name.empty()) server_name = std::string(name);
    if (colon != std::string_view::npos && colon + 1 < hdr.size()) {
      server_port = std::string(hdr.substr(colon + 1));
    }
  }

  Env env;
  env.set("AUTH_TYPE", "");
  env.set("CONTENT_LENGTH", std::to_string(facts.body_length));
  env.set("CONTENT_TYPE", content_type && is_visible_ascii(*content_type)
                              ? std::string(*content_type)
                              : std::string());
  env.set("X_FULL_URL",
          fmt::format("{}://{}:{}{}", "http", server_name, server_port, facts.path_and_query));
  env.set("GATEWAY_INTERFACE", "CGI/1.1");
  env.set("X_MATCHED_ROUTE", match.based_route);
  env.set("QUERY_STRING", std::string(query.value_or("")));
  env.set("REMOTE_ADDR", std::string(facts.client_ip));
  env.set("REMOTE_HOST", std::string(facts.client_ip));
  env.set("REMOTE_USER", "");
  env.set("REQUEST_METHOD", std::string(facts.method));
  env.set("SCRIPT_NAME", match.based_route_or_prefix);
  std::string decoded = percent_decode_lossy(match.path_info);
  env.set("X_RAW_PATH_INFO", match.path_info);
  env.set("PATH_INFO", decoded);
  env.set("PATH_TRANSLATED", decoded);
  env.set("SERVER_NAME", server_name);
  env.set("SERVER_PORT", server_port);
  env.set("SERVER_PROTOCOL", std::string(facts.http_version));
  env.set("SERVER_SOFTWARE", "WAGI/1");
  for (const http::Header& h : facts.headers) {
    std::string key = "HTTP_";
    for (char c : h.name) key += c == '-' ? '_' : to_upper(c);
    if (key == "HTTP_AUTHORIZATION" || key == "HTTP_CONNECTION") continue;
    env.set(std::move(key), is_visible_ascii(h.value) ? h.value : "CORRUPT VALUE");
  }

  // Spin then overlays its default headers under their WAGI names.
  std::string ip(facts.client_ip);
  std::string client_addr = ip.find(':') != std::string::npos
                                ? fmt::format("[{}]:{}", ip, facts.client_port)
                                : fmt::format("{}:{}", ip, facts.client_port);
  std::string_view full_host = host_header.value_or("localhost");
  env.set("PATH_INFO", match.path_info);
  env.set("X_FULL_URL", fmt::format("{}://{}{}", facts.scheme, full_host, facts.path_and_query));
  env.set("X_MATCHED_ROUTE", match.based_route);
  env.set("X_BASE_PATH", "/");
  env.set("X_RAW_COMPONENT_ROUTE", match.raw_route);
  env.set("X_COMPONENT_ROUTE", match.raw_route_or_prefix);
  env.set("X_CLIENT_ADDR", client_addr);
  for (const auto& [name, value] : match.params) {
    std::string key = "X_PATH_MATCH_";
    for (char c : name) key += to_upper(c);
    env.set(std::move(key), value);
  }
  return env.take();
}

std::vector<std::string> argv(std::string_view argv_template, std::string_view path_and_query) {
  auto [path, query] = split_target(path_and_query);
  std::string args = replace_all(query.value_or(""), "&", " ");
  std::string line =
      replace_all(replace_all(argv_template, "${SCRIPT_NAME}", path), "${ARGS}", args);
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t space = line.find(' ', start);
    out.push_back(
        line.substr(start, space == std::string::npos ? std::string::npos : space - start));
    if (space == std::string::npos) break;
    start = space + 1;
  }
  return out;
}

Result<WagiResponse> parse_output(std::string_view stdout_bytes, std::string_view component_id) {
  if (stdout_bytes.empty()) {
    return fail(
        "The \"{}\" component is configured to use the WAGI executor but did not write to "
        "stdout. Check the `executor` in spin.toml.",
        component_id);
  }

  // Header bytes (CRs dropped) up to the first "\n\n"; the rest is the body. Without an empty
  // line everything (CRs dropped) is the body and there are no headers.
  std::string header_bytes;
  std::string body;
  bool in_headers = true;
  char last = 0;
  size_t i = 0;
  for (; i < stdout_bytes.size() && in_headers; ++i) {
    char c = stdout_bytes[i];
    if (c == '\r') continue;
    if (c == '\n' && last == '\n') {
      in_headers = false;
      header_bytes = std::move(body);
      body.clear();
      continue;
    }
    last = c;
    body += c;
  }
  body.append(stdout_bytes.substr(i));

  if (size_t bad = first_invalid_utf8(header_bytes); bad != std::string::npos) {
    return fail("WAGI output headers of \"{}\" are not valid UTF-8 (byte {})", component_id, bad);
  }

  // parse_cgi_headers: a map, so a repeated name keeps its last value.
  std::vector<std::pair<std::string, std::string>> fields;
  std::map<std::string, size_t, std::less<>> field_index;
  std::string_view all = trim_unicode(header_bytes);
  WagiResponse res;
  size_t start = 0;
  while (true) {
    size_t nl = all.find('\n', start);
    std::string_view line = all.substr(start, nl == std::string_view::npos ? nl : nl - start);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      res.log.push_back(fmt::format("corrupt header: {}", line));
    } else {
      std::string key(trim_unicode(line.substr(0, colon)));
      std::string value(trim_unicode(line.substr(colon + 1)));
      auto [it, inserted] = field_index.emplace(key, fields.size());
      if (inserted) {
        fields.emplace_back(std::move(key), std::move(value));
      } else {
        fields[it->second].second = std::move(value);
      }
    }
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }

  auto set_header = [&](std::string name, std::string value) {
    for (auto& [n, v] : res.headers) {
      if (n == name) {
        v = std::move(value);
        return;
      }
    }
    res.headers.emplace_back(std::move(name), std::move(value));
  };
  auto check_value = [&](const std::string& name, const std::string& value) -> Status {
    if (is_valid_header_value(value)) return {};
    return fail("WAGI output of \"{}\": header {}: failed to parse header value", component_id,
                name);
  };

  bool sufficient = false;
  bool explicit_status = false;
  for (const auto& [name, value] : fields) {
    std::string lower = ascii_lower(name);
    if (lower == "content-type") {
      sufficient = true;
      LEPTON_CHECK(check_value(name, value));
      set_header("content-type", value);
    } else if (lower == "status") {
      sufficient = true;
      explicit_status = true;
      std::string_view code = value;
      if (size_t sp = code.find(' '); sp != std::string_view::npos) code = code.substr(0, sp);
      bool valid = code.size() == 3 && code[0] >= '1' && code[0] <= '9' && code[1] >= '0' &&
                   code[1] <= '9' && code[2] >= '0' && code[2] <= '9';
      if (valid) {
        res.status =
            static_cast<uint16_t>((code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0'));
      } else {
        res.log.push_back(fmt::format("Failed to parse code: {}", code));
        res.status = 502;
      }
    } else if (lower == "location") {
      sufficient = true;
      LEPTON_CHECK(check_value(name, value));
      set_header("location", value);
      if (!explicit_status) res.status = 302;
    } else if (is_valid_lowercase_header_name(lower)) {
      LEPTON_CHECK(check_value(name, value));
      set_header(lower, value);
    } else {
      res.log.push_back(fmt::format("Invalid header name: {}", name));
    }
  }
  if (!sufficient) {
    WagiResponse error;
    error.status = 500;
    error.body = std::string(kInsufficientResponse);
    error.log = std::move(res.log);
    error.log.push_back(fmt::format("HTTP 500 error: {}", kInsufficientResponse));
    return error;
  }
  res.body = std::move(body);
  return res;
}

}  // namespace lepton::executors::wagi
