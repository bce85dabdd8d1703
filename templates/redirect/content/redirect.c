// Redirects every request to $DESTINATION (set in spin.toml) with status $STATUS (default 302).
#include "lepton_wagi.h"

int main(void) {
  const char *to = getenv("DESTINATION");
  if (!to || !*to) return lepton_respond(500, "text/plain", "DESTINATION is not set\n");
  const char *status = getenv("STATUS");
  return lepton_redirect(status && *status ? atoi(status) : 302, to);
}
