// The deeper searches for a plan its bound does not prove, and a search asked to stop.
#include <gtest/gtest.h>

#include <random>

#include "strategies/planner.h"

namespace hemd {
namespace {

constexpr TimeMs q = 900'000;

struct Day {
  std::vector<PlanSlot> slots;
  std::vector<CarNeed> cars;
};

// Three cars sharing a sunny day's surplus, which is below their minimums for hours, under a fuse that
// holds two of them: the days whose plans the search works hardest for.
Day sunny_day(std::mt19937& rng, std::size_t n) {
  std::uniform_real_distribution<double> u(0, 1);
  Day d;
  for (std::size_t t = 0; t < n; ++t) {
    const double sun = std::max(0.0, std::sin(3.14159 * static_cast<double>(t) / static_cast<double>(n)));
    d.slots.push_back({TimeMs(t) * q, TimeMs(t + 1) * q, 1.5 + 2 * u(rng), 0.3 + 0.4 * u(rng),
                       sun * 7000 * u(rng), 9000 + 4000 * u(rng)});
  }
  for (int i = 0; i < 3; ++i) {
    const bool one_phase = u(rng) < 0.3;
    d.cars.push_back({"c" + std::to_string(i), std::round(3000 + 12000 * u(rng)),
                      static_cast<TimeMs>((0.5 + 0.5 * u(rng)) * static_cast<double>(n) * q),
                      one_phase ? 1380.0 : 4140.0, one_phase ? 3680.0 : 11040.0});
  }
  return d;
}

double total_shortfall(const Plan& p) {
  double wh = 0;
  for (const auto& c : p.cars) wh += c.shortfall_wh;
  return wh;
}

// Whatever the deeper searches find, the plan handed out first is the first search's, each one after it
// is cheaper, and the last is what it returns, never dearer than the first nor with a lower bound. (A
// tolerance few plans are proven within, and a small budget, make most of these days searched deeper.)
TEST(PlannerDeeper, EachPlanHandedOutIsCheaperAndTheBoundOnlyRises) {
  std::mt19937 rng(11);
  PlanOptions strict;
  strict.tolerance = 1e-7;
  strict.small_fleet_relaxations = 50;  // and a small budget, which more budget improves on
  strict.small_fleet_proof = 50;
  strict.priced_flow_budget = 1e4;
  strict.deeper_searches = {4, 16};
  int searched_deeper = 0, improved = 0;
  for (int day = 0; day < 40; ++day) {
    const auto d = sunny_day(rng, 24 + day % 17);
    const Plan first = plan_charging(d.slots, d.cars, strict);
    std::vector<Plan> handed;
    const Plan p = plan_charging_deeper(d.slots, d.cars, strict, [&](const Plan& x) { handed.push_back(x); });
    ASSERT_FALSE(handed.empty());
    EXPECT_DOUBLE_EQ(handed.front().cost_dkk, first.cost_dkk) << "day " << day;
    for (std::size_t k = 1; k < handed.size(); ++k)
      EXPECT_LT(handed[k].cost_dkk, handed[k - 1].cost_dkk) << "day " << day;
    EXPECT_DOUBLE_EQ(handed.back().cost_dkk, p.cost_dkk) << "day " << day;
    EXPECT_LE(p.cost_dkk, first.cost_dkk + 1e-9) << "day " << day;
    EXPECT_NEAR(total_shortfall(p), total_shortfall(first), 1) << "day " << day;
    EXPECT_GE(p.lower_bound_dkk, first.lower_bound_dkk - 1e-9) << "day " << day;
    EXPECT_LE(p.lower_bound_dkk, p.cost_dkk + 1e-9) << "day " << day;
    searched_deeper += p.search_nodes > first.search_nodes;
    improved += handed.size() > 1;
  }
  std::printf("40 sunny 3-car days: %d searched deeper, %d of them cheaper for it\n", searched_deeper,
              improved);
  EXPECT_GE(searched_deeper, 10);
  EXPECT_GE(improved, 3) << "too few cheaper plans to show them handed out in turn";
}

// A stop ends the search at once with a plan that keeps every limit: the daemon asks when a newer job
// comes or it is stopped, and must not wait out a deeper search's budget.
TEST(PlannerDeeper, AStopRequestEndsTheSearchWithAPlanWithinTheLimits) {
  std::mt19937 rng(5);
  int shortened = 0;
  for (int day = 0; day < 20; ++day) {
    const auto d = sunny_day(rng, 40);
    const Plan whole = plan_charging(d.slots, d.cars);
    PlanOptions stop;
    int asked = 0;
    stop.stop_requested = [&] { return ++asked >= 1; };
    int handed = 0;
    const Plan p = plan_charging_deeper(d.slots, d.cars, stop, [&](const Plan&) { ++handed; });
    EXPECT_EQ(handed, 1) << "day " << day << ": no deeper search after a stop";
    EXPECT_LE(p.search_nodes, whole.search_nodes) << "day " << day;
    shortened += p.search_nodes < whole.search_nodes;
    for (std::size_t t = 0; t < d.slots.size(); ++t) {
      double total = 0;
      for (std::size_t i = 0; i < d.cars.size(); ++i) {
        const double e = p.cars[i].energy_wh[t];
        const double h = std::max(  // the car leaves within its last quarter-hour
            0.0,
            static_cast<double>(std::min(d.slots[t].end, d.cars[i].departure) - d.slots[t].start) / 3.6e6);
        ASSERT_TRUE(e < 1e-6 || (e >= d.cars[i].min_w * h - 1 && e <= d.cars[i].max_w * h + 1))
            << "day " << day << " car " << i << " slot " << t << ": " << e << " Wh";
        total += e;
      }
      ASSERT_LE(total, d.slots[t].headroom_w / 4 + 1e-6) << "day " << day << " slot " << t;
    }
  }
  EXPECT_GT(shortened, 0) << "no search was long enough to be cut short";
}

}  // namespace
}  // namespace hemd
