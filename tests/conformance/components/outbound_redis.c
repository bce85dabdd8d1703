// outbound-redis: the conformance suite's outbound-redis component, in C. Connects to the
// address in the request's `redis_address` header over fermyon:spin/redis@2.0.0 and runs
// set/get, set/incr, del of both keys, then execute("set"), execute("append"), execute("get").
// 200 with no body when all hold; 400 "missing header: REDIS_ADDRESS" without the header; else
// 500 with the failure (a host error as Rust's Debug spells it, e.g. "Error::InvalidAddress").
#include "outbound_redis.h"

#define CF_STRING outbound_redis_string_t
#define CF_BYTES outbound_redis_list_u8_t
#define CF_STRING_SET outbound_redis_string_set
#include "conformance_util.h"

typedef fermyon_spin_2_0_0_redis_error_t redis_error_t;
typedef fermyon_spin_2_0_0_redis_borrow_connection_t conn_t;

static void describe(cf_text_t* out, redis_error_t* e) {
  switch (e->tag) {
    case FERMYON_SPIN_2_0_0_REDIS_ERROR_INVALID_ADDRESS:
      cf_appendf(out, "Error::InvalidAddress");
      break;
    case FERMYON_SPIN_2_0_0_REDIS_ERROR_TOO_MANY_CONNECTIONS:
      cf_appendf(out, "Error::TooManyConnections");
      break;
    case FERMYON_SPIN_2_0_0_REDIS_ERROR_TYPE_ERROR:
      cf_appendf(out, "Error::TypeError");
      break;
    default:
      cf_appendf(out, "Error::Other(");
      cf_append_debug_str(out, e->val.other.ptr, e->val.other.len);
      cf_appendf(out, ")");
  }
  fermyon_spin_2_0_0_redis_error_free(e);
}

#define TRY(error, call)      \
  do {                        \
    redis_error_t e_;         \
    if (!(call)) {            \
      describe((error), &e_); \
      return false;           \
    }                         \
  } while (0)
#define E &e_

static bool set(conn_t c, const char* key, const char* value, redis_error_t* e) {
  outbound_redis_string_t k = cf_str(key);
  fermyon_spin_2_0_0_redis_payload_t v = {(uint8_t*)value, strlen(value)};
  return fermyon_spin_2_0_0_redis_method_connection_set(c, &k, &v, e);
}

// execute(command, binary args...); *results is the reply.
static bool execute(conn_t c, const char* command, const char* const* args, size_t n,
                    fermyon_spin_2_0_0_redis_list_redis_result_t* results, redis_error_t* e) {
  fermyon_spin_2_0_0_redis_redis_parameter_t params[4];
  for (size_t i = 0; i < n; i++) {
    params[i].tag = FERMYON_SPIN_2_0_0_REDIS_REDIS_PARAMETER_BINARY;
    params[i].val.binary.ptr = (uint8_t*)args[i];
    params[i].val.binary.len = strlen(args[i]);
  }
  fermyon_spin_2_0_0_redis_list_redis_parameter_t list = {params, n};
  outbound_redis_string_t cmd = cf_str(command);
  return fermyon_spin_2_0_0_redis_method_connection_execute(c, &cmd, &list, results, e);
}

static bool run(conn_t c, cf_text_t* error) {
  TRY(error, set(c, "spin-example-get-set", "Eureka!", E));

  outbound_redis_string_t key = cf_str("spin-example-get-set");
  fermyon_spin_2_0_0_redis_option_payload_t payload;
  TRY(error, fermyon_spin_2_0_0_redis_method_connection_get(c, &key, &payload, E));
  if (!payload.is_some) {
    cf_appendf(error, "missing value for 'spin-example-get-set'");
    return false;
  }
  bool eureka = payload.val.len == 7 && memcmp(payload.val.ptr, "Eureka!", 7) == 0;
  fermyon_spin_2_0_0_redis_payload_free(&payload.val);
  CF_ENSURE(error, eureka);

  TRY(error, set(c, "spin-example-incr", "0", E));
  outbound_redis_string_t incr_key = cf_str("spin-example-incr");
  int64_t int_value = 0;
  TRY(error, fermyon_spin_2_0_0_redis_method_connection_incr(c, &incr_key, &int_value, E));
  CF_ENSURE(error, int_value == 1);

  outbound_redis_string_t keys[2] = {cf_str("spin-example-get-set"), cf_str("spin-example-incr")};
  outbound_redis_list_string_t key_list = {keys, 2};
  uint32_t del_keys = 0;
  TRY(error, fermyon_spin_2_0_0_redis_method_connection_del(c, &key_list, &del_keys, E));
  CF_ENSURE(error, del_keys == 2);

  fermyon_spin_2_0_0_redis_list_redis_result_t results;
  static const char* const set_args[] = {"spin-example", "Eureka!"};
  TRY(error, execute(c, "set", set_args, 2, &results, E));
  fermyon_spin_2_0_0_redis_list_redis_result_free(&results);

  static const char* const append_args[] = {"spin-example", " I've got it!"};
  TRY(error, execute(c, "append", append_args, 2, &results, E));
  fermyon_spin_2_0_0_redis_list_redis_result_free(&results);

  static const char* const get_args[] = {"spin-example"};
  TRY(error, execute(c, "get", get_args, 1, &results, E));
  static const char kWant[] = "Eureka! I've got it!";
  bool matches = results.len == 1 &&
                 results.ptr[0].tag == FERMYON_SPIN_2_0_0_REDIS_REDIS_RESULT_BINARY &&
                 results.ptr[0].val.binary.len == sizeof kWant - 1 &&
                 memcmp(results.ptr[0].val.binary.ptr, kWant, sizeof kWant - 1) == 0;
  fermyon_spin_2_0_0_redis_list_redis_result_free(&results);
  CF_ENSURE(error, matches);
  return true;
}

void exports_wasi_http_incoming_handler_handle(
    exports_wasi_http_incoming_handler_own_incoming_request_t request,
    exports_wasi_http_incoming_handler_own_response_outparam_t response_out) {
  char* address = cf_get_header(wasi_http_types_borrow_incoming_request(request), "REDIS_ADDRESS");
  wasi_http_types_incoming_request_drop_own(request);
  if (address == NULL) {
    cf_respond(response_out, 400, "missing header: REDIS_ADDRESS");
    return;
  }
  cf_text_t error = {0};
  outbound_redis_string_t addr = cf_str(address);
  fermyon_spin_2_0_0_redis_own_connection_t conn;
  redis_error_t e;
  if (fermyon_spin_2_0_0_redis_static_connection_open(&addr, &conn, &e)) {
    run(fermyon_spin_2_0_0_redis_borrow_connection(conn), &error);
    fermyon_spin_2_0_0_redis_connection_drop_own(conn);
  } else {
    describe(&error, &e);
  }
  free(address);
  cf_handle_result(response_out, &error);
  free(error.data);
}
