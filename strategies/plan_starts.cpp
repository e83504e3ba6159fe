#include "strategies/plan_starts.h"

#include <algorithm>
#include <limits>

#include "strategies/plan_search.h"

namespace hemd::plan {

namespace {

constexpr double eps_wh = 1e-6;
// Rounds over all cars: a car that gives up a block frees slots another car may grow into. Two or three
// rounds settle the fleets measured (docs/planner.md); the rest is a guard.
constexpr int rounds = 8;
// Fleets up to this size also improve cars in pairs (n² moves a round).
constexpr std::size_t pairs_up_to = 32;

// One car with the other cars held: what each slot offers it and how long it may charge there.
struct OneCar {
  std::vector<SlotOffer> offer;
  std::vector<double> minutes;
  double need = 0, most = 0;
  bool charging_now = false;
  double start_dkk = 0, min_block_min = 0;
};

struct Valued {
  double objective = std::numeric_limits<double>::infinity();
  std::vector<double> x;
};

bool on(const std::vector<double>& x, std::size_t t) {
  return x[t] > eps_wh;
}

// The starts and blocks too short of energies `x`, at their price.
double start_cost(const OneCar& c, const std::vector<double>& x) {
  double cost = 0;
  const std::size_t n = x.size();
  for (std::size_t t = 0; t < n; ++t) {
    if (!on(x, t) || (t > 0 && on(x, t - 1))) continue;
    const bool goes_on = t == 0 && c.charging_now;
    if (!goes_on) cost += c.start_dkk;
    if (goes_on || c.min_block_min <= 0) continue;
    double minutes = 0;
    for (std::size_t k = t; k < n && on(x, k); ++k) minutes += c.minutes[k];
    if (minutes < c.min_block_min - 1e-6) cost += short_block_dkk;
  }
  return cost;
}

// What the local search minimises for one car: its energy, anything short, its starts.
double value(const OneCar& c, const std::vector<double>& x) {
  double energy_dkk = 0, total = 0;
  for (std::size_t t = 0; t < x.size(); ++t)
    if (on(x, t)) energy_dkk += offer_cost(c.offer[t], x[t]), total += x[t];
  return energy_dkk + std::max(0.0, c.need - total) * shortfall_dkk_per_wh + start_cost(c, x);
}

// The cheapest energies charging in exactly the slots `in`: each at its minimum, then the cheapest pieces
// (surplus before grid in each slot) up to the need, beyond it only where a price is negative.
Valued fill(const OneCar& c, const std::vector<char>& in) {
  struct Piece {
    double slope, length;
    std::size_t slot;
  };
  std::vector<Piece> pieces;
  Valued v;
  v.x.assign(in.size(), 0.0);
  double total = 0;
  for (std::size_t t = 0; t < in.size(); ++t) {
    if (!in[t]) continue;
    const SlotOffer& o = c.offer[t];
    if (o.max_wh <= eps_wh) return v;  // the car cannot charge here
    v.x[t] = o.min_wh;
    total += o.min_wh;
    const double surplus_end = std::clamp(o.surplus_wh, o.min_wh, o.max_wh);
    const double first = o.export_dkk_per_kwh / 1000, second = std::max(o.import_dkk_per_kwh / 1000, first);
    if (surplus_end > o.min_wh + eps_wh) pieces.push_back({first, surplus_end - o.min_wh, t});
    if (o.max_wh > surplus_end + eps_wh) pieces.push_back({second, o.max_wh - surplus_end, t});
  }
  if (total > c.most + eps_wh) return v;
  // Stable: a slot's surplus piece stays before its grid piece at the same slope.
  std::stable_sort(pieces.begin(), pieces.end(),
                   [](const Piece& a, const Piece& b) { return a.slope < b.slope; });
  for (const auto& p : pieces) {
    const double target = p.slope < 0 ? c.most : c.need;
    if (total >= target - eps_wh) {
      if (p.slope >= 0) break;
      continue;
    }
    const double take = std::min(p.length, target - total);
    v.x[p.slot] += take;
    total += take;
  }
  v.objective = value(c, v.x);
  return v;
}

std::vector<char> slots_of(const std::vector<double>& x) {
  std::vector<char> in(x.size());
  for (std::size_t t = 0; t < x.size(); ++t) in[t] = on(x, t);
  return in;
}

double shortfall(const OneCar& c, const std::vector<double>& x) {
  double total = 0;
  for (double e : x) total += e;
  return std::max(0.0, c.need - total);
}

// Grows the blocks of `v` one slot at an edge at a time while that pays: while the need is not met, the
// slot that adds energy at the least cost per watt-hour, then the one that lowers the value most. A slot
// between two blocks joins them.
Valued grow(const OneCar& c, Valued v) {
  const std::size_t n = c.offer.size();
  for (;;) {
    auto in = slots_of(v.x);
    const double short_wh = shortfall(c, v.x);
    const double rest = v.objective - short_wh * shortfall_dkk_per_wh;
    Valued best;
    double best_score = std::numeric_limits<double>::infinity();
    for (std::size_t t = 0; t < n; ++t) {
      if (in[t] || c.offer[t].max_wh <= eps_wh) continue;
      if (!((t > 0 && in[t - 1]) || (t + 1 < n && in[t + 1]))) continue;
      in[t] = 1;
      Valued w = fill(c, in);
      in[t] = 0;
      if (w.objective >= v.objective - 1e-9) continue;
      double score = w.objective;
      if (short_wh > eps_wh) {
        const double gained = short_wh - shortfall(c, w.x);
        const double w_rest = w.objective - shortfall(c, w.x) * shortfall_dkk_per_wh;
        score = gained > eps_wh ? (w_rest - rest) / gained : std::numeric_limits<double>::infinity();
      }
      if (score < best_score) best_score = score, best = std::move(w);
    }
    if (best.x.empty()) return v;
    v = std::move(best);
  }
}

// Shrinks the blocks of `v` by an edge slot at a time (a block of one slot drops) while that pays.
Valued shrink(const OneCar& c, Valued v) {
  const std::size_t n = c.offer.size();
  for (;;) {
    auto in = slots_of(v.x);
    Valued best = v;
    for (std::size_t t = 0; t < n; ++t) {
      if (!in[t] || ((t > 0 && in[t - 1]) && (t + 1 < n && in[t + 1]))) continue;
      in[t] = 0;
      Valued w = fill(c, in);
      in[t] = 1;
      if (w.objective < best.objective - 1e-9) best = std::move(w);
    }
    if (best.objective >= v.objective - 1e-9) return v;
    v = std::move(best);
  }
}

struct Block {
  std::size_t first, last;
};

std::vector<Block> blocks(const std::vector<double>& x) {
  std::vector<Block> b;
  for (std::size_t t = 0; t < x.size(); ++t)
    if (on(x, t)) {
      if (b.empty() || b.back().last + 1 != t)
        b.push_back({t, t});
      else
        b.back().last = t;
    }
  return b;
}

// Whether car j charges where car i could grow: at an edge of i's blocks, between them, or in the first slot
// where i, charging now, could go on. Only there can j's giving way help i.
bool in_the_way(const std::vector<double>& j, const std::vector<double>& i, bool i_charging_now) {
  const auto b = blocks(i);
  if (b.empty()) return false;
  const std::size_t n = i.size();
  for (std::size_t t = 0; t < n; ++t) {
    if (!on(j, t) || on(i, t)) continue;
    const bool edge = (t > 0 && on(i, t - 1)) || (t + 1 < n && on(i, t + 1));
    if (edge || (t > b.front().first && t < b.back().last) || (t == 0 && i_charging_now)) return true;
  }
  return false;
}

// One car's plan improved by moves on its set of slots until none pays; true when it changed.
bool improve(const OneCar& c, std::vector<double>& x) {
  Valued current{value(c, x), x};
  bool changed = false;
  for (;;) {
    Valued best = current;
    auto consider = [&](Valued w) {
      if (w.objective < best.objective - 1e-9) best = std::move(w);
    };
    const auto b = blocks(current.x);
    const auto in = slots_of(current.x);
    // A car charging now may go on instead of starting again later.
    const bool go_on = c.charging_now && !in[0] && c.offer[0].max_wh > eps_wh;
    for (std::size_t k = 0; k < b.size(); ++k) {
      // The block dropped, its energy moved to the edges of the others (or onto their slots).
      auto without = in;
      for (std::size_t t = b[k].first; t <= b[k].last; ++t) without[t] = 0;
      if (b.size() > 1) consider(shrink(c, grow(c, fill(c, without))));
      if (go_on) {
        without[0] = 1;
        consider(shrink(c, grow(c, fill(c, without))));
      }
      // The gap to the next block filled, then trimmed at the edges.
      if (k + 1 < b.size()) {
        auto joined = in;
        for (std::size_t t = b[k].last + 1; t < b[k + 1].first; ++t) joined[t] = 1;
        consider(shrink(c, fill(c, joined)));
      }
    }
    consider(grow(c, current));
    consider(shrink(c, current));
    if (best.objective >= current.objective - 1e-9) return changed;
    current = std::move(best);
    x = current.x;
    changed = true;
  }
}

}  // namespace

int count_starts(const std::vector<double>& energy_wh, bool charging_now) {
  int starts = 0;
  for (std::size_t t = 0; t < energy_wh.size(); ++t)
    if (on(energy_wh, t) && (t > 0 ? !on(energy_wh, t - 1) : !charging_now)) ++starts;
  return starts;
}

void fewer_starts(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars,
                  const PlanOptions& options, std::vector<std::vector<double>>& energy) {
  if (options.start_penalty_dkk <= 0 && options.min_charge_block_min <= 0) return;
  const std::size_t n = slots.size();
  // Each car's rules, then its offers with the others' energies held (`absent`, if another car, left out).
  std::vector<OneCar> rules(cars.size());
  for (std::size_t i = 0; i < cars.size(); ++i) {
    OneCar& c = rules[i];
    c.need = std::max(0.0, cars[i].energy_wh);
    c.most = c.need + forced_wh(slots, cars[i]);
    c.charging_now = cars[i].charging_now;
    c.start_dkk = std::max(0.0, options.start_penalty_dkk);
    c.min_block_min = std::max(0.0, options.min_charge_block_min);
    for (std::size_t t = 0; t < n; ++t) c.minutes.push_back(60 * usable_h(slots[t], cars[i].departure));
  }
  auto one_car = [&](std::size_t i, std::size_t absent) {
    OneCar c = rules[i];
    for (std::size_t t = 0; t < n; ++t) {
      double others = 0;
      for (std::size_t k = 0; k < cars.size(); ++k)
        if (k != i && k != absent) others += energy[k][t];
      c.offer.push_back(offer(slots[t], cars[i], others));
    }
    return c;
  };
  auto fleet_value = [&] {
    double v = plan_cost(slots, energy) + shortfall_of(cars, energy) * shortfall_dkk_per_wh;
    for (std::size_t i = 0; i < cars.size(); ++i) v += start_cost(rules[i], energy[i]);
    return v;
  };
  for (int round = 0; round < rounds; ++round) {
    bool changed = false;
    for (std::size_t i = 0; i < cars.size(); ++i)
      if (!blocks(energy[i]).empty()) changed = improve(one_car(i, i), energy[i]) || changed;
    // Two cars: where the fuse is full, a car can only grow into a slot another car gives up. Car i
    // improved as if car j were away, then j re-fitted around it, kept if the two together cost less.
    if (cars.size() <= pairs_up_to)
      for (std::size_t i = 0; i < cars.size(); ++i)
        for (std::size_t j = 0; j < cars.size(); ++j) {
          if (i == j || !in_the_way(energy[j], energy[i], cars[i].charging_now)) continue;
          const double before = fleet_value();
          const auto xi = energy[i], xj = energy[j];
          if (!improve(one_car(i, j), energy[i])) continue;
          const OneCar cj = one_car(j, j);
          auto in = slots_of(energy[j]);
          for (std::size_t t = 0; t < n; ++t)
            if (in[t] && cj.offer[t].max_wh <= eps_wh) in[t] = 0;
          energy[j] = fill(cj, in).x;
          improve(cj, energy[j]);
          if (fleet_value() < before - 1e-9) {
            changed = true;
          } else {
            energy[i] = xi;
            energy[j] = xj;
          }
        }
    if (!changed) break;
  }
}

}  // namespace hemd::plan
