#include "cli/flags.h"

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace lepton::cli {

namespace {

Result<std::string> read_all(std::string_view flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("{}: cannot read file '{}'", flag, path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string scalar_to_string(const toml::node& node) {
  if (auto s = node.value<std::string>()) return *s;
  std::ostringstream ss;
  if (auto b = node.as_boolean()) return b->get() ? "true" : "false";
  if (auto i = node.as_integer()) return std::to_string(i->get());
  if (auto f = node.as_floating_point()) ss << f->get();
  return ss.str();
}

}  // namespace

Result<std::chrono::milliseconds> parse_duration(std::string_view flag, std::string_view text) {
  if (text.empty()) return fail("{}: empty duration", flag);
  double total_ms = 0;
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    if (start == i) return fail("{}: '{}' is not a duration (like 500ms, 5s, 2m)", flag, text);
    double value = 0;
    auto [p, ec] = std::from_chars(text.data() + start, text.data() + i, value);
    if (ec != std::errc() || p != text.data() + i)
      return fail("{}: '{}' is not a duration (like 500ms, 5s, 2m)", flag, text);
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    double scale;
    if (unit.empty() || unit == "s" || unit == "sec" || unit == "secs") scale = 1000;
    else if (unit == "ms") scale = 1;
    else if (unit == "m" || unit == "min" || unit == "mins") scale = 60'000;
    else if (unit == "h" || unit == "hr") scale = 3'600'000;
    else if (unit == "us") scale = 0.001;
    else return fail("{}: unknown time unit '{}' in '{}' (use ms, s, m or h)", flag, unit, text);
    total_ms += value * scale;
    any = true;
  }
  if (!any || total_ms <= 0) return fail("{}: duration '{}' must be positive", flag, text);
  return std::chrono::milliseconds(static_cast<int64_t>(total_ms + 0.5));
}

Result<uint64_t> parse_bytes(std::string_view flag, std::string_view text) {
  uint64_t value = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || p == text.data())
    return fail("{}: '{}' is not a size (like 1048576, 64MiB, 4GiB)", flag, text);
  std::string_view unit(p, text.data() + text.size() - p);
  uint64_t scale;
  if (unit.empty() || unit == "B") scale = 1;
  else if (unit == "KiB" || unit == "K" || unit == "k") scale = 1ull << 10;
  else if (unit == "MiB" || unit == "M") scale = 1ull << 20;
  else if (unit == "GiB" || unit == "G") scale = 1ull << 30;
  else if (unit == "KB" || unit == "kB") scale = 1000;
  else if (unit == "MB") scale = 1000 * 1000;
  else if (unit == "GB") scale = 1000ull * 1000 * 1000;
  else return fail("{}: unknown size unit '{}' in '{}'", flag, unit, text);
  if (value > UINT64_MAX / scale) return fail("{}: size '{}' is too large", flag, text);
  return value * scale;
}

Result<std::pair<std::string, std::string>> parse_env(std::string_view text) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0)
    return fail("--env: '{}' is not of the form KEY=VALUE", text);
  return std::pair{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

Status parse_variable(std::string_view text, std::map<std::string, std::string>& into) {
  if (text.starts_with("@")) {
    std::string path(text.substr(1));
    LEPTON_TRY(std::string content, read_all("--variable", path));
    if (path.ends_with(".json")) {
      auto json = nlohmann::json::parse(content, nullptr, false);
      if (json.is_discarded() || !json.is_object())
        return fail("--variable: '{}' is not a JSON object of variables", path);
      for (auto& [k, v] : json.items())
        into[k] = v.is_string() ? v.get<std::string>() : v.dump();
      return {};
    }
    if (path.ends_with(".toml")) {
      toml::table parsed;
      try {
        parsed = toml::parse(content, path);
      } catch (const toml::parse_error& e) {
        return fail("--variable: {}:{}:{}: {}", path, e.source().begin.line,
                    e.source().begin.column, e.description());
      }
      for (auto& [k, v] : parsed) into[std::string(k.str())] = scalar_to_string(v);
      return {};
    }
    return fail("--variable: '{}' must end in .json or .toml (or use key=@file)", path);
  }
  auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0)
    return fail("--variable: '{}' is not of the form key=value, key=@file or @file.json", text);
  std::string key(text.substr(0, eq));
  std::string_view value = text.substr(eq + 1);
  if (value.starts_with("@")) {
    LEPTON_TRY(into[key], read_all("--variable", std::string(value.substr(1))));
  } else {
    into[key] = std::string(value);
  }
  return {};
}

}  // namespace lepton::cli
