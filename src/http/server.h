// The HTTP/1.x server in front of the router: accepts connections (optionally TLS), reads requests
// with Beast, runs the handler and writes the response.
//
// Threads: `Options::threads` I/O threads, each with its own event loop; a connection lives on one
// of them (round-robin at accept), on its own strand. An AsyncHandler runs on that loop and must
// not block: `lepton up` runs guests there as tasks that suspend while they wait
// (engine/guest_task.h). A synchronous Handler runs instead on a pool of
// `Options::handler_threads` threads (tests, tools), so that it may block; when all of them are
// busy, further requests wait for one to be free.
//
// Protocol: HTTP/1.1 with keep-alive and pipelining, HTTP/1.0, chunked request bodies,
// `Expect: 100-continue`. Errors are answered and the connection closed: 400 malformed request,
// 413 body over max_body_bytes (from content-length before reading it, or while de-chunking),
// 431 header over max_header_bytes, 505 HTTP version other than 1.0/1.1, 500 when the handler
// throws or returns an invalid status. Responses to HEAD carry the headers (content-length of
// the body the handler returned) and no body.
//
// Streaming: a handler may send its response in pieces (Request::response_writer) and, when
// Options::stream_body allows it, read the request body while it arrives (Request::body_stream).
// A chunked request body's trailer fields arrive in Request::trailers (or through the stream);
// a response's trailers go out after a chunked body.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "common/suspend.h"
#include "http/message.h"

namespace lepton::http {

class Server {
 public:
  struct TlsFiles {
    std::filesystem::path cert;  // PEM; a chain, leaf first
    std::filesystem::path key;   // PEM private key
  };

  struct Options {
    // "ip:port", "[ipv6]:port" or "hostname:port" (first resolved address, IPv4 preferred).
    // Port 0 picks a free port; see bound_address().
    std::string listen = "127.0.0.1:3000";
    size_t threads = 0;                        // I/O threads; 0 = hardware concurrency
    size_t handler_threads = 0;                // handler pool; 0 = max(4, 2 * hardware concurrency)
    size_t max_header_bytes = 128 * 1024;      // request line + fields
    size_t max_body_bytes = 64 * 1024 * 1024;  // de-chunked body
    std::optional<TlsFiles> tls;
    // Longest wait for the next request on a connection (header read), for progress while
    // reading a body or writing a response, and for a TLS handshake.
    std::chrono::seconds idle_timeout{60};
    // When the port is in use, try the next ones (like `spin up --find-free-port`).
    bool find_free_port = false;
    // Asked once the header is read, for a request whose body has not fully arrived yet: true
    // starts the handler now, reading the body as it arrives through Request::body_stream (no
    // max_body_bytes limit: the handler decides); false buffers the whole body first. Runs on an
    // I/O thread: must be quick and must not block. Unset: always buffer.
    std::function<bool(const Request&)> stream_body;
  };

  // Called on a handler-pool thread, concurrently for different requests. May block. Should not
  // throw (if it does, the client gets a 500).
  using Handler = std::function<Response(Request&)>;
  // Called on an I/O thread; must not block (it starts work, e.g. guest tasks, on the scheduler
  // it is given: the I/O threads). `respond` is called exactly once, from any thread; `request`
  // stays valid until then. There is no handler pool: waiting work is suspended, not parked on a
  // thread.
  using Respond = std::function<void(Response)>;
  using AsyncHandler = std::function<void(Request&, Scheduler&, Respond)>;

  // Binds, starts the threads and begins accepting. Errors name the address
  // ("cannot listen on 127.0.0.1:3000: address in use") or the TLS file that failed to load.
  static Result<std::unique_ptr<Server>> start(Options options, Handler handler);
  static Result<std::unique_ptr<Server>> start(Options options, AsyncHandler handler);


  ~Server();  // shutdown(0) if not done
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The address actually bound, "ip:port" ("[::1]:3000" for IPv6).
  std::string bound_address() const;
  // "http" or "https".
  std::string scheme() const;

  // Graceful stop: closes the listener and idle keep-alive connections at once, lets requests in
  // progress finish (their responses carry `connection: close`) until `grace` has passed, then
  // closes whatever remains. Returns when all threads are joined — a handler still running after
  // the grace period is waited for (it cannot be interrupted from here). Idempotent; safe from any
  // thread except a handler (that would wait for itself).
  void shutdown(std::chrono::milliseconds grace);

  // Blocks until shutdown() has completed (called from another thread).
  void wait();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  static Result<std::unique_ptr<Server>> start_impl(Options options, Handler handler,
                                                    AsyncHandler async_handler);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lepton::http
