// hello: wasi:http/incoming-handler@0.2.3 answering 200 "Hello from a C component" (text/plain).
#include "guest_util.h"

void exports_wasi_http_incoming_handler_handle(wasi_http_types_own_incoming_request_t request,
                                               wasi_http_types_own_response_outparam_t out) {
  static const char msg[] = "Hello from a C component";
  wasi_http_types_incoming_request_drop_own(request);
  lepton_respond(out, 200, "text/plain", msg, sizeof msg - 1);
}
