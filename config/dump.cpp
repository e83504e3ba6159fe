// The resolved config as YAML for `hemd --check-config`, written by the keys' declarations (config/keys.cpp);
// secrets are masked there, so they never leave this file unmasked.
#include "config/schema.h"

namespace hemd::config {

std::string to_yaml(const Config& c) {
  YAML::Emitter e;
  schema::config_file().write(e, c);
  return std::string(e.c_str()) + "\n";
}

}  // namespace hemd::config
