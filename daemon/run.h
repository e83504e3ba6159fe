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

// The exit status of a configuration hemd cannot start with: LSB's "program is not configured", which
// systemctl shows as 6/NOTCONFIGURED. The unit does not restart on it (RestartPreventExitStatus=6): an edit
// is needed, not another try every few seconds.
inline constexpr int exit_not_configured = 6;

// The daemon: load config, open storage, start drivers, run the control loop until SIGTERM/SIGINT.
int run_daemon(const RunOptions& options);

}  // namespace hemd
