// Starts cost something in the plan (control.start_penalty_dkk, control.min_charge_block_min): a car is
// switched on fewer times a night for a few øre more, and free starts plan exactly as before.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <tuple>

#include "config/scenario.h"
#include "strategies/plan_starts.h"
#include "strategies/planner.h"
#include "strategies/simulation.h"

namespace hemd {
namespace {

constexpr TimeMs q = 900'000;

std::vector<PlanSlot> day(const std::vector<double>& import, double headroom_w = 17000) {
  std::vector<PlanSlot> slots;
  for (std::size_t t = 0; t < import.size(); ++t)
    slots.push_back({TimeMs(t) * q, TimeMs(t + 1) * q, import[t], 0.5, 0, headroom_w});
  return slots;
}

PlanOptions penalty(double dkk, double min_block_min = 0) {
  PlanOptions o;
  o.start_penalty_dkk = dkk;
  o.min_charge_block_min = min_block_min;
  return o;
}

void expect_within_limits(const std::vector<PlanSlot>& slots, const std::vector<CarNeed>& cars,
                          const Plan& p) {
  for (std::size_t t = 0; t < slots.size(); ++t) {
    const double h = static_cast<double>(slots[t].end - slots[t].start) / 3.6e6;
    double total = 0;
    for (std::size_t i = 0; i < cars.size(); ++i) {
      const double e = p.cars[i].energy_wh[t];
      total += e;
      if (e > 1e-6) {
        EXPECT_GE(e, cars[i].min_w * h - 1e-3) << cars[i].id << " slot " << t;
        EXPECT_LE(e, cars[i].max_w * h + 1e-3) << cars[i].id << " slot " << t;
        EXPECT_LT(slots[t].start, cars[i].departure) << cars[i].id << " slot " << t;
      }
    }
    EXPECT_LE(total, slots[t].headroom_w * h + 1e-3) << "slot " << t;
  }
}

// Random fleets as the property test draws them: with both rules at 0 the plan is bit for bit the one the
// planner made before starts had a price, and nothing is counted for them.
TEST(PlanStarts, FreeStartsPlanExactlyAsBefore) {
  std::mt19937 rng(27);
  std::uniform_real_distribution<double> u(0, 1);
  for (int run = 0; run < 40; ++run) {
    std::vector<PlanSlot> slots;
    for (std::size_t t = 0; t < 32; ++t)
      slots.push_back({TimeMs(t) * q, TimeMs(t + 1) * q, 1 + 2 * u(rng), 0.5,
                       u(rng) < 0.3 ? 6000 * u(rng) : 0, 12000 + 10000 * u(rng)});
    std::vector<CarNeed> cars;
    for (int i = 0; i < 1 + run % 3; ++i)
      cars.push_back({"c" + std::to_string(i), std::round(2000 + 20000 * u(rng)), TimeMs(16 + run % 16) * q,
                      4140, 11040, u(rng) < 0.5});
    const Plan before = plan_charging(slots, cars);
    const Plan free = plan_charging(slots, cars, penalty(0, 0));
    ASSERT_EQ(before.cars.size(), free.cars.size());
    for (std::size_t i = 0; i < cars.size(); ++i) EXPECT_EQ(before.cars[i].energy_wh, free.cars[i].energy_wh);
    EXPECT_EQ(free.cost_dkk, free.search_cost_dkk);
    EXPECT_EQ(free.start_penalty_dkk, 0);
    // The same search with starts priced: never cheaper in energy than the search's plan, never below its
    // bound, and no more starts.
    const Plan priced = plan_charging(slots, cars, penalty(0.5));
    expect_within_limits(slots, cars, priced);
    EXPECT_GE(priced.cost_dkk, priced.lower_bound_dkk - 1e-9);
    for (std::size_t i = 0; i < cars.size(); ++i) {
      EXPECT_LE(priced.cars[i].starts, free.cars[i].starts) << run;
      EXPECT_NEAR(priced.cars[i].shortfall_wh, free.cars[i].shortfall_wh, 1) << run;
    }
    EXPECT_LE(
        priced.cost_dkk + priced.start_penalty_dkk, free.cost_dkk +
                                                        0.5 *
                                                            [&] {
                                                              int n = 0;
                                                              for (const auto& c : free.cars) n += c.starts;
                                                              return n;
                                                            }() +
                                                        1e-9)
        << run;
  }
}

TEST(PlanStarts, OneBlockWhenASecondStartSavesLessThanItCosts) {
  // 11.04 kWh = four quarter-hours at 11.04 kW. The four cheapest are two blocks (0-1 and 4-5, 11.04 DKK);
  // one block (4-7) costs 0.11 DKK more.
  const auto slots = day({1, 1, 1.01, 5, 1, 1, 1.02, 1.02});
  const std::vector<CarNeed> cars{{"a", 11040, 8 * q, 4140, 11040}};
  const Plan free = plan_charging(slots, cars);
  EXPECT_EQ(free.cars[0].starts, 2);
  EXPECT_NEAR(free.cost_dkk, 11.04, 1e-6);

  const Plan p = plan_charging(slots, cars, penalty(0.5));
  EXPECT_EQ(p.cars[0].starts, 1);
  for (std::size_t t = 4; t < 8; ++t) EXPECT_NEAR(p.cars[0].energy_wh[t], 2760, 1e-3) << t;
  EXPECT_NEAR(p.cost_dkk, 2.76 * (1 + 1 + 1.02 + 1.02), 1e-6);
  EXPECT_NEAR(p.start_penalty_dkk, 0.5, 1e-9);
  EXPECT_NEAR(p.search_cost_dkk, 11.04, 1e-6);
  EXPECT_LE(p.lower_bound_dkk, 11.04 + 1e-6);

  // A start that saves more than it costs stays.
  EXPECT_EQ(plan_charging(slots, cars, penalty(0.05)).cars[0].starts, 2);
}

TEST(PlanStarts, ACarChargingNowGoesOnRatherThanStartingAgainLater) {
  // 8.28 kWh, three quarter-hours: from 01:00 at 1 DKK (8.28 DKK) or on from now at 1.05 (8.69 DKK).
  const auto slots = day({1.05, 1.05, 1.05, 3, 1, 1, 1, 3});
  CarNeed car{"a", 8280, 8 * q, 4140, 11040, true};
  EXPECT_NEAR(plan_charging(slots, {car}).cost_dkk, 8.28, 1e-6);
  const Plan p = plan_charging(slots, {car}, penalty(0.5));
  EXPECT_EQ(p.cars[0].starts, 0);
  for (std::size_t t = 0; t < 3; ++t) EXPECT_NEAR(p.cars[0].energy_wh[t], 2760, 1e-3) << t;
  EXPECT_NEAR(p.cost_dkk, 8.694, 1e-6);
  EXPECT_NEAR(p.start_penalty_dkk, 0, 1e-9);
  // A car that is not charging starts either way: at the cheaper hour.
  car.charging_now = false;
  const Plan later = plan_charging(slots, {car}, penalty(0.5));
  EXPECT_EQ(later.cars[0].starts, 1);
  EXPECT_NEAR(later.cost_dkk, 8.28, 1e-6);
}

TEST(PlanStarts, NoBlockShorterThanTheMinimumWhereTheNeedAllows) {
  // 5.52 kWh: the two 1 DKK quarter-hours, each alone (5.52 DKK). Half an hour at least: all three slots,
  // the dear one at the car's minimum (1.035 kWh at 3 DKK), the rest at 1 DKK: 7.59 DKK.
  const auto slots = day({1, 3, 1, 3, 3, 3});
  const std::vector<CarNeed> cars{{"a", 5520, 6 * q, 4140, 11040}};
  const Plan free = plan_charging(slots, cars);
  EXPECT_EQ(free.cars[0].starts, 2);

  const Plan p = plan_charging(slots, cars, penalty(0, 30));
  EXPECT_EQ(p.cars[0].starts, 1);
  EXPECT_NEAR(p.cars[0].energy_wh[1], 1035, 1e-3);
  EXPECT_NEAR(p.cost_dkk, 1.035 * 3 + 4.485, 1e-6);
  EXPECT_NEAR(p.cars[0].planned_wh, 5520, 1e-3);
  for (std::size_t t = 3; t < 6; ++t) EXPECT_EQ(p.cars[0].energy_wh[t], 0) << t;
  expect_within_limits(slots, cars, p);
}

// One car against every on/off choice of its quarter-hours (each choice's energy filled cheapest first, as
// the one-car planner's test does), with each start at 0.5 DKK: how often the local search finds the optimum.
TEST(PlanStarts, OneCarAgainstEveryOnOffChoice) {
  std::mt19937 rng(2027);
  std::uniform_real_distribution<double> u(0, 1);
  const double start_dkk = 0.5;
  int optimal = 0, days = 0;
  double worst = 0;
  for (int day_k = 0; day_k < 2000; ++day_k) {
    const std::size_t n = 4 + day_k % 8;
    std::vector<PlanSlot> slots;
    double price = 1 + u(rng);
    for (std::size_t t = 0; t < n; ++t) {
      price = std::max(0.2, price + (u(rng) - 0.5) * 0.4);
      slots.push_back({TimeMs(t) * q, TimeMs(t + 1) * q, price, std::min(price, 0.6 * u(rng)),
                       u(rng) < 0.3 ? 8000 * u(rng) : 0, u(rng) < 0.15 ? 12000 * u(rng) : 17000});
    }
    const bool one_phase = u(rng) < 0.3;
    const CarNeed car{"a", std::round(500 + u(rng) * (one_phase ? 920 : 2760) * static_cast<double>(n) * 0.8),
                      TimeMs(n) * q, one_phase ? 1380.0 : 4140.0, one_phase ? 3680.0 : 11040.0};
    // Every choice: its energy's cost, its starts, what it delivers.
    double best = INFINITY, most_delivered = 0;
    std::vector<std::tuple<double, double>> choices;  // (cost with starts, delivered)
    for (unsigned mask = 1; mask < (1u << n); ++mask) {
      double total = 0, cost = 0;
      bool usable = true;
      std::vector<std::pair<double, double>> pieces;
      for (std::size_t t = 0; t < n; ++t) {
        if (!(mask & (1u << t))) continue;
        const double min = car.min_w / 4, max = std::min(car.max_w, slots[t].headroom_w) / 4;
        usable = usable && max >= min;
        const double surplus = std::min(slots[t].surplus_w, slots[t].headroom_w) / 4;
        const double surplus_end = std::clamp(surplus, min, std::max(min, max));
        total += min;
        cost += (std::min(min, surplus) * slots[t].export_dkk_per_kwh +
                 (min - std::min(min, surplus)) * slots[t].import_dkk_per_kwh) /
                1000;
        pieces.push_back({slots[t].export_dkk_per_kwh, surplus_end - min});
        pieces.push_back({slots[t].import_dkk_per_kwh, std::max(min, max) - surplus_end});
      }
      if (!usable || total > car.energy_wh + car.min_w / 4 + 1e-6) continue;
      std::sort(pieces.begin(), pieces.end());
      for (const auto& [dkk, wh] : pieces) {
        const double take = std::min(wh, std::max(0.0, car.energy_wh - total));
        total += take;
        cost += take * dkk / 1000;
      }
      for (std::size_t t = 0; t < n; ++t)
        if ((mask & (1u << t)) && (t == 0 || !(mask & (1u << (t - 1))))) cost += start_dkk;
      choices.emplace_back(cost, total);
      most_delivered = std::max(most_delivered, std::min(total, car.energy_wh));
    }
    for (const auto& [cost, delivered] : choices)
      if (delivered >= most_delivered - 1e-6) best = std::min(best, cost);
    if (!std::isfinite(best)) continue;
    const Plan p = plan_charging(slots, {car}, penalty(start_dkk));
    if (p.cars[0].shortfall_wh > car.energy_wh - most_delivered + 1) continue;  // not comparable
    ++days;
    const double found = p.cost_dkk + p.start_penalty_dkk;
    EXPECT_GE(found, best - 1e-6) << "day " << day_k << ": cheaper than every choice";
    if (found <= best + 1e-6) ++optimal;
    worst = std::max(worst, found - best);
  }
  std::printf(
      "one car, %d days of 4 to 11 quarter-hours, starts at %.2f DKK: optimal on %d, worst %.3f DKK above\n",
      days, start_dkk, optimal, worst);
  EXPECT_GE(days, 1800);
  EXPECT_GE(optimal, days * 98 / 100);
}

// config/scenarios/housing-association-evening.yaml, planned once all six cars are home (18:30): the slots
// and cars as the simulation's first plan with every car connected sees them.
struct Fleet {
  std::vector<PlanSlot> slots;
  std::vector<CarNeed> cars;
};

Scenario housing_association() {
  const auto loaded = config::load_scenario_file(std::string(HEMD_SOURCE_DIR) +
                                                 "/config/scenarios/housing-association-evening.yaml");
  EXPECT_TRUE(loaded.scenario);
  return *loaded.scenario;
}

Fleet evening(const Scenario& sc) {
  Fleet f;
  const double fuse_w = (sc.main_fuse_a - 0.5) * sc.voltage_v * sc.phases;
  const std::size_t from = 74;  // 18:30
  for (std::size_t k = from; k < sc.quarters.size(); ++k) {
    const auto& x = sc.quarters[k];
    f.slots.push_back({TimeMs(k) * q, TimeMs(k + 1) * q, x.import_dkk_per_kwh, x.export_dkk_per_kwh,
                       std::max(0.0, x.pv_w - x.house_w), std::max(0.0, fuse_w - x.house_w)});
  }
  for (const auto& c : sc.cars) {
    const double volts = sc.voltage_v * c.phases;
    f.cars.push_back({c.id, c.need_kwh * 1000, static_cast<TimeMs>(c.depart_h * 4) * q,
                      c.min_current_a * volts, c.max_current_a * volts});
  }
  return f;
}

TEST(PlanStarts, HousingAssociationOneOrTwoStartsPerCarWithinOnePercent) {
  const Fleet f = evening(housing_association());
  const Plan free = plan_charging(f.slots, f.cars);
  const Plan p = plan_charging(f.slots, f.cars, penalty(config::Control{}.start_penalty_dkk));
  int free_starts = 0, starts = 0;
  for (std::size_t i = 0; i < f.cars.size(); ++i) {
    free_starts += free.cars[i].starts;
    starts += p.cars[i].starts;
    EXPECT_GE(p.cars[i].starts, 1) << f.cars[i].id;
    EXPECT_LE(p.cars[i].starts, 2) << f.cars[i].id;
    EXPECT_NEAR(p.cars[i].shortfall_wh, 0, 1) << f.cars[i].id;
  }
  EXPECT_LT(starts, free_starts);
  EXPECT_LE(p.cost_dkk, 1.01 * free.cost_dkk);
  EXPECT_LE(p.lower_bound_dkk, p.cost_dkk);
  expect_within_limits(f.slots, f.cars, p);
  std::printf(
      "housing association at 18:30: %d starts, %.2f DKK; with starts at %.2f DKK: %d starts, "
      "%.2f DKK (%+.2f %%)\n",
      free_starts, free.cost_dkk, config::Control{}.start_penalty_dkk, starts, p.cost_dkk,
      100 * (p.cost_dkk / free.cost_dkk - 1));
}

// The whole evening and night through the simulation, re-planned every quarter-hour: what the cars do.
void simulate_evening(const Scenario& sc, bool needs_met) {
  ControlParams params;
  params.sharing = sc.sharing;
  const auto free = simulate(sc, params, "free");
  const auto priced = simulate(sc, params, "priced", nullptr, penalty(config::Control{}.start_penalty_dkk));
  int free_starts = 0, starts = 0;
  for (std::size_t i = 0; i < sc.cars.size(); ++i) {
    free_starts += free.cars[i].starts;
    starts += priced.cars[i].starts;
    EXPECT_LE(priced.cars[i].starts, 2) << sc.cars[i].id;
    EXPECT_NEAR(free.cars[i].charged_kwh, sc.cars[i].need_kwh, 0.05) << sc.cars[i].id;
    if (needs_met) {
      EXPECT_NEAR(priced.cars[i].charged_kwh, sc.cars[i].need_kwh, 0.05) << sc.cars[i].id;
    }
  }
  EXPECT_LT(starts, free_starts);
  EXPECT_LE(priced.charging_cost_dkk, 1.01 * free.charging_cost_dkk);
  std::printf(
      "simulated: %d starts, %.2f DKK; with starts priced: %d starts, %.2f DKK (%+.2f %%), %.2f kWh short\n",
      free_starts, free.charging_cost_dkk, starts, priced.charging_cost_dkk,
      100 * (priced.charging_cost_dkk / free.charging_cost_dkk - 1), priced.unmet_kwh);
}

TEST(PlanStarts, HousingAssociationSimulatedCarsStartOnceOrTwice) {
  // As it is, cp-05 charges on one phase at up to 32 A: the planner's headroom is the phases' sum, the fuse
  // guard holds each phase, so cars draw less than planned where cp-05 charges beside three others, and a
  // plan packed up to a departure can end short (docs/planner.md, "Starts"). That is not this test's.
  simulate_evening(housing_association(), false);
  // With cp-05 on three phases the plan's headroom is the fuse's, and every need is met.
  Scenario three_phase = housing_association();
  for (auto& car : three_phase.cars)
    if (car.phases == 1) car.phases = 3, car.max_current_a = 16;
  simulate_evening(three_phase, true);
}

}  // namespace
}  // namespace hemd
