// hemd closing the loop with real peers only (closed_loop.h): PV surplus under clouds, a fuse overload step.
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "tests/e2e/closed_loop/closed_loop.h"

namespace hemd::test {
namespace {

// A sunny spell, then a minute of clouds flickering every two seconds: the car follows the surplus, and the
// limit stays calm instead of hunting every cloud edge.
TEST(ClosedLoop, PvSurplusThroughASunnyThenCloudySky) {
  ClosedLoop loop;
  ASSERT_NO_THROW(loop.start("pv", ", enable_delay_s: 5, disable_delay_s: 20"));
  loop.site("house 2 1 1");
  loop.site("pv 9000");
  // 9 kW of PV less 0.9 kW of house: 8.1 kW, 11.7 A a phase; the car settles just below.
  ASSERT_TRUE(loop.wait_limit([](double a) { return a >= 10 && a <= 12; }, 0, 90s)) << loop.logs();
  std::this_thread::sleep_for(5s);
  const auto g = loop.grid();
  const double grid_w = (g[0] + g[1] + g[2]) * 230;
  EXPECT_LT(grid_w, 300) << "importing while following the surplus";
  EXPECT_GT(grid_w, -1500) << "exporting what the car could take";

  const auto cloudy = loop.mark();
  for (int i = 0; i < 30; ++i) {
    loop.site(i % 2 ? "pv 9000" : "pv 4000");
    std::this_thread::sleep_for(2s);
  }
  const auto changes = loop.limit_changes(cloudy);
  std::printf("[ figures  ] 30 cloud edges in 60 s: %zu limit changes (", changes.size());
  for (double c : changes) std::printf(" %g", c);
  std::printf(" )\n");
  EXPECT_LE(changes.size(), 10u) << "the limit hunts the clouds";
  for (double a : loop.limit_changes())
    EXPECT_TRUE(a == 0 || a >= 6) << a << " A is between 0 and the car's minimum";
  EXPECT_FALSE(loop.strict_refusals()) << loop.logs();
}

// The house's load on L1 jumps while the car charges at full power: the fuse guard cuts the car in the
// next cycle (from the measured phase current), and the car comes back when the load is gone.
TEST(ClosedLoop, FuseOverloadStepIsCutAtOnceAndRecovers) {
  ClosedLoop loop;
  ASSERT_NO_THROW(loop.start("now"));
  loop.site("house 2 1 1");
  ASSERT_TRUE(loop.wait_limit([](double a) { return a == 16; }, 0, 60s)) << loop.logs();
  std::this_thread::sleep_for(3s);
  EXPECT_LE(loop.grid()[0], 25);
  const auto step = loop.mark();
  const auto t0 = Clock::now();
  loop.site("house 20 1 1");  // L1: 20 A of house + 16 A of car = 36 A on a 25 A fuse
  // 25 A - 0.5 A margin - 20 A leaves 4.5 A: below the car's minimum, so it pauses.
  ASSERT_TRUE(loop.wait_limit([](double a) { return a < 16; }, step, 30s)) << loop.logs();
  const auto cut_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  std::printf("[ figures  ] grid meter step to the cut leaving hemd, seen by the charge point: %lld ms\n",
              static_cast<long long>(cut_ms));
  EXPECT_EQ(loop.limit_changes(step).front(), 0);
  ASSERT_TRUE(Process::wait_until([&] { return loop.grid()[0] <= 25; }, 10s)) << loop.grid()[0];
  const auto recover = loop.mark();
  loop.site("house 2 1 1");
  EXPECT_TRUE(loop.wait_limit([](double a) { return a == 16; }, recover, 90s)) << loop.logs();
  EXPECT_FALSE(loop.strict_refusals()) << loop.logs();
}

// Watches the real phase currents for `how_long`; returns the highest seen.
double highest_phase(const ClosedLoop& loop, std::chrono::seconds how_long) {
  double worst = 0;
  const auto until = Clock::now() + how_long;
  while (Clock::now() < until) {
    for (double a : loop.grid()) worst = std::max(worst, a);
    std::this_thread::sleep_for(200ms);
  }
  return worst;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Issue 26.4: fuse 20 A, 12 A of house on every phase, mode now; the car charges at the 7 A that leaves. The
// grid meter then reads -3000 A per phase (a broken scale factor) while its power stays true: the limit must
// not rise and the real phase current must stay within the fuse.
TEST(ClosedLoop, AbsurdGridCurrentsNeverRaiseTheLimit) {
  ClosedLoop loop;
  ASSERT_NO_THROW(loop.start("now", "", 20));
  loop.site("house 12 12 12");
  ASSERT_TRUE(loop.wait_limit([](double a) { return a == 7; }, 0, 60s)) << loop.logs();
  std::this_thread::sleep_for(3s);
  const auto bogus = loop.mark();
  loop.site("override -3000 -3000 -3000");
  ASSERT_TRUE(loop.wait_limit([](double a) { return a == 6; }, bogus, 20s)) << loop.logs();
  const double worst = highest_phase(loop, 8s);
  for (double a : loop.limit_changes(bogus)) EXPECT_LE(a, 7) << "a limit rose on a bogus reading";
  EXPECT_LE(worst, 20) << "the real phase current went over the fuse";
  std::printf("[ figures  ] -3000 A per phase on a 20 A fuse: limits %s, highest real phase %.1f A\n",
              fmt::format("{}", fmt::join(loop.limit_changes(bogus), " ")).c_str(), worst);
  EXPECT_EQ(count(loop.hemd_log(), "beyond what the fuse can carry"), 1u) << loop.hemd_log();
  const auto fixed = loop.mark();
  loop.site("override");
  EXPECT_TRUE(loop.wait_limit([](double a) { return a == 7; }, fixed, 30s)) << loop.logs();
  EXPECT_NE(loop.hemd_log().find("trusted again"), std::string::npos) << loop.hemd_log();
  EXPECT_FALSE(loop.strict_refusals()) << loop.logs();
}

// Issue 26.4: a charger's MeterValues of 16000 (milliamps sent with unit A). The guard subtracts the cars'
// draw from the grid reading, so trusting it made room that is not there (7 -> 16 A, 28.4 A on the fuse).
TEST(ClosedLoop, AChargersAbsurdMeterValuesNeverRaiseItsLimit) {
  ClosedLoop loop;
  ASSERT_NO_THROW(loop.start("now", "", 20));
  loop.site("house 12 12 12");
  ASSERT_TRUE(loop.wait_steady_limit(7, 60s)) << loop.logs();
  const auto bogus = loop.mark();
  loop.charger_reports(16000);
  ASSERT_TRUE(loop.wait_limit([](double a) { return a == 6; }, bogus, 20s)) << loop.logs();
  const double worst = highest_phase(loop, 8s);
  for (double a : loop.limit_changes(bogus)) EXPECT_LE(a, 7) << "a limit rose on a bogus reading";
  EXPECT_LE(worst, 20) << "the real phase current went over the fuse";
  EXPECT_EQ(count(loop.hemd_log(), "reports 16000"), 1u) << "said once, not per report: " << loop.hemd_log();
  const auto fixed = loop.mark();
  loop.charger_reports(std::nan(""));
  EXPECT_TRUE(loop.wait_limit([](double a) { return a == 7; }, fixed, 30s)) << loop.logs();
}

// Issue 26.4: the grid meter keeps answering with frozen registers (a gateway serving its last values). Every
// read succeeds, so only this tells: the car's own draw changed, yet the grid reading did not. hemd takes the
// meter as stale, says so, and the charger goes to its safe current; when the house then adds 12 A per
// phase the fuse holds. When the meter moves again, it is trusted again.
TEST(ClosedLoop, AFrozenGridMeterIsTakenAsStaleWhenTheCarsDrawChanges) {
  ClosedLoop loop;
  ASSERT_NO_THROW(loop.start("now"));
  loop.site("house 2 1 1");
  ASSERT_TRUE(loop.wait_limit([](double a) { return a == 16; }, 0, 60s)) << loop.logs();
  std::this_thread::sleep_for(3s);
  loop.site("freeze");
  const auto frozen = loop.mark();
  const auto t0 = Clock::now();
  loop.car_takes_at_most(8);  // its battery is nearly full: it takes 8 of the 16 A it may
  ASSERT_TRUE(loop.wait_limit([](double a) { return a == 6; }, frozen, 30s)) << loop.logs();
  const auto seen_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  std::printf("[ figures  ] frozen grid meter: the car's change to the safe current: %lld ms\n",
              static_cast<long long>(seen_ms));
  EXPECT_EQ(count(loop.hemd_log(), "taken as frozen"), 1u) << loop.hemd_log();
  loop.site("house 14 13 13");  // the house adds 12 A a phase; the frozen meter does not show it
  const double worst = highest_phase(loop, 6s);
  EXPECT_LE(worst, 25) << "the real phase current went over the fuse";
  for (double a : loop.limit_changes(frozen)) EXPECT_LE(a, 16);
  EXPECT_EQ(loop.limit_changes(frozen).back(), 6);
  const auto moving = loop.mark();
  loop.site("unfreeze");
  // 25 - 0.5 - 14 A of house leaves 10 A.
  EXPECT_TRUE(loop.wait_limit([](double a) { return a == 10; }, moving, 30s)) << loop.logs();
  EXPECT_NE(loop.hemd_log().find("move again"), std::string::npos) << loop.hemd_log();
}

// Issue 25, 3: an AC charger without ISO 15118 has no SoC, and OCPP 1.6 has it reject a measurand list with
// one it lacks, whole. hemd asks again with fewer, and ends with the car's per-phase current in its snapshot
// (the status line shows the charger's L1 current), which the fuse guard needs.
TEST(ClosedLoop, AChargerRefusingTheFirstMeasurandListStillReportsPerPhaseCurrent) {
  ClosedLoop loop;
  ASSERT_NO_THROW(loop.start(
      "now", "", 25, {"--measurands", "Energy.Active.Import.Register,Power.Active.Import,Current.Import"}));
  loop.site("house 2 1 1");
  ASSERT_TRUE(loop.wait_limit([](double a) { return a == 16; }, 0, 60s)) << loop.logs();
  EXPECT_TRUE(Process::wait_until([&] { return loop.status().find("cp1 16.0 A") != std::string::npos; }, 30s))
      << loop.status() << "\n"
      << loop.logs();
  EXPECT_NE(loop.hemd_log().find("it will not report SoC"), std::string::npos) << loop.hemd_log();
  EXPECT_FALSE(loop.strict_refusals()) << loop.logs();
}

}  // namespace
}  // namespace hemd::test
