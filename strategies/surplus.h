#pragma once
// PV surplus: what the cars could draw without importing. Pure.
#include <string>
#include <vector>

#include "strategies/allocation.h"
#include "strategies/control.h"

namespace hemd {

struct SurplusView {
  // export + what the cars draw now, from the grid meter, with the home battery's share by its rules
  double now_w = 0;
  double calm_w = 0;    // the lowest surplus over the last ramp_up_s: falls at once, rises once it has lasted
  double import_w = 0;  // grid import, plus a battery's discharge that is not surplus
  std::string battery_rule;  // which battery rule applied; empty without a battery
  std::string summary;
};

SurplusView track_surplus(const SiteSnapshot& site, const ControlParams& p, ControlState& state,
                          const BatteryView& battery = {});

// Starts a PV-mode car after surplus for its minimum has lasted enable_delay_s, stops it after import above
// stop_import_w has lasted disable_delay_s. Returns whether it runs.
bool update_pv_timers(const SiteSnapshot& site, const ControlParams& p, const SurplusView& s,
                      const ChargerState& c, ControlState::PerCharger& timers);

// PV and min+PV cars share the surplus in watts; their minimums are always allowed (the timers decide when a
// PV car stops, not a passing cloud).
Constraint surplus_constraint(const SiteSnapshot& site, const SurplusView& s,
                              const std::vector<Claim>& claims);

double watts_per_amp(const SiteSnapshot& site, const ChargerState& c);

}  // namespace hemd
