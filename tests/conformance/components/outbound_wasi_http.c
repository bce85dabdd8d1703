// outbound-wasi-http-v0.2.0: the conformance suite's component of that name, in C. POSTs
// "Hello, world!" (Content-Length: 13) through wasi:http/outgoing-handler@0.2.0 to the URL in the
// request's `url` header (path only, no query) and answers with the response it gets: same status,
// same headers, the body streamed across. 400 "missing header: url" without a usable url; 500
// "outgoing-handler/handle: <error>" or "incoming-response#get: <error>" when the call fails, the
// error-code spelled as Rust's Debug does (e.g. "ErrorCode::HttpRequestDenied").
#include "outbound_wasi_http.h"

#define CF_STRING outbound_wasi_http_string_t
#define CF_BYTES outbound_wasi_http_list_u8_t
#define CF_STRING_SET outbound_wasi_http_string_set
#include "conformance_util.h"

// error-code case names, in WIT order.
static const char* const kCodes[] = {
    "DnsTimeout",
    "DnsError",
    "DestinationNotFound",
    "DestinationUnavailable",
    "DestinationIpProhibited",
    "DestinationIpUnroutable",
    "ConnectionRefused",
    "ConnectionTerminated",
    "ConnectionTimeout",
    "ConnectionReadTimeout",
    "ConnectionWriteTimeout",
    "ConnectionLimitReached",
    "TlsProtocolError",
    "TlsCertificateError",
    "TlsAlertReceived",
    "HttpRequestDenied",
    "HttpRequestLengthRequired",
    "HttpRequestBodySize",
    "HttpRequestMethodInvalid",
    "HttpRequestUriInvalid",
    "HttpRequestUriTooLong",
    "HttpRequestHeaderSectionSize",
    "HttpRequestHeaderSize",
    "HttpRequestTrailerSectionSize",
    "HttpRequestTrailerSize",
    "HttpResponseIncomplete",
    "HttpResponseHeaderSectionSize",
    "HttpResponseHeaderSize",
    "HttpResponseBodySize",
    "HttpResponseTrailerSectionSize",
    "HttpResponseTrailerSize",
    "HttpResponseTransferCoding",
    "HttpResponseContentCoding",
    "HttpResponseTimeout",
    "HttpUpgradeFailed",
    "HttpProtocolError",
    "LoopDetected",
    "ConfigurationError",
    "InternalError",
};

// ErrorCode as Rust's Debug prints it; payloads are spelled out for internal-error only.
static void describe(cf_text_t* out, wasi_http_types_error_code_t* e) {
  const char* name = e->tag < sizeof kCodes / sizeof kCodes[0] ? kCodes[e->tag] : "?";
  cf_appendf(out, "ErrorCode::%s", name);
  if (e->tag == WASI_HTTP_TYPES_ERROR_CODE_INTERNAL_ERROR) {
    if (e->val.internal_error.is_some) {
      cf_appendf(out, "(Some(");
      cf_append_debug_str(out, e->val.internal_error.val.ptr, e->val.internal_error.val.len);
      cf_appendf(out, "))");
    } else {
      cf_appendf(out, "(None)");
    }
  }
  wasi_http_types_error_code_free(e);
}

static void fail(wasi_http_types_own_response_outparam_t out, const char* where,
                 wasi_http_types_error_code_t* e) {
  cf_text_t text = {0};
  cf_appendf(&text, "%s: ", where);
  describe(&text, e);
  cf_set_response(out, cf_response(500, text.data, text.len));
  free(text.data);
}

typedef struct {
  char scheme[16];
  char authority[256];
  char path[1024];
} url_t;

// scheme://authority[/path][?query][#fragment]; the path defaults to "/".
static bool parse_url(const char* s, url_t* u) {
  const char* sep = strstr(s, "://");
  if (sep == NULL || sep == s || (size_t)(sep - s) >= sizeof u->scheme) return false;
  memcpy(u->scheme, s, (size_t)(sep - s));
  u->scheme[sep - s] = '\0';
  const char* a = sep + 3;
  size_t alen = strcspn(a, "/?#");
  if (alen == 0 || alen >= sizeof u->authority) return false;
  memcpy(u->authority, a, alen);
  u->authority[alen] = '\0';
  const char* p = a + alen;
  size_t plen = *p == '/' ? strcspn(p, "?#") : 0;
  if (plen >= sizeof u->path) return false;
  if (plen == 0) {
    strcpy(u->path, "/");
  } else {
    memcpy(u->path, p, plen);
    u->path[plen] = '\0';
  }
  return true;
}

static wasi_http_types_own_outgoing_request_t make_request(const url_t* u) {
  wasi_http_types_own_fields_t headers = wasi_http_types_constructor_fields();
  wasi_http_types_field_key_t name = cf_str("Content-Length");
  wasi_http_types_field_value_t value = {(uint8_t*)"13", 2};
  wasi_http_types_header_error_t herr;
  wasi_http_types_method_fields_append(wasi_http_types_borrow_fields(headers), &name, &value,
                                       &herr);
  wasi_http_types_own_outgoing_request_t req =
      wasi_http_types_constructor_outgoing_request(headers);
  wasi_http_types_borrow_outgoing_request_t r = wasi_http_types_borrow_outgoing_request(req);
  wasi_http_types_method_t method = {.tag = WASI_HTTP_TYPES_METHOD_POST};
  wasi_http_types_method_outgoing_request_set_method(r, &method);
  outbound_wasi_http_string_t path = cf_str(u->path);
  wasi_http_types_method_outgoing_request_set_path_with_query(r, &path);
  wasi_http_types_scheme_t scheme;
  if (strcmp(u->scheme, "http") == 0) {
    scheme.tag = WASI_HTTP_TYPES_SCHEME_HTTP;
  } else if (strcmp(u->scheme, "https") == 0) {
    scheme.tag = WASI_HTTP_TYPES_SCHEME_HTTPS;
  } else {
    scheme.tag = WASI_HTTP_TYPES_SCHEME_OTHER;
    scheme.val.other = cf_str(u->scheme);
  }
  wasi_http_types_method_outgoing_request_set_scheme(r, &scheme);
  outbound_wasi_http_string_t authority = cf_str(u->authority);
  wasi_http_types_method_outgoing_request_set_authority(r, &authority);

  wasi_http_types_own_outgoing_body_t body;
  wasi_http_types_method_outgoing_request_body(r, &body);
  cf_write_outgoing_body(body, (const uint8_t*)"Hello, world!", 13);
  return req;
}

void exports_wasi_http_incoming_handler_handle(
    exports_wasi_http_incoming_handler_own_incoming_request_t request,
    exports_wasi_http_incoming_handler_own_response_outparam_t out) {
  char* text = cf_get_header(wasi_http_types_borrow_incoming_request(request), "url");
  wasi_http_types_incoming_request_drop_own(request);
  url_t url;
  bool parsed = text != NULL && parse_url(text, &url);
  free(text);
  if (!parsed) {
    cf_respond(out, 400, "missing header: url");
    return;
  }

  wasi_http_types_own_future_incoming_response_t future;
  wasi_http_types_error_code_t err;
  if (!wasi_http_outgoing_handler_handle(make_request(&url), NULL, &future, &err)) {
    fail(out, "outgoing-handler/handle", &err);
    return;
  }
  wasi_http_types_borrow_future_incoming_response_t f =
      wasi_http_types_borrow_future_incoming_response(future);
  wasi_http_types_result_result_own_incoming_response_error_code_void_t got;
  while (!wasi_http_types_method_future_incoming_response_get(f, &got)) {
    wasi_io_poll_own_pollable_t p = wasi_http_types_method_future_incoming_response_subscribe(f);
    wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(p));
    wasi_io_poll_pollable_drop_own(p);
  }
  wasi_http_types_future_incoming_response_drop_own(future);
  if (got.is_err) abort();  // the response was already taken: unreachable (Rust's unwrap)
  if (got.val.ok.is_err) {
    fail(out, "incoming-response#get", &got.val.ok.val.err);
    return;
  }
  wasi_http_types_own_incoming_response_t response = got.val.ok.val.ok;
  wasi_http_types_borrow_incoming_response_t resp =
      wasi_http_types_borrow_incoming_response(response);
  wasi_http_types_own_incoming_body_t incoming_body;
  if (!wasi_http_types_method_incoming_response_consume(resp, &incoming_body)) abort();
  wasi_io_streams_own_input_stream_t incoming_stream;
  if (!wasi_http_types_method_incoming_body_stream(
          wasi_http_types_borrow_incoming_body(incoming_body), &incoming_stream))
    abort();
  uint16_t status = wasi_http_types_method_incoming_response_status(resp);

  // The outgoing response: the incoming one's headers and status, its body streamed across.
  wasi_http_types_own_headers_t in_headers = wasi_http_types_method_incoming_response_headers(resp);
  wasi_http_types_own_fields_t headers =
      wasi_http_types_method_fields_clone(wasi_http_types_borrow_fields(in_headers));
  wasi_http_types_fields_drop_own(in_headers);
  wasi_http_types_own_outgoing_response_t outgoing =
      wasi_http_types_constructor_outgoing_response(headers);
  wasi_http_types_borrow_outgoing_response_t o = wasi_http_types_borrow_outgoing_response(outgoing);
  wasi_http_types_method_outgoing_response_set_status_code(o, status);
  wasi_http_types_own_outgoing_body_t outgoing_body;
  if (!wasi_http_types_method_outgoing_response_body(o, &outgoing_body)) abort();
  wasi_io_streams_own_output_stream_t outgoing_stream;
  if (!wasi_http_types_method_outgoing_body_write(
          wasi_http_types_borrow_outgoing_body(outgoing_body), &outgoing_stream))
    abort();
  cf_set_response(out, outgoing);

  for (;;) {
    outbound_wasi_http_list_u8_t buffer;
    wasi_io_streams_stream_error_t se;
    if (!wasi_io_streams_method_input_stream_blocking_read(
            wasi_io_streams_borrow_input_stream(incoming_stream), 1024, &buffer, &se)) {
      if (se.tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED) break;
      abort();  // Rust panics with the error's debug string
    }
    if (!cf_write_all(wasi_io_streams_borrow_output_stream(outgoing_stream), buffer.ptr,
                      buffer.len))
      abort();
    outbound_wasi_http_list_u8_free(&buffer);
  }
  wasi_io_streams_output_stream_drop_own(outgoing_stream);
  wasi_http_types_error_code_t finish_err;
  if (!wasi_http_types_static_outgoing_body_finish(outgoing_body, NULL, &finish_err)) abort();
  wasi_io_streams_input_stream_drop_own(incoming_stream);
  wasi_http_types_incoming_body_drop_own(incoming_body);
  wasi_http_types_incoming_response_drop_own(response);
}
