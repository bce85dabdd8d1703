// postgres3: wasi:http/incoming-handler@0.2.3 using spin:postgres/postgres@3.0.0, the smaller
// sibling of postgres.c: ?op=query|execute &addr=<postgres URL> &sql=<statement> &p=<param>...
// (percent-decoded). Parameters: bool:, i16:, i32:, i64:, f64:, str:, date:Y-M-D,
// datetime:Y-M-D-h-m-s-ns, ts:N, null:. Replies as postgres.c: "name:type,..." then rows of
// values joined by "|" (db-null "NULL", unsupported "unsupported"); execute → the row count;
// errors 502 "error: <case>: <text>".
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef LEPTON_POSTGRES2  // postgres2.c: fermyon:spin/postgres@2.0.0 + rdbms-types
#include "postgres2_handler.h"
#define W(x) postgres2_handler_##x
#define PG(x) fermyon_spin_postgres_##x
#define TAG(x) FERMYON_SPIN_RDBMS_TYPES_##x
#define TYPES(x) fermyon_spin_rdbms_types_##x
#else
#include "postgres3_handler.h"
#define W(x) postgres3_handler_##x
#define PG(x) spin_postgres_3_0_0_postgres_##x
#define TAG(x) SPIN_POSTGRES_3_0_0_POSTGRES_##x
#define TYPES(x) PG(x)
#endif
#define LEPTON_WORLD_STRING W(string_t)
#define LEPTON_WORLD_BYTES W(list_u8_t)
#define LEPTON_WORLD_STRING_SET W(string_set)
#include "guest_util.h"

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

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

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

static W(string_t) str(char *s) { return (W(string_t)){(uint8_t *)s, strlen(s)}; }

static bool parse_param(char *spec, PG(parameter_value_t) *p) {
  char *colon = strchr(spec, ':');
  if (!colon) return false;
  *colon = 0;
  char *k = spec, *v = colon + 1;
  int f[7] = {0};
  (void)f;  // unused by postgres2.c (no date kinds in 2.0.0)
  if (!strcmp(k, "bool")) { p->tag = TAG(PARAMETER_VALUE_BOOLEAN); p->val.boolean = !strcmp(v, "true"); }
  else if (!strcmp(k, "i16")) { p->tag = TAG(PARAMETER_VALUE_INT16); p->val.int16 = (int16_t)atoi(v); }
  else if (!strcmp(k, "i32")) { p->tag = TAG(PARAMETER_VALUE_INT32); p->val.int32 = (int32_t)strtol(v, NULL, 10); }
  else if (!strcmp(k, "i64")) { p->tag = TAG(PARAMETER_VALUE_INT64); p->val.int64 = strtoll(v, NULL, 10); }
  else if (!strcmp(k, "f64")) { p->tag = TAG(PARAMETER_VALUE_FLOATING64); p->val.floating64 = strtod(v, NULL); }
  else if (!strcmp(k, "str")) { p->tag = TAG(PARAMETER_VALUE_STR); p->val.str = str(v); }
#ifndef LEPTON_POSTGRES2
  else if (!strcmp(k, "ts")) { p->tag = TAG(PARAMETER_VALUE_TIMESTAMP); p->val.timestamp = strtoll(v, NULL, 10); }
#endif
  else if (!strcmp(k, "null")) { p->tag = TAG(PARAMETER_VALUE_DB_NULL); }
#ifndef LEPTON_POSTGRES2
  else if (!strcmp(k, "date") && sscanf(v, "%d-%d-%d", &f[0], &f[1], &f[2]) == 3) {
    p->tag = TAG(PARAMETER_VALUE_DATE);
    p->val.date = (postgres3_handler_tuple3_s32_u8_u8_t){f[0], (uint8_t)f[1], (uint8_t)f[2]};
  } else if (!strcmp(k, "datetime") &&
             sscanf(v, "%d-%d-%d-%d-%d-%d-%d", &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6]) == 7) {
    p->tag = TAG(PARAMETER_VALUE_DATETIME);
    p->val.datetime = (postgres3_handler_tuple7_s32_u8_u8_u8_u8_u8_u32_t){
        f[0], (uint8_t)f[1], (uint8_t)f[2], (uint8_t)f[3], (uint8_t)f[4], (uint8_t)f[5], (uint32_t)f[6]};
  }
#endif
  else {
    return false;
  }
  return true;
}

#ifdef LEPTON_POSTGRES2
static const char *type_names[] = {"boolean", "int8",   "int16",      "int32",      "int64",
                                   "uint8",   "uint16", "uint32",     "uint64",     "floating32",
                                   "floating64", "str", "binary", "other"};
#else
static const char *type_names[] = {"boolean", "int8", "int16", "int32", "int64", "floating32",
                                   "floating64", "str", "binary", "date", "time", "datetime",
                                   "timestamp", "other"};
#endif

static void render(const TYPES(db_value_t) *v) {
  switch (v->tag) {
    case TAG(DB_VALUE_BOOLEAN): out("%s", v->val.boolean ? "true" : "false"); break;
    case TAG(DB_VALUE_INT16): out("%d", v->val.int16); break;
    case TAG(DB_VALUE_INT32): out("%d", v->val.int32); break;
    case TAG(DB_VALUE_INT64): out("%lld", (long long)v->val.int64); break;
    case TAG(DB_VALUE_FLOATING32): out("%.9g", v->val.floating32); break;
    case TAG(DB_VALUE_FLOATING64): out("%.17g", v->val.floating64); break;
    case TAG(DB_VALUE_STR): out("%.*s", (int)v->val.str.len, (const char *)v->val.str.ptr); break;
    case TAG(DB_VALUE_BINARY): out("%zu bytes", v->val.binary.len); break;
#ifndef LEPTON_POSTGRES2
    case TAG(DB_VALUE_DATE): out("%d-%02d-%02d", v->val.date.f0, v->val.date.f1, v->val.date.f2); break;
    case TAG(DB_VALUE_TIME):
      out("%02d:%02d:%02d.%09u", v->val.time.f0, v->val.time.f1, v->val.time.f2, v->val.time.f3);
      break;
    case TAG(DB_VALUE_DATETIME):
      out("%d-%02d-%02d %02d:%02d:%02d.%09u", v->val.datetime.f0, v->val.datetime.f1,
          v->val.datetime.f2, v->val.datetime.f3, v->val.datetime.f4, v->val.datetime.f5,
          v->val.datetime.f6);
      break;
#endif
    case TAG(DB_VALUE_DB_NULL): out("NULL"); break;
    case TAG(DB_VALUE_UNSUPPORTED): out("unsupported"); break;
    default: out("?%d", v->tag);
  }
}

static int fail(PG(error_t) *e) {
  static const char *cases[] = {"connection-failed", "bad-parameter", "query-failed",
                                "value-conversion-failed", "other"};
  reply_len = 0;
  out("error: %s: %.*s", e->tag < 5 ? cases[e->tag] : "?", (int)e->val.other.len,
      (const char *)e->val.other.ptr);
  PG(error_free)(e);
  return 502;
}

void exports_wasi_http_incoming_handler_handle(wasi_http_types_own_incoming_request_t request,
                                               wasi_http_types_own_response_outparam_t response) {
  query[0] = 0;
  reply_len = 0;
  W(string_t) s;
  if (wasi_http_types_method_incoming_request_path_with_query(
          wasi_http_types_borrow_incoming_request(request), &s)) {
    size_t n = s.len < sizeof query - 1 ? s.len : sizeof query - 1;
    memcpy(query, s.ptr, n);
    query[n] = 0;
    W(string_free)(&s);
  }
  wasi_http_types_incoming_request_drop_own(request);

  char *op = param("op", 0), *addr = param("addr", 0), *sql = param("sql", 0);
  W(string_t) address = str(addr ? addr : ""), statement = str(sql ? sql : "");
  PG(parameter_value_t) params[32];
  size_t n = 0;
  int status = 200;
  for (char *spec; n < 32 && (spec = param("p", (int)n)); n++)
    if (!parse_param(spec, &params[n])) status = 400;
  PG(list_parameter_value_t) list = {params, n};
  PG(own_connection_t) conn;
  PG(error_t) e;
  if (status == 400) {
    out("bad parameter spec");
  } else if (!PG(static_connection_open)(&address, &conn, &e)) {
    status = fail(&e);
  } else {
    PG(borrow_connection_t) c = PG(borrow_connection)(conn);
    uint64_t count;
    PG(row_set_t) rs;
    if (op && !strcmp(op, "execute")) {
      if (PG(method_connection_execute)(c, &statement, &list, &count, &e))
        out("%llu", (unsigned long long)count);
      else
        status = fail(&e);
    } else if (PG(method_connection_query)(c, &statement, &list, &rs, &e)) {
      for (size_t i = 0; i < rs.columns.len; i++)
        out("%s%.*s:%s", i ? "," : "", (int)rs.columns.ptr[i].name.len,
            (const char *)rs.columns.ptr[i].name.ptr,
            rs.columns.ptr[i].data_type < 14 ? type_names[rs.columns.ptr[i].data_type] : "?");
      for (size_t r = 0; r < rs.rows.len; r++) {
        out("\n");
        for (size_t i = 0; i < rs.rows.ptr[r].len; i++) {
          if (i) out("|");
          render(&rs.rows.ptr[r].ptr[i]);
        }
      }
      PG(row_set_free)(&rs);
    } else {
      status = fail(&e);
    }
    PG(connection_drop_own)(conn);
  }
  lepton_respond(response, (uint16_t)status, "text/plain", reply, reply_len);
}
