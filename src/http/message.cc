#include "http/message.h"

#include <condition_variable>
#include <mutex>

#include "common/suspend.h"

namespace lepton::http {

bool read_whole(RequestBody& body, std::string& out, size_t limit, std::string& error) {
  std::mutex mu;
  std::condition_variable cv;
  bool ready = false;
  Suspendable* task = Suspendable::current();  // a guest task waits suspended, not blocked
  body.on_ready([&] {
    std::lock_guard lock(mu);
    ready = true;
    cv.notify_one();
    if (task != nullptr) task->wake();
  });
  bool ok = true;
  while (true) {
    std::string piece;
    RequestBody::State state = body.read(piece, 1 << 20);
    if (state == RequestBody::State::kData) {
      if (out.size() + piece.size() > limit) {
        error = "request body exceeds " + std::to_string(limit) + " bytes";
        ok = false;
        break;
      }
      out.append(piece);
      continue;
    }
    if (state == RequestBody::State::kEnd) break;
    if (state == RequestBody::State::kError) {
      error = body.error();
      ok = false;
      break;
    }
    if (task != nullptr) {
      Status s = task->suspend_until(
          [&] {
            std::lock_guard lock(mu);
            return ready;
          },
          std::nullopt);
      if (!s.ok()) {
        error = s.error().message;
        ok = false;
        break;
      }
      std::lock_guard lock(mu);
      ready = false;
      continue;
    }
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return ready; });
    ready = false;
  }
  body.on_ready({});
  return ok;
}

}  // namespace lepton::http
