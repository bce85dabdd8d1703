// Guest code that suspends instead of holding a thread. A GuestTask runs a body of host code
// (typically: call the guest's export, then collect what it produced) as a Wasmtime async call on
// a fiber of the request's store. Whenever the guest, or host code it called, waits (for a
// socket, a timer, a body chunk), the fiber is suspended and the thread returns to the event
// loop; the task is polled again when what it waits for calls wake(). A guest that computes for
// longer than one epoch tick (10 ms) yields too, so a busy guest cannot starve the others.
//
// Deadlines and cancellation: past Options::deadline, or after cancel(), every wait of the body
// fails with an Error and a running guest traps at its next epoch tick; the body then unwinds and
// `done` gets the Error.
//
// Threads: a task is polled by its Scheduler, never by two threads at once; the host code of its
// body runs inside those polls (Suspendable::current() is the task there). wake() and cancel()
// may be called from any thread. `done` runs on the scheduler, once.
//
// Instantiate before spawning: the store is marked as needing async entry points once a task has
// suspended in it, and instantiation in it is then refused.
#pragma once

#include <wasmtime.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/result.h"
#include "common/suspend.h"
#include "engine/store.h"

namespace lepton::engine {

using lepton::Scheduler;

class GuestTask final : public Suspendable, public std::enable_shared_from_this<GuestTask> {
 public:
  struct Options {
    std::optional<SteadyTime> deadline;
  };
  using Body = std::function<Status()>;
  using Done = std::function<void(Status)>;

  // Starts `body` on a fiber of `store` and polls it once now (on the calling thread, which
  // must be one of the scheduler's); `done` may have run when this returns. The task keeps
  // itself, `body` and `done` alive until it is done, so these may own the store. A task that
  // never finishes (its loop stopped) is destroyed with its loop's queue; an unfinished task's
  // fiber is then cancelled, its waits failing.
  static std::shared_ptr<GuestTask> spawn(Store& store, Scheduler& scheduler, Body body, Done done,
                                          Options options);
  ~GuestTask() override;
  GuestTask(const GuestTask&) = delete;
  GuestTask& operator=(const GuestTask&) = delete;

  // Fails the task's waits with `why` and stops its guest at the next epoch tick. Thread safe.
  void cancel(std::string why);
  bool finished() const { return state_.load() == State::kDone; }
  // Why the task stopped early: "timeout", a cancel() reason, or empty.
  std::string stop_reason() const;
  bool timed_out() const { return timed_out_.load(); }
  // The message a stopped task's waits and guest fail with (names the deadline or the cancel).
  std::string stop_message() const;

  // Suspendable (called from the body's host code, on this task's fiber).
  using Suspendable::suspend_until;
  Status suspend_until(const std::function<bool()>& ready, std::optional<SteadyTime> until,
                       bool stoppable) override;
  void wake() override;
  std::optional<SteadyTime> deadline() const override { return options_.deadline; }

  // Called from the store's epoch callback (store.cc): what a guest running on this task does at
  // an epoch tick — yield, or trap once the task is past its deadline or cancelled.
  enum class Tick { kYield, kStop };
  Tick on_epoch_tick();

 private:
  enum class State : uint8_t { kRunning, kWaiting, kScheduled, kDone };
  GuestTask(Store& store, Scheduler& scheduler, Body body, Done done, Options options);
  static wasm_trap_t* run_body(void* env, wasmtime_caller_t* caller, wasmtime_val_raw_t* args,
                               size_t nargs);
  void schedule();  // posts poll()
  void poll();
  void finish();
  bool stopping() const { return cancelled_.load(std::memory_order_acquire); }
  Error stop_error() const;

  Store& store_;
  Scheduler& scheduler_;
  Body body_;
  Done done_;
  Options options_;

  wasmtime_func_t run_func_{};
  wasmtime_func_t suspend_func_{};
  bool have_suspend_func_ = false;
  wasmtime_call_future_t* future_ = nullptr;
  wasm_trap_t* trap_ = nullptr;
  wasmtime_error_t* error_ = nullptr;
  Status body_status_;

  std::atomic<State> state_{State::kRunning};
  std::atomic<bool> wake_pending_{false};
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> timed_out_{false};
  mutable std::mutex reason_mu_;
  std::string reason_;
  bool waiting_ = false;  // suspended in suspend_until (else: an epoch yield)
  // A task keeps itself alive until it is done: what wakes it holds only raw or weak pointers.
  std::shared_ptr<GuestTask> self_;
};

// A loop run by the thread that calls run_until(): posted work in order, timers by time. Posting
// is thread safe.
class LoopScheduler final : public Scheduler {
 public:
  void post(std::function<void()> fn) override;
  void post_at(SteadyTime when, std::function<void()> fn) override;
  // Runs posted work and due timers until `done()` (checked between them) is true.
  void run_until(const std::function<bool()>& done);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> ready_;
  std::multimap<SteadyTime, std::function<void()>> timers_;
};

// Runs `body` as a task on a private loop on the calling thread until it is done: the same code
// paths as under the server, for tests, tools and the few host-side calls that are not on an
// event loop. The thread blocks for the whole run.
Status run_blocking(Store& store, GuestTask::Body body, GuestTask::Options options = {});

}  // namespace lepton::engine
