// Parsing of flag values shared by commands; every error names the flag and the bad value.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace lepton::cli {

// "500ms", "5s", "2m", "1h", "1m30s"; a bare number means seconds (as Spin's humantime).
Result<std::chrono::milliseconds> parse_duration(std::string_view flag, std::string_view text);

// "1048576", "512KiB", "64MiB", "4GiB", "100MB", "1G".
Result<uint64_t> parse_bytes(std::string_view flag, std::string_view text);

// --env K=V
Result<std::pair<std::string, std::string>> parse_env(std::string_view text);

// --variable k=v | k=@file | @file.json | @file.toml, merged into `into` (later wins).
Status parse_variable(std::string_view text, std::map<std::string, std::string>& into);

}  // namespace lepton::cli
