#include "strategies/planner.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>

#include "strategies/one_car_plan.h"
#include "strategies/plan_search.h"
#include "strategies/plan_starts.h"

namespace hemd {

using namespace plan;  // the planner's own parts (strategies/plan_search.h)

namespace {

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

// Re-planning cars one at a time stops improving after a few rounds; a further one rarely pays.
constexpr int replanning_rounds = 4;
// Up to this many cars every order of them is tried as a start (4! = 24 orders); larger fleets rotate the
// departure order as far as PlanOptions::car_plans_budget goes.
constexpr std::size_t every_order_up_to = 4;

// Where cars_one_at_a_time starts: every car from nothing, planned in the given order, or the best plan so
// far.
enum class Start { from_scratch, from_best };

// Each car planned exactly against what the others take, in `order`, then each again in turn (and, in
// small fleets, each pair) while the total falls: a good plan to start the search from (a single car's is
// optimal). Kept in `s` if it is the cheapest yet.
void cars_one_at_a_time(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars,
                        const std::vector<std::size_t>& order, const PlanOptions& options, Search& s,
                        Start start) {
  const bool from_best = start == Start::from_best;
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
  for (int round = 0; round < replanning_rounds && cars.size() > 1; ++round) {
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

// The cars' indices, earliest departure first.
std::vector<std::size_t> by_departure(const std::vector<CarNeed>& cars) {
  std::vector<std::size_t> order(cars.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return cars[a].departure < cars[b].departure; });
  return order;
}

// The first plans: cars_one_at_a_time from several orders, the cheapest kept. The order in which cars are
// first planned leads to different local optima: small fleets try every order, larger ones rotations of the
// departure order as far as the budget goes.
void first_plans(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars,
                 const PlanOptions& options, Search& s) {
  auto order = by_departure(cars);
  if (cars.size() <= every_order_up_to) {
    std::sort(order.begin(), order.end());
    do cars_one_at_a_time(slots, cars, order, options, s, Start::from_scratch);
    while (std::next_permutation(order.begin(), order.end()));
    return;
  }
  const std::size_t starts = std::max<std::size_t>(1, options.car_plans_budget / (cars.size() * cars.size()));
  for (std::size_t r = 0; r < std::min(starts, cars.size()); ++r) {
    cars_one_at_a_time(slots, cars, order, options, s, Start::from_scratch);
    std::rotate(order.begin(), order.begin() + 1, order.end());
  }
}

}  // namespace

namespace plan {

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

}  // namespace plan

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
        !need || *need <= 0 || c.car_asleep)
      continue;
    const double volts = site.limits.voltage_v * c.active_phases;
    // Drawing at least half its minimum: the car is charging, not just waking or ramping down.
    const bool charging_now = c.power_w >= 0.5 * c.min_current_a * volts;
    r.cars.push_back(
        {c.id, *need, *c.departure, c.min_current_a * volts, c.max_current_a * volts, charging_now});
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
    c.plan_cost_dkk = car->cost_dkk;
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
    first_plans(slots, cars, options, s);
    if (cars.size() > 1) {  // the cars compete for slots: search their joint plan from there
      // Neighbourhoods of the flow and cars re-planned alone or in pairs reach different plans.
      search_fleet(slots, cars, options, s, [&] {
        cars_one_at_a_time(slots, cars, by_departure(cars), options, s, Start::from_best);
      });
      s.bound = std::max(s.bound, each_alone(slots, cars, options));
    }
    p.lower_bound_dkk = s.bound - shortfall_of(cars, s.energy) * shortfall_dkk_per_wh;
    p.search_nodes = s.nodes;
  }
  p.search_cost_dkk = plan_cost(slots, s.energy);
  fewer_starts(slots, cars, options, s.energy);
  const auto& energy = s.energy;
  for (std::size_t i = 0; i < cars.size(); ++i) {
    CarPlan c;
    c.id = cars[i].id;
    c.energy_wh = energy[i];
    for (double v : c.energy_wh) c.planned_wh += v;
    c.shortfall_wh = std::max(0.0, cars[i].energy_wh - c.planned_wh);
    c.starts = count_starts(c.energy_wh, cars[i].charging_now);
    p.start_penalty_dkk += c.starts * std::max(0.0, options.start_penalty_dkk);
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

namespace {

double total_shortfall_wh(const Plan& p) {
  double wh = 0;
  for (const auto& c : p.cars) wh += c.shortfall_wh;
  return wh;
}

// What the search minimises: a watt-hour short costs more than any plan that delivers it; then the starts.
double objective(const Plan& p) {
  return p.cost_dkk + p.start_penalty_dkk + total_shortfall_wh(p) * shortfall_dkk_per_wh;
}

// The search's plan is proven; fewer starts are a local search on top that no deeper search would change.
bool proven(const Plan& p, const PlanOptions& options) {
  return p.search_cost_dkk - p.lower_bound_dkk <= options.tolerance * std::abs(p.search_cost_dkk) + 1e-6;
}

PlanOptions with_effort(PlanOptions o, double effort) {
  o.single_car_nodes = static_cast<int>(o.single_car_nodes * effort);
  o.flow_budget *= effort;
  o.priced_flow_budget *= effort;
  o.small_fleet_relaxations *= effort;
  o.small_fleet_proof *= effort;
  return o;
}

}  // namespace

Plan plan_charging_deeper(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars,
                          const PlanOptions& options, const std::function<void(const Plan&)>& cheaper) {
  Plan best = plan_charging(slots, cars, options);
  if (cheaper) cheaper(best);
  for (const double effort : options.deeper_searches) {
    if (proven(best, options) || (options.stop_requested && options.stop_requested())) break;
    Plan p = plan_charging(slots, cars, with_effort(options, effort));
    // A search cut short still has a bound (the least of its open branches'), only a weaker one.
    const bool cut_short = options.stop_requested && options.stop_requested();
    const double bound = std::max(best.lower_bound_dkk, p.lower_bound_dkk);
    const int nodes = best.search_nodes + p.search_nodes;
    const bool better = objective(p) < objective(best) - 1e-9;
    if (better) best = std::move(p);
    best.lower_bound_dkk = std::min(bound, best.cost_dkk);
    best.search_nodes = nodes;
    if (better && cheaper) cheaper(best);
    if (cut_short) break;
  }
  return best;
}

}  // namespace hemd
