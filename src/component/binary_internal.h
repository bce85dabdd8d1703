// Internal to src/component: readers of core wasm type syntax shared by the component parser
// (core type sections, module types) and the core module reader.
#pragma once

#include "component/binary_reader.h"
#include "component/binary_types.h"

namespace lepton::component::binary::detail {

CoreValType read_core_valtype(Reader& r);
// A core:rectype (0x4e vec(subtype) | subtype). In component core type sections a leading 0x00
// before a non-final 0x50 subtype must be consumed by the caller.
CoreRecGroup read_rec_group(Reader& r);
// A core:importdesc / core:externtype: kind byte + type.
CoreExternType read_core_extern_type(Reader& r);

// The component sort for a core extern kind (func → core func, ...).
Sort core_kind_sort(CoreExternKind kind);

}  // namespace lepton::component::binary::detail
