// outbound-mqtt: the conformance suite's outbound-mqtt component, in C (pending: built once
// lepton serves fermyon:spin/mqtt@2.0.0). Opens a connection to the request's MQTT_ADDRESS with
// MQTT_USERNAME / MQTT_PASSWORD (keep-alive 30 s) and publishes "Eureka!" to telemetry-topic at
// least once. 200 with no body on success; 500 "no <NAME> header" without a header; else 500 with
// the error as Rust's Debug spells it, e.g.
// Error::ConnectionFailed("address mqtt://localhost:1883?client_id=spintest is not permitted").
#include "outbound_mqtt.h"

#define CF_STRING outbound_mqtt_string_t
#define CF_BYTES outbound_mqtt_list_u8_t
#define CF_STRING_SET outbound_mqtt_string_set
#include "conformance_util.h"

typedef fermyon_spin_2_0_0_mqtt_error_t mqtt_error_t;

static void describe(cf_text_t* out, mqtt_error_t* e) {
  switch (e->tag) {
    case FERMYON_SPIN_2_0_0_MQTT_ERROR_INVALID_ADDRESS:
      cf_appendf(out, "Error::InvalidAddress");
      break;
    case FERMYON_SPIN_2_0_0_MQTT_ERROR_TOO_MANY_CONNECTIONS:
      cf_appendf(out, "Error::TooManyConnections");
      break;
    case FERMYON_SPIN_2_0_0_MQTT_ERROR_CONNECTION_FAILED:
      cf_appendf(out, "Error::ConnectionFailed(");
      cf_append_debug_str(out, e->val.connection_failed.ptr, e->val.connection_failed.len);
      cf_appendf(out, ")");
      break;
    default:
      cf_appendf(out, "Error::Other(");
      cf_append_debug_str(out, e->val.other.ptr, e->val.other.len);
      cf_appendf(out, ")");
  }
  fermyon_spin_2_0_0_mqtt_error_free(e);
}

static bool handle(wasi_http_types_borrow_incoming_request_t request, cf_text_t* error) {
  static const char* const kNames[] = {"MQTT_ADDRESS", "MQTT_USERNAME", "MQTT_PASSWORD"};
  char* values[3] = {NULL, NULL, NULL};
  bool ok = true;
  for (int i = 0; ok && i < 3; i++) {
    values[i] = cf_get_header(request, kNames[i]);
    if (values[i] == NULL) {
      cf_appendf(error, "no %s header", kNames[i]);
      ok = false;
    }
  }
  if (ok) {
    outbound_mqtt_string_t address = cf_str(values[0]);
    outbound_mqtt_string_t username = cf_str(values[1]);
    outbound_mqtt_string_t password = cf_str(values[2]);
    fermyon_spin_2_0_0_mqtt_own_connection_t conn;
    mqtt_error_t e;
    if (!fermyon_spin_2_0_0_mqtt_static_connection_open(&address, &username, &password, 30, &conn,
                                                        &e)) {
      describe(error, &e);
      ok = false;
    } else {
      outbound_mqtt_string_t topic = cf_str("telemetry-topic");
      fermyon_spin_2_0_0_mqtt_payload_t payload = {(uint8_t*)"Eureka!", 7};
      if (!fermyon_spin_2_0_0_mqtt_method_connection_publish(
              fermyon_spin_2_0_0_mqtt_borrow_connection(conn), &topic, &payload,
              FERMYON_SPIN_2_0_0_MQTT_QOS_AT_LEAST_ONCE, &e)) {
        describe(error, &e);
        ok = false;
      }
      fermyon_spin_2_0_0_mqtt_connection_drop_own(conn);
    }
  }
  for (int i = 0; i < 3; i++) free(values[i]);
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
