// mysql: wasi:http/incoming-handler@0.2.3 using fermyon:spin/mysql@2.0.0. The query names the
// operation (values percent-decoded):
//   ?op=query|execute &addr=mysql://... &sql=STATEMENT &params=T:V,T:V,...
//     T is bool|s8|s16|s32|s64|u8|u16|u32|u64|f32|f64|str|bin (V as text) or `null`
//   ?op=ids &addr=...: CONNECTION_ID() of two handles open at once (a, b), then of a third opened
//     after both were dropped (c): "a,b,c" (c is a or b when the request reuses connections)
// query: 200, first line the columns "name:type" comma-joined (type = db-data-type number), then
// one line per row of values "T:V" joined by "|" (null as "null", binary as hex). execute: 200
// "ok". An error: 502 "error: connection-failed|bad-parameter|query-failed|
// value-conversion-failed|other: <message>".
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mysql_handler.h"
#define LEPTON_WORLD_STRING mysql_handler_string_t
#define LEPTON_WORLD_BYTES mysql_handler_list_u8_t
#define LEPTON_WORLD_STRING_SET mysql_handler_string_set
#include "guest_util.h"

typedef fermyon_spin_mysql_error_t merr_t;
typedef fermyon_spin_mysql_borrow_connection_t conn_t;

static char query[8192];
static char reply[65536];
static size_t used;

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX and '+' in place.
static void decode(char *s) {
  char *o = s;
  for (; *s; s++) {
    if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
      *o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
      s += 2;
    } else if (*s == '+') {
      *o++ = ' ';
    } else {
      *o++ = *s;
    }
  }
  *o = 0;
}

// The raw (still encoded) value of `name=` in the query ("" when absent).
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

static void out(const char *fmt_text, size_t len) {
  if (len > sizeof reply - used - 1) len = sizeof reply - used - 1;
  memcpy(reply + used, fmt_text, len);
  used += len;
  reply[used] = 0;
}
static void outs(const char *s) { out(s, strlen(s)); }

static int fail(merr_t *e) {
  static const char *kinds[] = {"connection-failed", "bad-parameter", "query-failed",
                                "value-conversion-failed", "other"};
  used = 0;
  outs("error: ");
  outs(e->tag < 5 ? kinds[e->tag] : "?");
  outs(": ");
  out((const char *)e->val.other.ptr, e->val.other.len);
  fermyon_spin_mysql_error_free(e);
  return 502;
}

static fermyon_spin_mysql_parameter_value_t params_buf[64];
static char params_text[4096];

// Parses "T:V,T:V" into params_buf (pointing into params_text); returns the count or -1.
static long parse_params(void) {
  param("params", params_text, sizeof params_text);
  long n = 0;
  char *s = params_text;
  while (*s && n < 64) {
    char *comma = strchr(s, ',');
    if (comma) *comma = 0;
    decode(s);
    fermyon_spin_mysql_parameter_value_t *p = &params_buf[n++];
    char *colon = strchr(s, ':');
    char *v = colon ? colon + 1 : s + strlen(s);
    if (colon) *colon = 0;
    if (strcmp(s, "null") == 0) p->tag = FERMYON_SPIN_RDBMS_TYPES_PARAMETER_VALUE_DB_NULL;
    else if (strcmp(s, "bool") == 0) { p->tag = FERMYON_SPIN_RDBMS_TYPES_PARAMETER_VALUE_BOOLEAN; p->val.boolean = strcmp(v, "true") == 0; }
    else if (strcmp(s, "s8") == 0) { p->tag = FERMYON_SPIN_RDBMS_TYPES_PARAMETER_VALUE_INT8; p->val.int8 = (int8_t)strtoll(v, NULL, 10); }
    else if (strcmp(s, "s16") == 0) { p->tag = FERMYON_SPIN_RDBMS_TYPES_PARAMETER_VALUE_INT16; p->val.int16 = (int16_t)strtoll(v, NULL, 10); }
    else if (strcmp(s, "s32") == 0) { p->tag = FERMYON_SPIN_RDBMS_TYPES_PARAMETER_VALUE_INT32; p->val.int32 = (int32_t)strtoll(v, NULL, 10); }
    else if (strcmp(s, "s64") == 0) { p->tag = FERMYON_SPIN_RDBMS_TYPES_PARAMETER_VALUE_INT64; p->val.int64 = strtoll(v, NULL, 10); }
    else if (strcmp(s, "u8") == 0) { p->tag = FERMYON_SPIN_RDBMS_TYPES_PARAMETER_VALUE_UINT8; p->val.uint8 = (uint8_t)strtoull(v, NULL, 10); }
    else if (strcmp(s, "u16") == 0) { p->tag = FERMYON_SPIN_RDBMS_TYPES_PARAMETER_VALUE_UINT16; p->val.uint16 = (uint16_t)strtoull(v, NULL, 10); }
    else if (strcmp(s, "u32") == 0) { p->tag = FERMYON_SPIN_RDBMS_TYPES_PARAMETER_VALUE_UINT32; p->val.uint32 = (uint32_t)strtoull(v, NULL, 10); }
    else if (strcmp(s, "u64") == 0) { p->tag = FERMYON_SPIN_RDBMS_TYPES_PARAMETER_VALUE_UINT64; p->val.uint64 = strtoull(v, NULL, 10); }
    else if (strcmp(s, "f32") == 0) { p->tag = FERMYON_SPIN_RDBMS_TYPES_PARAMETER_VALUE_FLOATING32; p->val.floating32 = strtof(v, NULL); }
    else if (strcmp(s, "f64") == 0) { p->tag = FERMYON_SPIN_RDBMS_TYPES_PARAMETER_VALUE_FLOATING64; p->val.floating64 = strtod(v, NULL); }
    else if (strcmp(s, "str") == 0) { p->tag = FERMYON_SPIN_RDBMS_TYPES_PARAMETER_VALUE_STR; p->val.str = (mysql_handler_string_t){(uint8_t *)v, strlen(v)}; }
    else if (strcmp(s, "bin") == 0) { p->tag = FERMYON_SPIN_RDBMS_TYPES_PARAMETER_VALUE_BINARY; p->val.binary = (mysql_handler_list_u8_t){(uint8_t *)v, strlen(v)}; }
    else return -1;
    if (!comma) break;
    s = comma + 1;
  }
  return n;
}

static void print_value(const fermyon_spin_rdbms_types_db_value_t *v) {
  char buf[128];
  switch (v->tag) {
    case FERMYON_SPIN_RDBMS_TYPES_DB_VALUE_BOOLEAN: snprintf(buf, sizeof buf, "bool:%s", v->val.boolean ? "true" : "false"); break;
    case FERMYON_SPIN_RDBMS_TYPES_DB_VALUE_INT8: snprintf(buf, sizeof buf, "s8:%d", v->val.int8); break;
    case FERMYON_SPIN_RDBMS_TYPES_DB_VALUE_INT16: snprintf(buf, sizeof buf, "s16:%d", v->val.int16); break;
    case FERMYON_SPIN_RDBMS_TYPES_DB_VALUE_INT32: snprintf(buf, sizeof buf, "s32:%d", v->val.int32); break;
    case FERMYON_SPIN_RDBMS_TYPES_DB_VALUE_INT64: snprintf(buf, sizeof buf, "s64:%lld", (long long)v->val.int64); break;
    case FERMYON_SPIN_RDBMS_TYPES_DB_VALUE_UINT8: snprintf(buf, sizeof buf, "u8:%u", v->val.uint8); break;
    case FERMYON_SPIN_RDBMS_TYPES_DB_VALUE_UINT16: snprintf(buf, sizeof buf, "u16:%u", v->val.uint16); break;
    case FERMYON_SPIN_RDBMS_TYPES_DB_VALUE_UINT32: snprintf(buf, sizeof buf, "u32:%u", v->val.uint32); break;
    case FERMYON_SPIN_RDBMS_TYPES_DB_VALUE_UINT64: snprintf(buf, sizeof buf, "u64:%llu", (unsigned long long)v->val.uint64); break;
    case FERMYON_SPIN_RDBMS_TYPES_DB_VALUE_FLOATING32: snprintf(buf, sizeof buf, "f32:%g", v->val.floating32); break;
    case FERMYON_SPIN_RDBMS_TYPES_DB_VALUE_FLOATING64: snprintf(buf, sizeof buf, "f64:%g", v->val.floating64); break;
    case FERMYON_SPIN_RDBMS_TYPES_DB_VALUE_STR:
      outs("str:");
      out((const char *)v->val.str.ptr, v->val.str.len);
      return;
    case FERMYON_SPIN_RDBMS_TYPES_DB_VALUE_BINARY:
      outs("bin:");
      for (size_t i = 0; i < v->val.binary.len; i++) {
        snprintf(buf, sizeof buf, "%02x", v->val.binary.ptr[i]);
        outs(buf);
      }
      return;
    case FERMYON_SPIN_RDBMS_TYPES_DB_VALUE_DB_NULL: snprintf(buf, sizeof buf, "null"); break;
    default: snprintf(buf, sizeof buf, "unsupported"); break;
  }
  outs(buf);
}

// CONNECTION_ID() of the server session behind c, or -1.
static long long connection_id(conn_t c) {
  mysql_handler_string_t sql;
  mysql_handler_string_set(&sql, "SELECT CONNECTION_ID()");
  fermyon_spin_mysql_list_parameter_value_t none = {NULL, 0};
  fermyon_spin_mysql_row_set_t rs;
  merr_t e;
  if (!fermyon_spin_mysql_method_connection_query(c, &sql, &none, &rs, &e)) {
    fermyon_spin_mysql_error_free(&e);
    return -1;
  }
  long long id = -1;
  if (rs.rows.len == 1 && rs.rows.ptr[0].len == 1) {
    fermyon_spin_rdbms_types_db_value_t *v = &rs.rows.ptr[0].ptr[0];
    if (v->tag == FERMYON_SPIN_RDBMS_TYPES_DB_VALUE_INT64) id = v->val.int64;
    if (v->tag == FERMYON_SPIN_RDBMS_TYPES_DB_VALUE_UINT64) id = (long long)v->val.uint64;
    if (v->tag == FERMYON_SPIN_RDBMS_TYPES_DB_VALUE_UINT32) id = v->val.uint32;
    if (v->tag == FERMYON_SPIN_RDBMS_TYPES_DB_VALUE_INT32) id = v->val.int32;
  }
  fermyon_spin_mysql_row_set_free(&rs);
  return id;
}

static int run(mysql_handler_string_t *address, const char *op) {
  static char sql_text[4096];
  param("sql", sql_text, sizeof sql_text);
  decode(sql_text);
  mysql_handler_string_t sql = {(uint8_t *)sql_text, strlen(sql_text)};
  long n = parse_params();
  if (n < 0) {
    outs("bad params");
    return 400;
  }
  fermyon_spin_mysql_list_parameter_value_t params = {params_buf, (size_t)n};
  fermyon_spin_mysql_own_connection_t conn;
  merr_t e;
  if (!fermyon_spin_mysql_static_connection_open(address, &conn, &e)) return fail(&e);
  conn_t c = fermyon_spin_mysql_borrow_connection(conn);
  int status = 200;
  if (strcmp(op, "execute") == 0) {
    if (!fermyon_spin_mysql_method_connection_execute(c, &sql, &params, &e)) status = fail(&e);
    else outs("ok");
  } else if (strcmp(op, "query") == 0) {
    fermyon_spin_mysql_row_set_t rs;
    if (!fermyon_spin_mysql_method_connection_query(c, &sql, &params, &rs, &e)) {
      status = fail(&e);
    } else {
      char buf[32];
      for (size_t i = 0; i < rs.columns.len; i++) {
        if (i) outs(",");
        out((const char *)rs.columns.ptr[i].name.ptr, rs.columns.ptr[i].name.len);
        snprintf(buf, sizeof buf, ":%u", rs.columns.ptr[i].data_type);
        outs(buf);
      }
      outs("\n");
      for (size_t r = 0; r < rs.rows.len; r++) {
        for (size_t i = 0; i < rs.rows.ptr[r].len; i++) {
          if (i) outs("|");
          print_value(&rs.rows.ptr[r].ptr[i]);
        }
        outs("\n");
      }
      fermyon_spin_mysql_row_set_free(&rs);
    }
  } else if (strcmp(op, "ids") == 0) {
    fermyon_spin_mysql_own_connection_t second, third;
    if (!fermyon_spin_mysql_static_connection_open(address, &second, &e)) {
      status = fail(&e);
    } else {
      long long a = connection_id(c);
      long long b = connection_id(fermyon_spin_mysql_borrow_connection(second));
      fermyon_spin_mysql_connection_drop_own(second);
      fermyon_spin_mysql_connection_drop_own(conn);
      if (!fermyon_spin_mysql_static_connection_open(address, &third, &e)) return fail(&e);
      long long t = connection_id(fermyon_spin_mysql_borrow_connection(third));
      fermyon_spin_mysql_connection_drop_own(third);
      char buf[96];
      snprintf(buf, sizeof buf, "%lld,%lld,%lld", a, b, t);
      outs(buf);
      return 200;
    }
  } else {
    outs("unknown op");
    status = 400;
  }
  fermyon_spin_mysql_connection_drop_own(conn);
  return status;
}

void exports_wasi_http_incoming_handler_handle(wasi_http_types_own_incoming_request_t request,
                                               wasi_http_types_own_response_outparam_t outp) {
  query[0] = reply[0] = 0;
  used = 0;
  mysql_handler_string_t s;
  if (wasi_http_types_method_incoming_request_path_with_query(
          wasi_http_types_borrow_incoming_request(request), &s)) {
    size_t n = s.len < sizeof query - 1 ? s.len : sizeof query - 1;
    memcpy(query, s.ptr, n);
    query[n] = 0;
    mysql_handler_string_free(&s);
  }
  wasi_http_types_incoming_request_drop_own(request);
  char op[32], addr[512];
  param("op", op, sizeof op);
  param("addr", addr, sizeof addr);
  decode(addr);
  mysql_handler_string_t address = {(uint8_t *)addr, strlen(addr)};
  int status = run(&address, op);
  lepton_respond(outp, (uint16_t)status, "text/plain", reply, used);
}
