// Plain HTTP request/response values shared by the server, the router and the executors. No Boost
// here: everything downstream of the server sees only these types.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lepton::http {

// ASCII case-insensitive comparison, as header names compare.
inline bool header_name_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]);
    unsigned char y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x + ('a' - 'A'));
    if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y + ('a' - 'A'));
    if (x != y) return false;
  }
  return true;
}

// ASCII lowercase in place: header names as lepton presents them (as Spin/hyper do).
inline void lowercase_ascii(std::string& s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
}

struct Header {
  std::string name;
  std::string value;

  bool operator==(const Header&) const = default;
};

// The first value of header `name` (case-insensitive) in `headers`, if any.
inline std::optional<std::string_view> find_header(const std::vector<Header>& headers,
                                                   std::string_view name) {
  for (const Header& h : headers) {
    if (header_name_equals(h.name, name)) return std::string_view(h.value);
  }
  return std::nullopt;
}

// Lets a handler send its response while still producing it: status and headers first, then the
// body in pieces (chunked on HTTP/1.1; on HTTP/1.0 until the connection closes). Every call blocks
// until the connection has taken the bytes, which is the backpressure a streaming guest needs.
// Calls return false once the client is gone. Valid only while the handler runs.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  virtual bool start(uint16_t status, const std::vector<Header>& headers) = 0;
  virtual bool write(std::string_view data) = 0;
  // Ends the body; on HTTP/1.1 the trailer fields go out with the last chunk (HTTP/1.0 has no
  // trailers: they are dropped).
  virtual bool finish(const std::vector<Header>& trailers) = 0;
  // The response cannot be completed (the guest failed mid-body): the connection is closed
  // without the final chunk, so the client sees a truncated response, not a complete one.
  virtual void abort() = 0;
  virtual bool started() const = 0;
};

// A request body that is still arriving while the handler runs (Server::Options::stream_body).
// read() never blocks: it moves what has arrived so far into `out`. The server reads ahead only a
// bounded amount, so a handler that reads slowly slows the client down (TCP backpressure). Thread
// safe; valid only while the handler runs.
class RequestBody {
 public:
  enum class State : uint8_t {
    kData,     // `out` received at least one byte
    kPending,  // nothing new yet: wait for on_ready()
    kEnd,      // the whole body has been read; trailers() are final
    kError,    // the body cannot be completed (client gone, malformed, timed out): error()
  };
  virtual ~RequestBody() = default;
  virtual State read(std::string& out, size_t max) = 0;
  // Called, on any thread, whenever read() may return something new. Replaces the previous one;
  // an empty function unregisters. It must not call back into this object.
  virtual void on_ready(std::function<void()> notify) = 0;
  // The trailer fields of a chunked body (names lowercased); complete once read() returned kEnd.
  virtual std::vector<Header> trailers() = 0;
  virtual std::string error() = 0;
};

// Reads `body` to its end (blocking), appending to `out`; false (with `error`) when it fails or
// outgrows `limit` bytes.
bool read_whole(RequestBody& body, std::string& out, size_t limit, std::string& error);

// Raised once when the work for a request should stop: the client closed its connection while
// the handler ran. Thread safe; a handler registers what to do with on_cancel() (called at once
// if already cancelled).
class Cancellation {
 public:
  void on_cancel(std::function<void()> fn) {
    std::unique_lock lock(mu_);
    if (cancelled_) {
      lock.unlock();
      fn();
      return;
    }
    handlers_.push_back(std::move(fn));
  }
  void cancel() {
    std::vector<std::function<void()>> run;
    {
      std::lock_guard lock(mu_);
      if (cancelled_) return;
      cancelled_ = true;
      run.swap(handlers_);
    }
    for (auto& fn : run) fn();
  }
  bool cancelled() const {
    std::lock_guard lock(mu_);
    return cancelled_;
  }

 private:
  mutable std::mutex mu_;
  bool cancelled_ = false;
  std::vector<std::function<void()>> handlers_;
};

struct Request {
  std::string method;  // as received: "GET", "POST", ...
  std::string target;  // request-target as received: path + query ("/a/b?x=1")
  std::string path;    // target up to '?', not percent-decoded ("/a/b"); "/" for "http://h"
  std::string query;   // after '?', without it ("x=1"); empty when absent
  std::vector<Header> headers;  // in received order; names lowercased (as Spin/hyper present
                                // them), values as received, duplicates kept
  std::string body;             // de-chunked (empty while body_stream is set)
  // Set when the body streams (Server::Options::stream_body): it is read from here instead.
  RequestBody* body_stream = nullptr;
  std::vector<Header> trailers;  // of a chunked body (names lowercased), when not streamed
  std::string client_addr;       // peer "ip:port" ("[::1]:5000" for IPv6)
  std::string host;              // Host header, else the authority of an absolute target, else the
                                 // server's listen address
  std::string scheme;            // "http" or "https"
  std::string local_addr;        // local "ip:port" the connection arrived on
  // Set by the server while the handler runs; null where responses cannot stream (tests, tools).
  ResponseWriter* response_writer = nullptr;
  // Set by the server for asynchronous handlers: raised when the client hangs up meanwhile.
  std::shared_ptr<Cancellation> cancellation;

  // First value of header `name`, compared case-insensitively.
  std::optional<std::string_view> header(std::string_view name) const {
    return find_header(headers, name);
  }
};

// A complete response. The server owns framing: it sets content-length (or chunked framing
// when the handler set a transfer-encoding header), connection and date (unless set), and drops
// header fields whose name or value is not valid HTTP.
struct Response {
  uint16_t status = 200;
  std::vector<Header> headers;
  std::string body;
  // Sent after the body on HTTP/1.1 (the response is then chunked); dropped for HTTP/1.0.
  std::vector<Header> trailers = {};

  std::optional<std::string_view> header(std::string_view name) const {
    return find_header(headers, name);
  }
};

}  // namespace lepton::http
