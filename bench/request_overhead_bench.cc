// Per-request host overhead of the Spin 1 ABI executor for the C hello guest
// (examples/hello-c/hello.c, built by CMake as guests/bench_hello.wasm), measured through
// lepton's real path: AppRuntime (engine, linker, pre-linked instance template) → HttpTrigger →
// Spin1HttpExecutor. No sockets: the HTTP server's cost is what bench/http_load.sh adds on top.
//
// Breakdown, each including its own teardown, each with the pooling allocator on and off:
//   BM_StoreCreate      wasmtime store + epoch deadline, dropped
//   BM_Instantiate      + instantiate the pre-linked template (no WASI state, no _initialize)
//   BM_RequestInstance  + WASI/host state registered in the store + wasi-libc _initialize
//   BM_ExecutorHandle   + lower the request, call handle-http-request, lift the response
//   BM_TriggerHandle    + routing and spin-* headers: what the server's handler pool calls
//
// Run: build/bench/request_overhead_bench [--benchmark_min_time=2] [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "app/app.h"
#include "engine/store.h"
#include "executors/component_host.h"
#include "executors/http_executor.h"
#include "executors/request_instance.h"
#include "http/message.h"
#include "http/router.h"
#include "http/spin_headers.h"
#include "triggers/app_runtime.h"
#include "triggers/http_trigger.h"

namespace {

using namespace lepton;

constexpr const char* kComponent = "hello";
constexpr std::string_view kExpectedBody = "Hello from lepton! You asked for /hi\n";

// What curl sends to `lepton up` on 127.0.0.1:3000, as the server hands it to the trigger.
http::Request hello_request() {
  http::Request r;
  r.method = "GET";
  r.target = "/hi";
  r.path = "/hi";
  r.headers = {{"host", "127.0.0.1:3000"}, {"user-agent", "curl/7.88.1"}, {"accept", "*/*"}};
  r.client_addr = "127.0.0.1:50000";
  r.host = "127.0.0.1:3000";
  r.scheme = "http";
  r.local_addr = "127.0.0.1:3000";
  return r;
}

app::App hello_app(std::filesystem::path wasm = LEPTON_BENCH_HELLO_WASM) {
  app::App a;
  a.dir = wasm.parent_path();
  a.manifest_path = a.dir / "spin.toml";  // never read: the app is built here, in code
  a.name = "bench-hello";
  a.version = "0.1.0";
  app::Component c;
  c.id = kComponent;
  c.source = wasm;
  a.components.emplace(c.id, std::move(c));
  a.http_triggers.push_back(app::HttpTrigger{.route = "/...", .component = kComponent});
  return a;
}

// One loaded app per allocator setting, as `lepton up [--disable-pooling]` would load it
// (defaults: no timeout, no memory limit, quiet stdout so the guest's printf costs no terminal
// write).
struct Setup {
  std::unique_ptr<triggers::AppRuntime> runtime;
  std::unique_ptr<triggers::HttpTrigger> trigger;
  std::unique_ptr<executors::HttpExecutor> executor;
  const executors::ComponentHost* component = nullptr;
  http::Request request = hello_request();
  std::optional<http::RouteMatch> match;
  std::vector<http::Header> spin_headers;
  std::string error;

  executors::HttpCall call() const { return {request, *match, spin_headers}; }
};

// The C wasi:http hello component (tests/guests/components/hello.c, built by the test build),
// through the same path with the wasi:http executor: component instance from the linked plan,
// incoming-request and response-outparam, `handle`, the response the guest set. Pooling on.
constexpr std::string_view kComponentBody = "Hello from a C component";

struct ComponentSetup {
  std::unique_ptr<triggers::AppRuntime> runtime;
  std::unique_ptr<triggers::HttpTrigger> trigger;
  std::unique_ptr<executors::HttpExecutor> executor;
  http::Request request = hello_request();
  std::optional<http::RouteMatch> match;
  std::vector<http::Header> spin_headers;
  std::string error;
};

ComponentSetup* component_setup(benchmark::State& state) {
  static std::mutex mutex;
  static std::unique_ptr<ComponentSetup> setup;
  std::lock_guard lock(mutex);
  if (!setup) {
    setup = std::make_unique<ComponentSetup>();
    ComponentSetup& s = *setup;
    std::filesystem::path wasm = LEPTON_BENCH_COMPONENT_WASM;
    triggers::RuntimeOptions options;
    options.engine.cache = false;
    options.components.echo_output = false;
    auto runtime = std::filesystem::exists(wasm)
                       ? triggers::AppRuntime::load(hello_app(wasm), options)
                       : Result<std::unique_ptr<triggers::AppRuntime>>(Error{
                             fmt::format("{} not built (build the tests first)", wasm.string())});
    if (!runtime) {
      s.error = runtime.error().message;
    } else {
      s.runtime = std::move(*runtime);
      auto trigger = triggers::HttpTrigger::create(*s.runtime);
      auto executor = executors::make_http_executor(*s.runtime->component(kComponent),
                                                    s.runtime->app().http_triggers[0]);
      if (!trigger || !executor) {
        s.error = !trigger ? trigger.error().message : executor.error().message;
      } else {
        s.trigger = std::move(*trigger);
        s.executor = std::move(*executor);
        s.match = s.trigger->router().match(s.request.path);
        http::Response r = s.trigger->handle(s.request);
        if (r.status != 200 || r.body != kComponentBody)
          s.error = fmt::format("unexpected response {} '{}'", r.status, r.body);
      }
    }
  }
  if (!setup->error.empty()) {
    state.SkipWithError(setup->error.c_str());
    return nullptr;
  }
  return setup.get();
}

// mode 0: --disable-pooling; 1: pooling, slots reset with memset over the keep-resident region;
// 2: pooling, slots reset by PAGEMAP_SCAN (only resident pages).
Setup& setup(int64_t mode) {
  static std::mutex mutex;  // the Threads(2) variants ask from both threads at once
  static std::map<int64_t, std::unique_ptr<Setup>> setups;
  std::lock_guard lock(mutex);
  auto& slot = setups[mode];
  if (slot) return *slot;
  slot = std::make_unique<Setup>();
  Setup& s = *slot;
  triggers::RuntimeOptions options;
  options.engine.pooling = mode != 0;
  if (mode != 0) options.engine.pagemap_scan = mode == 2;
  options.engine.cache = false;
  options.components.echo_output = false;
  auto runtime = triggers::AppRuntime::load(hello_app(), options);
  if (!runtime) return s.error = runtime.error().message, s;
  s.runtime = std::move(*runtime);
  auto trigger = triggers::HttpTrigger::create(*s.runtime);
  if (!trigger) return s.error = trigger.error().message, s;
  s.trigger = std::move(*trigger);
  s.component = s.runtime->component(kComponent);
  auto executor = executors::make_http_executor(*s.component, s.runtime->app().http_triggers[0]);
  if (!executor) return s.error = executor.error().message, s;
  s.executor = std::move(*executor);
  s.match = s.trigger->router().match(s.request.path);
  http::SpinRequestFacts facts{.scheme = s.request.scheme,
                               .host = s.request.header("host"),
                               .path_and_query = s.request.target,
                               .client_addr = s.request.client_addr};
  for (auto& [k, v] : http::spin_headers(*s.match, facts))
    s.spin_headers.push_back({std::move(k), std::move(v)});
  // The measured path must really serve the page.
  http::Response r = s.trigger->handle(s.request);
  if (r.status != 200 || r.body != kExpectedBody)
    s.error = fmt::format("unexpected response {} '{}'", r.status, r.body);
  return s;
}

Setup* ready(benchmark::State& state) {
  Setup& s = setup(state.range(0));
  if (!s.error.empty()) {
    state.SkipWithError(s.error.c_str());
    return nullptr;
  }
  return &s;
}

long minor_faults() {
  struct rusage usage{};
  ::getrusage(RUSAGE_THREAD, &usage);
  return usage.ru_minflt;
}

// Per-request counters: items_per_second, and page faults taken by this thread (deterministic,
// unlike time on a shared 2-core VM: each fault is a trip through the kernel).
class Counters {
 public:
  explicit Counters(benchmark::State& state) : state_(state), faults_(minor_faults()) {}
  ~Counters() {
    state_.SetItemsProcessed(static_cast<int64_t>(state_.iterations()));
    state_.counters["faults"] = benchmark::Counter(static_cast<double>(minor_faults() - faults_),
                                                   benchmark::Counter::kAvgIterations);
  }

 private:
  benchmark::State& state_;
  long faults_;
};

void BM_StoreCreate(benchmark::State& state) {
  Setup* s = ready(state);
  if (s == nullptr) return;
  Counters counters(state);
  for (auto _ : state) {
    engine::Store store(s->component->engine(), s->component->limits());
    benchmark::DoNotOptimize(store.context());
  }
}

void BM_Instantiate(benchmark::State& state) {
  Setup* s = ready(state);
  if (s == nullptr) return;
  Counters counters(state);
  for (auto _ : state) {
    engine::Store store(s->component->engine(), s->component->limits());
    auto instance = s->component->instantiate(store);
    if (!instance) {
      state.SkipWithError(instance.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(*instance);
  }
}

void BM_RequestInstance(benchmark::State& state) {
  Setup* s = ready(state);
  if (s == nullptr) return;
  Counters counters(state);
  for (auto _ : state) {
    auto instance = executors::RequestInstance::create(
        *s->component, executors::base_wasi_config(*s->component), "http://127.0.0.1:3000");
    if (!instance) {
      state.SkipWithError(instance.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(instance->get());
  }
}

// The measured loop of the serving benchmarks: every iteration must really answer 200.
template <typename Handle>
void serve(benchmark::State& state, Handle handle) {
  for (auto _ : state) {
    http::Response r = handle();
    if (r.status != 200) {
      state.SkipWithError("guest did not answer 200");
      break;
    }
    benchmark::DoNotOptimize(r.body.data());
  }
}

void BM_ExecutorHandle(benchmark::State& state) {
  Setup* s = ready(state);
  if (s == nullptr) return;
  Counters counters(state);
  executors::HttpCall call = s->call();
  serve(state, [&] { return s->executor->handle(call); });
}

void BM_TriggerHandle(benchmark::State& state) {
  Setup* s = ready(state);
  if (s == nullptr) return;
  Counters counters(state);
  serve(state, [&] { return s->trigger->handle(s->request); });
}

void BM_ComponentTriggerHandle(benchmark::State& state) {
  ComponentSetup* s = component_setup(state);
  if (s == nullptr) return;
  Counters counters(state);
  serve(state, [&] { return s->trigger->handle(s->request); });
}

void pooling_args(benchmark::internal::Benchmark* b) {
  b->ArgName("pooling")->Arg(2)->Arg(1)->Arg(0);
}

BENCHMARK(BM_ComponentTriggerHandle);
BENCHMARK(BM_StoreCreate)->Apply(pooling_args);
BENCHMARK(BM_Instantiate)->Apply(pooling_args);
BENCHMARK(BM_RequestInstance)->Apply(pooling_args);
BENCHMARK(BM_ExecutorHandle)->Apply(pooling_args);
BENCHMARK(BM_TriggerHandle)->Apply(pooling_args);
// Both cores serving at once (the server runs handlers on a pool): shows contention in the
// engine (pooling slots, epoch, allocator) rather than per-request cost. Real time per request.
BENCHMARK(BM_TriggerHandle)->Apply(pooling_args)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
