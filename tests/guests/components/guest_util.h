// Helpers shared by the C wasi:http 0.2 handler guests (hello, echo, outbound, stream, greeted),
// on top of the wit-bindgen c bindings of their world (http-handler unless a guest says otherwise).
#ifndef LEPTON_GUEST_UTIL_H
#define LEPTON_GUEST_UTIL_H

#include <string.h>

// The world's bindings: http_handler.h, unless the guest includes its own world's header first
// and names that world's string and list<u8> types and string setter.
#ifndef LEPTON_WORLD_STRING
#include "http_handler.h"
#define LEPTON_WORLD_STRING http_handler_string_t
#define LEPTON_WORLD_BYTES http_handler_list_u8_t
#define LEPTON_WORLD_STRING_SET http_handler_string_set
#endif

typedef LEPTON_WORLD_STRING str_t;
typedef LEPTON_WORLD_BYTES bytes_t;

// Headers holding one content-type entry.
static inline wasi_http_types_own_fields_t lepton_headers(const char *content_type) {
  wasi_http_types_own_fields_t h = wasi_http_types_constructor_fields();
  wasi_http_types_field_name_t name;
  LEPTON_WORLD_STRING_SET(&name, "content-type");
  wasi_http_types_field_value_t value = {(uint8_t *)content_type, strlen(content_type)};
  wasi_http_types_header_error_t err;
  wasi_http_types_method_fields_append(wasi_http_types_borrow_fields(h), &name, &value, &err);
  return h;
}

// Writes all of data (blocking_write_and_flush takes at most 4096 bytes per call).
static inline bool lepton_write_all(wasi_io_streams_borrow_output_stream_t out, const uint8_t *data,
                                    size_t len) {
  while (len > 0) {
    size_t n = len < 4096 ? len : 4096;
    bytes_t chunk = {(uint8_t *)data, n};
    wasi_io_streams_stream_error_t err;
    if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(out, &chunk, &err)) {
      if (err.tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED)
        wasi_io_error_error_drop_own(err.val.last_operation_failed);
      return false;
    }
    data += n;
    len -= n;
  }
  return true;
}

// Starts a response: sets the outparam and returns the body (its stream in *stream).
static inline wasi_http_types_own_outgoing_body_t lepton_start_response(
    wasi_http_types_own_response_outparam_t out, uint16_t status, const char *content_type,
    wasi_io_streams_own_output_stream_t *stream) {
  wasi_http_types_own_outgoing_response_t resp =
      wasi_http_types_constructor_outgoing_response(lepton_headers(content_type));
  wasi_http_types_borrow_outgoing_response_t b = wasi_http_types_borrow_outgoing_response(resp);
  wasi_http_types_method_outgoing_response_set_status_code(b, status);
  wasi_http_types_own_outgoing_body_t body;
  wasi_http_types_method_outgoing_response_body(b, &body);
  wasi_http_types_method_outgoing_body_write(wasi_http_types_borrow_outgoing_body(body), stream);
  wasi_http_types_result_own_outgoing_response_error_code_t result = {.is_err = false};
  result.val.ok = resp;
  wasi_http_types_static_response_outparam_set(out, &result);
  return body;
}

// Drops the stream and finishes the body (no trailers).
static inline void lepton_finish_body(wasi_http_types_own_outgoing_body_t body,
                                      wasi_io_streams_own_output_stream_t stream) {
  wasi_io_streams_output_stream_drop_own(stream);
  wasi_http_types_error_code_t err;
  wasi_http_types_static_outgoing_body_finish(body, NULL, &err);
}

// A complete response with a fixed body.
static inline void lepton_respond(wasi_http_types_own_response_outparam_t out, uint16_t status,
                                  const char *content_type, const void *data, size_t len) {
  wasi_io_streams_own_output_stream_t stream;
  wasi_http_types_own_outgoing_body_t body = lepton_start_response(out, status, content_type, &stream);
  lepton_write_all(wasi_io_streams_borrow_output_stream(stream), data, len);
  lepton_finish_body(body, stream);
}

#endif
