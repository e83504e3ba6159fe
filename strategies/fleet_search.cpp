#include <lemon/list_graph.h>
#include <lemon/network_simplex.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include "strategies/plan_search.h"

namespace hemd::plan {

namespace {

using Energy = long long;  // Wh: the flow is solved in whole watt-hours
using Cost = long long;    // 1e-9 DKK per Wh, i.e. prices to 1e-6 DKK/kWh

constexpr double cost_scale = 1e6;  // DKK/kWh -> cost units per Wh
constexpr Cost shortfall_cost = static_cast<Cost>(shortfall_dkk_per_wh * 1000 * cost_scale);

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
    const auto sink = g_.addNode();
    std::vector<lemon::ListDigraph::Node> slot_nodes;
    for (std::size_t t = 0; t < n_; ++t) slot_nodes.push_back(g_.addNode());
    for (std::size_t t = 0; t < n_; ++t) {
      // Whole watt-hours: the slot's room rounded down (never above the fuse), its surplus up (the flow's
      // cost then never exceeds the true cost of its energies: its optimum stays a lower bound).
      Tiers tiers{slots[t], std::floor(surplus_cap_wh(slots[t]) + grid_cap_wh(slots[t]) + 1e-6)};
      tiers.surplus = std::min(tiers.room, std::ceil(surplus_cap_wh(slots[t]) - 1e-6));
      tiers.cheap = arc(slot_nodes[t], sink, tiers.surplus, cost_of(tiers.slot.export_dkk_per_kwh));
      tiers.dear =
          arc(slot_nodes[t], sink, tiers.room - tiers.surplus, cost_of(tiers.slot.import_dkk_per_kwh));
      tiers_.push_back(tiers);
    }
    Energy all = 0;
    for (const auto& car : cars) {
      const auto node = g_.addNode();
      const Energy need = static_cast<Energy>(std::llround(std::max(0.0, car.energy_wh)));
      supply_[node] = need;
      all += need;
      for (std::size_t t = 0; t < n_; ++t) {
        const double h = usable_h(slots[t], car.departure);
        Energy lo = static_cast<Energy>(std::ceil(car.min_w * h - 1e-6));
        Energy hi = static_cast<Energy>(
            std::floor(std::min(car.max_w * h, surplus_cap_wh(slots[t]) + grid_cap_wh(slots[t])) + 1e-6));
        if (hi < std::max<Energy>(lo, 1)) lo = hi = 0;  // the car cannot charge in this slot
        min_wh_.push_back(lo);
        max_wh_.push_back(hi);
        car_slot_.push_back(arc(node, slot_nodes[t], static_cast<double>(hi), 0));
      }
      shortfall_.push_back(arc(node, sink, static_cast<double>(need), shortfall_cost));
      arc(sink, node, std::floor(forced_wh(slots, car)), 0);  // taking more than the need
    }
    supply_[sink] = -all;
    simplex_ = std::make_unique<Simplex>(g_);
  }

  Energy min_wh(std::size_t k) const { return min_wh_[k]; }
  Energy max_wh(std::size_t k) const { return max_wh_[k]; }
  std::size_t arcs() const { return car_slot_.size(); }

  struct Solution {
    double objective = 0;      // DKK, shortfall at its penalty
    std::vector<Energy> flow;  // per (car, slot): car * slots + slot
    std::vector<Energy> shortfall;
  };
  std::optional<Solution> solve(const std::vector<Fix>& fix) {
    for (std::size_t k = 0; k < car_slot_.size(); ++k) {
      lower_[car_slot_[k]] = fix[k] == Fix::on ? min_wh_[k] : 0;
      upper_[car_slot_[k]] = fix[k] == Fix::off ? 0 : max_wh_[k];
    }
    for (std::size_t t = 0; t < n_; ++t) hull(t, fix);
    simplex_->reset();
    simplex_->lowerMap(lower_).upperMap(upper_).costMap(cost_).supplyMap(supply_);
    if (simplex_->run() != Simplex::OPTIMAL) return std::nullopt;
    Solution s;
    s.objective = static_cast<double>(simplex_->totalCost<long double>()) / cost_scale / 1000.0;
    for (auto a : car_slot_) s.flow.push_back(simplex_->flow(a));
    for (auto a : shortfall_) s.shortfall.push_back(simplex_->flow(a));
    return s;
  }

 private:
  using Simplex = lemon::NetworkSimplex<lemon::ListDigraph, Energy, Cost>;
  struct Tiers {
    const PlanSlot& slot;
    double room = 0, surplus = 0;  // Wh
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
    const double first = std::min(tiers.room, static_cast<double>(smallest));
    if (first <= tiers.surplus) {
      upper_[tiers.cheap] = static_cast<Energy>(tiers.surplus);
      upper_[tiers.dear] = static_cast<Energy>(tiers.room - tiers.surplus);
      cost_[tiers.cheap] = cost_of(tiers.slot.export_dkk_per_kwh);
      return;
    }
    const double from_surplus = surplus_cap_wh(tiers.slot);
    const double average = (from_surplus * tiers.slot.export_dkk_per_kwh +
                            (first - from_surplus) * tiers.slot.import_dkk_per_kwh) /
                           first;
    upper_[tiers.cheap] = static_cast<Energy>(first);
    upper_[tiers.dear] = static_cast<Energy>(tiers.room - first);
    // Rounded down, so that the bound stays below every plan's cost.
    cost_[tiers.cheap] = static_cast<Cost>(std::floor(average * cost_scale));
  }
  static Cost cost_of(double dkk_per_kwh) {
    return static_cast<Cost>(std::llround(dkk_per_kwh * cost_scale));
  }
  lemon::ListDigraph::Arc arc(lemon::ListDigraph::Node a, lemon::ListDigraph::Node b, double cap_wh, Cost c) {
    auto x = g_.addArc(a, b);
    upper_[x] = static_cast<Energy>(std::floor(std::max(0.0, cap_wh)));
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
  std::vector<Energy> min_wh_, max_wh_;
  std::unique_ptr<Simplex> simplex_;
};

// Branch and bound on the flow: a car below its minimum in some slot is tried there once at its minimum
// and once off, depth first towards the nearer of the two; branches whose relaxation cannot beat the best
// plan by more than the tolerance are cut.
class FleetSearch {
 public:
  FleetSearch(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars, Relaxation& relaxation,
              const PlanOptions& options, Search& s)
      : slots_(slots),
        cars_(cars),
        relaxation_(relaxation),
        options_(options),
        s_(s),
        n_(slots.size()),
        budget_(
            std::max(16, static_cast<int>(options.flow_budget / static_cast<double>(relaxation.arcs())))) {}

  // From the best plan: the best energies for its pattern of slots (two cars sharing a slot may split it
  // in a way neither planned alone would choose), then its neighbourhoods: a few hours opened to every car,
  // or the whole day to two cars, the rest held. Uses up to 3/4 of the budget over all calls.
  void improve() {
    const int for_neighbourhoods = budget_ * 3 / 4;
    if (solved_ >= for_neighbourhoods) return;
    if (const auto r = relaxation_.solve(pattern(n_, n_))) consider(r->flow);
    ++solved_;
    // Each pass slides a window of hours over the day, half a window at a time, while it pays.
    for (const std::size_t hours : {2, 3, 4}) {
      const std::size_t width = std::min<std::size_t>(n_, 4 * hours);
      const int windows = static_cast<int>(2 * n_ / width + 1);
      const double before = s_.cost;
      for (std::size_t from = 0; from + 1 < n_ && solved_ < for_neighbourhoods; from += width / 2)
        search(pattern(from, from + width), solved_ + std::max(4, for_neighbourhoods / 6 / windows));
      if (s_.cost >= before && hours > 2) break;
    }
    for (std::size_t i = 0; i < cars_.size() && solved_ < for_neighbourhoods; ++i)
      for (std::size_t j = i + 1; j < cars_.size() && solved_ < for_neighbourhoods; ++j)
        search(pattern([&](std::size_t car, std::size_t) { return car == i || car == j; }),
               solved_ + std::max(8, for_neighbourhoods / 12));
  }

  // The whole problem with what is left of the budget: the bound on how far the plan can be from the
  // optimum.
  void prove() {
    s_.bound = search(std::vector<Fix>(relaxation_.arcs(), Fix::open), std::max(budget_, solved_ + 8));
    s_.nodes += solved_;
  }

 private:
  // The best plan's slots held as they are, except where `open(car, slot)`.
  template <typename Open>
  std::vector<Fix> pattern(Open open) const {
    std::vector<Fix> fix(relaxation_.arcs());
    for (std::size_t k = 0; k < fix.size(); ++k) {
      const std::size_t i = k / n_, t = k % n_;
      fix[k] = open(i, t) ? Fix::open : s_.energy[i][t] > 0.5 ? Fix::on : Fix::off;
    }
    return fix;
  }
  std::vector<Fix> pattern(std::size_t from, std::size_t to) const {
    return pattern([&](std::size_t, std::size_t t) { return t >= from && t < to; });
  }

  // The tolerance applies to what the energy costs, not to the shortfall's penalty.
  bool good_enough(double bound) const {
    const double priced = s_.cost - shortfall_of(cars_, s_.energy) * shortfall_dkk_per_wh;
    return bound >= s_.cost - options_.tolerance * std::abs(priced) - 1e-6;
  }

  void consider(const std::vector<Energy>& flow) {
    std::vector<std::vector<double>> energy(cars_.size(), std::vector<double>(n_));
    for (std::size_t k = 0; k < flow.size(); ++k) energy[k / n_][k % n_] = static_cast<double>(flow[k]);
    if (const double c = objective(slots_, cars_, energy); c < s_.cost)
      s_.cost = c, s_.energy = std::move(energy);
  }

  // Depth first below `root` until `limit` relaxations are solved in all; returns the least bound of what
  // was cut or left (the best plan's cost if nothing was).
  double search(std::vector<Fix> root, int limit) {
    struct Node {
      std::vector<Fix> fix;
      double bound;
    };
    std::vector<Node> stack{{std::move(root), -std::numeric_limits<double>::infinity()}};
    double pruned = std::numeric_limits<double>::infinity();
    while (!stack.empty() && solved_ < limit) {
      Node node = std::move(stack.back());
      stack.pop_back();
      if (good_enough(node.bound)) {
        pruned = std::min(pruned, node.bound);
        continue;
      }
      const auto r = relaxation_.solve(node.fix);
      ++solved_;
      if (!r) continue;
      if (good_enough(r->objective)) {
        pruned = std::min(pruned, r->objective);
        continue;
      }
      // Branch on the car and slot furthest from both sides of its minimum.
      std::size_t pick = relaxation_.arcs();
      Energy worst = 0;
      for (std::size_t k = 0; k < relaxation_.arcs(); ++k) {
        const Energy x = r->flow[k], lo = relaxation_.min_wh(k);
        if (x <= 0 || x >= lo) continue;
        if (const Energy distance = std::min(x, lo - x) + 1; distance > worst) worst = distance, pick = k;
      }
      if (pick == relaxation_.arcs()) {  // every car at zero or at least its minimum: a plan
        consider(r->flow);
        continue;
      }
      Node on{node.fix, r->objective}, off{std::move(node.fix), r->objective};
      on.fix[pick] = Fix::on;
      off.fix[pick] = Fix::off;
      const bool nearer_on = 2 * r->flow[pick] >= relaxation_.min_wh(pick);
      stack.push_back(nearer_on ? std::move(off) : std::move(on));
      stack.push_back(nearer_on ? std::move(on) : std::move(off));
    }
    double bound = std::min(s_.cost, pruned);
    for (const auto& node : stack) bound = std::min(bound, node.bound);
    return bound;
  }

  const std::vector<PlanSlot>& slots_;
  const std::vector<CarNeed>& cars_;
  Relaxation& relaxation_;
  const PlanOptions& options_;
  Search& s_;
  std::size_t n_;
  int budget_;  // relaxations: the flow's size sets how many fit the time a plan may take
  int solved_ = 0;
};

}  // namespace

void search_fleet(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars,
                  const PlanOptions& options, Search& s, const std::function<void()>& between) {
  Relaxation relaxation(slots, cars);
  FleetSearch fleet(slots, cars, relaxation, options, s);
  for (int pass = 0; pass < 4; ++pass) {
    const double before = s.cost;
    fleet.improve();
    between();
    if (s.cost >= before - 1e-9) break;
  }
  fleet.prove();
}

}  // namespace hemd::plan
