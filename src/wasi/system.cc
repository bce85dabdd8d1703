// Non-filesystem preview1 functions: args, environment, clocks, randomness, poll_oneoff,
// process and socket calls.
#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <limits>
#include <thread>

#include "common/suspend.h"
#include "engine/guest_call.h"
#include "wasi/internal.h"

namespace lepton::wasi::detail {

namespace {

Errno write_strings(Call& c, const std::string& blob, const std::vector<uint32_t>& offsets,
                    u32 pointers, u32 buf) {
  const auto& mem = c.mem();
  if (!mem.slice(pointers, uint64_t{offsets.size()} * 4) || !mem.slice(buf, blob.size()))
    return Errno::Fault;
  for (size_t i = 0; i < offsets.size(); ++i)
    mem.store<uint32_t>(pointers + uint64_t{i} * 4, buf + offsets[i]);
  mem.write(buf, blob);
  return Errno::Success;
}

Errno write_sizes(Call& c, size_t count, size_t bytes, u32 count_out, u32 bytes_out) {
  const auto& mem = c.mem();
  if (!mem.store<uint32_t>(count_out, static_cast<uint32_t>(count))) return Errno::Fault;
  if (!mem.store<uint32_t>(bytes_out, static_cast<uint32_t>(bytes))) return Errno::Fault;
  return Errno::Success;
}

uint64_t timespec_ns(const struct timespec& ts) {
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// The clock's current value, or nullopt for an unknown clock.
std::optional<uint64_t> now(Preview1Ctx& ctx, u32 id) {
  struct timespec ts{};
  switch (id) {
    case abi::kClockRealtime:
      ::clock_gettime(CLOCK_REALTIME, &ts);
      return timespec_ns(ts);
    case abi::kClockMonotonic:
      ::clock_gettime(CLOCK_MONOTONIC, &ts);
      return timespec_ns(ts);
    case abi::kClockProcessCputime:
    case abi::kClockThreadCputime:
      // A request runs on one thread, so its process and thread CPU time are the same; counted
      // from the request's first query so nothing about the host process shows through.
      return ctx.cputime_ns();
    default:
      return std::nullopt;
  }
}

}  // namespace

Errno args_get(Call& c, u32 argv, u32 argv_buf) {
  return write_strings(c, c.ctx.args_blob(), c.ctx.args_offsets(), argv, argv_buf);
}

Errno args_sizes_get(Call& c, u32 argc_out, u32 buf_size_out) {
  return write_sizes(c, c.ctx.args_offsets().size(), c.ctx.args_blob().size(), argc_out,
                     buf_size_out);
}

Errno environ_get(Call& c, u32 environ, u32 environ_buf) {
  return write_strings(c, c.ctx.env_blob(), c.ctx.env_offsets(), environ, environ_buf);
}

Errno environ_sizes_get(Call& c, u32 count_out, u32 buf_size_out) {
  return write_sizes(c, c.ctx.env_offsets().size(), c.ctx.env_blob().size(), count_out,
                     buf_size_out);
}

Errno clock_res_get(Call& c, u32 id, u32 out) {
  struct timespec ts{};
  switch (id) {
    case abi::kClockRealtime:
      ::clock_getres(CLOCK_REALTIME, &ts);
      break;
    case abi::kClockMonotonic:
      ::clock_getres(CLOCK_MONOTONIC, &ts);
      break;
    case abi::kClockProcessCputime:
    case abi::kClockThreadCputime:
      ::clock_getres(CLOCK_THREAD_CPUTIME_ID, &ts);
      break;
    default:
      return Errno::Inval;
  }
  uint64_t res = std::max<uint64_t>(timespec_ns(ts), 1);
  return c.mem().store<uint64_t>(out, res) ? Errno::Success : Errno::Fault;
}

Errno clock_time_get(Call& c, u32 id, u64 /*precision*/, u32 out) {
  auto t = now(c.ctx, id);
  if (!t) return Errno::Inval;
  return c.mem().store<uint64_t>(out, *t) ? Errno::Success : Errno::Fault;
}

Errno random_get(Call& c, u32 buf, u32 buf_len) {
  auto dest = c.mem().slice(buf, buf_len);
  if (!dest) return Errno::Fault;
  size_t done = 0;
  while (done < dest->size()) {
    ssize_t n = ::getrandom(dest->data() + done, dest->size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno::Io;
    }
    done += static_cast<size_t>(n);
  }
  return Errno::Success;
}

Errno poll_oneoff(Call& c, u32 in, u32 out, u32 nsubscriptions, u32 nevents_out) {
  const auto& mem = c.mem();
  if (nsubscriptions == 0) return Errno::Inval;  // would sleep forever
  if (!mem.slice(in, uint64_t{nsubscriptions} * abi::kSubscriptionSize) ||
      !mem.slice(out, uint64_t{nsubscriptions} * abi::kEventSize) || !mem.slice(nevents_out, 4))
    return Errno::Fault;

  struct Event {
    uint64_t userdata;
    Errno error;
    uint8_t type;
    uint64_t nbytes;
    uint16_t flags;
  };
  struct Timer {
    uint64_t userdata;
    uint64_t remaining_ns;  // from the moment of the call
  };
  std::vector<Event> ready;
  std::vector<Timer> timers;

  for (uint32_t i = 0; i < nsubscriptions; ++i) {
    uint64_t sub = in + uint64_t{i} * abi::kSubscriptionSize;
    uint64_t userdata = 0;
    uint8_t tag = 0;
    mem.load(sub, userdata);
    mem.load(sub + 8, tag);
    if (tag == abi::kEventClock) {
      uint32_t id = 0;
      uint64_t timeout = 0;
      uint16_t flags = 0;
      mem.load(sub + 16, id);
      mem.load(sub + 24, timeout);
      mem.load(sub + 40, flags);
      if (id != abi::kClockRealtime && id != abi::kClockMonotonic) {
        // CPU-time clocks cannot be waited on.
        ready.push_back({userdata, Errno::Inval, tag, 0, 0});
        continue;
      }
      uint64_t remaining = timeout;
      if (flags & abi::kSubclockAbstime) {
        uint64_t t = *now(c.ctx, id);
        remaining = timeout > t ? timeout - t : 0;
      }
      timers.push_back({userdata, remaining});
    } else if (tag == abi::kEventFdRead || tag == abi::kEventFdWrite) {
      uint32_t fd = 0;
      mem.load(sub + 16, fd);
      const FdEntry* e = c.ctx.fd(fd);
      Event ev{userdata, Errno::Success, tag, 0, 0};
      if (e == nullptr) {
        ev.error = Errno::Badf;
      } else if (tag == abi::kEventFdRead) {
        if (e->kind == FdKind::Stdin) {
          ev.nbytes = c.ctx.stdin_rest().size();
          if (ev.nbytes == 0) ev.flags = abi::kEventHangup;
        } else if (e->kind == FdKind::File) {
          ev.nbytes = 0;  // readable; the exact count is not promised by the ABI
        } else {
          ev.error = Errno::Badf;
        }
      } else {
        if (e->kind != FdKind::Stdout && e->kind != FdKind::Stderr) ev.error = Errno::Badf;
      }
      ready.push_back(ev);
    } else {
      return Errno::Inval;
    }
  }

  if (ready.empty()) {
    // Only timers: sleep until the earliest one, but never past the request's deadline.
    uint64_t earliest = std::ranges::min(timers, {}, &Timer::remaining_ns).remaining_ns;
    auto start = std::chrono::steady_clock::now();
    auto wake = start + std::chrono::nanoseconds(
                            std::min<uint64_t>(earliest, std::numeric_limits<int64_t>::max() / 2));
    const auto& deadline = c.ctx.config().sleep_deadline;
    if (Suspendable* task = Suspendable::current()) {
      // On a guest task the sleep suspends it; past the request's deadline the guest is stopped
      // (as Spin's epoch deadline stops a sleeping guest) instead of waking to answer late.
      Status slept = task->suspend_until([] { return false; }, wake);
      if (!slept.ok()) {
        c.trap = slept.error().message;
        return Errno::Inval;
      }
      if (deadline && std::chrono::steady_clock::now() >= *deadline) {
        c.trap = fmt::format("{} (the request timed out while the guest slept)",
                             engine::kDeadlineMessage);
        return Errno::Inval;
      }
    } else {
      if (deadline && *deadline < wake) wake = *deadline;
      std::this_thread::sleep_until(wake);
    }
    uint64_t slept = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                               std::chrono::steady_clock::now() - start)
                                               .count());
    for (const auto& t : timers)
      if (t.remaining_ns <= std::max(slept, earliest))
        ready.push_back({t.userdata, Errno::Success, abi::kEventClock, 0, 0});
  } else {
    for (const auto& t : timers)
      if (t.remaining_ns == 0)
        ready.push_back({t.userdata, Errno::Success, abi::kEventClock, 0, 0});
  }

  for (size_t i = 0; i < ready.size(); ++i) {
    uint64_t ev = out + uint64_t{i} * abi::kEventSize;
    auto bytes = mem.slice(ev, abi::kEventSize);
    std::fill(bytes->begin(), bytes->end(), uint8_t{0});
    mem.store(ev, ready[i].userdata);
    mem.store(ev + 8, static_cast<uint16_t>(ready[i].error));
    mem.store(ev + 10, ready[i].type);
    mem.store(ev + 16, ready[i].nbytes);
    mem.store(ev + 24, ready[i].flags);
  }
  mem.store<uint32_t>(nevents_out, static_cast<uint32_t>(ready.size()));
  return Errno::Success;
}

Errno proc_raise(Call&, u32) { return Errno::Notsup; }

Errno sched_yield(Call&) { return Errno::Success; }

namespace {
// No socket is ever open: an open fd is simply not a socket.
Errno not_a_socket(Call& c, u32 fd) {
  return c.ctx.fd(fd) == nullptr ? Errno::Badf : Errno::Notsock;
}
}  // namespace

Errno sock_accept(Call& c, u32 fd, u32, u32) { return not_a_socket(c, fd); }
Errno sock_recv(Call& c, u32 fd, u32, u32, u32, u32, u32) { return not_a_socket(c, fd); }
Errno sock_send(Call& c, u32 fd, u32, u32, u32, u32) { return not_a_socket(c, fd); }
Errno sock_shutdown(Call& c, u32 fd, u32) { return not_a_socket(c, fd); }

}  // namespace lepton::wasi::detail
