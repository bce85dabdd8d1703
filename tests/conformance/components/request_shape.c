// request-shape: the conformance suite's request-shape component, in C. Checks what the host hands
// a wasi:http@0.2.0 handler for GET http://example.com/base/path/end/rest?key=value on the route
// "/base/:path_segment/:path_end/...": method GET, authority example.com, path with query, an
// http(s) scheme, exactly one of each Spin header with the expected value, a well-formed
// spin-client-addr if present, and no other spin-* / spin_* header. 200 with no body when all
// hold, else 500 naming the first difference.
#include "request_shape.h"

#include <ctype.h>

#define CF_STRING request_shape_string_t
#define CF_BYTES request_shape_list_u8_t
#define CF_STRING_SET request_shape_string_set
#include "conformance_util.h"

typedef wasi_http_types_list_tuple2_field_key_field_value_t entries_t;

static bool check_method(wasi_http_types_borrow_incoming_request_t req, cf_text_t* error) {
  wasi_http_types_method_t method;
  wasi_http_types_method_incoming_request_method(req, &method);
  if (method.tag != WASI_HTTP_TYPES_METHOD_GET) {
    cf_appendf(error, "Method was expected to be 'Get' but was case %u", method.tag);
    return false;
  }
  return true;
}

static bool check_url(wasi_http_types_borrow_incoming_request_t req, cf_text_t* error) {
  request_shape_string_t s;
  if (!wasi_http_types_method_incoming_request_authority(req, &s)) {
    cf_appendf(error, "incoming request has no authority");
    return false;
  }
  bool ok = cf_str_eq(&s, "example.com");
  if (!ok) cf_appendf(error, "authority was '%.*s', expected 'example.com'", (int)s.len, s.ptr);
  request_shape_string_free(&s);
  if (!ok) return false;

  static const char kExpected[] = "/base/path/end/rest?key=value";
  if (!wasi_http_types_method_incoming_request_path_with_query(req, &s)) {
    cf_appendf(error, "URL was expected to be '%s' but was 'None'", kExpected);
    return false;
  }
  ok = cf_str_eq(&s, kExpected);
  if (!ok)
    cf_appendf(error, "URL was expected to be '%s' but was '%.*s'", kExpected, (int)s.len, s.ptr);
  request_shape_string_free(&s);
  if (!ok) return false;

  wasi_http_types_scheme_t scheme;
  if (!wasi_http_types_method_incoming_request_scheme(req, &scheme) ||
      (scheme.tag != WASI_HTTP_TYPES_SCHEME_HTTP && scheme.tag != WASI_HTTP_TYPES_SCHEME_HTTPS)) {
    cf_appendf(error, "Scheme was expected to be HTTP or HTTPS");
    return false;
  }
  return true;
}

static bool name_is(const request_shape_string_t* name, const char* want) {
  if (name->len != strlen(want)) return false;
  for (size_t i = 0; i < name->len; i++)
    if (tolower(name->ptr[i]) != want[i]) return false;
  return true;
}

// Zero or one header `name` (its index in *at, or -1); false with a message for more.
static bool find_one(const entries_t* h, const bool* taken, const char* name, long* at,
                     cf_text_t* error) {
  *at = -1;
  size_t count = 0;
  for (size_t i = 0; i < h->len; i++) {
    if (!taken[i] && name_is(&h->ptr[i].f0, name)) {
      if (*at < 0) *at = (long)i;
      count++;
    }
  }
  if (count > 1) {
    cf_appendf(error, "expected at most one header '%s' but found %zu", name, count);
    return false;
  }
  return true;
}

static bool value_is(const wasi_http_types_field_value_t* v, const char* want) {
  return v->len == strlen(want) && memcmp(v->ptr, want, v->len) == 0;
}

// "a.b.c.d:port" or "[v6]:port", as std::net::SocketAddr parses.
static bool is_socket_addr(const wasi_http_types_field_value_t* v) {
  char text[128];
  if (v->len == 0 || v->len >= sizeof text) return false;
  memcpy(text, v->ptr, v->len);
  text[v->len] = '\0';
  char* colon = strrchr(text, ':');
  if (colon == NULL || colon[1] == '\0') return false;
  char* end;
  long port = strtol(colon + 1, &end, 10);
  if (*end != '\0' || port < 0 || port > 65535) return false;
  *colon = '\0';
  if (text[0] == '[') return colon[-1] == ']' && strchr(text, ':') != NULL;
  int parts = 0;
  for (char* p = text; *p;) {
    long octet = strtol(p, &end, 10);
    if (end == p || octet < 0 || octet > 255) return false;
    parts++;
    if (*end == '.') {
      p = end + 1;
    } else if (*end == '\0') {
      p = end;
    } else {
      return false;
    }
  }
  return parts == 4;
}

static bool check_headers(wasi_http_types_borrow_incoming_request_t req, cf_text_t* error) {
  static const struct {
    const char* name;
    const char* values[2];
  } kExpected[] = {
      {"spin-raw-component-route", {"/base/:path_segment/:path_end/...", NULL}},
      {"spin-full-url",
       {"http://example.com/base/path/end/rest?key=value",
        "https://example.com/base/path/end/rest?key=value"}},
      {"spin-path-info", {"/rest", NULL}},
      {"spin-base-path", {"/", NULL}},
      {"spin-component-route", {"/base/:path_segment/:path_end", NULL}},
      {"spin-path-match-path-segment", {"path", NULL}},
      {"spin-path-match-path-end", {"end", NULL}},
      {"spin-matched-route", {"/base/:path_segment/:path_end/...", NULL}},
  };
  wasi_http_types_own_headers_t headers = wasi_http_types_method_incoming_request_headers(req);
  entries_t h;
  wasi_http_types_method_fields_entries(wasi_http_types_borrow_fields(headers), &h);
  bool* taken = calloc(h.len + 1, sizeof(bool));
  bool ok = true;
  for (size_t e = 0; ok && e < sizeof kExpected / sizeof kExpected[0]; e++) {
    long at;
    ok = find_one(&h, taken, kExpected[e].name, &at, error);
    if (!ok) break;
    if (at < 0) {
      cf_appendf(error, "expected exactly one header '%s' but found none", kExpected[e].name);
      ok = false;
      break;
    }
    taken[at] = true;
    const wasi_http_types_field_value_t* v = &h.ptr[at].f1;
    bool matched = false;
    for (int i = 0; i < 2 && kExpected[e].values[i]; i++)
      matched = matched || value_is(v, kExpected[e].values[i]);
    if (!matched) {
      cf_appendf(error, "Header %s value was expected to be one of [\"%s\"] but was '%.*s'",
                 kExpected[e].name, kExpected[e].values[0], (int)v->len, v->ptr);
      ok = false;
    }
  }
  if (ok) {
    long at;
    ok = find_one(&h, taken, "spin-client-addr", &at, error);
    if (ok && at >= 0) {
      taken[at] = true;
      if (!is_socket_addr(&h.ptr[at].f1)) {
        cf_appendf(error, "spin-client-addr header is not a valid SocketAddr");
        ok = false;
      }
    }
  }
  // No other spin-* / spin_* header.
  for (size_t i = 0; ok && i < h.len; i++) {
    const request_shape_string_t* n = &h.ptr[i].f0;
    if (taken[i] || n->len < 5) continue;
    char prefix[6];
    for (int k = 0; k < 5; k++) prefix[k] = (char)tolower(n->ptr[k]);
    prefix[5] = '\0';
    if (strcmp(prefix, "spin-") == 0 || strcmp(prefix, "spin_") == 0) {
      cf_appendf(error, "unexpected special `spin-*` header '%.*s' found in request", (int)n->len,
                 n->ptr);
      ok = false;
    }
  }
  free(taken);
  wasi_http_types_list_tuple2_field_key_field_value_free(&h);
  wasi_http_types_fields_drop_own(headers);
  return ok;
}

void exports_wasi_http_incoming_handler_handle(
    exports_wasi_http_incoming_handler_own_incoming_request_t request,
    exports_wasi_http_incoming_handler_own_response_outparam_t response_out) {
  cf_text_t error = {0};
  wasi_http_types_borrow_incoming_request_t req = wasi_http_types_borrow_incoming_request(request);
  if (check_method(req, &error) && check_url(req, &error)) check_headers(req, &error);
  wasi_http_types_incoming_request_drop_own(request);
  cf_handle_result(response_out, &error);
  free(error.data);
}
