#pragma once
// One control cycle: snapshot in, per-charger limits out. Pure: no I/O, no clock.
#include <deque>
#include <map>
#include <string>
#include <utility>

#include "strategies/allocation.h"
#include "strategies/battery.h"
#include "strategies/decision.h"
#include "strategies/draw_estimate.h"
#include "strategies/site.h"
#include "strategies/sleeping_car.h"

namespace hemd {

struct ControlParams {
  double enable_delay_s = 60;    // surplus must last this long before a paused PV car starts
  double disable_delay_s = 180;  // import must last this long before a PV-only car stops
  double stop_import_w = 300;    // tolerated import before the disable timer runs
  double fuse_margin_a = 0.5;    // kept free on every phase for meter lag
  // Older grid readings are not trusted: the grid meter's own `stale_after_s`, so that the config's one
  // limit holds however the snapshot was filled.
  double stale_after_s = 5;
  // Surplus that rises is followed once it has lasted this long; surplus that falls is followed at once.
  // Passing clouds then move the limit down and back up once instead of every few seconds.
  double ramp_up_s = 10;
  double phase_switch_delay_s = 120;         // the surplus must stay in the other band this long
  double min_phase_switch_interval_s = 600;  // contactors rest at least this long between switches
  SharingPolicy sharing = SharingPolicy::fair;
  BatteryParams battery;  // whose surplus it is when the site has a home battery
  SleepParams sleep;      // when a car that does not follow a raise is woken, and given up on
};

// What survives from one cycle to the next. Owned by the caller, changed only by decide().
struct ControlState {
  struct PerCharger {
    TimeMs surplus_since = -1;
    TimeMs import_since = -1;
    bool running = false;  // a PV-mode car that has been started
    int phases = 0;        // chosen for a switchable charger (0: not yet)
    TimeMs phases_wanted_since = -1;
    TimeMs phases_switched_at = -1;
  };
  std::map<std::string, PerCharger> chargers;
  std::deque<std::pair<TimeMs, double>> surplus_w;  // recent surplus samples, for ramp_up_s
  DrawMemory draw;                                  // the chargers' limits, for what their cars draw
  std::map<std::string, SleepWatch> sleep;          // per charger: is its car following the raises
};

Decision decide(const SiteSnapshot& site, const ControlParams& params, ControlState& state);

// Independent of modes and plans: cuts chargers on any phase whose measured current is above the fuse.
void fuse_guard(const SiteSnapshot& site, const ControlParams& params, Decision& decision);

// Current a charger's car loads on grid phase `ph` per ampere of limit (0 or 1).
bool loads_phase(const SiteSnapshot& site, const ChargerState& c, int ph);

}  // namespace hemd
