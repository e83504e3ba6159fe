#pragma once
// The planner's parts, shared by its files: slot arithmetic, the best plan found so far, and the search of a
// fleet's joint plan over the min-cost flow. Not for use outside strategies/planner*.
#include <functional>
#include <limits>
#include <vector>

#include "strategies/one_car_plan.h"
#include "strategies/planner.h"

namespace hemd::plan {

inline double hours(TimeMs a, TimeMs b) {
  return static_cast<double>(b - a) / 3.6e6;
}

// Hours of slot `s` before `departure`.
inline double usable_h(const PlanSlot& s, TimeMs departure) {
  return std::max(0.0, hours(s.start, std::min(s.end, departure)));
}

// How far a car's minimum may force it past its need: one slot at its minimum.
inline double forced_wh(const std::vector<PlanSlot>& slots, const CarNeed& car) {
  double most = 0;
  for (const auto& s : slots) most = std::max(most, car.min_w * usable_h(s, car.departure));
  return most;
}

inline double surplus_cap_wh(const PlanSlot& s) {
  return std::min(std::max(0.0, s.surplus_w), std::max(0.0, s.headroom_w)) * hours(s.start, s.end);
}
inline double grid_cap_wh(const PlanSlot& s) {
  return std::max(0.0, s.headroom_w - std::max(0.0, s.surplus_w)) * hours(s.start, s.end);
}

// Per-slot cost of a total energy: surplus tier first.
inline double slot_cost(const PlanSlot& s, double total_wh) {
  const double from_surplus = std::min(total_wh, surplus_cap_wh(s));
  return (from_surplus * s.export_dkk_per_kwh + (total_wh - from_surplus) * s.import_dkk_per_kwh) / 1000.0;
}

// What slot t offers a car when the other cars already take `others` Wh of it.
inline SlotOffer offer(const PlanSlot& slot, const CarNeed& car, double others) {
  const double h = usable_h(slot, car.departure);
  const double room = surplus_cap_wh(slot) + grid_cap_wh(slot) - others;
  SlotOffer o{car.min_w * h, std::min(car.max_w * h, room), std::max(0.0, surplus_cap_wh(slot) - others),
              slot.export_dkk_per_kwh, slot.import_dkk_per_kwh};
  if (o.max_wh < std::max(o.min_wh, 1.0)) o.min_wh = o.max_wh = 0;
  return o;
}

struct Search {
  std::vector<std::vector<double>> energy;                // the best plan found, per car and slot
  double cost = std::numeric_limits<double>::infinity();  // with shortfall at its penalty
  double bound = 0;                                       // no plan costs less
  int nodes = 0;
};

double shortfall_of(const std::vector<CarNeed>& cars, const std::vector<std::vector<double>>& energy);
// The plan's cost with each missing watt-hour at the shortfall penalty: what every search minimises.
double objective(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars,
                 const std::vector<std::vector<double>>& energy);

// From the plan in `s`: neighbourhoods of the fleet's joint flow alternated with `between` (the cars
// re-planned one by one) while either finds a cheaper plan, then branch and bound on the whole flow for the
// bound; all within the budget in `options`.
void search_fleet(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars,
                  const PlanOptions& options, Search& s, const std::function<void()>& between);

}  // namespace hemd::plan
