#include "strategies/savings.h"

#include <algorithm>

namespace hemd {

namespace {

const PricePoint* price_at(const std::vector<PricePoint>& prices, TimeMs t) {
  auto it = std::upper_bound(prices.begin(), prices.end(), t,
                             [](TimeMs v, const PricePoint& p) { return v < p.start; });
  if (it == prices.begin()) return nullptr;
  --it;
  return t < it->end ? &*it : nullptr;
}

// Cost of `car_kwh` drawn in one interval whose PV surplus (after the house) was `surplus_kwh`; false when
// no price is known then.
bool add_cost(const std::vector<PricePoint>& prices, TimeMs t, double car_kwh, double surplus_kwh,
              double& cost, double* from_pv = nullptr) {
  const double pv = std::clamp(surplus_kwh, 0.0, car_kwh);
  if (from_pv) *from_pv += pv;
  const PricePoint* p = price_at(prices, t);
  if (!p) return false;
  cost += (car_kwh - pv) * p->import_dkk_per_kwh + pv * p->export_dkk_per_kwh;
  return true;
}

}  // namespace

ChargingFigures charging_figures(const std::vector<SiteInterval>& intervals,
                                 const std::vector<ChargedSession>& sessions,
                                 const std::vector<PricePoint>& prices) {
  ChargingFigures f;
  for (const auto& i : intervals) {
    const double hours = i.seconds / 3600.0;
    const double car = std::max(0.0, i.cars_w) * hours / 1000;
    if (car <= 0) continue;
    const double surplus = (i.pv_w - i.house_w) * hours / 1000;
    f.charged_kwh += car;
    if (!add_cost(prices, i.start, car, surplus, f.cost_dkk, &f.from_pv_kwh)) f.unpriced_kwh += car;
  }
  f.from_grid_kwh = f.charged_kwh - f.from_pv_kwh;
  // On arrival: each session's energy at the charger's full power from its start, with the PV that was
  // there then (what other cars did not take is not known, so each session has the whole surplus).
  for (const auto& s : sessions) {
    ++f.sessions;
    f.by_charger_kwh[s.charger_id] += s.energy_wh / 1000;
    double left = s.energy_wh / 1000;
    auto it =
        std::lower_bound(intervals.begin(), intervals.end(), s.start,
                         [](const SiteInterval& i, TimeMs t) { return i.start + i.seconds * 1000 <= t; });
    TimeMs t = s.start;
    while (left > 1e-9 && s.max_power_w > 0) {
      const bool recorded = it != intervals.end() && it->start <= t;
      // Beyond the record (or in a gap) a quarter-hour at a time, without PV.
      const TimeMs end = recorded ? it->start + static_cast<TimeMs>(it->seconds * 1000) : t + 15 * 60'000;
      const double hours = (end - t) / 3600'000.0;
      const double kwh = std::min(left, s.max_power_w * hours / 1000);
      const double surplus = recorded ? (it->pv_w - it->house_w) * hours / 1000 : 0.0;
      add_cost(prices, t, kwh, surplus, f.on_arrival_cost_dkk);
      left -= kwh;
      t = end;
      if (recorded) ++it;
      if (t - s.start > 7 * 86'400'000LL) break;  // a session record that cannot be right
    }
  }
  return f;
}

}  // namespace hemd
