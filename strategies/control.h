#pragma once
// One control cycle: snapshot in, per-charger limits out. Pure: no I/O, no clock.
#include <map>
#include <string>

#include "strategies/decision.h"
#include "strategies/site.h"

namespace hemd {

struct ControlParams {
  double enable_delay_s = 60;    // surplus must last this long before a paused car starts
  double disable_delay_s = 180;  // import must last this long before a PV-only car stops
  double stop_import_w = 300;    // tolerated import before the disable timer runs
  double fuse_margin_a = 0.5;    // kept free on every phase for meter lag
  double stale_after_s = 10;     // older grid readings are not trusted
};

// What survives from one cycle to the next (timers). Owned by the caller, changed only by decide().
struct ControlState {
  struct PerCharger {
    TimeMs surplus_since = -1;
    TimeMs import_since = -1;
    bool running = false;
  };
  std::map<std::string, PerCharger> chargers;
};

Decision decide(const SiteSnapshot& site, const ControlParams& params, ControlState& state);

}  // namespace hemd
