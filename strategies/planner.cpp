#include "strategies/planner.h"

#include <lemon/list_graph.h>
#include <lemon/network_simplex.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>

#include "strategies/one_car_plan.h"

namespace hemd {

namespace {

using Energy = long long;  // Wh: the flow is solved in whole watt-hours
using Cost = long long;    // 1e-9 DKK per Wh, i.e. prices to 1e-6 DKK/kWh

constexpr double cost_scale = 1e6;               // DKK/kWh -> cost units per Wh
constexpr Cost shortfall_cost = 10'000'000'000;  // 1e4 DKK/kWh: only when nothing else is left
constexpr double shortfall_dkk_per_wh = shortfall_cost / cost_scale / 1000.0;

double hours(TimeMs a, TimeMs b) {
  return static_cast<double>(b - a) / 3.6e6;
}

// Hours of slot `s` before `departure`.
double usable_h(const PlanSlot& s, TimeMs departure) {
  return std::max(0.0, hours(s.start, std::min(s.end, departure)));
}

// How far a car's minimum may force it past its need: one slot at its minimum.
double forced_wh(const std::vector<PlanSlot>& slots, const CarNeed& car) {
  double most = 0;
  for (const auto& s : slots) most = std::max(most, car.min_w * usable_h(s, car.departure));
  return most;
}

double surplus_cap_wh(const PlanSlot& s) {
  return std::min(std::max(0.0, s.surplus_w), std::max(0.0, s.headroom_w)) * hours(s.start, s.end);
}
double grid_cap_wh(const PlanSlot& s) {
  return std::max(0.0, s.headroom_w - std::max(0.0, s.surplus_w)) * hours(s.start, s.end);
}

// Per-slot cost of a total energy: surplus tier first.
double slot_cost(const PlanSlot& s, double total_wh) {
  const double from_surplus = std::min(total_wh, surplus_cap_wh(s));
  return (from_surplus * s.export_dkk_per_kwh + (total_wh - from_surplus) * s.import_dkk_per_kwh) / 1000.0;
}

// What branch and bound has decided about one car in one slot.
enum class Fix : char { open, off, on };

// The problem without the "0 or at least the minimum" rule, as a min-cost flow: cars supply their need,
// each (car, slot) arc carries at most the car's maximum (at least its minimum where fixed on), each slot
// drains to the sink through a surplus and a grid tier. A car may take more than its need only as far as
// minimums force it (never to profit from a negative price: its battery may be full). Its optimum is a
// lower bound on every plan that keeps the fixes.
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
      const double room = std::floor(surplus_cap_wh(slots[t]) + grid_cap_wh(slots[t]) + 1e-6);
      const double surplus = std::min(room, std::ceil(surplus_cap_wh(slots[t]) - 1e-6));
      arc(slot_nodes[t], sink, surplus, cost_of(slots[t].export_dkk_per_kwh));
      arc(slot_nodes[t], sink, room - surplus, cost_of(slots[t].import_dkk_per_kwh));
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
  std::vector<lemon::ListDigraph::Arc> car_slot_, shortfall_;
  std::vector<Energy> min_wh_, max_wh_;
  std::unique_ptr<Simplex> simplex_;
};

struct Search {
  std::vector<std::vector<double>> energy;                // the best plan found, per car and slot
  double cost = std::numeric_limits<double>::infinity();  // with shortfall at its penalty
  double bound = 0;                                       // no plan costs less
  int nodes = 0;
};

double shortfall_of(const std::vector<CarNeed>& cars, const std::vector<std::vector<double>>& energy) {
  double missing = 0;
  for (std::size_t i = 0; i < cars.size(); ++i) {
    double sum = 0;
    for (double e : energy[i]) sum += e;
    missing += std::max(0.0, cars[i].energy_wh - sum);
  }
  return missing;
}

double objective(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars,
                 const std::vector<std::vector<double>>& energy) {
  return plan_cost(slots, energy) + shortfall_of(cars, energy) * shortfall_dkk_per_wh;
}

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

// What slot t offers car i when the other cars already take `others` Wh of it.
SlotOffer offer(const PlanSlot& slot, const CarNeed& car, double others) {
  const double h = usable_h(slot, car.departure);
  const double room = surplus_cap_wh(slot) + grid_cap_wh(slot) - others;
  SlotOffer o{car.min_w * h, std::min(car.max_w * h, room), std::max(0.0, surplus_cap_wh(slot) - others),
              slot.export_dkk_per_kwh, slot.import_dkk_per_kwh};
  if (o.max_wh < std::max(o.min_wh, 1.0)) o.min_wh = o.max_wh = 0;
  return o;
}

// A second bound, strong where the flow's is weak (a surplus below the cars' minimum): each car's optimum
// with the site to itself. A slot's cost is convex and 0 at 0 when surplus is the cheaper energy, so what
// cars pay together is at least what each would pay alone; -infinity where a slot's surplus is dearer.
double each_alone(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars,
                  const PlanOptions& options) {
  for (const auto& slot : slots)
    if (slot.export_dkk_per_kwh > slot.import_dkk_per_kwh) return -std::numeric_limits<double>::infinity();
  double sum = 0;
  for (const auto& car : cars) {
    std::vector<SlotOffer> offers;
    for (const auto& slot : slots) offers.push_back(offer(slot, car, 0));
    const auto alone = plan_one_car(offers, car.energy_wh, car.energy_wh + forced_wh(slots, car),
                                    options.tolerance, options.single_car_nodes);
    sum += alone.lower_bound_dkk + alone.shortfall_wh * shortfall_dkk_per_wh;
  }
  return sum;
}

// Each car planned exactly against what the others take, earliest departure first, then each again in
// turn while the total falls: a good plan to start the search from (a single car's is optimal).
void car_by_car(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars,
                const std::vector<std::size_t>& order, const PlanOptions& options, Search& s,
                bool from_best = false) {
  const std::size_t n = slots.size();
  std::vector<std::vector<double>> energy =
      from_best ? s.energy : std::vector<std::vector<double>>(cars.size(), std::vector<double>(n, 0.0));
  std::vector<double> taken(n, 0.0);
  for (const auto& car : energy)
    for (std::size_t t = 0; t < n; ++t) taken[t] += car[t];
  auto replan = [&](std::size_t i) {
    std::vector<SlotOffer> offers;
    for (std::size_t t = 0; t < n; ++t) offers.push_back(offer(slots[t], cars[i], taken[t] - energy[i][t]));
    auto one = plan_one_car(offers, cars[i].energy_wh, cars[i].energy_wh + forced_wh(slots, cars[i]),
                            options.tolerance, options.single_car_nodes);
    s.nodes += one.nodes;
    for (std::size_t t = 0; t < n; ++t) taken[t] += one.energy_wh[t] - energy[i][t];
    energy[i] = std::move(one.energy_wh);
    if (cars.size() == 1) s.bound = one.lower_bound_dkk + one.shortfall_wh * shortfall_dkk_per_wh;
  };
  if (!from_best)
    for (std::size_t i : order) replan(i);
  double current = objective(slots, cars, energy);
  // A move: some cars re-planned in turn, the first of them from scratch; kept if the total falls.
  auto attempt = [&](std::initializer_list<std::size_t> cars_in_turn) {
    const auto energy_before = energy;
    const auto taken_before = taken;
    const std::size_t first = *cars_in_turn.begin();
    for (std::size_t t = 0; t < n; ++t) taken[t] -= energy[first][t];
    std::fill(energy[first].begin(), energy[first].end(), 0.0);
    for (auto it = std::next(cars_in_turn.begin()); it != cars_in_turn.end(); ++it) replan(*it);
    replan(first);
    if (const double c = objective(slots, cars, energy); c < current - 1e-9) {
      current = c;
      return true;
    }
    energy = energy_before;
    taken = taken_before;
    return false;
  };
  for (int round = 0; round < 4 && cars.size() > 1; ++round) {
    bool improved = false;
    for (std::size_t i : order) improved = attempt({i}) || improved;
    // Two cars: one gives its slots up, the other re-plans, then the first around it. Frees a slot one
    // car holds for another that needs it more.
    if (cars.size() <= options.pair_moves_up_to)
      for (std::size_t i : order)
        for (std::size_t k : order)
          if (i != k) improved = attempt({i, k}) || improved;
    if (!improved) break;
  }
  if (current < s.cost) {
    s.cost = current;
    s.energy = std::move(energy);
  }
}

// The order in which cars are first planned leads to different local optima: small fleets try every
// order, larger ones rotations of the departure order as far as the budget goes.
std::vector<std::size_t> by_departure(const std::vector<CarNeed>& cars) {
  std::vector<std::size_t> order(cars.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return cars[a].departure < cars[b].departure; });
  return order;
}

// The order in which cars are first planned leads to different local optima: small fleets try every
// order, larger ones rotations of the departure order as far as the budget goes.
void car_by_car(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars,
                const PlanOptions& options, Search& s) {
  auto order = by_departure(cars);
  if (cars.size() <= 4) {
    std::sort(order.begin(), order.end());
    do car_by_car(slots, cars, order, options, s);
    while (std::next_permutation(order.begin(), order.end()));
    return;
  }
  const std::size_t starts = std::max<std::size_t>(1, options.car_plans_budget / (cars.size() * cars.size()));
  for (std::size_t r = 0; r < std::min(starts, cars.size()); ++r) {
    car_by_car(slots, cars, order, options, s);
    std::rotate(order.begin(), order.begin() + 1, order.end());
  }
}

}  // namespace

std::optional<double> energy_need_wh(const ChargerState& c) {
  // AC charging loses about a tenth between the meter and the battery.
  constexpr double charging_efficiency = 0.9;
  if (c.target_soc_pct && c.soc_pct && c.battery_wh)
    return std::max(0.0, (*c.target_soc_pct - *c.soc_pct) / 100 * *c.battery_wh / charging_efficiency);
  return c.energy_need_wh;
}

PlanRequest plan_request(const SiteSnapshot& site, double fuse_margin_a) {
  PlanRequest r;
  TimeMs last_departure = site.now;
  for (const auto& c : site.chargers) {
    const auto need = energy_need_wh(c);
    if (c.mode != ChargeMode::smart || !c.car_connected || !c.departure || *c.departure <= site.now ||
        !need || *need <= 0)
      continue;
    const double volts = site.limits.voltage_v * c.active_phases;
    r.cars.push_back({c.id, *need, *c.departure, c.min_current_a * volts, c.max_current_a * volts});
    last_departure = std::max(last_departure, *c.departure);
  }
  if (r.cars.empty()) return r;
  double cars_w = 0;
  for (const auto& c : site.chargers) cars_w += c.power_w;
  const double house_w = site.grid.power_w.ok()
                             ? std::max(0.0, site.grid.power_w.value +
                                                 (site.pv_power_w.ok() ? site.pv_power_w.value : 0) - cars_w)
                             : 0.0;
  const double fuse_w =
      (site.limits.main_fuse_a - fuse_margin_a) * site.limits.voltage_v * site.limits.phases;
  std::size_t f = 0;
  for (const auto& p : site.prices) {
    if (p.end <= site.now || p.start >= last_departure) continue;
    // The forecast for this slot, if the history has one; otherwise no surplus and today's house load.
    while (f < site.forecast.size() && site.forecast[f].end <= p.start) ++f;
    const bool known = f < site.forecast.size() && site.forecast[f].start <= p.start;
    const double surplus = known ? site.forecast[f].surplus_w : 0.0;
    const double house = known ? site.forecast[f].house_w : house_w;
    r.slots.push_back({std::max(p.start, site.now), p.end, p.import_dkk_per_kwh, p.export_dkk_per_kwh,
                       surplus, std::max(0.0, fuse_w - house)});
  }
  return r;
}

void apply_plan(const PlanRequest& request, const Plan& plan, SiteSnapshot& site) {
  const auto& slots = request.slots;
  for (auto& c : site.chargers) {
    const CarPlan* car = plan.car(c.id);
    if (!car || c.mode != ChargeMode::smart) continue;
    c.planned_power_w = 0.0;
    for (std::size_t t = 0; t < slots.size(); ++t) {
      if (slots[t].end <= site.now || car->energy_wh[t] <= 0) continue;
      if (!c.next_planned_start) c.next_planned_start = std::max(slots[t].start, site.now);
      if (slots[t].start <= site.now) c.planned_power_w = car->power_w(slots, t);
    }
    char summary[96];
    std::snprintf(summary, sizeof summary, "%.1f kWh planned, %.2f DKK", car->planned_wh / 1000,
                  car->cost_dkk);
    c.plan_summary = summary;
    if (car->shortfall_wh > 1) {
      std::snprintf(summary, sizeof summary, ", %.1f kWh short", car->shortfall_wh / 1000);
      c.plan_summary += summary;
    }
  }
}

double CarPlan::power_w(const std::vector<PlanSlot>& slots, std::size_t i) const {
  const double h = hours(slots[i].start, slots[i].end);
  return h > 0 && i < energy_wh.size() ? energy_wh[i] / h : 0.0;
}

double plan_cost(const std::vector<PlanSlot>& slots, const std::vector<std::vector<double>>& energy_wh) {
  double c = 0;
  for (std::size_t t = 0; t < slots.size(); ++t) {
    double total = 0;
    for (const auto& car : energy_wh) total += t < car.size() ? car[t] : 0.0;
    c += slot_cost(slots[t], total);
  }
  return c;
}

Plan plan_charging(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars,
                   const PlanOptions& options) {
  Plan p;
  Search s;
  s.energy.assign(cars.size(), std::vector<double>(slots.size(), 0.0));
  if (!slots.empty() && !cars.empty()) {
    car_by_car(slots, cars, options, s);
    if (cars.size() > 1) {  // the cars compete for slots: search their joint plan from there
      Relaxation relaxation(slots, cars);
      FleetSearch fleet(slots, cars, relaxation, options, s);
      // Neighbourhoods of the flow and cars re-planned alone or in pairs reach different plans: alternate
      // while either finds a cheaper one.
      for (int pass = 0; pass < 4; ++pass) {
        const double before = s.cost;
        fleet.improve();
        car_by_car(slots, cars, by_departure(cars), options, s, true);
        if (s.cost >= before - 1e-9) break;
      }
      fleet.prove();
      s.bound = std::max(s.bound, each_alone(slots, cars, options));
    }
    p.lower_bound_dkk = s.bound - shortfall_of(cars, s.energy) * shortfall_dkk_per_wh;
    p.search_nodes = s.nodes;
  }
  const auto& energy = s.energy;
  for (std::size_t i = 0; i < cars.size(); ++i) {
    CarPlan c;
    c.id = cars[i].id;
    c.energy_wh = energy[i];
    for (double v : c.energy_wh) c.planned_wh += v;
    c.shortfall_wh = std::max(0.0, cars[i].energy_wh - c.planned_wh);
    p.cars.push_back(std::move(c));
  }
  p.cost_dkk = plan_cost(slots, energy);
  // Each car's share: its energy at the average price of the slots it uses.
  for (auto& c : p.cars)
    for (std::size_t t = 0; t < slots.size(); ++t) {
      double total = 0;
      for (const auto& other : p.cars) total += other.energy_wh[t];
      if (total > 0) c.cost_dkk += slot_cost(slots[t], total) * c.energy_wh[t] / total;
    }
  return p;
}

}  // namespace hemd
