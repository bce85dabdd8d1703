#include "engine/guest_task.h"

#include <wasmtime/async.h>

#include "engine/engine.h"
#include "engine/guest_call.h"
#include "engine/wasmtime_ext.h"

namespace lepton::engine {

namespace {

// The store's epoch callback while a task runs: yield every tick, stop past the deadline.
wasmtime_error_t* on_epoch(wasmtime_context_t* context, void* /*env*/, uint64_t* delta,
                           wasmtime_update_deadline_kind_t* kind) {
  GuestTask* task = StoreData::of(context).task();
  if (task == nullptr || task->on_epoch_tick() == GuestTask::Tick::kStop) {
    std::string message = task != nullptr ? task->stop_message() : std::string(kDeadlineMessage);
    return wasmtime_error_new(message.c_str());
  }
  *delta = 1;
  *kind = WASMTIME_UPDATE_DEADLINE_YIELD;
  return nullptr;
}

}  // namespace

GuestTask::GuestTask(Store& store, Scheduler& scheduler, Body body, Done done, Options options)
    : store_(store),
      scheduler_(scheduler),
      body_(std::move(body)),
      done_(std::move(done)),
      options_(options) {}

std::shared_ptr<GuestTask> GuestTask::spawn(Store& store, Scheduler& scheduler, Body body,
                                            Done done, Options options) {
  std::shared_ptr<GuestTask> task(
      new GuestTask(store, scheduler, std::move(body), std::move(done), options));
  wasmtime_context_t* cx = store.context();
  store.data().set_task(task.get());
  wasmtime_store_epoch_deadline_callback(store.raw(), on_epoch, nullptr, nullptr);
  wasmtime_context_set_epoch_deadline(cx, 1);
  wasmtime_func_new_unchecked(cx, store.engine().empty_functype(), &GuestTask::run_body, task.get(),
                              nullptr, &task->run_func_);
  task->self_ = task;
  task->future_ = wasmtime_func_call_async(cx, &task->run_func_, nullptr, 0, nullptr, 0,
                                           &task->trap_, &task->error_);
  if (options.deadline) {
    std::weak_ptr<GuestTask> weak = task;
    scheduler.post_at(*options.deadline, [weak] {
      if (auto t = weak.lock()) {
        t->timed_out_.store(true);
        t->cancel("timeout");
      }
    });
  }
  task->poll();
  return task;
}

GuestTask::~GuestTask() {
  // Dropping an unfinished call future cancels its fiber: host code waiting on it sees an error
  // and unwinds before this returns.
  if (future_ != nullptr) wasmtime_call_future_delete(future_);
  if (trap_ != nullptr) wasm_trap_delete(trap_);
  if (error_ != nullptr) wasmtime_error_delete(error_);
  if (store_.data().task() == this) store_.data().set_task(nullptr);
}

wasm_trap_t* GuestTask::run_body(void* env, wasmtime_caller_t*, wasmtime_val_raw_t*, size_t) {
  auto* task = static_cast<GuestTask*>(env);
  task->body_status_ = task->body_();
  return nullptr;
}

void GuestTask::cancel(std::string why) {
  {
    std::lock_guard lock(reason_mu_);
    if (reason_.empty()) reason_ = std::move(why);
  }
  cancelled_.store(true, std::memory_order_release);
  wake();
}

std::string GuestTask::stop_reason() const {
  std::lock_guard lock(reason_mu_);
  return reason_;
}

std::string GuestTask::stop_message() const { return stop_error().message; }

Error GuestTask::stop_error() const {
  // Named so that is_interrupt() recognises it wherever it ends up (a trap, a host error).
  if (timed_out_.load()) return fail("{} (the request timed out)", kDeadlineMessage);
  return fail("{} (the request was cancelled: {})", kDeadlineMessage, stop_reason());
}

GuestTask::Tick GuestTask::on_epoch_tick() {
  if (stopping()) return Tick::kStop;
  if (options_.deadline && SteadyClock::now() >= *options_.deadline) {
    timed_out_.store(true);
    cancelled_.store(true);
    return Tick::kStop;
  }
  return Tick::kYield;
}

Status GuestTask::suspend_until(const std::function<bool()>& ready, std::optional<SteadyTime> until,
                                bool stoppable) {
  for (;;) {
    if (ready()) return {};
    SteadyTime now = SteadyClock::now();
    if (stoppable && stopping()) return stop_error();
    if (stoppable && options_.deadline && now >= *options_.deadline) {
      timed_out_.store(true);
      return stop_error();
    }
    if (until && now >= *until) return {};
    if (until) {
      std::weak_ptr<GuestTask> weak = weak_from_this();
      scheduler_.post_at(*until, [weak] {
        if (auto t = weak.lock()) t->wake();
      });
    }
    wasmtime_context_t* cx = store_.context();
    if (!have_suspend_func_) {
      lepton_suspend_func_new(cx, &suspend_func_);
      have_suspend_func_ = true;
    }
    waiting_ = true;
    wasm_trap_t* trap = nullptr;
    wasmtime_error_t* error = wasmtime_func_call_unchecked(cx, &suspend_func_, nullptr, 0, &trap);
    waiting_ = false;
    if (error != nullptr) return take_error(error);
    if (trap != nullptr) return take_trap(trap);
  }
}

void GuestTask::wake() {
  wake_pending_.store(true, std::memory_order_seq_cst);
  State expected = State::kWaiting;
  if (state_.compare_exchange_strong(expected, State::kScheduled)) schedule();
}

void GuestTask::schedule() {
  scheduler_.post([self = shared_from_this()] { self->poll(); });
}

void GuestTask::poll() {
  state_.store(State::kRunning);
  wake_pending_.store(false, std::memory_order_seq_cst);
  bool done;
  {
    CurrentScope scope(this);
    done = wasmtime_call_future_poll(future_);
  }
  if (done) return finish();
  if (!waiting_) {
    // An epoch yield: let the other tasks run, then continue.
    state_.store(State::kScheduled);
    return schedule();
  }
  state_.store(State::kWaiting, std::memory_order_seq_cst);
  if (wake_pending_.load(std::memory_order_seq_cst)) {
    State expected = State::kWaiting;
    if (state_.compare_exchange_strong(expected, State::kScheduled)) schedule();
  }
}

void GuestTask::finish() {
  wasmtime_call_future_delete(future_);
  future_ = nullptr;
  state_.store(State::kDone);
  Status status = std::move(body_status_);
  if (trap_ != nullptr) {
    wasmtime_trap_code_t code;
    bool interrupted = wasmtime_trap_code(trap_, &code) && code == WASMTIME_TRAP_CODE_INTERRUPT;
    Error e = take_trap(trap_);
    trap_ = nullptr;
    if (interrupted || timed_out_.load()) e.message = "interrupt (" + e.message + ")";
    status = std::move(e);
  } else if (error_ != nullptr) {
    Error e = take_error(error_);
    error_ = nullptr;
    if (timed_out_.load() && !e.message.starts_with("interrupt"))
      e.message = "interrupt (" + e.message + ")";
    status = std::move(e);
  } else if (!status.ok() && timed_out_.load() &&
             !status.error().message.starts_with("interrupt")) {
    status = Error{"interrupt (" + status.error().message + ")"};
  }
  store_.data().set_task(nullptr);
  Done done = std::move(done_);
  std::shared_ptr<GuestTask> self = std::move(self_);  // this lives until the end of the scope
  if (done) done(std::move(status));
}

// ---- run_blocking --------------------------------------------------------------------------

void LoopScheduler::post(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    ready_.push_back(std::move(fn));
  }
  cv_.notify_one();
}

void LoopScheduler::post_at(SteadyTime when, std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    timers_.emplace(when, std::move(fn));
  }
  cv_.notify_one();
}

void LoopScheduler::run_until(const std::function<bool()>& done) {
  std::unique_lock lock(mu_);
  while (!done()) {
    std::function<void()> fn;
    // Due timers first: a task that keeps yielding must not starve them.
    if (!timers_.empty() && timers_.begin()->first <= SteadyClock::now()) {
      fn = std::move(timers_.begin()->second);
      timers_.erase(timers_.begin());
    } else if (!ready_.empty()) {
      fn = std::move(ready_.front());
      ready_.pop_front();
    } else {
      if (timers_.empty())
        cv_.wait(lock);
      else
        cv_.wait_until(lock, timers_.begin()->first);
      continue;
    }
    lock.unlock();
    fn();
    lock.lock();
  }
}

Status run_blocking(Store& store, GuestTask::Body body, GuestTask::Options options) {
  LoopScheduler loop;
  std::optional<Status> result;
  std::shared_ptr<GuestTask> task;
  loop.post([&] {
    task = GuestTask::spawn(
        store, loop, std::move(body), [&](Status s) { result = std::move(s); }, options);
  });
  loop.run_until([&] { return result.has_value(); });
  task.reset();
  return std::move(*result);
}

}  // namespace lepton::engine
