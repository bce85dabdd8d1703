// postgres: wasi:http/incoming-handler@0.2.3 using spin:postgres/postgres@4.0.0. The request's
// query (values percent-decoded) says what to do:
//   ?op=query|execute|pids &addr=<postgres URL> &sql=<statement> &p=<param> (repeatable)
// A parameter is <kind>:<text>: bool:true, i8:N, i16:N, i32:N, i64:N, f32:X, f64:X, str:S,
// bin:S, date:Y-M-D, time:h-m-s-ns, datetime:Y-M-D-h-m-s-ns, ts:N (Unix seconds), uuid:S,
// jsonb:S, dec:S, r32|r64|rdec:lo;i|e;hi;i|e (empty lo/hi: unbounded), a32|a64|adec|astr:x;n;y
// (n: a NULL element), interval:micros;days;months, null:
// Replies (200): query → a first line "name:type,..." then one line per row, values joined by
// "|" (see render()); execute → the row count; pids → pg_backend_pid() seen through two handles
// opened to addr, "a,b". Errors: 502 "error: <case>: <text>" (query-failed: "error:
// query-failed: db-error <code> <message>" or "error: query-failed: text <text>").
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postgres_handler.h"
#define LEPTON_WORLD_STRING postgres_handler_string_t
#define LEPTON_WORLD_BYTES postgres_handler_list_u8_t
#define LEPTON_WORLD_STRING_SET postgres_handler_string_set
#include "guest_util.h"

#define PG(x) spin_postgres_4_0_0_postgres_##x
#define TAG(x) SPIN_POSTGRES_4_0_0_POSTGRES_##x
typedef PG(error_t) pg_error_t;
typedef PG(db_value_t) db_value_t;
typedef PG(parameter_value_t) param_t;

static char query[8192];
static char reply[65536];
static size_t reply_len;

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(reply + reply_len, sizeof reply - reply_len, fmt, ap);
  va_end(ap);
  if (n > 0) reply_len += (size_t)n < sizeof reply - reply_len ? (size_t)n : sizeof reply - reply_len - 1;
}
static void out_bytes(const uint8_t *p, size_t n) { out("%.*s", (int)n, (const char *)p); }

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The `index`-th value of `name=` in the query, percent-decoded into a fresh buffer, or NULL.
static char *param(const char *name, int index) {
  size_t n = strlen(name);
  for (const char *p = strchr(query, '?'); p; p = strchr(p + 1, '&')) {
    if (strncmp(p + 1, name, n) != 0 || p[1 + n] != '=') continue;
    if (index-- > 0) continue;
    const char *v = p + 2 + n;
    size_t len = strcspn(v, "&");
    char *buf = malloc(len + 1), *o = buf;
    for (size_t i = 0; i < len; i++) {
      if (v[i] == '%' && i + 2 < len + 1 && hexval(v[i + 1]) >= 0 && hexval(v[i + 2]) >= 0) {
        *o++ = (char)(hexval(v[i + 1]) * 16 + hexval(v[i + 2]));
        i += 2;
      } else {
        *o++ = v[i];
      }
    }
    *o = 0;
    return buf;
  }
  return NULL;
}

static postgres_handler_string_t str(char *s) { return (postgres_handler_string_t){(uint8_t *)s, strlen(s)}; }

// Splits s at `sep` in place; returns the count (at most max).
static int split(char *s, char sep, char **parts, int max) {
  int n = 0;
  while (n < max) {
    parts[n++] = s;
    char *at = strchr(s, sep);
    if (!at) break;
    *at = 0;
    s = at + 1;
  }
  return n;
}

static bool parse_param(char *spec, param_t *p) {
  char *colon = strchr(spec, ':');
  if (!colon) return false;
  *colon = 0;
  char *k = spec, *v = colon + 1, *parts[64];
  if (!strcmp(k, "bool")) { p->tag = TAG(PARAMETER_VALUE_BOOLEAN); p->val.boolean = !strcmp(v, "true"); }
  else if (!strcmp(k, "i8")) { p->tag = TAG(PARAMETER_VALUE_INT8); p->val.int8 = (int8_t)atoi(v); }
  else if (!strcmp(k, "i16")) { p->tag = TAG(PARAMETER_VALUE_INT16); p->val.int16 = (int16_t)atoi(v); }
  else if (!strcmp(k, "i32")) { p->tag = TAG(PARAMETER_VALUE_INT32); p->val.int32 = (int32_t)strtol(v, NULL, 10); }
  else if (!strcmp(k, "i64")) { p->tag = TAG(PARAMETER_VALUE_INT64); p->val.int64 = strtoll(v, NULL, 10); }
  else if (!strcmp(k, "f32")) { p->tag = TAG(PARAMETER_VALUE_FLOATING32); p->val.floating32 = strtof(v, NULL); }
  else if (!strcmp(k, "f64")) { p->tag = TAG(PARAMETER_VALUE_FLOATING64); p->val.floating64 = strtod(v, NULL); }
  else if (!strcmp(k, "str")) { p->tag = TAG(PARAMETER_VALUE_STR); p->val.str = str(v); }
  else if (!strcmp(k, "bin")) { p->tag = TAG(PARAMETER_VALUE_BINARY); p->val.binary = (postgres_handler_list_u8_t){(uint8_t *)v, strlen(v)}; }
  else if (!strcmp(k, "uuid")) { p->tag = TAG(PARAMETER_VALUE_UUID); p->val.uuid = str(v); }
  else if (!strcmp(k, "dec")) { p->tag = TAG(PARAMETER_VALUE_DECIMAL); p->val.decimal = str(v); }
  else if (!strcmp(k, "jsonb")) { p->tag = TAG(PARAMETER_VALUE_JSONB); p->val.jsonb = (postgres_handler_list_u8_t){(uint8_t *)v, strlen(v)}; }
  else if (!strcmp(k, "ts")) { p->tag = TAG(PARAMETER_VALUE_TIMESTAMP); p->val.timestamp = strtoll(v, NULL, 10); }
  else if (!strcmp(k, "null")) { p->tag = TAG(PARAMETER_VALUE_DB_NULL); }
  else if (!strcmp(k, "date")) {
    if (split(v, '-', parts, 3) != 3) return false;
    p->tag = TAG(PARAMETER_VALUE_DATE);
    p->val.date = (postgres_handler_tuple3_s32_u8_u8_t){atoi(parts[0]), (uint8_t)atoi(parts[1]), (uint8_t)atoi(parts[2])};
  } else if (!strcmp(k, "time")) {
    if (split(v, '-', parts, 4) != 4) return false;
    p->tag = TAG(PARAMETER_VALUE_TIME);
    p->val.time = (postgres_handler_tuple4_u8_u8_u8_u32_t){(uint8_t)atoi(parts[0]), (uint8_t)atoi(parts[1]),
                                                          (uint8_t)atoi(parts[2]), (uint32_t)strtoul(parts[3], NULL, 10)};
  } else if (!strcmp(k, "datetime")) {
    if (split(v, '-', parts, 7) != 7) return false;
    p->tag = TAG(PARAMETER_VALUE_DATETIME);
    p->val.datetime = (postgres_handler_tuple7_s32_u8_u8_u8_u8_u8_u32_t){
        atoi(parts[0]), (uint8_t)atoi(parts[1]), (uint8_t)atoi(parts[2]), (uint8_t)atoi(parts[3]),
        (uint8_t)atoi(parts[4]), (uint8_t)atoi(parts[5]), (uint32_t)strtoul(parts[6], NULL, 10)};
  } else if (!strcmp(k, "interval")) {
    if (split(v, ';', parts, 3) != 3) return false;
    p->tag = TAG(PARAMETER_VALUE_INTERVAL);
    p->val.interval = (PG(interval_t)){strtoll(parts[0], NULL, 10), atoi(parts[1]), atoi(parts[2])};
  } else if (!strcmp(k, "r32") || !strcmp(k, "r64") || !strcmp(k, "rdec")) {
    if (split(v, ';', parts, 4) != 4) return false;
    uint8_t lk = parts[1][0] == 'i' ? 0 : 1, hk = parts[3][0] == 'i' ? 0 : 1;
    if (!strcmp(k, "r32")) {
      p->tag = TAG(PARAMETER_VALUE_RANGE_INT32);
      p->val.range_int32.f0 = (PG(option_tuple2_s32_range_bound_kind_t)){*parts[0] != 0, {atoi(parts[0]), lk}};
      p->val.range_int32.f1 = (PG(option_tuple2_s32_range_bound_kind_t)){*parts[2] != 0, {atoi(parts[2]), hk}};
    } else if (!strcmp(k, "r64")) {
      p->tag = TAG(PARAMETER_VALUE_RANGE_INT64);
      p->val.range_int64.f0 = (PG(option_tuple2_s64_range_bound_kind_t)){*parts[0] != 0, {strtoll(parts[0], NULL, 10), lk}};
      p->val.range_int64.f1 = (PG(option_tuple2_s64_range_bound_kind_t)){*parts[2] != 0, {strtoll(parts[2], NULL, 10), hk}};
    } else {
      p->tag = TAG(PARAMETER_VALUE_RANGE_DECIMAL);
      p->val.range_decimal.f0 = (PG(option_tuple2_string_range_bound_kind_t)){*parts[0] != 0, {str(parts[0]), lk}};
      p->val.range_decimal.f1 = (PG(option_tuple2_string_range_bound_kind_t)){*parts[2] != 0, {str(parts[2]), hk}};
    }
  } else if (k[0] == 'a') {
    int n = *v ? split(v, ';', parts, 64) : 0;
    if (!strcmp(k, "a32") || !strcmp(k, "a64")) {
      bool wide = k[1] == '6';
      void *items = malloc(sizeof(postgres_handler_option_s64_t) * (size_t)(n ? n : 1));
      for (int i = 0; i < n; i++) {
        bool some = strcmp(parts[i], "n") != 0;
        if (wide) ((postgres_handler_option_s64_t *)items)[i] = (postgres_handler_option_s64_t){some, strtoll(parts[i], NULL, 10)};
        else ((postgres_handler_option_s32_t *)items)[i] = (postgres_handler_option_s32_t){some, atoi(parts[i])};
      }
      if (wide) { p->tag = TAG(PARAMETER_VALUE_ARRAY_INT64); p->val.array_int64 = (postgres_handler_list_option_s64_t){items, (size_t)n}; }
      else { p->tag = TAG(PARAMETER_VALUE_ARRAY_INT32); p->val.array_int32 = (postgres_handler_list_option_s32_t){items, (size_t)n}; }
    } else {
      postgres_handler_option_string_t *items = malloc(sizeof *items * (size_t)(n ? n : 1));
      for (int i = 0; i < n; i++) items[i] = (postgres_handler_option_string_t){strcmp(parts[i], "n") != 0, str(parts[i])};
      p->tag = !strcmp(k, "adec") ? TAG(PARAMETER_VALUE_ARRAY_DECIMAL) : TAG(PARAMETER_VALUE_ARRAY_STR);
      p->val.array_str = (postgres_handler_list_option_string_t){items, (size_t)n};
    }
  } else {
    return false;
  }
  return true;
}

static const char *type_names[] = {"boolean", "int8", "int16", "int32", "int64", "floating32",
                                   "floating64", "str", "binary", "date", "time", "datetime",
                                   "timestamp", "uuid", "jsonb", "decimal", "range-int32",
                                   "range-int64", "range-decimal", "array-int32", "array-int64",
                                   "array-decimal", "array-str", "interval", "other"};

static void render_bound(bool some, const char *text, uint8_t kind, bool lower) {
  if (!some) { out(lower ? "(" : ")"); return; }
  if (lower) out("%s%s", kind == 0 ? "[" : "(", text);
  else out("%s%s", text, kind == 0 ? "]" : ")");
}

static void render(const db_value_t *v) {
  char a[64], b[64];
  switch (v->tag) {
    case TAG(DB_VALUE_BOOLEAN): out("%s", v->val.boolean ? "true" : "false"); break;
    case TAG(DB_VALUE_INT8): out("%d", v->val.int8); break;
    case TAG(DB_VALUE_INT16): out("%d", v->val.int16); break;
    case TAG(DB_VALUE_INT32): out("%d", v->val.int32); break;
    case TAG(DB_VALUE_INT64): out("%lld", (long long)v->val.int64); break;
    case TAG(DB_VALUE_FLOATING32): out("%.9g", v->val.floating32); break;
    case TAG(DB_VALUE_FLOATING64): out("%.17g", v->val.floating64); break;
    case TAG(DB_VALUE_STR): out_bytes(v->val.str.ptr, v->val.str.len); break;
    case TAG(DB_VALUE_BINARY):
      out("\\x");
      for (size_t i = 0; i < v->val.binary.len; i++) out("%02x", v->val.binary.ptr[i]);
      break;
    case TAG(DB_VALUE_DATE): out("%d-%02d-%02d", v->val.date.f0, v->val.date.f1, v->val.date.f2); break;
    case TAG(DB_VALUE_TIME):
      out("%02d:%02d:%02d.%09u", v->val.time.f0, v->val.time.f1, v->val.time.f2, v->val.time.f3);
      break;
    case TAG(DB_VALUE_DATETIME):
      out("%d-%02d-%02d %02d:%02d:%02d.%09u", v->val.datetime.f0, v->val.datetime.f1,
          v->val.datetime.f2, v->val.datetime.f3, v->val.datetime.f4, v->val.datetime.f5,
          v->val.datetime.f6);
      break;
    case TAG(DB_VALUE_TIMESTAMP): out("%lld", (long long)v->val.timestamp); break;
    case TAG(DB_VALUE_UUID): out_bytes(v->val.uuid.ptr, v->val.uuid.len); break;
    case TAG(DB_VALUE_JSONB): out_bytes(v->val.jsonb.ptr, v->val.jsonb.len); break;
    case TAG(DB_VALUE_DECIMAL): out_bytes(v->val.decimal.ptr, v->val.decimal.len); break;
    case TAG(DB_VALUE_RANGE_INT32):
      snprintf(a, sizeof a, "%d", v->val.range_int32.f0.val.f0);
      snprintf(b, sizeof b, "%d", v->val.range_int32.f1.val.f0);
      render_bound(v->val.range_int32.f0.is_some, a, v->val.range_int32.f0.val.f1, true);
      out(",");
      render_bound(v->val.range_int32.f1.is_some, b, v->val.range_int32.f1.val.f1, false);
      break;
    case TAG(DB_VALUE_RANGE_INT64):
      snprintf(a, sizeof a, "%lld", (long long)v->val.range_int64.f0.val.f0);
      snprintf(b, sizeof b, "%lld", (long long)v->val.range_int64.f1.val.f0);
      render_bound(v->val.range_int64.f0.is_some, a, v->val.range_int64.f0.val.f1, true);
      out(",");
      render_bound(v->val.range_int64.f1.is_some, b, v->val.range_int64.f1.val.f1, false);
      break;
    case TAG(DB_VALUE_RANGE_DECIMAL): {
      const PG(option_tuple2_string_range_bound_kind_t) *lo = &v->val.range_decimal.f0, *hi = &v->val.range_decimal.f1;
      snprintf(a, sizeof a, "%.*s", lo->is_some ? (int)lo->val.f0.len : 0, lo->is_some ? (const char *)lo->val.f0.ptr : "");
      snprintf(b, sizeof b, "%.*s", hi->is_some ? (int)hi->val.f0.len : 0, hi->is_some ? (const char *)hi->val.f0.ptr : "");
      render_bound(lo->is_some, a, lo->val.f1, true);
      out(",");
      render_bound(hi->is_some, b, hi->val.f1, false);
      break;
    }
    case TAG(DB_VALUE_ARRAY_INT32):
      out("{");
      for (size_t i = 0; i < v->val.array_int32.len; i++) {
        if (i) out(",");
        if (v->val.array_int32.ptr[i].is_some) out("%d", v->val.array_int32.ptr[i].val); else out("NULL");
      }
      out("}");
      break;
    case TAG(DB_VALUE_ARRAY_INT64):
      out("{");
      for (size_t i = 0; i < v->val.array_int64.len; i++) {
        if (i) out(",");
        if (v->val.array_int64.ptr[i].is_some) out("%lld", (long long)v->val.array_int64.ptr[i].val); else out("NULL");
      }
      out("}");
      break;
    case TAG(DB_VALUE_ARRAY_DECIMAL):
    case TAG(DB_VALUE_ARRAY_STR):
      out("{");
      for (size_t i = 0; i < v->val.array_str.len; i++) {
        if (i) out(",");
        if (v->val.array_str.ptr[i].is_some) out_bytes(v->val.array_str.ptr[i].val.ptr, v->val.array_str.ptr[i].val.len);
        else out("NULL");
      }
      out("}");
      break;
    case TAG(DB_VALUE_INTERVAL):
      out("%lldus/%dd/%dm", (long long)v->val.interval.micros, v->val.interval.days, v->val.interval.months);
      break;
    case TAG(DB_VALUE_DB_NULL): out("NULL"); break;
    case TAG(DB_VALUE_UNSUPPORTED): out("unsupported(%zu bytes)", v->val.unsupported.len); break;
    default: out("?%d", v->tag);
  }
}

static int fail(pg_error_t *e) {
  static const char *cases[] = {"connection-failed", "bad-parameter", "query-failed",
                                "value-conversion-failed", "other"};
  reply_len = 0;
  out("error: %s: ", e->tag < 5 ? cases[e->tag] : "?");
  if (e->tag == TAG(ERROR_QUERY_FAILED)) {
    PG(query_error_t) *q = &e->val.query_failed;
    if (q->tag == TAG(QUERY_ERROR_DB_ERROR)) {
      out("db-error ");
      out_bytes(q->val.db_error.code.ptr, q->val.db_error.code.len);
      out(" ");
      out_bytes(q->val.db_error.message.ptr, q->val.db_error.message.len);
    } else {
      out("text ");
      out_bytes(q->val.text.ptr, q->val.text.len);
    }
  } else {
    out_bytes(e->val.other.ptr, e->val.other.len);  // every other case holds a string
  }
  PG(error_free)(e);
  return 502;
}

static int run(PG(borrow_connection_t) c, const char *op) {
  char *sql = param("sql", 0);
  if (!sql) sql = "";
  param_t params[64];
  size_t n = 0;
  for (char *spec; n < 64 && (spec = param("p", (int)n)); n++)
    if (!parse_param(spec, &params[n])) {
      out("bad parameter spec %zu", n);
      return 400;
    }
  postgres_handler_string_t statement = str(sql);
  PG(list_parameter_value_t) list = {params, n};
  pg_error_t e;
  if (!strcmp(op, "execute")) {
    uint64_t count;
    if (!PG(method_connection_execute)(c, &statement, &list, &count, &e)) return fail(&e);
    out("%llu", (unsigned long long)count);
    return 200;
  }
  PG(row_set_t) rs;
  if (!PG(method_connection_query)(c, &statement, &list, &rs, &e)) return fail(&e);
  for (size_t i = 0; i < rs.columns.len; i++) {
    PG(column_t) *col = &rs.columns.ptr[i];
    if (i) out(",");
    out_bytes(col->name.ptr, col->name.len);
    out(":%s", col->data_type.tag < 25 ? type_names[col->data_type.tag] : "?");
    if (col->data_type.tag == TAG(DB_DATA_TYPE_OTHER)) {
      out("(");
      out_bytes(col->data_type.val.other.ptr, col->data_type.val.other.len);
      out(")");
    }
  }
  for (size_t r = 0; r < rs.rows.len; r++) {
    out("\n");
    for (size_t i = 0; i < rs.rows.ptr[r].len; i++) {
      if (i) out("|");
      render(&rs.rows.ptr[r].ptr[i]);
    }
  }
  PG(row_set_free)(&rs);
  return 200;
}

static long long backend_pid(PG(borrow_connection_t) c) {
  postgres_handler_string_t statement = str("SELECT pg_backend_pid()");
  PG(list_parameter_value_t) none = {NULL, 0};
  PG(row_set_t) rs;
  pg_error_t e;
  if (!PG(method_connection_query)(c, &statement, &none, &rs, &e)) return -1;
  long long pid = rs.rows.len == 1 && rs.rows.ptr[0].ptr[0].tag == TAG(DB_VALUE_INT32)
                      ? rs.rows.ptr[0].ptr[0].val.int32 : -1;
  PG(row_set_free)(&rs);
  return pid;
}

void exports_wasi_http_incoming_handler_handle(wasi_http_types_own_incoming_request_t request,
                                               wasi_http_types_own_response_outparam_t response) {
  query[0] = 0;
  reply_len = 0;
  reply[0] = 0;
  postgres_handler_string_t s;
  if (wasi_http_types_method_incoming_request_path_with_query(
          wasi_http_types_borrow_incoming_request(request), &s)) {
    size_t n = s.len < sizeof query - 1 ? s.len : sizeof query - 1;
    memcpy(query, s.ptr, n);
    query[n] = 0;
    postgres_handler_string_free(&s);
  }
  wasi_http_types_incoming_request_drop_own(request);

  char *op = param("op", 0), *addr = param("addr", 0);
  postgres_handler_string_t address = str(addr ? addr : "");
  PG(own_connection_t) conn;
  pg_error_t e;
  int status;
  if (!PG(static_connection_open)(&address, &conn, &e)) {
    status = fail(&e);
  } else if (op && !strcmp(op, "pids")) {
    PG(own_connection_t) second;
    if (!PG(static_connection_open)(&address, &second, &e)) {
      status = fail(&e);
    } else {
      out("%lld,%lld", backend_pid(PG(borrow_connection)(conn)), backend_pid(PG(borrow_connection)(second)));
      PG(connection_drop_own)(second);
      status = 200;
    }
    PG(connection_drop_own)(conn);
  } else {
    status = run(PG(borrow_connection)(conn), op ? op : "query");
    PG(connection_drop_own)(conn);
  }
  lepton_respond(response, (uint16_t)status, "text/plain", reply, reply_len);
}
