// key-value: the conformance suite's key-value component, in C. Over fermyon:spin/key-value@2.0.0:
// opening "forbidden" must be access-denied; then on "default": delete/exists/get/get-keys on an
// empty store, set, overwrite, a second key, deletes. 200 with no body when every step holds,
// else 500 with the failure (a host error as Rust's Debug spells it, e.g. "Error::AccessDenied").
#include "key_value.h"

#define CF_STRING key_value_string_t
#define CF_BYTES key_value_list_u8_t
#define CF_STRING_SET key_value_string_set
#include "conformance_util.h"

typedef fermyon_spin_2_0_0_key_value_error_t kv_error_t;
typedef fermyon_spin_2_0_0_key_value_borrow_store_t store_t;

static void describe(cf_text_t* out, const kv_error_t* e) {
  switch (e->tag) {
    case FERMYON_SPIN_2_0_0_KEY_VALUE_ERROR_STORE_TABLE_FULL:
      cf_appendf(out, "Error::StoreTableFull");
      break;
    case FERMYON_SPIN_2_0_0_KEY_VALUE_ERROR_NO_SUCH_STORE:
      cf_appendf(out, "Error::NoSuchStore");
      break;
    case FERMYON_SPIN_2_0_0_KEY_VALUE_ERROR_ACCESS_DENIED:
      cf_appendf(out, "Error::AccessDenied");
      break;
    default:
      cf_appendf(out, "Error::Other(");
      cf_append_debug_str(out, e->val.other.ptr, e->val.other.len);
      cf_appendf(out, ")");
  }
}

// `?` on a host call: records the error (with anyhow-style context when given) and stops.
#define TRY(error, call, context)                          \
  do {                                                     \
    kv_error_t e_;                                         \
    if (!(call)) {                                         \
      if ((context) != NULL) {                             \
        cf_appendf((error), "%s", (const char*)(context)); \
      } else {                                             \
        describe((error), &e_);                            \
      }                                                    \
      return false;                                        \
    }                                                      \
  } while (0)
#define E &e_

static bool exists_is(store_t s, const char* key, bool want) {
  key_value_string_t k = cf_str(key);
  bool got;
  kv_error_t e;
  return fermyon_spin_2_0_0_key_value_method_store_exists(s, &k, &got, &e) && got == want;
}

// get(key) == Ok(None) when want is NULL, else Ok(Some(want)).
static bool get_is(store_t s, const char* key, const char* want) {
  key_value_string_t k = cf_str(key);
  key_value_option_list_u8_t got;
  kv_error_t e;
  if (!fermyon_spin_2_0_0_key_value_method_store_get(s, &k, &got, &e)) return false;
  bool ok;
  if (want == NULL) {
    ok = !got.is_some;
  } else {
    ok = got.is_some && got.val.len == strlen(want) && memcmp(got.val.ptr, want, got.val.len) == 0;
  }
  if (got.is_some) key_value_list_u8_free(&got.val);
  return ok;
}

// get_keys() == Ok(keys) as a set of `n` keys.
static bool keys_are(store_t s, const char* const* keys, size_t n) {
  key_value_list_string_t got;
  kv_error_t e;
  if (!fermyon_spin_2_0_0_key_value_method_store_get_keys(s, &got, &e)) return false;
  bool ok = got.len == n;
  for (size_t i = 0; ok && i < n; i++) {
    bool found = false;
    for (size_t j = 0; j < got.len; j++) found = found || cf_str_eq(&got.ptr[j], keys[i]);
    ok = found;
  }
  key_value_list_string_free(&got);
  return ok;
}

static bool set(store_t s, const char* key, const char* value, kv_error_t* e) {
  key_value_string_t k = cf_str(key);
  key_value_list_u8_t v = {(uint8_t*)value, strlen(value)};
  return fermyon_spin_2_0_0_key_value_method_store_set(s, &k, &v, e);
}

static bool del(store_t s, const char* key, kv_error_t* e) {
  key_value_string_t k = cf_str(key);
  return fermyon_spin_2_0_0_key_value_method_store_delete(s, &k, e);
}

static bool run(store_t s, cf_text_t* error) {
  // Ensure nothing set in `bar` key
  TRY(error, del(s, "bar", E), "could not delete 'bar' key");
  CF_ENSURE(error, exists_is(s, "bar", false));
  CF_ENSURE(error, get_is(s, "bar", NULL));
  CF_ENSURE(error, keys_are(s, NULL, 0));

  // Set `bar` key
  TRY(error, set(s, "bar", "baz", E), "could not set 'bar' key");
  CF_ENSURE(error, exists_is(s, "bar", true));
  CF_ENSURE(error, get_is(s, "bar", "baz"));
  static const char* const bar[] = {"bar"};
  CF_ENSURE(error, keys_are(s, bar, 1));

  // Override `bar` key
  TRY(error, set(s, "bar", "wow", E), NULL);
  CF_ENSURE(error, exists_is(s, "bar", true));
  CF_ENSURE(error, get_is(s, "bar", "wow"));
  CF_ENSURE(error, keys_are(s, bar, 1));

  // Set another key
  TRY(error, set(s, "qux", "yay", E), NULL);
  static const char* const both[] = {"bar", "qux"};
  CF_ENSURE(error, keys_are(s, both, 2));

  // Delete everything
  TRY(error, del(s, "bar", E), NULL);
  TRY(error, del(s, "bar", E), NULL);
  TRY(error, del(s, "qux", E), NULL);
  CF_ENSURE(error, exists_is(s, "bar", false));
  CF_ENSURE(error, get_is(s, "qux", NULL));
  CF_ENSURE(error, keys_are(s, NULL, 0));
  return true;
}

static bool open_is_access_denied(const char* label) {
  key_value_string_t l = cf_str(label);
  fermyon_spin_2_0_0_key_value_own_store_t store;
  kv_error_t e;
  if (fermyon_spin_2_0_0_key_value_static_store_open(&l, &store, &e)) {
    fermyon_spin_2_0_0_key_value_store_drop_own(store);
    return false;
  }
  bool denied = e.tag == FERMYON_SPIN_2_0_0_KEY_VALUE_ERROR_ACCESS_DENIED;
  if (e.tag == FERMYON_SPIN_2_0_0_KEY_VALUE_ERROR_OTHER) key_value_string_free(&e.val.other);
  return denied;
}

static bool handle(cf_text_t* error) {
  CF_ENSURE(error, open_is_access_denied("forbidden"));
  key_value_string_t label = cf_str("default");
  fermyon_spin_2_0_0_key_value_own_store_t store;
  kv_error_t e;
  if (!fermyon_spin_2_0_0_key_value_static_store_open(&label, &store, &e)) {
    describe(error, &e);
    return false;
  }
  bool ok = run(fermyon_spin_2_0_0_key_value_borrow_store(store), error);
  fermyon_spin_2_0_0_key_value_store_drop_own(store);
  return ok;
}

void exports_wasi_http_incoming_handler_handle(
    exports_wasi_http_incoming_handler_own_incoming_request_t request,
    exports_wasi_http_incoming_handler_own_response_outparam_t response_out) {
  cf_text_t error = {0};
  handle(&error);
  wasi_http_types_incoming_request_drop_own(request);
  cf_handle_result(response_out, &error);
  free(error.data);
}
