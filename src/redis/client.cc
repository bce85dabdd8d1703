#include "redis/client.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <charconv>

#include "outbound/outbound.h"

namespace lepton::redis {

namespace {

// The smaller of `limit` and the time left before `deadline` (at least 1 ms, so that a passed
// deadline fails at once instead of meaning "no timeout").
timeval timeout(std::chrono::milliseconds limit,
                std::optional<Client::Clock::time_point> deadline) {
  if (deadline) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Client::Clock::now());
    limit = std::clamp(left, std::chrono::milliseconds(1), limit);
  }
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(limit.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((limit.count() % 1000) * 1000);
  return tv;
}

Reply convert(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_STATUS:
      out.kind = Reply::Kind::kStatus;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.kind = Reply::Kind::kError;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.kind = Reply::Kind::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.kind = Reply::Kind::kString;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.kind = Reply::Kind::kArray;
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default:
      out.kind = Reply::Kind::kNil;
      break;
  }
  return out;
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

Result<std::unique_ptr<Client>> Client::connect(const Address& address,
                                                std::optional<Clock::time_point> deadline) {
  // Debian 12's hiredis (0.14) is built without TLS support.
  if (address.scheme == "rediss")
    return fail("rediss:// (TLS) is not supported: lepton's hiredis has no TLS");
  // [outbound_networking] block_networks: resolve here, drop blocked addresses, and connect to
  // the first one left (hiredis would resolve the name itself).
  std::string host = address.host;
  if (!outbound::blocked_networks().empty()) {
    auto addresses = outbound::resolve_allowed(address.host, address.port);
    if (!addresses)
      return addresses.error().context(
          fmt::format("connecting to {}:{}", address.host, address.port));
    host = outbound::ip_text(reinterpret_cast<const sockaddr*>(&addresses->front()));
  }
  redisContext* c =
      redisConnectWithTimeout(host.c_str(), address.port, timeout(kConnectTimeout, deadline));
  if (c == nullptr) return fail("connecting to {}:{}: out of memory", address.host, address.port);
  if (c->err != 0) {
    Error e = fail("connecting to {}:{}: {}", address.host, address.port, c->errstr);
    redisFree(c);
    return e;
  }
  auto client = std::unique_ptr<Client>(new Client(c, deadline));
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

Client::~Client() { redisFree(context_); }

Result<Reply> Client::command(const std::vector<std::string>& argv) {
  if (context_->err != 0) return fail("connection failed earlier: {}", context_->errstr);
  redisSetTimeout(context_, timeout(kCommandTimeout, deadline_));
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (const auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(context_, static_cast<int>(args.size()), args.data(), lens.data()));
  if (reply == nullptr) return fail("{}", context_->errstr[0] ? context_->errstr : "no reply");
  Reply out = convert(reply);
  freeReplyObject(reply);
  return out;
}

}  // namespace lepton::redis
