// The services the conformance suite's preconditions ask for, run inside the test process:
//   http-echo  an HTTP/1.0 server answering every POST with its body (200, Content-type:
//              text/plain, Server and Date headers, no Content-Length, then close), as upstream's
//              http-echo.py; other methods get 501
//   tcp-echo   a TCP server on 127.0.0.1 echoing every byte back on each connection, as upstream's
//              tcp-echo.py
// Both listen on a free port of 127.0.0.1 from construction until destruction.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lepton::testing {

class EchoService {
 public:
  enum class Kind { kHttp, kTcp };
  // Starts listening; nullptr with *why set on failure.
  static std::unique_ptr<EchoService> start(Kind kind, std::string* why);
  ~EchoService();
  EchoService(const EchoService&) = delete;
  EchoService& operator=(const EchoService&) = delete;

  uint16_t port() const { return port_; }

 private:
  explicit EchoService(Kind kind) : kind_(kind) {}
  void accept_loop();
  void serve(int fd);

  Kind kind_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread acceptor_;
  std::mutex mutex_;
  bool stopping_ = false;
  std::vector<int> connections_;
  std::vector<std::thread> workers_;
};

}  // namespace lepton::testing
