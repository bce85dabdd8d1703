// wasi:io objects: waiting on pollables, the generic blocking stream operations, and the memory,
// sink and pipe streams.
#include "wasi2/io.h"

#include <algorithm>

namespace lepton::wasi2 {

// ---- Waiting ---------------------------------------------------------------------------------

void Waiter::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
    if (task_ != nullptr) task_->wake();
  }
  cv_.notify_all();
}

bool Waiter::wait(Deadline until) {
  if (Suspendable* task = Suspendable::current()) {
    // On a guest task: suspend it; the thread serves other requests meanwhile.
    {
      std::lock_guard lock(mu_);
      task_ = task;
    }
    Status s = task->suspend_until(
        [this] {
          std::lock_guard lock(mu_);
          return woken_;
        },
        until);
    std::lock_guard lock(mu_);
    task_ = nullptr;
    woken_ = false;
    return s.ok();
  }
  std::unique_lock lock(mu_);
  if (until) {
    cv_.wait_until(lock, *until, [this] { return woken_; });
  } else {
    cv_.wait(lock, [this] { return woken_; });
  }
  woken_ = false;
  return true;
}

void WakeList::add(Waiter* w) {
  std::lock_guard lock(mu_);
  waiters_.push_back(w);
}

void WakeList::remove(Waiter* w) {
  std::lock_guard lock(mu_);
  std::erase(waiters_, w);
}

void WakeList::wake_all() {
  std::lock_guard lock(mu_);
  for (Waiter* w : waiters_) w->wake();
}

bool Pollable::block(Deadline deadline) {
  Pollable* self = this;
  return !wait_any(std::span<Pollable* const>(&self, 1), deadline).empty();
}

std::vector<uint32_t> wait_any(std::span<Pollable* const> pollables, Deadline deadline) {
  Waiter waiter;
  // Subscribe before the first readiness check, so a change in between still wakes the wait.
  std::vector<WakeList*> lists;
  for (Pollable* p : pollables) {
    WakeList* l = p->wake_list();
    if (l != nullptr && std::ranges::find(lists, l) == lists.end()) {
      l->add(&waiter);
      lists.push_back(l);
    }
  }
  std::vector<uint32_t> ready;
  for (;;) {
    for (uint32_t i = 0; i < pollables.size(); ++i)
      if (pollables[i]->ready()) ready.push_back(i);
    if (!ready.empty()) break;
    Deadline until = deadline;
    for (Pollable* p : pollables) {
      if (auto at = p->ready_at()) until = until ? std::min(*until, *at) : *at;
    }
    if (deadline && Clock::now() >= *deadline) break;
    // Nothing can change while this thread waits: waiting would never end.
    if (!until && lists.empty()) break;
    if (!waiter.wait(until)) break;  // the task was cancelled or ran out of time
  }
  for (WakeList* l : lists) l->remove(&waiter);
  return ready;
}

Error wait_failed(std::string_view what, Deadline deadline) {
  if (deadline && Clock::now() >= *deadline)
    return fail("wasi:io: {} still blocked when the request's deadline passed", what);
  return fail("wasi:io: {} would block forever (nothing else can make it ready)", what);
}

namespace {

bool wait_ready(OutputStream& out, Deadline deadline) { return out.subscribe()->block(deadline); }

// The loop of the WIT's blocking-write-and-flush pseudo-code over a source of `total` bytes
// (`write_part(offset, n)` writes n of them).
template <typename WritePart>
Blocking<std::monostate> write_all_and_flush(OutputStream& out, uint64_t total,
                                             WritePart write_part, Deadline deadline,
                                             std::string_view what) {
  uint64_t done = 0;
  while (done < total) {
    if (!wait_ready(out, deadline)) return wait_failed(what, deadline);
    auto permit = out.check_write();
    if (!permit.ok()) return StreamResult<std::monostate>(std::move(permit.error()));
    uint64_t n = std::min({permit.value(), total - done, kMaxTransfer});
    if (n == 0) continue;
    auto w = write_part(done, n);
    if (!w.ok()) return w;
    done += n;
  }
  return out.blocking_flush(deadline);
}

}  // namespace

// ---- InputStream defaults ---------------------------------------------------------------------

Blocking<std::string> InputStream::blocking_read(uint64_t len, Deadline deadline) {
  for (;;) {
    auto r = read(len);
    if (!r.ok() || len == 0 || !r.value().empty()) return r;
    if (!subscribe()->block(deadline)) return wait_failed("blocking-read", deadline);
  }
}

StreamResult<uint64_t> InputStream::skip(uint64_t len) {
  auto r = read(len);
  if (!r.ok()) return std::move(r.error());
  return uint64_t{r.value().size()};
}

Blocking<uint64_t> InputStream::blocking_skip(uint64_t len, Deadline deadline) {
  LEPTON_TRY(auto r, blocking_read(len, deadline));
  if (!r.ok()) return StreamResult<uint64_t>(std::move(r.error()));
  return StreamResult<uint64_t>(uint64_t{r.value().size()});
}

// ---- OutputStream defaults --------------------------------------------------------------------

Blocking<std::monostate> OutputStream::blocking_flush(Deadline deadline) {
  auto f = flush();
  if (!f.ok()) return f;
  if (!wait_ready(*this, deadline)) return wait_failed("blocking-flush", deadline);
  // Surfaces a failure of the flush itself.
  auto permit = check_write();
  if (!permit.ok()) return StreamStatus(std::move(permit.error()));
  return stream_ok();
}

StreamStatus OutputStream::write_zeroes(uint64_t len) {
  if (len > kMaxTransfer)
    return StreamError::failed(fmt::format("write-zeroes of {} bytes exceeds the permit", len));
  return write(std::string(len, '\0'));
}

Blocking<std::monostate> OutputStream::blocking_write_and_flush(std::string_view data,
                                                                Deadline deadline) {
  return write_all_and_flush(
      *this, data.size(), [&](uint64_t at, uint64_t n) { return write(data.substr(at, n)); },
      deadline, "blocking-write-and-flush");
}

Blocking<std::monostate> OutputStream::blocking_write_zeroes_and_flush(uint64_t len,
                                                                       Deadline deadline) {
  return write_all_and_flush(
      *this, len, [&](uint64_t, uint64_t n) { return write_zeroes(n); }, deadline,
      "blocking-write-zeroes-and-flush");
}

StreamResult<uint64_t> OutputStream::splice(InputStream& src, uint64_t len) {
  auto permit = check_write();
  if (!permit.ok()) return std::move(permit.error());
  uint64_t n = std::min(len, permit.value());
  if (n == 0) return uint64_t{0};
  auto r = src.read(n);
  if (!r.ok()) return std::move(r.error());
  if (r.value().empty()) return uint64_t{0};
  auto w = write(r.value());
  if (!w.ok()) return std::move(w.error());
  return uint64_t{r.value().size()};
}

Blocking<uint64_t> OutputStream::blocking_splice(InputStream& src, uint64_t len,
                                                 Deadline deadline) {
  for (;;) {
    if (!wait_ready(*this, deadline)) return wait_failed("blocking-splice", deadline);
    auto permit = check_write();
    if (!permit.ok()) return StreamResult<uint64_t>(std::move(permit.error()));
    uint64_t n = std::min(len, permit.value());
    if (len > 0 && n == 0) continue;
    LEPTON_TRY(auto r, src.blocking_read(n, deadline));
    if (!r.ok()) return StreamResult<uint64_t>(std::move(r.error()));
    if (!r.value().empty()) {
      auto w = write(r.value());
      if (!w.ok()) return StreamResult<uint64_t>(std::move(w.error()));
    }
    return StreamResult<uint64_t>(uint64_t{r.value().size()});
  }
}

// ---- Memory and sink streams ------------------------------------------------------------------

StreamResult<std::string> MemoryInputStream::read(uint64_t len) {
  if (pos_ >= data_.size()) return StreamError::end();
  size_t n = static_cast<size_t>(std::min<uint64_t>({len, data_.size() - pos_, kMaxTransfer}));
  std::string out = data_.substr(pos_, n);
  pos_ += n;
  return out;
}

StreamStatus SinkOutputStream::write(std::string_view data) {
  if (sink_ && !data.empty()) sink_(data);
  return stream_ok();
}

// ---- Pipe -----------------------------------------------------------------------------------

namespace detail {

struct PipeState {
  std::mutex mu;
  std::string buf;  // written, not yet read
  size_t capacity = 0;
  bool writer_closed = false;
  std::optional<IoError> writer_error;
  bool reader_gone = false;
  WakeList wake;
};

}  // namespace detail

namespace {

using detail::PipeState;

// Readiness of one end, judged under the pipe's lock.
template <typename Pred>
class PipePollable final : public Pollable {
 public:
  PipePollable(std::shared_ptr<PipeState> s, Pred pred) : s_(std::move(s)), pred_(pred) {}
  bool ready() override {
    std::lock_guard lock(s_->mu);
    return pred_(*s_);
  }
  WakeList* wake_list() override { return &s_->wake; }

 private:
  std::shared_ptr<PipeState> s_;
  Pred pred_;
};

template <typename Pred>
std::unique_ptr<Pollable> pipe_pollable(std::shared_ptr<PipeState> s, Pred pred) {
  return std::make_unique<PipePollable<Pred>>(std::move(s), pred);
}

}  // namespace

PipeEnds make_pipe(size_t capacity) {
  auto s = std::make_shared<PipeState>();
  s->capacity = std::max<size_t>(capacity, 1);
  return {std::make_unique<PipeReader>(s), std::make_unique<PipeWriter>(s)};
}

PipeReader::~PipeReader() {
  {
    std::lock_guard lock(s_->mu);
    s_->reader_gone = true;
    std::string().swap(s_->buf);
  }
  s_->wake.wake_all();
}

StreamResult<std::string> PipeReader::read(uint64_t len) {
  std::string out;
  {
    std::lock_guard lock(s_->mu);
    if (s_->buf.empty()) {
      if (!s_->writer_closed) return std::string();
      if (s_->writer_error) return StreamError::failed(*s_->writer_error);
      return StreamError::end();
    }
    size_t n = static_cast<size_t>(std::min<uint64_t>({len, s_->buf.size(), kMaxTransfer}));
    out = s_->buf.substr(0, n);
    s_->buf.erase(0, n);
  }
  s_->wake.wake_all();  // the writer may have room now
  return out;
}

std::unique_ptr<Pollable> PipeReader::subscribe() {
  return pipe_pollable(s_, [](PipeState& s) { return !s.buf.empty() || s.writer_closed; });
}

StreamResult<uint64_t> PipeWriter::check_write() {
  std::lock_guard lock(s_->mu);
  if (s_->reader_gone || s_->writer_closed) return StreamError::end();
  return uint64_t{s_->capacity - s_->buf.size()};
}

StreamStatus PipeWriter::write(std::string_view data) {
  {
    std::lock_guard lock(s_->mu);
    if (s_->reader_gone || s_->writer_closed) return StreamError::end();
    size_t room = s_->capacity - s_->buf.size();
    if (data.size() > room)
      return StreamError::failed(fmt::format(
          "write of {} bytes exceeds the {} bytes permitted by check-write", data.size(), room));
    s_->buf.append(data);
  }
  s_->wake.wake_all();
  return stream_ok();
}

StreamStatus PipeWriter::flush() {
  std::lock_guard lock(s_->mu);
  if (s_->reader_gone || s_->writer_closed) return StreamError::end();
  return stream_ok();  // written bytes are visible to the reader at once
}

std::unique_ptr<Pollable> PipeWriter::subscribe() {
  return pipe_pollable(s_, [](PipeState& s) {
    return s.reader_gone || s.writer_closed || s.buf.size() < s.capacity;
  });
}

Blocking<std::monostate> PipeWriter::blocking_flush(Deadline deadline) {
  auto drained = pipe_pollable(s_, [](PipeState& s) { return s.buf.empty() || s.reader_gone; });
  if (!drained->block(deadline)) return wait_failed("blocking-flush", deadline);
  return StreamResult<std::monostate>(flush());
}

void PipeWriter::close() {
  {
    std::lock_guard lock(s_->mu);
    if (s_->writer_closed) return;
    s_->writer_closed = true;
  }
  s_->wake.wake_all();
}

void PipeWriter::close_with_error(IoError error) {
  {
    std::lock_guard lock(s_->mu);
    if (s_->writer_closed) return;
    s_->writer_closed = true;
    s_->writer_error = std::move(error);
  }
  s_->wake.wake_all();
}

}  // namespace lepton::wasi2
