// greeted: wasi:http/incoming-handler@0.2.3 that imports lepton:guests/greeter, composed with
// greeter.c into one component by the test build (greeted-composed). GET /<name> answers 200
// "Hello, <name>! (tally <t>)" where the greeter component made the greeting and a tally
// resource it implements summed the name's length three times.
#include <stdio.h>
#include <string.h>

#include "greeted_handler.h"
#define LEPTON_WORLD_STRING greeted_handler_string_t
#define LEPTON_WORLD_BYTES greeted_handler_list_u8_t
#define LEPTON_WORLD_STRING_SET greeted_handler_string_set
#include "guest_util.h"

void exports_wasi_http_incoming_handler_handle(wasi_http_types_own_incoming_request_t request,
                                               wasi_http_types_own_response_outparam_t out) {
  char name[256] = "world";
  str_t s;
  if (wasi_http_types_method_incoming_request_path_with_query(
          wasi_http_types_borrow_incoming_request(request), &s)) {
    if (s.len > 1) {
      size_t n = s.len - 1 < sizeof name - 1 ? s.len - 1 : sizeof name - 1;
      memcpy(name, s.ptr + 1, n);
      name[n] = 0;
    }
    greeted_handler_string_free(&s);
  }
  wasi_http_types_incoming_request_drop_own(request);

  str_t arg, greeting;
  greeted_handler_string_set(&arg, name);
  lepton_guests_greeter_greet(&arg, &greeting);

  lepton_guests_greeter_own_tally_t tally = lepton_guests_greeter_constructor_tally();
  uint32_t total = 0;
  for (int i = 0; i < 3; ++i)
    total = lepton_guests_greeter_method_tally_add(lepton_guests_greeter_borrow_tally(tally),
                                                   (uint32_t)strlen(name));
  lepton_guests_greeter_tally_drop_own(tally);

  char body[512];
  int len = snprintf(body, sizeof body, "%.*s (tally %u)", (int)greeting.len,
                     (const char*)greeting.ptr, total);
  greeted_handler_string_free(&greeting);
  lepton_respond(out, 200, "text/plain", body, (size_t)len);
}
