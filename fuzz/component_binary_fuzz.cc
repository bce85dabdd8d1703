// Fuzzes the component binary reader: any input must give a component or a clean error, never a
// crash, an out-of-bounds read or unbounded allocation. Successful parses are also dumped and
// their embedded core modules listed, to cover the model's consumers.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "component/binary.h"

namespace {

void run(std::span<const uint8_t> bytes) {
  using namespace lepton::component::binary;
  auto parsed = parse_component(bytes);
  if (!parsed.ok()) return;
  (void)describe(*parsed);
  for (const auto& m : parsed->core_modules) (void)parse_core_module(bytes, m);
  for (const auto& e : parsed->exports) (void)split_extern_name(e.name.name);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  run(bytes);
  // Mutations rarely keep the 8-byte preamble intact: also read the input as the body of a
  // component, so the fuzzer spends its time in the sections.
  std::vector<uint8_t> with_preamble = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};
  with_preamble.insert(with_preamble.end(), data, data + size);
  run(with_preamble);
  (void)lepton::component::binary::parse_core_module(bytes, 0);
  return 0;
}
