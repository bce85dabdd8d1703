#include "manifest/manifest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace lepton::manifest {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::StartsWith;

const fs::path kData = LEPTON_TEST_DATA;

constexpr std::string_view kHead = R"(spin_manifest_version = 2
[application]
name = "t"
)";

Result<app::App> P(std::string_view text) { return parse(text, "spin.toml"); }

std::string Err(std::string_view text) {
  auto r = P(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? std::string() : r.error().message;
}

std::string V2(std::string_view body) { return std::string(kHead) + std::string(body); }

// ---- v2 -----------------------------------------------------------------------------------------

TEST(ManifestV2, FullExample) {
  auto loaded = load(kData / "v2-full", Options{});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const app::App& a = *loaded;
  EXPECT_EQ(a.manifest_version, 2);
  EXPECT_EQ(a.name, "full");
  EXPECT_EQ(a.version, "1.2.3");
  EXPECT_EQ(a.description, "Everything at once");
  EXPECT_THAT(a.authors, ElementsAre("alice@example.com", "bob@example.com"));
  EXPECT_EQ(a.manifest_path, kData / "v2-full" / "spin.toml");
  EXPECT_EQ(a.dir, kData / "v2-full");
  EXPECT_EQ(a.http_base, "/");
  EXPECT_EQ(a.redis_address, "redis://{{ redis_host }}:6379");

  ASSERT_EQ(a.variables.size(), 3u);
  EXPECT_EQ(a.variables.at("api_host").default_value, "api.example.com");
  EXPECT_EQ(a.variables.at("api_host").description, "where the API lives");
  EXPECT_TRUE(a.variables.at("api_key").required);
  EXPECT_TRUE(a.variables.at("api_key").secret);
  EXPECT_FALSE(a.variables.at("api_key").default_value);

  // Components, including the inline one named after its generated trigger id.
  ASSERT_EQ(a.components.size(), 5u);
  EXPECT_TRUE(a.components.contains("http-trigger1-component"));
  const app::Component& api = a.components.at("api");
  EXPECT_EQ(api.id, "api");
  EXPECT_EQ(api.source, kData / "v2-full" / "target" / "api.wasm");
  EXPECT_EQ(api.description, "The API");
  EXPECT_THAT(api.allowed_outbound_hosts, ElementsAre("https://{{ api_host }}", "redis://*:6379"));
  EXPECT_THAT(api.key_value_stores, ElementsAre("default", "user-data"));
  EXPECT_THAT(api.sqlite_databases, ElementsAre("default", "analytics_db"));
  EXPECT_THAT(api.ai_models, ElementsAre("llama2-chat"));
  EXPECT_THAT(api.environment, ElementsAre(Pair("MODE", "prod"), Pair("RUST_LOG", "info")));
  EXPECT_THAT(api.variables, ElementsAre(Pair("api_url", "https://{{ api_host }}/v1"),
                                         Pair("key", "{{ api_key }}"), Pair("plain", "literal")));
  ASSERT_TRUE(api.build);
  EXPECT_THAT(api.build->commands,
              ElementsAre("cargo build --release", "wasm-opt -O target/api.wasm"));
  EXPECT_EQ(api.build->command, "cargo build --release && wasm-opt -O target/api.wasm");
  EXPECT_EQ(api.build->workdir, "api");
  EXPECT_THAT(api.build->watch, ElementsAre("src/**/*.rs", "Cargo.toml"));

  // files = ["assets/*.txt", { source = "static", destination = "/www" }] minus assets/secret*
  std::vector<std::pair<std::string, fs::path>> files;
  for (const auto& f : api.files) files.emplace_back(f.guest_path, f.host_path);
  const fs::path d = kData / "v2-full";
  EXPECT_THAT(files, ElementsAre(Pair("/assets/a.txt", d / "assets/a.txt"),
                                 Pair("/assets/b.txt", d / "assets/b.txt"),
                                 Pair("/www/css/site.css", d / "static/css/site.css"),
                                 Pair("/www/index.html", d / "static/index.html")));

  // Dependencies, with the component reference replaced by its source.
  ASSERT_EQ(api.dependencies.size(), 4u);
  const auto& abc = api.dependencies.at("a:b/c");
  EXPECT_EQ(abc.kind, app::ComponentDependency::Kind::kRegistry);
  EXPECT_EQ(abc.registry, "my-registry.com");
  EXPECT_EQ(abc.package, "a:b");
  EXPECT_EQ(abc.version, "^1.2.3");
  EXPECT_EQ(abc.export_name, "foo");
  EXPECT_TRUE(abc.inherit_all);  // dependencies_inherit_configuration = true
  const auto& baz = api.dependencies.at("foo:bar/baz@0.1.0");
  EXPECT_EQ(baz.kind, app::ComponentDependency::Kind::kLocal);
  EXPECT_EQ(baz.path, d / "deps/baz.wasm");
  const auto& fizz = api.dependencies.at("fizz:buzz");
  EXPECT_EQ(fizz.kind, app::ComponentDependency::Kind::kRegistry);
  EXPECT_EQ(fizz.package, "fizz:buzz");
  EXPECT_EQ(fizz.version, ">=0.1.0");
  const auto& helper = api.dependencies.at("helper:lib");
  EXPECT_EQ(helper.kind, app::ComponentDependency::Kind::kLocal);
  EXPECT_EQ(helper.path, d / "helper.wasm");

  const app::Component& legacy = a.components.at("legacy");
  EXPECT_TRUE(legacy.source.empty());
  EXPECT_EQ(legacy.source_url, "https://example.com/legacy.wasm");
  EXPECT_THAT(*legacy.source_digest, StartsWith("sha256:0000"));
  const app::Component& worker = a.components.at("worker");
  ASSERT_TRUE(worker.source_registry);
  EXPECT_EQ(worker.source_registry->registry, "ttl.sh");
  EXPECT_EQ(worker.source_registry->package, "acme:worker");
  EXPECT_EQ(worker.source_registry->version, "1.0.0");
  EXPECT_EQ(worker.build->command, "make");

  const app::Component& inline_c = a.components.at("http-trigger1-component");
  EXPECT_EQ(inline_c.source, d / "fileserver.wasm");
  EXPECT_EQ(inline_c.files.size(), 2u);
  EXPECT_EQ(inline_c.files[0].guest_path, "/css/site.css");

  // HTTP triggers in manifest order.
  ASSERT_EQ(a.http_triggers.size(), 5u);
  EXPECT_EQ(a.http_triggers[0].id, "api-http-trigger");
  EXPECT_EQ(a.http_triggers[0].route, "/api/...");
  EXPECT_EQ(a.http_triggers[0].component, "api");
  EXPECT_FALSE(a.http_triggers[0].is_private);
  EXPECT_EQ(a.http_triggers[1].id, "internal");
  EXPECT_TRUE(a.http_triggers[1].is_private);
  EXPECT_EQ(a.http_triggers[2].id, "http-trigger1");
  EXPECT_EQ(a.http_triggers[2].component, "http-trigger1-component");
  ASSERT_TRUE(a.http_triggers[3].wagi);
  EXPECT_EQ(a.http_triggers[3].wagi->argv, "${SCRIPT_NAME} -x");
  EXPECT_EQ(a.http_triggers[3].wagi->entrypoint, "_start");
  const auto& health = a.http_triggers[4];
  EXPECT_EQ(health.id, "http-trigger2");
  EXPECT_TRUE(health.component.empty());
  ASSERT_TRUE(health.static_response);
  EXPECT_EQ(health.static_response->status_code, 204);
  EXPECT_THAT(health.static_response->headers, ElementsAre(Pair("x-b", "2"), Pair("x-a", "1")));
  EXPECT_EQ(health.static_response->body, "ok");

  ASSERT_EQ(a.redis_triggers.size(), 2u);
  EXPECT_EQ(a.redis_triggers[0].id, "worker-redis-trigger");
  EXPECT_EQ(a.redis_triggers[0].channel, "messages");
  EXPECT_EQ(a.redis_triggers[0].address, "");
  EXPECT_EQ(a.redis_triggers[1].id, "redis-trigger1");
  EXPECT_EQ(a.redis_triggers[1].address, "redis://other:6379");

  ASSERT_EQ(a.other_triggers.size(), 1u);
  EXPECT_EQ(a.other_triggers[0].type, "cron");
  EXPECT_EQ(a.other_triggers[0].component, "worker");
}

TEST(ManifestV2, LoadChecksLocalSources) {
  auto r = load(kData / "v2-full");  // the .wasm files are not in the repository
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("component 'api': Wasm source \"target/api.wasm\" does "
                                           "not exist"));
  EXPECT_THAT(r.error().message, HasSubstr("spin.toml:57:10: "));
}

TEST(ManifestV2, LoadFileOrDirectory) {
  testing::TempDir dir;
  dir.write("spin.toml", V2(R"([[trigger.http]]
route = "/"
component = "a"
[component.a]
source = "a.wasm"
)"));
  EXPECT_FALSE(load(dir.path()).ok());
  dir.write("a.wasm", "\0asm");
  auto a = load(dir.path());
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->components.at("a").source, dir.path() / "a.wasm");
  ASSERT_TRUE(load(dir.path() / "spin.toml").ok());

  auto missing = load(dir.path() / "nope.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message, HasSubstr("No such file or directory"));
  fs::create_directories(dir.path() / "empty");
  auto empty = load(dir.path() / "empty");
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.error().message, HasSubstr("does not contain a file named 'spin.toml'"));

  Options no_check;
  no_check.check_sources = false;
  fs::remove(dir.path() / "a.wasm");
  EXPECT_TRUE(load(dir.path(), no_check).ok());
}

TEST(ManifestV2, FindManifest) {
  testing::TempDir dir;
  dir.write("app/spin.toml", "");
  dir.write("app/sub/deeper/file", "");
  dir.write("app/other.toml", "");
  EXPECT_EQ(find_manifest(dir.path() / "app"), dir.path() / "app" / "spin.toml");
  EXPECT_EQ(find_manifest(dir.path() / "app" / "other.toml"), dir.path() / "app" / "other.toml");
  EXPECT_EQ(fs::canonical(find_manifest(dir.path() / "app" / "sub")),
            dir.path() / "app" / "spin.toml");

  auto found = find_default_manifest(dir.path() / "app" / "sub" / "deeper");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(fs::canonical(*found), dir.path() / "app" / "spin.toml");
  found = find_default_manifest(dir.path() / "app");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(fs::canonical(*found), dir.path() / "app" / "spin.toml");

  // The search stops at a Git root.
  dir.write("app/repo/.git/HEAD", "");
  dir.write("app/repo/inner/x", "");
  found = find_default_manifest(dir.path() / "app" / "repo" / "inner");
  ASSERT_FALSE(found.ok());
  EXPECT_THAT(found.error().message, HasSubstr("\"spin.toml\" not found"));
  EXPECT_TRUE(find_manifest(dir.path() / "app" / "repo" / "inner").empty());
}

TEST(ManifestV2, MinimalWithInlineComponent) {
  auto a = P(V2(R"(
[[trigger.example]]
component = { source = "example.wasm" }
)"));
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_EQ(a->other_triggers.size(), 1u);
  EXPECT_EQ(a->other_triggers[0].id, "example-trigger1");
  EXPECT_EQ(a->other_triggers[0].component, "example-trigger1-component");
  EXPECT_EQ(a->components.at("example-trigger1-component").source,
            (fs::current_path() / "example.wasm").lexically_normal());
}

TEST(ManifestV2, NormalizationMatchesSpin) {
  // Spin's crates/manifest/tests/ui/normalization.toml and its expected ids.
  auto a = P(V2(R"(
[[trigger.http]]
route = "/a"
component = "hello"

[[trigger.http]]
route = "/b"
id = "admin-handler"
component = { source = "admin.wasm" }

[[trigger.http]]
route = "/c"
component = { source = "other.wasm" }

[[trigger.example]]
components.hello = "hello"
components.inline1 = { source = "inline1.wasm" }
components.inline2 = { source = "inline2.wasm" }

[component.hello]
source = "hello.wasm"
)"));
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_EQ(a->http_triggers.size(), 3u);
  EXPECT_EQ(a->http_triggers[0].id, "hello-http-trigger");
  EXPECT_EQ(a->http_triggers[1].id, "admin-handler");
  EXPECT_EQ(a->http_triggers[1].component, "admin-handler-component");
  EXPECT_EQ(a->http_triggers[2].id, "http-trigger1");
  EXPECT_EQ(a->http_triggers[2].component, "http-trigger1-component");
  ASSERT_EQ(a->other_triggers.size(), 1u);
  EXPECT_EQ(a->other_triggers[0].id, "example-trigger1");
  std::vector<std::string> ids;
  for (const auto& [id, c] : a->components) ids.push_back(id);
  EXPECT_THAT(ids, ElementsAre("admin-handler-component", "hello", "http-trigger1-component",
                               "inline-component1", "inline-component2"));
}

TEST(ManifestV2, TriggerIdCollisionFallsBackToCounter) {
  auto a = P(V2(R"(
[[trigger.http]]
route = "/a"
component = "c"
[[trigger.http]]
route = "/b"
component = "c"
[component.c]
source = "c.wasm"
)"));
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->http_triggers[0].id, "c-http-trigger");
  EXPECT_EQ(a->http_triggers[1].id, "http-trigger1");
}

TEST(ManifestV2, ApplicationHttpBase) {
  auto a = P(V2(R"(
[application.trigger.http]
base = "/api"
[[trigger.http]]
route = "/x"
component = "c"
[component.c]
source = "c.wasm"
)"));
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->http_base, "/api");
  EXPECT_EQ(a->http_triggers[0].route, "/x");
  ASSERT_EQ(a->warnings.size(), 1u);
  EXPECT_THAT(a->warnings[0], HasSubstr("deprecated trigger 'base'"));
  EXPECT_THAT(
      Err(V2(R"(
[application.trigger.http]
bsae = "/api"
[[trigger.http]]
route = "/x"
static_response = {}
)")),
      HasSubstr("unknown field 'bsae' in [application.trigger.http] (did you mean 'base'?)"));
}

TEST(ManifestV2, DuplicateRoutesWarnLastWins) {
  auto a = P(V2(R"(
[[trigger.http]]
route = "/same"
component = "a"
[[trigger.http]]
route = "/same"
component = "b"
[component.a]
source = "a.wasm"
[component.b]
source = "b.wasm"
)"));
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->http_triggers.size(), 2u);
  ASSERT_EQ(a->warnings.size(), 1u);
  EXPECT_THAT(a->warnings[0], HasSubstr("duplicate route \"/same\": trigger \"b-http-trigger\" "
                                        "replaces trigger \"a-http-trigger\""));
}

TEST(ManifestV2, AllowedHttpHostsConverted) {
  auto a = P(V2(R"(
[[trigger.http]]
route = "/"
component = "c"
[component.c]
source = "c.wasm"
allowed_outbound_hosts = ["redis://r:6379"]
allowed_http_hosts = ["example.com", "http://Example.org:8080/", "https://x.test:443", "self"]
)"));
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_THAT(a->components.at("c").allowed_outbound_hosts,
              ElementsAre("redis://r:6379", "http://example.com", "https://example.com",
                          "http://example.org:8080", "https://example.org:8080", "http://x.test",
                          "https://x.test", "http://self"));
  ASSERT_EQ(a->warnings.size(), 1u);
  EXPECT_THAT(a->warnings[0], HasSubstr("deprecated field `allowed_http_hosts`"));

  auto all = P(V2(R"(
[[trigger.http]]
route = "/"
component = "c"
[component.c]
source = "c.wasm"
allowed_http_hosts = ["insecure:allow-all", "whatever"]
)"));
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_THAT(all->components.at("c").allowed_outbound_hosts,
              ElementsAre("http://*:*", "https://*:*", "http://self"));

  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = "/"
component = "c"
[component.c]
source = "c.wasm"
allowed_http_hosts = ["ftp://random-data-api.fermyon.app", "example.com/wib/wob"]
)")),
              HasSubstr("one or more allowed_http_hosts entries was invalid:\n"
                        "ftp://random-data-api.fermyon.app isn't a valid host or host:port "
                        "string\nexample.com/wib/wob contains a path, should be host and optional "
                        "port only"));
}

TEST(ManifestV2, Profiles) {
  std::string text = V2(R"(
[[trigger.http]]
route = "/"
component = "c"
[component.c]
source = "release.wasm"
environment = { A = "1", B = "2" }
build.command = "make release"
[component.c.profile.debug]
source = "debug.wasm"
environment = { B = "debug" }
build.command = ["make debug", "strip"]
)");
  auto plain = P(text);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain->components.at("c").source.filename(), "release.wasm");
  Options options;
  options.profile = "debug";
  auto debug = parse(text, "spin.toml", options);
  ASSERT_TRUE(debug.ok()) << debug.error().message;
  const auto& c = debug->components.at("c");
  EXPECT_EQ(c.source.filename(), "debug.wasm");
  EXPECT_THAT(c.environment, ElementsAre(Pair("A", "1"), Pair("B", "debug")));
  EXPECT_THAT(c.build->commands, ElementsAre("make debug", "strip"));
  options.profile = "deugb";
  auto typo = parse(text, "spin.toml", options);
  ASSERT_FALSE(typo.ok());
  EXPECT_THAT(typo.error().message, HasSubstr("Profile deugb is not defined in this application"));
}

TEST(ManifestV2, RedisNeedsAnAddress) {
  EXPECT_THAT(Err(V2(R"(
[[trigger.redis]]
channel = "c"
component = "c"
[component.c]
source = "c.wasm"
)")),
              HasSubstr("has no 'address'"));
  EXPECT_THAT(Err(V2(R"(
[application.trigger.redis]
[[trigger.redis]]
channel = "c"
component = "c"
[component.c]
source = "c.wasm"
)")),
              HasSubstr("missing field 'address' in [application.trigger.redis]"));
}

// ---- errors -------------------------------------------------------------------------------------

TEST(ManifestErrors, UnknownFieldWithLocationAndSuggestion) {
  std::string msg = Err(V2(R"(
[[trigger.http]]
rout = "/"
component = "c"

[component.c]
source = "c.wasm"
)"));
  EXPECT_EQ(msg, "spin.toml:6:1: unknown field 'rout' in [[trigger.http]] (did you mean 'route'?)");

  EXPECT_EQ(Err(V2(R"(
[[trigger.http]]
route = "/"
component = "c"

[component.c]
source = "c.wasm"
allowed_outbound_host = []
)")),
            "spin.toml:11:1: unknown field 'allowed_outbound_host' in [component.c] (did you mean "
            "'allowed_outbound_hosts'?)");

  EXPECT_THAT(Err(R"(spin_manifest_version = 2
[application]
name = "t"
colour = "blue"
)"),
              StartsWith("spin.toml:4:1: unknown field 'colour' in [application] (expected one "
                         "of: name, version"));
  EXPECT_THAT(Err(V2("[variables]\nx = { default = \"1\", secrte = true }\n[[trigger.a]]\n")),
              HasSubstr("spin.toml:5:22: unknown field 'secrte' in [variables.x] (did you mean "
                        "'secret'?)"));
  EXPECT_THAT(Err(V2(R"(
[[trigger.redis]]
channel = "c"
adress = "redis://x"
component = "c"
[component.c]
source = "c.wasm"
)")),
              HasSubstr("unknown field 'adress' in [[trigger.redis]] (did you mean 'address'?)"));
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = "/"
component = "c"
executor = { type = "wagi", entry = "x" }
[component.c]
source = "c.wasm"
)")),
              HasSubstr("unknown field 'entry' in 'executor' of [[trigger.http]]"));
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = "/"
component = "c"
[component.c]
source = { url = "https://x", digest = "sha256:0", sha = "x" }
)")),
              HasSubstr("unknown field 'sha' in 'source' of [component.c]"));
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = "/"
component = "c"
[component.c]
source = "c.wasm"
files = [{ source = "a", dest = "/" }]
)")),
              HasSubstr("unknown field 'dest' in an entry of 'files' in [component.c] (did you "
                        "mean 'destination'?)"));
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = "/"
component = "c"
[component.c]
source = "c.wasm"
build = { command = "x", wokdir = "y" }
)")),
              HasSubstr("unknown field 'wokdir' in 'build' of [component.c] (did you mean "
                        "'workdir'?)"));
}

TEST(ManifestErrors, UnknownTopLevelAndTriggerTypesAreFineForOtherTriggers) {
  // Triggers of other types keep their own settings (a plugin reads them).
  auto a = P(V2(R"(
[[trigger.sqs]]
queue_url = "https://sqs"
component = "c"
[component.c]
source = "c.wasm"
)"));
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->other_triggers[0].type, "sqs");
  EXPECT_THAT(Err("spin_manifest_version = 2\nfoo = 1\n"),
              HasSubstr("spin.toml:2:1: unknown field 'foo' in the manifest"));
}

TEST(ManifestErrors, WrongTypes) {
  EXPECT_EQ(Err(V2(R"(
[[trigger.http]]
route = 42
component = "c"
[component.c]
source = "c.wasm"
)")),
            "spin.toml:6:9: invalid type for 'route' in [[trigger.http]]: expected a string or { "
            "private = true }, found integer");
  EXPECT_THAT(Err(R"(spin_manifest_version = 2
[application]
name = 7
)"),
              HasSubstr("spin.toml:3:8: invalid type for 'name' in [application]: expected a "
                        "string, found integer"));
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = "/"
component = "c"
[component.c]
source = "c.wasm"
key_value_stores = "default"
)")),
              HasSubstr("invalid type for 'key_value_stores' in [component.c]: expected an array "
                        "of strings, found string"));
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = "/"
component = "c"
[component.c]
source = "c.wasm"
allowed_outbound_hosts = ["https://a", 3]
)")),
              HasSubstr("spin.toml:10:40: invalid type in 'allowed_outbound_hosts' in "
                        "[component.c]: expected a string, found integer"));
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = "/"
component = 5
)")),
              HasSubstr("spin.toml:7:13: invalid type for 'component' in [[trigger.http]]: "
                        "expected a component id or an inline component table, found integer"));
  EXPECT_THAT(Err(V2("[trigger.http]\nroute = \"/\"\n")),
              HasSubstr("invalid type for 'trigger.http': expected an array of tables "
                        "([[trigger.http]]), found table"));
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = "/"
component = "c"
[component.c]
source = 3
)")),
              HasSubstr("invalid type for 'source' in [component.c]: expected a path string, { "
                        "url, digest } or { registry, package, version }, found integer"));
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = "/"
static_response = { status_code = 70000 }
)")),
              HasSubstr("invalid 'status_code' 70000"));
  EXPECT_THAT(Err(V2(R"(
[variables]
x = "plain"
[[trigger.a]]
)")),
              HasSubstr("invalid type for variable 'x'"));
}

TEST(ManifestErrors, Versions) {
  EXPECT_THAT(Err(""), HasSubstr("spin.toml:1:1: missing field 'spin_manifest_version'"));
  EXPECT_THAT(Err("spin_manifest_version = \"0\""), HasSubstr("invalid manifest version: \"0\""));
  EXPECT_THAT(Err("spin_manifest_version = 3"), HasSubstr("invalid manifest version: 3"));
  EXPECT_THAT(Err("spin_version = \"77.301.12\"\nname = \"x\""),
              HasSubstr("invalid manifest version: \"77.301.12\""));
  EXPECT_THAT(Err("spin_manifest_version = 2\n"), HasSubstr("missing table [application]"));
  EXPECT_THAT(Err("spin_manifest_version = 2\n[application]\nname = \"x\"\n"),
              HasSubstr("missing field 'trigger'"));
}

TEST(ManifestErrors, TomlSyntaxErrorHasLocation) {
  std::string msg = Err("spin_manifest_version = 2\n[application]\nname = \"x\"\nver\n");
  EXPECT_THAT(msg, StartsWith("spin.toml:4:"));
  EXPECT_THAT(msg, HasSubstr("TOML parse error"));
}

TEST(ManifestErrors, MissingName) {
  EXPECT_EQ(Err("spin_manifest_version = 2\n[application]\nversion = \"1\"\n[[trigger.a]]\n"),
            "spin.toml:2:1: missing field 'name' in [application]");
}

TEST(ManifestErrors, BadComponentIds) {
  EXPECT_EQ(Err(V2("[[trigger.a]]\n[component.bad_id]\nsource = \"x.wasm\"\n")),
            "spin.toml:5:12: invalid component id \"bad_id\": words must be separated with '-', "
            "not '_'");
  EXPECT_EQ(Err(V2("[[trigger.fake]]\ncomponent = \"1-2-3\"\n")),
            "spin.toml:5:13: invalid component id \"1-2-3\" in [[trigger.fake]]: '-'-separated "
            "words must start with an ASCII letter; got '1'");
  EXPECT_THAT(Err(V2("[[trigger.a]]\n[component.Mixed-Case]\nsource = \"x.wasm\"\n")),
              HasSubstr("must be all lowercase or all UPPERCASE"));
  // All-uppercase words are valid kebab-case in Spin.
  EXPECT_TRUE(P(V2("[[trigger.a]]\n[component.API-v2]\nsource = \"x.wasm\"\n")).ok());
}

TEST(ManifestErrors, MissingComponent) {
  EXPECT_EQ(Err(V2(R"(
[[trigger.http]]
route = "/"
component = "nope"
)")),
            "spin.toml:7:13: missing component \"nope\" configured for trigger "
            "\"nope-http-trigger\"");
}

TEST(ManifestErrors, BadVariableNames) {
  EXPECT_EQ(Err(V2("[variables]\n\"bad+name\" = { required = true }\n[[trigger.a]]\n")),
            "spin.toml:5:1: invalid variable name \"bad+name\": '_'-separated words may only "
            "contain alphanumeric ASCII; got '+'");
  EXPECT_THAT(Err(V2("[variables]\nBAD = { required = true }\n[[trigger.a]]\n")),
              HasSubstr("Lower-case identifiers must be all lowercase"));
  EXPECT_THAT(Err(V2("[variables]\na__b = { required = true }\n[[trigger.a]]\n")),
              HasSubstr("words must not be empty"));
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = "/"
component = "c"
[component.c]
source = "c.wasm"
variables = { "bad-key" = "x" }
)")),
              HasSubstr("invalid variable name \"bad-key\" in 'variables' of [component.c]"));
}

TEST(ManifestErrors, RequiredXorDefault) {
  EXPECT_EQ(Err(V2("[variables]\nx = { required = true, default = \"1\" }\n[[trigger.a]]\n")),
            "spin.toml:5:1: invalid variable definition for 'x': must be `required` OR have a "
            "`default` (not both)");
  EXPECT_THAT(Err(V2("[variables]\nx = { secret = true }\n[[trigger.a]]\n")),
              HasSubstr("must be `required` OR have a `default`"));
}

TEST(ManifestErrors, UndeclaredTemplateVariables) {
  EXPECT_EQ(Err(V2(R"([variables]
known = { default = "k" }
[[trigger.http]]
route = "/"
component = "c"
[component.c]
source = "c.wasm"
variables = { url = "https://{{ known }}/{{ unknown }}" }
)")),
            "spin.toml:11:15: component 'c' variable 'url': template \"https://{{ known }}/{{ "
            "unknown }}\" references unknown variable \"unknown\" (declare it in [variables])");
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = "/"
component = "c"
[component.c]
source = "c.wasm"
allowed_outbound_hosts = ["https://{{ host }}"]
)")),
              HasSubstr("allowed_outbound_hosts entry \"https://{{ host }}\": template "
                        "\"https://{{ host }}\" references unknown variable \"host\""));
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = "/"
component = "c"
[component.c]
source = "c.wasm"
variables = { url = "https://{{ unterminated" }
)")),
              HasSubstr("unmatched '{{'"));
  EXPECT_THAT(Err(V2(R"(
[[trigger.redis]]
address = "redis://{{ nope }}"
channel = "x"
component = "c"
[component.c]
source = "c.wasm"
)")),
              HasSubstr("references unknown variable \"nope\""));
}

TEST(ManifestErrors, TriggerShape) {
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = "/"
)")),
              HasSubstr("Triggers must specify either component or static_response - "
                        "http-trigger1 has neither"));
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = "/"
component = "c"
static_response = { body = "x" }
[component.c]
source = "c.wasm"
)")),
              HasSubstr("has both"));
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = { private = false }
component = "c"
[component.c]
source = "c.wasm"
)")),
              HasSubstr("route must be a string pattern or '{ private = true }'"));
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
component = "c"
[component.c]
source = "c.wasm"
)")),
              HasSubstr("missing field 'route' in [[trigger.http]]"));
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = "/"
component = "c"
executor = { type = "cgi" }
[component.c]
source = "c.wasm"
)")),
              HasSubstr("unknown executor type \"cgi\""));
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = "/"
component = "c"
dependencies.middleware = [{ path = "mw.wasm" }]
[component.c]
source = "c.wasm"
)")),
              HasSubstr("middleware) are not supported"));
  // Unknown keys in static_response are ignored, as Spin does, with a warning.
  auto a = P(V2(R"(
[[trigger.http]]
route = "/"
static_response = { body = "x", colour = "red" }
)"));
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_EQ(a->warnings.size(), 1u);
  EXPECT_THAT(a->warnings[0], HasSubstr("unknown field 'colour'"));
}

TEST(ManifestErrors, SourcesAndLabels) {
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = "/"
component = "c"
[component.c]
source = { url = "https://example.com/w.wasm", digest = "not-a-digest" }
)")),
              HasSubstr("invalid `digest` \"not-a-digest\"; must start with 'sha256:'"));
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = "/"
component = "c"
[component.c]
source = { package = "nocolon", version = "1.0.0" }
)")),
              HasSubstr("invalid package name \"nocolon\""));
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = "/"
component = "c"
[component.c]
source = "c.wasm"
key_value_stores = ["my store"]
)")),
              HasSubstr("expected kebab-case or snake_case"));
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = "/"
component = "c"
[component.c]
source = "c.wasm"
allowed_outbound_hosts = ["insecure:allow-all"]
)")),
              HasSubstr("'insecure:allow-all' is not allowed"));
}

TEST(ManifestErrors, Dependencies) {
  auto deps = [](std::string_view d) {
    return V2(R"(
[[trigger.http]]
route = "/"
component = "c"
[component.c]
source = "c.wasm"
[component.c.dependencies]
)" + std::string(d));
  };
  EXPECT_THAT(Err(deps("plain-name = \"0.1.0\"\n")),
              HasSubstr("dependency \"plain-name\" must specify a package name"));
  EXPECT_THAT(Err(deps("\"foo:baz@0.1.0\" = { path = \"foo.wasm\", export = \"foo\" }\n")),
              HasSubstr("using an export to satisfy the package dependency"));
  EXPECT_THAT(Err(deps("\"foo:bar@0.2.1\" = \"0.2.1\"\n\"foo:bar@0.2.2\" = \"0.2.2\"\n")),
              HasSubstr("conflicts with"));
  EXPECT_TRUE(P(deps("\"foo:bar@0.1.0\" = \"0.1.0\"\n\"foo:bar@0.2.0\" = \"0.2.0\"\n")).ok());
  EXPECT_TRUE(
      P(deps("\"foo:bar/baz@0.1.0\" = \"0.1.0\"\n\"foo:bar/qux@0.1.0\" = \"0.1.0\"\n")).ok());
  EXPECT_THAT(Err(deps("\"foo:bar@x\" = \"0.1.0\"\n")), HasSubstr("invalid version \"x\""));
  EXPECT_THAT(Err(deps("\"a:b\" = { component = \"missing\" }\n")),
              HasSubstr("dependency ID missing does not exist"));
  EXPECT_THAT(Err(deps("\"a:b\" = { version = \"1\", inherit_configuration = true }\n") +
                  "[component.c.x]\n"),
              HasSubstr("unknown field 'x' in [component.c]"));
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = "/"
component = "c"
[component.c]
source = "c.wasm"
dependencies_inherit_configuration = true
dependencies = { "a:b" = { version = "1", inherit_configuration = true } }
)")),
              HasSubstr("mutually exclusive"));
  EXPECT_THAT(Err(V2(R"(
[[trigger.http]]
route = "/"
component = "c"
[component.c]
source = "c.wasm"
dependencies = { "a:b" = { component = "d" } }
[component.d]
source = "d.wasm"
files = ["x"]
)")),
              HasSubstr("Component d cannot be used as a dependency of c because it specifies: "
                        "files"));
}

// ---- v1 -----------------------------------------------------------------------------------------

TEST(ManifestV1, Example) {
  auto loaded = parse("", kData / "v1" / "spin.toml");
  ASSERT_FALSE(loaded.ok());
  std::ifstream in(kData / "v1" / "spin.toml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto r = parse(text, kData / "v1" / "spin.toml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const app::App& a = *r;
  EXPECT_EQ(a.manifest_version, 1);
  EXPECT_EQ(a.name, "legacy-app");
  EXPECT_EQ(a.version, "0.1.0");
  EXPECT_EQ(a.description, "A v1 manifest");
  EXPECT_EQ(a.http_base, "/");
  EXPECT_EQ(a.variables.at("greeting").default_value, "hello");
  EXPECT_TRUE(a.variables.at("token").required);

  ASSERT_EQ(a.components.size(), 2u);
  const app::Component& hello = a.components.at("hello-world");  // hello_World → hello-world
  EXPECT_EQ(hello.source, kData / "v1" / "hello.wasm");
  EXPECT_THAT(hello.variables,
              ElementsAre(Pair("message", "{{ greeting }}, world"), Pair("secret", "{{ token }}")));
  EXPECT_THAT(hello.allowed_outbound_hosts,
              ElementsAre("redis://*:*", "mysql://*:*", "postgres://*:*", "http://example.com",
                          "https://example.com", "http://api.example.com:8443",
                          "https://api.example.com:8443", "http://self"));
  ASSERT_EQ(hello.files.size(), 1u);
  EXPECT_EQ(hello.files[0].guest_path, "/static/one.txt");
  EXPECT_EQ(hello.build->command, "cargo build");
  EXPECT_THAT(hello.environment, ElementsAre(Pair("NAME", "world")));

  const app::Component& wagi = a.components.at("wagi");
  EXPECT_THAT(wagi.allowed_outbound_hosts, ElementsAre("https://example.org"));

  ASSERT_EQ(a.http_triggers.size(), 2u);
  EXPECT_EQ(a.http_triggers[0].id, "trigger-hello-world");
  EXPECT_EQ(a.http_triggers[0].route, "/hello");
  EXPECT_EQ(a.http_triggers[0].component, "hello-world");
  EXPECT_FALSE(a.http_triggers[0].wagi);
  EXPECT_EQ(a.http_triggers[1].id, "trigger-wagi");
  ASSERT_TRUE(a.http_triggers[1].wagi);
  EXPECT_EQ(a.http_triggers[1].wagi->entrypoint, "main");
  EXPECT_EQ(a.http_triggers[1].wagi->argv, "${SCRIPT_NAME} ${ARGS}");
  EXPECT_TRUE(a.warnings.empty());
}

TEST(ManifestV1, BaseAndRedis) {
  auto a = P(R"(spin_version = "1"
name = "x"
trigger = { type = "http", base = "/base" }
[[component]]
id = "c"
source = "c.wasm"
[component.trigger]
route = "/r"
)");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->http_base, "/base");
  EXPECT_EQ(a->http_triggers[0].route, "/r");

  auto redis = P(R"(spin_manifest_version = "1"
name = "x"
trigger = { type = "redis", address = "redis://localhost:6379" }
[[component]]
id = "echo"
source = "echo.wasm"
[component.trigger]
channel = "messages"
)");
  ASSERT_TRUE(redis.ok()) << redis.error().message;
  EXPECT_EQ(redis->redis_address, "redis://localhost:6379");
  ASSERT_EQ(redis->redis_triggers.size(), 1u);
  EXPECT_EQ(redis->redis_triggers[0].channel, "messages");
  EXPECT_EQ(redis->redis_triggers[0].component, "echo");
  EXPECT_EQ(redis->redis_triggers[0].id, "trigger-echo");
}

TEST(ManifestV1, Errors) {
  EXPECT_THAT(Err(R"(spin_version = "1"
name = "x"
trigger = { type = "http" }
[[component]]
id = "hello"
source = "a.wasm"
[component.trigger]
route = "/a"
[[component]]
id = "hello"
source = "a.wasm"
[component.trigger]
route = "/b"
)"),
              HasSubstr("spin.toml:10:6: cannot have duplicate component IDs: hello"));
  EXPECT_THAT(Err(R"(spin_version = "1"
name = "x"
trigger = { type = "http" }
[[component]]
id = "hello"
source = "a.wasm"
)"),
              HasSubstr("missing field 'trigger' in [[component]] 'hello'"));
  EXPECT_THAT(Err(R"(spin_version = "1"
name = "x"
trigger = { type = "http" }
[[component]]
id = "hello"
source = "a.wasm"
[component.trigger]
route = "/a"
executr = { type = "wagi" }
)"),
              HasSubstr("spin.toml:9:1: unknown field 'executr' in [component.trigger] of 'hello' "
                        "(did you mean 'executor'?)"));
  EXPECT_THAT(Err(R"(spin_version = "1"
trigger = { type = "http" }
)"),
              HasSubstr("missing field 'name' in the manifest"));
  EXPECT_THAT(Err(R"(spin_version = "1"
name = "x"
trigger = { type = "http" }
[variables]
"Bad" = { default = "x" }
)"),
              HasSubstr("invalid variable name \"Bad\""));
  EXPECT_THAT(Err(R"(spin_version = "1"
name = "x"
trigger = { type = "http" }
[[component]]
id = "9lives"
source = "a.wasm"
trigger = { route = "/" }
)"),
              HasSubstr("invalid component id \"9lives\""));
  EXPECT_THAT(Err(R"(spin_version = "1"
name = "x"
trigger = { type = "http" }
[[component]]
id = "a"
source = "a.wasm"
trigger = { route = "/" }
config = { x = "{{ undeclared }}" }
)"),
              HasSubstr("references unknown variable \"undeclared\""));
}

}  // namespace
}  // namespace lepton::manifest
