// {{project-name}}: a Redis message handler in C on lepton's C SDK (lepton-sdk/lepton_redis.h),
// called for each message published on its channel. Build: `lepton build` (the command in
// spin.toml needs only clang-19 and wasi-libc).
#include <stdio.h>

#include "lepton_redis.h"

bool handle_message(const char *payload, size_t len) {
  // stdout goes to the component's log (.spin/logs/{{project-name | kebab_case}}_stdout.txt).
  printf("{{project-name}} received: %.*s\n", (int)len, payload);
  return true;
}
