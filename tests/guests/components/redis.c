// redis: wasi:http/incoming-handler@0.2.3 using fermyon:spin/redis@2.0.0. The query names the
// operation and its operands (not percent-decoded; lists are comma-separated):
//   ?op=set|get|incr|del|sadd|smembers|srem|publish|execute|ids &addr=redis://... &key=K
//   &value=V (set, publish payload) &values=a,b (del keys, sadd/srem members, execute arguments;
//   an execute argument "i:N" is the integer N) &cmd=C (execute)
// Success: 200 with the result as text (get: the value or "(none)"; lists comma-joined;
// execute: nil / status:S / int:N / bin:B per result; ids: CLIENT ID seen by two handles opened
// to addr, "a,b"). A Redis error: 502 "error: invalid-address|too-many-connections|type-error|
// other: <message>".
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_handler.h"
#define LEPTON_WORLD_STRING redis_handler_string_t
#define LEPTON_WORLD_BYTES redis_handler_list_u8_t
#define LEPTON_WORLD_STRING_SET redis_handler_string_set
#include "guest_util.h"

typedef fermyon_spin_redis_error_t rerr_t;
typedef fermyon_spin_redis_borrow_connection_t conn_t;

static char query[4096];
static char reply[8192];

// Copies the value of `name=` in the query into buf ("" when absent).
static const char *param(const char *name, char *buf, size_t size) {
  size_t n = strlen(name);
  buf[0] = 0;
  for (const char *p = strchr(query, '?'); p; p = strchr(p + 1, '&')) {
    if (strncmp(p + 1, name, n) == 0 && p[1 + n] == '=') {
      const char *v = p + 2 + n;
      snprintf(buf, size, "%.*s", (int)strcspn(v, "&"), v);
      break;
    }
  }
  return buf;
}

// Splits a comma-separated list in place into strings (pointing into buf).
static redis_handler_list_string_t split(char *buf) {
  static redis_handler_string_t items[64];
  size_t n = 0;
  for (char *s = buf; *buf && n < 64;) {
    char *comma = strchr(s, ',');
    if (comma) *comma = 0;
    items[n].ptr = (uint8_t *)s;
    items[n].len = strlen(s);
    n++;
    if (!comma) break;
    s = comma + 1;
  }
  return (redis_handler_list_string_t){items, n};
}

static void append(const char *text, size_t len) {
  size_t used = strlen(reply);
  if (used && used + 1 < sizeof reply) strcat(reply, ",");
  used = strlen(reply);
  if (len > sizeof reply - used - 1) len = sizeof reply - used - 1;
  memcpy(reply + used, text, len);
  reply[used + len] = 0;
}

static int fail(rerr_t *e) {
  switch (e->tag) {
    case FERMYON_SPIN_REDIS_ERROR_INVALID_ADDRESS: snprintf(reply, sizeof reply, "error: invalid-address"); break;
    case FERMYON_SPIN_REDIS_ERROR_TOO_MANY_CONNECTIONS: snprintf(reply, sizeof reply, "error: too-many-connections"); break;
    case FERMYON_SPIN_REDIS_ERROR_TYPE_ERROR: snprintf(reply, sizeof reply, "error: type-error"); break;
    default:
      snprintf(reply, sizeof reply, "error: other: %.*s", (int)e->val.other.len, (const char *)e->val.other.ptr);
  }
  fermyon_spin_redis_error_free(e);
  return 502;
}

static int run(conn_t c, const char *op) {
  char key[512], value[1024], values[2048], cmd[64];
  param("key", key, sizeof key);
  param("value", value, sizeof value);
  param("values", values, sizeof values);
  param("cmd", cmd, sizeof cmd);
  redis_handler_string_t k = {(uint8_t *)key, strlen(key)};
  fermyon_spin_redis_payload_t v = {(uint8_t *)value, strlen(value)};
  redis_handler_list_string_t list = split(values);
  rerr_t e;
  uint32_t n;
  if (strcmp(op, "set") == 0) {
    if (!fermyon_spin_redis_method_connection_set(c, &k, &v, &e)) return fail(&e);
    strcpy(reply, "ok");
  } else if (strcmp(op, "publish") == 0) {
    if (!fermyon_spin_redis_method_connection_publish(c, &k, &v, &e)) return fail(&e);
    strcpy(reply, "ok");
  } else if (strcmp(op, "get") == 0) {
    fermyon_spin_redis_option_payload_t got;
    if (!fermyon_spin_redis_method_connection_get(c, &k, &got, &e)) return fail(&e);
    if (got.is_some) {
      append((const char *)got.val.ptr, got.val.len);
      fermyon_spin_redis_payload_free(&got.val);
    } else {
      strcpy(reply, "(none)");
    }
  } else if (strcmp(op, "incr") == 0) {
    int64_t x;
    if (!fermyon_spin_redis_method_connection_incr(c, &k, &x, &e)) return fail(&e);
    snprintf(reply, sizeof reply, "%lld", (long long)x);
  } else if (strcmp(op, "del") == 0) {
    if (!fermyon_spin_redis_method_connection_del(c, &list, &n, &e)) return fail(&e);
    snprintf(reply, sizeof reply, "%u", n);
  } else if (strcmp(op, "sadd") == 0) {
    if (!fermyon_spin_redis_method_connection_sadd(c, &k, &list, &n, &e)) return fail(&e);
    snprintf(reply, sizeof reply, "%u", n);
  } else if (strcmp(op, "srem") == 0) {
    if (!fermyon_spin_redis_method_connection_srem(c, &k, &list, &n, &e)) return fail(&e);
    snprintf(reply, sizeof reply, "%u", n);
  } else if (strcmp(op, "smembers") == 0) {
    redis_handler_list_string_t members;
    if (!fermyon_spin_redis_method_connection_smembers(c, &k, &members, &e)) return fail(&e);
    for (size_t i = 0; i < members.len; i++) append((const char *)members.ptr[i].ptr, members.ptr[i].len);
    redis_handler_list_string_free(&members);
  } else if (strcmp(op, "execute") == 0) {
    fermyon_spin_redis_redis_parameter_t args[64];
    for (size_t i = 0; i < list.len; i++) {
      const char *s = (const char *)list.ptr[i].ptr;
      if (strncmp(s, "i:", 2) == 0) {
        args[i].tag = FERMYON_SPIN_REDIS_REDIS_PARAMETER_INT64;
        args[i].val.int64 = strtoll(s + 2, NULL, 10);
      } else {
        args[i].tag = FERMYON_SPIN_REDIS_REDIS_PARAMETER_BINARY;
        args[i].val.binary = (fermyon_spin_redis_payload_t){(uint8_t *)s, list.ptr[i].len};
      }
    }
    fermyon_spin_redis_list_redis_parameter_t arguments = {args, list.len};
    redis_handler_string_t command = {(uint8_t *)cmd, strlen(cmd)};
    fermyon_spin_redis_list_redis_result_t results;
    if (!fermyon_spin_redis_method_connection_execute(c, &command, &arguments, &results, &e)) return fail(&e);
    for (size_t i = 0; i < results.len; i++) {
      fermyon_spin_redis_redis_result_t *r = &results.ptr[i];
      char item[1100];
      switch (r->tag) {
        case FERMYON_SPIN_REDIS_REDIS_RESULT_NIL: snprintf(item, sizeof item, "nil"); break;
        case FERMYON_SPIN_REDIS_REDIS_RESULT_STATUS:
          snprintf(item, sizeof item, "status:%.*s", (int)r->val.status.len, (const char *)r->val.status.ptr);
          break;
        case FERMYON_SPIN_REDIS_REDIS_RESULT_INT64: snprintf(item, sizeof item, "int:%lld", (long long)r->val.int64); break;
        default:
          snprintf(item, sizeof item, "bin:%.*s", (int)r->val.binary.len, (const char *)r->val.binary.ptr);
      }
      append(item, strlen(item));
    }
    fermyon_spin_redis_list_redis_result_free(&results);
  } else {
    snprintf(reply, sizeof reply, "unknown op %s", op);
    return 400;
  }
  return 200;
}

// CLIENT ID of the server connection behind `c`, or -1.
static long long client_id(conn_t c) {
  redis_handler_string_t command = {(uint8_t *)"CLIENT", 6};
  fermyon_spin_redis_redis_parameter_t arg = {.tag = FERMYON_SPIN_REDIS_REDIS_PARAMETER_BINARY};
  arg.val.binary = (fermyon_spin_redis_payload_t){(uint8_t *)"ID", 2};
  fermyon_spin_redis_list_redis_parameter_t args = {&arg, 1};
  fermyon_spin_redis_list_redis_result_t results;
  rerr_t e;
  if (!fermyon_spin_redis_method_connection_execute(c, &command, &args, &results, &e)) return -1;
  long long id = results.len == 1 && results.ptr[0].tag == FERMYON_SPIN_REDIS_REDIS_RESULT_INT64
                     ? (long long)results.ptr[0].val.int64 : -1;
  fermyon_spin_redis_list_redis_result_free(&results);
  return id;
}

void exports_wasi_http_incoming_handler_handle(wasi_http_types_own_incoming_request_t request,
                                               wasi_http_types_own_response_outparam_t out) {
  query[0] = reply[0] = 0;
  redis_handler_string_t s;
  if (wasi_http_types_method_incoming_request_path_with_query(
          wasi_http_types_borrow_incoming_request(request), &s)) {
    size_t n = s.len < sizeof query - 1 ? s.len : sizeof query - 1;
    memcpy(query, s.ptr, n);
    query[n] = 0;
    redis_handler_string_free(&s);
  }
  wasi_http_types_incoming_request_drop_own(request);

  char op[32], addr[512];
  param("op", op, sizeof op);
  param("addr", addr, sizeof addr);
  redis_handler_string_t address = {(uint8_t *)addr, strlen(addr)};
  fermyon_spin_redis_own_connection_t conn;
  rerr_t e;
  int status;
  if (!fermyon_spin_redis_static_connection_open(&address, &conn, &e)) {
    status = fail(&e);
  } else if (strcmp(op, "ids") == 0) {
    fermyon_spin_redis_own_connection_t second;
    if (!fermyon_spin_redis_static_connection_open(&address, &second, &e)) {
      status = fail(&e);
    } else {
      snprintf(reply, sizeof reply, "%lld,%lld", client_id(fermyon_spin_redis_borrow_connection(conn)),
               client_id(fermyon_spin_redis_borrow_connection(second)));
      fermyon_spin_redis_connection_drop_own(second);
      status = 200;
    }
    fermyon_spin_redis_connection_drop_own(conn);
  } else {
    status = run(fermyon_spin_redis_borrow_connection(conn), op);
    fermyon_spin_redis_connection_drop_own(conn);
  }
  lepton_respond(out, (uint16_t)status, "text/plain", reply, strlen(reply));
}
