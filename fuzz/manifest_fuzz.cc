// libFuzzer target: arbitrary bytes as spin.toml must never crash, hang or throw out of
// manifest::parse. The manifest "lives" in a directory that does not exist, so file mounts expand
// to nothing (or fail) without walking the real filesystem.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "manifest/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::filesystem::path path = "/nonexistent-lepton-fuzz/app/spin.toml";

  auto app = lepton::manifest::parse(text, path);
  if (app.ok()) {
    // Touch the result so the model is fully built.
    size_t n = app->components.size() + app->http_triggers.size() + app->redis_triggers.size();
    (void)n;
  } else {
    (void)app.error().message.size();
  }

  lepton::manifest::Options options;
  options.expand_files = false;
  options.profile = "debug";
  auto with_profile = lepton::manifest::parse(text, path, options);
  (void)with_profile.ok();
  return 0;
}
