// all-types: exports lepton:guests/types (wit/guests.wit), one function per component value type
// that echoes its input, plus functions that transform inputs. Arguments are owned by the callee
// (wit-bindgen C); returned memory is freed by the generated post-return functions.
#include <stdlib.h>
#include <string.h>

#include "all_types.h"

#define T(name) exports_lepton_guests_types_##name

typedef all_types_string_t str_t;
typedef all_types_list_u8_t bytes_t;

struct exports_lepton_guests_types_blob_t {
  bytes_t data;
};

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) abort();
  return p;
}

static bytes_t bytes_copy(const uint8_t *p, size_t n) {
  bytes_t b = {xmalloc(n), n};
  if (n) memcpy(b.ptr, p, n);
  return b;
}

bool T(echo_bool)(bool v) { return v; }
uint8_t T(echo_u8)(uint8_t v) { return v; }
int8_t T(echo_s8)(int8_t v) { return v; }
uint16_t T(echo_u16)(uint16_t v) { return v; }
int16_t T(echo_s16)(int16_t v) { return v; }
uint32_t T(echo_u32)(uint32_t v) { return v; }
int32_t T(echo_s32)(int32_t v) { return v; }
uint64_t T(echo_u64)(uint64_t v) { return v; }
int64_t T(echo_s64)(int64_t v) { return v; }
float T(echo_f32)(float v) { return v; }
double T(echo_f64)(double v) { return v; }
uint32_t T(echo_char)(uint32_t v) { return v; }
void T(echo_string)(str_t *v, str_t *ret) { *ret = *v; }
void T(echo_bytes)(bytes_t *v, bytes_t *ret) { *ret = *v; }
void T(echo_strings)(all_types_list_string_t *v, all_types_list_string_t *ret) { *ret = *v; }
void T(echo_record)(T(point_t) * v, T(point_t) * ret) { *ret = *v; }
void T(echo_tuple)(all_types_tuple3_u8_string_f64_t *v, all_types_tuple3_u8_string_f64_t *ret) {
  *ret = *v;
}
void T(echo_variant)(T(shape_t) * v, T(shape_t) * ret) { *ret = *v; }
T(color_t) T(echo_enum)(T(color_t) v) { return v; }
bool T(echo_option)(str_t *maybe_v, str_t *ret) {
  if (!maybe_v) return false;
  *ret = *maybe_v;
  return true;
}
bool T(echo_result)(T(result_u32_string_t) * v, uint32_t *ret, str_t *err) {
  if (v->is_err) {
    *err = v->val.err;
    return false;
  }
  *ret = v->val.ok;
  return true;
}
T(perms_t) T(echo_flags)(T(perms_t) v) { return v; }
void T(echo_list_records)(T(list_point_t) * v, T(list_point_t) * ret) { *ret = *v; }

bool T(negate)(bool v) { return !v; }
uint32_t T(add_u32)(uint32_t a, uint32_t b) { return a + b; }

void T(upper)(str_t *v, str_t *ret) {
  for (size_t i = 0; i < v->len; i++)
    if (v->ptr[i] >= 'a' && v->ptr[i] <= 'z') v->ptr[i] -= 'a' - 'A';
  *ret = *v;
}

void T(reverse_bytes)(bytes_t *v, bytes_t *ret) {
  for (size_t i = 0, j = v->len; i + 1 < j; i++, j--) {
    uint8_t t = v->ptr[i];
    v->ptr[i] = v->ptr[j - 1];
    v->ptr[j - 1] = t;
  }
  *ret = *v;
}

void T(join)(all_types_list_string_t *v, str_t *sep, str_t *ret) {
  size_t n = 0;
  for (size_t i = 0; i < v->len; i++) n += v->ptr[i].len + (i ? sep->len : 0);
  uint8_t *out = xmalloc(n), *p = out;
  for (size_t i = 0; i < v->len; i++) {
    if (i && sep->len) {
      memcpy(p, sep->ptr, sep->len);
      p += sep->len;
    }
    if (v->ptr[i].len) memcpy(p, v->ptr[i].ptr, v->ptr[i].len);
    p += v->ptr[i].len;
  }
  all_types_list_string_free(v);
  all_types_string_free(sep);
  ret->ptr = out;
  ret->len = n;
}

// Reverses the bytes of a UTF-8 string by code points, so the result stays valid UTF-8.
static void reverse_utf8(str_t *s) {
  uint8_t *tmp = xmalloc(s->len);
  size_t out = s->len;
  for (size_t i = 0; i < s->len;) {
    size_t n = 1;
    while (i + n < s->len && (s->ptr[i + n] & 0xC0) == 0x80) n++;
    out -= n;
    memcpy(tmp + out, s->ptr + i, n);
    i += n;
  }
  if (s->len) memcpy(s->ptr, tmp, s->len);
  free(tmp);
}

void T(mirror)(T(point_t) * p, T(point_t) * ret) {
  int32_t x = p->x;
  p->x = p->y;
  p->y = x;
  reverse_utf8(&p->label);
  *ret = *p;
}

uint32_t T(count_chars)(str_t *v) {
  uint32_t n = 0;
  for (size_t i = 0; i < v->len; i++)
    if ((v->ptr[i] & 0xC0) != 0x80) n++;
  all_types_string_free(v);
  return n;
}

T(color_t) T(next_color)(T(color_t) c) { return (T(color_t))((c + 1) % 3); }

bool T(bump)(uint32_t *maybe_v, uint32_t *ret) {
  *ret = maybe_v ? *maybe_v + 1 : 0;
  return true;
}

bool T(parse_u32)(str_t *v, uint32_t *ret, str_t *err) {
  uint64_t n = 0;
  bool ok = v->len > 0 && v->len <= 10;
  for (size_t i = 0; ok && i < v->len; i++) {
    if (v->ptr[i] < '0' || v->ptr[i] > '9') ok = false;
    else n = n * 10 + (v->ptr[i] - '0');
  }
  if (ok && n <= UINT32_MAX) {
    *ret = (uint32_t)n;
    all_types_string_free(v);
    return true;
  }
  static const char prefix[] = "bad number: ";
  size_t plen = sizeof prefix - 1;
  err->len = plen + v->len;
  err->ptr = xmalloc(err->len);
  memcpy(err->ptr, prefix, plen);
  if (v->len) memcpy(err->ptr + plen, v->ptr, v->len);
  all_types_string_free(v);
  return false;
}

T(perms_t) T(invert)(T(perms_t) p) {
  return (T(perms_t))(~p & (EXPORTS_LEPTON_GUESTS_TYPES_PERMS_READ | EXPORTS_LEPTON_GUESTS_TYPES_PERMS_WRITE |
                           EXPORTS_LEPTON_GUESTS_TYPES_PERMS_EXEC | EXPORTS_LEPTON_GUESTS_TYPES_PERMS_ADMIN));
}

double T(area)(T(shape_t) * s) {
  double a = 0;
  switch (s->tag) {
    case EXPORTS_LEPTON_GUESTS_TYPES_SHAPE_CIRCLE:
      a = 3.141592653589793 * s->val.circle * s->val.circle;
      break;
    case EXPORTS_LEPTON_GUESTS_TYPES_SHAPE_RECT:
      a = (double)s->val.rect.f0 * (double)s->val.rect.f1;
      break;
    default:
      break;
  }
  T(shape_free)(s);
  return a;
}

uint32_t T(char_code)(uint32_t c) { return c; }

// --- blob resource ---
T(own_blob_t) T(constructor_blob)(bytes_t *data) {
  T(blob_t) *rep = xmalloc(sizeof *rep);
  rep->data = *data;
  return T(blob_new)(rep);
}

uint32_t T(method_blob_size)(T(borrow_blob_t) self) { return (uint32_t)self->data.len; }

void T(method_blob_data)(T(borrow_blob_t) self, bytes_t *ret) {
  *ret = bytes_copy(self->data.ptr, self->data.len);
}

void T(blob_destructor)(T(blob_t) * rep) {
  all_types_list_u8_free(&rep->data);
  free(rep);
}

T(own_blob_t) T(blob_append)(T(borrow_blob_t) b, bytes_t *extra) {
  T(blob_t) *rep = xmalloc(sizeof *rep);
  rep->data.len = b->data.len + extra->len;
  rep->data.ptr = xmalloc(rep->data.len);
  if (b->data.len) memcpy(rep->data.ptr, b->data.ptr, b->data.len);
  if (extra->len) memcpy(rep->data.ptr + b->data.len, extra->ptr, extra->len);
  all_types_list_u8_free(extra);
  return T(blob_new)(rep);
}

void T(blob_take)(T(own_blob_t) b, bytes_t *ret) {
  T(blob_t) *rep = T(blob_rep)(b);
  *ret = bytes_copy(rep->data.ptr, rep->data.len);
  T(blob_drop_own)(b);  // runs blob_destructor
}

void T(stats)(str_t *s, all_types_tuple3_u32_string_list_u8_t *ret) {
  ret->f0 = (uint32_t)s->len;
  ret->f2 = bytes_copy(s->ptr, s->len);
  for (size_t i = 0, j = ret->f2.len; i + 1 < j; i++, j--) {
    uint8_t t = ret->f2.ptr[i];
    ret->f2.ptr[i] = ret->f2.ptr[j - 1];
    ret->f2.ptr[j - 1] = t;
  }
  T(upper)(s, &ret->f1);
}
