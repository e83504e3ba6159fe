#include "strategies/planner.h"

#include <lemon/list_graph.h>
#include <lemon/network_simplex.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace hemd {

namespace {

using Energy = long long;  // Wh: the flow is solved in whole watt-hours
using Cost = long long;    // 1e-9 DKK per Wh, i.e. prices to 1e-6 DKK/kWh

constexpr double cost_scale = 1e6;                  // DKK/kWh -> cost units per Wh
constexpr Cost shortfall_cost = 1'000'000'000'000;  // 1e6 DKK/kWh: only when nothing else is left
constexpr double tiny_wh = 0.5;

double hours(TimeMs a, TimeMs b) {
  return static_cast<double>(b - a) / 3.6e6;
}

// Hours of slot `s` before `departure`.
double usable_h(const PlanSlot& s, TimeMs departure) {
  return std::max(0.0, hours(s.start, std::min(s.end, departure)));
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

struct Work {
  const std::vector<PlanSlot>& slots;
  const std::vector<CarNeed>& cars;
  std::vector<std::vector<double>> e;  // [car][slot] Wh
  std::vector<double> shortfall;

  double total(std::size_t t) const {
    double sum = 0;
    for (const auto& car : e) sum += car[t];
    return sum;
  }
  double slot_room(std::size_t t) const {
    return surplus_cap_wh(slots[t]) + grid_cap_wh(slots[t]) - total(t);
  }
  double car_room(std::size_t i, std::size_t t) const {
    return cars[i].max_w * usable_h(slots[t], cars[i].departure) - e[i][t];
  }
  double min_wh(std::size_t i, std::size_t t) const {
    return cars[i].min_w * usable_h(slots[t], cars[i].departure);
  }
  // Price of the next Wh added to / the last Wh taken from slot t.
  double add_price(std::size_t t) const {
    return total(t) + tiny_wh < surplus_cap_wh(slots[t]) ? slots[t].export_dkk_per_kwh
                                                         : slots[t].import_dkk_per_kwh;
  }
  double remove_price(std::size_t t) const {
    return total(t) > surplus_cap_wh(slots[t]) + tiny_wh ? slots[t].import_dkk_per_kwh
                                                         : slots[t].export_dkk_per_kwh;
  }
  double cost() const {
    double c = 0;
    for (std::size_t t = 0; t < slots.size(); ++t) c += slot_cost(slots[t], total(t));
    for (double s : shortfall) c += s * static_cast<double>(shortfall_cost) / cost_scale / 1000.0;
    return c;
  }

  // Puts `amount` into car i's slots already in use (never opening one below its minimum), cheapest first.
  double add(std::size_t i, double amount, std::size_t except) {
    while (amount > tiny_wh) {
      std::size_t best = slots.size();
      for (std::size_t t = 0; t < slots.size(); ++t) {
        if (t == except || e[i][t] < min_wh(i, t) - tiny_wh) continue;
        if (std::min(slot_room(t), car_room(i, t)) <= tiny_wh) continue;
        if (best == slots.size() || add_price(t) < add_price(best)) best = t;
      }
      if (best == slots.size()) break;
      // Up to the end of the cheaper tier, so the price stays right.
      const double tier_end = total(best) < surplus_cap_wh(slots[best])
                                  ? surplus_cap_wh(slots[best]) - total(best)
                                  : slot_room(best);
      const double step = std::min({amount, car_room(i, best), slot_room(best), std::max(tier_end, 1.0)});
      e[i][best] += step;
      amount -= step;
    }
    return amount;  // what did not fit
  }
  // Takes `amount` from car i's slots, dearest first, keeping each at or above its minimum.
  double take(std::size_t i, double amount, std::size_t except) {
    while (amount > tiny_wh) {
      std::size_t best = slots.size();
      for (std::size_t t = 0; t < slots.size(); ++t) {
        if (t == except || e[i][t] - min_wh(i, t) <= tiny_wh) continue;
        if (best == slots.size() || remove_price(t) > remove_price(best)) best = t;
      }
      if (best == slots.size()) break;
      const double over_surplus = total(best) - surplus_cap_wh(slots[best]);
      const double tier = over_surplus > tiny_wh ? over_surplus : e[i][best];
      const double step = std::min({amount, e[i][best] - min_wh(i, best), std::max(tier, 1.0)});
      e[i][best] -= step;
      amount -= step;
    }
    return amount;
  }
};

void solve_flow(Work& w) {
  lemon::ListDigraph g;
  const auto sink = g.addNode();
  std::vector<lemon::ListDigraph::Node> car_nodes, slot_nodes;
  for (std::size_t i = 0; i < w.cars.size(); ++i) car_nodes.push_back(g.addNode());
  for (std::size_t t = 0; t < w.slots.size(); ++t) slot_nodes.push_back(g.addNode());
  lemon::ListDigraph::ArcMap<Energy> cap(g);
  lemon::ListDigraph::ArcMap<Cost> cost(g);
  lemon::ListDigraph::NodeMap<Energy> supply(g, 0);
  auto arc = [&](lemon::ListDigraph::Node a, lemon::ListDigraph::Node b, double cap_wh, double price) {
    auto x = g.addArc(a, b);
    cap[x] = static_cast<Energy>(std::floor(std::max(0.0, cap_wh)));
    cost[x] = static_cast<Cost>(std::llround(price * cost_scale));
    return x;
  };
  std::vector<std::vector<lemon::ListDigraph::Arc>> car_slot(w.cars.size());
  std::vector<lemon::ListDigraph::Arc> short_arcs;
  Energy all = 0;
  for (std::size_t i = 0; i < w.cars.size(); ++i) {
    const Energy need = static_cast<Energy>(std::llround(std::max(0.0, w.cars[i].energy_wh)));
    supply[car_nodes[i]] = need;
    all += need;
    for (std::size_t t = 0; t < w.slots.size(); ++t)
      car_slot[i].push_back(
          arc(car_nodes[i], slot_nodes[t], w.cars[i].max_w * usable_h(w.slots[t], w.cars[i].departure), 0));
    auto s = g.addArc(car_nodes[i], sink);
    cap[s] = need;
    cost[s] = shortfall_cost;
    short_arcs.push_back(s);
  }
  for (std::size_t t = 0; t < w.slots.size(); ++t) {
    arc(slot_nodes[t], sink, surplus_cap_wh(w.slots[t]), w.slots[t].export_dkk_per_kwh);
    arc(slot_nodes[t], sink, grid_cap_wh(w.slots[t]), w.slots[t].import_dkk_per_kwh);
  }
  supply[sink] = -all;
  lemon::NetworkSimplex<lemon::ListDigraph, Energy, Cost> ns(g);
  ns.upperMap(cap).costMap(cost).supplyMap(supply);
  if (ns.run() != lemon::NetworkSimplex<lemon::ListDigraph, Energy, Cost>::OPTIMAL) {
    for (std::size_t i = 0; i < w.cars.size(); ++i) w.shortfall[i] = w.cars[i].energy_wh;
    return;
  }
  for (std::size_t i = 0; i < w.cars.size(); ++i) {
    for (std::size_t t = 0; t < w.slots.size(); ++t) w.e[i][t] = static_cast<double>(ns.flow(car_slot[i][t]));
    w.shortfall[i] = static_cast<double>(ns.flow(short_arcs[i]));
  }
}

// One car against what the others already draw: which slots to use (a dynamic programme over slots and
// delivered energy in 100 Wh units, each slot off or between the car's minimum and maximum), then the exact
// energies for those slots (all at their minimum, the rest to the cheapest marginal watt-hours).
std::vector<double> plan_one(const std::vector<PlanSlot>& slots, const CarNeed& car,
                             const std::vector<double>& others, const std::vector<double>* seed = nullptr) {
  constexpr double unit = 100;
  const std::size_t n = slots.size();
  const int need = static_cast<int>(std::ceil(std::max(0.0, car.energy_wh) / unit - 1e-9));
  std::vector<double> lo(n), hi(n);
  for (std::size_t t = 0; t < n; ++t) {
    const double h = usable_h(slots[t], car.departure);
    const double room = surplus_cap_wh(slots[t]) + grid_cap_wh(slots[t]) - others[t];
    lo[t] = car.min_w * h;
    hi[t] = std::min(car.max_w * h, std::max(0.0, room));
    if (hi[t] < lo[t] - tiny_wh || hi[t] <= tiny_wh) lo[t] = hi[t] = 0;
  }
  auto cost_of = [&](std::size_t t, double wh) {
    return slot_cost(slots[t], others[t] + wh) - slot_cost(slots[t], others[t]);
  };
  constexpr double inf = std::numeric_limits<double>::infinity();
  const std::size_t states = static_cast<std::size_t>(need) + 1;
  std::vector<double> best(states, inf), next;
  best[0] = 0;
  // For each slot and state reached: the state it came from, and whether the slot was used.
  std::vector<std::vector<int>> from(n, std::vector<int>(states, -1));
  std::vector<std::vector<char>> used(n, std::vector<char>(states, 0));
  for (std::size_t t = 0; t < n; ++t) {
    next = best;  // slot off
    for (std::size_t j = 0; j < states; ++j) from[t][j] = static_cast<int>(j);
    if (hi[t] > 0) {
      const int k_lo = std::max(1, static_cast<int>(std::ceil(lo[t] / unit - 1e-9)));
      const int k_hi = static_cast<int>(std::floor(hi[t] / unit + 1e-9));
      for (int j = 0; j <= need; ++j) {
        if (best[static_cast<std::size_t>(j)] == inf) continue;
        for (int k = k_lo; k <= k_hi; ++k) {
          const auto to = static_cast<std::size_t>(std::min(need, j + k));
          const double c = best[static_cast<std::size_t>(j)] + cost_of(t, k * unit);
          if (c < next[to] - 1e-12) {
            next[to] = c;
            from[t][to] = j;
            used[t][to] = 1;
          }
          if (static_cast<int>(to) == need) break;  // more units here would only cost more
        }
      }
    }
    best.swap(next);
  }
  int j = need;
  while (j > 0 && best[static_cast<std::size_t>(j)] == inf) --j;  // the most that can be delivered
  std::vector<bool> on(n, false);
  for (std::size_t t = n; t-- > 0;) {
    on[t] = used[t][static_cast<std::size_t>(j)] != 0;
    j = from[t][static_cast<std::size_t>(j)];
  }
  // A seed (the relaxation's energies) replaces the programme's choice of slots as the starting point.
  if (seed)
    for (std::size_t t = 0; t < n; ++t)
      on[t] = hi[t] > 0 && (*seed)[t] >= 0.5 * lo[t] && (*seed)[t] > tiny_wh;
  // Exact energies for the chosen slots, then single slots switched on or off while that lowers the cost:
  // the 100 Wh grid of the programme is never the reason for a dearer plan.
  auto fill = [&](const std::vector<bool>& pattern, std::vector<double>& e) {
    e.assign(n, 0.0);
    double delivered = 0;
    for (std::size_t t = 0; t < n; ++t)
      if (pattern[t]) delivered += e[t] = lo[t];
    double rest = std::max(0.0, car.energy_wh - delivered);
    while (rest > tiny_wh) {
      std::size_t pick = n;
      double price = inf;
      for (std::size_t t = 0; t < n; ++t) {
        if (!pattern[t] || e[t] >= hi[t] - tiny_wh) continue;
        const double marginal = cost_of(t, e[t] + 1) - cost_of(t, e[t]);
        if (marginal < price) price = marginal, pick = t;
      }
      if (pick == n) break;
      const double to_surplus_end = surplus_cap_wh(slots[pick]) - others[pick] - e[pick];
      const double step =
          std::min({rest, hi[pick] - e[pick], to_surplus_end > tiny_wh ? to_surplus_end : rest});
      e[pick] += step;
      rest -= step;
    }
    double c = rest * 1e3;  // undelivered energy outweighs any price
    for (std::size_t t = 0; t < n; ++t)
      if (e[t] > 0) c += cost_of(t, e[t]);
    return c;
  };
  std::vector<double> e, trial;
  double cost = fill(on, e);
  // Moves: one slot on or off, or one slot swapped for another.
  auto try_pattern = [&]() {
    const double c = fill(on, trial);
    if (c >= cost - 1e-9) return false;
    cost = c;
    e.swap(trial);
    return true;
  };
  for (int pass = 0; pass < 20; ++pass) {
    bool improved = false;
    for (std::size_t t = 0; t < n; ++t) {
      if (hi[t] <= 0) continue;
      on[t] = !on[t];
      if (try_pattern())
        improved = true;
      else
        on[t] = !on[t];
    }
    for (std::size_t a = 0; a < n; ++a) {
      if (!on[a]) continue;
      for (std::size_t b = 0; b < n && on[a]; ++b) {
        if (on[b] || hi[b] <= 0) continue;
        on[a] = false;
        on[b] = true;
        if (try_pattern()) {
          improved = true;
        } else {
          on[a] = true;
          on[b] = false;
        }
      }
    }
    if (!improved) break;
  }
  return e;
}

void plan_with_minimums(Work& w) {
  const std::size_t n = w.slots.size();
  // Earliest departure first, then each car again against all the others until nothing improves.
  std::vector<std::size_t> order(w.cars.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return w.cars[a].departure < w.cars[b].departure; });
  auto others = [&](std::size_t i) {
    std::vector<double> o(n, 0.0);
    for (std::size_t k = 0; k < w.cars.size(); ++k)
      if (k != i)
        for (std::size_t t = 0; t < n; ++t) o[t] += w.e[k][t];
    return o;
  };
  auto score = [&] {
    double c = 0, delivered_short = 0;
    for (std::size_t i = 0; i < w.cars.size(); ++i) {
      double sum = 0;
      for (double v : w.e[i]) sum += v;
      delivered_short += std::max(0.0, w.cars[i].energy_wh - sum);
    }
    for (std::size_t t = 0; t < n; ++t) c += slot_cost(w.slots[t], w.total(t));
    return c + delivered_short * 1e3;  // a missing kWh outweighs any price
  };
  // Each order in which the cars are first planned leads to a different local optimum; small fleets try
  // every order, larger ones rotations of the departure order.
  const auto relaxed = w.e;  // the flow's energies, before any minimum
  auto descend = [&](const std::vector<std::size_t>& seq, bool from_relaxation) {
    for (auto& row : w.e) std::fill(row.begin(), row.end(), 0.0);
    for (std::size_t i : seq)
      w.e[i] = plan_one(w.slots, w.cars[i], others(i), from_relaxation ? &relaxed[i] : nullptr);
    double current = score();
    for (int round = 0; round < 4 && seq.size() > 1; ++round) {
      bool improved = false;
      for (std::size_t i : seq) {
        const auto before = w.e[i];
        w.e[i] = plan_one(w.slots, w.cars[i], others(i));
        const double s = score();
        if (s < current - 1e-9) {
          current = s;
          improved = true;
        } else {
          w.e[i] = before;
        }
      }
      // Two cars re-planned together (one first, then the other around it): frees a slot one car holds
      // for another that needs it more.
      for (std::size_t i : seq)
        for (std::size_t k : seq) {
          if (i == k) continue;
          const auto before_i = w.e[i], before_k = w.e[k];
          std::fill(w.e[k].begin(), w.e[k].end(), 0.0);
          w.e[i] = plan_one(w.slots, w.cars[i], others(i));
          w.e[k] = plan_one(w.slots, w.cars[k], others(k));
          const double s = score();
          if (s < current - 1e-9) {
            current = s;
            improved = true;
          } else {
            w.e[i] = before_i;
            w.e[k] = before_k;
          }
        }
      if (!improved) break;
    }
    return current;
  };
  std::vector<std::vector<std::size_t>> sequences;
  if (order.size() <= 4) {
    auto seq = order;
    std::sort(seq.begin(), seq.end());
    do sequences.push_back(seq);
    while (std::next_permutation(seq.begin(), seq.end()));
  } else {
    for (std::size_t r = 0; r < order.size(); ++r) {
      sequences.push_back(order);
      std::rotate(order.begin(), order.begin() + 1, order.end());
    }
  }
  double best = std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> best_e;
  for (const auto& seq : sequences)
    for (bool from_relaxation : {false, true}) {
      const double c = descend(seq, from_relaxation);
      if (c < best - 1e-9) {
        best = c;
        best_e = w.e;
      }
    }
  w.e = best_e;
}

}  // namespace

PlanRequest plan_request(const SiteSnapshot& site, double fuse_margin_a) {
  PlanRequest r;
  TimeMs last_departure = site.now;
  for (const auto& c : site.chargers) {
    if (c.mode != ChargeMode::smart || !c.car_connected || !c.departure || *c.departure <= site.now ||
        !c.energy_need_wh || *c.energy_need_wh <= 0)
      continue;
    const double volts = site.limits.voltage_v * c.active_phases;
    r.cars.push_back(
        {c.id, *c.energy_need_wh, *c.departure, c.min_current_a * volts, c.max_current_a * volts});
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

Plan plan_charging(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars) {
  double lower_bound = 0;
  Work w{slots, cars, std::vector<std::vector<double>>(cars.size(), std::vector<double>(slots.size(), 0.0)),
         std::vector<double>(cars.size(), 0.0)};
  if (!slots.empty() && !cars.empty()) {
    solve_flow(w);  // the relaxation without minimum powers: a lower bound on any plan's cost
    lower_bound = plan_cost(slots, w.e) + [&] {
      double short_wh = 0;
      for (double s : w.shortfall) short_wh += s;
      return short_wh * 1e3;
    }();
    plan_with_minimums(w);
  }
  Plan p;
  for (std::size_t i = 0; i < cars.size(); ++i) {
    CarPlan c;
    c.id = cars[i].id;
    c.energy_wh = w.e[i];
    for (double v : c.energy_wh) c.planned_wh += v;
    c.shortfall_wh = std::max(0.0, cars[i].energy_wh - c.planned_wh);
    p.cars.push_back(std::move(c));
  }
  p.cost_dkk = plan_cost(slots, w.e);
  p.lower_bound_dkk = lower_bound;
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
