// wasi_snapshot_preview1 for core modules adapted to components at load (component/linker.h):
// lepton's preview 1 (src/wasi) served directly, with a context built per instance from the same
// Config the WASI 0.2 interfaces use, so args, env, files and stdout/stderr agree with them.
#include "wasi/preview1.h"

#include <wasmtime.h>

#include "engine/store.h"
#include "wasi2/host_util.h"
#include "wasi2/wasi2.h"

namespace lepton::wasi2 {

namespace {

// The instance's preview 1 context; it leaves the store's data when the instance ends.
class Preview1State {
 public:
  Preview1State(wasi::Preview1CtxPtr ctx, wasmtime_context_t* store)
      : ctx_(std::move(ctx)), store_(store) {
    wasi::attach(*ctx_, store_);
  }
  ~Preview1State() {
    auto& data = engine::StoreData::of(store_);
    if (data.get<wasi::Preview1Ctx>() == ctx_.get()) data.set<wasi::Preview1Ctx>(nullptr);
  }
  Preview1State(const Preview1State&) = delete;
  Preview1State& operator=(const Preview1State&) = delete;
  const wasi::Preview1Ctx& ctx() const { return *ctx_; }

 private:
  wasi::Preview1CtxPtr ctx_;
  wasmtime_context_t* store_;
};

}  // namespace

namespace detail {
std::optional<int> preview1_exit_code(const component::InstanceState& instance) {
  const Preview1State* s = instance.find<Preview1State>();
  return s != nullptr ? wasi::exit_code(s->ctx()) : std::nullopt;
}
}  // namespace detail

void register_preview1(component::HostRegistry& registry) {
  component::CoreImportProvider p;
  p.module = "wasi_snapshot_preview1";
  p.functions = wasi::preview1_function_names();
  p.define = [](wasmtime_linker_t* linker) { return wasi::define_preview1(linker); };
  p.attach = [](component::InstanceState& instance, wasmtime_context_t* store) {
    wasi::Preview1Config config;
    if (const Config* c = instance.find<Config>()) {
      config.args = c->args;
      config.env = c->env;
      config.files = c->files;
      config.stdin_data = c->stdin_data;
      config.stdout_sink = c->stdout_sink;
      config.stderr_sink = c->stderr_sink;
      config.sleep_deadline = c->deadline;
    }
    instance.emplace(
        std::make_unique<Preview1State>(wasi::make_preview1(std::move(config)), store));
  };
  registry.add_core_imports(std::move(p));
}

}  // namespace lepton::wasi2
