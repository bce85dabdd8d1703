// {{project-name}}: an HTTP handler in C. Build: `lepton build` (or the command in spin.toml).
#include "lepton_http.h"

int main(void) {
  lepton_request req = lepton_read_request();
  return lepton_respondf(200, "text/plain", "Hello from {{project-name}}! (%s %s)\n", req.method,
                         req.path[0] ? req.path : "/");
}
