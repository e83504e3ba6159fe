#pragma once
// Small changes to a fleet's plan, ranked by what each would save: one car's charging moved from a
// quarter-hour it uses to one it does not (or dropped, or added), or two cars swapping a quarter-hour each.
// Not for use outside strategies/fleet_search.cpp.
//
// Solving the flow for every such move costs a relaxation each, thousands per plan. The estimate costs
// microseconds: only the two quarter-hours a move touches change, and the energy a car gains or loses
// there is worth what one more watt-hour costs that car in the plan's flow (its dual price). The cars
// already in a touched quarter-hour may give way or take up the rest, each as far as its minimum and
// maximum allow and its price makes it worthwhile. The search then solves only the most promising moves.
#include <vector>

#include "strategies/fleet_flow.h"

namespace hemd::plan {

struct Move {
  double estimate = 0;  // DKK the plan would change by (below 0: cheaper)
  std::size_t car = 0;
  std::size_t from = 0, to = 0;  // quarter-hours; the number of slots means none (only add, or only drop)
  std::size_t other = 0;         // a second car moving from `to` to `from`; the number of cars means none
};

// The `count` moves of the plan `energy_wh` (per car and slot, as the flow set it for its pattern) with
// the cheapest estimates, cheapest first; moves that cannot fit are left out. `car_dkk_per_wh` is the
// flow's price of each car's energy.
std::vector<Move> ranked_moves(const std::vector<PlanSlot>& slots, const Relaxation& relaxation,
                               const std::vector<std::vector<double>>& energy_wh,
                               const std::vector<double>& car_dkk_per_wh, std::size_t count);

// The pattern (each car on or off in each slot) of `energy_wh` changed by `move`.
std::vector<Fix> apply(const Move& move, std::vector<Fix> pattern, std::size_t slots);

}  // namespace hemd::plan
