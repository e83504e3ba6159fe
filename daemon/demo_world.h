#pragma once
// What `hemd --demo` changes around the daemon: a database of its own in a fresh /tmp folder (removed when
// hemd stops), a clock that starts at 07:00 today at the first cycle and runs `speed` times faster than the
// wall clock, and the simulated house (daemon/simulated_site.h) that the config's meters are pointed at.
#include <memory>
#include <string>

#include "config/config.h"
#include "daemon/ports.h"
#include "daemon/simulated_site.h"

namespace hemd {

class DemoWorld {
 public:
  // Outside a demo: the wall clock, and nothing else changes.
  DemoWorld(bool demo, double speed);
  ~DemoWorld();  // removes the demo's database
  DemoWorld(const DemoWorld&) = delete;
  DemoWorld& operator=(const DemoWorld&) = delete;

  bool on() const { return demo_; }
  // How many times faster than the wall clock time runs: the demo's speed, or 1.
  double time_scale() const { return demo_ ? speed_ : 1.0; }
  // Points storage at the demo's own database.
  void use_own_database(config::Config& cfg) const;
  // Starts the simulated inverter, grid meter and charger's car, and points the config's meters and OCPP
  // listener at them (loopback, any free port); throws std::runtime_error.
  std::unique_ptr<SimulatedSite> start_site(config::Config& cfg) const;
  TimeMs now();
  // The demo's one line per cycle, on stdout.
  void show(TimeMs t, const std::string& status_line) const;

 private:
  bool demo_;
  double speed_;
  std::string database_;
  TimeMs first_cycle_wall_ = 0;
};

}  // namespace hemd
