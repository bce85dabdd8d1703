// tcp-sockets: the conformance suite's tcp-sockets component, in C. Connects over
// wasi:sockets@0.2.0 (an IPv4 tcp-socket) to the address in the request's `address` header
// ("ip:port" or "[ipv6]:port"), writes "So rested he by the Tumtum tree" and reads it back from
// the echo service. 200 with no body when the echo matches; 400 "Bad Request" without a parsable
// address; else 500 with the error as wit-bindgen's Display spells a WIT enum, e.g.
// "access-denied (error 1)".
#include "tcp_sockets.h"

#define CF_STRING tcp_sockets_string_t
#define CF_BYTES tcp_sockets_list_u8_t
#define CF_STRING_SET tcp_sockets_string_set
#include "conformance_util.h"

static const char* const kErrorNames[] = {
    "unknown",
    "access-denied",
    "not-supported",
    "invalid-argument",
    "out-of-memory",
    "timeout",
    "concurrency-conflict",
    "not-in-progress",
    "would-block",
    "invalid-state",
    "new-socket-limit",
    "address-not-bindable",
    "address-in-use",
    "remote-unreachable",
    "connection-refused",
    "connection-reset",
    "connection-aborted",
    "datagram-too-large",
    "name-unresolvable",
    "temporary-resolver-failure",
    "permanent-resolver-failure",
};

static void describe(cf_text_t* out, wasi_sockets_network_error_code_t code) {
  const char* name = code < sizeof kErrorNames / sizeof kErrorNames[0] ? kErrorNames[code] : "?";
  cf_appendf(out, "%s (error %u)", name, (unsigned)code);
}

static void describe_stream_error(cf_text_t* out, wasi_io_streams_stream_error_t* e) {
  if (e->tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED) {
    cf_appendf(out, "StreamError::Closed");
  } else {
    cf_appendf(out, "StreamError::LastOperationFailed");
    wasi_io_error_error_drop_own(e->val.last_operation_failed);
  }
}

static bool parse_port(const char* s, uint16_t* port) {
  if (*s == '\0') return false;
  char* end;
  long p = strtol(s, &end, 10);
  if (*end != '\0' || p < 0 || p > 65535) return false;
  *port = (uint16_t)p;
  return true;
}

static bool parse_ipv4(const char* s, uint8_t out[4]) {
  for (int i = 0; i < 4; i++) {
    char* end;
    if (*s < '0' || *s > '9') return false;
    long v = strtol(s, &end, 10);
    if (v > 255 || end - s > 3) return false;
    out[i] = (uint8_t)v;
    if (i < 3 && *end != '.') return false;
    s = end + (i < 3);
    if (i == 3 && *end != '\0') return false;
  }
  return true;
}

// Eight hex groups with at most one "::".
static bool parse_ipv6(const char* s, uint16_t out[8]) {
  uint16_t head[8], tail[8];
  int nh = 0, nt = 0;
  bool gap = false;
  if (s[0] == ':' && s[1] == ':') {
    gap = true;
    s += 2;
  }
  while (*s) {
    char* end;
    unsigned long v = strtoul(s, &end, 16);
    if (end == s || end - s > 4 || v > 0xffff) return false;
    if (gap) {
      if (nt == 8) return false;
      tail[nt++] = (uint16_t)v;
    } else {
      if (nh == 8) return false;
      head[nh++] = (uint16_t)v;
    }
    s = end;
    if (*s == ':') {
      if (s[1] == ':') {
        if (gap) return false;
        gap = true;
        s += 2;
      } else {
        s++;
        if (*s == '\0') return false;
      }
    } else if (*s != '\0') {
      return false;
    }
  }
  if (!gap && nh != 8) return false;
  if (gap && nh + nt > 7) return false;
  memset(out, 0, 8 * sizeof(uint16_t));
  for (int i = 0; i < nh; i++) out[i] = head[i];
  for (int i = 0; i < nt; i++) out[8 - nt + i] = tail[i];
  return true;
}

// "a.b.c.d:port" or "[v6]:port" (what std::net::SocketAddr parses).
static bool parse_address(const char* text, wasi_sockets_network_ip_socket_address_t* addr) {
  char buf[128];
  if (strlen(text) >= sizeof buf) return false;
  strcpy(buf, text);
  char* colon = strrchr(buf, ':');
  if (colon == NULL) return false;
  *colon = '\0';
  uint16_t port;
  if (!parse_port(colon + 1, &port)) return false;
  if (buf[0] == '[') {
    size_t n = strlen(buf);
    if (n < 3 || buf[n - 1] != ']') return false;
    buf[n - 1] = '\0';
    uint16_t g[8];
    if (!parse_ipv6(buf + 1, g)) return false;
    addr->tag = WASI_SOCKETS_NETWORK_IP_SOCKET_ADDRESS_IPV6;
    addr->val.ipv6.port = port;
    addr->val.ipv6.flow_info = 0;
    addr->val.ipv6.scope_id = 0;
    addr->val.ipv6.address =
        (wasi_sockets_network_ipv6_address_t){g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]};
    return true;
  }
  uint8_t b[4];
  if (!parse_ipv4(buf, b)) return false;
  addr->tag = WASI_SOCKETS_NETWORK_IP_SOCKET_ADDRESS_IPV4;
  addr->val.ipv4.port = port;
  addr->val.ipv4.address = (wasi_sockets_network_ipv4_address_t){b[0], b[1], b[2], b[3]};
  return true;
}

static const char kMessage[] = "So rested he by the Tumtum tree";

static bool echo(wasi_sockets_tcp_borrow_tcp_socket_t client, cf_text_t* error) {
  wasi_sockets_tcp_tuple2_own_input_stream_own_output_stream_t streams;
  wasi_sockets_network_error_code_t code;
  while (!wasi_sockets_tcp_method_tcp_socket_finish_connect(client, &streams, &code)) {
    if (code != WASI_SOCKETS_NETWORK_ERROR_CODE_WOULD_BLOCK) {
      describe(error, code);
      return false;
    }
    wasi_io_poll_own_pollable_t p = wasi_sockets_tcp_method_tcp_socket_subscribe(client);
    wasi_io_poll_borrow_pollable_t borrowed = wasi_io_poll_borrow_pollable(p);
    wasi_io_poll_list_borrow_pollable_t list = {&borrowed, 1};
    tcp_sockets_list_u32_t ready;
    wasi_io_poll_poll(&list, &ready);
    tcp_sockets_list_u32_free(&ready);
    wasi_io_poll_pollable_drop_own(p);
  }
  bool ok = true;
  size_t len = sizeof kMessage - 1;
  tcp_sockets_list_u8_t out = {(uint8_t*)kMessage, len};
  wasi_io_streams_stream_error_t se;
  if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(
          wasi_io_streams_borrow_output_stream(streams.f1), &out, &se)) {
    describe_stream_error(error, &se);
    ok = false;
  }
  uint8_t buffer[sizeof kMessage];
  size_t got = 0;
  while (ok && got < len) {
    tcp_sockets_list_u8_t chunk;
    if (!wasi_io_streams_method_input_stream_blocking_read(
            wasi_io_streams_borrow_input_stream(streams.f0), len - got, &chunk, &se)) {
      describe_stream_error(error, &se);
      ok = false;
      break;
    }
    size_t n = chunk.len <= len - got ? chunk.len : len - got;
    memcpy(buffer + got, chunk.ptr, n);
    got += n;
    tcp_sockets_list_u8_free(&chunk);
  }
  if (ok && memcmp(buffer, kMessage, len) != 0) {
    cf_appendf(error, "assertion `left == right` failed: the echo differs");
    ok = false;
  }
  wasi_io_streams_input_stream_drop_own(streams.f0);
  wasi_io_streams_output_stream_drop_own(streams.f1);
  return ok;
}

static bool handle(const wasi_sockets_network_ip_socket_address_t* address, cf_text_t* error) {
  wasi_sockets_tcp_create_socket_own_tcp_socket_t client;
  wasi_sockets_network_error_code_t code;
  if (!wasi_sockets_tcp_create_socket_create_tcp_socket(WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV4,
                                                        &client, &code)) {
    describe(error, code);
    return false;
  }
  wasi_sockets_tcp_borrow_tcp_socket_t c = wasi_sockets_tcp_borrow_tcp_socket(client);
  wasi_sockets_instance_network_own_network_t network =
      wasi_sockets_instance_network_instance_network();
  wasi_sockets_network_ip_socket_address_t remote = *address;
  bool ok = wasi_sockets_tcp_method_tcp_socket_start_connect(
      c, wasi_sockets_network_borrow_network(network), &remote, &code);
  if (!ok) {
    describe(error, code);
  } else {
    ok = echo(c, error);
  }
  wasi_sockets_network_network_drop_own(network);
  wasi_sockets_tcp_tcp_socket_drop_own(client);
  return ok;
}

void exports_wasi_http_incoming_handler_handle(
    exports_wasi_http_incoming_handler_own_incoming_request_t request,
    exports_wasi_http_incoming_handler_own_response_outparam_t response_out) {
  char* text = cf_get_header(wasi_http_types_borrow_incoming_request(request), "address");
  wasi_http_types_incoming_request_drop_own(request);
  wasi_sockets_network_ip_socket_address_t address;
  bool parsed = text != NULL && parse_address(text, &address);
  free(text);
  if (!parsed) {
    cf_respond(response_out, 400, "Bad Request");
    return;
  }
  cf_text_t error = {0};
  handle(&address, &error);
  cf_handle_result(response_out, &error);
  free(error.data);
}
