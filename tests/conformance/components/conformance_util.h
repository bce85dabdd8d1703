// Helpers shared by the conformance guests (tests/conformance/components/*.c): what the upstream
// suite's Rust `helper` crate gives its components, over wit-bindgen c bindings of one world.
//
// A guest includes its world's header first and defines, before including this file:
//   CF_STRING      the world's string type      (e.g. key_value_string_t)
//   CF_BYTES       the world's list<u8> type    (e.g. key_value_list_u8_t)
//   CF_STRING_SET  the world's string setter    (e.g. key_value_string_set)
//   CF_STRING_FREE the world's string free      (e.g. key_value_string_free)
#ifndef LEPTON_CONFORMANCE_UTIL_H
#define LEPTON_CONFORMANCE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// A growing text buffer (error messages, debug renderings of values).
typedef struct {
  char* data;
  size_t len;
  size_t cap;
} cf_text_t;

static inline void cf_append(cf_text_t* t, const char* s, size_t n) {
  if (t->len + n + 1 > t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    while (cap < t->len + n + 1) cap *= 2;
    t->data = (char*)realloc(t->data, cap);
    t->cap = cap;
  }
  memcpy(t->data + t->len, s, n);
  t->len += n;
  t->data[t->len] = '\0';
}

static inline void cf_appendf(cf_text_t* t, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= sizeof buf) n = sizeof buf - 1;
  cf_append(t, buf, (size_t)n);
}

// Appends `s` as Rust's Debug renders a str: in double quotes, with \" \\ \n \r \t escaped.
static inline void cf_append_debug_str(cf_text_t* t, const uint8_t* s, size_t n) {
  cf_append(t, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    switch (s[i]) {
      case '"':
        cf_append(t, "\\\"", 2);
        break;
      case '\\':
        cf_append(t, "\\\\", 2);
        break;
      case '\n':
        cf_append(t, "\\n", 2);
        break;
      case '\r':
        cf_append(t, "\\r", 2);
        break;
      case '\t':
        cf_append(t, "\\t", 2);
        break;
      default:
        cf_append(t, (const char*)&s[i], 1);
    }
  }
  cf_append(t, "\"", 1);
}

// Writes all of data to a wasi:io output stream (at most 4096 bytes per blocking call).
static inline bool cf_write_all(wasi_io_streams_borrow_output_stream_t out, const uint8_t* data,
                                size_t len) {
  while (len > 0) {
    size_t n = len < 4096 ? len : 4096;
    CF_BYTES chunk = {(uint8_t*)data, n};
    wasi_io_streams_stream_error_t err;
    if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(out, &chunk, &err)) {
      if (err.tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED)
        wasi_io_error_error_drop_own(err.val.last_operation_failed);
      return false;
    }
    data += n;
    len -= n;
  }
  return true;
}

// Writes `content` to an outgoing body and finishes it (no trailers).
static inline void cf_write_outgoing_body(wasi_http_types_own_outgoing_body_t body,
                                          const uint8_t* content, size_t len) {
  wasi_io_streams_own_output_stream_t stream;
  wasi_http_types_method_outgoing_body_write(wasi_http_types_borrow_outgoing_body(body), &stream);
  cf_write_all(wasi_io_streams_borrow_output_stream(stream), content, len);
  // The stream must be dropped before the body is finished.
  wasi_io_streams_output_stream_drop_own(stream);
  wasi_http_types_error_code_t err;
  wasi_http_types_static_outgoing_body_finish(body, NULL, &err);
}

// A response with no headers, `status`, and `body` (the body is left untouched when empty, so
// the response carries no body at all), as the upstream helper::response.
static inline wasi_http_types_own_outgoing_response_t cf_response(uint16_t status, const void* body,
                                                                  size_t len) {
  wasi_http_types_own_outgoing_response_t resp =
      wasi_http_types_constructor_outgoing_response(wasi_http_types_constructor_fields());
  wasi_http_types_borrow_outgoing_response_t b = wasi_http_types_borrow_outgoing_response(resp);
  wasi_http_types_method_outgoing_response_set_status_code(b, status);
  if (len > 0) {
    wasi_http_types_own_outgoing_body_t ob;
    wasi_http_types_method_outgoing_response_body(b, &ob);
    cf_write_outgoing_body(ob, (const uint8_t*)body, len);
  }
  return resp;
}

static inline void cf_set_response(wasi_http_types_own_response_outparam_t out,
                                   wasi_http_types_own_outgoing_response_t resp) {
  wasi_http_types_result_own_outgoing_response_error_code_t result = {.is_err = false};
  result.val.ok = resp;
  wasi_http_types_static_response_outparam_set(out, &result);
}

// Sends `status` with `body` (text).
static inline void cf_respond(wasi_http_types_own_response_outparam_t out, uint16_t status,
                              const char* body) {
  cf_set_response(out, cf_response(status, body, strlen(body)));
}

// helper::handle_result: 200 with no body when `error` is NULL, else 500 with the error text.
static inline void cf_handle_result(wasi_http_types_own_response_outparam_t out, cf_text_t* error) {
  if (error == NULL || error->len == 0) {
    cf_respond(out, 200, "");
  } else {
    cf_respond(out, 500, error->data);
  }
}

// The last value of request header `name` (case-insensitive), as a NUL-terminated malloc'd
// string; NULL when absent (helper::get_header).
static inline char* cf_get_header(wasi_http_types_borrow_incoming_request_t request,
                                  const char* name) {
  wasi_http_types_own_headers_t headers = wasi_http_types_method_incoming_request_headers(request);
  wasi_http_types_field_key_t key;
  CF_STRING_SET(&key, name);
  wasi_http_types_list_field_value_t values;
  wasi_http_types_method_fields_get(wasi_http_types_borrow_fields(headers), &key, &values);
  char* result = NULL;
  if (values.len > 0) {
    wasi_http_types_field_value_t* last = &values.ptr[values.len - 1];
    result = (char*)malloc(last->len + 1);
    memcpy(result, last->ptr, last->len);
    result[last->len] = '\0';
  }
  wasi_http_types_list_field_value_free(&values);
  wasi_http_types_fields_drop_own(headers);
  return result;
}

// A string argument for a generated function, borrowing `s`.
static inline CF_STRING cf_str(const char* s) {
  CF_STRING r;
  CF_STRING_SET(&r, s);
  return r;
}

// Whether a world string equals `s`.
static inline bool cf_str_eq(const CF_STRING* a, const char* s) {
  return a->len == strlen(s) && memcmp(a->ptr, s, a->len) == 0;
}

// anyhow::ensure!: records the first failure in *error and makes the guest stop.
#define CF_ENSURE(error, cond)                                                     \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      if ((error)->len == 0) cf_appendf((error), "Condition failed: `%s`", #cond); \
      return false;                                                                \
    }                                                                              \
  } while (0)

#endif
