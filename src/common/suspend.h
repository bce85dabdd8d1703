// Waiting without holding a thread. Host code written as straight-line "wait for X" runs either
// on a guest task's fiber (engine/guest_task.h: the guest and the host function that called the
// wait are suspended and the thread goes back to the event loop) or on an ordinary thread (a
// test, a tool, the host's own start-up requests), where the same call blocks that thread. The
// code that waits does not need to know which.
//
// Threads: current() is per thread (the task being polled on it). wake() may be called from any
// thread. A Suspendable is alive for as long as code runs on it, so the code that waits may hand a
// raw pointer to whatever wakes it, provided it unregisters before returning.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "common/result.h"

namespace lepton {

using SteadyClock = std::chrono::steady_clock;
using SteadyTime = SteadyClock::time_point;

// An event loop that runs posted work and timers: Asio in the server (http/), a simple loop in
// engine::run_blocking(). Guest tasks are polled on one.
class Scheduler {
 public:
  virtual ~Scheduler() = default;
  // Runs `fn` soon on the loop. Thread safe.
  virtual void post(std::function<void()> fn) = 0;
  // Runs `fn` on the loop at (or soon after) `when`. Thread safe. There is no cancel: callbacks
  // given here look at what they act on through a weak pointer.
  virtual void post_at(SteadyTime when, std::function<void()> fn) = 0;
};

class Suspendable {
 public:
  virtual ~Suspendable() = default;

  // The task running on this thread, or null (plain thread).
  static Suspendable* current();

  // Suspends until ready() is true, `until` passes (returns ok: the caller looks again), or the
  // task is cancelled or past its deadline (an Error naming why; with `stoppable` false, neither
  // ends the wait: for work that must finish because it holds references into the task).
  // ready() is evaluated on the task's thread after every wake(); it must be cheap and must not
  // wait.
  virtual Status suspend_until(const std::function<bool()>& ready, std::optional<SteadyTime> until,
                               bool stoppable) = 0;
  Status suspend_until(const std::function<bool()>& ready, std::optional<SteadyTime> until) {
    return suspend_until(ready, until, true);
  }
  // Asks for ready() to be evaluated again soon. Thread safe; harmless when nothing waits.
  virtual void wake() = 0;
  // The instant after which this task's waits fail (its request deadline), if any.
  virtual std::optional<SteadyTime> deadline() const = 0;

 protected:
  // Installs `s` as current() for the scope of a poll (restores the previous one).
  class CurrentScope {
   public:
    explicit CurrentScope(Suspendable* s);
    ~CurrentScope();
    CurrentScope(const CurrentScope&) = delete;
    CurrentScope& operator=(const CurrentScope&) = delete;

   private:
    Suspendable* previous_;
  };
};

// The outcome of an asynchronous operation, delivered once from any thread, and waited for by the
// code that started it (suspending its task, or blocking a plain thread). If the waiter gives up
// (its deadline passed, its task was cancelled) the late result is dropped.
template <typename T>
class Completion {
 public:
  Completion() : s_(std::make_shared<Shared>()) {}

  // The callback to hand to the operation. Copyable; only the first call counts.
  std::function<void(Result<T>)> callback() const {
    return [s = s_](Result<T> r) {
      Suspendable* task;
      {
        std::lock_guard lock(s->mu);
        if (s->value) return;
        s->value.emplace(std::move(r));
        task = s->task;
      }
      s->cv.notify_all();
      if (task != nullptr) task->wake();
    };
  }

  // Waits for the result, at most until `until` (and the task's own deadline). A wait that ends
  // without a result is an Error naming `what`.
  Result<T> wait(std::string_view what, std::optional<SteadyTime> until = {}) {
    Suspendable* task = Suspendable::current();
    if (task != nullptr) {
      {
        std::lock_guard lock(s_->mu);
        s_->task = task;
      }
      struct Unregister {
        Shared& s;
        ~Unregister() {
          std::lock_guard lock(s.mu);
          s.task = nullptr;
        }
      } unregister{*s_};
      for (;;) {
        Status st = task->suspend_until(
            [this] {
              std::lock_guard lock(s_->mu);
              return s_->value.has_value();
            },
            until);
        if (!st.ok()) return std::move(st).error().context(what);
        std::lock_guard lock(s_->mu);
        if (s_->value) return std::move(*s_->value);
        if (until && SteadyClock::now() >= *until) return fail("{}: timed out", what);
      }
    }
    std::unique_lock lock(s_->mu);
    if (until) {
      if (!s_->cv.wait_until(lock, *until, [&] { return s_->value.has_value(); }))
        return fail("{}: timed out", what);
    } else {
      s_->cv.wait(lock, [&] { return s_->value.has_value(); });
    }
    return std::move(*s_->value);
  }

 private:
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<Result<T>> value;
    Suspendable* task = nullptr;  // set while a task waits
  };
  std::shared_ptr<Shared> s_;
};

// Runs `work`, which may block (a database client's synchronous call), without blocking a task's
// thread: on a guest task it runs on a bounded pool of worker threads while the task waits
// suspended, until it is done (even past the task's deadline: `work` may hold references into the
// task); elsewhere it runs inline.
void run_off_loop(const std::function<void()>& work);

// run_off_loop for work that returns a value: `auto rows = off_loop([&] { return db.query(q); });`
template <typename F>
auto off_loop(F&& work) {
  std::optional<decltype(work())> result;
  run_off_loop([&] { result.emplace(work()); });
  return std::move(*result);
}

}  // namespace lepton
