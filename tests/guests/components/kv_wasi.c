// kv-wasi: wasi:http/incoming-handler@0.2.3 over wasi:keyvalue@0.2.0-draft2. GET /<bucket> runs a
// fixed scenario on that bucket (store, atomics incl. cas/swap, batch) and answers 200 with a
// transcript, one line per step; a failed open answers 500 "open: <error case>".
#include <stdio.h>
#include <string.h>

#include "kv_wasi_handler.h"
#define LEPTON_WORLD_STRING kv_wasi_handler_string_t
#define LEPTON_WORLD_BYTES kv_wasi_handler_list_u8_t
#define LEPTON_WORLD_STRING_SET kv_wasi_handler_string_set
#include "guest_util.h"

typedef wasi_keyvalue_store_error_t kv_error_t;
typedef wasi_keyvalue_store_borrow_bucket_t bucket_t;

static char body[4096];
static size_t body_len;

static void line(const char* fmt, const char* a, const char* b) {
  int n = snprintf(body + body_len, sizeof body - body_len, fmt, a, b);
  if (n > 0) body_len += (size_t)n;
}

static const char* error_name(kv_error_t* e) {
  switch (e->tag) {
    case WASI_KEYVALUE_STORE_ERROR_NO_SUCH_STORE:
      return "no-such-store";
    case WASI_KEYVALUE_STORE_ERROR_ACCESS_DENIED:
      return "access-denied";
    default:
      return "other";
  }
}

static void set(bucket_t b, const char* key, const char* value) {
  str_t k;
  kv_wasi_handler_string_set(&k, key);
  bytes_t v = {(uint8_t*)value, strlen(value)};
  kv_error_t e;
  if (!wasi_keyvalue_store_method_bucket_set(b, &k, &v, &e))
    line("set %s: %s\n", key, error_name(&e));
}

static void get(bucket_t b, const char* key) {
  str_t k;
  kv_wasi_handler_string_set(&k, key);
  kv_wasi_handler_option_list_u8_t got;
  kv_error_t e;
  char value[256] = "none";
  if (!wasi_keyvalue_store_method_bucket_get(b, &k, &got, &e)) {
    snprintf(value, sizeof value, "error %s", error_name(&e));
  } else if (got.is_some) {
    snprintf(value, sizeof value, "%.*s", (int)got.val.len, (const char*)got.val.ptr);
    kv_wasi_handler_option_list_u8_free(&got);
  }
  line("get %s: %s\n", key, value);
}

static void increment(bucket_t b, const char* key, int64_t delta) {
  str_t k;
  kv_wasi_handler_string_set(&k, key);
  int64_t now;
  kv_error_t e;
  char value[64];
  if (wasi_keyvalue_atomics_increment(b, &k, delta, &now, &e))
    snprintf(value, sizeof value, "%lld", (long long)now);
  else
    snprintf(value, sizeof value, "error %s", error_name(&e));
  line("incr %s: %s\n", key, value);
}

static void cas_current(wasi_keyvalue_atomics_own_cas_t cas) {
  kv_wasi_handler_option_list_u8_t got;
  kv_error_t e;
  char value[256] = "none";
  if (wasi_keyvalue_atomics_method_cas_current(wasi_keyvalue_atomics_borrow_cas(cas), &got, &e) &&
      got.is_some) {
    snprintf(value, sizeof value, "%.*s", (int)got.val.len, (const char*)got.val.ptr);
    kv_wasi_handler_option_list_u8_free(&got);
  }
  line("cas current: %s%s\n", value, "");
}

// swap(cas, value); a lost race hands the cas back, which is reported and dropped.
static void swap(wasi_keyvalue_atomics_own_cas_t cas, const char* value) {
  bytes_t v = {(uint8_t*)value, strlen(value)};
  wasi_keyvalue_atomics_cas_error_t e;
  if (wasi_keyvalue_atomics_swap(cas, &v, &e)) {
    line("swap %s: ok%s\n", value, "");
  } else if (e.tag == WASI_KEYVALUE_ATOMICS_CAS_ERROR_CAS_FAILED) {
    line("swap %s: cas-failed%s\n", value, "");
    cas_current(e.val.cas_failed);
    wasi_keyvalue_atomics_cas_drop_own(e.val.cas_failed);
  } else {
    line("swap %s: %s\n", value, error_name(&e.val.store_error));
  }
}

static wasi_keyvalue_atomics_own_cas_t new_cas(bucket_t b, const char* key) {
  str_t k;
  kv_wasi_handler_string_set(&k, key);
  wasi_keyvalue_atomics_own_cas_t cas;
  kv_error_t e;
  if (!wasi_keyvalue_atomics_static_cas_new(b, &k, &cas, &e)) __builtin_trap();
  return cas;
}

void exports_wasi_http_incoming_handler_handle(wasi_http_types_own_incoming_request_t request,
                                               wasi_http_types_own_response_outparam_t out) {
  char label[256] = "";
  str_t s;
  if (wasi_http_types_method_incoming_request_path_with_query(
          wasi_http_types_borrow_incoming_request(request), &s)) {
    size_t n = s.len > 1 ? s.len - 1 : 0;
    if (n > sizeof label - 1) n = sizeof label - 1;
    memcpy(label, s.ptr + 1, n);
    label[n] = 0;
    kv_wasi_handler_string_free(&s);
  }
  wasi_http_types_incoming_request_drop_own(request);

  body_len = 0;
  str_t id;
  kv_wasi_handler_string_set(&id, label);
  wasi_keyvalue_store_own_bucket_t bucket;
  kv_error_t e;
  if (!wasi_keyvalue_store_open(&id, &bucket, &e)) {
    line("open: %s%s", error_name(&e), "");
    lepton_respond(out, 500, "text/plain", body, body_len);
    return;
  }
  bucket_t b = wasi_keyvalue_store_borrow_bucket(bucket);

  set(b, "a", "1");
  get(b, "a");
  increment(b, "n", 5);
  increment(b, "n", -2);
  get(b, "n");

  kv_wasi_handler_tuple2_string_list_u8_t pairs[2];
  kv_wasi_handler_string_set(&pairs[0].f0, "x");
  pairs[0].f1 = (bytes_t){(uint8_t*)"10", 2};
  kv_wasi_handler_string_set(&pairs[1].f0, "y");
  pairs[1].f1 = (bytes_t){(uint8_t*)"20", 2};
  kv_wasi_handler_list_tuple2_string_list_u8_t kvs = {pairs, 2};
  if (!wasi_keyvalue_batch_set_many(b, &kvs, &e)) line("set-many: %s%s\n", error_name(&e), "");
  str_t names[3];
  kv_wasi_handler_string_set(&names[0], "x");
  kv_wasi_handler_string_set(&names[1], "y");
  kv_wasi_handler_string_set(&names[2], "z");
  kv_wasi_handler_list_string_t keys = {names, 3};
  kv_wasi_handler_list_tuple2_string_option_list_u8_t many;
  if (wasi_keyvalue_batch_get_many(b, &keys, &many, &e)) {
    for (size_t i = 0; i < many.len; ++i) {
      char entry[128];
      snprintf(entry, sizeof entry, "%.*s=%.*s", (int)many.ptr[i].f0.len,
               (const char*)many.ptr[i].f0.ptr,
               many.ptr[i].f1.is_some ? (int)many.ptr[i].f1.val.len : 4,
               many.ptr[i].f1.is_some ? (const char*)many.ptr[i].f1.val.ptr : "none");
      line("many %s%s\n", entry, "");
    }
    kv_wasi_handler_list_tuple2_string_option_list_u8_free(&many);
  }

  // A cas whose key changes behind its back fails; a fresh one succeeds.
  wasi_keyvalue_atomics_own_cas_t cas = new_cas(b, "a");
  cas_current(cas);
  set(b, "a", "2");
  swap(cas, "3");
  swap(new_cas(b, "a"), "3");
  get(b, "a");

  keys.len = 2;
  if (!wasi_keyvalue_batch_delete_many(b, &keys, &e))
    line("delete-many: %s%s\n", error_name(&e), "");
  get(b, "x");

  wasi_keyvalue_store_key_response_t listed;
  if (wasi_keyvalue_store_method_bucket_list_keys(b, NULL, &listed, &e)) {
    for (size_t i = 0; i < listed.keys.len; ++i) {
      char key[128];
      snprintf(key, sizeof key, "%.*s", (int)listed.keys.ptr[i].len,
               (const char*)listed.keys.ptr[i].ptr);
      line("key %s%s\n", key, "");
    }
    line("cursor: %s%s\n", listed.cursor.is_some ? "some" : "none", "");
    wasi_keyvalue_store_key_response_free(&listed);
  }
  wasi_keyvalue_store_bucket_drop_own(bucket);
  lepton_respond(out, 200, "text/plain", body, body_len);
}
