// {{project-name}}: an HTTP component in C on lepton's C SDK (lepton-sdk/lepton_http.h).
// Build: `lepton build` (the command in spin.toml needs only clang-19 and wasi-libc).
#include "lepton_http.h"

void handle(const lepton_request *req, lepton_response *res) {
  lepton_response_set_header(res, "content-type", "text/plain");
  lepton_response_printf(res, "Hello from {{project-name}}! (%s %s)\n", req->method, req->path);
}
