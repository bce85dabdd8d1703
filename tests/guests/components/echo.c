// echo: wasi:http/incoming-handler@0.2.3 streaming the request body back (200,
// application/octet-stream), 64 KiB at a time, without buffering the whole body.
#include "guest_util.h"

void exports_wasi_http_incoming_handler_handle(wasi_http_types_own_incoming_request_t request,
                                               wasi_http_types_own_response_outparam_t out) {
  wasi_http_types_own_incoming_body_t in_body;
  bool have_body = wasi_http_types_method_incoming_request_consume(
      wasi_http_types_borrow_incoming_request(request), &in_body);
  wasi_io_streams_own_output_stream_t stream;
  wasi_http_types_own_outgoing_body_t body =
      lepton_start_response(out, 200, "application/octet-stream", &stream);
  if (have_body) {
    wasi_io_streams_own_input_stream_t in;
    if (wasi_http_types_method_incoming_body_stream(wasi_http_types_borrow_incoming_body(in_body), &in)) {
      for (;;) {
        bytes_t chunk;
        wasi_io_streams_stream_error_t err;
        if (!wasi_io_streams_method_input_stream_blocking_read(
                wasi_io_streams_borrow_input_stream(in), 65536, &chunk, &err)) {
          if (err.tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED)
            wasi_io_error_error_drop_own(err.val.last_operation_failed);
          break;  // closed: end of body
        }
        bool ok = lepton_write_all(wasi_io_streams_borrow_output_stream(stream), chunk.ptr, chunk.len);
        http_handler_list_u8_free(&chunk);
        if (!ok) break;
      }
      wasi_io_streams_input_stream_drop_own(in);
    }
    wasi_http_types_future_trailers_drop_own(wasi_http_types_static_incoming_body_finish(in_body));
  }
  wasi_http_types_incoming_request_drop_own(request);
  lepton_finish_body(body, stream);
}
