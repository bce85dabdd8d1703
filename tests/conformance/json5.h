// A small JSON5 reader for the conformance suite's test.json5 files: rewrites JSON5 text as JSON
// for nlohmann::json. Handles what JSON5 adds to JSON: // and /* */ comments, trailing commas,
// unquoted (identifier) keys, single-quoted strings, hexadecimal numbers, leading/trailing
// decimal points, a leading '+', Infinity/NaN (rejected: JSON has no spelling for them), and
// escaped line breaks in strings.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace lepton::testing {

// JSON text equal in meaning to `json5`; errors name the line and column.
Result<std::string> json5_to_json(std::string_view json5);

}  // namespace lepton::testing
