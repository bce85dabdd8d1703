// greeter: exports lepton:guests/greeter (world greeter-provider). The test build composes it
// with greeted.c into one component (greeted-composed), so its functions are called by another
// component, not by the host.
#include <stdlib.h>
#include <string.h>

#include "greeter_provider.h"

struct exports_lepton_guests_greeter_tally_t {
  uint32_t total;
};

void exports_lepton_guests_greeter_greet(greeter_provider_string_t* name,
                                         greeter_provider_string_t* ret) {
  static const char prefix[] = "Hello, ";
  size_t len = sizeof prefix - 1 + name->len + 1;
  uint8_t* out = malloc(len);
  memcpy(out, prefix, sizeof prefix - 1);
  memcpy(out + sizeof prefix - 1, name->ptr, name->len);
  out[len - 1] = '!';
  greeter_provider_string_free(name);
  ret->ptr = out;
  ret->len = len;
}

exports_lepton_guests_greeter_own_tally_t exports_lepton_guests_greeter_constructor_tally(void) {
  exports_lepton_guests_greeter_tally_t* t = calloc(1, sizeof *t);
  return exports_lepton_guests_greeter_tally_new(t);
}

uint32_t exports_lepton_guests_greeter_method_tally_add(
    exports_lepton_guests_greeter_borrow_tally_t self, uint32_t n) {
  self->total += n;
  return self->total;
}

void exports_lepton_guests_greeter_tally_destructor(exports_lepton_guests_greeter_tally_t* rep) {
  free(rep);
}
