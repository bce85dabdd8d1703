#include "http/spin_headers.h"

#include <fmt/format.h>

namespace lepton::http {

void append_spin_headers(const RouteMatch& match, const SpinRequestFacts& facts,
                         std::vector<Header>& out) {
  out.reserve(out.size() + 7 + match.params.size());
  std::string_view host = facts.host.value_or("localhost");
  auto add = [&out](std::string_view name, std::string_view value) -> std::string& {
    Header& h = out.emplace_back();
    h.name = name;
    h.value = value;
    return h.value;
  };
  add("spin-path-info", match.path_info);
  std::string& full_url = add("spin-full-url", {});
  full_url.reserve(facts.scheme.size() + 3 + host.size() + facts.path_and_query.size());
  full_url.append(facts.scheme).append("://").append(host).append(facts.path_and_query);
  add("spin-matched-route", match.based_route);
  add("spin-base-path", "/");
  add("spin-raw-component-route", match.raw_route);
  add("spin-component-route", match.raw_route_or_prefix);
  add("spin-client-addr", facts.client_addr);
  for (const auto& [name, value] : match.params) {
    // SPIN_PATH_MATCH_<NAME> through Spin's key conversion: '_' -> '-', lowercase.
    constexpr std::string_view kPrefix = "spin-path-match-";
    std::string key;
    key.reserve(kPrefix.size() + name.size());
    key += kPrefix;
    for (char c : name) {
      if (c == '_') {
        key += '-';
      } else if (c >= 'A' && c <= 'Z') {
        key += static_cast<char>(c - 'A' + 'a');
      } else {
        key += c;
      }
    }
    out.push_back({std::move(key), std::string(value)});
  }
}

std::vector<std::pair<std::string, std::string>> spin_headers(const RouteMatch& match,
                                                              const SpinRequestFacts& facts) {
  std::vector<Header> headers;
  append_spin_headers(match, facts, headers);
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(headers.size());
  for (auto& h : headers) out.emplace_back(std::move(h.name), std::move(h.value));
  return out;
}

std::string format_socket_addr(std::string_view ip, uint16_t port) {
  if (ip.find(':') != std::string_view::npos) return fmt::format("[{}]:{}", ip, port);
  return fmt::format("{}:{}", ip, port);
}

}  // namespace lepton::http
