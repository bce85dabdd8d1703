// Guest tasks (engine/guest_task.h): guests that wait are suspended instead of holding a thread,
// busy guests yield, deadlines and cancellation stop both kinds. Everything here runs on ONE
// thread's loop, so a test that finishes proves nothing was parked on a thread.
#include "engine/guest_task.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "engine/engine.h"
#include "engine/guest_call.h"
#include "engine/module.h"
#include "support/test_engine.h"

namespace lepton::engine {
namespace {

using namespace std::chrono_literals;

using lepton::testing::wat2wasm;

// `run` calls the host's `wait` import; `spin` loops forever.
constexpr std::string_view kGuest = R"((module
  (import "env" "wait" (func $wait (param i32) (result i32)))
  (func (export "run") (param i32) (result i32) (call $wait (local.get 0)))
  (func (export "spin") (loop $l (br $l))))
)";

// What the host's `wait` import does: waits for a completion delivered by another thread after
// `ms` milliseconds, and returns ms + 1.
struct Waits {
  std::atomic<int> suspended{0};
  std::atomic<int> peak{0};
};

wasm_trap_t* wait_import(void* env, wasmtime_caller_t*, wasmtime_val_raw_t* args, size_t) {
  auto* waits = static_cast<Waits*>(env);
  int ms = args[0].i32;
  Completion<int> done;
  std::thread([cb = done.callback(), ms] {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    cb(ms + 1);
  }).detach();
  int now = ++waits->suspended;
  int p = waits->peak.load();
  while (now > p && !waits->peak.compare_exchange_weak(p, now)) {
  }
  auto r = done.wait("test wait");
  --waits->suspended;
  if (!r) {
    std::string m = r.error().message;
    return wasmtime_trap_new(m.data(), m.size());
  }
  args[0].i32 = *r;
  return nullptr;
}

class GuestTaskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions options;
    options.cache = false;
    options.max_instances = 300;
    options.max_instance_memory = 1 << 20;
    auto engine = Engine::create(options);
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    engine_ = std::move(*engine);
    std::string wasm = wat2wasm(kGuest);
    auto module = load_module(
        *engine_, {reinterpret_cast<const uint8_t*>(wasm.data()), wasm.size()}, "guest");
    ASSERT_TRUE(module.ok()) << module.error().message;
    module_ = std::move(module->module);
    linker_ = wasmtime_linker_new(engine_->raw());
    wasm_valtype_vec_t params, results;
    wasm_valtype_t* p[1] = {wasm_valtype_new(WASM_I32)};
    wasm_valtype_t* r[1] = {wasm_valtype_new(WASM_I32)};
    wasm_valtype_vec_new(&params, 1, p);
    wasm_valtype_vec_new(&results, 1, r);
    wasm_functype_t* type = wasm_functype_new(&params, &results);
    ASSERT_EQ(wasmtime_linker_define_func_unchecked(linker_, "env", 3, "wait", 4, type, wait_import,
                                                    &waits_, nullptr),
              nullptr);
    wasm_functype_delete(type);
  }
  void TearDown() override {
    if (linker_ != nullptr) wasmtime_linker_delete(linker_);
  }

  // A store with an instance of the guest, instantiated before any task (as executors do).
  struct Instance {
    std::unique_ptr<Store> store;
    wasmtime_instance_t instance;
  };
  Instance instantiate(StoreLimits limits = {}) {
    Instance i{std::make_unique<Store>(*engine_, limits), {}};
    wasm_trap_t* trap = nullptr;
    wasmtime_error_t* error =
        wasmtime_linker_instantiate(linker_, i.store->context(), module_.get(), &i.instance, &trap);
    EXPECT_EQ(error, nullptr);
    EXPECT_EQ(trap, nullptr);
    return i;
  }
  Result<uint32_t> call(Instance& i, std::string_view name, std::initializer_list<uint32_t> args) {
    LEPTON_TRY(auto f, export_func(i.store->context(), i.instance, name));
    uint32_t out = 0;
    LEPTON_CHECK(call_i32(i.store->context(), f, args, std::span(&out, name == "spin" ? 0 : 1)));
    return out;
  }

  std::unique_ptr<Engine> engine_;
  Module module_;
  wasmtime_linker_t* linker_ = nullptr;
  Waits waits_;
};

TEST_F(GuestTaskTest, WaitingGuestsShareOneThread) {
  // 200 guests each wait 200 ms on a backend: on one thread, all of them are suspended at once.
  LoopScheduler loop;
  constexpr int kTasks = 200;
  std::vector<Instance> instances;
  for (int i = 0; i < kTasks; ++i) instances.push_back(instantiate());
  int finished = 0;
  int correct = 0;
  for (auto& inst : instances) {
    loop.post([&] {
      GuestTask::spawn(
          *inst.store, loop,
          [&]() -> Status {
            LEPTON_TRY(uint32_t r, call(inst, "run", {200}));
            if (r == 201) ++correct;
            return {};
          },
          [&](Status s) {
            EXPECT_TRUE(s.ok()) << s.error().message;
            ++finished;
          },
          {});
    });
  }
  loop.run_until([&] { return finished == kTasks; });
  EXPECT_EQ(correct, kTasks);
  EXPECT_EQ(waits_.peak.load(), kTasks);  // every guest was suspended at the same time
}

TEST_F(GuestTaskTest, RunawayGuestYieldsToOthersAndStopsAtItsDeadline) {
  LoopScheduler loop;
  Instance spinner = instantiate();
  Instance waiter = instantiate();
  std::optional<Status> spin_status, wait_status;
  bool spinner_running_when_waiter_done = false;
  loop.post([&] {
    GuestTask::spawn(
        *spinner.store, loop,
        [&]() -> Status {
          auto r = call(spinner, "spin", {});
          if (!r) return std::move(r).error();
          return {};
        },
        [&](Status s) { spin_status = std::move(s); }, {SteadyClock::now() + 600ms});
    // Started after the spinner, on the same thread: it still gets to run and finish.
    GuestTask::spawn(
        *waiter.store, loop,
        [&]() -> Status {
          LEPTON_TRY(uint32_t r, call(waiter, "run", {20}));
          EXPECT_EQ(r, 21u);
          return {};
        },
        [&](Status s) {
          wait_status = std::move(s);
          spinner_running_when_waiter_done = !spin_status.has_value();
        },
        {});
  });
  loop.run_until([&] { return spin_status && wait_status; });
  EXPECT_TRUE(wait_status->ok()) << wait_status->error().message;
  EXPECT_TRUE(spinner_running_when_waiter_done);
  ASSERT_FALSE(spin_status->ok());
  EXPECT_TRUE(is_interrupt(spin_status->error())) << spin_status->error().message;
}

TEST_F(GuestTaskTest, CancelStopsAWaitingGuestAndASpinningOne) {
  LoopScheduler loop;
  Instance a = instantiate();
  Instance b = instantiate();
  std::optional<Status> sa, sb;
  std::shared_ptr<GuestTask> ta, tb;
  loop.post([&] {
    ta = GuestTask::spawn(
        *a.store, loop,
        [&]() -> Status {
          auto r = call(a, "run", {60000});
          if (!r) return std::move(r).error();
          return {};
        },
        [&](Status s) { sa = std::move(s); }, {});
    tb = GuestTask::spawn(
        *b.store, loop,
        [&]() -> Status {
          auto r = call(b, "spin", {});
          if (!r) return std::move(r).error();
          return {};
        },
        [&](Status s) { sb = std::move(s); }, {});
    loop.post_at(SteadyClock::now() + 50ms, [&] {
      ta->cancel("client went away");
      tb->cancel("client went away");
    });
  });
  loop.run_until([&] { return sa && sb; });
  EXPECT_FALSE(sa->ok());
  ASSERT_FALSE(sb->ok());
  EXPECT_TRUE(is_interrupt(sb->error())) << sb->error().message;
  EXPECT_TRUE(ta->finished());
  EXPECT_TRUE(tb->finished());
}

TEST_F(GuestTaskTest, DeadlineEndsAWaitWithAnError) {
  Instance i = instantiate();
  auto start = SteadyClock::now();
  std::string message;
  Status s = run_blocking(*i.store,
                          [&]() -> Status {
                            auto r = call(i, "run", {60000});
                            if (!r) message = r.error().message;
                            if (!r) return std::move(r).error();
                            return {};
                          },
                          {SteadyClock::now() + 100ms});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(message.find("timed out"), std::string::npos) << message;
  EXPECT_LT(SteadyClock::now() - start, 30s);  // not the 60 s the backend would take
}

TEST_F(GuestTaskTest, WaitOutsideATaskBlocksTheThread) {
  // The same host code, called with no task (a plain thread): it blocks and still works.
  Instance i = instantiate();
  auto r = call(i, "run", {10});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, 11u);
}

TEST_F(GuestTaskTest, OffLoopWorkRunsOnAnotherThreadWhileTheTaskWaits) {
  LoopScheduler loop;
  Instance i = instantiate();
  std::thread::id loop_thread = std::this_thread::get_id();
  std::thread::id work_thread;
  std::optional<Status> status;
  loop.post([&] {
    GuestTask::spawn(
        *i.store, loop,
        [&]() -> Status {
          run_off_loop([&] {
            work_thread = std::this_thread::get_id();
            std::this_thread::sleep_for(20ms);
          });
          return {};
        },
        [&](Status s) { status = std::move(s); }, {});
  });
  loop.run_until([&] { return status.has_value(); });
  EXPECT_TRUE(status->ok());
  EXPECT_NE(work_thread, loop_thread);
}

}  // namespace
}  // namespace lepton::engine
