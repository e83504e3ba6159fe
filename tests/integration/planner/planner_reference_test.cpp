// The planner against the MILP optimum of the same problem (COIN-OR CBC), on random days.
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>

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

TEST(PlannerVsMilp, SingleCarWithinOnePerMille) {
  TempDir dir;
  std::mt19937 rng(7);
  for (int run = 0; run < 6; ++run) {
    const auto slots = random_day(rng, 48);
    const std::vector<CarNeed> cars = {random_car(rng, 0, 48)};
    const Plan p = plan_charging(slots, cars);
    ASSERT_NEAR(p.cars[0].shortfall_wh, 0, 1) << "run " << run << ": the need fits by departure";
    const auto best = milp_optimum(milp(slots, cars), dir.path());
    ASSERT_TRUE(best) << read_file(dir.file("cbc.log"));
    EXPECT_LE(gap(p, *best), 0.001) << "run " << run << ": planner " << p.cost_dkk << " DKK, CBC " << *best;
    EXPECT_GE(gap(p, *best), -0.001) << "cheaper than the optimum: the plan breaks a constraint";
    EXPECT_GE(p.cost_dkk, p.lower_bound_dkk * (1 - 1e-4) - 1e-4) << "below the relaxation's optimum";
    std::printf("single car run %d: planner %.4f DKK, CBC %.4f DKK, gap %+.4f %%, LP bound %.4f\n", run,
                p.cost_dkk, *best, 100 * gap(p, *best), p.lower_bound_dkk);
  }
}

// Several cars sharing the fuse: a tight evening fuse where they compete for every cheap quarter, and a
// sunny morning where surplus below the cars' minimum makes the choice of slots hard.
void compare_fleets(std::mt19937& rng, const char* what, int runs, int cars_n,
                    const std::function<std::vector<PlanSlot>()>& day) {
  TempDir dir;
  int compared = 0;
  for (int run = 0; run < runs; ++run) {
    const auto slots = day();
    const int n = static_cast<int>(slots.size());
    std::vector<CarNeed> cars;
    for (int i = 0; i < cars_n; ++i) cars.push_back(random_car(rng, i, n));
    const Plan p = plan_charging(slots, cars);
    double short_wh = 0;
    for (const auto& c : p.cars) short_wh += c.shortfall_wh;
    if (short_wh > 1) {  // the reference asks for the whole need; shortfall is tested on its own
      std::printf("%s run %d: %.0f Wh cannot be delivered, not compared\n", what, run, short_wh);
      continue;
    }
    const auto best = milp_optimum(milp(slots, cars), dir.path(), 20);
    if (!best) {  // CBC ran out of time: no reference for this one
      std::printf("%s run %d: planner %.4f DKK, CBC found no proven optimum\n", what, run, p.cost_dkk);
      continue;
    }
    ++compared;
    EXPECT_LE(gap(p, *best), 0.001) << what << " run " << run << ": planner " << p.cost_dkk << " DKK, CBC "
                                    << *best;
    EXPECT_GE(gap(p, *best), -0.001) << "cheaper than the optimum: the plan breaks a constraint";
    // The flow works in whole milliwatt-hours: its bound may stand a rounding above the exact optimum.
    EXPECT_LE(p.lower_bound_dkk, *best + 1e-4 * std::abs(*best) + 1e-3)
        << "the planner's bound is above the optimum";
    std::printf("%s run %d: planner %.4f DKK, CBC %.4f DKK, gap %+.4f %%, %d relaxations\n", what, run,
                p.cost_dkk, *best, 100 * gap(p, *best), p.search_nodes);
  }
  EXPECT_GE(compared, runs / 2) << "CBC proved too few optima to compare with";
}

TEST(PlannerVsMilp, SeveralCarsSharingATightFuseWithinOnePerMille) {
  std::mt19937 rng(11);
  compare_fleets(rng, "tight fuse, 3 cars", 6, 3, [&] { return random_day(rng, 32, 11000); });
}

TEST(PlannerVsMilp, SeveralCarsOnASunnyMorningWithinOnePerMille) {
  std::mt19937 rng(23);
  compare_fleets(rng, "sunny morning, 3 cars", 6, 3, [&] { return random_hours(rng, 28, 32); });
}

// The property over many instances: small fleets (2 or 3 cars, 2 to 4 hours, tight nights and sunny
// hours alike) are small enough for CBC to prove every optimum in well under a second, so every one is
// compared.
TEST(PlannerVsMilp, HundredsOfSmallFleetsAllWithinOnePerMille) {
  TempDir dir;
  std::mt19937 rng(2027);
  std::uniform_real_distribution<double> u(0, 1);
  int compared = 0, above = 0;
  double worst = 0;
  for (int run = 0; run < 400; ++run) {
    const int n = 8 + static_cast<int>(u(rng) * 9);
    const auto slots =
        u(rng) < 0.5 ? random_hours(rng, 28 + static_cast<int>(u(rng) * 16), n) : random_day(rng, n, 11000);
    std::vector<CarNeed> cars;
    for (int i = 0; i < 2 + run % 2; ++i) {
      cars.push_back(random_car(rng, i, n));
      cars.back().energy_wh = std::round(cars.back().energy_wh / 3);
    }
    const Plan p = plan_charging(slots, cars);
    double short_wh = 0;
    for (const auto& c : p.cars) short_wh += c.shortfall_wh;
    if (short_wh > 1) continue;  // the reference asks for the whole need; shortfall is tested on its own
    const auto best = milp_optimum(milp(slots, cars), dir.path(), 20);
    ASSERT_TRUE(best) << "run " << run << ": CBC found no optimum\n" << read_file(dir.file("cbc.log"));
    ++compared;
    worst = std::max(worst, gap(p, *best));
    above += gap(p, *best) > 0.001;
    EXPECT_LE(gap(p, *best), 0.001) << "run " << run << ": planner " << p.cost_dkk << " DKK, CBC " << *best;
    EXPECT_GE(gap(p, *best), -0.001) << "run " << run << ": cheaper than the optimum";
    EXPECT_LE(p.lower_bound_dkk, *best + 1e-4 * std::abs(*best) + 1e-3) << "run " << run;
  }
  std::printf("%d small fleets compared, %d above 0.1 %%, worst gap %+.4f %%\n", compared, above,
              100 * worst);
  EXPECT_GE(compared, 300) << "too few instances could be met in full to compare";
}

// One instance against CBC's optimum (which must be proven within 2 minutes): within 0.1 %, never below it,
// and the plan's bound never above it.
void expect_optimal(const Instance& x, const std::string& what) {
  TempDir dir;
  const Plan p = plan_charging(x.slots, x.cars);
  const auto best = milp_optimum(milp(x.slots, x.cars), dir.path(), 120);
  ASSERT_TRUE(best) << what << ": CBC found no optimum\n" << read_file(dir.file("cbc.log"));
  EXPECT_LE(gap(p, *best), 0.001) << what << ": planner " << p.cost_dkk << " DKK, CBC " << *best;
  EXPECT_GE(gap(p, *best), -0.001) << what << ": cheaper than the optimum";
  EXPECT_LE(p.lower_bound_dkk, *best + 1e-4 * std::abs(*best) + 1e-3) << what;
  std::printf("%s: planner %.4f DKK, CBC %.4f DKK, gap %+.4f %%, bound %.4f, %d relaxations\n", what.c_str(),
              p.cost_dkk, *best, 100 * gap(p, *best), p.lower_bound_dkk, p.search_nodes);
}

// The three of bench_planner's 3 000 random instances that were still more than 0.1 % above CBC's optimum
// before the second relaxation (the cars' needs priced): 3-car sunny mornings whose optimum trades
// quarter-hours through all three cars. CBC itself needs seconds and hundreds of nodes for each.
TEST(PlannerVsMilp, TheBenchsHardestSunnyFleetsWithinOnePerMille) {
  for (const int k : {518, 1487, 2663})
    expect_optimal(bench_instance(k), "bench instance #" + std::to_string(k));
}

// Whole days of eight cars (bench_planner's HEMD_BENCH_FLEETS), on four that CBC proves within seconds:
// re-planning the cars in pairs brought days 0, 2 and 5 from +0.42, +0.53 and +0.33 % to within 0.1 %;
// day 4 (+0.11 % then) needed the moves ranked by the flow's prices (fleet_moves.h).
TEST(PlannerVsMilp, WholeDaysOfEightCarsWithinOnePerMille) {
  for (const int day : {0, 2, 4, 5})
    expect_optimal(whole_day(8, day), "8 cars, whole day " + std::to_string(day));
}

// Whole days of five cars, on two that CBC proves within seconds and that were +0.36 and +0.11 % above
// its optimum before the moves were ranked by the flow's prices.
TEST(PlannerVsMilp, WholeDaysOfFiveCarsWithinOnePerMille) {
  for (const int day : {1, 7}) expect_optimal(whole_day(5, day), "5 cars, whole day " + std::to_string(day));
}

// One instance proven by the plan's own bound (checked against CBC in the tests above): within 0.1 %.
void expect_proven(const Instance& x, const std::string& what) {
  const Plan p = plan_charging(x.slots, x.cars);
  EXPECT_LE(gap(p, p.lower_bound_dkk), 0.001)
      << what << ": planner " << p.cost_dkk << " DKK, bound " << p.lower_bound_dkk;
  std::printf("%s: planner %.4f DKK, bound %.4f, proven within %.4f %%\n", what.c_str(), p.cost_dkk,
              p.lower_bound_dkk, 100 * gap(p, p.lower_bound_dkk));
}

// Sunny whole days of five cars whose surplus nearly covers the need, which CBC does not prove within
// 10 minutes: the plan's own bound (checked against CBC above) must prove each within 0.1 %. Before the
// neighbourhood of the priced ties (and its budget) they were 0.27, 0.52 and 0.16 % above it, and
// 0.24, 0.52 and 0.15 % above CBC's best plan after 10 minutes.
TEST(PlannerVsMilp, SunnyWholeDaysOfFiveCarsProvenWithinOnePerMille) {
  for (const int day : {0, 4, 5})
    expect_proven(whole_day(5, day), "5 cars, sunny whole day " + std::to_string(day));
}

// A random sunny day of five cars (the sixth drawn from this seed) whose plan stopped 0.72 % above its bound,
// +0.28 % above CBC's best plan after 2 minutes: the dive through the ties spent its budget on strong
// branching before it reached a plan.
TEST(PlannerVsMilp, RandomSunnyDayOfFiveCarsProvenWithinOnePerMille) {
  std::mt19937 rng(5103);
  Instance x{{}, {}, true};
  for (int day = 0; day <= 5; ++day) {
    x.slots = random_day(rng, 96, 25000);
    x.cars = random_cars(rng, 5, 96);
  }
  expect_proven(x, "5 cars, random sunny day");
}

// Random fleets over a day and a half (144 quarter-hours, as far as day-ahead prices reach), the sixth
// drawn from each seed. Their plans stopped 0.42 % (5 cars) and 0.18 % (8 cars) above their bound: the dives
// ran out of relaxations before they reached a plan, and the ties alone held the plan too close to the
// prices. CBC's best 5-car plan after 2 minutes is 52.85 DKK, 0.2 % above this planner's.
TEST(PlannerVsMilp, DayAndAHalfOfFiveAndEightCarsProvenWithinOnePerMille) {
  for (const int cars : {5, 8}) {
    std::mt19937 rng(static_cast<std::mt19937::result_type>(7 + 1000 * cars + 144));
    Instance x{{}, {}, true};
    for (int draw = 0; draw <= 5; ++draw) {
      x.slots = random_day(rng, 144, 25000);
      x.cars = random_cars(rng, cars, 144);
    }
    expect_proven(x, std::to_string(cars) + " cars, a random day and a half");
  }
}

// bench_planner's third 3-car day (17.25 kW fuse): each quarter-hour of surplus is a tie between three cars,
// and the better plans reassign a dozen of them among all three. The plan stopped 0.75 % above its bound
// (4.0745 DKK; CBC's best after 150 s: 4.0442) until the proof's nodes were rounded to plans as well.
TEST(PlannerVsMilp, TheBenchsThreeCarDayUnderATightFuseProvenWithinOnePerMille) {
  expect_proven(bench_three_car_day(2), "3 cars, bench_planner's third day");
}

// A day whose first plan its bound does not prove within 0.1 %: searched deeper it must be, each plan the
// deeper searches hand out being cheaper than the one before, the first the first plan, the last the result.
void expect_proven_when_searched_deeper(const Instance& x, const std::string& what) {
  const Plan first = plan_charging(x.slots, x.cars);
  std::vector<double> handed_out;
  const Plan p =
      plan_charging_deeper(x.slots, x.cars, {}, [&](const Plan& q) { handed_out.push_back(q.cost_dkk); });
  EXPECT_GT(gap(first, first.lower_bound_dkk), 0.001) << what << ": the first plan is proven";
  EXPECT_LE(gap(p, p.lower_bound_dkk), 0.001)
      << what << ": planner " << p.cost_dkk << " DKK, bound " << p.lower_bound_dkk;
  EXPECT_LT(p.cost_dkk, first.cost_dkk) << what;
  ASSERT_GE(handed_out.size(), 2U) << what << ": the first plan and each cheaper one";
  EXPECT_DOUBLE_EQ(handed_out.front(), first.cost_dkk);
  EXPECT_DOUBLE_EQ(handed_out.back(), p.cost_dkk);
  for (std::size_t k = 1; k < handed_out.size(); ++k) EXPECT_LT(handed_out[k], handed_out[k - 1]) << what;
  std::printf("%s: first plan %.4f DKK (%.3f %% above its bound), deeper %.4f DKK (%.3f %%)\n", what.c_str(),
              first.cost_dkk, 100 * gap(first, first.lower_bound_dkk), p.cost_dkk,
              100 * gap(p, p.lower_bound_dkk));
}

// Two more of those days (the 22nd and 43rd the bench's seed draws) whose first plan the search's budget
// leaves unproven, 0.47 and 0.18 % above its bound, and 0.34 and 0.10 % above CBC's best plan after
// 150 s. The deeper searches (as the daemon runs them in the background) must prove each within 0.1 %.
TEST(PlannerVsMilp, ThreeCarDaysUnderATightFuseProvenWhenSearchedDeeper) {
  for (const int day : {21, 42})
    expect_proven_when_searched_deeper(bench_three_car_day(day), "3 cars, bench day " + std::to_string(day));
}

// A housing association: 20 cars over two days (192 quarter-hours, 43 kW of headroom). Fleets this large
// have only the flow's bound; the first plan of the fourth and fifth days this seed draws is 0.34 and 0.83 %
// above it (and above CBC's optimum, which it proves in minutes). Searched deeper, each must be proven within
// 0.1 % (0.019 and 0.032 %).
TEST(PlannerProof, TwentyCarsOverTwoDaysProvenWhenSearchedDeeper) {
  std::mt19937 rng(77);
  for (int day = 0; day <= 4; ++day) {
    const Instance x{random_day(rng, 192, 43000), random_cars(rng, 20, 192, 1.5), true};
    if (day >= 3) expect_proven_when_searched_deeper(x, "20 cars, day " + std::to_string(day));
  }
}

// The plan's own proof on the fleet relaxation's hardest days: three cars sharing a sunny day's surplus,
// which is below their minimums for hours. Its stated bound must show nearly every plan within 0.1 % of the
// optimum (no reference needed: the bound is checked against CBC above). The second relaxation (the cars'
// needs priced) and branching where the bound rises most (strong branching) make it close: 148 of these
// 150 days are proven; strong branching alone proved 146, branching on the car furthest below its minimum
// alone 140.
TEST(PlannerProof, SunnyThreeCarFleetsProveThemselves) {
  std::mt19937 rng(2028);
  std::uniform_real_distribution<double> u(0, 1);
  int proven = 0;
  const int days = 150;
  for (int run = 0; run < days; ++run) {
    const int n = 16 + static_cast<int>(u(rng) * 17);
    const auto slots = random_hours(rng, 28 + static_cast<int>(u(rng) * 12), n);
    std::vector<CarNeed> cars;
    for (int i = 0; i < 3; ++i) {
      cars.push_back(random_car(rng, i, n));
      cars.back().energy_wh = std::round(cars.back().energy_wh / 2);
    }
    const Plan p = plan_charging(slots, cars);
    ASSERT_LE(p.lower_bound_dkk, p.cost_dkk + 1e-6) << "run " << run;
    proven += p.cost_dkk - p.lower_bound_dkk <= 0.001 * std::max(1.0, std::abs(p.cost_dkk));
  }
  std::printf("%d of %d sunny 3-car days proven within 0.1 %% by the plan's own bound\n", proven, days);
  EXPECT_GE(proven, 147);
}

}  // namespace
}  // namespace hemd::test
