// Internal view of the wasi:sockets host's per-request objects (src/wasi2/sockets.cc), for tests.
#pragma once

#include <cstddef>

#include "component/host.h"

namespace lepton::wasi2 {

// Networks, sockets, datagram streams and resolve streams the request still holds.
size_t live_socket_objects(component::InstanceState& instance);

}  // namespace lepton::wasi2
