/* lepton_http.c: the wasi:http side of lepton_http.h. It exports
 * wasi:http/incoming-handler@0.2.3#handle (through the wit-bindgen bindings in
 * wasi_http_handler.{c,h}): reads the request (method, path, query, headers, whole body), calls
 * the user's handle(), then sends the buffered response. */
#include "lepton_http.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wasi_http_handler.h"

struct lepton_response {
  int status;
  lepton_header *headers; /* owned copies */
  size_t header_count, header_cap;
  char *body;
  size_t body_len, body_cap;
};

/* ---- small helpers ------------------------------------------------------------------------- */

static void *lepton__alloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) abort(); /* out of memory: trap, the host answers 500 */
  return p;
}

static char *lepton__strndup(const void *data, size_t len) {
  char *s = (char *)lepton__alloc(len + 1);
  if (len) memcpy(s, data, len);
  s[len] = '\0';
  return s;
}

static void lepton__drop_stream_error(wasi_io_streams_stream_error_t *err) {
  if (err->tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED)
    wasi_io_error_error_drop_own(err->val.last_operation_failed);
}

static const char *lepton__method_name(const wasi_http_types_method_t *m) {
  switch (m->tag) {
    case WASI_HTTP_TYPES_METHOD_GET: return "GET";
    case WASI_HTTP_TYPES_METHOD_HEAD: return "HEAD";
    case WASI_HTTP_TYPES_METHOD_POST: return "POST";
    case WASI_HTTP_TYPES_METHOD_PUT: return "PUT";
    case WASI_HTTP_TYPES_METHOD_DELETE: return "DELETE";
    case WASI_HTTP_TYPES_METHOD_CONNECT: return "CONNECT";
    case WASI_HTTP_TYPES_METHOD_OPTIONS: return "OPTIONS";
    case WASI_HTTP_TYPES_METHOD_TRACE: return "TRACE";
    case WASI_HTTP_TYPES_METHOD_PATCH: return "PATCH";
    default: return lepton__strndup(m->val.other.ptr, m->val.other.len);
  }
}

/* ---- the request ---------------------------------------------------------------------------- */

const char *lepton_request_header(const lepton_request *req, const char *name) {
  for (size_t i = 0; i < req->header_count; ++i)
    if (strcasecmp(req->headers[i].name, name) == 0) return req->headers[i].value;
  return NULL;
}

static void lepton__read_request(wasi_http_types_own_incoming_request_t request,
                                 lepton_request *req) {
  wasi_http_types_borrow_incoming_request_t r = wasi_http_types_borrow_incoming_request(request);

  wasi_http_types_method_t method;
  wasi_http_types_method_incoming_request_method(r, &method);
  req->method = lepton__method_name(&method);
  wasi_http_types_method_free(&method);

  wasi_http_handler_string_t pq;
  char *path;
  if (wasi_http_types_method_incoming_request_path_with_query(r, &pq)) {
    path = lepton__strndup(pq.ptr, pq.len);
    wasi_http_handler_string_free(&pq);
  } else {
    path = lepton__strndup("/", 1);
  }
  char *q = strchr(path, '?');
  if (q) *q++ = '\0';
  req->path = path;
  req->query = q ? q : "";

  wasi_http_types_own_headers_t headers = wasi_http_types_method_incoming_request_headers(r);
  wasi_http_types_list_tuple2_field_name_field_value_t entries;
  wasi_http_types_method_fields_entries(wasi_http_types_borrow_fields(headers), &entries);
  lepton_header *hs = (lepton_header *)lepton__alloc(entries.len * sizeof(lepton_header));
  for (size_t i = 0; i < entries.len; ++i) {
    hs[i].name = lepton__strndup(entries.ptr[i].f0.ptr, entries.ptr[i].f0.len);
    hs[i].value = lepton__strndup(entries.ptr[i].f1.ptr, entries.ptr[i].f1.len);
  }
  req->headers = hs;
  req->header_count = entries.len;
  wasi_http_types_list_tuple2_field_name_field_value_free(&entries);
  wasi_http_types_fields_drop_own(headers);

  size_t len = 0, cap = 0;
  char *body = NULL;
  wasi_http_types_own_incoming_body_t in_body;
  if (wasi_http_types_method_incoming_request_consume(r, &in_body)) {
    wasi_io_streams_own_input_stream_t in;
    if (wasi_http_types_method_incoming_body_stream(wasi_http_types_borrow_incoming_body(in_body),
                                                    &in)) {
      for (;;) {
        wasi_http_handler_list_u8_t chunk;
        wasi_io_streams_stream_error_t err;
        if (!wasi_io_streams_method_input_stream_blocking_read(
                wasi_io_streams_borrow_input_stream(in), 65536, &chunk, &err)) {
          lepton__drop_stream_error(&err);
          break; /* closed: the end of the body */
        }
        if (len + chunk.len + 1 > cap) {
          cap = (len + chunk.len + 1) * 2;
          char *bigger = (char *)realloc(body, cap);
          if (!bigger) abort();
          body = bigger;
        }
        if (chunk.len) memcpy(body + len, chunk.ptr, chunk.len);
        len += chunk.len;
        wasi_http_handler_list_u8_free(&chunk);
      }
      wasi_io_streams_input_stream_drop_own(in);
    }
    wasi_http_types_future_trailers_drop_own(wasi_http_types_static_incoming_body_finish(in_body));
  }
  if (!body) body = (char *)lepton__alloc(1);
  body[len] = '\0';
  req->body = body;
  req->body_len = len;
  wasi_http_types_incoming_request_drop_own(request);
}

static void lepton__free_request(lepton_request *req) {
  for (size_t i = 0; i < req->header_count; ++i) {
    free((char *)req->headers[i].name);
    free((char *)req->headers[i].value);
  }
  free((lepton_header *)req->headers);
  free((char *)req->body);
  free((char *)req->path); /* query points into it */
  /* method is a literal unless it was an extension method; leaving that one is harmless. */
}

/* ---- the response --------------------------------------------------------------------------- */

void lepton_response_set_status(lepton_response *res, int status) { res->status = status; }

static bool lepton__valid_name(const char *name) {
  if (!name || !*name) return false;
  for (const char *c = name; *c; ++c)
    if (!isalnum((unsigned char)*c) && !strchr("!#$%&'*+-.^_`|~", *c)) return false;
  return true;
}

static bool lepton__valid_value(const char *value) {
  return value && !strpbrk(value, "\r\n");
}

bool lepton_response_add_header(lepton_response *res, const char *name, const char *value) {
  if (!lepton__valid_name(name) || !lepton__valid_value(value)) return false;
  if (res->header_count == res->header_cap) {
    res->header_cap = res->header_cap ? res->header_cap * 2 : 8;
    lepton_header *bigger =
        (lepton_header *)realloc(res->headers, res->header_cap * sizeof(lepton_header));
    if (!bigger) abort();
    res->headers = bigger;
  }
  res->headers[res->header_count].name = lepton__strndup(name, strlen(name));
  res->headers[res->header_count].value = lepton__strndup(value, strlen(value));
  res->header_count++;
  return true;
}

bool lepton_response_set_header(lepton_response *res, const char *name, const char *value) {
  if (!lepton__valid_name(name) || !lepton__valid_value(value)) return false;
  size_t kept = 0;
  for (size_t i = 0; i < res->header_count; ++i) {
    if (strcasecmp(res->headers[i].name, name) == 0) {
      free((char *)res->headers[i].name);
      free((char *)res->headers[i].value);
    } else {
      res->headers[kept++] = res->headers[i];
    }
  }
  res->header_count = kept;
  return lepton_response_add_header(res, name, value);
}

void lepton_response_write(lepton_response *res, const void *data, size_t len) {
  if (len == 0) return;
  if (res->body_len + len > res->body_cap) {
    res->body_cap = (res->body_len + len) * 2;
    char *bigger = (char *)realloc(res->body, res->body_cap);
    if (!bigger) abort();
    res->body = bigger;
  }
  memcpy(res->body + res->body_len, data, len);
  res->body_len += len;
}

void lepton_response_print(lepton_response *res, const char *text) {
  if (text) lepton_response_write(res, text, strlen(text));
}

void lepton_response_printf(lepton_response *res, const char *format, ...) {
  va_list args;
  va_start(args, format);
  int n = vsnprintf(NULL, 0, format, args);
  va_end(args);
  if (n <= 0) return;
  char *text = (char *)lepton__alloc((size_t)n + 1);
  va_start(args, format);
  vsnprintf(text, (size_t)n + 1, format, args);
  va_end(args);
  lepton_response_write(res, text, (size_t)n);
  free(text);
}

/* Sends `res` through `out`: headers and status first, then the body in 4 KiB writes (the most
 * blocking-write-and-flush takes at once). */
static void lepton__send(lepton_response *res, wasi_http_types_own_response_outparam_t out) {
  if (res->status < 100 || res->status > 599) {
    res->status = 500;
    res->body_len = 0;
  }
  char length[24];
  snprintf(length, sizeof length, "%zu", res->body_len);
  lepton_response_set_header(res, "content-length", length);
  wasi_http_types_own_fields_t headers = wasi_http_types_constructor_fields();
  for (size_t i = 0; i < res->header_count; ++i) {
    wasi_http_types_field_name_t name;
    wasi_http_handler_string_set(&name, res->headers[i].name);
    wasi_http_types_field_value_t value = {(uint8_t *)res->headers[i].value,
                                           strlen(res->headers[i].value)};
    wasi_http_types_header_error_t err;
    wasi_http_types_method_fields_append(wasi_http_types_borrow_fields(headers), &name, &value,
                                         &err); /* forbidden names are left out */
  }
  wasi_http_types_own_outgoing_response_t response =
      wasi_http_types_constructor_outgoing_response(headers);
  wasi_http_types_borrow_outgoing_response_t b = wasi_http_types_borrow_outgoing_response(response);
  wasi_http_types_method_outgoing_response_set_status_code(b, (uint16_t)res->status);
  wasi_http_types_own_outgoing_body_t body;
  wasi_http_types_method_outgoing_response_body(b, &body);
  wasi_io_streams_own_output_stream_t stream;
  wasi_http_types_method_outgoing_body_write(wasi_http_types_borrow_outgoing_body(body), &stream);
  wasi_http_types_result_own_outgoing_response_error_code_t result = {.is_err = false};
  result.val.ok = response;
  wasi_http_types_static_response_outparam_set(out, &result);

  const char *data = res->body;
  size_t left = res->body_len;
  while (left > 0) {
    size_t n = left < 4096 ? left : 4096;
    wasi_http_handler_list_u8_t chunk = {(uint8_t *)data, n};
    wasi_io_streams_stream_error_t err;
    if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(
            wasi_io_streams_borrow_output_stream(stream), &chunk, &err)) {
      lepton__drop_stream_error(&err);
      break; /* the client went away */
    }
    data += n;
    left -= n;
  }
  wasi_io_streams_output_stream_drop_own(stream);
  wasi_http_types_error_code_t err;
  wasi_http_types_static_outgoing_body_finish(body, NULL, &err);
}

static void lepton__free_response(lepton_response *res) {
  for (size_t i = 0; i < res->header_count; ++i) {
    free((char *)res->headers[i].name);
    free((char *)res->headers[i].value);
  }
  free(res->headers);
  free(res->body);
}

void exports_wasi_http_incoming_handler_handle(
    exports_wasi_http_incoming_handler_own_incoming_request_t request,
    exports_wasi_http_incoming_handler_own_response_outparam_t response_out) {
  lepton_request req;
  memset(&req, 0, sizeof req);
  lepton__read_request(request, &req);
  lepton_response res;
  memset(&res, 0, sizeof res);
  res.status = 200;
  handle(&req, &res);
  lepton__send(&res, response_out);
  lepton__free_response(&res);
  lepton__free_request(&req);
}
