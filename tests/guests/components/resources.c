// resources: exports lepton:guests/counters (wit/guests.wit). `counter` is a guest-defined
// resource: every handle the guest or the host creates goes through [resource-new], every drop
// through [resource-drop] and the destructor below, so `live()` shows leaks in either side.
#include <stdlib.h>

#include "resources.h"

#define C(name) exports_lepton_guests_counters_##name

struct exports_lepton_guests_counters_counter_t {
  uint64_t value;
};

static uint32_t g_live;

static C(own_counter_t) make(uint64_t start) {
  C(counter_t) *rep = malloc(sizeof *rep);
  if (!rep) abort();
  rep->value = start;
  g_live++;
  return C(counter_new)(rep);
}

void C(counter_destructor)(C(counter_t) * rep) {
  g_live--;
  free(rep);
}

C(own_counter_t) C(constructor_counter)(uint64_t start) { return make(start); }

uint64_t C(method_counter_add)(C(borrow_counter_t) self, uint64_t by) { return self->value += by; }

uint64_t C(method_counter_get)(C(borrow_counter_t) self) { return self->value; }

C(own_counter_t) C(method_counter_clone_counter)(C(borrow_counter_t) self) { return make(self->value); }

uint64_t C(static_counter_into_value)(C(own_counter_t) c) {
  uint64_t v = C(counter_rep)(c)->value;
  C(counter_drop_own)(c);
  return v;
}

uint64_t C(churn)(uint32_t n) {
  uint64_t sum = 0;
  for (uint32_t i = 0; i < n; i++) {
    C(own_counter_t) c = make(i);
    sum += C(counter_rep)(c)->value;
    C(counter_drop_own)(c);
  }
  return sum;
}

uint32_t C(live)(void) { return g_live; }

uint64_t C(peek)(C(borrow_counter_t) c) { return c->value; }

void C(make_many)(uint32_t n, C(list_own_counter_t) * ret) {
  ret->len = n;
  ret->ptr = malloc(n ? n * sizeof *ret->ptr : 1);
  if (!ret->ptr) abort();
  for (uint32_t i = 0; i < n; i++) ret->ptr[i] = make(i);
}
