// Home Assistant's energy counters: the meter's register where it keeps one (a jump left out, a fall passed
// on), power integrated where it does not, and a promised register that never comes given up on.
#include "daemon/energy_counters.h"

#include <gtest/gtest.h>

#include <vector>

namespace hemd {
namespace {

constexpr TimeMs t0 = 1'792'080'000'000;

SiteSnapshot grid_at(TimeMs now, double power_w, std::optional<double> import_wh) {
  SiteSnapshot s;
  s.now = now;
  s.grid.power_w = {power_w, Quality::ok, now};
  if (import_wh) s.grid.energy_import_wh = {*import_wh, Quality::ok, now};
  return s;
}

TEST(EnergyCounters, RegisterJumpIsLeftOutAndAFallPassedOn) {
  EnergyCounters e({true, true, true, false, false}, 250'000);
  EXPECT_FALSE(e.wh(Counter::grid_import)) << "unknown until the register is read";
  TimeMs t = t0;
  e.update(grid_at(t, 1000, 123'456));
  EXPECT_EQ(*e.wh(Counter::grid_import), 123'456) << "the meter's own figure";
  e.update(grid_at(t += 1000, 1000, 123'457));
  EXPECT_EQ(*e.wh(Counter::grid_import), 123'457);
  // 4 GWh, held: refused twice, then counted on from there without the jump.
  for (int i = 0; i < 3; ++i) {
    e.update(grid_at(t += 1000, 1000, 4e9));
    EXPECT_EQ(*e.wh(Counter::grid_import), 123'457);
  }
  e.update(grid_at(t += 1000, 1000, 4e9 + 500));
  EXPECT_EQ(*e.wh(Counter::grid_import), 123'957);
  // A replaced meter starting at 1 kWh: HA takes the fall as a new cycle.
  for (int i = 0; i < 3; ++i) e.update(grid_at(t += 1000, 1000, 1000));
  EXPECT_EQ(*e.wh(Counter::grid_import), 1000);
  // A single outlier is never published.
  e.update(grid_at(t += 1000, 1000, 1e12));
  EXPECT_EQ(*e.wh(Counter::grid_import), 1000);
  e.update(grid_at(t += 1000, 1000, 1001));
  EXPECT_EQ(*e.wh(Counter::grid_import), 1001);
}

TEST(EnergyCounters, AJumpLeftOutStaysLeftOutAfterARestart) {
  std::vector<double> stored;
  {
    EnergyCounters e({true, false, false, false, false}, 250'000, false);
    e.on_offset([&](Counter c, double wh) {
      if (c == Counter::grid_import) stored.push_back(wh);
    });
    TimeMs t = t0;
    e.update(grid_at(t, 0, 1000));
    for (int i = 0; i < 3; ++i) e.update(grid_at(t += 1000, 0, 1e9));
    ASSERT_EQ(stored, std::vector<double>{1e9 - 1000});
  }
  EnergyCounters again({true, false, false, false, false}, 250'000, false);
  again.restore_offset(Counter::grid_import, stored.back());
  again.update(grid_at(t0 + 3'600'000, 0, 1e9 + 200));
  EXPECT_EQ(*again.wh(Counter::grid_import), 1200) << "HA's series goes on where it was";
  // Restored, but the meter was replaced while hemd was down: its own figure, and the offset is dropped.
  EnergyCounters replaced({true, false, false, false, false}, 250'000, false);
  replaced.on_offset([&](Counter, double wh) { stored.push_back(wh); });
  replaced.restore_offset(Counter::grid_import, 1e9 - 1000);
  replaced.update(grid_at(t0, 0, 500));
  EXPECT_EQ(*replaced.wh(Counter::grid_import), 500);
  EXPECT_EQ(stored.back(), 0);
}

TEST(EnergyCounters, WithoutARegisterPowerIsIntegratedAndAGapIsNotBridged) {
  EnergyCounters e({false, false, false, false, false}, 250'000, false);
  EXPECT_EQ(e.sources(),
            "from the devices' registers: none; integrated from power: grid import, grid export, "
            "PV yield");
  e.update(grid_at(t0, 3600, std::nullopt));
  e.update(grid_at(t0 + 60'000, 3600, std::nullopt));  // 3600 W for a minute
  EXPECT_DOUBLE_EQ(*e.wh(Counter::grid_import), 60);
  EXPECT_DOUBLE_EQ(*e.wh(Counter::grid_export), 0);
  e.update(grid_at(t0 + 60'000 + 3'600'000, 3600, std::nullopt));  // an hour's gap: not guessed
  EXPECT_DOUBLE_EQ(*e.wh(Counter::grid_import), 60);
  EXPECT_FALSE(e.wh(Counter::battery_charged)) << "no battery";
}

TEST(EnergyCounters, APromisedRegisterThatNeverComesIsGivenUp) {
  EnergyCounters e({true, false, false, false, false}, 250'000, false);
  TimeMs t = t0;
  for (int i = 0; i < EnergyCounters::give_up_after - 1; ++i)
    e.update(grid_at(t += 1000, 3600, std::nullopt));
  EXPECT_FALSE(e.wh(Counter::grid_import));
  EXPECT_TRUE(e.from_registers(Counter::grid_import));
  e.update(grid_at(t += 1000, 3600, std::nullopt));
  EXPECT_FALSE(e.from_registers(Counter::grid_import));
  e.update(grid_at(t += 1000, 3600, std::nullopt));
  EXPECT_DOUBLE_EQ(*e.wh(Counter::grid_import), 1) << "integrated from here: 3600 W for a second";
}

TEST(EnergyCounters, BatteryCountersNeedEveryBattery) {
  EnergyCounters e({false, false, false, true, true}, 250'000);
  SiteSnapshot s = grid_at(t0, 0, std::nullopt);
  BatteryState a, b;
  a.power_w = b.power_w = {-500, Quality::ok, t0};
  a.charged_wh = {1000, Quality::ok, t0};
  a.discharged_wh = {2000, Quality::ok, t0};
  b.charged_wh = {10, Quality::ok, t0};  // b says nothing of its discharge
  s.batteries = {a, b};
  e.update(s);
  EXPECT_EQ(*e.wh(Counter::battery_charged), 1010);
  EXPECT_FALSE(e.wh(Counter::battery_discharged)) << "a sum with a part missing would jump when it comes";
}

}  // namespace
}  // namespace hemd
