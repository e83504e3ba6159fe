#pragma once
// A home battery behind the hybrid inverter: whose surplus it is, and whether it must hold its charge while a
// car charges from the grid. Pure: values in, a view out. Power is positive while a battery discharges.
#include <string>

#include "strategies/site.h"

namespace hemd {

struct BatteryParams {
  // Below this SoC the battery takes the surplus first; at or above it the cars do, and the battery's
  // charging power counts as surplus they may take.
  double priority_soc = 100;
  // Above this SoC a discharging battery may carry a PV-led car through a cloud; at or below it (and always
  // at 100) its discharge is never surplus.
  double buffer_soc = 100;
  double idle_w = 50;  // a battery within this of 0 W is neither charging nor discharging
};

struct BatteryView {
  bool present = false;
  bool trusted = true;       // every battery's power and SoC fresh and plausible
  double surplus_w = 0;      // added to what the grid meter says the cars could take (negative: taken away)
  double import_w = 0;       // discharge that counts as import for the PV cars' stop timer
  double discharge_w = 0;    // all batteries discharging now
  bool controllable = true;  // every discharging battery can be told to hold
  std::string rule;          // the rule that applied, for the cars' reasons and the summary
};

BatteryView battery_view(const SiteSnapshot& site, const BatteryParams& p, double max_age_ms);

// A car that charges from the grid now: mode `now`, or a smart plan's quarter-hour bought from the grid.
bool charges_from_grid(const ChargerState& c);

}  // namespace hemd
