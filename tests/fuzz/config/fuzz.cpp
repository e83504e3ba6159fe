// The whole YAML config, as an installer (or a broken editor) may write it: every input gets a config or a
// list of errors naming file, line and key; nothing throws, and a valid config prints back as YAML.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto r = hemd::config::load_string(text, "fuzz.yaml");
  if (r.config.has_value() == !r.errors.empty()) std::abort();  // a config, or errors: never both, never none
  for (const auto& e : r.errors) {
    if (e.message.empty() || e.file != "fuzz.yaml") std::abort();
    const std::string line = e.to_string();
    for (char c : line)
      if (c == '\n') std::abort();  // one error, one line
  }
  if (r.config) {
    const auto& c = *r.config;
    if (!(c.site.main_fuse_a > 0) || c.chargers.size() > 10000) std::abort();
    for (const auto& ch : c.chargers)
      if (!(ch.min_current_a <= ch.max_current_a)) std::abort();
    (void)hemd::config::to_yaml(c);
  }
  return 0;
}
