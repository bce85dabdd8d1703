#include "redis/client.h"

#include <algorithm>
#include <charconv>

#include "redis/connection.h"

namespace lepton::redis {

namespace {

// The sooner of now + `limit` and `deadline`.
Client::Clock::time_point until(std::chrono::seconds limit,
                                std::optional<Client::Clock::time_point> deadline) {
  auto t = Client::Clock::now() + limit;
  return deadline ? std::min(t, *deadline) : t;
}

}  // namespace

Result<Address> parse_address(std::string_view url) {
  Address a;
  size_t colon = url.find("://");
  if (colon == std::string_view::npos) return fail("not a redis:// URL: \"{}\"", url);
  a.scheme = std::string(url.substr(0, colon));
  if (a.scheme != "redis" && a.scheme != "rediss")
    return fail("unsupported scheme \"{}\" (expected redis or rediss)", a.scheme);
  std::string_view rest = url.substr(colon + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  std::string_view path = rest.substr(authority.size());
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    size_t sep = userinfo.find(':');
    a.user = std::string(userinfo.substr(0, sep));
    if (sep != std::string_view::npos) a.password = std::string(userinfo.substr(sep + 1));
  }
  std::string_view port;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return fail("bad IPv6 host in \"{}\"", url);
    a.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (after.starts_with(':'))
      port = after.substr(1);
    else if (!after.empty())
      return fail("bad host in \"{}\"", url);
  } else {
    size_t sep = authority.rfind(':');
    a.host = std::string(authority.substr(0, sep));
    if (sep != std::string_view::npos) port = authority.substr(sep + 1);
  }
  if (a.host.empty()) return fail("no host in \"{}\"", url);
  if (!port.empty()) {
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p == 0 || p > 65535)
      return fail("bad port in \"{}\"", url);
    a.port = static_cast<uint16_t>(p);
  }
  path = path.substr(0, path.find_first_of("?#"));
  if (path.size() > 1) {
    std::string_view db = path.substr(1);
    auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), a.db);
    if (ec != std::errc() || end != db.data() + db.size() || a.db < 0)
      return fail("bad database number in \"{}\"", url);
  }
  return a;
}

Client::Client(std::unique_ptr<Connection> connection, std::optional<Clock::time_point> deadline)
    : connection_(std::move(connection)), deadline_(deadline) {}

Result<std::unique_ptr<Client>> Client::connect(const Address& address,
                                                std::optional<Clock::time_point> deadline,
                                                std::string_view component_id) {
  // [outbound_networking] block_networks applies (Connection resolves with resolve_allowed).
  Connection::Options options;
  options.component_id = std::string(component_id);
  LEPTON_TRY(auto connection, Connection::open(address, options, until(kConnectTimeout, deadline)));
  auto client = std::unique_ptr<Client>(new Client(std::move(connection), deadline));
  auto check = [](Result<Reply> r) -> Status {
    if (!r) return std::move(r).error();
    if (r->kind == Reply::Kind::kError) return Error{r->text};
    return {};
  };
  if (!address.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!address.user.empty()) auth.push_back(address.user);
    auth.push_back(address.password);
    LEPTON_CHECK(check(client->command(auth)));
  }
  if (address.db != 0) LEPTON_CHECK(check(client->command({"SELECT", std::to_string(address.db)})));
  return client;
}

Client::~Client() = default;

Result<Reply> Client::command(const std::vector<std::string>& argv) {
  if (broken_) return fail("the connection to {} failed earlier", connection_->where());
  auto deadline = until(kCommandTimeout, deadline_);
  Status sent = connection_->send({argv}, deadline);
  if (!sent) {
    broken_ = true;
    return std::move(sent).error();
  }
  auto reply = connection_->receive(deadline);
  if (!reply) broken_ = true;
  return reply;
}

}  // namespace lepton::redis
