#include "strategies/fleet_moves.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hemd::plan {

namespace {

constexpr double impossible = std::numeric_limits<double>::infinity();

struct OnCar {
  std::size_t car;
  double lo, hi, price;  // Wh in this slot; DKK per Wh elsewhere
};

// The estimates of a plan's moves. A quarter-hour's value is its cost less what its energies are worth
// to the cars charging in it: each at least at its minimum, topped up, the car that values energy most
// first, while it values it above the slot's marginal price (export price up to the surplus, import price
// above). That is the best split of the slot at these prices, since its cost is convex.
class Estimates {
 public:
  Estimates(const std::vector<PlanSlot>& slots, const Relaxation& relaxation,
            const std::vector<std::vector<double>>& energy, const std::vector<double>& price)
      : slots_(slots), relaxation_(relaxation), energy_(energy), n_(slots.size()) {
    // A car whose every slot is at its maximum has a dual price anywhere up to the shortfall's penalty;
    // no energy is worth more to it than the dearest grid energy of the day, nor less than the cheapest.
    double cheapest = std::numeric_limits<double>::infinity(), dearest = -cheapest;
    for (const auto& s : slots) {
      cheapest = std::min({cheapest, s.export_dkk_per_kwh / 1000, s.import_dkk_per_kwh / 1000});
      dearest = std::max(dearest, s.import_dkk_per_kwh / 1000);
    }
    for (const double p : price) price_.push_back(std::clamp(p, cheapest, std::max(cheapest, dearest)));
    for (std::size_t t = 0; t < n_; ++t) {
      std::vector<OnCar> on_cars;
      for (std::size_t i = 0; i < cars(); ++i)
        if (on(i, t)) on_cars.push_back(limits(i, t));
      std::sort(on_cars.begin(), on_cars.end(),
                [](const OnCar& a, const OnCar& b) { return a.price > b.price; });
      on_.push_back(std::move(on_cars));
    }
    for (std::size_t t = 0; t < n_; ++t) now_.push_back(value(t, cars(), cars(), 0));
  }

  std::size_t cars() const { return energy_.size(); }
  bool on(std::size_t i, std::size_t t) const { return energy_[i][t] > 0.5; }
  bool can(std::size_t i, std::size_t t) const { return relaxation_.max_wh(i * n_ + t) > 0; }
  double energy(std::size_t i, std::size_t t) const { return energy_[i][t]; }

  // What slot t's value changes by when car `out` leaves it and car `in` joins it with about `wh` (the
  // energy it leaves elsewhere, within its limits and the room the others leave); cars() is no car.
  double change(std::size_t t, std::size_t out, std::size_t in, double wh) const {
    return value(t, out, in, wh) - now_[t];
  }

 private:
  double value(std::size_t t, std::size_t out, std::size_t in, double wh) const {
    const PlanSlot& s = slots_[t];
    const double surplus = surplus_cap_wh(s), room = surplus + grid_cap_wh(s);
    double total = 0, worth = 0;
    for (const auto& c : on_[t])
      if (c.car != out && c.car != in) total += c.lo, worth += c.lo * c.price;
    if (in < cars()) {  // held at about the energy it brings: it does not take part in the top-up
      const OnCar c = limits(in, t);
      const double most = std::min(c.hi, room - total);
      if (most < c.lo) return impossible;
      const double x = std::clamp(wh, c.lo, most);
      total += x, worth += x * c.price;
    }
    if (total > room + 1e-6) return impossible;
    for (const auto& c : on_[t]) {
      if (c.car == out || c.car == in) continue;
      double more = c.hi - c.lo;
      if (total < surplus && c.price > s.export_dkk_per_kwh / 1000) {
        const double d = std::min(more, surplus - total);
        total += d, worth += d * c.price, more -= d;
      }
      if (c.price > s.import_dkk_per_kwh / 1000) {
        const double d = std::max(0.0, std::min(more, room - total));
        total += d, worth += d * c.price;
      }
    }
    return slot_cost(s, total) - worth;
  }
  OnCar limits(std::size_t i, std::size_t t) const {
    const std::size_t k = i * n_ + t;
    return {i, static_cast<double>(relaxation_.min_wh(k)) / units_per_wh,
            static_cast<double>(relaxation_.max_wh(k)) / units_per_wh, price_[i]};
  }

  const std::vector<PlanSlot>& slots_;
  const Relaxation& relaxation_;
  const std::vector<std::vector<double>>& energy_;
  std::size_t n_;
  std::vector<double> price_;
  std::vector<std::vector<OnCar>> on_;  // per slot, the cars charging there, dearest-valued first
  std::vector<double> now_;
};

}  // namespace

std::vector<Move> ranked_moves(const std::vector<PlanSlot>& slots, const Relaxation& relaxation,
                               const std::vector<std::vector<double>>& energy_wh,
                               const std::vector<double>& car_dkk_per_wh, std::size_t count) {
  const Estimates e(slots, relaxation, energy_wh, car_dkk_per_wh);
  const std::size_t n = slots.size(), m = e.cars();
  // The `count` cheapest so far, as a heap with the dearest of them on top: a large fleet has hundreds
  // of thousands of moves, and only the first few are solved.
  std::vector<Move> moves;
  const auto dearer = [](const Move& x, const Move& y) { return x.estimate < y.estimate; };
  auto keep = [&](double estimate, std::size_t i, std::size_t from, std::size_t to, std::size_t other) {
    if (!std::isfinite(estimate) || count == 0) return;
    if (moves.size() == count) {
      if (estimate >= moves.front().estimate) return;
      std::pop_heap(moves.begin(), moves.end(), dearer);
      moves.pop_back();
    }
    moves.push_back({estimate, i, from, to, other});
    std::push_heap(moves.begin(), moves.end(), dearer);
  };
  for (std::size_t i = 0; i < m; ++i) {
    std::vector<std::size_t> used{n}, unused{n};  // n: no quarter-hour (only add, or only drop)
    for (std::size_t t = 0; t < n; ++t)
      if (e.can(i, t)) (e.on(i, t) ? used : unused).push_back(t);
    std::vector<double> leave(n + 1, 0.0);
    for (std::size_t t : used)
      if (t < n) leave[t] = e.change(t, i, m, 0);
    for (std::size_t from : used)
      for (std::size_t to : unused) {
        if (from == n && to == n) continue;
        const double wh = from < n ? e.energy(i, from) : 0;  // an added slot starts at the minimum
        keep(leave[from] + (to < n ? e.change(to, m, i, wh) : 0), i, from, to, m);
      }
  }
  // Car i leaves a for b, car j leaves b for a.
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = i + 1; j < m; ++j)
      for (std::size_t a = 0; a < n; ++a) {
        if (!e.on(i, a) || e.on(j, a) || !e.can(j, a)) continue;
        for (std::size_t b = 0; b < n; ++b)
          if (e.on(j, b) && !e.on(i, b) && e.can(i, b))
            keep(e.change(a, i, j, e.energy(j, b)) + e.change(b, j, i, e.energy(i, a)), i, a, b, j);
      }
  std::sort_heap(moves.begin(), moves.end(), dearer);
  return moves;
}

std::vector<Fix> apply(const Move& move, std::vector<Fix> pattern, std::size_t slots) {
  const std::size_t cars = pattern.size() / slots;
  if (move.from < slots) pattern[move.car * slots + move.from] = Fix::off;
  if (move.to < slots) pattern[move.car * slots + move.to] = Fix::on;
  if (move.other < cars) {
    pattern[move.other * slots + move.to] = Fix::off;
    pattern[move.other * slots + move.from] = Fix::on;
  }
  return pattern;
}

}  // namespace hemd::plan
