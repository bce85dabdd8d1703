/* lepton_http.h: lepton's small C SDK for HTTP components (wasi:http 0.2, as Spin runs them).
 *
 * Write one function; the SDK reads the request before calling it and sends the response after:
 *
 *   #include "lepton_http.h"
 *
 *   void handle(const lepton_request *req, lepton_response *res) {
 *     const char *agent = lepton_request_header(req, "user-agent");
 *     lepton_response_set_header(res, "content-type", "text/plain");
 *     lepton_response_printf(res, "%s %s from %s\n", req->method, req->path, agent ? agent : "?");
 *   }
 *
 * Build with clang-19 and wasi-libc, nothing else: compile your files together with every .c
 * file of the SDK, as a reactor (`lepton new` puts the SDK in lepton-sdk/, and the build command
 * it writes in spin.toml does exactly this):
 *
 *   clang-19 --target=wasm32-wasi -mexec-model=reactor -O2 -Ilepton-sdk main.c <the SDK's .c
 *     files> -Wl,--strip-debug -o main.wasm
 *
 * The result is a core module carrying its component type (wasi_http_handler_component_type.c);
 * lepton and Spin make it a wasi:http component when they load it. wasi-libc works as usual:
 * printf goes to the component's stdout log, getenv reads the component's `environment`, fopen
 * reads its `files`.
 *
 * Docs: docs/c-sdk.md in the lepton repository. */
#ifndef LEPTON_HTTP_H
#define LEPTON_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One request header. Names come as the client sent them (HTTP/1 case-insensitive). */
typedef struct lepton_header {
  const char *name;
  const char *value;
} lepton_header;

/* The request, read in full before handle() is called. Every string is NUL-terminated and lives
 * until handle() returns. */
typedef struct lepton_request {
  const char *method;            /* "GET", "POST", ..., or the method as sent */
  const char *path;              /* the URL path as the client sent it, "/api/items" */
  const char *query;             /* after '?' ("a=1&b=2"), "" when there is none */
  const lepton_header *headers;  /* every header, in order (repeated names repeat) */
  size_t header_count;
  const char *body; /* the whole body; body[body_len] is an extra NUL for text bodies */
  size_t body_len;
} lepton_request;

/* The response under construction: status 200, no headers and an empty body until changed. */
typedef struct lepton_response lepton_response;

/* Your handler. Called once per request (a fresh instance each time). */
void handle(const lepton_request *req, lepton_response *res);

/* The first value of header `name` (compared case-insensitively), or NULL. */
const char *lepton_request_header(const lepton_request *req, const char *name);

/* Sets the status code (100-599; anything else makes the response a 500). */
void lepton_response_set_status(lepton_response *res, int status);

/* Sets header `name` to `value`, replacing earlier values of that name. Returns false (and changes
 * nothing) when the name is not an HTTP token or the value holds CR, LF or NUL. */
bool lepton_response_set_header(lepton_response *res, const char *name, const char *value);

/* Adds a value for header `name`, keeping earlier ones (for set-cookie and the like). */
bool lepton_response_add_header(lepton_response *res, const char *name, const char *value);

/* Appends to the body. */
void lepton_response_write(lepton_response *res, const void *data, size_t len);
void lepton_response_print(lepton_response *res, const char *text);
void lepton_response_printf(lepton_response *res, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif /* LEPTON_HTTP_H */
