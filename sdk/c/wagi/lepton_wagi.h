/* lepton_wagi.h: a small single-header C SDK for HTTP handlers run by lepton (or Spin) with the
 * WAGI executor (`executor = { type = "wagi" }`): the request arrives as CGI environment
 * variables and stdin, the response leaves on stdout. (For wasi:http components, see
 * sdk/c/http/lepton_http.h.) Build with wasi-libc:
 *
 *   clang-19 --target=wasm32-wasi -O2 -Ilepton-sdk main.c -o main.wasm
 *
 *   #include "lepton_wagi.h"
 *   int main(void) {
 *     lepton_request req = lepton_read_request();
 *     if (strcmp(req.method, "GET") != 0) return lepton_respond(405, "text/plain", "GET only\n");
 *     return lepton_respondf(200, "text/plain", "Hello from %s\n", req.path);
 *   }
 *
 * Everything is `static inline`: include it in one or many files without a separate source. */
#ifndef LEPTON_WAGI_H
#define LEPTON_WAGI_H

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *method; /* "GET", "POST", ... */
  const char *path;   /* the part of the path after the route's base (PATH_INFO), decoded */
  const char *url;    /* the full URL as the client asked for it */
  const char *query;  /* the query string without '?', "" if none */
  char *body;         /* the request body (NUL-terminated for convenience), never NULL */
  size_t body_len;
} lepton_request;

static inline const char *lepton__env(const char *name) {
  const char *v = getenv(name);
  return v ? v : "";
}

/* Reads the request: the CGI variables and the whole body from stdin. */
static inline lepton_request lepton_read_request(void) {
  lepton_request r;
  r.method = lepton__env("REQUEST_METHOD");
  r.path = lepton__env("PATH_INFO");
  r.url = lepton__env("X_FULL_URL");
  r.query = lepton__env("QUERY_STRING");
  size_t cap = 4096, len = 0;
  char *body = (char *)malloc(cap + 1);
  size_t n;
  while (body && (n = fread(body + len, 1, cap - len, stdin)) > 0) {
    len += n;
    if (len == cap) {
      char *bigger = (char *)realloc(body, cap * 2 + 1);
      if (!bigger) break;
      body = bigger;
      cap *= 2;
    }
  }
  if (!body) {
    static char empty[1] = {0};
    body = empty;
  }
  body[len] = '\0';
  r.body = body;
  r.body_len = len;
  return r;
}

/* A request header by name, case-insensitive ("Content-Type"); NULL when absent. */
static inline const char *lepton_header(const char *name) {
  char key[256] = "HTTP_";
  size_t i = 5;
  for (; *name && i < sizeof key - 1; ++name, ++i)
    key[i] = *name == '-' ? '_' : (char)toupper((unsigned char)*name);
  key[i] = '\0';
  if (strcmp(key, "HTTP_CONTENT_TYPE") == 0) return getenv("CONTENT_TYPE");
  if (strcmp(key, "HTTP_CONTENT_LENGTH") == 0) return getenv("CONTENT_LENGTH");
  return getenv(key);
}

/* Writes the status line and headers; after it, write the body to stdout yourself. Extra headers
 * go as "name: value\n" lines in `extra_headers` (or NULL). */
static inline void lepton_begin_response(int status, const char *content_type,
                                         const char *extra_headers) {
  printf("status: %d\n", status);
  if (content_type) printf("content-type: %s\n", content_type);
  if (extra_headers) fputs(extra_headers, stdout);
  printf("\n");
}

/* A complete response; returns 0 so that `return lepton_respond(...)` ends main. */
static inline int lepton_respond_bytes(int status, const char *content_type, const void *body,
                                       size_t len) {
  lepton_begin_response(status, content_type, NULL);
  fwrite(body, 1, len, stdout);
  fflush(stdout);
  return 0;
}

static inline int lepton_respond(int status, const char *content_type, const char *body) {
  return lepton_respond_bytes(status, content_type, body, body ? strlen(body) : 0);
}

static inline int lepton_respondf(int status, const char *content_type, const char *format, ...) {
  lepton_begin_response(status, content_type, NULL);
  va_list args;
  va_start(args, format);
  vprintf(format, args);
  va_end(args);
  fflush(stdout);
  return 0;
}

/* A redirect (301, 302, 307 or 308) to `location`. */
static inline int lepton_redirect(int status, const char *location) {
  printf("status: %d\nlocation: %s\n\n", status, location);
  fflush(stdout);
  return 0;
}

#endif /* LEPTON_WAGI_H */
