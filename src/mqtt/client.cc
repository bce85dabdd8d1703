#include "mqtt/client.h"

#include <fmt/format.h>
#include <mosquitto.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "outbound/ca_bundle.h"
#include "outbound/client_tls.h"
#include "outbound/outbound.h"

namespace lepton::mqtt {

namespace {

void init_library() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

// Query keys rumqttc's parse_url knows; lepton acts on client_id, clean_session and
// keep_alive_secs (replaced by open's keep-alive, as in Spin) and accepts the others.
constexpr std::string_view kKnownKeys[] = {"client_id",
                                           "clean_session",
                                           "keep_alive_secs",
                                           "max_incoming_packet_size_bytes",
                                           "max_outgoing_packet_size_bytes",
                                           "request_channel_capacity_num",
                                           "max_request_batch_num",
                                           "pending_throttle_usecs",
                                           "inflight_num",
                                           "conn_timeout_secs"};

}  // namespace

Result<Address> parse_address(std::string_view url) {
  Address a;
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) return fail("MQTT address \"{}\" has no scheme", url);
  std::string_view scheme = url.substr(0, sep);
  if (scheme == "mqtt" || scheme == "tcp") {
    a.port = 1883;
  } else if (scheme == "mqtts" || scheme == "ssl") {
    a.tls = true;
    a.port = 8883;
  } else {
    return fail("MQTT address \"{}\": unsupported scheme \"{}\" (mqtt, tcp, mqtts, ssl)", url,
                scheme);
  }
  std::string_view rest = url.substr(sep + 3);
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    if (rest.size() > slash + 1) return fail("MQTT address \"{}\" has a path", url);
    rest = rest.substr(0, slash);
  }
  std::string_view port;
  if (rest.starts_with('[')) {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return fail("MQTT address \"{}\": unclosed [", url);
    a.host = std::string(rest.substr(1, close - 1));
    if (rest.size() > close + 1) {
      if (rest[close + 1] != ':') return fail("MQTT address \"{}\": junk after ]", url);
      port = rest.substr(close + 2);
    }
  } else {
    size_t colon = rest.find(':');
    a.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port = rest.substr(colon + 1);
  }
  if (a.host.empty()) return fail("MQTT address \"{}\" has no host", url);
  if (!port.empty()) {
    unsigned long p = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || (p = p * 10 + static_cast<unsigned long>(c - '0')) > 65535)
        return fail("MQTT address \"{}\": bad port \"{}\"", url, port);
    }
    a.port = static_cast<uint16_t>(p);
  }
  bool have_id = false;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    if (std::find(std::begin(kKnownKeys), std::end(kKnownKeys), key) == std::end(kKnownKeys))
      return fail("MQTT address \"{}\": unknown option \"{}\"", url, key);
    if (key == "client_id") {
      a.client_id = std::string(value);
      have_id = true;
    } else if (key == "clean_session") {
      if (value != "true" && value != "false")
        return fail("MQTT address \"{}\": clean_session must be true or false", url);
      a.clean_session = value == "true";
    }
  }
  if (!have_id || a.client_id.empty())
    return fail("MQTT address \"{}\" has no client_id (add ?client_id=<id>)", url);
  return a;
}

Client::Client(Address address, std::string username, std::string password,
               uint64_t keep_alive_secs, std::string component_id)
    : address_(std::move(address)),
      username_(std::move(username)),
      password_(std::move(password)),
      keep_alive_(keep_alive_secs == 0
                      ? 0
                      : static_cast<int>(std::clamp<uint64_t>(keep_alive_secs, 5, 65535))),
      component_id_(std::move(component_id)) {}

Client::~Client() {
  if (mosq_ != nullptr) {
    if (connected_) mosquitto_disconnect(mosq_);
    mosquitto_destroy(mosq_);
  }
}

void Client::on_connect(struct mosquitto*, void* self, int rc) {
  static_cast<Client*>(self)->connack_ = rc;
}
void Client::on_publish(struct mosquitto*, void* self, int mid) {
  static_cast<Client*>(self)->last_published_ = mid;
}
void Client::on_disconnect(struct mosquitto*, void* self, int) {
  static_cast<Client*>(self)->disconnected_ = true;
}
void Client::on_log(struct mosquitto*, void* self, int level, const char* message) {
  // libmosquitto logs OpenSSL's error queue ("OpenSSL Error[0]: error:0A000086:SSL
  // routines::certificate verify failed") when a handshake fails; keep the first line.
  auto* c = static_cast<Client*>(self);
  std::string_view m = message != nullptr ? message : "";
  if (level == MOSQ_LOG_ERR && m.starts_with("OpenSSL Error") && c->tls_error_.empty())
    c->tls_error_ = std::string(m);
}

std::string Client::why(int rc) const {
  std::string text = rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc);
  if (rc == MOSQ_ERR_TLS && !tls_error_.empty()) text += " (" + tls_error_ + ")";
  return text;
}

std::optional<Client::Failure> Client::ensure_connected(Clock::time_point until) {
  if (connected_ && !disconnected_) return std::nullopt;
  init_library();
  if (mosq_ != nullptr) mosquitto_destroy(mosq_);
  connected_ = disconnected_ = false;
  connack_ = -1;
  mosq_ = mosquitto_new(address_.client_id.c_str(), address_.clean_session, this);
  if (mosq_ == nullptr) return Failure{true, "could not create an MQTT client"};
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set(mosq_, on_connect);
  mosquitto_publish_callback_set(mosq_, on_publish);
  mosquitto_disconnect_callback_set(mosq_, on_disconnect);
  if (!username_.empty() || !password_.empty())
    mosquitto_username_pw_set(mosq_, username_.c_str(),
                              password_.empty() ? nullptr : password_.c_str());
  mosquitto_log_callback_set(mosq_, on_log);
  tls_error_.clear();
  if (address_.tls) {
    outbound::TlsClientConfig tls = outbound::tls_for(component_id_, address_.host, address_.port);
    auto ca = outbound::ca_file_for(tls);
    if (!ca) return Failure{true, ca.error().message};
    std::string ca_file = ca->string();
    std::string ca_dir = tls.use_system_roots ? outbound::system_ca_dir().string() : "";
    std::string cert = tls.cert_chain_file ? tls.cert_chain_file->string() : "";
    std::string key = tls.private_key_file ? tls.private_key_file->string() : "";
    int rc = mosquitto_tls_set(mosq_, ca_file.c_str(), ca_dir.empty() ? nullptr : ca_dir.c_str(),
                               cert.empty() ? nullptr : cert.c_str(),
                               key.empty() ? nullptr : key.c_str(), nullptr);
    if (rc != MOSQ_ERR_SUCCESS)
      return Failure{
          true, fmt::format("cannot use the TLS settings for {}:{} (CA file {}): {}", address_.host,
                            address_.port, ca_file, mosquitto_strerror(rc))};
  }
  // [outbound_networking] block_networks: connect to an address that isn't blocked.
  std::string host = address_.host;
  if (!outbound::blocked_networks().empty()) {
    auto addresses = outbound::resolve_allowed(address_.host, address_.port);
    if (!addresses) return Failure{true, addresses.error().message};
    host = outbound::ip_text(reinterpret_cast<const sockaddr*>(&addresses->front()));
  }
  int rc = mosquitto_connect(mosq_, host.c_str(), address_.port, keep_alive_);
  if (rc != MOSQ_ERR_SUCCESS)
    return Failure{
        true, fmt::format("could not connect to {}:{}: {}", address_.host, address_.port, why(rc))};
  while (connack_ < 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0) return Failure{true, "timed out waiting for CONNACK"};
    rc = mosquitto_loop(mosq_, static_cast<int>(std::min<int64_t>(left.count(), 100)), 1);
    if (rc != MOSQ_ERR_SUCCESS && connack_ < 0)
      return Failure{true, fmt::format("connection lost: {}", why(rc))};
  }
  if (connack_ != 0)
    return Failure{
        true, fmt::format("broker refused the connection: {}", mosquitto_connack_string(connack_))};
  connected_ = true;
  return std::nullopt;
}

std::optional<Client::Failure> Client::publish(std::string_view topic, std::string_view payload,
                                               int qos, std::optional<Clock::time_point> deadline) {
  Clock::time_point until = Clock::now() + kTimeout;
  if (deadline && *deadline < until) until = *deadline;
  if (auto f = ensure_connected(until)) return f;
  int mid = 0;
  std::string t(topic);
  int rc = mosquitto_publish(mosq_, &mid, t.c_str(), static_cast<int>(payload.size()),
                             payload.data(), qos, false);
  if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST)
    return Failure{true, mosquitto_strerror(rc)};
  if (rc != MOSQ_ERR_SUCCESS) return Failure{false, mosquitto_strerror(rc)};
  while (last_published_ != mid) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0) return Failure{true, "timed out waiting for the broker"};
    rc = mosquitto_loop(mosq_, static_cast<int>(std::min<int64_t>(left.count(), 100)), 1);
    if (last_published_ == mid) break;
    if (rc != MOSQ_ERR_SUCCESS || disconnected_)
      return Failure{true, fmt::format("connection lost: {}", mosquitto_strerror(rc))};
  }
  return std::nullopt;
}

}  // namespace lepton::mqtt
