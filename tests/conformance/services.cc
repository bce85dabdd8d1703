#include "conformance/services.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace lepton::testing {

namespace {

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string http_date() {
  char buf[64];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

// Content-Length of a request head (0 when absent).
size_t content_length(std::string_view head) {
  size_t pos = 0;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == std::string_view::npos) end = head.size();
    std::string_view line = head.substr(pos, end - pos);
    pos = end + 2;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "content-length") {
      std::string value(line.substr(colon + 1));
      return static_cast<size_t>(std::strtoull(value.c_str(), nullptr, 10));
    }
  }
  return 0;
}

}  // namespace

std::unique_ptr<EchoService> EchoService::start(Kind kind, std::string* why) {
  auto service = std::unique_ptr<EchoService>(new EchoService(kind));
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd, 64) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (why) *why = std::string("echo service cannot listen: ") + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return nullptr;
  }
  service->listen_fd_ = fd;
  service->port_ = ntohs(addr.sin_port);
  service->acceptor_ = std::thread([s = service.get()] { s->accept_loop(); });
  return service;
}

EchoService::~EchoService() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (int fd : connections_) ::shutdown(fd, SHUT_RDWR);
  }
  ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  for (auto& w : workers_) w.join();
  for (int fd : connections_) ::close(fd);
  ::close(listen_fd_);
}

void EchoService::accept_loop() {
  while (true) {
    pollfd p{listen_fd_, POLLIN, 0};
    int r = ::poll(&p, 1, 100);
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    if (r <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard lock(mutex_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    connections_.push_back(fd);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

void EchoService::serve(int fd) {
  char buf[4096];
  if (kind_ == Kind::kTcp) {
    while (true) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || !send_all(fd, std::string_view(buf, static_cast<size_t>(n)))) break;
    }
  } else {
    std::string data;
    size_t head_end = std::string::npos;
    while (head_end == std::string::npos) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      data.append(buf, static_cast<size_t>(n));
      head_end = data.find("\r\n\r\n");
    }
    if (head_end != std::string::npos) {
      std::string head = data.substr(0, head_end);
      size_t want = content_length(head);
      std::string body = data.substr(head_end + 4);
      while (body.size() < want) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        body.append(buf, static_cast<size_t>(n));
      }
      body.resize(std::min(body.size(), want));
      std::string response;
      if (head.starts_with("POST ")) {
        response = "HTTP/1.0 200 OK\r\nServer: lepton-conformance-echo\r\nDate: " + http_date() +
                   "\r\nContent-type: text/plain\r\n\r\n" + body;
      } else {
        response = "HTTP/1.0 501 Unsupported method\r\nServer: lepton-conformance-echo\r\nDate: " +
                   http_date() + "\r\nContent-Length: 0\r\n\r\n";
      }
      send_all(fd, response);
    }
  }
  std::lock_guard lock(mutex_);
  ::shutdown(fd, SHUT_RDWR);
  // The descriptor stays open (and listed) until destruction, so a shutdown there never hits a
  // reused number.
}

}  // namespace lepton::testing
