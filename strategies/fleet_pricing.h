#pragma once
// The fleet planner's second relaxation, strong where the flow's is weak. Not for use outside
// strategies/fleet_search.cpp.
//
// Each car's need is priced instead of enforced (a Lagrange multiplier per car: what a kilowatt-hour is
// worth to it). That leaves every quarter-hour on its own, and a quarter-hour alone is solved exactly,
// each car at zero or at least its minimum. At the best prices this bounds the plan's cost from below
// where several cars share a surplus below their minimums, which a flow cannot see (a flow lets each take
// a fraction of its minimum). How much dearer a slot's other choices are then tells which cars and slots
// no cheaper plan can use, or leave.
#include <vector>

#include "strategies/fleet_flow.h"

namespace hemd::plan {

class NeedPricing {
 public:
  // Only for fleets of up to this many cars: each slot weighs every set of cars that may charge in it, 2^n
  // sets (the time this takes for 8 cars is in docs/planner.md).
  static constexpr std::size_t max_cars = 8;
  // Whether the slots' costs let a slot be solved alone this way (convex: export no dearer than import).
  static bool applies(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars);

  NeedPricing(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars);

  // Searches the best prices (Kelley's cutting planes, a small LP solved by GLPK's simplex) with at most
  // `evaluations` of the slots; returns how many it used. Any prices give a bound: the best found is kept.
  int maximise(int evaluations);
  double bound() const { return bound_; }  // DKK, shortfall at its penalty: no plan costs less

  // No plan that keeps `fix` costs less than this (the bound, plus what the fixes cost each slot).
  double bound(const std::vector<Fix>& fix) const;
  // What holding one car and slot (k = car * slots + slot) on or off alone adds to the bound.
  double penalty(std::size_t k, Fix f) const;

 private:
  struct Slot {
    double surplus_wh, room_wh, export_dkk_per_wh, import_dkk_per_wh;
  };
  // The bound at `price` (DKK per Wh, per car), the slots' values per set of cars, and a supergradient.
  double evaluate(const std::vector<double>& price, std::vector<double>& gradient);
  int maximise_with_glpk(int evaluations);
  double set_value(std::size_t t, unsigned set, const std::vector<double>& price,
                   const std::vector<std::size_t>& order, std::vector<double>& wh) const;

  std::size_t n_, m_;
  std::vector<Slot> slots_;
  std::vector<double> need_wh_, forced_wh_;  // per car
  std::vector<double> min_wh_, max_wh_;      // per (car, slot), as the flow's arcs
  double bound_;
  // Per slot and set of cars, at the best prices: what the set costs there above the slot's best set.
  std::vector<std::vector<double>> value_;
};

}  // namespace hemd::plan
