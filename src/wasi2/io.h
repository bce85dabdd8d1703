// wasi:io 0.2 for host interfaces and guests: pollables, input and output streams, and errors as
// C++ objects that any host interface (stdio, files, HTTP bodies) can hand to a guest, plus the
// registration of wasi:io/error, wasi:io/poll and wasi:io/streams over them.
//
// The objects behind a request's handles live in IoState (one per InstanceState). Streams and
// pollables must not point into each other or into other per-request states: a guest may drop a
// stream before the pollable it subscribed (Wasmtime traps on that, lepton tolerates it), so a
// pollable shares whatever state it watches (std::shared_ptr), and the destruction order of the
// request's objects never matters.
//
// Waiting: a Pollable is ready either by time (ready_at: timers), or because another thread
// changed something (wake_list: pipes fed by the network), or it is always ready. One thread waits
// on several pollables at once with wait_any(), which sleeps until one of them can have become
// ready, and never past the request's deadline: when the deadline passes first, the blocking wasi
// call traps (the request has run out of time; the epoch deadline would stop the guest anyway).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/result.h"
#include "common/suspend.h"
#include "component/host.h"

namespace lepton::wasi2 {

using Clock = std::chrono::steady_clock;
using Deadline = std::optional<Clock::time_point>;  // none: wait as long as it takes

// ---- Waiting ---------------------------------------------------------------------------------

// One waiter for any of several sources to change: a guest task (suspended while it waits, see
// common/suspend.h) or, outside a task, a blocked thread.
class Waiter {
 public:
  void wake();
  // Returns when woken since the last wait, or at `until`: true; false when the waiting task was
  // cancelled or passed its deadline (stop waiting).
  bool wait(Deadline until);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  Suspendable* task_ = nullptr;  // while a task waits
};

// Held by a source that changes on other threads (a pipe): wakes every waiter subscribed. Thread
// safe; a waiter subscribes for the duration of one wait_any.
class WakeList {
 public:
  void add(Waiter* w);
  void remove(Waiter* w);
  void wake_all();

 private:
  std::mutex mu_;
  std::vector<Waiter*> waiters_;
};

class Pollable {
 public:
  virtual ~Pollable() = default;
  virtual bool ready() = 0;
  // Pollables that become ready with time alone: when.
  virtual std::optional<Clock::time_point> ready_at() { return std::nullopt; }
  // Pollables that other threads make ready: where to subscribe (must outlive the pollable).
  virtual WakeList* wake_list() { return nullptr; }
  // Waits until ready or `deadline`; true when ready.
  virtual bool block(Deadline deadline);
};

// Always ready (stdio, memory streams, files).
class ReadyPollable final : public Pollable {
 public:
  bool ready() override { return true; }
};

// Ready at an instant of the monotonic clock.
class TimerPollable final : public Pollable {
 public:
  explicit TimerPollable(Clock::time_point at) : at_(at) {}
  bool ready() override { return Clock::now() >= at_; }
  std::optional<Clock::time_point> ready_at() override { return at_; }

 private:
  Clock::time_point at_;
};

// Waits until at least one of `pollables` is ready, or `deadline`: the indices of the ready ones
// (empty only when the deadline passed first). A pending pollable with neither ready_at nor
// wake_list can only change on this thread, so waiting for it ends at the deadline.
std::vector<uint32_t> wait_any(std::span<Pollable* const> pollables, Deadline deadline);

// The trap for a wait that ended without a ready pollable: the deadline passed, or nothing could
// ever have made it ready. `what` names the blocking call ("poll", "blocking-read").
Error wait_failed(std::string_view what, Deadline deadline);

// ---- Errors and streams ----------------------------------------------------------------------

// What a wasi:io/error resource carries: a message for to-debug-string, and optionally a typed
// error code that an interface's downcast function returns (filesystem-error-code returns `code`
// when domain is kFilesystemDomain; wasi:http's http-error-code can do the same with its own).
struct IoError {
  std::string message;
  std::string domain;  // "" or the interface that `code` belongs to
  std::optional<component::Val> code;
};
inline constexpr std::string_view kFilesystemDomain = "wasi:filesystem/types";

// stream-error: `closed`, or last-operation-failed(error).
struct StreamError {
  bool closed = false;
  IoError error;  // when !closed

  static StreamError end() { return {true, {}}; }
  static StreamError failed(std::string message) { return {false, {std::move(message), {}, {}}}; }
  static StreamError failed(IoError e) { return {false, std::move(e)}; }
};

// A WASI-level outcome: a value or a stream-error (not a trap).
template <typename T>
class StreamResult {
 public:
  StreamResult(T value) : v_(std::move(value)) {}            // NOLINT(google-explicit-constructor)
  StreamResult(StreamError error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return v_.index() == 0; }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  StreamError& error() { return std::get<1>(v_); }
  const StreamError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, StreamError> v_;
};
using StreamStatus = StreamResult<std::monostate>;
inline StreamStatus stream_ok() { return std::monostate{}; }

// Blocking operations return an Error (a trap) only when the deadline passes first.
template <typename T>
using Blocking = Result<StreamResult<T>>;

// wasi:io/streams input-stream semantics. read() never blocks: it returns what is available now
// (possibly nothing), or closed at the end. Implementations need only read() and subscribe().
class InputStream {
 public:
  virtual ~InputStream() = default;
  virtual StreamResult<std::string> read(uint64_t len) = 0;
  // Ready when read() would return data or an error.
  virtual std::unique_ptr<Pollable> subscribe() = 0;

  // Waits for at least one byte (or the end) unless len is 0.
  virtual Blocking<std::string> blocking_read(uint64_t len, Deadline deadline);
  virtual StreamResult<uint64_t> skip(uint64_t len);
  virtual Blocking<uint64_t> blocking_skip(uint64_t len, Deadline deadline);
};

// wasi:io/streams output-stream semantics: write() may only write what check_write() allowed.
class OutputStream {
 public:
  virtual ~OutputStream() = default;
  // Bytes write() accepts now (0: wait on subscribe()).
  virtual StreamResult<uint64_t> check_write() = 0;
  virtual StreamStatus write(std::string_view data) = 0;
  // Starts a flush; check_write() returns 0 until it completes.
  virtual StreamStatus flush() = 0;
  // Ready when check_write() would return nonzero or an error.
  virtual std::unique_ptr<Pollable> subscribe() = 0;

  virtual Blocking<std::monostate> blocking_flush(Deadline deadline);
  virtual StreamStatus write_zeroes(uint64_t len);
  // The WIT's loop of check-write / write / flush until everything is written and flushed.
  virtual Blocking<std::monostate> blocking_write_and_flush(std::string_view data,
                                                            Deadline deadline);
  virtual Blocking<std::monostate> blocking_write_zeroes_and_flush(uint64_t len, Deadline deadline);
  // Moves at most min(len, check_write()) bytes that `src` has now.
  virtual StreamResult<uint64_t> splice(InputStream& src, uint64_t len);
  // Waits until this stream is writable and `src` has data (or ended).
  virtual Blocking<uint64_t> blocking_splice(InputStream& src, uint64_t len, Deadline deadline);
};

// The largest transfer a single read/skip/write-zeroes performs (larger requests return less).
inline constexpr uint64_t kMaxTransfer = 1 << 20;

// Reads a string from its start; ends with `closed`.
class MemoryInputStream final : public InputStream {
 public:
  explicit MemoryInputStream(std::string data) : data_(std::move(data)) {}
  StreamResult<std::string> read(uint64_t len) override;
  std::unique_ptr<Pollable> subscribe() override { return std::make_unique<ReadyPollable>(); }

 private:
  std::string data_;
  size_t pos_ = 0;
};

// Writes go straight to a callback (stdout, stderr); a null callback discards. Never blocks.
class SinkOutputStream final : public OutputStream {
 public:
  using Sink = std::function<void(std::string_view)>;
  explicit SinkOutputStream(Sink sink) : sink_(std::move(sink)) {}
  StreamResult<uint64_t> check_write() override { return kMaxTransfer; }
  StreamStatus write(std::string_view data) override;
  StreamStatus flush() override { return stream_ok(); }
  std::unique_ptr<Pollable> subscribe() override { return std::make_unique<ReadyPollable>(); }

 private:
  Sink sink_;
};

// A bounded in-memory pipe between two threads (or a guest and the host), e.g. an HTTP body:
// the writer's check_write() is the free space, so a fast writer waits for the reader. Closing
// (or destroying) the writer ends the reader after it has read everything buffered;
// destroying the reader makes every write fail with `closed`. Both ends are thread safe.
class PipeReader;
class PipeWriter;
struct PipeEnds {
  std::unique_ptr<PipeReader> reader;
  std::unique_ptr<PipeWriter> writer;
};
PipeEnds make_pipe(size_t capacity = 64 * 1024);

namespace detail {
struct PipeState;
}

class PipeReader final : public InputStream {
 public:
  explicit PipeReader(std::shared_ptr<detail::PipeState> s) : s_(std::move(s)) {}
  ~PipeReader() override;
  StreamResult<std::string> read(uint64_t len) override;
  std::unique_ptr<Pollable> subscribe() override;

 private:
  std::shared_ptr<detail::PipeState> s_;
};

class PipeWriter final : public OutputStream {
 public:
  explicit PipeWriter(std::shared_ptr<detail::PipeState> s) : s_(std::move(s)) {}
  ~PipeWriter() override { close(); }
  StreamResult<uint64_t> check_write() override;
  // Fails when `data` exceeds the free space (the caller ignored check_write()).
  StreamStatus write(std::string_view data) override;
  StreamStatus flush() override;
  std::unique_ptr<Pollable> subscribe() override;
  // Waits until the reader has taken everything written (or is gone).
  Blocking<std::monostate> blocking_flush(Deadline deadline) override;

  // Ends the stream: the reader gets `closed` after the buffered bytes. Idempotent.
  void close();
  // Ends the stream with an error the reader gets after the buffered bytes.
  void close_with_error(IoError error);

 private:
  std::shared_ptr<detail::PipeState> s_;
};

// ---- Per-request objects ---------------------------------------------------------------------

struct IoState {
  component::ObjectTable<std::unique_ptr<InputStream>> input_streams;
  component::ObjectTable<std::unique_ptr<OutputStream>> output_streams;
  component::ObjectTable<std::unique_ptr<Pollable>> pollables;
  component::ObjectTable<IoError> errors;
};

IoState& io_state(component::InstanceState& instance);
// The request's deadline (Config::deadline when a wasi2::Config is installed).
Deadline deadline(component::InstanceState& instance);

// Adding returns the rep to hand to the guest as Val::own(rep).
uint32_t add_input_stream(component::InstanceState& instance, std::unique_ptr<InputStream> s);
uint32_t add_output_stream(component::InstanceState& instance, std::unique_ptr<OutputStream> s);
uint32_t add_pollable(component::InstanceState& instance, std::unique_ptr<Pollable> p);
uint32_t add_error(component::InstanceState& instance, IoError e);

// Lookups by rep; an unknown rep is an Error (a trap).
Result<InputStream*> input_stream(component::InstanceState& instance, uint32_t rep);
Result<OutputStream*> output_stream(component::InstanceState& instance, uint32_t rep);
Result<Pollable*> pollable(component::InstanceState& instance, uint32_t rep);
Result<IoError*> io_error(component::InstanceState& instance, uint32_t rep);

// The stream-error value for the guest: last-operation-failed(own<error>) or closed.
component::Val stream_error_val(component::InstanceState& instance, StreamError error);

// Registers wasi:io/error, wasi:io/poll and wasi:io/streams (resources: error, pollable,
// input-stream, output-stream). Other interfaces use them via registry.resource(...).
void register_io(component::HostRegistry& registry);

}  // namespace lepton::wasi2
