// A tiny reactor written against the canonical ABI by hand (no bindings generator): the core
// module `wasm-tools component new` turns into a component for the reader's tests. It calls
// write(), so it imports WASI preview 1 and needs the reactor adapter.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((import_module("$root"), import_name("host-log"))) extern void host_log(
    const char* ptr, size_t len);

__attribute__((export_name("cabi_realloc"))) void* cabi_realloc(void* old, size_t old_size,
                                                                 size_t align, size_t new_size) {
  (void)old_size;
  (void)align;
  return realloc(old, new_size);
}

__attribute__((export_name("add"))) uint32_t add(uint32_t a, uint32_t b) { return a + b; }

static uint32_t greet_ret[2];

__attribute__((export_name("greet"))) uint32_t* greet(const char* name, size_t len) {
  static const char kHello[] = "hello, ";
  size_t n = sizeof(kHello) - 1 + len;
  char* out = malloc(n);
  memcpy(out, kHello, sizeof(kHello) - 1);
  memcpy(out + sizeof(kHello) - 1, name, len);
  host_log(out, n);
  write(1, out, n);
  greet_ret[0] = (uint32_t)(uintptr_t)out;
  greet_ret[1] = (uint32_t)n;
  return greet_ret;
}

__attribute__((export_name("cabi_post_greet"))) void cabi_post_greet(uint32_t* ret) {
  free((void*)(uintptr_t)ret[0]);
}
