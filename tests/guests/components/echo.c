// echo: wasi:http/incoming-handler@0.2.3 streaming the request body back (200,
// application/octet-stream), 64 KiB at a time, without buffering the whole body; the request's
// trailers (of a chunked body) come back as the response's trailers.
#include "guest_util.h"

void exports_wasi_http_incoming_handler_handle(wasi_http_types_own_incoming_request_t request,
                                               wasi_http_types_own_response_outparam_t out) {
  wasi_http_types_own_incoming_body_t in_body;
  bool have_body = wasi_http_types_method_incoming_request_consume(
      wasi_http_types_borrow_incoming_request(request), &in_body);
  wasi_http_types_own_trailers_t trailers;
  bool have_trailers = false;
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
    // The trailers follow the body: wait for them.
    wasi_http_types_own_future_trailers_t future = wasi_http_types_static_incoming_body_finish(in_body);
    wasi_http_types_borrow_future_trailers_t f = wasi_http_types_borrow_future_trailers(future);
    wasi_io_poll_own_pollable_t ready = wasi_http_types_method_future_trailers_subscribe(f);
    wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(ready));
    wasi_io_poll_pollable_drop_own(ready);
    wasi_http_types_result_result_option_own_trailers_error_code_void_t got;
    if (wasi_http_types_method_future_trailers_get(f, &got) && !got.is_err && !got.val.ok.is_err &&
        got.val.ok.val.ok.is_some) {
      trailers = got.val.ok.val.ok.val;
      have_trailers = true;
    }
    wasi_http_types_future_trailers_drop_own(future);
  }
  wasi_http_types_incoming_request_drop_own(request);
  wasi_io_streams_output_stream_drop_own(stream);
  wasi_http_types_error_code_t err;
  wasi_http_types_static_outgoing_body_finish(body, have_trailers ? &trailers : NULL, &err);
}
