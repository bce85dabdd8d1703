// variables: the conformance suite's variables component, in C. Over
// fermyon:spin/variables@2.0.0: "variable" is "value", "non_existent" is undefined, and
// "invalid-name", "invalid!name", "4invalidname" are invalid names. 200 with no body when all
// hold, else 500 naming the failed check.
#include "variables.h"

#define CF_STRING variables_string_t
#define CF_BYTES variables_list_u8_t
#define CF_STRING_SET variables_string_set
#include "conformance_util.h"

// get(name) succeeds with `value` (want_tag < 0) or fails with error case want_tag.
static bool get_is(const char* name, int want_tag, const char* value) {
  variables_string_t n = cf_str(name);
  variables_string_t got;
  fermyon_spin_2_0_0_variables_error_t e;
  if (fermyon_spin_2_0_0_variables_get(&n, &got, &e)) {
    bool ok = want_tag < 0 && cf_str_eq(&got, value);
    variables_string_free(&got);
    return ok;
  }
  bool ok = e.tag == want_tag;
  fermyon_spin_2_0_0_variables_error_free(&e);
  return ok;
}

static bool handle(cf_text_t* error) {
  CF_ENSURE(error, get_is("variable", -1, "value"));
  CF_ENSURE(error, get_is("non_existent", FERMYON_SPIN_2_0_0_VARIABLES_ERROR_UNDEFINED, NULL));
  CF_ENSURE(error, get_is("invalid-name", FERMYON_SPIN_2_0_0_VARIABLES_ERROR_INVALID_NAME, NULL));
  CF_ENSURE(error, get_is("invalid!name", FERMYON_SPIN_2_0_0_VARIABLES_ERROR_INVALID_NAME, NULL));
  CF_ENSURE(error, get_is("4invalidname", FERMYON_SPIN_2_0_0_VARIABLES_ERROR_INVALID_NAME, NULL));
  return true;
}

void exports_wasi_http_incoming_handler_handle(
    exports_wasi_http_incoming_handler_own_incoming_request_t request,
    exports_wasi_http_incoming_handler_own_response_outparam_t response_out) {
  cf_text_t error = {0};
  handle(&error);
  wasi_http_types_incoming_request_drop_own(request);
  cf_handle_result(response_out, &error);
  free(error.data);
}
