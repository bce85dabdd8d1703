// redis-trigger: a Redis trigger handler exporting fermyon:spin/inbound-redis#handle-message.
// Each message is appended (RPUSH, through fermyon:spin/redis@2.0.0) to the list $LOG_KEY on the
// server $REDIS_ADDRESS, so a test sees what arrived and in which order. Two payloads misbehave on
// purpose: "trap" traps (unreachable), "fail" returns err(error) without recording anything, and
// "loop" never returns.
#include <stdlib.h>
#include <string.h>

#include "redis_trigger_handler.h"

static redis_trigger_handler_string_t str(const char *s) {
  return (redis_trigger_handler_string_t){(uint8_t *)s, s ? strlen(s) : 0};
}

static bool is(const exports_fermyon_spin_inbound_redis_payload_t *m, const char *text) {
  return m->len == strlen(text) && memcmp(m->ptr, text, m->len) == 0;
}

bool exports_fermyon_spin_inbound_redis_handle_message(
    exports_fermyon_spin_inbound_redis_payload_t *message,
    exports_fermyon_spin_inbound_redis_error_t *err) {
  if (is(message, "trap")) __builtin_trap();
  if (is(message, "loop"))
    for (volatile int spin = 0;; spin++) {
    }
  bool ok = false;
  const char *address = getenv("REDIS_ADDRESS");
  const char *key = getenv("LOG_KEY");
  if (!is(message, "fail") && address && key) {
    redis_trigger_handler_string_t addr = str(address);
    fermyon_spin_redis_own_connection_t conn;
    fermyon_spin_redis_error_t e;
    if (fermyon_spin_redis_static_connection_open(&addr, &conn, &e)) {
      fermyon_spin_redis_redis_parameter_t args[2];
      args[0].tag = FERMYON_SPIN_REDIS_REDIS_PARAMETER_BINARY;
      args[0].val.binary = (fermyon_spin_redis_payload_t){(uint8_t *)key, strlen(key)};
      args[1].tag = FERMYON_SPIN_REDIS_REDIS_PARAMETER_BINARY;
      args[1].val.binary = (fermyon_spin_redis_payload_t){message->ptr, message->len};
      fermyon_spin_redis_list_redis_parameter_t arguments = {args, 2};
      redis_trigger_handler_string_t command = str("RPUSH");
      fermyon_spin_redis_list_redis_result_t results;
      ok = fermyon_spin_redis_method_connection_execute(fermyon_spin_redis_borrow_connection(conn),
                                                        &command, &arguments, &results, &e);
      if (ok)
        fermyon_spin_redis_list_redis_result_free(&results);
      else
        fermyon_spin_redis_error_free(&e);
      fermyon_spin_redis_connection_drop_own(conn);
    } else {
      fermyon_spin_redis_error_free(&e);
    }
  }
  exports_fermyon_spin_inbound_redis_payload_free(message);
  if (!ok) *err = FERMYON_SPIN_REDIS_TYPES_ERROR_ERROR;
  return ok;
}
