// llm: wasi:http/incoming-handler@0.2.3 over fermyon:spin/llm@2.0.0.
//   /infer/<model>?<prompt>       infer without params; 200 "<text>|<prompt tokens>|<generated>"
//   /infer-opts/<model>?<prompt>  infer with params {max-tokens 7, repeat-penalty 1.5,
//                                 last-n 3, temperature 0.25, top-k 5, top-p 0.5}
//   /embed/<model>?<a>,<b>,...    generate-embeddings; 200 "<v>,<v>;<v>,<v>|<prompt tokens>"
//                                 (each value printed with %g)
// The prompt and texts are taken verbatim from the query (no percent-decoding).
// An error answers 500 "<case>: <message>" (model-not-supported, runtime-error, invalid-input).
#include <stdio.h>
#include <string.h>

#include "llm_handler.h"
#define LEPTON_WORLD_STRING llm_handler_string_t
#define LEPTON_WORLD_BYTES llm_handler_list_u8_t
#define LEPTON_WORLD_STRING_SET llm_handler_string_set
#include "guest_util.h"

static char body[65536];

static void fail(wasi_http_types_own_response_outparam_t out, fermyon_spin_llm_error_t* e) {
  int len;
  switch (e->tag) {
    case FERMYON_SPIN_LLM_ERROR_MODEL_NOT_SUPPORTED:
      len = snprintf(body, sizeof body, "model-not-supported");
      break;
    case FERMYON_SPIN_LLM_ERROR_RUNTIME_ERROR:
      len = snprintf(body, sizeof body, "runtime-error: %.*s", (int)e->val.runtime_error.len,
                     (const char*)e->val.runtime_error.ptr);
      break;
    default:
      len = snprintf(body, sizeof body, "invalid-input: %.*s", (int)e->val.invalid_input.len,
                     (const char*)e->val.invalid_input.ptr);
      break;
  }
  fermyon_spin_llm_error_free(e);
  lepton_respond(out, 500, "text/plain", body, (size_t)len);
}

void exports_wasi_http_incoming_handler_handle(wasi_http_types_own_incoming_request_t request,
                                               wasi_http_types_own_response_outparam_t out) {
  static char path[8192];
  path[0] = 0;
  str_t s;
  if (wasi_http_types_method_incoming_request_path_with_query(
          wasi_http_types_borrow_incoming_request(request), &s)) {
    size_t n = s.len < sizeof path - 1 ? s.len : sizeof path - 1;
    memcpy(path, s.ptr, n);
    path[n] = 0;
    llm_handler_string_free(&s);
  }
  wasi_http_types_incoming_request_drop_own(request);

  char* query = strchr(path, '?');
  if (query)
    *query++ = 0;
  else
    query = "";
  char* op = path[0] == '/' ? path + 1 : path;
  char* model = strchr(op, '/');
  if (!model) {
    lepton_respond(out, 400, "text/plain", "bad path", 8);
    return;
  }
  *model++ = 0;

  llm_handler_string_t m;
  llm_handler_string_set(&m, model);
  fermyon_spin_llm_error_t err;
  if (strcmp(op, "infer") == 0 || strcmp(op, "infer-opts") == 0) {
    llm_handler_string_t prompt;
    llm_handler_string_set(&prompt, query);
    fermyon_spin_llm_inferencing_params_t params;
    params.max_tokens = 7;
    params.repeat_penalty = 1.5f;
    params.repeat_penalty_last_n_token_count = 3;
    params.temperature = 0.25f;
    params.top_k = 5;
    params.top_p = 0.5f;
    // option<inferencing-params>: a null pointer is none.
    fermyon_spin_llm_inferencing_params_t* maybe = strcmp(op, "infer-opts") == 0 ? &params : NULL;
    fermyon_spin_llm_inferencing_result_t result;
    if (!fermyon_spin_llm_infer(&m, &prompt, maybe, &result, &err)) return fail(out, &err);
    int len = snprintf(body, sizeof body, "%.*s|%u|%u", (int)result.text.len,
                       (const char*)result.text.ptr, result.usage.prompt_token_count,
                       result.usage.generated_token_count);
    fermyon_spin_llm_inferencing_result_free(&result);
    lepton_respond(out, 200, "text/plain", body, (size_t)len);
  } else if (strcmp(op, "embed") == 0) {
    llm_handler_string_t texts[16];
    size_t count = 0;
    for (char* t = query; t && count < 16;) {
      char* comma = strchr(t, ',');
      if (comma) *comma = 0;
      llm_handler_string_set(&texts[count++], t);
      t = comma ? comma + 1 : NULL;
    }
    llm_handler_list_string_t list = {texts, count};
    fermyon_spin_llm_embeddings_result_t result;
    if (!fermyon_spin_llm_generate_embeddings(&m, &list, &result, &err)) return fail(out, &err);
    size_t len = 0;
    for (size_t i = 0; i < result.embeddings.len; ++i) {
      if (i) len += (size_t)snprintf(body + len, sizeof body - len, ";");
      for (size_t j = 0; j < result.embeddings.ptr[i].len; ++j)
        len += (size_t)snprintf(body + len, sizeof body - len, "%s%g", j ? "," : "",
                                (double)result.embeddings.ptr[i].ptr[j]);
    }
    len += (size_t)snprintf(body + len, sizeof body - len, "|%u", result.usage.prompt_token_count);
    fermyon_spin_llm_embeddings_result_free(&result);
    lepton_respond(out, 200, "text/plain", body, len);
  } else {
    lepton_respond(out, 404, "text/plain", "unknown op", 10);
  }
}
