#pragma once
// The fleet planner's relaxation: the planning problem without the "0 or at least the minimum" rule, as a
// min-cost flow (LEMON's network simplex). Not for use outside strategies/fleet_search.cpp.
#include <lemon/list_graph.h>
#include <lemon/network_simplex.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include "strategies/plan_search.h"

namespace hemd::plan {

// The flow is solved in whole milliwatt-hours. Whole watt-hours were too coarse: rounded in every
// quarter-hour they cost up to a tenth of an øre each, more than 0.1 % of a sunny day whose plan costs a
// krone.
using Energy = long long;  // mWh
using Cost = long long;    // 1e-12 DKK per mWh, i.e. prices to 1e-6 DKK/kWh

constexpr double units_per_wh = 1000;
constexpr double cost_scale = 1e6;  // DKK/kWh -> cost units per mWh
constexpr double dkk_per_cost = 1e-12;
constexpr Cost shortfall_cost = static_cast<Cost>(shortfall_dkk_per_wh / units_per_wh / dkk_per_cost);

// Energy in the flow's unit, rounded down (a capacity: never above the fuse) or up (a minimum).
inline Energy down(double wh) {
  return static_cast<Energy>(std::floor(std::max(0.0, wh) * units_per_wh + 1e-6));
}
inline Energy up(double wh) {
  return static_cast<Energy>(std::ceil(std::max(0.0, wh) * units_per_wh - 1e-6));
}

// What branch and bound has decided about one car in one slot.
enum class Fix : char { open, off, on };

// The problem without the "0 or at least the minimum" rule, as a min-cost flow: cars supply their need,
// each (car, slot) arc carries at most the car's maximum (at least its minimum where fixed on), each slot
// drains to the sink through a surplus and a grid tier. A car may take more than its need only as far as
// minimums force it (never to profit from a negative price: its battery may be full). Its optimum is a
// lower bound on every plan that keeps the fixes.
//
// A slot's two tiers are the convex hull of its cost over the totals the cars can really take there: none,
// or at least the smallest minimum among them. Where the surplus is below that minimum, no plan gets it at
// the export price alone: the first minimum's worth costs the average of its surplus and grid parts. This
// is what makes the bound tight on sunny days whose surplus is below the cars' minimum.
class Relaxation {
 public:
  Relaxation(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars)
      : n_(slots.size()), lower_(g_, 0), upper_(g_), cost_(g_), supply_(g_, 0) {
    sink_ = g_.addNode();
    std::vector<lemon::ListDigraph::Node> slot_nodes;
    for (std::size_t t = 0; t < n_; ++t) slot_nodes.push_back(g_.addNode());
    for (std::size_t t = 0; t < n_; ++t) {
      // Whole watt-hours: the slot's room rounded down (never above the fuse), its surplus up (the flow's
      // cost then never exceeds the true cost of its energies: its optimum stays a lower bound).
      Tiers tiers{slots[t], down(surplus_cap_wh(slots[t]) + grid_cap_wh(slots[t]))};
      tiers.surplus = std::min(tiers.room, up(surplus_cap_wh(slots[t])));
      tiers.cheap = arc(slot_nodes[t], sink_, tiers.surplus, cost_of(tiers.slot.export_dkk_per_kwh));
      tiers.dear =
          arc(slot_nodes[t], sink_, tiers.room - tiers.surplus, cost_of(tiers.slot.import_dkk_per_kwh));
      tiers_.push_back(tiers);
    }
    Energy all = 0;
    for (const auto& car : cars) {
      const auto node = g_.addNode();
      car_nodes_.push_back(node);
      const Energy need = std::llround(std::max(0.0, car.energy_wh) * units_per_wh);
      supply_[node] = need;
      all += need;
      for (std::size_t t = 0; t < n_; ++t) {
        const double h = usable_h(slots[t], car.departure);
        Energy lo = up(car.min_w * h);
        Energy hi = down(std::min(car.max_w * h, surplus_cap_wh(slots[t]) + grid_cap_wh(slots[t])));
        if (hi < std::max(lo, down(1))) lo = hi = 0;  // the car cannot charge in this slot
        min_wh_.push_back(lo);
        max_wh_.push_back(hi);
        // A car that cannot charge in a slot gets no arc there: the smaller network solves faster.
        car_slot_.push_back(hi > 0 ? arc(node, slot_nodes[t], hi, 0) : lemon::INVALID);
      }
      shortfall_.push_back(arc(node, sink_, need, shortfall_cost));
      arc(sink_, node, down(forced_wh(slots, car)), 0);  // taking more than the need
    }
    supply_[sink_] = -all;
    simplex_ = std::make_unique<Simplex>(g_);
  }

  Energy min_wh(std::size_t k) const { return min_wh_[k]; }
  Energy max_wh(std::size_t k) const { return max_wh_[k]; }
  std::size_t arcs() const { return car_slot_.size(); }

  struct Solution {
    double objective = 0;      // DKK, shortfall at its penalty
    std::vector<Energy> flow;  // per (car, slot): car * slots + slot
    std::vector<Energy> shortfall;
    std::vector<double> car_dkk_per_wh;  // what one more watt-hour for each car would cost (its dual)
  };
  std::optional<Solution> solve(const std::vector<Fix>& fix) {
    for (std::size_t k = 0; k < car_slot_.size(); ++k) {
      if (car_slot_[k] == lemon::INVALID) continue;
      lower_[car_slot_[k]] = fix[k] == Fix::on ? min_wh_[k] : 0;
      upper_[car_slot_[k]] = fix[k] == Fix::off ? 0 : max_wh_[k];
    }
    for (std::size_t t = 0; t < n_; ++t) hull(t, fix);
    simplex_->reset();
    simplex_->lowerMap(lower_).upperMap(upper_).costMap(cost_).supplyMap(supply_);
    if (simplex_->run() != Simplex::OPTIMAL) return std::nullopt;
    Solution s;
    s.objective = static_cast<double>(simplex_->totalCost<long double>() * dkk_per_cost);
    for (auto a : car_slot_) s.flow.push_back(a == lemon::INVALID ? 0 : simplex_->flow(a));
    for (auto a : shortfall_) s.shortfall.push_back(simplex_->flow(a));
    for (auto n : car_nodes_)
      s.car_dkk_per_wh.push_back(static_cast<double>(simplex_->potential(sink_) - simplex_->potential(n)) *
                                 dkk_per_cost * units_per_wh);
    return s;
  }

 private:
  using Simplex = lemon::NetworkSimplex<lemon::ListDigraph, Energy, Cost>;
  struct Tiers {
    const PlanSlot& slot;
    Energy room = 0, surplus = 0;
    lemon::ListDigraph::Arc cheap{}, dear{};
  };

  // Slot t's tiers for the cars the fixes leave there: the first tier reaches the smallest of their
  // minimums, at the average cost of that much energy when the surplus falls short of it.
  void hull(std::size_t t, const std::vector<Fix>& fix) {
    const Tiers& tiers = tiers_[t];
    Energy smallest = 0;
    for (std::size_t k = t; k < car_slot_.size(); k += n_)
      if (fix[k] != Fix::off && max_wh_[k] > 0 && (smallest == 0 || min_wh_[k] < smallest))
        smallest = min_wh_[k];
    const Energy first = std::min(tiers.room, smallest);
    if (first <= tiers.surplus) {
      upper_[tiers.cheap] = tiers.surplus;
      upper_[tiers.dear] = tiers.room - tiers.surplus;
      cost_[tiers.cheap] = cost_of(tiers.slot.export_dkk_per_kwh);
      return;
    }
    const double from_surplus = surplus_cap_wh(tiers.slot) * units_per_wh;
    const double average = (from_surplus * tiers.slot.export_dkk_per_kwh +
                            (static_cast<double>(first) - from_surplus) * tiers.slot.import_dkk_per_kwh) /
                           static_cast<double>(first);
    upper_[tiers.cheap] = first;
    upper_[tiers.dear] = tiers.room - first;
    // Rounded down, so that the bound stays below every plan's cost.
    cost_[tiers.cheap] = static_cast<Cost>(std::floor(average * cost_scale));
  }
  static Cost cost_of(double dkk_per_kwh) {
    return static_cast<Cost>(std::llround(dkk_per_kwh * cost_scale));
  }
  lemon::ListDigraph::Arc arc(lemon::ListDigraph::Node a, lemon::ListDigraph::Node b, Energy cap, Cost c) {
    auto x = g_.addArc(a, b);
    upper_[x] = std::max<Energy>(0, cap);
    cost_[x] = c;
    return x;
  }

  std::size_t n_;
  lemon::ListDigraph g_;
  lemon::ListDigraph::ArcMap<Energy> lower_, upper_;
  lemon::ListDigraph::ArcMap<Cost> cost_;
  lemon::ListDigraph::NodeMap<Energy> supply_;
  std::vector<Tiers> tiers_;
  std::vector<lemon::ListDigraph::Arc> car_slot_, shortfall_;
  lemon::ListDigraph::Node sink_;
  std::vector<lemon::ListDigraph::Node> car_nodes_;
  std::vector<Energy> min_wh_, max_wh_;
  std::unique_ptr<Simplex> simplex_;
};

}  // namespace hemd::plan
