// A home battery (issue 21): whose surplus it is (priority_soc, buffer_soc), a discharging battery never
// counted as surplus otherwise, and the hold while a car charges from the grid. Each reason names its rule.
#include <gtest/gtest.h>

#include "strategies/battery.h"
#include "strategies/control.h"
#include "tests/unit/strategies/site_builder.h"

namespace hemd {
namespace {

using test::charger;
using test::drawing;

constexpr TimeMs t0 = 1'790'000'000'000;

// The house (`house_a` a phase), the cars, `pv_w` and a battery at `battery_w` (positive discharging) as the
// grid meter sees them: grid = house + cars - PV - battery.
SiteSnapshot with_battery(TimeMs now, std::vector<ChargerState> cars, double house_a, double pv_w,
                          double battery_w, double soc, bool controllable = false) {
  auto s = test::site(now, 25, std::move(cars), house_a, pv_w + battery_w);
  s.batteries.push_back(test::battery(now, battery_w, soc, 5000, controllable));
  return s;
}

ControlParams params(double priority_soc, double buffer_soc = 100) {
  ControlParams p;
  p.battery.priority_soc = priority_soc;
  p.battery.buffer_soc = buffer_soc;
  return p;
}

const ChargerCommand& command(const Decision& d) {
  return d.commands.at(0);
}

// The battery swallows 5 kW of surplus, so the grid meter shows no export. Above priority_soc the car comes
// first: the battery's charging is surplus and a PV-only car starts.
TEST(Battery, APvCarStartsOnTheBatterysChargingAbovePrioritySoc) {
  ControlState st;
  const auto p = params(80);
  auto d = decide(with_battery(t0, {charger("a", ChargeMode::pv)}, 2, 6380, -5000, 90), p, st);
  EXPECT_EQ(command(d).limit_a, 0);
  d = decide(with_battery(t0 + 61'000, {charger("a", ChargeMode::pv)}, 2, 6380, -5000, 90), p, st);
  EXPECT_GE(command(d).limit_a, 6) << command(d).reason;
  EXPECT_NE(command(d).reason.find(">= priority_soc 80 %"), std::string::npos) << command(d).reason;
  EXPECT_FALSE(d.battery_hold);
}

TEST(Battery, BelowPrioritySocTheBatteryTakesTheSurplusFirst) {
  ControlState st;
  const auto p = params(80);
  for (TimeMs t : {t0, t0 + 61'000, t0 + 200'000}) {
    auto d = decide(with_battery(t, {charger("a", ChargeMode::pv)}, 2, 6380, -5000, 50), p, st);
    EXPECT_EQ(command(d).limit_a, 0);
    EXPECT_NE(command(d).reason.find("< priority_soc 80 %: it takes the surplus first"), std::string::npos)
        << command(d).reason;
  }
}

// A PV car at 10 A while a cloud passes: the battery covers 3 kW of it and the grid reads 0. That is not
// surplus: the car is lowered to what the sun gives.
TEST(Battery, ADischargingBatteryIsNeverSurplus) {
  ControlState st;
  auto c = charger("a", ChargeMode::pv);
  drawing(c, 10);  // 6.9 kW
  st.chargers["a"].running = true;
  // house 1.38 kW + car 6.9 kW = 8.28 kW; PV 5.28 kW; battery 3 kW.
  auto d = decide(with_battery(t0, {c}, 2, 5280, 3000, 60), params(0), st);
  EXPECT_LT(command(d).limit_a, 10);
  EXPECT_NE(command(d).reason.find("never surplus"), std::string::npos) << command(d).reason;
}

// Above buffer_soc the same car rides through the cloud on the battery.
TEST(Battery, AboveBufferSocAPvCarRidesThroughACloudOnTheBattery) {
  ControlState st;
  auto c = charger("a", ChargeMode::pv);
  drawing(c, 10);
  st.chargers["a"].running = true;
  ControlParams p = params(0, 80);
  p.disable_delay_s = 0;
  auto d = decide(with_battery(t0, {c}, 2, 5280, 3000, 90), p, st);
  EXPECT_EQ(command(d).limit_a, 10) << command(d).reason;
  EXPECT_NE(command(d).reason.find("> buffer_soc 80 %: PV cars ride through"), std::string::npos)
      << command(d).reason;
  // At 70 % the buffer is spent: the discharge is import, and the car stops at once (no disable delay).
  d = decide(with_battery(t0 + 1000, {c}, 2, 0, 3000, 70), p, st);
  EXPECT_EQ(command(d).limit_a, 0) << command(d).reason;
}

// A car in `now` while the battery discharges: the battery is told to hold, and until it does (or where it
// cannot be told) its discharge is import the fuse must carry: the grid reads 11.1 A a phase, but 2.9 A of
// it is the battery's, which the grid must take over when the battery holds or runs empty.
TEST(Battery, ACarChargingFromTheGridHoldsTheBatteryAndCountsItsDischargeAsImport) {
  ControlState st;
  auto d = decide(with_battery(t0, {charger("a")}, 14, 0, 2000, 60, true), params(80), st);
  EXPECT_TRUE(d.battery_hold);
  EXPECT_FALSE(d.battery_reason.empty());
  EXPECT_EQ(command(d).limit_a, 10);  // 25 - 0.5 - 14, not the 13 A that 11.1 A would leave
  EXPECT_NE(command(d).reason.find("counted as import until it holds"), std::string::npos)
      << command(d).reason;
  ControlState st2;
  d = decide(with_battery(t0, {charger("a")}, 14, 0, 2000, 60, false), params(80), st2);
  EXPECT_NE(command(d).reason.find("cannot be told to hold"), std::string::npos) << command(d).reason;
  // Held: the battery gives nothing, the car gets what the grid carries.
  ControlState st3;
  d = decide(with_battery(t0, {charger("a")}, 14, 0, 0, 60, true), params(80), st3);
  EXPECT_TRUE(d.battery_hold);
  EXPECT_EQ(command(d).limit_a, 10);
}

TEST(Battery, ASmartPlansGridQuarterHourHoldsTheBatteryAPvCarDoesNot) {
  auto smart = charger("a", ChargeMode::smart);
  smart.planned_power_w = 11000;
  ControlState st;
  EXPECT_TRUE(decide(with_battery(t0, {smart}, 2, 0, 0, 60, true), params(80), st).battery_hold);
  ControlState st2;
  EXPECT_FALSE(decide(with_battery(t0, {charger("a", ChargeMode::pv)}, 2, 0, 0, 60, true), params(80), st2)
                   .battery_hold);
}

TEST(Battery, ABatteryThatIsNotReadGivesTheSafeCurrent) {
  for (Quality q : {Quality::stale, Quality::failed}) {
    ControlState st;
    auto s = with_battery(t0, {charger("a")}, 2, 0, 0, 60);
    s.batteries[0].soc_pct.quality = q;
    auto d = decide(s, params(80), st);
    EXPECT_EQ(command(d).limit_a, 6);
    EXPECT_NE(command(d).reason.find("battery battery not read: safe current"), std::string::npos);
  }
  ControlState st;
  auto s = with_battery(t0, {charger("a")}, 2, 0, 0, 140);  // absurd: refused like other absurd values
  EXPECT_EQ(command(decide(s, params(80), st)).limit_a, 6);
}

TEST(Battery, WithoutABatteryNothingChanges) {
  ControlState st;
  auto d = decide(test::site(t0, 25, {charger("a")}), params(80), st);
  EXPECT_EQ(command(d).limit_a, 16);
  EXPECT_FALSE(d.battery_hold);
  EXPECT_EQ(command(d).reason, "now");
}

}  // namespace
}  // namespace hemd
