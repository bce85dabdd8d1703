// kv: wasi:http/incoming-handler@0.2.3 over fermyon:spin/key-value@2.0.0. The path names the
// store, the operation and the key:
//   /<label>/get/<key>          200 value | 404 "none"
//   /<label>/set/<key>/<value>  200 "ok"
//   /<label>/delete/<key>       200 "ok"
//   /<label>/exists/<key>       200 "true" | "false"
//   /<label>/keys               200 keys, one per line (sorted)
// A failed open or operation answers 500 "<op>: <error case>" (e.g. "open: access-denied").
#include <stdio.h>
#include <string.h>

#include "kv_handler.h"
#define LEPTON_WORLD_STRING kv_handler_string_t
#define LEPTON_WORLD_BYTES kv_handler_list_u8_t
#define LEPTON_WORLD_STRING_SET kv_handler_string_set
#include "guest_util.h"

typedef fermyon_spin_key_value_error_t kv_error_t;

static const char* error_name(const kv_error_t* e) {
  switch (e->tag) {
    case FERMYON_SPIN_KEY_VALUE_ERROR_STORE_TABLE_FULL:
      return "store-table-full";
    case FERMYON_SPIN_KEY_VALUE_ERROR_NO_SUCH_STORE:
      return "no-such-store";
    case FERMYON_SPIN_KEY_VALUE_ERROR_ACCESS_DENIED:
      return "access-denied";
    default:
      return "other";
  }
}

static void fail(wasi_http_types_own_response_outparam_t out, const char* op, kv_error_t* e) {
  char body[512];
  int len = e->tag == FERMYON_SPIN_KEY_VALUE_ERROR_OTHER
                ? snprintf(body, sizeof body, "%s: other: %.*s", op, (int)e->val.other.len,
                           (const char*)e->val.other.ptr)
                : snprintf(body, sizeof body, "%s: %s", op, error_name(e));
  fermyon_spin_key_value_error_free(e);
  lepton_respond(out, 500, "text/plain", body, (size_t)len);
}

// Splits "/a/b/c..." in place: up to 3 segments, the last keeping any further slashes.
static int split(char* path, char* parts[3]) {
  int n = 0;
  char* p = path[0] == '/' ? path + 1 : path;
  while (n < 3 && p) {
    parts[n++] = p;
    char* slash = n < 3 ? strchr(p, '/') : NULL;
    if (slash) *slash = 0;
    p = slash ? slash + 1 : NULL;
  }
  return n;
}

void exports_wasi_http_incoming_handler_handle(wasi_http_types_own_incoming_request_t request,
                                               wasi_http_types_own_response_outparam_t out) {
  static char path[4096];
  path[0] = 0;
  str_t s;
  if (wasi_http_types_method_incoming_request_path_with_query(
          wasi_http_types_borrow_incoming_request(request), &s)) {
    size_t n = s.len < sizeof path - 1 ? s.len : sizeof path - 1;
    memcpy(path, s.ptr, n);
    path[n] = 0;
    kv_handler_string_free(&s);
  }
  wasi_http_types_incoming_request_drop_own(request);

  char* parts[3] = {"", "", ""};
  int n = split(path, parts);
  if (n < 2) {
    lepton_respond(out, 400, "text/plain", "bad path", 8);
    return;
  }
  const char* op = parts[1];
  // For set, the third segment is "<key>/<value>".
  char* key = n > 2 ? parts[2] : "";
  char* value = "";
  if (strcmp(op, "set") == 0) {
    char* slash = strchr(key, '/');
    if (slash) {
      *slash = 0;
      value = slash + 1;
    }
  }

  kv_error_t err;
  fermyon_spin_key_value_own_store_t store;
  str_t label;
  kv_handler_string_set(&label, parts[0]);
  if (!fermyon_spin_key_value_static_store_open(&label, &store, &err)) {
    fail(out, "open", &err);
    return;
  }
  fermyon_spin_key_value_borrow_store_t b = fermyon_spin_key_value_borrow_store(store);
  str_t k;
  kv_handler_string_set(&k, key);

  if (strcmp(op, "get") == 0) {
    kv_handler_option_list_u8_t got;
    if (!fermyon_spin_key_value_method_store_get(b, &k, &got, &err)) {
      fail(out, "get", &err);
    } else if (!got.is_some) {
      lepton_respond(out, 404, "text/plain", "none", 4);
    } else {
      lepton_respond(out, 200, "application/octet-stream", got.val.ptr, got.val.len);
      kv_handler_option_list_u8_free(&got);
    }
  } else if (strcmp(op, "set") == 0) {
    bytes_t v = {(uint8_t*)value, strlen(value)};
    if (!fermyon_spin_key_value_method_store_set(b, &k, &v, &err))
      fail(out, "set", &err);
    else
      lepton_respond(out, 200, "text/plain", "ok", 2);
  } else if (strcmp(op, "delete") == 0) {
    if (!fermyon_spin_key_value_method_store_delete(b, &k, &err))
      fail(out, "delete", &err);
    else
      lepton_respond(out, 200, "text/plain", "ok", 2);
  } else if (strcmp(op, "exists") == 0) {
    bool found;
    if (!fermyon_spin_key_value_method_store_exists(b, &k, &found, &err))
      fail(out, "exists", &err);
    else
      lepton_respond(out, 200, "text/plain", found ? "true" : "false", found ? 4 : 5);
  } else if (strcmp(op, "keys") == 0) {
    kv_handler_list_string_t keys;
    if (!fermyon_spin_key_value_method_store_get_keys(b, &keys, &err)) {
      fail(out, "keys", &err);
    } else {
      static char body[8192];
      size_t len = 0;
      for (size_t i = 0; i < keys.len && len + keys.ptr[i].len + 1 < sizeof body; ++i) {
        memcpy(body + len, keys.ptr[i].ptr, keys.ptr[i].len);
        len += keys.ptr[i].len;
        body[len++] = '\n';
      }
      kv_handler_list_string_free(&keys);
      lepton_respond(out, 200, "text/plain", body, len);
    }
  } else {
    lepton_respond(out, 400, "text/plain", "bad op", 6);
  }
  fermyon_spin_key_value_store_drop_own(store);
}
