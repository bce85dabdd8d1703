#include "common/suspend.h"

#include <deque>
#include <thread>
#include <vector>

namespace lepton {

namespace {
thread_local Suspendable* current_task = nullptr;
}

Suspendable* Suspendable::current() { return current_task; }

Suspendable::CurrentScope::CurrentScope(Suspendable* s) : previous_(current_task) {
  current_task = s;
}

Suspendable::CurrentScope::~CurrentScope() { current_task = previous_; }

namespace {

// Worker threads for blocking work, started on first use and kept for the process.
class WorkerPool {
 public:
  static constexpr size_t kThreads = 16;
  void post(std::function<void()> fn) {
    std::lock_guard lock(mu_);
    if (threads_.empty())
      for (size_t i = 0; i < kThreads; ++i) threads_.emplace_back([this] { loop(); }).detach();
    queue_.push_back(std::move(fn));
    cv_.notify_one();
  }

 private:
  void loop() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !queue_.empty(); });
        fn = std::move(queue_.front());
        queue_.pop_front();
      }
      fn();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
};

WorkerPool& worker_pool() {
  static auto* pool = new WorkerPool();  // never destroyed: detached workers may still run
  return *pool;
}

}  // namespace

void run_off_loop(const std::function<void()>& work) {
  Suspendable* task = Suspendable::current();
  if (task == nullptr) return work();
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
  };
  auto state = std::make_shared<State>();
  worker_pool().post([state, task, &work] {
    work();
    std::lock_guard lock(state->mu);
    state->done = true;
    state->cv.notify_all();
    task->wake();
  });
  for (;;) {
    Status s = task->suspend_until(
        [&] {
          std::lock_guard lock(state->mu);
          return state->done;
        },
        std::nullopt, /*stoppable=*/false);
    std::unique_lock lock(state->mu);
    if (state->done) return;
    if (!s.ok()) {
      // The task's fiber is being torn down (its loop stopped): it cannot wait any more, and
      // `work` still holds references into it.
      state->cv.wait(lock, [&] { return state->done; });
      return;
    }
  }
}

}  // namespace lepton
