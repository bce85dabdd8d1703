// fermyon:spin/llm (2.0.0 and Spin 1's unversioned component interface): infer and
// generate-embeddings, answered by the app's llm::Engine ([llm_compute], src/llm). A model the
// component's `ai_models` does not list fails with invalid-input, in Spin's words, before any
// engine is asked.
#include <algorithm>

#include "factors/spin_component.h"
#include "llm/llm.h"

namespace lepton::factors {

using component::HostCall;
using component::Val;
namespace ty = component::ty;

namespace {

bool granted(HostCall& c, const std::string& model) {
  const SpinComponent* sc = c.instance.find<SpinComponent>();
  if (sc == nullptr || sc->ai_models == nullptr) return false;
  return std::find(sc->ai_models->begin(), sc->ai_models->end(), model) != sc->ai_models->end();
}

Val error_val(const llm::Error& e) {
  auto kind = static_cast<uint32_t>(e.kind);
  if (e.kind == llm::Error::Kind::kModelNotSupported) return Val::err(Val::variant(kind));
  return Val::err(Val::variant(kind, Val::string(e.message)));
}

}  // namespace

void register_spin_llm(component::HostRegistry& registry) {
  auto params = ty::record({{"max-tokens", ty::u32()},
                            {"repeat-penalty", ty::f32()},
                            {"repeat-penalty-last-n-token-count", ty::u32()},
                            {"temperature", ty::f32()},
                            {"top-k", ty::u32()},
                            {"top-p", ty::f32()}});
  auto error = ty::variant({{"model-not-supported", nullptr},
                            {"runtime-error", ty::string()},
                            {"invalid-input", ty::string()}});
  auto infer_result = ty::record({{"text", ty::string()},
                                  {"usage", ty::record({{"prompt-token-count", ty::u32()},
                                                        {"generated-token-count", ty::u32()}})}});
  auto embeddings_result = ty::record({{"embeddings", ty::list(ty::list(ty::f32()))},
                                       {"usage", ty::record({{"prompt-token-count", ty::u32()}})}});

  component::HostInterface& llm = registry.add("fermyon:spin/llm");
  llm.function(
      "infer",
      ty::func({{"model", ty::string()}, {"prompt", ty::string()}, {"params", ty::option(params)}},
               {ty::result(infer_result, error)}),
      [](HostCall& c) -> Status {
        if (c.args.size() != 3) return fail("llm.infer: expected 3 arguments");
        const std::string& model = c.args[0].as_string();
        if (!granted(c, model)) {
          c.results.push_back(error_val(llm::access_denied(model)));
          return {};
        }
        llm::Params p;
        if (c.args[2].case_index() == 1) {
          auto f = c.args[2].payload()->items();
          p.max_tokens = static_cast<uint32_t>(f[0].as_uint());
          p.repeat_penalty = f[1].as_f32();
          p.repeat_penalty_last_n_token_count = static_cast<uint32_t>(f[2].as_uint());
          p.temperature = f[3].as_f32();
          p.top_k = static_cast<uint32_t>(f[4].as_uint());
          p.top_p = f[5].as_f32();
        }
        auto out = llm::engine()->infer(model, c.args[1].as_string(), p);
        if (auto* e = std::get_if<llm::Error>(&out)) {
          c.results.push_back(error_val(*e));
          return {};
        }
        auto& r = std::get<llm::InferResult>(out);
        c.results.push_back(Val::ok(Val::record(
            {Val::string(std::move(r.text)),
             Val::record({Val::u32(r.prompt_token_count), Val::u32(r.generated_token_count)})})));
        return {};
      });
  llm.function("generate-embeddings",
               ty::func({{"model", ty::string()}, {"text", ty::list(ty::string())}},
                        {ty::result(embeddings_result, error)}),
               [](HostCall& c) -> Status {
                 if (c.args.size() != 2)
                   return fail("llm.generate-embeddings: expected 2 arguments");
                 const std::string& model = c.args[0].as_string();
                 if (!granted(c, model)) {
                   c.results.push_back(error_val(llm::access_denied(model)));
                   return {};
                 }
                 std::vector<std::string> data;
                 for (const Val& v : c.args[1].items()) data.push_back(v.as_string());
                 auto out = llm::engine()->generate_embeddings(model, data);
                 if (auto* e = std::get_if<llm::Error>(&out)) {
                   c.results.push_back(error_val(*e));
                   return {};
                 }
                 auto& r = std::get<llm::EmbeddingsResult>(out);
                 std::vector<Val> rows;
                 for (const auto& row : r.embeddings) {
                   std::vector<Val> values;
                   for (float f : row) values.push_back(Val::f32(f));
                   rows.push_back(Val::list(std::move(values)));
                 }
                 c.results.push_back(Val::ok(Val::record(
                     {Val::list(std::move(rows)), Val::record({Val::u32(r.prompt_token_count)})})));
                 return {};
               });
}

}  // namespace lepton::factors
