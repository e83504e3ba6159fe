// The fleet planner's moves, ranked by an estimate from the flow's prices, against the flow's own
// answer for each move.
#include <gtest/gtest.h>

#include <random>

#include "strategies/fleet_moves.h"

namespace hemd::plan {
namespace {

constexpr TimeMs q = 900'000;

struct Day {
  std::vector<PlanSlot> slots;
  std::vector<CarNeed> cars;
};

// Sunny hours whose surplus is near the cars' minimums, shared by 3-phase and 1-phase cars.
Day sunny_hours(std::mt19937& rng, int cars_n, int n) {
  std::uniform_real_distribution<double> u(0, 1);
  Day d;
  for (int t = 0; t < n; ++t)
    d.slots.push_back(
        {t * q, (t + 1) * q, 1.5 + 1.0 * u(rng), 0.3 + 0.6 * u(rng), 1000 + 5000 * u(rng), 17000});
  for (int i = 0; i < cars_n; ++i) {
    const bool one_phase = i % 2 == 1;
    d.cars.push_back({"car" + std::to_string(i), std::round(2000 + u(rng) * (one_phase ? 3000 : 6000)),
                      static_cast<TimeMs>(n / 2 + static_cast<int>(u(rng) * (n / 2))) * q,
                      one_phase ? 1380.0 : 4140.0, one_phase ? 3680.0 : 11040.0});
  }
  return d;
}

struct Planned {
  std::vector<Fix> pattern;
  std::vector<std::vector<double>> energy;
  std::vector<double> prices;
  double cost = 0;
};

std::vector<std::vector<double>> energies(const Relaxation::Solution& r, std::size_t cars, std::size_t n) {
  std::vector<std::vector<double>> energy(cars, std::vector<double>(n));
  for (std::size_t k = 0; k < r.flow.size(); ++k)
    energy[k / n][k % n] = static_cast<double>(r.flow[k]) / units_per_wh;
  return energy;
}

// The flow's plan for a pattern, if it meets every need.
std::optional<Planned> plan(const Day& d, Relaxation& flow, std::vector<Fix> pattern) {
  const auto r = flow.solve(pattern);
  if (!r) return std::nullopt;
  for (const Energy e : r->shortfall)
    if (e > 0) return std::nullopt;
  Planned p{std::move(pattern), energies(*r, d.cars.size(), d.slots.size()), r->car_dkk_per_wh, 0};
  p.cost = objective(d.slots, d.cars, p.energy);
  return p;
}

// A random plan: each car on in each slot it can use with some probability, the energies by the flow.
std::optional<Planned> random_plan(const Day& d, Relaxation& flow, std::mt19937& rng) {
  std::bernoulli_distribution on(0.4);
  std::vector<Fix> pattern(flow.arcs());
  for (std::size_t k = 0; k < pattern.size(); ++k)
    pattern[k] = flow.max_wh(k) > 0 && on(rng) ? Fix::on : Fix::off;
  return plan(d, flow, pattern);
}

TEST(FleetMoves, AWholeMoveToAnEmptyQuarterHourIsEstimatedExactly) {
  // One car, two quarter-hours used at its maximum of 2 kWh each; moving one to an empty, cheaper
  // quarter-hour keeps its total: the estimate is the two slots' costs, nothing else. (At its maximum
  // everywhere, the car's dual price may be anything up to the shortfall's penalty.)
  Day d;
  TimeMs start = 0;
  for (const double price : {2.0, 2.0, 1.9, 1.7})
    d.slots.push_back({start, start += q, price, 0.5, 0, 17000});
  d.cars.push_back({"car0", 4000, 4 * q, 4140, 8000});
  d.cars.push_back({"car1", 0, 4 * q, 4140, 11040});  // no need: the estimate must leave it alone
  Relaxation flow(d.slots, d.cars);
  std::vector<Fix> pattern(flow.arcs(), Fix::off);
  pattern[0] = pattern[1] = Fix::on;
  const auto now = plan(d, flow, pattern);
  ASSERT_TRUE(now);
  ASSERT_NEAR(now->energy[0][0], 2000, 1e-6);
  const auto moves = ranked_moves(d.slots, flow, now->energy, now->prices, 100);
  const auto it = std::find_if(moves.begin(), moves.end(), [](const Move& m) {
    return m.car == 0 && m.from == 0 && m.to == 3 && m.other == 2;
  });
  ASSERT_NE(it, moves.end());
  EXPECT_NEAR(it->estimate, 2 * (1.7 - 2.0), 1e-9);
  const auto moved = plan(d, flow, apply(*it, pattern, d.slots.size()));
  ASSERT_TRUE(moved);
  EXPECT_NEAR(moved->cost - now->cost, it->estimate, 1e-9);
  EXPECT_EQ(moves.front().to, 3u) << "the cheapest slot is where a move pays most";
}

TEST(FleetMoves, RankedCheapestFirstAndAtMostAsManyAsAsked) {
  std::mt19937 rng(7);
  const Day d = sunny_hours(rng, 3, 8);
  Relaxation flow(d.slots, d.cars);
  std::optional<Planned> now;
  while (!now) now = random_plan(d, flow, rng);
  const auto all = ranked_moves(d.slots, flow, now->energy, now->prices, 100000);
  const auto few = ranked_moves(d.slots, flow, now->energy, now->prices, 5);
  ASSERT_GT(all.size(), 20u);
  ASSERT_EQ(few.size(), 5u);
  for (std::size_t r = 1; r < all.size(); ++r) EXPECT_LE(all[r - 1].estimate, all[r].estimate);
  for (std::size_t r = 0; r < few.size(); ++r) EXPECT_DOUBLE_EQ(few[r].estimate, all[r].estimate);
}

// What the search relies on: where some move makes a plan cheaper, one of the few it solves does.
TEST(FleetMoves, WhereAMovePaysOneOfTheFirstSixteenDoes) {
  std::mt19937 rng(2026);
  int paying = 0, found = 0, first = 0;
  for (int run = 0; run < 150; ++run) {
    const Day d = sunny_hours(rng, 2 + run % 3, 8 + run % 9);
    Relaxation flow(d.slots, d.cars);
    std::optional<Planned> now;
    for (int attempt = 0; attempt < 20 && !now; ++attempt) now = random_plan(d, flow, rng);
    if (!now) continue;
    const auto moves = ranked_moves(d.slots, flow, now->energy, now->prices, 100000);
    std::vector<double> saves;  // per move, by the flow
    for (const Move& m : moves) {
      const auto moved = plan(d, flow, apply(m, now->pattern, d.slots.size()));
      saves.push_back(moved ? now->cost - moved->cost : -1);
    }
    if (std::none_of(saves.begin(), saves.end(), [](double s) { return s > 1e-9; })) continue;
    ++paying;
    first += saves.front() > 1e-9;
    found += std::any_of(saves.begin(), saves.begin() + std::min<std::size_t>(16, saves.size()),
                         [](double s) { return s > 1e-9; });
  }
  ASSERT_GE(paying, 80);
  EXPECT_GE(found, paying * 95 / 100) << first << " first of " << paying;
  EXPECT_GE(first, paying * 70 / 100) << found << " in the first 16 of " << paying;
}

}  // namespace
}  // namespace hemd::plan
