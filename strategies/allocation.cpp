#include "strategies/allocation.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>

namespace hemd {

namespace {

constexpr double eps = 1e-6;

struct Problem {
  const std::vector<Claim>& claims;
  const std::vector<Constraint>& constraints;
  std::vector<double> amps;

  double load(const Constraint& k) const {
    double sum = 0;
    for (const auto& [i, coeff] : k.terms) sum += coeff * amps[i];
    return sum;
  }
  bool feasible() const {
    return std::all_of(constraints.begin(), constraints.end(),
                       [&](const Constraint& k) { return load(k) <= k.capacity + eps; });
  }
  // The first violated constraint, or nullptr.
  const Constraint* violated() const {
    for (const auto& k : constraints)
      if (load(k) > k.capacity + eps) return &k;
    return nullptr;
  }
  bool in(const Constraint& k, int i) const {
    return std::any_of(k.terms.begin(), k.terms.end(),
                       [&](const auto& t) { return t.first == i && t.second > 0; });
  }
};

// Order in which claims are served (policy) and, reversed, in which they are paused when minimums do not fit.
std::vector<int> ranking(const std::vector<Claim>& claims, SharingPolicy policy) {
  std::vector<int> order(claims.size());
  std::iota(order.begin(), order.end(), 0);
  auto departure = [&](int i) { return claims[i].departure.value_or(std::numeric_limits<TimeMs>::max()); };
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    const Claim &x = claims[a], &y = claims[b];
    switch (policy) {
      case SharingPolicy::priority:
        return std::make_tuple(-x.priority, departure(a), x.delivered_wh, x.id) <
               std::make_tuple(-y.priority, departure(b), y.delivered_wh, y.id);
      case SharingPolicy::departure:
        return std::make_tuple(departure(a), -x.priority, x.delivered_wh, x.id) <
               std::make_tuple(departure(b), -y.priority, y.delivered_wh, y.id);
      case SharingPolicy::fair:
        break;
    }
    return std::make_tuple(-x.priority, x.delivered_wh, departure(a), x.id) <
           std::make_tuple(-y.priority, y.delivered_wh, departure(b), y.id);
  });
  return order;
}

// Raises the level of every claim in `group` together (each clamped to [min, want]) as far as the
// constraints allow, freezing claims as they reach their want or sit in a constraint that became tight.
void water_fill(Problem& p, std::vector<int> group, std::vector<std::string>& limited_by) {
  double level = 0;
  for (int i : group) level = std::min(level, p.amps[i]);
  while (!group.empty()) {
    auto set_level = [&](double l) {
      for (int i : group) p.amps[i] = std::clamp(l, p.claims[i].min_a, p.claims[i].want_a);
    };
    double top = 0;
    for (int i : group) top = std::max(top, p.claims[i].want_a);
    double lo = level, hi = top;
    set_level(hi);
    if (!p.feasible()) {
      for (int iter = 0; iter < 60 && hi - lo > 1e-7; ++iter) {
        const double mid = (lo + hi) / 2;
        set_level(mid);
        (p.feasible() ? lo : hi) = mid;
      }
      set_level(lo);
    } else {
      lo = hi;
    }
    level = lo;
    std::vector<int> still;
    for (int i : group) {
      const Constraint* tight = nullptr;
      for (const auto& k : p.constraints)
        if (p.in(k, i) && p.load(k) >= k.capacity - 1e-5) tight = &k;
      if (p.amps[i] >= p.claims[i].want_a - eps) continue;
      if (tight) {
        limited_by[i] = tight->name;
        continue;
      }
      still.push_back(i);
    }
    if (still.size() == group.size()) break;  // nothing could freeze: numerical corner, stop where we are
    group = std::move(still);
  }
}

}  // namespace

double round_to_steps(double amps, const Claim& c) {
  double r = 0;
  if (!c.steps_a.empty()) {
    for (double s : c.steps_a)
      if (s <= amps + eps) r = s;
  } else {
    const double step = c.step_a > 0 ? c.step_a : 1;
    r = std::floor((amps + eps) / step) * step;
  }
  return r + eps < c.min_a ? 0.0 : r;
}

Allocation allocate(const std::vector<Claim>& claims, const std::vector<Constraint>& given,
                    SharingPolicy policy) {
  // What fixed reservations alone overload is not the adjustable chargers' to repair (the fuse guard acts on
  // measurements): such a constraint leaves them no room, and no other constraint is affected.
  std::vector<Constraint> constraints = given;
  for (auto& k : constraints) {
    double fixed = 0;
    for (const auto& [i, coeff] : k.terms)
      if (claims[i].fixed_a) fixed += coeff * *claims[i].fixed_a;
    k.capacity = std::max(k.capacity, fixed);
  }
  Problem p{claims, constraints, std::vector<double>(claims.size(), 0.0)};
  Allocation out;
  out.limited_by.assign(claims.size(), "");
  const std::vector<int> order = ranking(claims, policy);

  std::vector<int> active;
  for (int i : order) {
    if (claims[i].fixed_a)
      p.amps[i] = *claims[i].fixed_a;
    else if (claims[i].want_a >= claims[i].min_a - eps && claims[i].want_a > 0)
      active.push_back(i);
  }
  // Everyone active starts at their minimum; while that does not fit, the last in the ranking that loads an
  // overfull constraint is paused. Never a car below its minimum.
  for (int i : active) p.amps[i] = claims[i].min_a;
  while (const Constraint* k = p.violated()) {
    auto victim = std::find_if(active.rbegin(), active.rend(), [&](int i) { return p.in(*k, i); });
    if (victim == active.rend()) break;  // cannot happen: capacities cover the fixed load
    p.amps[*victim] = 0;
    out.limited_by[*victim] = k->name + ": paused";
    active.erase(std::next(victim).base());
  }

  if (policy == SharingPolicy::fair) {
    water_fill(p, active, out.limited_by);
  } else {
    // Served in groups of equal rank key; later groups keep their minimum while earlier ones fill up.
    auto key = [&](int i) {
      return policy == SharingPolicy::priority
                 ? static_cast<double>(-claims[i].priority)
                 : static_cast<double>(claims[i].departure.value_or(std::numeric_limits<TimeMs>::max()));
    };
    for (std::size_t g = 0; g < active.size();) {
      std::size_t end = g;
      while (end < active.size() && key(active[end]) == key(active[g])) ++end;
      water_fill(p, std::vector<int>(active.begin() + g, active.begin() + end), out.limited_by);
      g = end;
    }
  }

  out.amps.resize(claims.size());
  for (std::size_t i = 0; i < claims.size(); ++i)
    out.amps[i] = claims[i].fixed_a ? *claims[i].fixed_a : round_to_steps(p.amps[i], claims[i]);
  return out;
}

const char* to_string(SharingPolicy p) {
  switch (p) {
    case SharingPolicy::fair:
      return "fair";
    case SharingPolicy::priority:
      return "priority";
    case SharingPolicy::departure:
      return "departure";
  }
  return "fair";
}

}  // namespace hemd
