// stdio: wasi:http handler that writes through wasi-libc's stdio (wasi_snapshot_preview1 fd_write
// in the core module) and reads an environment variable (environ_get): prints "stdio guest out"
// to stdout and "stdio guest err" to stderr, then answers 200 "GREETING=<$GREETING>".
#include <stdio.h>
#include <stdlib.h>

#include "guest_util.h"

void exports_wasi_http_incoming_handler_handle(wasi_http_types_own_incoming_request_t request,
                                               wasi_http_types_own_response_outparam_t out) {
  wasi_http_types_incoming_request_drop_own(request);
  printf("stdio guest out\n");
  fflush(stdout);
  fprintf(stderr, "stdio guest err\n");
  const char* greeting = getenv("GREETING");
  char body[256];
  int n = snprintf(body, sizeof body, "GREETING=%s", greeting ? greeting : "(unset)");
  lepton_respond(out, 200, "text/plain", body, (size_t)n);
}
