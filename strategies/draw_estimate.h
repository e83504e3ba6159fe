#pragma once
// What each car draws now. A charger reports it every 10-60 s (MeterValues); hemd changes a limit within a
// second and the car follows within a few (IEC 61851-1 gives it 5 s). Between a change and the next report
// the grid meter already shows the new draw while the charger still reports the old one. Counting the old
// figure would take a cut for a smaller house load (and hand the current straight back), or a raise for a
// drop in surplus (and take it back). Pure.
#include <map>
#include <string>

#include "strategies/site.h"

namespace hemd {

struct DrawMemory {
  struct Limit {
    double amps = 0;
    double before_a = 0;     // the limit before the last change
    TimeMs changed_at = -1;  // -1: no change seen yet
  };
  std::map<std::string, Limit> chargers;
};

// How long a car takes to follow a new limit; a report older than that after a change is stale.
constexpr TimeMs car_follows_ms = 5000;

// The snapshot with each car's draw as it most likely is: the charger's report when it came after the car
// followed the last change of its limit; otherwise, never more than a limit lower than the report, and the
// new limit when the car was using the old one in full (it takes a raise). Remembers the limits in `memory`.
SiteSnapshot with_estimated_draw(const SiteSnapshot& site, DrawMemory& memory);

}  // namespace hemd
