// fermyon:spin/redis-types: types only (error, payload, redis-parameter, redis-result). Redis
// trigger components import it because their inbound-redis export uses its types.
#pragma once

#include "component/host.h"

namespace lepton::factors {

void register_spin_redis_types(component::HostRegistry& registry);

}  // namespace lepton::factors
