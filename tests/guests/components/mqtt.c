// mqtt: wasi:http/incoming-handler@0.2.3 using fermyon:spin/mqtt@2.0.0. The query (values
// percent-decoded): ?addr=mqtt://host:port?client_id=... &topic=T &payload=P &qos=0|1|2
// &count=N (publishes N times through one connection, payload "P" or "P-<i>" when N > 1)
// &user=U &password=W &keepalive=S. 200 "published N", or 502 "error: invalid-address|
// too-many-connections|connection-failed: <msg>|other: <msg>".
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt_handler.h"
#define LEPTON_WORLD_STRING mqtt_handler_string_t
#define LEPTON_WORLD_BYTES mqtt_handler_list_u8_t
#define LEPTON_WORLD_STRING_SET mqtt_handler_string_set
#include "guest_util.h"

static char query[4096];
static char reply[2048];

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The percent-decoded value of `name=` in the query ("" when absent).
static const char *param(const char *name, char *buf, size_t size) {
  size_t n = strlen(name);
  buf[0] = 0;
  for (const char *p = strchr(query, '?'); p; p = strchr(p + 1, '&')) {
    if (strncmp(p + 1, name, n) == 0 && p[1 + n] == '=') {
      const char *v = p + 2 + n;
      size_t len = strcspn(v, "&"), o = 0;
      for (size_t i = 0; i < len && o + 1 < size; i++) {
        if (v[i] == '%' && i + 2 < len + 1 && hexval(v[i + 1]) >= 0 && hexval(v[i + 2]) >= 0) {
          buf[o++] = (char)(hexval(v[i + 1]) * 16 + hexval(v[i + 2]));
          i += 2;
        } else {
          buf[o++] = v[i];
        }
      }
      buf[o] = 0;
      break;
    }
  }
  return buf;
}

static int fail(fermyon_spin_mqtt_error_t *e) {
  switch (e->tag) {
    case FERMYON_SPIN_MQTT_ERROR_INVALID_ADDRESS: snprintf(reply, sizeof reply, "error: invalid-address"); break;
    case FERMYON_SPIN_MQTT_ERROR_TOO_MANY_CONNECTIONS: snprintf(reply, sizeof reply, "error: too-many-connections"); break;
    case FERMYON_SPIN_MQTT_ERROR_CONNECTION_FAILED:
      snprintf(reply, sizeof reply, "error: connection-failed: %.*s", (int)e->val.connection_failed.len,
               (const char *)e->val.connection_failed.ptr);
      break;
    default:
      snprintf(reply, sizeof reply, "error: other: %.*s", (int)e->val.other.len, (const char *)e->val.other.ptr);
  }
  fermyon_spin_mqtt_error_free(e);
  return 502;
}

static int run(void) {
  char addr[512], user[128], password[128], topic[256], payload[1024], qos[8], count[16], keepalive[16];
  param("addr", addr, sizeof addr);
  param("user", user, sizeof user);
  param("password", password, sizeof password);
  param("topic", topic, sizeof topic);
  param("payload", payload, sizeof payload);
  param("qos", qos, sizeof qos);
  param("count", count, sizeof count);
  param("keepalive", keepalive, sizeof keepalive);
  mqtt_handler_string_t a = {(uint8_t *)addr, strlen(addr)}, u = {(uint8_t *)user, strlen(user)},
                        p = {(uint8_t *)password, strlen(password)}, t = {(uint8_t *)topic, strlen(topic)};
  fermyon_spin_mqtt_own_connection_t conn;
  fermyon_spin_mqtt_error_t e;
  uint64_t ka = keepalive[0] ? strtoull(keepalive, NULL, 10) : 30;
  if (!fermyon_spin_mqtt_static_connection_open(&a, &u, &p, ka, &conn, &e)) return fail(&e);
  long n = count[0] ? strtol(count, NULL, 10) : 1;
  int status = 200;
  for (long i = 0; i < n; i++) {
    char body[1100];
    if (n > 1) snprintf(body, sizeof body, "%s-%ld", payload, i);
    else snprintf(body, sizeof body, "%s", payload);
    fermyon_spin_mqtt_payload_t pl = {(uint8_t *)body, strlen(body)};
    if (!fermyon_spin_mqtt_method_connection_publish(fermyon_spin_mqtt_borrow_connection(conn), &t, &pl,
                                                    (fermyon_spin_mqtt_qos_t)atoi(qos), &e)) {
      status = fail(&e);
      break;
    }
  }
  if (status == 200) snprintf(reply, sizeof reply, "published %ld", n);
  fermyon_spin_mqtt_connection_drop_own(conn);
  return status;
}

void exports_wasi_http_incoming_handler_handle(wasi_http_types_own_incoming_request_t request,
                                               wasi_http_types_own_response_outparam_t out) {
  query[0] = reply[0] = 0;
  mqtt_handler_string_t s;
  if (wasi_http_types_method_incoming_request_path_with_query(
          wasi_http_types_borrow_incoming_request(request), &s)) {
    size_t n = s.len < sizeof query - 1 ? s.len : sizeof query - 1;
    memcpy(query, s.ptr, n);
    query[n] = 0;
    mqtt_handler_string_free(&s);
  }
  wasi_http_types_incoming_request_drop_own(request);
  int status = run();
  lepton_respond(out, (uint16_t)status, "text/plain", reply, strlen(reply));
}
