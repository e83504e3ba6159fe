// hemd closing the loop with real peers only (closed_loop.h): PV surplus under clouds, a fuse overload step.
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

}  // namespace
}  // namespace hemd::test
