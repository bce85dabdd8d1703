// Helpers for component reader tests: fixture loading and a tiny byte builder for hand-made
// (usually malformed) components.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace lepton::component::test_bytes {

using Bytes = std::vector<uint8_t>;

inline std::string fixture_path(std::string_view name) {
  return std::string(LEPTON_COMPONENT_FIXTURES) + "/" + std::string(name);
}

inline Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline Bytes fixture(std::string_view name) {
  Bytes b = read_file(fixture_path(name));
  EXPECT_FALSE(b.empty()) << "missing fixture " << fixture_path(name);
  return b;
}

inline void leb(Bytes& out, uint64_t v) {
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    out.push_back(v ? (b | 0x80) : b);
  } while (v);
}

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Bytes str(std::string_view s) {
  Bytes out;
  leb(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

inline Bytes u(uint64_t v) {
  Bytes out;
  leb(out, v);
  return out;
}

inline Bytes preamble() { return {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00}; }

inline Bytes section(uint8_t id, const Bytes& payload) {
  Bytes out{id};
  leb(out, payload.size());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

// A vec(...) of already-encoded items.
inline Bytes vec(std::initializer_list<Bytes> items) {
  Bytes out = u(items.size());
  for (const auto& i : items) out.insert(out.end(), i.begin(), i.end());
  return out;
}

inline Bytes component(std::initializer_list<Bytes> sections) {
  Bytes out = preamble();
  for (const auto& s : sections) out.insert(out.end(), s.begin(), s.end());
  return out;
}

}  // namespace lepton::component::test_bytes
