// The fleet planner's second relaxation (the cars' needs priced) against every plan of small sunny
// mornings, enumerated: each car on or off in each quarter-hour, the energies then set by the flow.
#include <gtest/gtest.h>

#include <random>

#include "strategies/fleet_pricing.h"

namespace hemd::plan {
namespace {

constexpr TimeMs q = 900'000;

struct Morning {
  std::vector<PlanSlot> slots;
  std::vector<CarNeed> cars;
};

// A surplus mostly below a 3-phase car's minimum (4.1 kW), shared by a 3-phase and a 1-phase car or two.
Morning sunny_morning(std::mt19937& rng, int cars_n, int n) {
  std::uniform_real_distribution<double> u(0, 1);
  Morning m;
  for (int t = 0; t < n; ++t)
    m.slots.push_back(
        {t * q, (t + 1) * q, 1.0 + 1.5 * u(rng), 0.05 + 0.3 * u(rng), 500 + 5000 * u(rng), 11000});
  for (int i = 0; i < cars_n; ++i) {
    const bool one_phase = i == 1;
    m.cars.push_back({"car" + std::to_string(i), std::round(1000 + u(rng) * (one_phase ? 2000 : 4000)),
                      static_cast<TimeMs>(n / 2 + 1 + static_cast<int>(u(rng) * (n / 2))) * q,
                      one_phase ? 1380.0 : 4140.0, one_phase ? 3680.0 : 11040.0});
  }
  return m;
}

// The cheapest plan that keeps `within`, by trying every way to hold the open cars and slots.
double cheapest(const Morning& m, Relaxation& flow, std::vector<Fix> within) {
  std::vector<std::size_t> open;
  for (std::size_t k = 0; k < within.size(); ++k) {
    if (flow.max_wh(k) == 0) within[k] = Fix::off;
    if (within[k] == Fix::open) open.push_back(k);
  }
  double best = std::numeric_limits<double>::infinity();
  for (unsigned bits = 0; bits < (1u << open.size()); ++bits) {
    for (std::size_t j = 0; j < open.size(); ++j) within[open[j]] = (bits >> j & 1u) ? Fix::on : Fix::off;
    const auto r = flow.solve(within);
    if (!r) continue;
    std::vector<std::vector<double>> energy(m.cars.size(), std::vector<double>(m.slots.size()));
    for (std::size_t k = 0; k < r->flow.size(); ++k)
      energy[k / m.slots.size()][k % m.slots.size()] = static_cast<double>(r->flow[k]) / units_per_wh;
    best = std::min(best, objective(m.slots, m.cars, energy));
  }
  return best;
}

TEST(NeedPricing, NeverAboveAnyPlanAndTighterThanTheFlow) {
  std::mt19937 rng(31);
  int tighter = 0;
  const int mornings = 24;
  for (int run = 0; run < mornings; ++run) {
    const int cars_n = 2 + run % 2;
    const Morning m = sunny_morning(rng, cars_n, cars_n == 2 ? 6 : 4);
    ASSERT_TRUE(NeedPricing::applies(m.slots, m.cars));
    Relaxation flow(m.slots, m.cars);
    NeedPricing pricing(m.slots, m.cars);
    pricing.maximise(200);
    const std::vector<Fix> all(flow.arcs(), Fix::open);
    const double optimum = cheapest(m, flow, all);
    const auto root = flow.solve(all);
    SCOPED_TRACE("run " + std::to_string(run));
    EXPECT_LE(pricing.bound(), optimum + 1e-9);
    // Where every need can be met, the best prices bound at least as well as the flow (which lets every
    // car take a fraction of its minimum), but for the flow's rounding to milliwatt-hours. (A need that
    // cannot be met is priced at the shortfall's penalty, beyond the prices searched: the flow's bound
    // is the one that counts there.)
    const bool met =
        std::all_of(root->shortfall.begin(), root->shortfall.end(), [](Energy e) { return e == 0; });
    if (met) {
      EXPECT_GE(pricing.bound(), root->objective - 1e-4);
    }
    tighter += met && pricing.bound() > root->objective + 1e-3 * optimum;

    // Each car and slot held one way: the bound plus the slot's penalty stays below every such plan.
    for (std::size_t k = 0; k < flow.arcs(); ++k) {
      if (flow.max_wh(k) == 0) continue;
      for (const Fix f : {Fix::on, Fix::off}) {
        std::vector<Fix> fix = all;
        fix[k] = f;
        const double least = cheapest(m, flow, fix);
        EXPECT_LE(pricing.bound() + pricing.penalty(k, f), least + 1e-9) << "arc " << k;
        EXPECT_LE(pricing.bound(fix), least + 1e-9) << "arc " << k;
      }
    }
  }
  // Where the surplus is below the cars' minimums the flow is weak: the prices must see it.
  EXPECT_GE(tighter, mornings / 3);
  std::printf("the priced needs' bound is above the flow's by more than 0.1 %% on %d of %d mornings\n",
              tighter, mornings);
}

TEST(NeedPricing, OnlyWhereEachQuarterHourCanBeSolvedAlone) {
  std::mt19937 rng(5);
  Morning m = sunny_morning(rng, 2, 4);
  EXPECT_TRUE(NeedPricing::applies(m.slots, m.cars));
  m.slots[2].export_dkk_per_kwh = m.slots[2].import_dkk_per_kwh + 0.1;  // export dearer: not convex
  EXPECT_FALSE(NeedPricing::applies(m.slots, m.cars));
  m = sunny_morning(rng, 1, 4);
  EXPECT_FALSE(NeedPricing::applies(m.slots, m.cars));  // one car: its own planner is exact
}

}  // namespace
}  // namespace hemd::plan
