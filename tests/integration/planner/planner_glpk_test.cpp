// The planner against GLPK's MILP optimum of the same problem, on random days.
#include <gtest/gtest.h>

#include <random>

#include "tests/integration/planner/reference_milp.h"
#include "tests/support/process.h"

namespace hemd::test {
namespace {

CarNeed random_car(std::mt19937& rng, int index, int n) {
  std::uniform_real_distribution<double> u(0, 1);
  CarNeed c;
  c.id = "car" + std::to_string(index);
  const bool one_phase = u(rng) < 0.3;
  c.min_w = one_phase ? 1380 : 4140;
  c.max_w = one_phase ? 3680 : 11040;
  c.departure = static_cast<TimeMs>((n / 3 + u(rng) * (2 * n / 3)) * quarter_ms);
  c.energy_wh = std::round(4000 + u(rng) * (one_phase ? 12000 : 36000));
  return c;
}

double gap(const Plan& p, double optimum) {
  return (p.cost_dkk - optimum) / std::max(1.0, std::abs(optimum));
}

TEST(PlannerVsGlpk, SingleCarWithinOnePerMille) {
  TempDir dir;
  std::mt19937 rng(7);
  for (int run = 0; run < 6; ++run) {
    const auto slots = random_day(rng, 48);
    const std::vector<CarNeed> cars = {random_car(rng, 0, 48)};
    const Plan p = plan_charging(slots, cars);
    ASSERT_NEAR(p.cars[0].shortfall_wh, 0, 1) << "run " << run << ": the need fits by departure";
    const auto best = glpk_optimum(milp(slots, cars), dir.path());
    ASSERT_TRUE(best) << read_file(dir.file("glpsol.log"));
    EXPECT_LE(gap(p, *best), 0.001) << "run " << run << ": planner " << p.cost_dkk << " DKK, GLPK " << *best;
    EXPECT_GE(gap(p, *best), -0.001) << "cheaper than the optimum: the plan breaks a constraint";
    EXPECT_GE(p.cost_dkk, p.lower_bound_dkk * (1 - 1e-4) - 1e-4) << "below the relaxation's optimum";
    std::printf("single car run %d: planner %.4f DKK, GLPK %.4f DKK, gap %+.4f %%, LP bound %.4f\n", run,
                p.cost_dkk, *best, 100 * gap(p, *best), p.lower_bound_dkk);
  }
}

// Several cars: each is planned exactly against the others, in every order, then re-planned alone and in
// pairs; that is a local optimum. Measured gaps so far: 0 to 0.43 %; the 0.1 % bound of a single car is not
// yet met for fleets, so this asserts 1 % and prints the gap (bench_planner prints more).
TEST(PlannerVsGlpk, SeveralCarsSharingTheFuseWithinOnePercent) {
  TempDir dir;
  std::mt19937 rng(11);
  for (int run = 0; run < 4; ++run) {
    const auto slots = random_day(rng, 32, 11000);  // a tight fuse: the cars compete
    std::vector<CarNeed> cars;
    for (int i = 0; i < 3; ++i) cars.push_back(random_car(rng, i, 32));
    const Plan p = plan_charging(slots, cars);
    double short_wh = 0;
    for (const auto& c : p.cars) short_wh += c.shortfall_wh;
    if (short_wh > 1) continue;  // compared only where the need fits; shortfall is tested on its own
    const auto best = glpk_optimum(milp(slots, cars), dir.path());
    ASSERT_TRUE(best) << read_file(dir.file("glpsol.log"));
    EXPECT_LE(gap(p, *best), 0.01) << "run " << run << ": planner " << p.cost_dkk << " DKK, GLPK " << *best;
    EXPECT_GE(gap(p, *best), -0.001);
    EXPECT_GE(p.cost_dkk, p.lower_bound_dkk * (1 - 1e-4) - 1e-4);
    std::printf("3 cars run %d: planner %.4f DKK, GLPK %.4f DKK, gap %+.4f %%\n", run, p.cost_dkk, *best,
                100 * gap(p, *best));
  }
}

}  // namespace
}  // namespace hemd::test
