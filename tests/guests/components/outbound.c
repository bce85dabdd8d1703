// outbound: wasi:http/incoming-handler@0.2.3 that GETs the URL given as ?url=<http[s]://host[:port]/path>
// or ?url=/path (no scheme or authority: a request to the app itself)
// (not percent-decoded) through wasi:http/outgoing-handler and answers 200 "status <code>".
// A missing/invalid url answers 400; an outgoing error answers 502 "error: <error-code tag>"
// (e.g. tag 15 = HTTP-request-denied, the error-code case for a host not allowed).
#include <stdio.h>
#include <stdlib.h>

#include "guest_util.h"

static void respond_text(wasi_http_types_own_response_outparam_t out, uint16_t status, const char *text) {
  lepton_respond(out, status, "text/plain", text, strlen(text));
}

// Finds the value of `url=` in a path-with-query; returns NULL if absent.
static const char *find_url(const char *pq) {
  const char *q = strchr(pq, '?');
  for (const char *p = q; p; p = strchr(p + 1, '&'))
    if (strncmp(p + 1, "url=", 4) == 0) return p + 5;
  return NULL;
}

void exports_wasi_http_incoming_handler_handle(wasi_http_types_own_incoming_request_t request,
                                               wasi_http_types_own_response_outparam_t out) {
  char pq[2048] = "";
  str_t s;
  if (wasi_http_types_method_incoming_request_path_with_query(
          wasi_http_types_borrow_incoming_request(request), &s)) {
    size_t n = s.len < sizeof pq - 1 ? s.len : sizeof pq - 1;
    memcpy(pq, s.ptr, n);
    pq[n] = 0;
    http_handler_string_free(&s);
  }
  wasi_http_types_incoming_request_drop_own(request);

  const char *url = find_url(pq);
  char buf[2048];
  if (!url) return respond_text(out, 400, "missing ?url=");
  snprintf(buf, sizeof buf, "%.*s", (int)strcspn(url, "&"), url);

  wasi_http_types_scheme_t scheme;
  char *rest;
  bool relative = buf[0] == '/';  // a path alone: a request to this app itself ("self")
  if (relative) {
    rest = buf;
  } else if (strncmp(buf, "http://", 7) == 0) {
    scheme.tag = WASI_HTTP_TYPES_SCHEME_HTTP;
    rest = buf + 7;
  } else if (strncmp(buf, "https://", 8) == 0) {
    scheme.tag = WASI_HTTP_TYPES_SCHEME_HTTPS;
    rest = buf + 8;
  } else {
    return respond_text(out, 400, "url must start with http:// or https://");
  }
  char *slash = relative ? rest : strchr(rest, '/');
  char authority[512], path[1536] = "/";
  snprintf(authority, sizeof authority, "%.*s", slash ? (int)(slash - rest) : (int)strlen(rest), rest);
  if (slash) snprintf(path, sizeof path, "%s", slash);

  wasi_http_types_own_outgoing_request_t req =
      wasi_http_types_constructor_outgoing_request(wasi_http_types_constructor_fields());
  wasi_http_types_borrow_outgoing_request_t breq = wasi_http_types_borrow_outgoing_request(req);
  str_t a, p;
  http_handler_string_set(&a, authority);
  http_handler_string_set(&p, path);
  if (!relative) {
    wasi_http_types_method_outgoing_request_set_scheme(breq, &scheme);
    wasi_http_types_method_outgoing_request_set_authority(breq, &a);
  }
  wasi_http_types_method_outgoing_request_set_path_with_query(breq, &p);

  wasi_http_types_own_future_incoming_response_t future;
  wasi_http_types_error_code_t err;
  if (!wasi_http_outgoing_handler_handle(req, NULL, &future, &err)) {
    snprintf(buf, sizeof buf, "error: %u", err.tag);
    return respond_text(out, 502, buf);
  }
  wasi_http_types_borrow_future_incoming_response_t bf = wasi_http_types_borrow_future_incoming_response(future);
  wasi_http_types_result_result_own_incoming_response_error_code_void_t got;
  while (!wasi_http_types_method_future_incoming_response_get(bf, &got)) {
    wasi_io_poll_own_pollable_t pollable = wasi_http_types_method_future_incoming_response_subscribe(bf);
    wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(pollable));
    wasi_io_poll_pollable_drop_own(pollable);
  }
  wasi_http_types_future_incoming_response_drop_own(future);
  if (got.is_err) return respond_text(out, 502, "error: response already taken");
  if (got.val.ok.is_err) {
    snprintf(buf, sizeof buf, "error: %u", got.val.ok.val.err.tag);
    return respond_text(out, 502, buf);
  }
  wasi_http_types_own_incoming_response_t resp = got.val.ok.val.ok;
  unsigned status = wasi_http_types_method_incoming_response_status(wasi_http_types_borrow_incoming_response(resp));
  wasi_http_types_incoming_response_drop_own(resp);
  snprintf(buf, sizeof buf, "status %u", status);
  respond_text(out, 200, buf);
}
