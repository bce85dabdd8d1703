// libFuzzer target: arbitrary bytes through parse_request (Beast's parser with the server's limits
// and our Beast->Request conversion). Besides crashes and sanitizer reports, it checks the
// invariants the router relies on.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/request_parser.h"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lepton::http;
  // Smaller than the server's defaults so the fuzzer reaches the limits.
  const Limits limits{.max_header_bytes = 4 * 1024, .max_body_bytes = 16 * 1024};
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto result = parse_request(bytes, limits);
  if (!result.ok()) {
    check(!result.error().message.empty());
    return 0;
  }
  const Request& request = *result;
  check(!request.method.empty());
  check(request.body.size() <= limits.max_body_bytes);
  check(request.target.size() <= limits.max_header_bytes);
  // An origin-form target is exactly path ['?' query].
  if (!request.target.empty() && request.target.front() == '/') {
    check(request.path.find('?') == std::string::npos);
    std::string rebuilt = request.path;
    if (request.target.size() > request.path.size()) rebuilt += "?" + request.query;
    check(rebuilt == request.target);
  }
  for (const Header& header : request.headers) {
    check(!header.name.empty());
    for (char c : header.name) check(!(c >= 'A' && c <= 'Z'));
    check(header.value.find_first_of("\r\n") == std::string::npos);
    check(request.header(header.name).has_value());
  }
  return 0;
}
