#include "http/request_parser.h"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <limits>

namespace lepton::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace detail {

void apply_limits(BeastParser& parser, const Limits& limits) {
  parser.header_limit(static_cast<std::uint32_t>(
      std::min<size_t>(limits.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  parser.body_limit(static_cast<std::uint64_t>(limits.max_body_bytes));
}

void split_target(std::string_view target, std::string& path, std::string& query,
                  std::string& authority) {
  path.clear();
  query.clear();
  authority.clear();
  std::string_view rest = target;
  if (!rest.empty() && rest.front() != '/' && rest != "*") {
    // absolute-form ("http://host:port/path?q"), RFC 9112 3.2.2.
    size_t scheme_end = rest.find("://");
    size_t first_delim = rest.find_first_of("/?");
    if (scheme_end != std::string_view::npos &&
        (first_delim == std::string_view::npos || scheme_end < first_delim)) {
      rest.remove_prefix(scheme_end + 3);
      size_t auth_end = rest.find_first_of("/?");
      authority = std::string(rest.substr(0, auth_end));
      rest = auth_end == std::string_view::npos ? std::string_view() : rest.substr(auth_end);
      if (rest.empty() || rest.front() == '?') {
        path = "/";
      }
    }
    // Anything else (authority-form of CONNECT) stays whole in path.
  }
  size_t q = rest.find('?');
  path += std::string(rest.substr(0, q));
  if (q != std::string_view::npos) query = std::string(rest.substr(q + 1));
}

size_t field_count(const bhttp::fields& fields) {
  return static_cast<size_t>(std::distance(fields.begin(), fields.end()));
}

std::vector<Header> trailer_fields(const bhttp::fields& fields, size_t header_fields) {
  std::vector<Header> trailers;
  size_t index = 0;
  for (const auto& field : fields) {
    if (index++ < header_fields) continue;
    std::string name(field.name_string());
    lowercase_ascii(name);
    trailers.push_back(Header{std::move(name), std::string(field.value())});
  }
  return trailers;
}

Request to_request_head(const BeastRequest& message, const ConnectionInfo& info,
                        size_t header_fields) {
  Request r;
  r.method = std::string(message.method_string());
  r.target = std::string(message.target());
  std::string authority;
  split_target(r.target, r.path, r.query, authority);
  r.headers.reserve(std::min(header_fields, field_count(message)));
  size_t index = 0;
  for (const auto& field : message) {
    std::string name(field.name_string());
    lowercase_ascii(name);
    auto& list = index++ < header_fields ? r.headers : r.trailers;
    list.push_back(Header{std::move(name), std::string(field.value())});
  }
  if (auto host = r.header("host"); host && !host->empty()) {
    r.host = std::string(*host);
  } else if (!authority.empty()) {
    r.host = std::move(authority);
  } else {
    r.host = std::string(info.default_host);
  }
  r.client_addr = std::string(info.client_addr);
  r.local_addr = std::string(info.local_addr);
  r.scheme = std::string(info.scheme);
  return r;
}

Request to_request(BeastRequest&& message, const ConnectionInfo& info, size_t header_fields) {
  Request r = to_request_head(message, info, header_fields);
  r.body = std::move(message.body());
  return r;
}

bool is_parse_error(const beast::error_code& ec) {
  static const auto& category = bhttp::make_error_code(bhttp::error::bad_method).category();
  if (ec.category() != category) return false;
  // Running out of input is not malformed input.
  return ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message &&
         ec != bhttp::error::need_more && ec != bhttp::error::need_buffer;
}

uint16_t error_status(const beast::error_code& ec) {
  if (ec == bhttp::error::header_limit) return 431;
  if (ec == bhttp::error::body_limit) return 413;
  if (ec == bhttp::error::bad_version) return 505;  // as hyper answers "HTTP/2.0" or "HTTP/x"
  return 400;
}

std::string describe_error(const beast::error_code& ec, const Limits& limits) {
  if (ec == bhttp::error::header_limit) {
    return fmt::format("request header exceeds {} bytes", limits.max_header_bytes);
  }
  if (ec == bhttp::error::body_limit) {
    return fmt::format("request body exceeds {} bytes", limits.max_body_bytes);
  }
  if (ec == bhttp::error::partial_message || ec == bhttp::error::need_more ||
      ec == bhttp::error::end_of_stream) {
    return "incomplete request";
  }
  if (ec == bhttp::error::bad_version) return "unsupported HTTP version";
  return fmt::format("malformed request: {}", ec.message());
}

}  // namespace detail

Result<Request> parse_request(std::string_view bytes, const Limits& limits) {
  detail::BeastParser parser;
  detail::apply_limits(parser, limits);
  beast::error_code ec;
  // The header first (to know where trailer fields would start), then, eagerly, the body as far
  // as the bytes go. need_more then means the request is incomplete (Beast must not be given the
  // same bytes again).
  size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec && ec != bhttp::error::need_more) return Error{detail::describe_error(ec, limits)};
  size_t header_fields = detail::kAllFields;
  if (!ec && parser.is_header_done()) {
    header_fields = detail::field_count(parser.get());
    parser.eager(true);
    bytes.remove_prefix(used);
    if (!parser.is_done()) parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    if (ec && ec != bhttp::error::need_more) return Error{detail::describe_error(ec, limits)};
  }
  if (!parser.is_done()) {
    if (!parser.got_some()) return Error{"incomplete request"};
    ec = {};
    parser.put_eof(ec);  // completes only a message that needs no more bytes
    if (ec || !parser.is_done()) return Error{"incomplete request"};
  }
  if (!detail::supported_version(parser.get().version())) {
    return fail("unsupported HTTP version {}.{}", parser.get().version() / 10,
                parser.get().version() % 10);
  }
  return detail::to_request(parser.release(), detail::ConnectionInfo{}, header_fields);
}

}  // namespace lepton::http
