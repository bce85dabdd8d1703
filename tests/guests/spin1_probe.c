// A Spin 1.x HTTP handler written against the wit-bindgen 0.2 canonical ABI by hand, so tests
// exercise exactly the ABI real Spin 1 modules use. Behaviour depends on the request path:
//   /hello          200 "Hello from spin1" + content-type
//   /echo           echoes method, uri, body; headers as "name: value" lines
//   /config?<key>   spin-config get-config(key)
//   /outbound?<url> wasi-outbound-http request(GET url); reports status/body or error code
//   /redis?<addr>   outbound-redis at addr: set spin1-key=v1, get it, incr spin1-counter,
//                   sadd/smembers spin1-set, execute ECHO, del both; "redis-error <op>" on failure
//   /mysql?<addr>   outbound-mysql at addr: execute INSERT INTO spin1 VALUES (7, 'seven'), then
//                   query SELECT id, name FROM spin1 WHERE id = 7; answers "cols=<name:type,...>
//                   rows=<n> <id> <name>" or 502 "mysql-error <tag> <message>"
//   /pg?<addr>      outbound-pg at addr: execute CREATE TABLE / INSERT (int32, str params), then
//                   query it back: "rows=<n> cols=<name>:<type>,... <values|...>"; on failure
//                   "pg-error <op> <pg-error tag> <message>"
//   /trap           executes unreachable
//   /loop           never returns
//   /hog            grows memory until it fails, then returns the number of pages obtained
//   /memory         reports whether memory left by an earlier request is visible, then dirties it
//   /status?<n>     answers with status n
//   /stdout         prints to stdout and stderr
//   /kv?<label>/<op>[/<key>[/<value>]]  key-value: op get|set|delete|exists|keys; answers the
//                   value / "ok" / "true"|"false" / keys one per line, or 500 "error <tag>"
// It also exports handle-redis-message (a Spin 1 Redis trigger handler, at the end of this file).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((export_name("canonical_abi_realloc"))) void* canonical_abi_realloc(void* ptr,
                                                                                  size_t old_size,
                                                                                  size_t align,
                                                                                  size_t new_size) {
  (void)old_size;
  if (new_size == 0) return (void*)align;
  void* p = realloc(ptr, new_size);
  if (!p) abort();
  return p;
}

__attribute__((export_name("canonical_abi_free"))) void canonical_abi_free(void* ptr, size_t size,
                                                                           size_t align) {
  (void)align;
  if (size > 0) free(ptr);
}

typedef struct {
  const char* ptr;
  uint32_t len;
} str_t;

typedef struct {
  str_t name;
  str_t value;
} header_t;

// The `response` record: status u16, option<headers>, option<body> (28 bytes, align 4). Each
// option is its own 4-aligned {u8 tag; ptr; len} block.
typedef struct {
  uint8_t tag;
  void* ptr;
  uint32_t len;
} option_list_t;

static struct {
  uint16_t status;
  option_list_t headers;
  option_list_t body;
} RET;

_Static_assert(sizeof(RET) == 28, "response record is 28 bytes");

__attribute__((import_module("spin-config"), import_name("get-config"))) void spin_get_config(
    const char* key, uint32_t key_len, uint8_t* ret);
__attribute__((import_module("wasi-outbound-http"), import_name("request"))) void outbound_request(
    uint32_t method, const char* uri, uint32_t uri_len, const header_t* headers,
    uint32_t headers_len, const header_t* params, uint32_t params_len, uint32_t body_tag,
    const char* body, uint32_t body_len, uint8_t* ret);

// outbound-redis (Spin 1): every call takes the address; results through a return area.
#define REDIS_IMPORT(name) __attribute__((import_module("outbound-redis"), import_name(name)))
REDIS_IMPORT("set")
void redis_set(const char*, uint32_t, const char*, uint32_t, const char*, uint32_t, uint8_t*);
REDIS_IMPORT("get") void redis_get(const char*, uint32_t, const char*, uint32_t, uint8_t*);
REDIS_IMPORT("incr") void redis_incr(const char*, uint32_t, const char*, uint32_t, uint8_t*);
REDIS_IMPORT("del") void redis_del(const char*, uint32_t, const str_t*, uint32_t, uint8_t*);
REDIS_IMPORT("sadd")
void redis_sadd(const char*, uint32_t, const char*, uint32_t, const str_t*, uint32_t, uint8_t*);
REDIS_IMPORT("smembers")
void redis_smembers(const char*, uint32_t, const char*, uint32_t, uint8_t*);
REDIS_IMPORT("execute")
void redis_execute(const char*, uint32_t, const char*, uint32_t, const void*, uint32_t, uint8_t*);
// outbound-pg (Spin 1): address, statement, list<parameter-value> (16 bytes each: tag u8,
// payload at 8), return area: expected<row-set, pg-error> / expected<u64, pg-error>.
__attribute__((import_module("outbound-pg"), import_name("execute"))) void pg_execute(
    const char*, uint32_t, const char*, uint32_t, const void*, uint32_t, uint8_t*);
__attribute__((import_module("outbound-pg"), import_name("query"))) void pg_query(
    const char*, uint32_t, const char*, uint32_t, const void*, uint32_t, uint8_t*);
__attribute__((import_module("key-value"), import_name("open"))) void kv_open(const char* label,
                                                                              uint32_t len,
                                                                              uint8_t* ret);
__attribute__((import_module("key-value"), import_name("get"))) void kv_get(uint32_t store,
                                                                            const char* key,
                                                                            uint32_t len,
                                                                            uint8_t* ret);
__attribute__((import_module("key-value"), import_name("set"))) void kv_set(
    uint32_t store, const char* key, uint32_t len, const char* value, uint32_t value_len,
    uint8_t* ret);
__attribute__((import_module("key-value"), import_name("delete"))) void kv_delete(uint32_t store,
                                                                                  const char* key,
                                                                                  uint32_t len,
                                                                                  uint8_t* ret);
__attribute__((import_module("key-value"), import_name("exists"))) void kv_exists(uint32_t store,
                                                                                  const char* key,
                                                                                  uint32_t len,
                                                                                  uint8_t* ret);
__attribute__((import_module("key-value"), import_name("get-keys"))) void kv_get_keys(
    uint32_t store, uint8_t* ret);
__attribute__((import_module("key-value"), import_name("close"))) void kv_close(uint32_t store);

// outbound-mysql (Spin 1): query/execute(address, statement, params) -> expected<_, mysql-error>.
// A parameter-value / db-value is 16 bytes (tag u8, payload at 8).
typedef struct {
  uint8_t tag;
  uint8_t pad[7];
  union {
    int32_t s32;
    int64_t s64;
    str_t s;
  } v;
} mysql_value_t;
__attribute__((import_module("outbound-mysql"), import_name("execute"))) void mysql_execute(
    const char*, uint32_t, const char*, uint32_t, const mysql_value_t*, uint32_t, uint8_t*);
__attribute__((import_module("outbound-mysql"), import_name("query"))) void mysql_query(
    const char*, uint32_t, const char*, uint32_t, const mysql_value_t*, uint32_t, uint8_t*);

static char* out;
static size_t out_len, out_cap;

static void emit(const char* data, size_t len) {
  if (out_len + len > out_cap) {
    out_cap = (out_len + len) * 2 + 64;
    out = realloc(out, out_cap);
  }
  memcpy(out + out_len, data, len);
  out_len += len;
}
static void emits(const char* s) { emit(s, strlen(s)); }
static void emitf(const char* fmt, long a) {
  char buf[128];
  int n = snprintf(buf, sizeof buf, fmt, a);
  emit(buf, (size_t)n);
}

static header_t content_type = {{"content-type", 12}, {"text/plain", 10}};
static char marker[64];

static int starts_with(const char* s, uint32_t len, const char* prefix) {
  size_t n = strlen(prefix);
  return len >= n && memcmp(s, prefix, n) == 0;
}

static void query_of(const char* uri, uint32_t len, const char** q, uint32_t* qlen) {
  for (uint32_t i = 0; i < len; i++)
    if (uri[i] == '?') {
      *q = uri + i + 1;
      *qlen = len - i - 1;
      return;
    }
  *q = uri + len;
  *qlen = 0;
}

__attribute__((export_name("handle-http-request"))) void* handle_http_request(
    uint32_t method, const char* uri, uint32_t uri_len, header_t* headers, uint32_t headers_len,
    header_t* params, uint32_t params_len, uint32_t body_tag, const char* body, uint32_t body_len) {
  static const char* methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"};
  const char* q;
  uint32_t qlen;
  query_of(uri, uri_len, &q, &qlen);
  // Probes are named by the path below the component's route ("/legacy/hello" -> "/hello").
  const char* full_uri = uri;
  uint32_t full_uri_len = uri_len;
  for (uint32_t i = 0; i < headers_len; i++) {
    if (headers[i].name.len == 20 && memcmp(headers[i].name.ptr, "spin-component-route", 20) == 0 &&
        headers[i].value.len > 1 && headers[i].value.len <= uri_len &&
        memcmp(headers[i].value.ptr, uri, headers[i].value.len) == 0) {
      uri += headers[i].value.len;
      uri_len -= headers[i].value.len;
    }
  }
  RET.status = 200;
  out_len = 0;

  if (starts_with(uri, uri_len, "/hello")) {
    emits("Hello from spin1");
  } else if (starts_with(uri, uri_len, "/echo")) {
    emits("method: ");
    emits(method < 7 ? methods[method] : "?");
    emits("\nuri: ");
    emit(full_uri, full_uri_len);
    emitf("\nparams: %ld\n", (long)params_len);
    for (uint32_t i = 0; i < headers_len; i++) {
      emit(headers[i].name.ptr, headers[i].name.len);
      emits(": ");
      emit(headers[i].value.ptr, headers[i].value.len);
      emits("\n");
    }
    emitf("body-tag: %ld\nbody: ", (long)body_tag);
    if (body_tag) emit(body, body_len);
  } else if (starts_with(uri, uri_len, "/config")) {
    static uint8_t ret[16] __attribute__((aligned(4)));
    spin_get_config(q, qlen, ret);
    if (ret[0] == 0) {
      emit(*(const char**)(ret + 4), *(uint32_t*)(ret + 8));
    } else {
      RET.status = 500;
      emitf("error %ld: ", ret[4]);
      emit(*(const char**)(ret + 8), *(uint32_t*)(ret + 12));
    }
  } else if (starts_with(uri, uri_len, "/outbound")) {
    static uint8_t ret[32] __attribute__((aligned(4)));
    header_t h = {{"x-probe", 7}, {"spin1", 5}};
    outbound_request(0, q, qlen, &h, 1, 0, 0, 0, 0, 0, ret);
    if (ret[0] == 0) {
      emitf("status: %ld\n", *(uint16_t*)(ret + 4));
      if (ret[20]) emit(*(const char**)(ret + 24), *(uint32_t*)(ret + 28));
    } else {
      RET.status = 502;
      emitf("http-error %ld", ret[4]);
    }
  } else if (starts_with(uri, uri_len, "/redis")) {
    static uint8_t ret[16] __attribute__((aligned(8)));
    const char* fail = 0;
    redis_set(q, qlen, "spin1-key", 9, "v1", 2, ret);
    if (ret[0]) fail = "set";
    redis_get(q, qlen, "spin1-key", 9, ret);
    if (!fail && ret[0]) fail = "get";
    if (!fail) {
      emits("get=");
      emit(*(const char**)(ret + 4), *(uint32_t*)(ret + 8));
    }
    redis_incr(q, qlen, "spin1-counter", 13, ret);
    if (!fail && ret[0]) fail = "incr";
    if (!fail) emitf(" incr=%ld", (long)*(int64_t*)(ret + 8));
    str_t members[2] = {{"a", 1}, {"b", 1}};
    redis_sadd(q, qlen, "spin1-set", 9, members, 2, ret);
    if (!fail && ret[0]) fail = "sadd";
    if (!fail) emitf(" sadd=%ld", (long)*(int64_t*)(ret + 8));
    redis_smembers(q, qlen, "spin1-set", 9, ret);
    if (!fail && ret[0]) fail = "smembers";
    if (!fail) emitf(" smembers=%ld", (long)*(uint32_t*)(ret + 8));
    // execute ECHO hi, 7: a redis-parameter is 16 bytes (tag u8, payload at 8).
    struct {
      uint8_t tag;
      uint8_t pad[7];
      union {
        int64_t i;
        str_t s;
      } v;
    } args[1] = {{1, {0}, {.s = {"hi", 2}}}};
    redis_execute(q, qlen, "ECHO", 4, args, 1, ret);
    if (!fail && ret[0]) fail = "execute";
    if (!fail) {
      const uint8_t* r = *(const uint8_t**)(ret + 4);
      emitf(" exec-tag=%ld ", r[0]);
      emit(*(const char**)(r + 8), *(uint32_t*)(r + 12));
    }
    str_t keys[2] = {{"spin1-key", 9}, {"spin1-set", 9}};
    redis_del(q, qlen, keys, 2, ret);
    if (!fail && ret[0]) fail = "del";
    if (!fail) emitf(" del=%ld", (long)*(int64_t*)(ret + 8));
    if (fail) {
      out_len = 0;
      RET.status = 502;
      emits("redis-error ");
      emits(fail);
    }
  } else if (starts_with(uri, uri_len, "/mysql")) {
    static uint8_t ret[20] __attribute__((aligned(4)));
    mysql_value_t params[2] = {{3, {0}, {.s32 = 7}}, {11, {0}, {.s = {"seven", 5}}}};
    static const char insert[] = "INSERT INTO spin1 VALUES (?, ?)";
    static const char select[] = "SELECT id, name FROM spin1 WHERE id = ?";
    mysql_execute(q, qlen, insert, sizeof insert - 1, params, 2, ret);
    if (ret[0] == 0) mysql_query(q, qlen, select, sizeof select - 1, params, 1, ret);
    if (ret[0] != 0) {
      RET.status = 502;
      emitf("mysql-error %ld ", ret[4]);
      emit(*(const char**)(ret + 8), *(uint32_t*)(ret + 12));
    } else {
      const uint8_t* cols = *(const uint8_t**)(ret + 4);
      uint32_t ncols = *(uint32_t*)(ret + 8);
      const uint8_t* rows = *(const uint8_t**)(ret + 12);
      uint32_t nrows = *(uint32_t*)(ret + 16);
      emits("cols=");
      for (uint32_t i = 0; i < ncols; i++) {
        if (i) emits(",");
        emit(*(const char**)(cols + 12 * i), *(uint32_t*)(cols + 12 * i + 4));
        emitf(":%ld", cols[12 * i + 8]);
      }
      emitf(" rows=%ld", nrows);
      for (uint32_t r = 0; r < nrows; r++) {
        const mysql_value_t* row = *(const mysql_value_t**)(rows + 8 * r);
        uint32_t n = *(uint32_t*)(rows + 8 * r + 4);
        for (uint32_t i = 0; i < n; i++) {
          if (row[i].tag == 3) emitf(" %ld", row[i].v.s32);
          else if (row[i].tag == 11) { emits(" "); emit(row[i].v.s.ptr, row[i].v.s.len); }
          else emitf(" tag%ld", row[i].tag);
        }
      }
    }
  } else if (starts_with(uri, uri_len, "/pg")) {
    static uint8_t ret[24] __attribute__((aligned(8)));
    struct {
      uint8_t tag;
      uint8_t pad[7];
      union {
        int32_t i32;
        str_t s;
      } v;
    } params[2] = {{3, {0}, {.i32 = 7}}, {11, {0}, {.s = {"seven", 5}}}};
    const char* create = "CREATE TABLE IF NOT EXISTS spin1_pg (id int, name text)";
    const char* insert = "INSERT INTO spin1_pg VALUES ($1, $2)";
    const char* select =
        "SELECT id, name, 1.5::float8 AS f, NULL::int AS n, now() AS t FROM spin1_pg WHERE id = $1";
    const char* fail = 0;
    uint32_t err_at = 8;
    pg_execute(q, qlen, create, (uint32_t)strlen(create), params, 0, ret);
    if (ret[0]) fail = "create";
    if (!fail) pg_execute(q, qlen, insert, (uint32_t)strlen(insert), params, 2, ret);
    if (!fail && ret[0]) fail = "insert";
    if (!fail) {
      emitf("inserted=%ld ", (long)*(uint64_t*)(ret + 8));
      pg_query(q, qlen, select, (uint32_t)strlen(select), params, 1, ret);
      err_at = 4;
      if (ret[0]) fail = "query";
    }
    if (!fail) {
      const uint8_t* cols = *(const uint8_t**)(ret + 4);
      uint32_t ncols = *(uint32_t*)(ret + 8);
      const uint8_t* rows = *(const uint8_t**)(ret + 12);
      uint32_t nrows = *(uint32_t*)(ret + 16);
      emitf("rows=%ld cols=", (long)nrows);
      for (uint32_t i = 0; i < ncols; i++) {
        if (i) emits(",");
        emit(*(const char**)(cols + 12 * i), *(uint32_t*)(cols + 12 * i + 4));
        emitf(":%ld", (long)cols[12 * i + 8]);
      }
      if (nrows > 0) {
        const uint8_t* row = *(const uint8_t**)rows;
        uint32_t n = *(uint32_t*)(rows + 4);
        emits(" ");
        for (uint32_t i = 0; i < n; i++) {
          const uint8_t* v = row + 16 * i;
          if (i) emits("|");
          switch (v[0]) {
            case 3: emitf("%ld", (long)*(int32_t*)(v + 8)); break;
            case 10: emitf("%ld/10", (long)(*(double*)(v + 8) * 10)); break;
            case 11: emit(*(const char**)(v + 8), *(uint32_t*)(v + 12)); break;
            case 13: emits("null"); break;
            default: emitf("tag%ld", (long)v[0]);
          }
        }
      }
    }
    if (fail) {
      out_len = 0;
      RET.status = 502;
      emits("pg-error ");
      emits(fail);
      emitf(" %ld ", (long)ret[err_at]);
      emit(*(const char**)(ret + err_at + 4), *(uint32_t*)(ret + err_at + 8));
    }
  } else if (starts_with(uri, uri_len, "/kv")) {
    // q = <label>/<op>[/<key>[/<value>]]: split at the first three slashes.
    const char* part[4] = {q, "", "", ""};
    uint32_t plen[4] = {qlen, 0, 0, 0};
    for (int p = 0; p < 3; p++) {
      const char* slash = memchr(part[p], '/', plen[p]);
      if (!slash) break;
      part[p + 1] = slash + 1;
      plen[p + 1] = plen[p] - (uint32_t)(slash + 1 - part[p]);
      plen[p] = (uint32_t)(slash - part[p]);
    }
    static uint8_t ret[16] __attribute__((aligned(4)));
    kv_open(part[0], plen[0], ret);
    if (ret[0] != 0) {
      RET.status = 500;
      emitf("error %ld", ret[4]);
    } else {
      uint32_t store = *(uint32_t*)(ret + 4);
      const char* op = part[1];
      if (plen[1] == 3 && memcmp(op, "get", 3) == 0) {
        kv_get(store, part[2], plen[2], ret);
        if (ret[0] == 0) emit(*(const char**)(ret + 4), *(uint32_t*)(ret + 8));
      } else if (plen[1] == 3 && memcmp(op, "set", 3) == 0) {
        kv_set(store, part[2], plen[2], part[3], plen[3], ret);
        if (ret[0] == 0) emits("ok");
      } else if (plen[1] == 6 && memcmp(op, "delete", 6) == 0) {
        kv_delete(store, part[2], plen[2], ret);
        if (ret[0] == 0) emits("ok");
      } else if (plen[1] == 6 && memcmp(op, "exists", 6) == 0) {
        kv_exists(store, part[2], plen[2], ret);
        if (ret[0] == 0) emits(ret[4] ? "true" : "false");
      } else {
        kv_get_keys(store, ret);
        if (ret[0] == 0) {
          const str_t* keys = *(const str_t**)(ret + 4);
          for (uint32_t i = 0; i < *(uint32_t*)(ret + 8); i++) {
            emit(keys[i].ptr, keys[i].len);
            emits("\n");
          }
        }
      }
      if (ret[0] != 0) {
        RET.status = 500;
        emitf("error %ld", ret[4]);
      }
      kv_close(store);
    }
  } else if (starts_with(uri, uri_len, "/trap")) {
    __builtin_trap();
  } else if (starts_with(uri, uri_len, "/loop")) {
    for (volatile int i = 0;; i++) {
    }
  } else if (starts_with(uri, uri_len, "/hog")) {
    long pages = 0;
    while (__builtin_wasm_memory_grow(0, 16) != (size_t)-1) pages += 16;
    emitf("grew %ld pages", pages);
  } else if (starts_with(uri, uri_len, "/memory")) {
    // A fresh instance must start from the module's pristine image: static data clean, and
    // freshly grown pages zero.
    size_t first = __builtin_wasm_memory_grow(0, 1);
    volatile uint8_t* page = (volatile uint8_t*)(first * 65536);
    int dirty_static = marker[0] != 0;
    int dirty_page = page[100] != 0;
    emits(dirty_static || dirty_page ? "dirty" : "clean");
    memcpy(marker, "secret-from-previous-request", 28);
    page[100] = 0xAB;
  } else if (starts_with(uri, uri_len, "/status")) {
    RET.status = (uint16_t)atoi(q);
  } else if (starts_with(uri, uri_len, "/stdout")) {
    printf("to stdout from spin1\n");
    fprintf(stderr, "to stderr from spin1\n");
    emits("printed");
  } else {
    RET.status = 404;
    emits("no such probe");
  }
  RET.headers = (option_list_t){1, &content_type, 1};
  RET.body = (option_list_t){1, out, (uint32_t)out_len};
  return &RET;
}

// Spin 1 Redis trigger export: handle-redis-message(payload) -> expected<unit, error>, returned
// through a static area (tag u8 at 0: 0 ok / 1 err; the error enum u8 at 1). The payload is
// stored (outbound-redis set) under $LOG_KEY at $REDIS_ADDRESS; "trap" traps, "fail" returns
// err(error).
static uint8_t REDIS_RET[2];

__attribute__((export_name("handle-redis-message"))) void* handle_redis_message(const char* payload,
                                                                               uint32_t len) {
  if (len == 4 && memcmp(payload, "trap", 4) == 0) __builtin_trap();
  const char* addr = getenv("REDIS_ADDRESS");
  const char* key = getenv("LOG_KEY");
  REDIS_RET[0] = 1;
  REDIS_RET[1] = 1;
  if (addr && key && !(len == 4 && memcmp(payload, "fail", 4) == 0)) {
    uint8_t ret[16] __attribute__((aligned(4))) = {0};
    redis_set(addr, (uint32_t)strlen(addr), key, (uint32_t)strlen(key), payload, len, ret);
    if (ret[0] == 0) REDIS_RET[0] = 0;
  }
  return REDIS_RET;
}
