#include "factors/registry.h"

#include "factors/spin_component.h"
#include "factors/spin_redis_types.h"
#include "wasi/preview1.h"
#include "wasi2/wasi2.h"
#include "wasi_http/wasi_http.h"

namespace lepton::factors {

Status define_all(wasmtime_linker_t* linker) {
  LEPTON_CHECK(wasi::define_preview1(linker));
  LEPTON_CHECK(define_spin1_config(linker));
  LEPTON_CHECK(define_spin1_outbound_http(linker));
  LEPTON_CHECK(define_spin1_outbound_redis(linker));
  LEPTON_CHECK(define_spin1_key_value(linker));
  LEPTON_CHECK(define_spin1_outbound_mysql(linker));
  LEPTON_CHECK(define_spin1_sqlite(linker));
  LEPTON_CHECK(define_spin1_outbound_pg(linker));
  return {};
}

void register_all(component::HostRegistry& registry) {
  wasi2::register_wasi(registry);
  wasi_http::register_http(registry);
  register_spin_variables(registry);
  register_spin_redis(registry);
  register_key_value(registry);
  register_spin_redis_types(registry);
  register_spin_mysql(registry);
  register_spin_mqtt(registry);
  register_spin_sqlite(registry);
  register_spin_postgres(registry);
  register_spin_llm(registry);
}

}  // namespace lepton::factors
