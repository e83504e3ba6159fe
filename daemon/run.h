#pragma once
#include <string>

namespace hemd {

struct RunOptions {
  std::string config_path;
  bool config_given = false;
  bool demo = false;
  double speed = 1.0;
  std::string log_level;  // overrides the config when set
};

// The daemon: load config, open storage, start drivers, run the control loop until SIGTERM/SIGINT.
int run_daemon(const RunOptions& options);

}  // namespace hemd
