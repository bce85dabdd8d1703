// wasi:clocks, wasi:random and wasi:cli over the request's Config, and register_wasi.
#include "wasi2/wasi2.h"

#include <sys/random.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "wasi2/host_util.h"

namespace lepton::wasi2 {

using component::InstanceState;
using component::Val;
using detail::define;
using detail::HostCall;
namespace ty = component::ty;

namespace {

// Per-request state of wasi:cli and wasi:random.
struct CliState {
  std::shared_ptr<MemoryInputStream> stdin;  // shared by every get-stdin: one read position
  std::optional<int> exit_code;
  std::optional<std::pair<uint64_t, uint64_t>> insecure_seed;
};

const Config& config_of(InstanceState& instance) {
  static const Config kEmpty;
  const Config* c = instance.find<Config>();
  return c != nullptr ? *c : kEmpty;
}

// ---- wasi:clocks ------------------------------------------------------------------------------

uint64_t ns_of(const struct timespec& ts) {
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

Val datetime(const struct timespec& ts) {
  return Val::record({Val::u64(ts.tv_sec < 0 ? 0 : static_cast<uint64_t>(ts.tv_sec)),
                      Val::u32(static_cast<uint32_t>(ts.tv_nsec))});
}

// An instant (nanoseconds of the monotonic clock, as `now` reports them) as a time point.
Clock::time_point instant_point(uint64_t ns) {
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<Clock::rep>::max());
  return Clock::time_point(std::chrono::nanoseconds(static_cast<Clock::rep>(std::min(ns, kMax))));
}

uint64_t now_ns() {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch());
  return static_cast<uint64_t>(ns.count());
}

}  // namespace

void register_clocks(component::HostRegistry& registry) {
  auto pollable_t = registry.resource("wasi:io/poll", "pollable");
  auto& mono = registry.add("wasi:clocks/monotonic-clock");
  define(mono, "now", ty::func({}, {ty::u64()}), [](HostCall& c) -> Status {
    c.results.push_back(Val::u64(now_ns()));
    return {};
  });
  define(mono, "resolution", ty::func({}, {ty::u64()}), [](HostCall& c) -> Status {
    struct timespec ts{};
    ::clock_getres(CLOCK_MONOTONIC, &ts);
    c.results.push_back(Val::u64(std::max<uint64_t>(ns_of(ts), 1)));
    return {};
  });
  define(mono, "subscribe-instant", ty::func({{"when", ty::u64()}}, {ty::own(pollable_t)}),
         [](HostCall& c) -> Status {
           auto p = std::make_unique<TimerPollable>(instant_point(c.args[0].as_uint()));
           c.results.push_back(Val::own(add_pollable(c.instance, std::move(p))));
           return {};
         });
  define(mono, "subscribe-duration", ty::func({{"when", ty::u64()}}, {ty::own(pollable_t)}),
         [](HostCall& c) -> Status {
           uint64_t now = now_ns();
           uint64_t when = c.args[0].as_uint();
           uint64_t at =
               when > std::numeric_limits<uint64_t>::max() - now ? UINT64_MAX : now + when;
           auto p = std::make_unique<TimerPollable>(instant_point(at));
           c.results.push_back(Val::own(add_pollable(c.instance, std::move(p))));
           return {};
         });

  auto& wall = registry.add("wasi:clocks/wall-clock");
  auto datetime_t = ty::record({{"seconds", ty::u64()}, {"nanoseconds", ty::u32()}});
  define(wall, "now", ty::func({}, {datetime_t}), [](HostCall& c) -> Status {
    struct timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    c.results.push_back(datetime(ts));
    return {};
  });
  define(wall, "resolution", ty::func({}, {datetime_t}), [](HostCall& c) -> Status {
    struct timespec ts{};
    ::clock_getres(CLOCK_REALTIME, &ts);
    if (ts.tv_sec == 0 && ts.tv_nsec == 0) ts.tv_nsec = 1;
    c.results.push_back(datetime(ts));
    return {};
  });
}

// ---- wasi:random ------------------------------------------------------------------------------

namespace {

// More than this in one call traps: the bytes are built on the host before being copied into
// the guest, and no guest needs this many at once.
constexpr uint64_t kMaxRandomBytes = 64ull << 20;

Status fill_random(void* buf, size_t len) {
  auto* p = static_cast<unsigned char*>(buf);
  while (len > 0) {
    ssize_t n = ::getrandom(p, len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("wasi:random: getrandom failed: {}", std::strerror(errno));
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
  return {};
}

Status random_bytes(HostCall& c, std::string_view fn) {
  uint64_t len = c.args[0].as_uint();
  if (len > kMaxRandomBytes)
    return fail("wasi:random: {}({}) asks for more than {} bytes", fn, len, kMaxRandomBytes);
  std::string out(static_cast<size_t>(len), '\0');
  LEPTON_CHECK(fill_random(out.data(), out.size()));
  c.results.push_back(Val::bytes(std::move(out)));
  return {};
}

Status random_u64(HostCall& c) {
  uint64_t v = 0;
  LEPTON_CHECK(fill_random(&v, sizeof v));
  c.results.push_back(Val::u64(v));
  return {};
}

}  // namespace

void register_random(component::HostRegistry& registry) {
  auto bytes_t = ty::func({{"len", ty::u64()}}, {ty::list(ty::u8())});
  auto& secure = registry.add("wasi:random/random");
  define(secure, "get-random-bytes", bytes_t,
         [](HostCall& c) { return random_bytes(c, "get-random-bytes"); });
  define(secure, "get-random-u64", ty::func({}, {ty::u64()}), random_u64);
  // The insecure variants may be secure too; one source keeps them simple.
  auto& insecure = registry.add("wasi:random/insecure");
  define(insecure, "get-insecure-random-bytes", bytes_t,
         [](HostCall& c) { return random_bytes(c, "get-insecure-random-bytes"); });
  define(insecure, "get-insecure-random-u64", ty::func({}, {ty::u64()}), random_u64);
  auto& seed = registry.add("wasi:random/insecure-seed");
  define(seed, "insecure-seed", ty::func({}, {ty::tuple({ty::u64(), ty::u64()})}),
         [](HostCall& c) -> Status {
           // One seed per request, as the spec suggests (it is meant to be called once).
           auto& s = c.instance.state<CliState>().insecure_seed;
           if (!s) {
             std::pair<uint64_t, uint64_t> v;
             LEPTON_CHECK(fill_random(&v.first, sizeof v.first));
             LEPTON_CHECK(fill_random(&v.second, sizeof v.second));
             s = v;
           }
           c.results.push_back(Val::tuple({Val::u64(s->first), Val::u64(s->second)}));
           return {};
         });
}

// ---- wasi:cli ---------------------------------------------------------------------------------

namespace {

// get-stdin may be called many times: every stream reads from the request's one stdin.
class StdinStream final : public InputStream {
 public:
  explicit StdinStream(std::shared_ptr<MemoryInputStream> data) : data_(std::move(data)) {}
  StreamResult<std::string> read(uint64_t len) override { return data_->read(len); }
  std::unique_ptr<Pollable> subscribe() override { return data_->subscribe(); }

 private:
  std::shared_ptr<MemoryInputStream> data_;
};

Status exit_with(HostCall& c, int code) {
  c.instance.state<CliState>().exit_code = code;
  return fail("{}: exit with code {}", kExitMessage, code);
}

// Terminal resources are never handed out (stdio is not a terminal), so nothing can drop one.
component::HostDrop no_drop(std::string what) {
  return [what = std::move(what)](InstanceState&, uint32_t rep) -> Status {
    return fail("wasi:cli: dropping unknown {} {}", what, rep);
  };
}

}  // namespace

void register_cli(component::HostRegistry& registry) {
  auto input = registry.resource("wasi:io/streams", "input-stream");
  auto output = registry.resource("wasi:io/streams", "output-stream");

  auto& env = registry.add("wasi:cli/environment");
  define(env, "get-environment", ty::func({}, {ty::list(ty::tuple({ty::string(), ty::string()}))}),
         [](HostCall& c) -> Status {
           std::vector<Val> out;
           for (const auto& [k, v] : config_of(c.instance).env)
             out.push_back(Val::tuple({Val::string(k), Val::string(v)}));
           c.results.push_back(Val::list(std::move(out)));
           return {};
         });
  define(env, "get-arguments", ty::func({}, {ty::list(ty::string())}), [](HostCall& c) -> Status {
    std::vector<Val> out;
    for (const auto& a : config_of(c.instance).args) out.push_back(Val::string(a));
    c.results.push_back(Val::list(std::move(out)));
    return {};
  });
  define(env, "initial-cwd", ty::func({}, {ty::option(ty::string())}), [](HostCall& c) -> Status {
    c.results.push_back(Val::none());
    return {};
  });

  auto& exit = registry.add("wasi:cli/exit");
  define(exit, "exit", ty::func({{"status", ty::result(nullptr, nullptr)}}, {}),
         [](HostCall& c) { return exit_with(c, c.args[0].case_index() == 0 ? 0 : 1); });
  define(exit, "exit-with-code", ty::func({{"status-code", ty::u8()}}, {}),
         [](HostCall& c) { return exit_with(c, static_cast<int>(c.args[0].as_uint())); });

  auto& in = registry.add("wasi:cli/stdin");
  define(in, "get-stdin", ty::func({}, {ty::own(input)}), [](HostCall& c) -> Status {
    auto& shared = c.instance.state<CliState>().stdin;
    if (!shared) shared = std::make_shared<MemoryInputStream>(config_of(c.instance).stdin_data);
    c.results.push_back(
        Val::own(add_input_stream(c.instance, std::make_unique<StdinStream>(shared))));
    return {};
  });
  auto& out = registry.add("wasi:cli/stdout");
  define(out, "get-stdout", ty::func({}, {ty::own(output)}), [](HostCall& c) -> Status {
    auto s = std::make_unique<SinkOutputStream>(config_of(c.instance).stdout_sink);
    c.results.push_back(Val::own(add_output_stream(c.instance, std::move(s))));
    return {};
  });
  auto& err = registry.add("wasi:cli/stderr");
  define(err, "get-stderr", ty::func({}, {ty::own(output)}), [](HostCall& c) -> Status {
    auto s = std::make_unique<SinkOutputStream>(config_of(c.instance).stderr_sink);
    c.results.push_back(Val::own(add_output_stream(c.instance, std::move(s))));
    return {};
  });

  auto terminal_input =
      registry.add("wasi:cli/terminal-input").resource("terminal-input", no_drop("terminal-input"));
  auto terminal_output = registry.add("wasi:cli/terminal-output")
                             .resource("terminal-output", no_drop("terminal-output"));
  auto none = [](HostCall& c) -> Status {
    c.results.push_back(Val::none());
    return {};
  };
  define(registry.add("wasi:cli/terminal-stdin"), "get-terminal-stdin",
         ty::func({}, {ty::option(ty::own(terminal_input))}), none);
  define(registry.add("wasi:cli/terminal-stdout"), "get-terminal-stdout",
         ty::func({}, {ty::option(ty::own(terminal_output))}), none);
  define(registry.add("wasi:cli/terminal-stderr"), "get-terminal-stderr",
         ty::func({}, {ty::option(ty::own(terminal_output))}), none);
}

std::optional<int> exit_code(const InstanceState& instance) {
  const CliState* s = instance.find<CliState>();
  if (s != nullptr && s->exit_code) return s->exit_code;
  return detail::preview1_exit_code(instance);
}

void register_wasi(component::HostRegistry& registry) {
  register_io(registry);
  register_clocks(registry);
  register_random(registry);
  register_cli(registry);
  register_filesystem(registry);
  register_sockets(registry);
  register_preview1(registry);
}

}  // namespace lepton::wasi2
