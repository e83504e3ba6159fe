#include "strategies/one_car_plan.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace hemd {

namespace {

constexpr double eps_wh = 1e-6;

enum class State : char { open, off, on };

struct Point {
  double x, y;
};

// A piece of a slot's cost, taken whole before the slot's next piece (slopes rise within a slot).
struct Segment {
  double slope;  // DKK/Wh
  double length;
  std::size_t slot;
  State state;  // the slot's state this piece belongs to
};

// A slot's cost curve has at most four corners (0, the minimum, the end of the surplus, the maximum):
// kept in place, since the planner builds two curves per slot for every car it plans.
struct Corners {
  std::array<Point, 4> p;
  std::size_t size = 0;
  void push_back(Point q) { p[size++] = q; }
};

Corners lower_hull(const Corners& p) {
  Corners h;
  for (std::size_t i = 0; i < p.size; ++i) {
    const Point& q = p.p[i];
    while (h.size >= 2) {
      const auto& a = h.p[h.size - 2];
      const auto& b = h.p[h.size - 1];
      // b lies on or above the line from a to q: it is not a vertex of the lower hull.
      if ((b.y - a.y) * (q.x - a.x) >= (q.y - a.y) * (b.x - a.x) - 1e-12)
        --h.size;
      else
        break;
    }
    h.push_back(q);
  }
  return h;
}

// The cost curve's corners from `from` on: the minimum (or 0), the end of the surplus, the maximum.
Corners corners(const SlotOffer& s, double from) {
  Corners p;
  if (from == 0) p.push_back({0, 0});
  p.push_back({s.min_wh, offer_cost(s, s.min_wh)});
  if (s.surplus_wh > s.min_wh + eps_wh && s.surplus_wh < s.max_wh - eps_wh)
    p.push_back({s.surplus_wh, offer_cost(s, s.surplus_wh)});
  if (s.max_wh > s.min_wh + eps_wh) p.push_back({s.max_wh, offer_cost(s, s.max_wh)});
  return p;
}

struct Relaxed {
  double objective = 0;  // hull cost plus shortfall penalty
  std::vector<double> x;
  double shortfall = 0;
};

class Knapsack {
 public:
  Knapsack(const std::vector<SlotOffer>& slots, double need, double slack)
      : slots_(slots), need_(need), most_(need + slack) {
    segments_.reserve(6 * slots.size());
    for (std::size_t t = 0; t < slots.size(); ++t) {
      if (slots[t].max_wh <= eps_wh) continue;
      add(lower_hull(corners(slots[t], 0)), t, State::open);
      add(lower_hull(corners(slots[t], slots[t].min_wh)), t, State::on);
    }
    std::stable_sort(segments_.begin(), segments_.end(),
                     [](const Segment& a, const Segment& b) { return a.slope < b.slope; });
  }

  bool usable(std::size_t t) const { return slots_[t].max_wh > eps_wh; }

  // The hull relaxation with some slots held off or on: forced minimums first, then the cheapest pieces.
  bool solve(const std::vector<State>& state, Relaxed& r) const {
    r.x.assign(slots_.size(), 0.0);
    double total = 0, cost = 0;
    for (std::size_t t = 0; t < slots_.size(); ++t)
      if (state[t] == State::on) {
        r.x[t] = slots_[t].min_wh;
        total += r.x[t];
        cost += offer_cost(slots_[t], r.x[t]);
      }
    if (total > most_ + eps_wh) return false;
    for (const auto& s : segments_) {
      if (state[s.slot] != s.state) continue;
      // Beyond the need only where energy pays to take (a negative price), up to what a minimum may force.
      const double target = s.slope < 0 ? most_ : need_;
      if (total >= target - eps_wh) {
        if (s.slope >= 0) break;
        continue;
      }
      const double take = std::min(s.length, target - total);
      r.x[s.slot] += take;
      total += take;
      cost += take * s.slope;
    }
    r.shortfall = std::max(0.0, need_ - total);
    r.objective = cost + r.shortfall * shortfall_dkk_per_wh;
    return true;
  }

 private:
  void add(const Corners& hull, std::size_t t, State state) {
    for (std::size_t k = 1; k < hull.size; ++k) {
      const double length = hull.p[k].x - hull.p[k - 1].x;
      if (length > eps_wh) segments_.push_back({(hull.p[k].y - hull.p[k - 1].y) / length, length, t, state});
    }
  }

  const std::vector<SlotOffer>& slots_;
  double need_, most_;
  std::vector<Segment> segments_;
};

}  // namespace

double offer_cost(const SlotOffer& s, double energy_wh) {
  const double from_surplus = std::min(energy_wh, std::max(0.0, s.surplus_wh));
  return (from_surplus * s.export_dkk_per_kwh + (energy_wh - from_surplus) * s.import_dkk_per_kwh) / 1000.0;
}

OneCarPlan plan_one_car(const std::vector<SlotOffer>& slots, double need_wh, double most_wh, double tolerance,
                        int node_limit) {
  const std::size_t n = slots.size();
  need_wh = std::max(0.0, need_wh);
  const Knapsack knapsack(slots, need_wh, std::max(0.0, most_wh - need_wh));

  struct Node {
    std::vector<State> state;
    double bound;
  };
  OneCarPlan best;
  best.energy_wh.assign(n, 0.0);
  double best_objective = std::numeric_limits<double>::infinity();
  auto good_enough = [&](double bound) {
    return bound >= best_objective - tolerance * std::abs(best.cost_dkk) - 1e-9;
  };
  std::vector<Node> stack{{std::vector<State>(n, State::open), -std::numeric_limits<double>::infinity()}};
  // Deep enough for one dive to a plan whatever the limit: each level settles one slot.
  node_limit = std::max(node_limit, static_cast<int>(2 * n + 2));
  Relaxed r;
  double pruned = std::numeric_limits<double>::infinity();  // the least bound of a branch given up
  while (!stack.empty() && best.nodes < node_limit) {
    Node node = std::move(stack.back());
    stack.pop_back();
    if (good_enough(node.bound)) {
      pruned = std::min(pruned, node.bound);
      continue;
    }
    ++best.nodes;
    if (!knapsack.solve(node.state, r)) continue;
    if (good_enough(r.objective)) {
      pruned = std::min(pruned, r.objective);
      continue;
    }
    // Settle the slot furthest between 0 and its minimum (the marginal one; ties may give several).
    std::size_t pick = n;
    double worst = 0, true_cost = 0;
    for (std::size_t t = 0; t < n; ++t) {
      if (r.x[t] <= eps_wh) continue;
      true_cost += offer_cost(slots[t], r.x[t]);
      if (node.state[t] == State::open && r.x[t] < slots[t].min_wh - eps_wh)
        if (const double d = std::min(r.x[t], slots[t].min_wh - r.x[t]) + eps_wh; d > worst)
          worst = d, pick = t;
    }
    if (pick == n) {  // a plan: its true cost (above the hull's only where a price is negative)
      const double objective = true_cost + r.shortfall * shortfall_dkk_per_wh;
      if (objective < best_objective) {
        best_objective = objective;
        best.energy_wh = r.x;
        best.cost_dkk = true_cost;
        best.shortfall_wh = r.shortfall;
      }
      continue;
    }
    Node on{node.state, r.objective}, off{std::move(node.state), r.objective};
    on.state[pick] = State::on;
    off.state[pick] = State::off;
    const bool nearer_on = 2 * r.x[pick] >= slots[pick].min_wh;
    stack.push_back(nearer_on ? std::move(off) : std::move(on));
    stack.push_back(nearer_on ? std::move(on) : std::move(off));
  }
  best.lower_bound_dkk = std::min(best_objective, pruned);
  for (const auto& node : stack) best.lower_bound_dkk = std::min(best.lower_bound_dkk, node.bound);
  best.lower_bound_dkk -= best.shortfall_wh * shortfall_dkk_per_wh;
  return best;
}

}  // namespace hemd
