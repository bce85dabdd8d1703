#include "http/spin_headers.h"

#include <fmt/format.h>

namespace lepton::http {

std::vector<std::pair<std::string, std::string>> spin_headers(const RouteMatch& match,
                                                              const SpinRequestFacts& facts) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(7 + match.params.size());
  std::string_view host = facts.host.value_or("localhost");
  out.emplace_back("spin-path-info", match.path_info);
  out.emplace_back("spin-full-url",
                   fmt::format("{}://{}{}", facts.scheme, host, facts.path_and_query));
  out.emplace_back("spin-matched-route", match.based_route);
  out.emplace_back("spin-base-path", "/");
  out.emplace_back("spin-raw-component-route", match.raw_route);
  out.emplace_back("spin-component-route", match.raw_route_or_prefix);
  out.emplace_back("spin-client-addr", std::string(facts.client_addr));
  for (const auto& [name, value] : match.params) {
    // SPIN_PATH_MATCH_<NAME> through Spin's key conversion: '_' -> '-', lowercase.
    std::string key = "spin-path-match-";
    for (char c : name) {
      if (c == '_') {
        key += '-';
      } else if (c >= 'A' && c <= 'Z') {
        key += static_cast<char>(c - 'A' + 'a');
      } else {
        key += c;
      }
    }
    out.emplace_back(std::move(key), value);
  }
  return out;
}

std::string format_socket_addr(std::string_view ip, uint16_t port) {
  if (ip.find(':') != std::string_view::npos) return fmt::format("[{}]:{}", ip, port);
  return fmt::format("{}:{}", ip, port);
}

}  // namespace lepton::http
