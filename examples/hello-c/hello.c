// The smallest lepton/Spin HTTP handler in C, written against the Spin 1 HTTP ABI
// (handle-http-request) so it needs nothing but clang and wasi-libc.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// The host places the request's strings and lists in guest memory through this allocator.
__attribute__((export_name("canonical_abi_realloc"))) void* canonical_abi_realloc(
    void* ptr, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  if (new_size == 0) return (void*)align;
  return realloc(ptr, new_size);
}

__attribute__((export_name("canonical_abi_free"))) void canonical_abi_free(void* ptr, size_t size,
                                                                          size_t align) {
  (void)align;
  if (size > 0) free(ptr);
}

typedef struct {
  const char* ptr;
  uint32_t len;
} string_t;

typedef struct {
  string_t name, value;
} header_t;

typedef struct {
  uint8_t is_some;
  const void* ptr;
  uint32_t len;
} optional_list_t;

// The response record the host reads back: status, optional headers, optional body.
static struct {
  uint16_t status;
  optional_list_t headers;
  optional_list_t body;
} response;

static header_t headers[] = {{{"content-type", 12}, {"text/plain", 10}}};
static char body[512];

__attribute__((export_name("handle-http-request"))) void* handle_http_request(
    uint32_t method, const char* uri, uint32_t uri_len, header_t* req_headers,
    uint32_t req_headers_len, header_t* params, uint32_t params_len, uint32_t has_body,
    const char* req_body, uint32_t req_body_len) {
  int n = snprintf(body, sizeof body, "Hello from lepton! You asked for %.*s\n", (int)uri_len, uri);
  printf("handled %.*s\n", (int)uri_len, uri);
  response.status = 200;
  response.headers = (optional_list_t){1, headers, 1};
  response.body = (optional_list_t){1, body, (uint32_t)n};
  return &response;
}
