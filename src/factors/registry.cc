#include "factors/registry.h"

#include "wasi/preview1.h"

namespace lepton::factors {

Status define_all(wasmtime_linker_t* linker) {
  LEPTON_CHECK(wasi::define_preview1(linker));
  LEPTON_CHECK(define_spin1_config(linker));
  LEPTON_CHECK(define_spin1_outbound_http(linker));
  return {};
}

}  // namespace lepton::factors
