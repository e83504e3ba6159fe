#pragma once
// Fewer starts: each start of a car (a pause followed by charging) is a contactor cycle in the charger and a
// wake-up the car must answer, and some cars do not answer. A start is not representable in the min-cost
// flow the search is built on, so the search stays as it is and its plan is consolidated afterwards: a local
// search over each car's blocks of charging, the other cars held, repeated across the cars. A car's energy
// for a set of slots it charges in is exact (each slot at its minimum, then the cheapest pieces), so the
// moves are on the set: a block dropped and its energy moved to the edges of the others, a gap between two
// blocks filled, a block grown or shrunk at an edge, each kept when the energy's cost rises by less than
// the starts it saves cost. Not part of the planner's interface: for strategies/planner.cpp and its tests.
#include <vector>

#include "strategies/planner.h"

namespace hemd::plan {

// What a block shorter than PlanOptions::min_charge_block_min costs the local search: more than any short
// block can save (a quarter-hour at 11 kW is 2.8 kWh), less than a watt-hour short (shortfall_dkk_per_wh
// per Wh), so a plan keeps a short block only where the need cannot be met otherwise.
constexpr double short_block_dkk = 100;

// The starts of a car's energies per slot: each block of charging, except one from the first slot of a car
// that is charging now (it goes on).
int count_starts(const std::vector<double>& energy_wh, bool charging_now);

// The plan in `energy` (per car and slot) with fewer starts, where they cost more (options.start_penalty_dkk
// each) than the energy they save, and no block shorter than options.min_charge_block_min where the need
// allows. Never above a slot's headroom, never below a car's minimum. Nothing changes when both are 0.
void fewer_starts(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars,
                  const PlanOptions& options, std::vector<std::vector<double>>& energy);

}  // namespace hemd::plan
