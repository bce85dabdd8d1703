// sqlite: the conformance suite's sqlite component, in C (pending: built once lepton serves
// fermyon:spin/sqlite@2.0.0). Opening "forbidden" must be access-denied; on "default": create
// test_data(key, value) if missing, insert ('my_key', 'my_value'), select it back with a text
// parameter and find one row of two columns holding those texts. 200 with no body when all hold,
// else 500 with the failure (a host error as Rust's Debug spells it, e.g. "Error::AccessDenied").
#include "sqlite.h"

#define CF_STRING sqlite_string_t
#define CF_BYTES sqlite_list_u8_t
#define CF_STRING_SET sqlite_string_set
#include "conformance_util.h"

typedef fermyon_spin_2_0_0_sqlite_error_t sql_error_t;
typedef fermyon_spin_2_0_0_sqlite_borrow_connection_t conn_t;
typedef fermyon_spin_2_0_0_sqlite_value_t value_t;

static void describe(cf_text_t* out, sql_error_t* e) {
  switch (e->tag) {
    case FERMYON_SPIN_2_0_0_SQLITE_ERROR_NO_SUCH_DATABASE:
      cf_appendf(out, "Error::NoSuchDatabase");
      break;
    case FERMYON_SPIN_2_0_0_SQLITE_ERROR_ACCESS_DENIED:
      cf_appendf(out, "Error::AccessDenied");
      break;
    case FERMYON_SPIN_2_0_0_SQLITE_ERROR_INVALID_CONNECTION:
      cf_appendf(out, "Error::InvalidConnection");
      break;
    case FERMYON_SPIN_2_0_0_SQLITE_ERROR_DATABASE_FULL:
      cf_appendf(out, "Error::DatabaseFull");
      break;
    default:
      cf_appendf(out, "Error::Io(");
      cf_append_debug_str(out, e->val.io.ptr, e->val.io.len);
      cf_appendf(out, ")");
  }
  fermyon_spin_2_0_0_sqlite_error_free(e);
}

static bool execute(conn_t c, const char* sql, value_t* params, size_t n,
                    fermyon_spin_2_0_0_sqlite_query_result_t* result, cf_text_t* error) {
  sqlite_string_t statement = cf_str(sql);
  fermyon_spin_2_0_0_sqlite_list_value_t list = {params, n};
  sql_error_t e;
  if (!fermyon_spin_2_0_0_sqlite_method_connection_execute(c, &statement, &list, result, &e)) {
    describe(error, &e);
    return false;
  }
  return true;
}

static long column(const fermyon_spin_2_0_0_sqlite_query_result_t* r, const char* name) {
  for (size_t i = 0; i < r->columns.len; i++)
    if (cf_str_eq(&r->columns.ptr[i], name)) return (long)i;
  return -1;
}

static bool is_text(const value_t* v, const char* want) {
  return v->tag == FERMYON_SPIN_2_0_0_SQLITE_VALUE_TEXT && cf_str_eq(&v->val.text, want);
}

static bool run(conn_t c, cf_text_t* error) {
  fermyon_spin_2_0_0_sqlite_query_result_t r;
  if (!execute(c, "CREATE TABLE IF NOT EXISTS test_data(key TEXT NOT NULL, value TEXT NOT NULL);",
               NULL, 0, &r, error))
    return false;
  fermyon_spin_2_0_0_sqlite_query_result_free(&r);
  if (!execute(c, "INSERT INTO test_data(key, value) VALUES('my_key', 'my_value');", NULL, 0, &r,
               error))
    return false;
  fermyon_spin_2_0_0_sqlite_query_result_free(&r);

  value_t param = {.tag = FERMYON_SPIN_2_0_0_SQLITE_VALUE_TEXT};
  param.val.text = cf_str("my_key");
  if (!execute(c, "SELECT * FROM test_data WHERE key = ?", &param, 1, &r, error)) return false;
  bool ok = true;
  if (r.rows.len != 1) {
    cf_appendf(error, "Condition failed: `results.rows.len() == 1` (%zu rows)", r.rows.len);
    ok = false;
  } else if (r.columns.len != 2) {
    cf_appendf(error, "Condition failed: `results.columns.len() == 2` (%zu columns)",
               r.columns.len);
    ok = false;
  } else {
    long key = column(&r, "key");
    long value = column(&r, "value");
    const fermyon_spin_2_0_0_sqlite_list_value_t* row = &r.rows.ptr[0].values;
    if (key < 0 || value < 0 || (size_t)key >= row->len || (size_t)value >= row->len) {
      cf_appendf(error, "the result has no key / value columns");
      ok = false;
    } else if (!is_text(&row->ptr[key], "my_key")) {
      cf_appendf(error,
                 "Condition failed: `matches!(fetched_key, Value::Text(t) if t == \"my_key\")`");
      ok = false;
    } else if (!is_text(&row->ptr[value], "my_value")) {
      cf_appendf(
          error,
          "Condition failed: `matches!(fetched_value, Value::Text(t) if t == \"my_value\")`");
      ok = false;
    }
  }
  fermyon_spin_2_0_0_sqlite_query_result_free(&r);
  return ok;
}

static bool open_is_access_denied(const char* name) {
  sqlite_string_t n = cf_str(name);
  fermyon_spin_2_0_0_sqlite_own_connection_t conn;
  sql_error_t e;
  if (fermyon_spin_2_0_0_sqlite_static_connection_open(&n, &conn, &e)) {
    fermyon_spin_2_0_0_sqlite_connection_drop_own(conn);
    return false;
  }
  bool denied = e.tag == FERMYON_SPIN_2_0_0_SQLITE_ERROR_ACCESS_DENIED;
  fermyon_spin_2_0_0_sqlite_error_free(&e);
  return denied;
}

static bool handle(cf_text_t* error) {
  CF_ENSURE(error, open_is_access_denied("forbidden"));
  sqlite_string_t name = cf_str("default");
  fermyon_spin_2_0_0_sqlite_own_connection_t conn;
  sql_error_t e;
  if (!fermyon_spin_2_0_0_sqlite_static_connection_open(&name, &conn, &e)) {
    describe(error, &e);
    return false;
  }
  bool ok = run(fermyon_spin_2_0_0_sqlite_borrow_connection(conn), error);
  fermyon_spin_2_0_0_sqlite_connection_drop_own(conn);
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
