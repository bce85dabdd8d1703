#include "app/allowed_hosts.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lepton::app {
namespace {

AllowedHosts parse_ok(const std::vector<std::string>& entries) {
  auto parsed = AllowedHosts::parse(entries);
  EXPECT_TRUE(parsed.ok()) << parsed.error().message;
  return parsed.ok() ? std::move(parsed).value() : AllowedHosts{};
}

std::string parse_error(const std::string& entry) {
  auto parsed = AllowedHosts::parse({entry});
  EXPECT_FALSE(parsed.ok()) << entry << " should have been rejected";
  return parsed.ok() ? "" : parsed.error().message;
}

TEST(AllowedHostsTest, EmptyAllowsNothing) {
  AllowedHosts hosts = parse_ok({});
  EXPECT_TRUE(hosts.empty());
  EXPECT_FALSE(hosts.allows("https", "example.com", 443));
  EXPECT_FALSE(hosts.allows_self());
}

TEST(AllowedHostsTest, LiteralHostDefaultPort) {
  AllowedHosts hosts = parse_ok({"http://spin.fermyon.dev", "https://api.example.com/"});
  EXPECT_FALSE(hosts.empty());
  EXPECT_TRUE(hosts.allows("http", "spin.fermyon.dev", 80));
  EXPECT_TRUE(hosts.allows("http", "spin.fermyon.dev", 0));  // no port: scheme default
  EXPECT_TRUE(hosts.allows("http", "SPIN.Fermyon.dev", 80));
  EXPECT_FALSE(hosts.allows("http", "spin.fermyon.dev", 8080));
  EXPECT_FALSE(hosts.allows("https", "spin.fermyon.dev", 443));
  EXPECT_TRUE(hosts.allows("https", "api.example.com", 443));
  EXPECT_FALSE(hosts.allows("https", "sub.api.example.com", 443));
}

TEST(AllowedHostsTest, ExplicitPortsAndRanges) {
  AllowedHosts hosts = parse_ok({"http://example.com:8383", "*://spin.fermyon.dev:443",
                                 "redis://db:4444..5555", "mysql://any:*"});
  EXPECT_TRUE(hosts.allows("http", "example.com", 8383));
  EXPECT_FALSE(hosts.allows("http", "example.com", 80));
  EXPECT_FALSE(hosts.allows("http", "example.com", 0));
  EXPECT_TRUE(hosts.allows("https", "spin.fermyon.dev", 443));
  EXPECT_TRUE(hosts.allows("https", "spin.fermyon.dev", 0));
  EXPECT_TRUE(hosts.allows("tcp", "spin.fermyon.dev", 443));
  EXPECT_FALSE(hosts.allows("tcp", "spin.fermyon.dev", 0));  // tcp has no default port
  // Ranges are Rust ranges: the end is exclusive.
  EXPECT_TRUE(hosts.allows("redis", "db", 4444));
  EXPECT_TRUE(hosts.allows("redis", "db", 5554));
  EXPECT_FALSE(hosts.allows("redis", "db", 5555));
  EXPECT_FALSE(hosts.allows("redis", "db", 4443));
  EXPECT_TRUE(hosts.allows("mysql", "any", 1));
  EXPECT_TRUE(hosts.allows("mysql", "any", 65535));
  EXPECT_FALSE(hosts.allows("postgres", "any", 5432));
}

TEST(AllowedHostsTest, WellKnownPorts) {
  AllowedHosts hosts =
      parse_ok({"redis://r", "mysql://m", "postgres://p", "mqtt://q", "https://s", "http://h"});
  EXPECT_TRUE(hosts.allows("redis", "r", 6379));
  EXPECT_TRUE(hosts.allows("mysql", "m", 3306));
  EXPECT_TRUE(hosts.allows("postgres", "p", 5432));
  EXPECT_TRUE(hosts.allows("mqtt", "q", 1883));
  EXPECT_TRUE(hosts.allows("https", "s", 443));
  EXPECT_TRUE(hosts.allows("http", "h", 80));
  EXPECT_NE(
      parse_error("tcp://example.com")
          .find("no port was provided and the scheme \"tcp\" does not have a known default port "
                "number"),
      std::string::npos);
  EXPECT_FALSE(AllowedHosts::parse({"*://example.com"}).ok());
}

TEST(AllowedHostsTest, Wildcards) {
  AllowedHosts all = parse_ok({"*://*:*"});
  EXPECT_TRUE(all.allows("https", "anything.example", 1));
  EXPECT_TRUE(all.allows("tcp", "10.0.0.1", 5));
  EXPECT_TRUE(all.allows_self());
  EXPECT_TRUE(all.allows_service_chaining("backend"));

  AllowedHosts sub = parse_ok({"http://*.example.com", "http://*.example2.com:8383"});
  EXPECT_TRUE(sub.allows_url("http://a.example.com/foo/bar"));
  EXPECT_TRUE(sub.allows_url("http://a.b.example.com/foo/bar"));
  EXPECT_TRUE(sub.allows_url("http://a.b.example2.com:8383/foo/bar"));
  EXPECT_FALSE(sub.allows_url("http://a.b.example2.com/foo/bar"));
  EXPECT_FALSE(sub.allows_url("http://example.com/foo/bar"));
  EXPECT_FALSE(sub.allows_url("http://example.com:8383/foo/bar"));
  EXPECT_FALSE(sub.allows_url("http://myexample.com/foo/bar"));
  EXPECT_FALSE(sub.allows("http", "10.0.0.1", 80));

  AllowedHosts upper = parse_ok({"http://*.Example.COM"});
  EXPECT_TRUE(upper.allows_url("http://foo.example.com"));
  EXPECT_FALSE(upper.allows_url("http://example.com"));

  AllowedHosts any_host = parse_ok({"https://*"});
  EXPECT_TRUE(any_host.allows("https", "x.y", 443));
  EXPECT_FALSE(any_host.allows("https", "x.y", 8443));
}

TEST(AllowedHostsTest, Cidr) {
  AllowedHosts v4 = parse_ok({"*://127.0.0.1/24:63551", "tcp://10.0.0.0/8:*"});
  EXPECT_TRUE(v4.allows("tcp", "127.0.0.1", 63551));
  EXPECT_TRUE(v4.allows("tcp", "127.0.0.200", 63551));
  EXPECT_FALSE(v4.allows("tcp", "127.0.1.1", 63551));
  EXPECT_TRUE(v4.allows("tcp", "10.255.0.1", 9));
  EXPECT_FALSE(v4.allows("tcp", "11.0.0.1", 9));
  EXPECT_FALSE(v4.allows("tcp", "ten.example", 9));  // CIDR never matches a name
  EXPECT_TRUE(v4.allows_url("127.0.0.5:63551", "tcp"));

  AllowedHosts v6 = parse_ok({"http://2001:db8::/32", "*://ff00::/8:80"});
  EXPECT_TRUE(v6.allows_url("http://[2001:db8::1]"));
  EXPECT_TRUE(v6.allows_url("http://[2001:db8:abcd::1]/x"));
  EXPECT_FALSE(v6.allows_url("http://[2001:db9::1]"));
  EXPECT_TRUE(v6.allows("http", "2001:db8::5", 80));  // bare IPv6 accepted
  EXPECT_TRUE(v6.allows("udp", "[ff02::1]", 80));
  EXPECT_FALSE(v6.allows("udp", "[fe02::1]", 80));
  EXPECT_FALSE(v6.allows("http", "127.0.0.1", 80));

  AllowedHosts v6port = parse_ok({"http://2001:db8::/32:443"});
  EXPECT_TRUE(v6port.allows("http", "[2001:db8::1]", 443));
  EXPECT_FALSE(v6port.allows("http", "[2001:db8::1]", 80));

  EXPECT_FALSE(AllowedHosts::parse({"*://127.0.0.0/24"}).ok());  // '*' has no default port
}

TEST(AllowedHostsTest, IpLiterals) {
  AllowedHosts hosts = parse_ok({"http://192.168.1.1", "http://[::1]", "http://[::2]:8001"});
  EXPECT_TRUE(hosts.allows("http", "192.168.1.1", 80));
  EXPECT_TRUE(hosts.allows("http", "0xc0.168.1.1", 80));  // WHATWG IPv4 forms
  EXPECT_FALSE(hosts.allows("http", "192.168.1.2", 80));
  EXPECT_TRUE(hosts.allows_url("http://[::1]"));
  EXPECT_TRUE(hosts.allows_url("http://[::1]/some/path"));
  EXPECT_TRUE(hosts.allows_url("http://[::1]:80"));
  EXPECT_FALSE(hosts.allows_url("http://[::2]"));
  EXPECT_FALSE(hosts.allows_url("http://[::1]:81"));
  EXPECT_TRUE(hosts.allows_url("http://[0:0::2]:8001"));
}

TEST(AllowedHostsTest, SelfAndServiceChaining) {
  AllowedHosts self = parse_ok({"http://self"});
  EXPECT_TRUE(self.allows_self());
  EXPECT_FALSE(self.allows("http", "self", 80));  // self only means relative requests
  EXPECT_TRUE(parse_ok({"https://self.alt"}).allows_self());
  EXPECT_TRUE(parse_ok({"*://*:*"}).allows_self());
  EXPECT_FALSE(parse_ok({"redis://self"}).allows_self());
  EXPECT_FALSE(parse_ok({"https://example.com"}).allows_self());

  AllowedHosts one = parse_ok({"http://backend.spin.internal"});
  EXPECT_TRUE(one.allows_service_chaining("backend"));
  EXPECT_FALSE(one.allows_service_chaining("other"));
  EXPECT_TRUE(one.entries()[0].is_for_service_chaining());

  AllowedHosts wild = parse_ok({"http://*.spin.internal"});
  EXPECT_TRUE(wild.allows_service_chaining("anything"));
  EXPECT_TRUE(wild.entries()[0].is_for_service_chaining());

  auto expanded = AllowedHosts::parse(
      {"pg://localhost:5656", "http://*.spin.internal", "https://spinframework.dev"},
      {"first", "second", "third"});
  ASSERT_TRUE(expanded.ok());
  ASSERT_EQ(expanded->entries().size(), 5u);
  EXPECT_EQ(expanded->entries()[1].literal.domain, "first.spin.internal");
  EXPECT_EQ(expanded->entries()[3].literal.domain, "third.spin.internal");
  EXPECT_TRUE(expanded->allows_service_chaining("second"));
  EXPECT_FALSE(expanded->allows_service_chaining("fourth"));

  EXPECT_EQ(service_chaining_target("test.spin.internal"), "test");
  EXPECT_EQ(service_chaining_target("test.spin.internal:1234"), "test");
  EXPECT_EQ(service_chaining_target("test.example.org"), std::nullopt);
  EXPECT_EQ(service_chaining_target("a.b.spin.internal"), std::nullopt);
}

TEST(AllowedHostsTest, AllowsUrlLikeSpinCheckUrl) {
  AllowedHosts hosts =
      parse_ok({"*://spin.fermyon.dev:443", "http://example.com:8383", "mysql://xyz.com"});
  EXPECT_TRUE(hosts.allows_url("http://example.com:8383/foo/bar"));
  EXPECT_TRUE(hosts.allows_url("https://spin.fermyon.dev"));
  EXPECT_TRUE(hosts.allows_url("https://spin.fermyon.dev/"));
  EXPECT_FALSE(hosts.allows_url("http://example.com/"));
  EXPECT_FALSE(hosts.allows_url("http://google.com/"));
  EXPECT_TRUE(hosts.allows_url("spin.fermyon.dev:443", "https"));
  EXPECT_TRUE(hosts.allows_url("example.com:8383", "http"));
  EXPECT_TRUE(hosts.allows_url("mysql://user:pass#word@xyz.com", "mysql"));
  EXPECT_TRUE(hosts.allows_url("mysql://user%3Apass%23word@xyz.com", "mysql"));
  EXPECT_TRUE(hosts.allows_url("user%3Apass%23word@xyz.com", "mysql"));
  EXPECT_TRUE(hosts.allows_url("https://user:password@spin.fermyon.dev/file@0.1.0.json"));
  EXPECT_FALSE(hosts.allows_url("not a url at all"));
  EXPECT_FALSE(hosts.allows_url("http://example.com:99999/"));
}

TEST(AllowedHostsTest, RejectsBadEntries) {
  for (const char* bad : {
           "http://example.com:notaport",
           "http://example.com:8080..70000",
           "http://self:notaport",
           "http://self.alt:notaport",
           "http://*:notaport",
           "http://127.0.0.1:notaport",
           "http://[::1]:notaport",
           "http://*.example.com:notaport",
           "http://*.example.com:8080..",
           "http://*.example.com:8O8O",
           "http://example.com:8080/p",
           "http://*.example.com:8080/p",
           "http://*.example.com/p",
           "http://127.0.0.0/24/p",
           "http://[::1junk",
           "http://*.",
           "http://*.:8080",
           "example.com:8080",
           "http://example%.com",
           "http://example%2.com",
           "http://example%GG.com",
           "http://exa[mple.com",
           "http://exa\\mple.com",
           "http://example.com:80:90",
           "http://[vG.example]",
           "http://[::1]/foo",
           "http://ff00::/8/extra",
           "http://[::1",
           "http://[::1]junk",
           "http://[::1]::80",
           "http://[v1.]",
           "[::1]",
           "[::1]:8080",
           "http://example.com//",
           "http://*.example.com//",
           "http://self//",
           "http://[::1]//",
           "http://*.127.0.0.1",
           "http://*.192.168.001.001",
           "http://*.[::1]",
           "http://*.[2001:db8::1]",
           "spin.fermyon.dev",
           "spin.fermyon.dev:80",
           "localhost",
           "http://spin.fermyon.dev/a",
           "http://spin.fermyon.dev:6666/a/b",
           "http://*.fermyon.dev/a",
           "ht1p://example.com",
           "http://exa*mple.com",
           "http://*.*.example.com",
           "{http,https}://example.com",
       }) {
    EXPECT_FALSE(AllowedHosts::parse({bad}).ok()) << bad;
  }
}

TEST(AllowedHostsTest, ErrorMessagesNameEntryAndCause) {
  EXPECT_EQ(parse_error("http://example.com:99999"),
            "allowed_outbound_hosts entry \"http://example.com:99999\": Invalid allowed host port "
            "\"99999\": port \"99999\" is not a number");
  EXPECT_EQ(parse_error("http://*.example.com/p"),
            "allowed_outbound_hosts entry \"http://*.example.com/p\": Invalid allowed host "
            "\"*.example.com/p\": must not include a path");
  EXPECT_EQ(parse_error("http://example.com:8080/p"),
            "allowed_outbound_hosts entry \"http://example.com:8080/p\": \"http://example.com:"
            "8080/p\" has a path but is not allowed to");
  EXPECT_EQ(parse_error("ht1p://example.com:80"),
            "allowed_outbound_hosts entry \"ht1p://example.com:80\": Invalid allowed host scheme "
            "\"ht1p\": only alphabetic characters are allowed");
  EXPECT_NE(parse_error("example.com")
                .find("\"example.com\" does not contain a scheme (e.g., 'http://' or '*://')"),
            std::string::npos);
  EXPECT_NE(parse_error("*").find("\"*\" is not an allowed outbound host format."),
            std::string::npos);
  EXPECT_NE(parse_error("http://{{ host }}").find("unrendered template"), std::string::npos);
  EXPECT_EQ(parse_error("insecure:allow-all"),
            "'insecure:allow-all' is not allowed - use '*://*:*' instead if you really want to "
            "allow all outbound traffic'");
  EXPECT_FALSE(AllowedHosts::parse({"spin.fermyon.dev", "insecure:allow-all"}).ok());
}

TEST(AllowedHostsTest, AcceptedForms) {
  for (const char* good : {
           "http://spin.fermyon.dev",
           "http://spin.fermyon.dev/",
           "https://spin.fermyon.dev:5555",
           "http://spin.fermyon.dev:4444..5555",
           "*://spin.fermyon.dev:7777",
           "http://self",
           "http://self.alt",
           "http://localhost:3001",
           "http://*.example.com",
           "http://192.168.1.1:3002",
           "http://[::1]:8001",
           "http://[::1]",
           "http://[::1]:*",
           "http://[::1]:8000..9000",
           "*://[::1]:80",
           "http://[::1]:8080/",
           "*://127.0.0.0/24:80",
           "*://ff00::/8:80",
           "http://ff00::/8",
           "https://2001:db8::/32",
           "http://::1/128",
           "http://10.0.0.0/8",
           "  https://padded.example  ",
           "http://example.com:",
       }) {
    auto parsed = AllowedHosts::parse({good});
    EXPECT_TRUE(parsed.ok()) << good << ": " << (parsed.ok() ? "" : parsed.error().message);
  }
  EXPECT_TRUE(is_skippable_rendered_entry(""));
  EXPECT_TRUE(is_skippable_rendered_entry("https://"));
  EXPECT_FALSE(is_skippable_rendered_entry("https://x"));
}

TEST(AllowedHostsTest, ConvertLegacyAllowedHttpHosts) {
  auto converted =
      convert_allowed_http_hosts({"spin.fermyon.dev", "localhost:3001", "https://Example.com:5555/",
                                  "self", "[::1]", "http://192.168.1.1:80"},
                                 false);
  ASSERT_TRUE(converted.ok()) << converted.error().message;
  std::vector<std::string> expected = {"http://spin.fermyon.dev",
                                       "https://spin.fermyon.dev",
                                       "http://localhost:3001",
                                       "https://localhost:3001",
                                       "http://example.com:5555",
                                       "https://example.com:5555",
                                       "http://self",
                                       "http://[::1]",
                                       "https://[::1]",
                                       "http://192.168.1.1",
                                       "https://192.168.1.1"};
  EXPECT_EQ(*converted, expected);
  for (const std::string& entry : *converted) EXPECT_TRUE(AllowedHosts::parse({entry}).ok());

  auto all = convert_allowed_http_hosts({"spin.fermyon.dev", "insecure:allow-all"}, true);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, (std::vector<std::string>{"redis://*:*", "mysql://*:*", "postgres://*:*",
                                            "http://*:*", "https://*:*", "http://self"}));

  auto none = convert_allowed_http_hosts({}, false);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  auto bad = convert_allowed_http_hosts(
      {"http://spin.fermyon.dev/a", "ftp://spin.fermyon.dev", "good.example"}, false);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "One or more allowed_http_hosts entries was invalid:\n"
            "http://spin.fermyon.dev/a contains a path, should be host and optional port only\n"
            "ftp://spin.fermyon.dev isn't a valid host or host:port string");
}

}  // namespace
}  // namespace lepton::app
