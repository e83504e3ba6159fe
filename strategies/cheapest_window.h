#pragma once
// The cheapest single stretch of time to draw a given energy at a given power: what a homeowner asks
// ("22 kWh at 11 kW: when?") and what a charger without a schedule can be started for.
#include <optional>
#include <vector>

#include "strategies/site.h"

namespace hemd {

struct ChargingWindow {
  TimeMs start = 0;
  TimeMs end = 0;
  double cost_dkk = 0;
  double mean_dkk_per_kwh = 0;
};

// Over contiguous prices (a hole ends a stretch), the window of energy_kwh / power_kw hours, starting at
// an interval boundary, with the lowest cost; the last interval may be used in part. nullopt when no
// stretch is long enough.
std::optional<ChargingWindow> cheapest_window(const std::vector<PricePoint>& prices, double energy_kwh,
                                              double power_kw);

}  // namespace hemd
