#pragma once
// The charging plan: each car's energy need delivered by its departure at the lowest cost, several cars
// sharing the site's headroom per quarter-hour. Energy from PV surplus costs the export price it no longer
// earns; energy from the grid the import price.
//
// Without minimum powers this is a transportation problem, solved exactly as a min-cost flow (LEMON's
// network simplex). A car's minimum power (a car cannot draw 2 A) makes it a MILP: branch and bound over
// that flow, each branch holding one car in one slot off or at least at its minimum, until the plan is
// proven within a tolerance of the optimum. Tests and bench/ compare the result with the MILP optimum
// found by COIN-OR CBC (docs/planner.md). The daemon sees the planner through ChargingPlanner
// (strategies/charging_planner.h); this header is the search itself, for it, the tests and the bench.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "strategies/site.h"

namespace hemd {

struct PlanSlot {
  TimeMs start = 0;
  TimeMs end = 0;
  double import_dkk_per_kwh = 0;
  double export_dkk_per_kwh = 0;
  double surplus_w = 0;   // expected PV surplus (after the house) in this slot
  double headroom_w = 0;  // what all cars together may draw (fuse after the expected house load)
};

struct CarNeed {
  std::string id;
  double energy_wh = 0;
  TimeMs departure = 0;
  double min_w = 4140;  // 6 A x 3 x 230 V
  double max_w = 11040;
  // Drawing now: charging in the first slot goes on, it is not a start.
  bool charging_now = false;
};

struct CarPlan {
  std::string id;
  std::vector<double> energy_wh;  // per slot
  double planned_wh = 0;
  double shortfall_wh = 0;  // what cannot be delivered by departure
  double cost_dkk = 0;
  int starts = 0;  // blocks of charging, each after a pause (not one that goes on from now)
  // The power for slot i, from its energy and duration.
  double power_w(const std::vector<PlanSlot>& slots, std::size_t i) const;
};

struct Plan {
  std::vector<CarPlan> cars;
  double cost_dkk = 0;  // of the energy
  // The cars' starts at PlanOptions::start_penalty_dkk each, not in cost_dkk: what the plan pays for fewer.
  double start_penalty_dkk = 0;
  // The energy's cost of the search's plan, before fewer starts were weighed: what lower_bound_dkk proves
  // (cost_dkk when starts are free).
  double search_cost_dkk = 0;
  // No plan for the same need can cost less (branch and bound's proof; shortfall excluded).
  double lower_bound_dkk = 0;
  int search_nodes = 0;  // relaxations solved
  const CarPlan* car(const std::string& id) const {
    for (const auto& c : cars)
      if (c.id == id) return &c;
    return nullptr;
  }
};

// The planner's tuning: how hard each part of the search works. The defaults are what the daemon uses; what
// each was measured to buy is in docs/planner.md, with the commands that measure it.
struct PlanOptions {
  // The plan stops improving once it is proven within this fraction of the optimum (of the energy's cost):
  // below what a household notices, and what CBC's optimum is compared against.
  double tolerance = 5e-4;
  // Relaxations of one car's plan (each a few microseconds): enough to prove any single car's day.
  int single_car_nodes = 5000;
  // Fleets up to this size also try re-planning cars in pairs (n² single-car plans per round): freeing a
  // slot one car holds for another that needs it more is what a whole day of several cars needs most.
  std::size_t pair_moves_up_to = 8;
  // Fleets of more than four cars start from as many orders as fit cars² × orders <= this.
  std::size_t car_plans_budget = 400;
  // The fleet's joint flow, in arcs × relaxations, for fleets too large for the second relaxation: what fits
  // the time a plan may take on one core of a Raspberry Pi.
  double flow_budget = 2.25e5;
  // The same per day of quarter-hours, for fleets small enough for the second relaxation (fleet_pricing.h).
  // Its bound tells when the plan is proven, so the budget is spent only while it is not: on sunny days
  // that several cars share.
  double priced_flow_budget = 2.25e6;
  // But this many relaxations for a fleet of up to 100 (car, quarter-hour) pairs, fading out with the
  // square of the size above: small flows solve in microseconds, and a sunny day whose surplus the cars
  // must share below their minimums needs the search.
  double small_fleet_relaxations = 5000;
  // And up to this many more (fading out faster) for the proof, while it has not closed: with the cars'
  // needs priced they reach the optimum of the rare small sunny fleet that needs them.
  double small_fleet_proof = 10000;
  // Moves of one car, or swaps of two, are ranked by an estimate; this many of the best are solved before
  // the search gives up on them.
  std::size_t moves_solved = 16;
  // The proof tries this many cars and slots below their minimum before it branches on one (strong
  // branching: the flow is degenerate, and most single cuts do not raise its bound).
  std::size_t strong_branching = 8;
  // A plan its bound does not prove within the tolerance is searched again from scratch with these many
  // times every budget above (plan_charging_deeper). Each step quadruples the time; the last is what a
  // 20-car fleet over two days needs, and the daemon cuts the ladder at a minute.
  std::vector<double> deeper_searches = {4, 16, 64, 256};
  // What a start of a car costs (a pause followed by charging: a contactor cycle in the charger and a
  // wake-up the car must answer; control.start_penalty_dkk). 0: the cheapest energy however often the cars
  // start. The search is the same; its plan is then consolidated (strategies/plan_starts.h).
  double start_penalty_dkk = 0;
  // Blocks of charging shorter than this are avoided where the need allows (control.min_charge_block_min).
  double min_charge_block_min = 0;
  // Asked now and then during a search; once it says yes, the search ends as if its budget were spent.
  std::function<bool()> stop_requested;
};

Plan plan_charging(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars,
                   const PlanOptions& options = {});

// plan_charging, then, while the plan is not proven within the tolerance, fresh searches with more budget
// (options.deeper_searches), keeping the cheapest plan and the highest bound. A fresh search, not a longer
// one: a larger budget divides its relaxations otherwise and reaches plans the smaller search's end does
// not lead to. Each cheaper plan is handed to `cheaper` as soon as it is found, so that it can be used while
// the search goes on; a search asked to stop hands out what it has found.
Plan plan_charging_deeper(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars,
                          const PlanOptions& options = {},
                          const std::function<void(const Plan&)>& cheaper = {});

// What the snapshot asks to plan: smart-mode cars with a car, a departure and a need; the known prices up
// to the last departure; expected surplus and headroom (the fuse after the house) from the snapshot's
// forecast, or no surplus and the house's present load where there is none.
struct PlanRequest {
  std::vector<PlanSlot> slots;
  std::vector<CarNeed> cars;
};
PlanRequest plan_request(const SiteSnapshot& site, double fuse_margin_a);

// What a car still needs: from its SoC when the owner set a target SoC and the battery is known (the car or
// an ISO 15118 charger reports the SoC), otherwise the energy target less what the session has taken.
std::optional<double> energy_need_wh(const ChargerState& c);

// A plan into the snapshot: for each smart-mode charger with a car in it, its power for now, when it next
// charges, and a one-line summary.
void apply_plan(const PlanRequest& request, const Plan& plan, SiteSnapshot& site);

// The cost of energies per (car, slot), surplus first in each slot: what plan_charging minimises.
double plan_cost(const std::vector<PlanSlot>& slots, const std::vector<std::vector<double>>& energy_wh);

}  // namespace hemd
