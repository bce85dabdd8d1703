// Plain HTTP request/response values shared by the server, the router and the executors. No Boost
// here: everything downstream of the server sees only these types.
#pragma once

#include <cstdint>
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
  virtual bool finish() = 0;
  // The response cannot be completed (the guest failed mid-body): the connection is closed
  // without the final chunk, so the client sees a truncated response, not a complete one.
  virtual void abort() = 0;
  virtual bool started() const = 0;
};

struct Request {
  std::string method;  // as received: "GET", "POST", ...
  std::string target;  // request-target as received: path + query ("/a/b?x=1")
  std::string path;    // target up to '?', not percent-decoded ("/a/b"); "/" for "http://h"
  std::string query;   // after '?', without it ("x=1"); empty when absent
  std::vector<Header> headers;  // in received order; names lowercased (as Spin/hyper present
                                // them), values as received, duplicates kept
  std::string body;             // de-chunked
  std::string client_addr;      // peer "ip:port" ("[::1]:5000" for IPv6)
  std::string host;             // Host header, else the authority of an absolute target, else the
                                // server's listen address
  std::string scheme;           // "http" or "https"
  std::string local_addr;       // local "ip:port" the connection arrived on
  // Set by the server while the handler runs; null where responses cannot stream (tests, tools).
  ResponseWriter* response_writer = nullptr;

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

  std::optional<std::string_view> header(std::string_view name) const {
    return find_header(headers, name);
  }
};

}  // namespace lepton::http
