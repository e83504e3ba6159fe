#pragma once
// One car's cheapest plan when what every slot costs it is known (the slot's surplus and headroom after the
// other cars): "0 or at least the minimum" in each slot, the need delivered in full where it can be.
//
// Branch and bound over the convex hull of each slot: a slot's feasible energies {0} ∪ [min, max], with
// their cost, are replaced by the lower convex envelope of that set. With every slot's cost convex the
// relaxation is a fractional knapsack, filled cheapest slope first; at most the marginal slot ends between
// 0 and its minimum, and only that slot is branched on (off, or on at its minimum). The hull is far tighter
// than dropping the minimum (a slot whose surplus is below the car's minimum costs the average of surplus
// and grid energy, not the surplus price), so the search closes in a few nodes.
#include <vector>

namespace hemd {

// What a watt-hour the plan cannot deliver by the departure costs every search (1e4 DKK/kWh): more than any
// price, so a plan falls short only where nothing else is left.
constexpr double shortfall_dkk_per_wh = 10;

struct SlotOffer {
  double min_wh = 0;  // 0 and 0: the car cannot charge in this slot
  double max_wh = 0;
  double surplus_wh = 0;  // energy at the export price, before the grid's import price
  double export_dkk_per_kwh = 0;
  double import_dkk_per_kwh = 0;
};

struct OneCarPlan {
  std::vector<double> energy_wh;
  double cost_dkk = 0;         // of the energy only
  double shortfall_wh = 0;     // what no plan can deliver
  double lower_bound_dkk = 0;  // no plan delivering as much costs less
  int nodes = 0;
};

// The need is met in full where it can be, and exceeded only as far as a minimum forces it (the plan
// takes at most `most_wh`) or a negative price pays for it.
OneCarPlan plan_one_car(const std::vector<SlotOffer>& slots, double need_wh, double most_wh, double tolerance,
                        int node_limit);

// What `energy_wh` costs in a slot of this offer (surplus first).
double offer_cost(const SlotOffer& s, double energy_wh);

}  // namespace hemd
