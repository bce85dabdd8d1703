// Registration of every WASI 0.2 interface (names and WIT-shaped types), and wasi:cli,
// wasi:clocks and wasi:random behaviour.
#include "wasi2/wasi2.h"

#include <set>

#include "wasi2/host_fixture.h"

namespace lepton::wasi2 {
namespace {

using namespace std::chrono_literals;
using component::Val;
using testing::FailsWith;
using testing::Host;
using testing::ok_of;

TEST(Registration, EveryInterfaceHasItsFunctionsAndResources) {
  Host h;
  const std::vector<std::pair<std::string, std::vector<std::string>>> expected = {
      {"wasi:io/error", {"[method]error.to-debug-string"}},
      {"wasi:io/poll", {"[method]pollable.ready", "[method]pollable.block", "poll"}},
      {"wasi:io/streams",
       {"[method]input-stream.read", "[method]input-stream.blocking-read",
        "[method]input-stream.skip", "[method]input-stream.blocking-skip",
        "[method]input-stream.subscribe", "[method]output-stream.check-write",
        "[method]output-stream.write", "[method]output-stream.blocking-write-and-flush",
        "[method]output-stream.flush", "[method]output-stream.blocking-flush",
        "[method]output-stream.subscribe", "[method]output-stream.write-zeroes",
        "[method]output-stream.blocking-write-zeroes-and-flush", "[method]output-stream.splice",
        "[method]output-stream.blocking-splice"}},
      {"wasi:clocks/monotonic-clock",
       {"now", "resolution", "subscribe-instant", "subscribe-duration"}},
      {"wasi:clocks/wall-clock", {"now", "resolution"}},
      {"wasi:random/random", {"get-random-bytes", "get-random-u64"}},
      {"wasi:random/insecure", {"get-insecure-random-bytes", "get-insecure-random-u64"}},
      {"wasi:random/insecure-seed", {"insecure-seed"}},
      {"wasi:cli/environment", {"get-environment", "get-arguments", "initial-cwd"}},
      {"wasi:cli/exit", {"exit", "exit-with-code"}},
      {"wasi:cli/stdin", {"get-stdin"}},
      {"wasi:cli/stdout", {"get-stdout"}},
      {"wasi:cli/stderr", {"get-stderr"}},
      {"wasi:cli/terminal-input", {}},
      {"wasi:cli/terminal-output", {}},
      {"wasi:cli/terminal-stdin", {"get-terminal-stdin"}},
      {"wasi:cli/terminal-stdout", {"get-terminal-stdout"}},
      {"wasi:cli/terminal-stderr", {"get-terminal-stderr"}},
      {"wasi:filesystem/preopens", {"get-directories"}},
      {"wasi:filesystem/types",
       {"[method]descriptor.read-via-stream",
        "[method]descriptor.write-via-stream",
        "[method]descriptor.append-via-stream",
        "[method]descriptor.advise",
        "[method]descriptor.sync-data",
        "[method]descriptor.get-flags",
        "[method]descriptor.get-type",
        "[method]descriptor.set-size",
        "[method]descriptor.set-times",
        "[method]descriptor.read",
        "[method]descriptor.write",
        "[method]descriptor.read-directory",
        "[method]descriptor.sync",
        "[method]descriptor.create-directory-at",
        "[method]descriptor.stat",
        "[method]descriptor.stat-at",
        "[method]descriptor.set-times-at",
        "[method]descriptor.link-at",
        "[method]descriptor.open-at",
        "[method]descriptor.readlink-at",
        "[method]descriptor.remove-directory-at",
        "[method]descriptor.rename-at",
        "[method]descriptor.symlink-at",
        "[method]descriptor.unlink-file-at",
        "[method]descriptor.is-same-object",
        "[method]descriptor.metadata-hash",
        "[method]descriptor.metadata-hash-at",
        "[method]directory-entry-stream.read-directory-entry",
        "filesystem-error-code"}},
  };
  for (const auto& [iface, functions] : expected) {
    // Versions are ignored when looking interfaces up.
    const component::HostInterface* i = h.registry.find(iface + "@0.2.3");
    ASSERT_NE(i, nullptr) << iface;
    std::set<std::string> names;
    for (const auto& f : i->functions()) names.insert(f.name);
    EXPECT_EQ(names, std::set<std::string>(functions.begin(), functions.end())) << iface;
    EXPECT_EQ(i->functions().size(), functions.size()) << iface << ": duplicate names";
  }
  EXPECT_EQ(h.registry.find("wasi:http/types"), nullptr);

  auto has_resource = [&](std::string_view iface, std::string_view name) {
    return h.registry.find(iface)->find_resource(name) != nullptr;
  };
  EXPECT_TRUE(has_resource("wasi:io/error", "error"));
  EXPECT_TRUE(has_resource("wasi:io/poll", "pollable"));
  EXPECT_TRUE(has_resource("wasi:io/streams", "input-stream"));
  EXPECT_TRUE(has_resource("wasi:io/streams", "output-stream"));
  EXPECT_TRUE(has_resource("wasi:cli/terminal-input", "terminal-input"));
  EXPECT_TRUE(has_resource("wasi:cli/terminal-output", "terminal-output"));
  EXPECT_TRUE(has_resource("wasi:filesystem/types", "descriptor"));
  EXPECT_TRUE(has_resource("wasi:filesystem/types", "directory-entry-stream"));
}

TEST(Registration, SignaturesMatchWit) {
  Host h;
  const std::string stream_error = "variant { last-operation-failed(own<error>), closed }";
  EXPECT_EQ(h.signature("wasi:io/streams", "[method]output-stream.blocking-write-and-flush"),
            "(self: borrow<output-stream>, contents: list<u8>) -> result<_, " + stream_error + ">");
  EXPECT_EQ(h.signature("wasi:io/streams", "[method]input-stream.read"),
            "(self: borrow<input-stream>, len: u64) -> result<list<u8>, " + stream_error + ">");
  EXPECT_EQ(h.signature("wasi:io/streams", "[method]output-stream.splice"),
            "(self: borrow<output-stream>, src: borrow<input-stream>, len: u64) -> result<u64, " +
                stream_error + ">");
  EXPECT_EQ(h.signature("wasi:io/streams", "[method]input-stream.subscribe"),
            "(self: borrow<input-stream>) -> own<pollable>");
  EXPECT_EQ(h.signature("wasi:io/poll", "poll"), "(in: list<borrow<pollable>>) -> list<u32>");
  EXPECT_EQ(h.signature("wasi:io/poll", "[method]pollable.block"), "(self: borrow<pollable>)");
  EXPECT_EQ(h.signature("wasi:clocks/wall-clock", "now"),
            "() -> record { seconds: u64, nanoseconds: u32 }");
  EXPECT_EQ(h.signature("wasi:clocks/monotonic-clock", "subscribe-duration"),
            "(when: u64) -> own<pollable>");
  EXPECT_EQ(h.signature("wasi:cli/environment", "get-environment"),
            "() -> list<tuple<string, string>>");
  EXPECT_EQ(h.signature("wasi:cli/exit", "exit"), "(status: result<_, _>)");
  EXPECT_EQ(h.signature("wasi:cli/terminal-stdout", "get-terminal-stdout"),
            "() -> option<own<terminal-output>>");
  EXPECT_EQ(h.signature("wasi:random/insecure-seed", "insecure-seed"), "() -> tuple<u64, u64>");
  EXPECT_EQ(h.signature("wasi:filesystem/preopens", "get-directories"),
            "() -> list<tuple<own<descriptor>, string>>");
  EXPECT_EQ(
      h.signature("wasi:filesystem/types", "[method]directory-entry-stream.read-directory-entry"),
      "(self: borrow<directory-entry-stream>) -> result<option<record { type: enum { unknown, "
      "block-device, character-device, directory, fifo, symbolic-link, regular-file, socket }, "
      "name: string }>, enum { access, would-block, already, bad-descriptor, busy, deadlock, "
      "quota, exist, file-too-large, illegal-byte-sequence, in-progress, interrupted, invalid, "
      "io, is-directory, loop, too-many-links, message-size, name-too-long, no-device, "
      "no-entry, no-lock, insufficient-memory, insufficient-space, not-directory, not-empty, "
      "not-recoverable, unsupported, no-tty, no-such-device, overflow, not-permitted, pipe, "
      "read-only, invalid-seek, text-file-busy, cross-device }>");

  // open-at: flags and the error-code enum, whose case order is the ABI.
  const auto* open_at = h.find("wasi:filesystem/types", "[method]descriptor.open-at");
  ASSERT_NE(open_at, nullptr);
  ASSERT_EQ(open_at->type.params.size(), 5u);
  EXPECT_EQ(open_at->type.param_names,
            (std::vector<std::string>{"self", "path-flags", "path", "open-flags", "flags"}));
  EXPECT_EQ(open_at->type.params[1]->to_string(), "flags { symlink-follow }");
  EXPECT_EQ(open_at->type.params[3]->to_string(),
            "flags { create, directory, exclusive, truncate }");
  EXPECT_EQ(open_at->type.params[4]->to_string(),
            "flags { read, write, file-integrity-sync, data-integrity-sync, "
            "requested-write-sync, mutate-directory }");
  const auto& result = open_at->type.results.at(0);
  EXPECT_EQ(result->cases()[0].type->to_string(), "own<descriptor>");
  const auto& code = result->cases()[1].type;
  ASSERT_EQ(code->cases().size(), 37u);
  EXPECT_EQ(code->cases()[0].name, "access");
  EXPECT_EQ(code->cases()[12].name, "invalid");
  EXPECT_EQ(code->cases()[20].name, "no-entry");
  EXPECT_EQ(code->cases()[24].name, "not-directory");
  EXPECT_EQ(code->cases()[31].name, "not-permitted");
  EXPECT_EQ(code->cases()[33].name, "read-only");
  EXPECT_EQ(code->cases()[36].name, "cross-device");

  const auto* stat = h.find("wasi:filesystem/types", "[method]descriptor.stat");
  ASSERT_NE(stat, nullptr);
  auto stat_t = stat->type.results.at(0)->cases()[0].type;
  ASSERT_EQ(stat_t->fields().size(), 6u);
  EXPECT_EQ(stat_t->fields()[0].name, "type");
  EXPECT_EQ(stat_t->fields()[5].name, "status-change-timestamp");
  EXPECT_EQ(stat_t->fields()[5].type->to_string(),
            "option<record { seconds: u64, nanoseconds: u32 }>");

  // Interfaces share resource types: the stream of wasi:cli/stdout is wasi:io's.
  const auto* get_stdout = h.find("wasi:cli/stdout", "get-stdout");
  EXPECT_EQ(get_stdout->type.results[0]->resource(),
            h.registry.resource("wasi:io/streams", "output-stream"));
}

TEST(Cli, EnvironmentAndArguments) {
  Config config;
  config.args = {"app.wasm", "--flag"};
  config.env = {{"A", "1"}, {"PATH_INFO", "/x"}};
  Host h(config);
  EXPECT_EQ(h.call("wasi:cli/environment", "get-arguments"),
            Val::list({Val::string("app.wasm"), Val::string("--flag")}));
  EXPECT_EQ(h.call("wasi:cli/environment", "get-environment"),
            Val::list({Val::tuple({Val::string("A"), Val::string("1")}),
                       Val::tuple({Val::string("PATH_INFO"), Val::string("/x")})}));
  EXPECT_EQ(h.call("wasi:cli/environment", "initial-cwd"), Val::none());
}

TEST(Cli, NoConfigMeansEmpty) {
  component::HostRegistry registry;
  register_wasi(registry);
  component::InstanceState instance;
  std::vector<Val> results;
  component::HostCall call{instance, {}, results};
  ASSERT_TRUE(registry.find("wasi:cli/environment")->find_function("get-arguments")->fn(call).ok());
  EXPECT_EQ(results.at(0), Val::list({}));
}

TEST(Cli, StdoutAndStderrReachTheirSinks) {
  std::string out, err;
  Config config;
  config.stdout_sink = [&](std::string_view s) { out += s; };
  config.stderr_sink = [&](std::string_view s) { err += s; };
  Host h(config);
  uint32_t so = h.call("wasi:cli/stdout", "get-stdout").rep();
  uint32_t se = h.call("wasi:cli/stderr", "get-stderr").rep();
  EXPECT_EQ(h.call("wasi:io/streams", "[method]output-stream.blocking-write-and-flush",
                   {Val::borrow(so), Val::bytes("hello ")}),
            Val::ok());
  EXPECT_GT(ok_of(h.call("wasi:io/streams", "[method]output-stream.check-write", {Val::borrow(so)}))
                .as_uint(),
            0u);
  EXPECT_EQ(h.call("wasi:io/streams", "[method]output-stream.write",
                   {Val::borrow(so), Val::bytes("world")}),
            Val::ok());
  EXPECT_EQ(h.call("wasi:io/streams", "[method]output-stream.blocking-write-and-flush",
                   {Val::borrow(se), Val::bytes("oops")}),
            Val::ok());
  EXPECT_EQ(out, "hello world");
  EXPECT_EQ(err, "oops");
  EXPECT_EQ(h.call("wasi:cli/terminal-stdout", "get-terminal-stdout"), Val::none());
  EXPECT_EQ(h.call("wasi:cli/terminal-stdin", "get-terminal-stdin"), Val::none());
  ASSERT_TRUE(h.drop("wasi:io/streams", "output-stream", so).ok());
  ASSERT_TRUE(h.drop("wasi:io/streams", "output-stream", se).ok());
  EXPECT_EQ(io_state(h.instance).output_streams.size(), 0u);
}

TEST(Cli, StdinIsReadOnceAcrossStreams) {
  Config config;
  config.stdin_data = "request body";
  Host h(config);
  uint32_t a = h.call("wasi:cli/stdin", "get-stdin").rep();
  uint32_t b = h.call("wasi:cli/stdin", "get-stdin").rep();
  EXPECT_NE(a, b);
  EXPECT_EQ(
      ok_of(h.call("wasi:io/streams", "[method]input-stream.read", {Val::borrow(a), Val::u64(8)})),
      Val::bytes("request "));
  EXPECT_EQ(ok_of(h.call("wasi:io/streams", "[method]input-stream.blocking-read",
                         {Val::borrow(b), Val::u64(100)})),
            Val::bytes("body"));
  EXPECT_EQ(h.call("wasi:io/streams", "[method]input-stream.read", {Val::borrow(a), Val::u64(1)}),
            Val::err(Val::variant(1)));
}

TEST(Cli, ExitTrapsWithCode) {
  Host h;
  EXPECT_EQ(exit_code(h.instance), std::nullopt);
  EXPECT_TRUE(FailsWith(h.try_call("wasi:cli/exit", "exit", {Val::err()}), "exit with code 1"));
  EXPECT_EQ(exit_code(h.instance), 1);
  EXPECT_TRUE(FailsWith(h.try_call("wasi:cli/exit", "exit", {Val::ok()}), "exit with code 0"));
  EXPECT_EQ(exit_code(h.instance), 0);
  EXPECT_TRUE(
      FailsWith(h.try_call("wasi:cli/exit", "exit-with-code", {Val::u8(42)}), "exit with code 42"));
  EXPECT_EQ(exit_code(h.instance), 42);
}

TEST(Clocks, MonotonicAndWall) {
  Host h;
  uint64_t a = h.call("wasi:clocks/monotonic-clock", "now").as_uint();
  uint64_t b = h.call("wasi:clocks/monotonic-clock", "now").as_uint();
  EXPECT_LE(a, b);
  EXPECT_GT(h.call("wasi:clocks/monotonic-clock", "resolution").as_uint(), 0u);
  Val wall = h.call("wasi:clocks/wall-clock", "now");
  uint64_t secs = wall.items()[0].as_uint();
  auto expect = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  EXPECT_NEAR(static_cast<double>(secs), static_cast<double>(expect), 5.0);
  EXPECT_LT(wall.items()[1].as_uint(), 1'000'000'000u);
}

TEST(Clocks, PollSleepsForTheDuration) {
  Host h;
  auto start = Clock::now();
  uint32_t p =
      h.call("wasi:clocks/monotonic-clock", "subscribe-duration", {Val::u64(60'000'000)}).rep();
  EXPECT_EQ(h.call("wasi:io/poll", "[method]pollable.ready", {Val::borrow(p)}), Val::bool_(false));
  EXPECT_EQ(h.call("wasi:io/poll", "poll", {Val::list({Val::borrow(p)})}),
            Val::list({Val::u32(0)}));
  auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 60ms);
  EXPECT_LT(elapsed, 5s);
  EXPECT_EQ(h.call("wasi:io/poll", "[method]pollable.ready", {Val::borrow(p)}), Val::bool_(true));
}

TEST(Clocks, SubscribeInstantBlocksUntilThen) {
  Host h;
  uint64_t now = h.call("wasi:clocks/monotonic-clock", "now").as_uint();
  auto start = Clock::now();
  uint32_t p =
      h.call("wasi:clocks/monotonic-clock", "subscribe-instant", {Val::u64(now + 40'000'000)})
          .rep();
  ASSERT_TRUE(h.try_call("wasi:io/poll", "[method]pollable.block", {Val::borrow(p)}).ok());
  EXPECT_GE(Clock::now() - start, 40ms);
  // An instant in the past is ready at once.
  uint32_t past = h.call("wasi:clocks/monotonic-clock", "subscribe-instant", {Val::u64(now)}).rep();
  EXPECT_EQ(h.call("wasi:io/poll", "[method]pollable.ready", {Val::borrow(past)}),
            Val::bool_(true));
}

TEST(Clocks, WaitsNeverPassTheDeadline) {
  Config config;
  auto start = Clock::now();
  config.deadline = start + 80ms;
  Host h(config);
  uint32_t p = h.call("wasi:clocks/monotonic-clock", "subscribe-duration",
                      {Val::u64(30'000'000'000)})  // 30 s
                   .rep();
  EXPECT_TRUE(FailsWith(h.try_call("wasi:io/poll", "poll", {Val::list({Val::borrow(p)})}),
                        "deadline passed"));
  auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 80ms);
  EXPECT_LT(elapsed, 5s);
  EXPECT_TRUE(FailsWith(h.try_call("wasi:io/poll", "[method]pollable.block", {Val::borrow(p)}),
                        "deadline passed"));
  // A pollable ready before the deadline still reports ready.
  uint32_t now = h.call("wasi:clocks/monotonic-clock", "subscribe-duration", {Val::u64(0)}).rep();
  EXPECT_EQ(h.call("wasi:io/poll", "poll", {Val::list({Val::borrow(p), Val::borrow(now)})}),
            Val::list({Val::u32(1)}));
}

TEST(Random, BytesAndNumbers) {
  Host h;
  Val a = h.call("wasi:random/random", "get-random-bytes", {Val::u64(32)});
  Val b = h.call("wasi:random/random", "get-random-bytes", {Val::u64(32)});
  ASSERT_TRUE(a.is_bytes());
  EXPECT_EQ(a.as_bytes().size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_EQ(h.call("wasi:random/random", "get-random-bytes", {Val::u64(0)}), Val::bytes(""));
  EXPECT_EQ(
      h.call("wasi:random/insecure", "get-insecure-random-bytes", {Val::u64(7)}).as_bytes().size(),
      7u);
  EXPECT_NE(h.call("wasi:random/random", "get-random-u64"),
            h.call("wasi:random/random", "get-random-u64"));
  EXPECT_TRUE(FailsWith(
      h.try_call("wasi:random/random", "get-random-bytes", {Val::u64(1ull << 40)}), "more than"));
  // One insecure seed per request.
  Val seed = h.call("wasi:random/insecure-seed", "insecure-seed");
  EXPECT_EQ(seed, h.call("wasi:random/insecure-seed", "insecure-seed"));
  EXPECT_EQ(seed.items().size(), 2u);
}

TEST(Registration, WrongArityTrapsInsteadOfReadingPastArguments) {
  Host h;
  EXPECT_TRUE(FailsWith(h.try_call("wasi:random/random", "get-random-bytes", {}), "expected 1"));
}

}  // namespace
}  // namespace lepton::wasi2
