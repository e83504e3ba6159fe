// The charging plan on small hand-made days.
#include <gtest/gtest.h>

#include <random>

#include "strategies/control.h"
#include "strategies/planner.h"
#include "tests/unit/strategies/site_builder.h"

namespace hemd {
namespace {

constexpr TimeMs q = 900'000;

std::vector<PlanSlot> day(const std::vector<double>& import, double headroom_w = 17000) {
  std::vector<PlanSlot> slots;
  for (std::size_t t = 0; t < import.size(); ++t)
    slots.push_back({TimeMs(t) * q, TimeMs(t + 1) * q, import[t], 0.5, 0, headroom_w});
  return slots;
}

CarNeed car(const std::string& id, double wh, TimeMs departure) {
  return {id, wh, departure, 4140, 11040};
}

TEST(Planner, TakesTheCheapestQuartersBeforeDeparture) {
  // 5.52 kWh = two quarter-hours at 11.04 kW.
  auto slots = day({3, 1, 2, 1, 3, 0.5, 0.4});
  auto p = plan_charging(slots, {car("a", 5520, 5 * q)});  // slots 5 and 6 are after departure
  const auto& e = p.cars[0].energy_wh;
  EXPECT_NEAR(e[1], 2760, 1);
  EXPECT_NEAR(e[3], 2760, 1);
  EXPECT_NEAR(e[5] + e[6], 0, 1e-9);
  EXPECT_NEAR(p.cost_dkk, 5.52 * 1, 1e-6);
  EXPECT_NEAR(p.cars[0].shortfall_wh, 0, 1);
  EXPECT_NEAR(p.cars[0].power_w(slots, 1), 11040, 4);
}

TEST(Planner, SurplusIsWorthOnlyItsExportPrice) {
  auto slots = day({2, 2, 2, 2});
  slots[2].surplus_w = 6000;  // costs 0.5 DKK/kWh (lost export) up to 1.5 kWh
  auto p = plan_charging(slots, {car("a", 1500, 4 * q)});
  EXPECT_NEAR(p.cars[0].energy_wh[2], 1500, 1);
  EXPECT_NEAR(p.cost_dkk, 0.75, 1e-6);
}

TEST(Planner, NeverBelowTheMinimumPower) {
  // 1 kWh: the car cannot draw 4 kW for a quarter (1.035 kWh at minimum) and less; one slot at its minimum.
  auto slots = day({1, 1, 1, 1});
  auto p = plan_charging(slots, {car("a", 1000, 4 * q)});
  int used = 0;
  for (double e : p.cars[0].energy_wh) {
    EXPECT_TRUE(e < 1e-6 || e >= 1035 - 1) << e;
    used += e > 1e-6;
  }
  EXPECT_EQ(used, 1);
  EXPECT_GE(p.cars[0].planned_wh, 1000 - 1);
}

TEST(Planner, SaysWhatCannotBeDeliveredByDeparture) {
  auto p = plan_charging(day({1, 1}), {car("a", 10000, 2 * q)});
  EXPECT_NEAR(p.cars[0].planned_wh, 5520, 1);  // two quarters at the maximum
  EXPECT_NEAR(p.cars[0].shortfall_wh, 4480, 1);
}

TEST(Planner, CarsShareTheHeadroomAndTheCheapHours) {
  // 12 kW for all cars: two cars at 11 kW cannot both use the cheap quarter.
  auto slots = day({1, 3, 3, 3}, 12000);
  auto p = plan_charging(slots, {car("a", 2760, 4 * q), car("b", 2760, 4 * q)});
  for (std::size_t t = 0; t < slots.size(); ++t)
    EXPECT_LE(p.cars[0].energy_wh[t] + p.cars[1].energy_wh[t], 3000 + 1) << t;
  EXPECT_NEAR(p.cars[0].shortfall_wh + p.cars[1].shortfall_wh, 0, 1);
  for (const auto& c : p.cars)
    for (double e : c.energy_wh) EXPECT_TRUE(e < 1e-6 || e >= 1035 - 1) << e;
  // One car after the other would take the cheap quarter whole: 2.76 x 1 + 2.76 x 3 = 11.04 DKK. The
  // optimum splits it (1.5 kWh each, both above their minimum): 3 + 2.52 x 3 = 10.56 DKK.
  EXPECT_NEAR(p.cost_dkk, 10.56, 1e-3);
  EXPECT_GE(p.cars[0].energy_wh[0], 1035 - 1);
  EXPECT_GE(p.cars[1].energy_wh[0], 1035 - 1);
  EXPECT_LE(p.lower_bound_dkk, p.cost_dkk + 1e-6);
}

}  // namespace
}  // namespace hemd

namespace hemd {
namespace {

TEST(SmartMode, FollowsThePlanAndWaitsForSurplusOtherwise) {
  auto c = test::charger("a", ChargeMode::smart);
  c.planned_power_w = 6900;  // 10 A on three phases
  ControlState state;
  auto d = decide(test::site(1'000'000, 25, {c}), ControlParams{}, state);
  ASSERT_EQ(d.commands.size(), 1u);
  EXPECT_DOUBLE_EQ(d.commands[0].limit_a, 10);
  EXPECT_EQ(d.commands[0].reason, "smart: planned");
  c.planned_power_w = 0.0;  // not a planned quarter-hour, and no surplus
  d = decide(test::site(2'000'000, 25, {c}), ControlParams{}, state);
  EXPECT_DOUBLE_EQ(d.commands[0].limit_a, 0);
  EXPECT_EQ(d.commands[0].reason, "smart: waiting for surplus or the plan");
  // The fuse still rules: a plan for 16 A on a house drawing 20 A of a 25 A fuse gets what is left.
  c.planned_power_w = 16 * 690;
  d = decide(test::site(3'000'000, 25, {c}, 20), ControlParams{}, state);
  EXPECT_LE(d.commands[0].limit_a, 25 - 0.5 - 20);
}

TEST(PlanRequest, SmartCarsWithANeedAndADeparture) {
  auto smart = test::charger("a", ChargeMode::smart);
  smart.departure = 4 * q;
  smart.energy_need_wh = 10000;
  auto pv = test::charger("b", ChargeMode::pv);
  auto s = test::site(q / 3, 25, {smart, pv}, 2);
  for (int t = 0; t < 8; ++t) s.prices.push_back({t * q, (t + 1) * q, 2.0 + t, 0.5});
  const auto r = plan_request(s, 0.5);
  ASSERT_EQ(r.cars.size(), 1u);
  EXPECT_DOUBLE_EQ(r.cars[0].min_w, 6 * 690);
  ASSERT_EQ(r.slots.size(), 4u);       // up to the departure
  EXPECT_EQ(r.slots[0].start, q / 3);  // from now, not from the quarter's start
  EXPECT_NEAR(r.slots[0].headroom_w, 24.5 * 690 - 2 * 690, 1e-6);
}

}  // namespace
}  // namespace hemd

namespace hemd {
namespace {

TEST(PlanRequest, ExpectedSurplusMakesNoonCheap) {
  auto smart = test::charger("a", ChargeMode::smart);
  smart.departure = 4 * q;
  smart.energy_need_wh = 2000;
  auto s = test::site(0, 25, {smart}, 2);
  for (int t = 0; t < 4; ++t) s.prices.push_back({t * q, (t + 1) * q, 2.0, 0.5});
  s.forecast = {{2 * q, 3 * q, 9000, 400}};  // the sun in the third quarter
  const auto r = plan_request(s, 0.5);
  ASSERT_EQ(r.slots.size(), 4u);
  EXPECT_DOUBLE_EQ(r.slots[2].surplus_w, 9000);
  EXPECT_DOUBLE_EQ(r.slots[2].headroom_w, 24.5 * 690 - 400);
  EXPECT_DOUBLE_EQ(r.slots[0].surplus_w, 0);
  const Plan p = plan_charging(r.slots, r.cars);
  EXPECT_NEAR(p.cars[0].energy_wh[2], 2000, 1);  // from surplus, at the export price
  EXPECT_NEAR(p.cost_dkk, 2 * 0.5, 1e-6);
}

}  // namespace
}  // namespace hemd

namespace hemd {
namespace {

// Thousands of random fleets: whatever the day, no quarter-hour is planned above its headroom, no car
// between 0 and its minimum, every need is met where the day allows it, and no plan is below its bound.
TEST(PlannerProperties, NeverAboveTheHeadroomNeverBelowAMinimumNeedsMetWhenTheyCanBe) {
  std::mt19937 rng(29);
  std::uniform_real_distribution<double> u(0, 1);
  for (int instance = 0; instance < 2000; ++instance) {
    const std::size_t n = 4 + instance % 21, cars_n = 1 + instance % 4;
    // Every other day the fuse has room for every car at once: then each car's need is met exactly when
    // its own slots before departure can hold it.
    const bool roomy = instance % 2 == 0;
    std::vector<PlanSlot> slots;
    for (std::size_t t = 0; t < n; ++t) {
      const double imp = 0.5 + 3 * u(rng), exp = std::min(imp, 2 * u(rng));
      const double headroom = roomy ? 50000 : 2000 + 15000 * u(rng);
      slots.push_back(
          {TimeMs(t) * q, TimeMs(t + 1) * q, imp, exp, u(rng) < 0.4 ? 9000 * u(rng) : 0, headroom});
    }
    std::vector<CarNeed> cars;
    for (std::size_t i = 0; i < cars_n; ++i) {
      const bool one_phase = u(rng) < 0.3;
      cars.push_back({"c" + std::to_string(i), std::round(500 + 25000 * u(rng)),
                      static_cast<TimeMs>((0.3 + 0.7 * u(rng)) * static_cast<double>(n) * q),
                      one_phase ? 1380.0 : 4140.0, one_phase ? 3680.0 : 11040.0});
    }
    const Plan p = plan_charging(slots, cars);
    ASSERT_EQ(p.cars.size(), cars_n);
    for (std::size_t t = 0; t < n; ++t) {
      double total = 0;
      for (std::size_t i = 0; i < cars_n; ++i) {
        const double e = p.cars[i].energy_wh[t];
        const double h = std::max(
            0.0, static_cast<double>(std::min(slots[t].end, cars[i].departure) - slots[t].start) / 3.6e6);
        ASSERT_TRUE(e < 1e-6 || (e >= cars[i].min_w * h - 1 && e <= cars[i].max_w * h + 1))
            << "instance " << instance << " car " << i << " slot " << t << ": " << e << " Wh";
        total += e;
      }
      ASSERT_LE(total, slots[t].headroom_w / 4 + 1e-6) << "instance " << instance << " slot " << t;
    }
    for (std::size_t i = 0; i < cars_n && roomy; ++i) {
      double can = 0;
      for (const auto& s : slots)
        can += cars[i].max_w *
               std::max(0.0, static_cast<double>(std::min(s.end, cars[i].departure) - s.start) / 3.6e6);
      EXPECT_NEAR(p.cars[i].planned_wh, std::min(can, cars[i].energy_wh), cars[i].min_w / 4 + 1)
          << "instance " << instance << " car " << i;
      if (can >= cars[i].energy_wh) {
        EXPECT_GE(p.cars[i].planned_wh, cars[i].energy_wh - 1) << "instance " << instance;
      }
    }
    ASSERT_GE(p.cost_dkk, p.lower_bound_dkk - 1e-4 * std::abs(p.cost_dkk) - 1e-3) << "instance " << instance;
  }
}

}  // namespace
}  // namespace hemd

namespace hemd {
namespace {

TEST(PlanRequest, ATargetSocBecomesTheEnergyTheBatteryLacks) {
  auto c = test::charger("a", ChargeMode::smart);
  c.departure = 8 * q;
  c.energy_need_wh = 5000;  // the owner's energy target: used while the SoC is not known
  c.target_soc_pct = 80;
  c.battery_wh = 60000;
  auto s = test::site(0, 25, {c}, 2);
  for (int t = 0; t < 8; ++t) s.prices.push_back({t * q, (t + 1) * q, 2.0, 0.5});
  auto r = plan_request(s, 0.5);
  ASSERT_EQ(r.cars.size(), 1u);
  EXPECT_DOUBLE_EQ(r.cars[0].energy_wh, 5000);
  s.chargers[0].soc_pct = 40;  // 40 % of 60 kWh to the battery, a tenth more from the meter
  r = plan_request(s, 0.5);
  ASSERT_EQ(r.cars.size(), 1u);
  EXPECT_NEAR(r.cars[0].energy_wh, 0.4 * 60000 / 0.9, 1e-6);
  s.chargers[0].soc_pct = 85;  // already there: nothing to plan
  EXPECT_TRUE(plan_request(s, 0.5).cars.empty());
}

}  // namespace
}  // namespace hemd
