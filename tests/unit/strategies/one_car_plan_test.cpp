// One car's plan against every on/off choice of its slots, on thousands of small random days.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "strategies/one_car_plan.h"

namespace hemd {
namespace {

struct Best {
  double cost = INFINITY;
  double delivered = 0;
};

// Every set of slots the car could use: each at its minimum, the rest of the need to the cheapest
// watt-hours of those slots (their cost is convex when surplus is the cheaper energy). The need may be
// passed only by what minimums force, as the planner allows.
Best brute_force(const std::vector<SlotOffer>& slots, double need, double most) {
  const std::size_t n = slots.size();
  Best best;
  double all = 0;
  for (const auto& s : slots) all += s.max_wh;
  const double deliverable = std::min(need, all);
  for (unsigned mask = 0; mask < (1u << n); ++mask) {
    double total = 0, cost = 0;
    bool usable = true;
    // The rest of the need goes to the cheapest energy: each slot's surplus above its minimum, then grid.
    std::vector<std::pair<double, double>> pieces;  // DKK/kWh, Wh
    for (std::size_t t = 0; t < n; ++t) {
      if (!(mask & (1u << t))) continue;
      const auto& s = slots[t];
      usable = usable && s.max_wh > 0;
      total += s.min_wh;
      cost += offer_cost(s, s.min_wh);
      const double surplus_end = std::clamp(s.surplus_wh, s.min_wh, s.max_wh);
      pieces.push_back({s.export_dkk_per_kwh, surplus_end - s.min_wh});
      pieces.push_back({s.import_dkk_per_kwh, s.max_wh - surplus_end});
    }
    if (!usable || total > most + 1e-6) continue;
    std::sort(pieces.begin(), pieces.end());
    for (const auto& [price, wh] : pieces) {
      const double take = std::min(wh, std::max(0.0, need - total));
      total += take;
      cost += take * price / 1000.0;
    }
    if (total < deliverable - 1e-6) continue;  // delivers less than some other choice can
    if (cost < best.cost) best = {cost, total};
  }
  return best;
}

TEST(OneCarPlan, MatchesEveryOnOffChoiceOnThousandsOfRandomDays) {
  std::mt19937 rng(17);
  std::uniform_real_distribution<double> u(0, 1);
  int checked = 0;
  for (int instance = 0; instance < 3000; ++instance) {
    const std::size_t n = 2 + instance % 7;
    const bool one_phase = u(rng) < 0.3;
    const double min_wh = (one_phase ? 1380 : 4140) / 4.0, max_wh = (one_phase ? 3680 : 11040) / 4.0;
    std::vector<SlotOffer> slots;
    for (std::size_t t = 0; t < n; ++t) {
      const double imp = 0.5 + 3 * u(rng), exp = std::min(imp, 2 * u(rng));
      // Some slots cut short by the fuse (below the minimum: unusable), some with a little surplus.
      double cap = u(rng) < 0.2 ? max_wh * u(rng) : max_wh;
      double lo = min_wh;
      if (cap < lo) lo = cap = 0;
      slots.push_back({lo, cap, u(rng) < 0.5 ? max_wh * 1.2 * u(rng) : 0, exp, imp});
    }
    const double need = std::round(200 + u(rng) * max_wh * static_cast<double>(n) * 0.9);
    const double most = need + min_wh;  // one slot at its minimum past the need, as the planner allows
    const OneCarPlan plan = plan_one_car(slots, need, most, 5e-4, 5000);
    const Best best = brute_force(slots, need, most);
    ASSERT_TRUE(std::isfinite(best.cost)) << "instance " << instance;
    ++checked;
    double delivered = 0;
    for (std::size_t t = 0; t < n; ++t) {
      const double e = plan.energy_wh[t];
      delivered += e;
      ASSERT_TRUE(e < 1e-6 || (e >= slots[t].min_wh - 1e-6 && e <= slots[t].max_wh + 1e-6))
          << "instance " << instance << " slot " << t << ": " << e << " Wh";
    }
    ASSERT_NEAR(delivered, best.delivered, 1.0)
        << "instance " << instance << ": the need is met if it can be";
    ASSERT_NEAR(plan.shortfall_wh, std::max(0.0, need - delivered), 1e-6);
    ASSERT_LE(plan.cost_dkk, best.cost + 1e-3 * std::abs(best.cost) + 1e-9)
        << "instance " << instance << ": " << plan.cost_dkk << " DKK against " << best.cost;
    ASSERT_LE(plan.lower_bound_dkk, best.cost + 1e-9) << "instance " << instance << ": the bound is no bound";
    ASSERT_GE(plan.cost_dkk, plan.lower_bound_dkk - 1e-9);
  }
  EXPECT_EQ(checked, 3000);
}

}  // namespace
}  // namespace hemd
