// fermyon:spin/redis-types: an interface of types only (error, payload, redis-parameter,
// redis-result). A Redis trigger component imports it (unversioned from Spin 2/3 SDKs) because
// its inbound-redis export uses those types; there is nothing to link, but the import must be
// known.
#include "factors/spin_redis_types.h"

namespace lepton::factors {

void register_spin_redis_types(component::HostRegistry& registry) {
  registry.add("fermyon:spin/redis-types");
}

}  // namespace lepton::factors
