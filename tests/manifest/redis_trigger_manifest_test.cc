// [[trigger.redis]] in v2 manifests and `trigger = { type = "redis" }` in v1: what the Redis
// trigger reads, and the errors (naming the file, line and field) for what it can't.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "manifest/manifest.h"

namespace lepton::manifest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::string_view kHead = R"(spin_manifest_version = 2
[application]
name = "t"
)";

Result<app::App> P(std::string_view text) { return parse(text, "/apps/r/spin.toml"); }
std::string V2(std::string_view body) { return std::string(kHead) + std::string(body); }
std::string Err(std::string_view text) {
  auto r = P(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? std::string() : r.error().message;
}

TEST(RedisTriggerManifest, DefaultAddressOwnAddressAndTemplates) {
  auto a = P(V2(R"(
[application.trigger.redis]
address = "redis://{{ host }}:6379"
[variables]
host = { default = "localhost" }
chan = { default = "b" }
[[trigger.redis]]
channel = "a"
component = "x"
[[trigger.redis]]
channel = "{{ chan }}"
address = "redis://other:1234"
component = "y"
[component.x]
source = "x.wasm"
[component.y]
source = "y.wasm"
)"));
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->redis_address, "redis://{{ host }}:6379");
  ASSERT_EQ(a->redis_triggers.size(), 2u);
  EXPECT_EQ(a->redis_triggers[0].channel, "a");
  EXPECT_EQ(a->redis_triggers[0].address, "");  // the application's default
  EXPECT_EQ(a->redis_triggers[0].component, "x");
  EXPECT_EQ(a->redis_triggers[1].channel, "{{ chan }}");
  EXPECT_EQ(a->redis_triggers[1].address, "redis://other:1234");
  EXPECT_THAT(a->http_triggers, ElementsAre());
}

TEST(RedisTriggerManifest, InlineComponent) {
  auto a = P(V2(R"(
[[trigger.redis]]
address = "redis://h"
channel = "c"
component = { source = "inline.wasm" }
)"));
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_EQ(a->redis_triggers.size(), 1u);
  EXPECT_TRUE(a->components.contains(a->redis_triggers[0].component));
}

TEST(RedisTriggerManifest, Errors) {
  // No channel.
  EXPECT_THAT(Err(V2(R"(
[[trigger.redis]]
address = "redis://h"
component = "c"
[component.c]
source = "c.wasm"
)")),
              HasSubstr("missing field 'channel' in [[trigger.redis]]"));
  // A channel that is not a string.
  EXPECT_THAT(Err(V2(R"(
[[trigger.redis]]
address = "redis://h"
channel = 7
component = "c"
[component.c]
source = "c.wasm"
)")),
              HasSubstr("/apps/r/spin.toml:7:11: invalid type for 'channel' in [[trigger.redis]]: "
                        "expected a string"));
  // No component.
  EXPECT_THAT(Err(V2(R"(
[[trigger.redis]]
address = "redis://h"
channel = "c"
)")),
              HasSubstr("missing field 'component'"));
  // A component that does not exist.
  EXPECT_THAT(Err(V2(R"(
[[trigger.redis]]
address = "redis://h"
channel = "c"
component = "nope"
)")),
              HasSubstr("missing component \"nope\""));
  // Templates over undeclared variables, in the channel and in either address.
  EXPECT_THAT(Err(V2(R"(
[[trigger.redis]]
address = "redis://h"
channel = "{{ undeclared }}"
component = "c"
[component.c]
source = "c.wasm"
)")),
              HasSubstr("Redis channel: template \"{{ undeclared }}\" references unknown "
                        "variable \"undeclared\""));
  EXPECT_THAT(Err(V2(R"(
[application.trigger.redis]
address = "redis://{{ nohost }}"
[[trigger.redis]]
channel = "c"
component = "c"
[component.c]
source = "c.wasm"
)")),
              HasSubstr("unknown variable \"nohost\""));
  // A misspelt field.
  EXPECT_THAT(Err(V2(R"(
[[trigger.redis]]
address = "redis://h"
chanel = "c"
component = "c"
[component.c]
source = "c.wasm"
)")),
              HasSubstr("unknown field 'chanel' in [[trigger.redis]] (did you mean 'channel'?)"));
  // Unknown field in the application-level table.
  EXPECT_THAT(Err(V2(R"(
[application.trigger.redis]
address = "redis://h"
channel = "c"
[[trigger.redis]]
channel = "c"
component = "c"
[component.c]
source = "c.wasm"
)")),
              HasSubstr("unknown field 'channel' in [application.trigger.redis]"));
}

TEST(RedisTriggerManifest, V1) {
  auto a = P(R"(spin_manifest_version = "1"
name = "x"
trigger = { type = "redis", address = "redis://localhost:6379" }
[[component]]
id = "a"
source = "a.wasm"
[component.trigger]
channel = "one"
[[component]]
id = "b"
source = "b.wasm"
[component.trigger]
channel = "two"
)");
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_EQ(a->redis_triggers.size(), 2u);
  EXPECT_EQ(a->redis_triggers[0].channel, "one");
  EXPECT_EQ(a->redis_triggers[1].channel, "two");
  EXPECT_EQ(a->redis_triggers[1].component, "b");
  EXPECT_EQ(a->redis_address, "redis://localhost:6379");

  EXPECT_THAT(Err(R"(spin_manifest_version = "1"
name = "x"
trigger = { type = "redis" }
[[component]]
id = "a"
source = "a.wasm"
[component.trigger]
channel = "one"
)"),
              HasSubstr("missing field 'address' in 'trigger'"));
  EXPECT_THAT(Err(R"(spin_manifest_version = "1"
name = "x"
trigger = { type = "redis", address = "redis://h" }
[[component]]
id = "a"
source = "a.wasm"
[component.trigger]
route = "/x"
)"),
              HasSubstr("[component.trigger] of 'a'"));
}

}  // namespace
}  // namespace lepton::manifest
