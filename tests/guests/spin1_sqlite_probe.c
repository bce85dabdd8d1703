// A Spin 1.x HTTP handler using the Spin 1 `sqlite` import, written against the wit-bindgen 0.2
// canonical ABI by hand (layouts in src/factors/spin1_sqlite.cc). Same scheme as the component
// guest tests/guests/components/sqlite.c:
//   POST /<label>[?close]  body: statements, each followed by "? <param>" lines (i:<int>,
//                  r:<real>, t:<text>, b:<hex>, null), run on one connection.
//   200: "columns: a|b" and "row: v|v" lines for statements that return columns.
//   open access-denied → 403, no-such-database → 404, other errors → 500 "<op>: <case>[: msg]".
//   ?close closes the connection before the first statement (→ 500 "execute: invalid-connection").
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((export_name("canonical_abi_realloc"))) void* canonical_abi_realloc(void* ptr,
                                                                                  size_t old_size,
                                                                                  size_t align,
                                                                                  size_t new_size) {
  (void)old_size;
  if (new_size == 0) return (void*)align;
  void* p = realloc(ptr, new_size);
  if (!p) abort();
  return p;
}

__attribute__((export_name("canonical_abi_free"))) void canonical_abi_free(void* ptr, size_t size,
                                                                           size_t align) {
  (void)align;
  if (size > 0) free(ptr);
}

typedef struct {
  const char* ptr;
  uint32_t len;
} str_t;

typedef struct {
  str_t name;
  str_t value;
} header_t;

typedef struct {
  uint8_t tag;
  void* ptr;
  uint32_t len;
} option_list_t;

static struct {
  uint16_t status;
  option_list_t headers;
  option_list_t body;
} RET;

// variant value { integer(s64), real(f64), text(string), blob(list<u8>), null }: 16 bytes.
typedef struct {
  uint8_t tag;
  union {
    int64_t integer;
    double real;
    str_t text;
  } val;
} value_t;
_Static_assert(sizeof(value_t) == 16, "value is 16 bytes");

typedef struct {
  value_t* ptr;
  uint32_t len;
} row_t;

// expected<T, error>: tag@0, payload@4.
typedef struct {
  uint8_t tag;
  union {
    uint32_t connection;
    struct {
      str_t* columns;
      uint32_t ncolumns;
      row_t* rows;
      uint32_t nrows;
    } result;
    struct {
      uint8_t tag;
      str_t io;
    } err;
  } val;
} ret_t;
_Static_assert(sizeof(ret_t) == 20, "expected<query-result, error> is 20 bytes");

__attribute__((import_module("sqlite"), import_name("open"))) void sqlite_open(const char* name,
                                                                               uint32_t len,
                                                                               ret_t* ret);
__attribute__((import_module("sqlite"), import_name("execute"))) void sqlite_execute(
    uint32_t conn, const char* sql, uint32_t len, const value_t* params, uint32_t nparams,
    ret_t* ret);
__attribute__((import_module("sqlite"), import_name("close"))) void sqlite_close(uint32_t conn);

static char* out;
static size_t out_len, out_cap;

static void emit(const void* data, size_t len) {
  if (out_len + len > out_cap) {
    out_cap = (out_len + len) * 2 + 64;
    out = realloc(out, out_cap);
  }
  memcpy(out + out_len, data, len);
  out_len += len;
}
static void emits(const char* s) { emit(s, strlen(s)); }

static header_t content_type = {{"content-type", 12}, {"text/plain", 10}};

static int unhex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return 0;
}

static value_t parse_param(char* p) {
  value_t v;
  memset(&v, 0, sizeof v);
  if (strncmp(p, "i:", 2) == 0) {
    v.tag = 0;
    v.val.integer = strtoll(p + 2, NULL, 10);
  } else if (strncmp(p, "r:", 2) == 0) {
    v.tag = 1;
    v.val.real = strtod(p + 2, NULL);
  } else if (strncmp(p, "t:", 2) == 0) {
    v.tag = 2;
    v.val.text = (str_t){p + 2, (uint32_t)strlen(p + 2)};
  } else if (strncmp(p, "b:", 2) == 0) {
    size_t n = strlen(p + 2) / 2;
    char* bytes = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
      bytes[i] = (char)(unhex(p[2 + 2 * i]) * 16 + unhex(p[3 + 2 * i]));
    v.tag = 3;
    v.val.text = (str_t){bytes, (uint32_t)n};
  } else {
    v.tag = 4;
  }
  return v;
}

static void emit_value(const value_t* v) {
  char buf[64];
  switch (v->tag) {
    case 0:
      snprintf(buf, sizeof buf, "i:%lld", (long long)v->val.integer);
      emits(buf);
      break;
    case 1:
      snprintf(buf, sizeof buf, "r:%g", v->val.real);
      emits(buf);
      break;
    case 2:
    case 3:
      emits(v->tag == 2 ? "t:" : "b:");
      if (v->tag == 2) {
        emit(v->val.text.ptr, v->val.text.len);
      } else {
        for (uint32_t i = 0; i < v->val.text.len; i++) {
          snprintf(buf, sizeof buf, "%02x", (unsigned char)v->val.text.ptr[i]);
          emits(buf);
        }
      }
      break;
    default:
      emits("null");
  }
}

static const char* error_names[] = {"no-such-database", "access-denied", "invalid-connection",
                                    "database-full", "io"};

// Fills the response with the error; returns the status.
static uint16_t fail(const char* op, ret_t* r) {
  out_len = 0;
  emits(op);
  emits(": ");
  emits(r->val.err.tag <= 4 ? error_names[r->val.err.tag] : "?");
  if (r->val.err.tag == 4) {
    emits(": ");
    emit(r->val.err.io.ptr, r->val.err.io.len);
  }
  return r->val.err.tag == 1 ? 403 : r->val.err.tag == 0 ? 404 : 500;
}

static int run(uint32_t conn, const char* sql, value_t* params, uint32_t n, uint16_t* status) {
  static ret_t r;
  sqlite_execute(conn, sql, (uint32_t)strlen(sql), params, n, &r);
  if (r.tag != 0) {
    *status = fail("execute", &r);
    return 0;
  }
  if (r.val.result.ncolumns > 0) {
    emits("columns: ");
    for (uint32_t i = 0; i < r.val.result.ncolumns; i++) {
      if (i) emits("|");
      emit(r.val.result.columns[i].ptr, r.val.result.columns[i].len);
    }
    emits("\n");
    for (uint32_t j = 0; j < r.val.result.nrows; j++) {
      emits("row: ");
      for (uint32_t i = 0; i < r.val.result.rows[j].len; i++) {
        if (i) emits("|");
        emit_value(&r.val.result.rows[j].ptr[i]);
      }
      emits("\n");
    }
  }
  return 1;
}

__attribute__((export_name("handle-http-request"))) void* handle_http_request(
    uint32_t method, const char* uri, uint32_t uri_len, header_t* headers, uint32_t headers_len,
    header_t* params_in, uint32_t params_len, uint32_t body_tag, const char* body,
    uint32_t body_len) {
  (void)method, (void)params_in, (void)params_len;
  // The label is the path below the component's route.
  for (uint32_t i = 0; i < headers_len; i++) {
    if (headers[i].name.len == 20 && memcmp(headers[i].name.ptr, "spin-component-route", 20) == 0 &&
        headers[i].value.len > 1 && headers[i].value.len <= uri_len &&
        memcmp(headers[i].value.ptr, uri, headers[i].value.len) == 0) {
      uri += headers[i].value.len;
      uri_len -= headers[i].value.len;
    }
  }
  char label[256] = {0};
  int close_first = 0;
  uint32_t n = 0;
  if (uri_len > 0 && uri[0] == '/') uri++, uri_len--;
  while (n < uri_len && n < sizeof label - 1 && uri[n] != '?') label[n] = uri[n], n++;
  if (n < uri_len && uri[n] == '?' && uri_len - n - 1 == 5 && memcmp(uri + n + 1, "close", 5) == 0)
    close_first = 1;

  char* text = malloc(body_len + 1);
  memcpy(text, body_tag ? body : "", body_tag ? body_len : 0);
  text[body_tag ? body_len : 0] = 0;

  RET.status = 200;
  static ret_t r;
  sqlite_open(label, (uint32_t)strlen(label), &r);
  if (r.tag != 0) {
    RET.status = fail("open", &r);
  } else {
    uint32_t conn = r.val.connection;
    if (close_first) sqlite_close(conn);
    char* sql = NULL;
    value_t params[32];
    uint32_t nparams = 0;
    int ok = 1;
    for (char* line = strtok(text, "\n"); line && ok; line = strtok(NULL, "\n")) {
      size_t len = strlen(line);
      if (len && line[len - 1] == '\r') line[--len] = 0;
      if (len == 0) continue;
      if (line[0] == '?' && line[1] == ' ') {
        if (nparams < 32) params[nparams++] = parse_param(line + 2);
        continue;
      }
      if (sql) ok = run(conn, sql, params, nparams, &RET.status);
      sql = line;
      nparams = 0;
    }
    if (ok && sql) run(conn, sql, params, nparams, &RET.status);
    if (!close_first) sqlite_close(conn);
  }
  RET.headers = (option_list_t){1, &content_type, 1};
  RET.body = (option_list_t){1, out, (uint32_t)out_len};
  return &RET;
}
