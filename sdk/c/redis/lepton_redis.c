/* lepton_redis.c: exports fermyon:spin/inbound-redis#handle-message (through the wit-bindgen
 * bindings in redis_handler.{c,h}) and calls the user's handle_message(). */
#include "lepton_redis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_handler.h"

bool exports_fermyon_spin_inbound_redis_handle_message(
    exports_fermyon_spin_inbound_redis_payload_t *message,
    exports_fermyon_spin_inbound_redis_error_t *err) {
  char *payload = (char *)malloc(message->len + 1);
  if (!payload) abort();
  if (message->len) memcpy(payload, message->ptr, message->len);
  payload[message->len] = '\0';
  size_t len = message->len;
  exports_fermyon_spin_inbound_redis_payload_free(message);
  bool ok = handle_message(payload, len);
  fflush(stdout);
  fflush(stderr);
  free(payload);
  if (!ok) *err = FERMYON_SPIN_REDIS_TYPES_ERROR_ERROR;
  return ok;
}
