// postgres: the conformance suite's postgres component, in C (pending: built once lepton serves
// spin:postgres/postgres@4.0.0). Opens the connection string of the request's
// PG_CONNECTION_STRING header and, against the tables of upstream's postgres-init/*.sql (one row
// with id 1 each), inserts a row with id 2 of every kind of value and reads both rows back:
// numeric, character, date/time/interval, jsonb, uuid, null, ranges (and a range query), arrays
// (and an array query), and pg_backend_pid() twice (one connection). 200 with no body when all
// hold, else 500 naming the failed check or the host error. Row sets are not freed: the instance
// serves one request.
#include "postgres.h"

#define CF_STRING postgres_string_t
#define CF_BYTES postgres_list_u8_t
#define CF_STRING_SET postgres_string_set
#include "conformance_util.h"

typedef spin_postgres_4_0_0_postgres_borrow_connection_t conn_t;
typedef spin_postgres_4_0_0_postgres_db_value_t dbv_t;
typedef spin_postgres_4_0_0_postgres_parameter_value_t pv_t;
typedef spin_postgres_4_0_0_postgres_row_set_t rows_t;
typedef spin_postgres_4_0_0_postgres_error_t pg_error_t;

#define DV(name) SPIN_POSTGRES_4_0_0_POSTGRES_DB_VALUE_##name
#define PV(name) SPIN_POSTGRES_4_0_0_POSTGRES_PARAMETER_VALUE_##name
#define INCL SPIN_POSTGRES_4_0_0_POSTGRES_RANGE_BOUND_KIND_INCLUSIVE
#define EXCL SPIN_POSTGRES_4_0_0_POSTGRES_RANGE_BOUND_KIND_EXCLUSIVE
#define AT(rs, i, j) (&(rs).rows.ptr[i].ptr[j])

static void describe(cf_text_t* out, const pg_error_t* e) {
  const postgres_string_t* s = NULL;
  switch (e->tag) {
    case SPIN_POSTGRES_4_0_0_POSTGRES_ERROR_CONNECTION_FAILED:
      cf_appendf(out, "Error::ConnectionFailed(");
      s = &e->val.connection_failed;
      break;
    case SPIN_POSTGRES_4_0_0_POSTGRES_ERROR_BAD_PARAMETER:
      cf_appendf(out, "Error::BadParameter(");
      s = &e->val.bad_parameter;
      break;
    case SPIN_POSTGRES_4_0_0_POSTGRES_ERROR_QUERY_FAILED:
      if (e->val.query_failed.tag == SPIN_POSTGRES_4_0_0_POSTGRES_QUERY_ERROR_TEXT) {
        cf_appendf(out, "Error::QueryFailed(QueryError::Text(");
        s = &e->val.query_failed.val.text;
      } else {
        cf_appendf(out, "Error::QueryFailed(QueryError::DbError(DbError { as_text: ");
        const postgres_string_t* t = &e->val.query_failed.val.db_error.as_text;
        cf_append_debug_str(out, t->ptr, t->len);
        cf_appendf(out, ", .. }))");
        return;
      }
      cf_append_debug_str(out, s->ptr, s->len);
      cf_appendf(out, "))");
      return;
    case SPIN_POSTGRES_4_0_0_POSTGRES_ERROR_VALUE_CONVERSION_FAILED:
      cf_appendf(out, "Error::ValueConversionFailed(");
      s = &e->val.value_conversion_failed;
      break;
    default:
      cf_appendf(out, "Error::Other(");
      s = &e->val.other;
  }
  cf_append_debug_str(out, s->ptr, s->len);
  cf_appendf(out, ")");
}

static bool query(conn_t c, const char* sql, pv_t* params, size_t n, rows_t* rs, cf_text_t* error) {
  postgres_string_t statement = cf_str(sql);
  spin_postgres_4_0_0_postgres_list_parameter_value_t list = {params, n};
  pg_error_t e;
  if (!spin_postgres_4_0_0_postgres_method_connection_query(c, &statement, &list, rs, &e)) {
    describe(error, &e);
    return false;
  }
  return true;
}

static bool execute(conn_t c, const char* sql, pv_t* params, size_t n, cf_text_t* error) {
  postgres_string_t statement = cf_str(sql);
  spin_postgres_4_0_0_postgres_list_parameter_value_t list = {params, n};
  uint64_t affected;
  pg_error_t e;
  if (!spin_postgres_4_0_0_postgres_method_connection_execute(c, &statement, &list, &affected,
                                                              &e)) {
    describe(error, &e);
    return false;
  }
  return true;
}

// rows.len() == n (n >= 0) and every row has `cols` values.
static bool shape(const rows_t* rs, long n, size_t cols) {
  if (n >= 0 && rs->rows.len != (size_t)n) return false;
  for (size_t i = 0; i < rs->rows.len; i++)
    if (rs->rows.ptr[i].len != cols) return false;
  return true;
}

static bool str_is(const postgres_string_t* s, const char* want) { return cf_str_eq(s, want); }

static pv_t p_i16(int16_t v) {
  pv_t p = {.tag = PV(INT16)};
  p.val.int16 = v;
  return p;
}
static pv_t p_i32(int32_t v) {
  pv_t p = {.tag = PV(INT32)};
  p.val.int32 = v;
  return p;
}
static pv_t p_i64(int64_t v) {
  pv_t p = {.tag = PV(INT64)};
  p.val.int64 = v;
  return p;
}
static pv_t p_str(const char* v) {
  pv_t p = {.tag = PV(STR)};
  p.val.str = cf_str(v);
  return p;
}

static bool is_i16(const dbv_t* v, int16_t want) {
  return v->tag == DV(INT16) && v->val.int16 == want;
}
static bool is_i32(const dbv_t* v, int32_t want) {
  return v->tag == DV(INT32) && v->val.int32 == want;
}
static bool is_i64(const dbv_t* v, int64_t want) {
  return v->tag == DV(INT64) && v->val.int64 == want;
}
static bool is_str(const dbv_t* v, const char* want) {
  return v->tag == DV(STR) && str_is(&v->val.str, want);
}

// A decimal string's value as sign + digits without leading/trailing zeros + point position, so
// that "0.1230" and ".123" compare equal (rust_decimal's equality).
static void decimal_key(const uint8_t* s, size_t n, char* out, size_t cap) {
  size_t i = 0;
  bool negative = false;
  if (i < n && (s[i] == '-' || s[i] == '+')) negative = s[i++] == '-';
  char digits[128];
  size_t nd = 0;
  long point = -1;
  for (; i < n && nd + 1 < sizeof digits; i++) {
    if (s[i] == '.') {
      point = (long)nd;
    } else {
      digits[nd++] = (char)s[i];
    }
  }
  if (point < 0) point = (long)nd;
  size_t start = 0;
  while (start < (size_t)point && digits[start] == '0') start++;
  size_t end = nd;
  while (end > (size_t)point && digits[end - 1] == '0') end--;
  if (start == end) negative = false;
  snprintf(out, cap, "%s%.*s.%.*s", negative ? "-" : "", (int)((size_t)point - start),
           digits + start, (int)(end - (size_t)point), digits + point);
}

static bool is_decimal(const dbv_t* v, const char* want) {
  if (v->tag != DV(DECIMAL)) return false;
  char a[160], b[160];
  decimal_key(v->val.decimal.ptr, v->val.decimal.len, a, sizeof a);
  decimal_key((const uint8_t*)want, strlen(want), b, sizeof b);
  return strcmp(a, b) == 0;
}

// ---- JSON equality: both sides rendered canonically (no spaces, object members sorted) -------

static void skip_ws(const char** p, const char* end) {
  while (*p < end && (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')) (*p)++;
}

static bool json_canon(const char** p, const char* end, cf_text_t* out);

static bool json_string(const char** p, const char* end, cf_text_t* out) {
  const char* start = *p;
  (*p)++;
  while (*p < end && **p != '"') {
    if (**p == '\\') (*p)++;
    (*p)++;
  }
  if (*p >= end) return false;
  (*p)++;
  cf_append(out, start, (size_t)(*p - start));
  return true;
}

static int cmp_text(const void* a, const void* b) {
  return strcmp(((const cf_text_t*)a)->data, ((const cf_text_t*)b)->data);
}

static bool json_canon(const char** p, const char* end, cf_text_t* out) {
  skip_ws(p, end);
  if (*p >= end) return false;
  char c = **p;
  if (c == '"') return json_string(p, end, out);
  if (c == '{') {
    (*p)++;
    cf_text_t members[64];
    size_t n = 0;
    skip_ws(p, end);
    if (*p < end && **p == '}') {
      (*p)++;
      cf_append(out, "{}", 2);
      return true;
    }
    while (n < 64) {
      cf_text_t m = {0};
      skip_ws(p, end);
      if (*p >= end || **p != '"' || !json_string(p, end, &m)) return false;
      skip_ws(p, end);
      if (*p >= end || **p != ':') return false;
      (*p)++;
      cf_append(&m, ":", 1);
      if (!json_canon(p, end, &m)) return false;
      members[n++] = m;
      skip_ws(p, end);
      if (*p < end && **p == ',') {
        (*p)++;
        continue;
      }
      if (*p < end && **p == '}') {
        (*p)++;
        break;
      }
      return false;
    }
    qsort(members, n, sizeof members[0], cmp_text);
    cf_append(out, "{", 1);
    for (size_t i = 0; i < n; i++) {
      if (i) cf_append(out, ",", 1);
      cf_append(out, members[i].data, members[i].len);
      free(members[i].data);
    }
    cf_append(out, "}", 1);
    return true;
  }
  if (c == '[') {
    (*p)++;
    cf_append(out, "[", 1);
    skip_ws(p, end);
    if (*p < end && **p == ']') {
      (*p)++;
      cf_append(out, "]", 1);
      return true;
    }
    for (bool first = true;; first = false) {
      if (!first) cf_append(out, ",", 1);
      if (!json_canon(p, end, out)) return false;
      skip_ws(p, end);
      if (*p < end && **p == ',') {
        (*p)++;
        continue;
      }
      if (*p < end && **p == ']') {
        (*p)++;
        cf_append(out, "]", 1);
        return true;
      }
      return false;
    }
  }
  const char* start = *p;  // number, true, false, null
  while (*p < end && **p != ',' && **p != '}' && **p != ']' && **p != ' ' && **p != '\n' &&
         **p != '\t' && **p != '\r')
    (*p)++;
  if (*p == start) return false;
  cf_append(out, start, (size_t)(*p - start));
  return true;
}

static bool json_eq(const char* expected, const uint8_t* actual, size_t len) {
  cf_text_t a = {0}, b = {0};
  const char *pa = expected, *pb = (const char*)actual;
  bool ok = json_canon(&pa, expected + strlen(expected), &a) &&
            json_canon(&pb, (const char*)actual + len, &b) && a.len == b.len &&
            memcmp(a.data, b.data, a.len) == 0;
  free(a.data);
  free(b.data);
  return ok;
}

// ---- the checks, as the upstream guest's test_* functions -----------------------------------

static bool test_numeric_types(conn_t c, cf_text_t* error) {
  pv_t params[10] = {p_i32(2), p_i16(13), p_i16(14), p_i32(15), p_i32(16), p_i64(17), p_i64(18)};
  params[7].tag = PV(FLOATING32);
  params[7].val.floating32 = 19.2f;
  params[8].tag = PV(FLOATING64);
  params[8].val.floating64 = 20.3;
  params[9].tag = PV(DECIMAL);
  params[9].val.decimal = cf_str("123456789.123456789");
  if (!execute(c,
               "INSERT INTO test_numeric_types(id, rsmallint, rint2, rint, rint4, rbigint, rint8, "
               "rreal, rdouble, rnumeric) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);",
               params, 10, error))
    return false;
  rows_t rs;
  if (!query(c,
             "SELECT id, rsmallserial, rsmallint, rint2, rserial, rint, rint4, rbigserial, "
             "rbigint, rint8, rreal, rdouble, rnumeric FROM test_numeric_types ORDER BY id;",
             NULL, 0, &rs, error))
    return false;
  CF_ENSURE(error, shape(&rs, 2, 13));
  // Spin correctly decodes Postgres values
  CF_ENSURE(error, AT(rs, 0, 1)->tag == DV(INT16));
  CF_ENSURE(error, is_i16(AT(rs, 0, 2), 1));
  CF_ENSURE(error, is_i16(AT(rs, 0, 3), 2));
  CF_ENSURE(error, AT(rs, 0, 4)->tag == DV(INT32));
  CF_ENSURE(error, is_i32(AT(rs, 0, 5), 3));
  CF_ENSURE(error, is_i32(AT(rs, 0, 6), 4));
  CF_ENSURE(error, AT(rs, 0, 7)->tag == DV(INT64));
  CF_ENSURE(error, is_i64(AT(rs, 0, 8), 5));
  CF_ENSURE(error, is_i64(AT(rs, 0, 9), 6));
  CF_ENSURE(error, AT(rs, 0, 10)->tag == DV(FLOATING32) && AT(rs, 0, 10)->val.floating32 == 7.8f);
  CF_ENSURE(error, AT(rs, 0, 11)->tag == DV(FLOATING64) && AT(rs, 0, 11)->val.floating64 == 9.1);
  CF_ENSURE(error, is_decimal(AT(rs, 0, 12), "0.123456789"));
  // Values inserted by Spin round-trip correctly
  CF_ENSURE(error, is_i16(AT(rs, 1, 2), 13));
  CF_ENSURE(error, is_i16(AT(rs, 1, 3), 14));
  CF_ENSURE(error, is_i32(AT(rs, 1, 5), 15));
  CF_ENSURE(error, is_i32(AT(rs, 1, 6), 16));
  CF_ENSURE(error, is_i64(AT(rs, 1, 8), 17));
  CF_ENSURE(error, is_i64(AT(rs, 1, 9), 18));
  CF_ENSURE(error, AT(rs, 1, 10)->tag == DV(FLOATING32) && AT(rs, 1, 10)->val.floating32 == 19.2f);
  CF_ENSURE(error, AT(rs, 1, 11)->tag == DV(FLOATING64) && AT(rs, 1, 11)->val.floating64 == 20.3);
  CF_ENSURE(error, is_decimal(AT(rs, 1, 12), "123456789.123456789"));
  return true;
}

static bool test_character_types(conn_t c, cf_text_t* error) {
  pv_t params[4] = {p_i32(2), p_str("varchar2"), p_str("text2"), p_str("char2")};
  if (!execute(c,
               "INSERT INTO test_character_types (id, rvarchar, rtext, rchar) VALUES ($1, $2, $3, "
               "$4);",
               params, 4, error))
    return false;
  rows_t rs;
  if (!query(c, "SELECT id, rvarchar, rtext, rchar FROM test_character_types ORDER BY id;", NULL, 0,
             &rs, error))
    return false;
  CF_ENSURE(error, shape(&rs, 2, 4));
  // rchar is char(10): padded with spaces to 10
  CF_ENSURE(error, is_str(AT(rs, 0, 1), "rvarchar"));
  CF_ENSURE(error, is_str(AT(rs, 0, 2), "rtext"));
  CF_ENSURE(error, is_str(AT(rs, 0, 3), "rchar     "));
  CF_ENSURE(error, is_str(AT(rs, 1, 1), "varchar2"));
  CF_ENSURE(error, is_str(AT(rs, 1, 2), "text2"));
  CF_ENSURE(error, is_str(AT(rs, 1, 3), "char2     "));
  return true;
}

static bool is_date(const dbv_t* v, int32_t y, uint8_t m, uint8_t d) {
  return v->tag == DV(DATE) && v->val.date.f0 == y && v->val.date.f1 == m && v->val.date.f2 == d;
}

static bool is_time(const dbv_t* v, uint8_t h, uint8_t m, uint8_t s, uint32_t ns) {
  return v->tag == DV(TIME) && v->val.time.f0 == h && v->val.time.f1 == m && v->val.time.f2 == s &&
         v->val.time.f3 == ns;
}

static bool is_datetime(const dbv_t* v, int32_t y, uint8_t mo, uint8_t d, uint8_t h, uint8_t mi,
                        uint8_t s, uint32_t ns) {
  const postgres_tuple7_s32_u8_u8_u8_u8_u8_u32_t* t = &v->val.datetime;
  return v->tag == DV(DATETIME) && t->f0 == y && t->f1 == mo && t->f2 == d && t->f3 == h &&
         t->f4 == mi && t->f5 == s && t->f6 == ns;
}

static bool is_interval(const dbv_t* v, int32_t months, int32_t days, int64_t micros) {
  return v->tag == DV(INTERVAL) && v->val.interval.months == months &&
         v->val.interval.days == days && v->val.interval.micros == micros;
}

static bool test_date_time_types(conn_t c, cf_text_t* error) {
  pv_t params[4];
  params[0].tag = PV(DATE);
  params[0].val.date = (postgres_tuple3_s32_u8_u8_t){1901, 1, 2};
  params[1].tag = PV(TIME);
  params[1].val.time = (postgres_tuple4_u8_u8_u8_u32_t){14, 15, 16, 17000000};
  params[2].tag = PV(DATETIME);
  params[2].val.datetime =
      (postgres_tuple7_s32_u8_u8_u8_u8_u8_u32_t){1999, 7, 12, 4, 3, 2, 1000000};
  params[3].tag = PV(INTERVAL);
  params[3].val.interval =
      (spin_postgres_4_0_0_postgres_interval_t){.micros = 123456, .days = 10, .months = 200};
  if (!execute(c,
               "INSERT INTO test_date_time_types (id, rdate, rtime, rtimestamp, rinterval) VALUES "
               "(2, $1, $2, $3, $4);",
               params, 4, error))
    return false;
  rows_t rs;
  if (!query(c,
             "SELECT id, rdate, rtime, rtimestamp, rinterval FROM test_date_time_types ORDER BY "
             "id;",
             NULL, 0, &rs, error))
    return false;
  CF_ENSURE(error, shape(&rs, 2, 5));
  CF_ENSURE(error, is_date(AT(rs, 0, 1), 2525, 12, 25));
  CF_ENSURE(error, is_time(AT(rs, 0, 2), 4, 5, 6, 789000000));
  CF_ENSURE(error, is_datetime(AT(rs, 0, 3), 1989, 11, 24, 1, 2, 3, 0));
  CF_ENSURE(error, is_interval(AT(rs, 0, 4), 14, 3, 245LL * 60 * 1000000 + 6700000));
  CF_ENSURE(error, is_date(AT(rs, 1, 1), 1901, 1, 2));
  CF_ENSURE(error, is_time(AT(rs, 1, 2), 14, 15, 16, 17000000));
  CF_ENSURE(error, is_datetime(AT(rs, 1, 3), 1999, 7, 12, 4, 3, 2, 1000000));
  CF_ENSURE(error, is_interval(AT(rs, 1, 4), 200, 10, 123456));
  return true;
}

static bool test_json_types(conn_t c, cf_text_t* error) {
  static const char kJson[] = "{ \"s\": \"world\", \"n\": 234, \"b\": false, \"x\": null }";
  pv_t param = {.tag = PV(JSONB)};
  param.val.jsonb = (postgres_list_u8_t){(uint8_t*)kJson, sizeof kJson - 1};
  if (!execute(c, "INSERT INTO test_json_types (id, j) VALUES (2, $1);", &param, 1, error))
    return false;
  rows_t rs;
  if (!query(c, "SELECT id, j FROM test_json_types ORDER BY id;", NULL, 0, &rs, error))
    return false;
  CF_ENSURE(error, shape(&rs, 2, 2));
  CF_ENSURE(error, AT(rs, 0, 1)->tag == DV(JSONB) &&
                       json_eq("{\"s\":\"hello\",\"n\":123,\"b\":true,\"x\":null}",
                               AT(rs, 0, 1)->val.jsonb.ptr, AT(rs, 0, 1)->val.jsonb.len));
  CF_ENSURE(error, AT(rs, 1, 1)->tag == DV(JSONB) &&
                       json_eq(kJson, AT(rs, 1, 1)->val.jsonb.ptr, AT(rs, 1, 1)->val.jsonb.len));
  return true;
}

static bool test_uuid_type(conn_t c, cf_text_t* error) {
  pv_t param = {.tag = PV(UUID)};
  param.val.uuid = cf_str("fedcba98-fedc-fedc-fedc-fedcba987654");
  if (!execute(c, "INSERT INTO test_uuid_type (id, u) VALUES (2, $1);", &param, 1, error))
    return false;
  rows_t rs;
  if (!query(c, "SELECT id, u FROM test_uuid_type ORDER BY id;", NULL, 0, &rs, error)) return false;
  CF_ENSURE(error, shape(&rs, 2, 2));
  CF_ENSURE(error, AT(rs, 0, 1)->tag == DV(UUID) &&
                       str_is(&AT(rs, 0, 1)->val.uuid, "12345678-1234-1234-1234-123456789abc"));
  CF_ENSURE(error, AT(rs, 1, 1)->tag == DV(UUID) &&
                       str_is(&AT(rs, 1, 1)->val.uuid, "fedcba98-fedc-fedc-fedc-fedcba987654"));
  return true;
}

static bool test_nullable(conn_t c, cf_text_t* error) {
  pv_t param = {.tag = PV(DB_NULL)};
  if (!execute(c, "INSERT INTO test_nullable (id, rvarchar) VALUES (2, $1);", &param, 1, error))
    return false;
  rows_t rs;
  if (!query(c, "SELECT id, rvarchar FROM test_nullable ORDER BY id;", NULL, 0, &rs, error))
    return false;
  CF_ENSURE(error, shape(&rs, -1, 2) && rs.rows.len >= 2);
  CF_ENSURE(error, AT(rs, 0, 1)->tag == DV(DB_NULL));
  CF_ENSURE(error, AT(rs, 1, 1)->tag == DV(DB_NULL));
  return true;
}

typedef spin_postgres_4_0_0_postgres_option_tuple2_s32_range_bound_kind_t bound32_t;
typedef spin_postgres_4_0_0_postgres_option_tuple2_s64_range_bound_kind_t bound64_t;
typedef spin_postgres_4_0_0_postgres_option_tuple2_string_range_bound_kind_t bounddec_t;

static bool bound32_is(const bound32_t* b, bool some, int32_t v, uint8_t kind) {
  return b->is_some == some && (!some || (b->val.f0 == v && b->val.f1 == kind));
}
static bool bound64_is(const bound64_t* b, bool some, int64_t v, uint8_t kind) {
  return b->is_some == some && (!some || (b->val.f0 == v && b->val.f1 == kind));
}
static bool bounddec_is(const bounddec_t* b, const char* v, uint8_t kind) {
  return b->is_some == (v != NULL) && (v == NULL || (str_is(&b->val.f0, v) && b->val.f1 == kind));
}

static bool ids_are(const rows_t* rs, const int32_t* ids, size_t n) {
  if (rs->rows.len != n) return false;
  for (size_t i = 0; i < n; i++)
    if (rs->rows.ptr[i].len < 1 || !is_i32(&rs->rows.ptr[i].ptr[0], ids[i])) return false;
  return true;
}

static bool test_range_types(conn_t c, cf_text_t* error) {
  pv_t params[3];
  params[0].tag = PV(RANGE_INT32);
  params[0].val.range_int32.f0 = (bound32_t){true, {30, EXCL}};
  params[0].val.range_int32.f1 = (bound32_t){true, {12341234, EXCL}};
  params[1].tag = PV(RANGE_INT64);
  params[1].val.range_int64.f0 = (bound64_t){true, {123123123123LL, INCL}};
  params[1].val.range_int64.f1 = (bound64_t){false, {0, 0}};
  params[2].tag = PV(RANGE_DECIMAL);
  params[2].val.range_decimal.f0 = (bounddec_t){true, {cf_str("1234.56"), EXCL}};
  params[2].val.range_decimal.f1 = (bounddec_t){true, {cf_str("456789012345.789123"), INCL}};
  if (!execute(c, "INSERT INTO test_range_types (id, r4, r8, rnum) VALUES (2, $1, $2, $3);", params,
               3, error))
    return false;
  rows_t rs;
  if (!query(c, "SELECT id, r4, r8, rnum FROM test_range_types ORDER BY id;", NULL, 0, &rs, error))
    return false;
  CF_ENSURE(error, shape(&rs, 2, 4));
  // Postgres normalises discrete ranges to inclusive lower / exclusive upper.
  const dbv_t* v = AT(rs, 0, 1);
  CF_ENSURE(error, v->tag == DV(RANGE_INT32) && bound32_is(&v->val.range_int32.f0, true, 2, INCL) &&
                       bound32_is(&v->val.range_int32.f1, true, 41, EXCL));
  v = AT(rs, 0, 2);
  CF_ENSURE(error, v->tag == DV(RANGE_INT64) &&
                       bound64_is(&v->val.range_int64.f0, true, 123456789012LL, INCL) &&
                       bound64_is(&v->val.range_int64.f1, true, 234567890123LL, EXCL));
  v = AT(rs, 0, 3);
  CF_ENSURE(error, v->tag == DV(RANGE_DECIMAL) && bounddec_is(&v->val.range_decimal.f0, NULL, 0) &&
                       bounddec_is(&v->val.range_decimal.f1, "100", EXCL));
  v = AT(rs, 1, 1);
  CF_ENSURE(error, v->tag == DV(RANGE_INT32) &&
                       bound32_is(&v->val.range_int32.f0, true, 31, INCL) &&
                       bound32_is(&v->val.range_int32.f1, true, 12341234, EXCL));
  v = AT(rs, 1, 2);
  CF_ENSURE(error, v->tag == DV(RANGE_INT64) &&
                       bound64_is(&v->val.range_int64.f0, true, 123123123123LL, INCL) &&
                       bound64_is(&v->val.range_int64.f1, false, 0, 0));
  // Continuous ranges like decimal are not normalised.
  v = AT(rs, 1, 3);
  CF_ENSURE(error, v->tag == DV(RANGE_DECIMAL) &&
                       bounddec_is(&v->val.range_decimal.f0, "1234.56", EXCL) &&
                       bounddec_is(&v->val.range_decimal.f1, "456789012345.789123", INCL));

  static const char kSql[] = "SELECT id FROM test_range_types WHERE $1::int4 <@ r4 ORDER BY id";
  pv_t p = p_i32(30);
  if (!query(c, kSql, &p, 1, &rs, error)) return false;
  static const int32_t kOne[] = {1};
  CF_ENSURE(error, ids_are(&rs, kOne, 1));
  p = p_i32(40);
  if (!query(c, kSql, &p, 1, &rs, error)) return false;
  static const int32_t kBoth[] = {1, 2};
  CF_ENSURE(error, ids_are(&rs, kBoth, 2));
  return true;
}

static bool opt_i32_list_is(const postgres_list_option_s32_t* l, const postgres_option_s32_t* want,
                            size_t n) {
  if (l->len != n) return false;
  for (size_t i = 0; i < n; i++)
    if (l->ptr[i].is_some != want[i].is_some || (want[i].is_some && l->ptr[i].val != want[i].val))
      return false;
  return true;
}

static bool opt_i64_list_is(const postgres_list_option_s64_t* l, const postgres_option_s64_t* want,
                            size_t n) {
  if (l->len != n) return false;
  for (size_t i = 0; i < n; i++)
    if (l->ptr[i].is_some != want[i].is_some || (want[i].is_some && l->ptr[i].val != want[i].val))
      return false;
  return true;
}

// Strings of `want` (NULL = none), compared exactly.
static bool opt_str_list_is(const postgres_list_option_string_t* l, const char* const* want,
                            size_t n) {
  if (l->len != n) return false;
  for (size_t i = 0; i < n; i++) {
    if (l->ptr[i].is_some != (want[i] != NULL)) return false;
    if (want[i] && !str_is(&l->ptr[i].val, want[i])) return false;
  }
  return true;
}

static bool test_array_types(conn_t c, cf_text_t* error) {
  static postgres_option_s32_t i4[] = {{true, 1}, {true, 123}, {false, 0}, {true, 384753}};
  static postgres_option_s64_t i8[1000];
  for (int i = 0; i < 1000; i++) i8[i] = (postgres_option_s64_t){true, 40000000000000LL + i};
  static const char* const nums[] = {"100", "200.123456789"};
  static const char* const strs[] = {"alice", NULL, "carol"};
  postgres_option_string_t num_opts[2], str_opts[3];
  for (int i = 0; i < 2; i++) num_opts[i] = (postgres_option_string_t){true, cf_str(nums[i])};
  for (int i = 0; i < 3; i++) {
    str_opts[i].is_some = strs[i] != NULL;
    if (strs[i]) str_opts[i].val = cf_str(strs[i]);
  }
  pv_t params[4];
  params[0].tag = PV(ARRAY_INT32);
  params[0].val.array_int32 = (postgres_list_option_s32_t){i4, 4};
  params[1].tag = PV(ARRAY_INT64);
  params[1].val.array_int64 = (postgres_list_option_s64_t){i8, 1000};
  params[2].tag = PV(ARRAY_DECIMAL);
  params[2].val.array_decimal = (postgres_list_option_string_t){num_opts, 2};
  params[3].tag = PV(ARRAY_STR);
  params[3].val.array_str = (postgres_list_option_string_t){str_opts, 3};
  if (!execute(c,
               "INSERT INTO test_array_types (id, i4arr, i8arr, numarr, strarr) VALUES (2, $1, $2, "
               "$3, $4);",
               params, 4, error))
    return false;
  rows_t rs;
  if (!query(c, "SELECT id, i4arr, i8arr, numarr, strarr FROM test_array_types ORDER BY id;", NULL,
             0, &rs, error))
    return false;
  CF_ENSURE(error, shape(&rs, 2, 5));
  static const postgres_option_s32_t r0_i4[] = {{true, 1}, {true, 2}, {true, 3}};
  static const postgres_option_s64_t r0_i8[] = {{true, 101}, {true, 102}, {true, 103}, {true, 104}};
  static const char* const r0_num[] = {"1.234", "2.345"};
  static const char* const r0_str[] = {"hello", "mum"};
  CF_ENSURE(error, AT(rs, 0, 1)->tag == DV(ARRAY_INT32) &&
                       opt_i32_list_is(&AT(rs, 0, 1)->val.array_int32, r0_i4, 3));
  CF_ENSURE(error, AT(rs, 0, 2)->tag == DV(ARRAY_INT64) &&
                       opt_i64_list_is(&AT(rs, 0, 2)->val.array_int64, r0_i8, 4));
  CF_ENSURE(error, AT(rs, 0, 3)->tag == DV(ARRAY_DECIMAL) &&
                       opt_str_list_is(&AT(rs, 0, 3)->val.array_decimal, r0_num, 2));
  CF_ENSURE(error, AT(rs, 0, 4)->tag == DV(ARRAY_STR) &&
                       opt_str_list_is(&AT(rs, 0, 4)->val.array_str, r0_str, 2));
  CF_ENSURE(error, AT(rs, 1, 1)->tag == DV(ARRAY_INT32) &&
                       opt_i32_list_is(&AT(rs, 1, 1)->val.array_int32, i4, 4));
  CF_ENSURE(error, AT(rs, 1, 2)->tag == DV(ARRAY_INT64) &&
                       opt_i64_list_is(&AT(rs, 1, 2)->val.array_int64, i8, 1000));
  CF_ENSURE(error, AT(rs, 1, 3)->tag == DV(ARRAY_DECIMAL) &&
                       opt_str_list_is(&AT(rs, 1, 3)->val.array_decimal, nums, 2));
  CF_ENSURE(error, AT(rs, 1, 4)->tag == DV(ARRAY_STR) &&
                       opt_str_list_is(&AT(rs, 1, 4)->val.array_str, strs, 3));

  static const char kSql[] =
      "SELECT id FROM test_array_types WHERE array_position(i4arr, $1) IS NOT NULL ORDER BY id;";
  pv_t p = p_i32(1);
  if (!query(c, kSql, &p, 1, &rs, error)) return false;
  CF_ENSURE(error, rs.rows.len == 2);
  p = p_i32(2);
  if (!query(c, kSql, &p, 1, &rs, error)) return false;
  CF_ENSURE(error, rs.rows.len == 1);
  return true;
}

static bool same_value(const dbv_t* a, const dbv_t* b) {
  if (a->tag != b->tag) return false;
  switch (a->tag) {
    case DV(INT16):
      return a->val.int16 == b->val.int16;
    case DV(INT32):
      return a->val.int32 == b->val.int32;
    case DV(INT64):
      return a->val.int64 == b->val.int64;
    default:
      return false;
  }
}

static bool test_call_pg_fn(conn_t c, cf_text_t* error) {
  rows_t a, b;
  if (!query(c, "SELECT pg_backend_pid()", NULL, 0, &a, error)) return false;
  if (!query(c, "SELECT pg_backend_pid()", NULL, 0, &b, error)) return false;
  CF_ENSURE(error,
            a.rows.len >= 1 && a.rows.ptr[0].len >= 1 && b.rows.len >= 1 && b.rows.ptr[0].len >= 1);
  CF_ENSURE(error, same_value(AT(a, 0, 0), AT(b, 0, 0)));
  return true;
}

static bool handle(wasi_http_types_borrow_incoming_request_t request, cf_text_t* error) {
  char* conn_str = cf_get_header(request, "PG_CONNECTION_STRING");
  if (conn_str == NULL) {
    cf_appendf(error, "no PG_CONNECTION_STRING header");
    return false;
  }
  postgres_string_t address = cf_str(conn_str);
  spin_postgres_4_0_0_postgres_own_connection_t conn;
  pg_error_t e;
  bool ok = spin_postgres_4_0_0_postgres_static_connection_open(&address, &conn, &e);
  free(conn_str);
  if (!ok) {
    describe(error, &e);
    return false;
  }
  conn_t c = spin_postgres_4_0_0_postgres_borrow_connection(conn);
  ok = test_numeric_types(c, error) && test_character_types(c, error) &&
       test_date_time_types(c, error) && test_json_types(c, error) && test_uuid_type(c, error) &&
       test_nullable(c, error) && test_range_types(c, error) && test_array_types(c, error) &&
       test_call_pg_fn(c, error);
  spin_postgres_4_0_0_postgres_connection_drop_own(conn);
  return ok;
}

void exports_wasi_http_incoming_handler_handle(
    exports_wasi_http_incoming_handler_own_incoming_request_t request,
    exports_wasi_http_incoming_handler_own_response_outparam_t response_out) {
  cf_text_t error = {0};
  handle(wasi_http_types_borrow_incoming_request(request), &error);
  wasi_http_types_incoming_request_drop_own(request);
  cf_handle_result(response_out, &error);
  free(error.data);
}
