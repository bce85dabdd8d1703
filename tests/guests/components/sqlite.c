// sqlite (fermyon:spin/sqlite@2.0.0) and sqlite3 (spin:sqlite/sqlite@3.0.0, built with
// -DLEPTON_SQLITE_V3): a wasi:http handler that runs SQL from the request body on one
// connection to the database named by the path, and answers the results as text.
//
//   POST [/<route>]/<label>  (the label is the last path segment)
//     body: lines; a line "? <param>" binds a parameter to the statement above it, any other
//     non-empty line is a statement. <param> is i:<int>, r:<real>, t:<text>, b:<hex> or null.
// 200 body: for each statement that returns columns, "columns: a|b" then "row: v|v" per row,
//   values as i:<int>, r:<%g>, t:<text>, b:<hex> or null; with LEPTON_SQLITE_V3, every
//   statement also adds "changes: <n> rowid: <n>".
// Errors: open access-denied → 403 "open: access-denied"; no-such-database → 404
//   "open: no-such-database"; any other → 500 "<op>: <case>[: <message>]".
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef LEPTON_SQLITE_V3
#include "sqlite3_handler.h"
#define W(x) sqlite3_handler_##x
#define S(x) spin_sqlite_sqlite_##x
#define SU(x) SPIN_SQLITE_SQLITE_##x
#define LEPTON_WORLD_STRING sqlite3_handler_string_t
#define LEPTON_WORLD_BYTES sqlite3_handler_list_u8_t
#define LEPTON_WORLD_STRING_SET sqlite3_handler_string_set
#else
#include "sqlite_handler.h"
#define W(x) sqlite_handler_##x
#define S(x) fermyon_spin_sqlite_##x
#define SU(x) FERMYON_SPIN_SQLITE_##x
#define LEPTON_WORLD_STRING sqlite_handler_string_t
#define LEPTON_WORLD_BYTES sqlite_handler_list_u8_t
#define LEPTON_WORLD_STRING_SET sqlite_handler_string_set
#endif
#include "guest_util.h"

static char* out_buf;
static size_t out_len, out_cap;

static void emit(const void* data, size_t len) {
  if (out_len + len > out_cap) {
    out_cap = (out_len + len) * 2 + 256;
    out_buf = realloc(out_buf, out_cap);
  }
  memcpy(out_buf + out_len, data, len);
  out_len += len;
}
static void emits(const char* s) { emit(s, strlen(s)); }
static void emit_hex(const uint8_t* p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    char h[2] = {digits[p[i] >> 4], digits[p[i] & 15]};
    emit(h, 2);
  }
}

static const char* error_name(uint8_t tag) {
  switch (tag) {
    case SU(ERROR_NO_SUCH_DATABASE):
      return "no-such-database";
    case SU(ERROR_ACCESS_DENIED):
      return "access-denied";
    case SU(ERROR_INVALID_CONNECTION):
      return "invalid-connection";
    case SU(ERROR_DATABASE_FULL):
      return "database-full";
    default:
      return "io";
  }
}

static void fail(wasi_http_types_own_response_outparam_t out, const char* op, S(error_t) * e) {
  char body[1024];
  int len = e->tag == SU(ERROR_IO) ? snprintf(body, sizeof body, "%s: io: %.*s", op,
                                              (int)e->val.io.len, (const char*)e->val.io.ptr)
                                   : snprintf(body, sizeof body, "%s: %s", op, error_name(e->tag));
  uint16_t status = e->tag == SU(ERROR_ACCESS_DENIED)      ? 403
                    : e->tag == SU(ERROR_NO_SUCH_DATABASE) ? 404
                                                           : 500;
  S(error_free)(e);
  lepton_respond(out, status, "text/plain", body, (size_t)len);
}

static int unhex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 0;
}

// Parses "i:1", "r:2.5", "t:x", "b:00ff", "null" (the string points into the body).
static S(value_t) parse_param(char* p) {
  S(value_t) v;
  memset(&v, 0, sizeof v);
  if (strncmp(p, "i:", 2) == 0) {
    v.tag = SU(VALUE_INTEGER);
    v.val.integer = strtoll(p + 2, NULL, 10);
  } else if (strncmp(p, "r:", 2) == 0) {
    v.tag = SU(VALUE_REAL);
    v.val.real = strtod(p + 2, NULL);
  } else if (strncmp(p, "t:", 2) == 0) {
    v.tag = SU(VALUE_TEXT);
    v.val.text.ptr = (uint8_t*)p + 2;
    v.val.text.len = strlen(p + 2);
  } else if (strncmp(p, "b:", 2) == 0) {
    v.tag = SU(VALUE_BLOB);
    size_t n = strlen(p + 2) / 2;
    uint8_t* bytes = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
      bytes[i] = (uint8_t)(unhex(p[2 + 2 * i]) * 16 + unhex(p[3 + 2 * i]));
    v.val.blob.ptr = bytes;
    v.val.blob.len = n;
  } else {
    v.tag = SU(VALUE_NULL);
  }
  return v;
}

static void emit_value(const S(value_t) * v) {
  char buf[64];
  switch (v->tag) {
    case SU(VALUE_INTEGER):
      snprintf(buf, sizeof buf, "i:%lld", (long long)v->val.integer);
      emits(buf);
      break;
    case SU(VALUE_REAL):
      snprintf(buf, sizeof buf, "r:%g", v->val.real);
      emits(buf);
      break;
    case SU(VALUE_TEXT):
      emits("t:");
      emit(v->val.text.ptr, v->val.text.len);
      break;
    case SU(VALUE_BLOB):
      emits("b:");
      emit_hex(v->val.blob.ptr, v->val.blob.len);
      break;
    default:
      emits("null");
  }
}

// Reads the whole request body (NUL-terminated).
static char* read_body(wasi_http_types_own_incoming_request_t request) {
  char* body = malloc(1);
  size_t len = 0;
  wasi_http_types_own_incoming_body_t in_body;
  if (wasi_http_types_method_incoming_request_consume(
          wasi_http_types_borrow_incoming_request(request), &in_body)) {
    wasi_io_streams_own_input_stream_t in;
    if (wasi_http_types_method_incoming_body_stream(wasi_http_types_borrow_incoming_body(in_body),
                                                    &in)) {
      for (;;) {
        bytes_t chunk;
        wasi_io_streams_stream_error_t err;
        if (!wasi_io_streams_method_input_stream_blocking_read(
                wasi_io_streams_borrow_input_stream(in), 65536, &chunk, &err)) {
          if (err.tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED)
            wasi_io_error_error_drop_own(err.val.last_operation_failed);
          break;
        }
        body = realloc(body, len + chunk.len + 1);
        memcpy(body + len, chunk.ptr, chunk.len);
        len += chunk.len;
        W(list_u8_free)(&chunk);
      }
      wasi_io_streams_input_stream_drop_own(in);
    }
    wasi_http_types_static_incoming_body_finish(in_body);
  }
  body[len] = 0;
  return body;
}

// Runs `sql` with `params`; returns 0 after answering an error.
static int run(wasi_http_types_own_response_outparam_t out, S(borrow_connection_t) conn, char* sql,
               S(value_t) * params, size_t nparams) {
  str_t statement = {(uint8_t*)sql, strlen(sql)};
  S(list_value_t) list = {params, nparams};
  S(query_result_t) result;
  S(error_t) err;
  if (!S(method_connection_execute)(conn, &statement, &list, &result, &err)) {
    fail(out, "execute", &err);
    return 0;
  }
  if (result.columns.len > 0) {
    emits("columns: ");
    for (size_t i = 0; i < result.columns.len; i++) {
      if (i) emits("|");
      emit(result.columns.ptr[i].ptr, result.columns.ptr[i].len);
    }
    emits("\n");
    for (size_t r = 0; r < result.rows.len; r++) {
      emits("row: ");
      for (size_t i = 0; i < result.rows.ptr[r].values.len; i++) {
        if (i) emits("|");
        emit_value(&result.rows.ptr[r].values.ptr[i]);
      }
      emits("\n");
    }
  }
  S(query_result_free)(&result);
#ifdef LEPTON_SQLITE_V3
  char buf[96];
  snprintf(buf, sizeof buf, "changes: %llu rowid: %lld\n",
           (unsigned long long)S(method_connection_changes)(conn),
           (long long)S(method_connection_last_insert_rowid)(conn));
  emits(buf);
#endif
  return 1;
}

void exports_wasi_http_incoming_handler_handle(wasi_http_types_own_incoming_request_t request,
                                               wasi_http_types_own_response_outparam_t out) {
  static char label[256];
  label[0] = 0;
  str_t path;
  if (wasi_http_types_method_incoming_request_path_with_query(
          wasi_http_types_borrow_incoming_request(request), &path)) {
    size_t skip = path.len > 0 && path.ptr[0] == '/' ? 1 : 0;
    size_t n = path.len - skip < sizeof label - 1 ? path.len - skip : sizeof label - 1;
    memcpy(label, path.ptr + skip, n);
    label[n] = 0;
    char* q = strchr(label, '?');
    if (q) *q = 0;
    // The label is the last path segment, whatever the component's route.
    char* slash = strrchr(label, '/');
    if (slash) memmove(label, slash + 1, strlen(slash + 1) + 1);
    W(string_free)(&path);
  }
  char* body = read_body(request);
  wasi_http_types_incoming_request_drop_own(request);

  S(own_connection_t) conn;
  S(error_t) err;
  str_t name;
  W(string_set)(&name, label);
  if (!S(static_connection_open)(&name, &conn, &err)) {
    fail(out, "open", &err);
    return;
  }
  S(borrow_connection_t) b = S(borrow_connection)(conn);

  // Statements and their parameters, line by line.
  char* sql = NULL;
  S(value_t) params[32];
  size_t nparams = 0;
  int ok = 1;
  for (char* line = strtok(body, "\n"); line && ok; line = strtok(NULL, "\n")) {
    size_t n = strlen(line);
    if (n && line[n - 1] == '\r') line[--n] = 0;
    if (n == 0) continue;
    if (line[0] == '?' && line[1] == ' ') {
      if (nparams < 32) params[nparams++] = parse_param(line + 2);
      continue;
    }
    if (sql) ok = run(out, b, sql, params, nparams);
    sql = line;
    nparams = 0;
  }
  if (ok && sql) ok = run(out, b, sql, params, nparams);
  S(connection_drop_own)(conn);
  if (ok) lepton_respond(out, 200, "text/plain", out_buf ? out_buf : "", out_len);
}
