/* lepton_redis.h: lepton's small C SDK for Redis-triggered components
 * (fermyon:spin/inbound-redis, as Spin runs them: `[[trigger.redis]]` in spin.toml).
 *
 * Write one function; it is called once per message published on the component's channel, in a
 * fresh instance each time:
 *
 *   #include <stdio.h>
 *   #include "lepton_redis.h"
 *
 *   bool handle_message(const char *payload, size_t len) {
 *     printf("got %.*s\n", (int)len, payload);  // to the component's stdout log
 *     return true;                              // false: the host logs an error
 *   }
 *
 * Build with clang-19 and wasi-libc only, compiling your files with every .c file of the SDK
 * (`lepton new` puts them in lepton-sdk/; the build command in spin.toml does this). The result
 * is a core module carrying its component type (redis_handler_component_type.c); lepton and Spin
 * make it a component when they load it. Docs: docs/c-sdk.md in the lepton repository. */
#ifndef LEPTON_REDIS_H
#define LEPTON_REDIS_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Your handler. `payload` is the message (payload[len] is an extra NUL for text messages). Return
 * true when it was handled; false makes the host log an error for this message. */
bool handle_message(const char *payload, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* LEPTON_REDIS_H */
