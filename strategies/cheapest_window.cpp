#include "strategies/cheapest_window.h"

namespace hemd {

std::optional<ChargingWindow> cheapest_window(const std::vector<PricePoint>& prices, double energy_kwh,
                                              double power_kw) {
  if (energy_kwh <= 0 || power_kw <= 0) return std::nullopt;
  const double hours_needed = energy_kwh / power_kw;
  std::optional<ChargingWindow> best;
  // Quadratic in the number of intervals, which is at most a few hundred (two days of quarter-hours).
  for (std::size_t first = 0; first < prices.size(); ++first) {
    double hours_left = hours_needed, cost = 0;
    TimeMs end = prices[first].start;
    for (std::size_t i = first; i < prices.size() && hours_left > 1e-9; ++i) {
      if (prices[i].start != end) break;  // a hole in the prices
      const double slot_h = static_cast<double>(prices[i].end - prices[i].start) / 3.6e6;
      const double used_h = std::min(slot_h, hours_left);
      cost += used_h * power_kw * prices[i].import_dkk_per_kwh;
      hours_left -= used_h;
      end = used_h < slot_h ? prices[i].start + static_cast<TimeMs>(used_h * 3.6e6 + 0.5) : prices[i].end;
      if (used_h < slot_h) break;
    }
    if (hours_left > 1e-9) continue;
    if (!best || cost < best->cost_dkk - 1e-12)
      best = ChargingWindow{prices[first].start, end, cost, cost / energy_kwh};
  }
  return best;
}

}  // namespace hemd
