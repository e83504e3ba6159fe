#include <lemon/list_graph.h>
#include <lemon/network_simplex.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include "strategies/plan_search.h"

namespace hemd::plan {

namespace {

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
Energy down(double wh) {
  return static_cast<Energy>(std::floor(std::max(0.0, wh) * units_per_wh + 1e-6));
}
Energy up(double wh) {
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
    const auto sink = g_.addNode();
    std::vector<lemon::ListDigraph::Node> slot_nodes;
    for (std::size_t t = 0; t < n_; ++t) slot_nodes.push_back(g_.addNode());
    for (std::size_t t = 0; t < n_; ++t) {
      // Whole watt-hours: the slot's room rounded down (never above the fuse), its surplus up (the flow's
      // cost then never exceeds the true cost of its energies: its optimum stays a lower bound).
      Tiers tiers{slots[t], down(surplus_cap_wh(slots[t]) + grid_cap_wh(slots[t]))};
      tiers.surplus = std::min(tiers.room, up(surplus_cap_wh(slots[t])));
      tiers.cheap = arc(slot_nodes[t], sink, tiers.surplus, cost_of(tiers.slot.export_dkk_per_kwh));
      tiers.dear =
          arc(slot_nodes[t], sink, tiers.room - tiers.surplus, cost_of(tiers.slot.import_dkk_per_kwh));
      tiers_.push_back(tiers);
    }
    Energy all = 0;
    for (const auto& car : cars) {
      const auto node = g_.addNode();
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
      shortfall_.push_back(arc(node, sink, need, shortfall_cost));
      arc(sink, node, down(forced_wh(slots, car)), 0);  // taking more than the need
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
        budget_(relaxations(options, static_cast<double>(relaxation.arcs()))) {}

  // From the best plan: the best energies for its pattern of slots (two cars sharing a slot may split it
  // in a way neither planned alone would choose), quarter-hours moved and swapped, then its
  // neighbourhoods: a few hours opened to every car, or the whole day to two cars, the rest held. Uses up
  // to 3/4 of the budget over all calls.
  void improve() {
    const int for_neighbourhoods = budget_ * 3 / 4;
    if (solved_ >= for_neighbourhoods) return;
    keep_if_better(pattern(n_, n_));
    shift(std::min(for_neighbourhoods, solved_ + budget_ / 4));
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

  // One car's charging moved from a quarter-hour it uses to one it does not (or one dropped, or one added),
  // or two cars swapping a quarter-hour each; every car's energies then set by the flow. Cars sharing a
  // sunny day's surplus trade quarter-hours this way, which none finds re-planning alone. The first move
  // that pays is taken, until none does or `limit` is reached.
  void shift(int limit) {
    auto on = [&](std::size_t i, std::size_t t) { return s_.energy[i][t] > 0.5; };
    auto try_car = [&](std::size_t i) {
      std::vector<std::size_t> used{n_}, unused{n_};  // n_: no quarter-hour (only add, or only drop)
      for (std::size_t t = 0; t < n_; ++t)
        if (relaxation_.max_wh(i * n_ + t) > 0) (on(i, t) ? used : unused).push_back(t);
      for (std::size_t from : used)
        for (std::size_t to : unused) {
          if ((from == n_ && to == n_) || solved_ >= limit) continue;
          auto fix = pattern(n_, n_);
          if (from < n_) fix[i * n_ + from] = Fix::off;
          if (to < n_) fix[i * n_ + to] = Fix::on;
          if (keep_if_better(fix)) return true;
        }
      return false;
    };
    // Two cars swap a quarter-hour each: i leaves a for b, j leaves b for a.
    auto try_swap = [&](std::size_t i, std::size_t j) {
      for (std::size_t a = 0; a < n_; ++a)
        for (std::size_t b = 0; b < n_; ++b) {
          if (solved_ >= limit) return false;
          if (!on(i, a) || on(i, b) || !on(j, b) || on(j, a)) continue;
          if (relaxation_.max_wh(i * n_ + b) == 0 || relaxation_.max_wh(j * n_ + a) == 0) continue;
          auto fix = pattern(n_, n_);
          fix[i * n_ + a] = fix[j * n_ + b] = Fix::off;
          fix[i * n_ + b] = fix[j * n_ + a] = Fix::on;
          if (keep_if_better(fix)) return true;
        }
      return false;
    };
    for (bool moved = true; moved && solved_ < limit;) {
      moved = false;
      for (std::size_t i = 0; i < cars_.size() && !moved; ++i) moved = try_car(i);
      for (std::size_t i = 0; i < cars_.size() && !moved; ++i)
        for (std::size_t j = 0; j < cars_.size() && !moved; ++j)
          if (i != j) moved = try_swap(i, j);
    }
  }

  // The whole problem with what is left of the budget: the bound on how far the plan can be from the
  // optimum.
  void prove() {
    s_.bound = search(std::vector<Fix>(relaxation_.arcs(), Fix::open), std::max(budget_, solved_ + 8),
                      Order::least_bound_first);
    s_.nodes += solved_;
  }

 private:
  // The flow budget in relaxations for a flow of this many (car, slot) arcs: a relaxation's time grows
  // with the arcs. Small fleets get more, fading out above about a hundred arcs (see PlanOptions).
  static int relaxations(const PlanOptions& options, double arcs) {
    const double small = std::min(1.0, (100 / arcs) * (100 / arcs));
    return std::max(
        16, static_cast<int>(std::max(options.flow_budget / arcs, options.small_fleet_relaxations * small)));
  }

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

  // The flow's plan for a pattern in which every car is held on or off, kept if it is the cheapest yet.
  bool keep_if_better(const std::vector<Fix>& fix) {
    const auto r = relaxation_.solve(fix);
    ++solved_;
    return r && consider(r->flow);
  }

  // Keeps the flow's plan if it is the cheapest yet.
  bool consider(const std::vector<Energy>& flow) {
    std::vector<std::vector<double>> energy(cars_.size(), std::vector<double>(n_));
    for (std::size_t k = 0; k < flow.size(); ++k)
      energy[k / n_][k % n_] = static_cast<double>(flow[k]) / units_per_wh;
    const double c = objective(slots_, cars_, energy);
    if (c >= s_.cost - 1e-9) return false;
    s_.cost = c, s_.energy = std::move(energy);
    return true;
  }

  // Depth first finds plans soon (a neighbourhood's job); the least bound first raises the bound soonest
  // (the proof's job, once a good plan is known).
  enum class Order { depth_first, least_bound_first };
  struct Node {
    std::vector<Fix> fix;
    double bound;
    bool operator<(const Node& other) const { return bound > other.bound; }  // a heap of the least bound
  };

  // Below `root` until `limit` relaxations are solved in all; returns the least bound of what was cut or
  // left (the best plan's cost if nothing was).
  double search(std::vector<Fix> root, int limit, Order order = Order::depth_first) {
    std::vector<Node> stack{{std::move(root), -std::numeric_limits<double>::infinity()}};
    double pruned = std::numeric_limits<double>::infinity();
    while (!stack.empty() && solved_ < limit) {
      if (order == Order::least_bound_first) std::pop_heap(stack.begin(), stack.end());
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
      if (order == Order::least_bound_first) std::push_heap(stack.begin(), stack.end());
      stack.push_back(nearer_on ? std::move(on) : std::move(off));
      if (order == Order::least_bound_first) std::push_heap(stack.begin(), stack.end());
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
