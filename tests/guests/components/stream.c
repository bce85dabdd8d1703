// stream: wasi:http/incoming-handler@0.2.3 answering 200 with ?mb=<N> MiB (default 1) of a
// repeating pattern ('a'..'z'), written 64 KiB at a time: proves a large response is streamed
// to the client as the guest writes it, never held whole by the host.
#include <stdlib.h>
#include <string.h>

#include "guest_util.h"

void exports_wasi_http_incoming_handler_handle(wasi_http_types_own_incoming_request_t request,
                                               wasi_http_types_own_response_outparam_t out) {
  char pq[256] = "";
  str_t s;
  if (wasi_http_types_method_incoming_request_path_with_query(
          wasi_http_types_borrow_incoming_request(request), &s)) {
    size_t n = s.len < sizeof pq - 1 ? s.len : sizeof pq - 1;
    memcpy(pq, s.ptr, n);
    pq[n] = 0;
    http_handler_string_free(&s);
  }
  wasi_http_types_incoming_request_drop_own(request);
  const char *mb = strstr(pq, "mb=");
  long count = mb ? strtol(mb + 3, NULL, 10) : 1;
  static uint8_t chunk[65536];
  for (size_t i = 0; i < sizeof chunk; ++i) chunk[i] = (uint8_t)('a' + i % 26);
  wasi_io_streams_own_output_stream_t stream;
  wasi_http_types_own_outgoing_body_t body =
      lepton_start_response(out, 200, "application/octet-stream", &stream);
  for (long i = 0; i < count * 16; ++i)
    if (!lepton_write_all(wasi_io_streams_borrow_output_stream(stream), chunk, sizeof chunk)) break;
  lepton_finish_body(body, stream);
}
