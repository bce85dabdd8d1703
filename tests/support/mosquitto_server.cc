#include "support/mosquitto_server.h"

#include <fcntl.h>
#include <mosquitto.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include "support/redis_server.h"  // free_port

namespace lepton::testing {

namespace {

std::optional<std::string> find_mosquitto() {
  if (const char* env = std::getenv("LEPTON_MOSQUITTO")) return std::string(env);
  for (const char* p : {"/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"})
    if (access(p, X_OK) == 0) return std::string(p);
  return std::nullopt;
}

bool can_connect(uint16_t port) {
  struct mosquitto* m = mosquitto_new(nullptr, true, nullptr);
  bool ok = mosquitto_connect(m, "127.0.0.1", port, 10) == MOSQ_ERR_SUCCESS;
  if (ok) mosquitto_disconnect(m);
  mosquitto_destroy(m);
  return ok;
}

}  // namespace

std::unique_ptr<MosquittoServer> MosquittoServer::start(std::string* why) {
  return start_with(nullptr, why);
}

std::unique_ptr<MosquittoServer> MosquittoServer::start(const Tls& tls, std::string* why) {
  return start_with(&tls, why);
}

std::unique_ptr<MosquittoServer> MosquittoServer::start_with(const Tls* tls, std::string* why) {
  mosquitto_lib_init();
  auto bin = find_mosquitto();
  if (!bin) {
    *why = "mosquitto not found (install the mosquitto package: scripts/setup.sh)";
    return nullptr;
  }
  auto server = std::unique_ptr<MosquittoServer>(new MosquittoServer());
  char tmpl[] = "/tmp/lepton-mosquitto-XXXXXX";
  server->dir_ = mkdtemp(tmpl);
  server->port_ = free_port();
  std::string conf = (server->dir_ / "mosquitto.conf").string();
  std::string log = (server->dir_ / "mosquitto.log").string();
  {
    std::ofstream f(conf);
    f << "listener " << server->port_ << " 127.0.0.1\n"
      << "allow_anonymous true\n"
      << "persistence false\n"
      << "log_dest stderr\n";
    if (tls != nullptr) {
      // As root, mosquitto drops to its own user before loading the certificate files, which it
      // then cannot read (a TestCa's key is 0600 in a private directory): stay root.
      if (geteuid() == 0) f << "user root\n";
      server->tls_port_ = free_port();
      f << "listener " << server->tls_port_ << " 127.0.0.1\n"
        << "cafile " << tls->ca.string() << "\n"
        << "certfile " << tls->cert.string() << "\n"
        << "keyfile " << tls->key.string() << "\n";
    }
  }
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execl(bin->c_str(), bin->c_str(), "-c", conf.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  server->pid_ = pid;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    if (can_connect(server->port_)) return server;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  *why = "mosquitto on port " + std::to_string(server->port_) +
         " did not accept a client within 10 s (log: " + log + ")";
  return nullptr;
}

MosquittoServer::~MosquittoServer() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

void MqttSubscriber::on_message(struct mosquitto*, void* self, const struct mosquitto_message* m) {
  auto* s = static_cast<MqttSubscriber*>(self);
  std::lock_guard lock(s->mu_);
  s->messages_.push_back(
      Message{m->topic,
              std::string(static_cast<const char*>(m->payload), static_cast<size_t>(m->payloadlen)),
              m->qos});
  s->cv_.notify_all();
}

void MqttSubscriber::on_subscribe(struct mosquitto*, void* self, int, int, const int*) {
  auto* s = static_cast<MqttSubscriber*>(self);
  std::lock_guard lock(s->mu_);
  s->subscribed_ = true;
  s->cv_.notify_all();
}

std::unique_ptr<MqttSubscriber> MqttSubscriber::start(uint16_t port, const std::string& topic,
                                                      std::string* why) {
  mosquitto_lib_init();
  auto sub = std::unique_ptr<MqttSubscriber>(new MqttSubscriber());
  sub->mosq_ = mosquitto_new(nullptr, true, sub.get());
  mosquitto_message_callback_set(sub->mosq_, on_message);
  mosquitto_subscribe_callback_set(sub->mosq_, on_subscribe);
  if (mosquitto_connect(sub->mosq_, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS ||
      mosquitto_subscribe(sub->mosq_, nullptr, topic.c_str(), 2) != MOSQ_ERR_SUCCESS ||
      mosquitto_loop_start(sub->mosq_) != MOSQ_ERR_SUCCESS) {
    *why = "could not subscribe to " + topic + " on port " + std::to_string(port);
    return nullptr;
  }
  std::unique_lock lock(sub->mu_);
  if (!sub->cv_.wait_for(lock, std::chrono::seconds(10), [&] { return sub->subscribed_; })) {
    *why = "no SUBACK for " + topic;
    return nullptr;
  }
  return sub;
}

MqttSubscriber::~MqttSubscriber() {
  if (mosq_ != nullptr) {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, true);
    mosquitto_destroy(mosq_);
  }
}

std::vector<MqttSubscriber::Message> MqttSubscriber::wait(size_t count,
                                                          std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return messages_.size() >= count; });
  return messages_;
}

}  // namespace lepton::testing
