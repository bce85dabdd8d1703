// The string encodings of the canonical ABI's `string-encoding=` option, shared by the binary
// reader (canon options) and the canonical ABI (transcoding at the boundary).
#pragma once

#include <cstdint>

namespace lepton::component {

enum class StringEncoding : uint8_t { kUtf8, kUtf16, kLatin1Utf16 };

}  // namespace lepton::component
