// A home battery in the closed loop (issue 21, issue 26.10), real peers only: the pymodbus house's hybrid
// inverter absorbs export and covers import, and obeys (and reverts) the discharge lock hemd writes.
#include <gtest/gtest.h>
#include <cmath>

#include "tests/e2e/closed_loop/closed_loop.h"

namespace hemd::test {
namespace {

::testing::AssertionResult started(ClosedLoop& loop, const std::string& mode,
                                   const std::string& control = "") {
  try {
    loop.start(mode, control);
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << e.what();
  }
  return ::testing::AssertionSuccess();
}

// The decisions hemd recorded (each with its reason), for a failure's message.
std::string decisions(const ClosedLoop& loop) {
  Process q({"/usr/bin/sqlite3", loop.dir.file("hemd.db"), "select message from events"},
            loop.dir.file("events.out"), loop.dir.file("events.err"));
  q.wait_exit();
  return q.out();
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The battery swallows the whole surplus, so the grid meter shows no export; above priority_soc the car comes
// first and a PV-only car starts on the battery's charging power.
TEST(Battery, APvCarStartsWhileTheBatteryAbovePrioritySocTakesAllTheSurplus) {
  ClosedLoop loop;
  loop.with_battery({"--battery", "goodwe", "--soc", "90", "--capacity-wh", "100000", "--battery-w", "11000"},
                    "device: goodwe_et_battery, unit: 247, max_power_w: 11000",
                    "battery: {priority_soc: 80}\n");
  ASSERT_TRUE(started(loop, "pv", ", enable_delay_s: 5, disable_delay_s: 20"));
  loop.site("house 1 1 1");
  loop.site("pv 9000");
  ASSERT_TRUE(Process::wait_until([&] { return loop.battery()[0] < -8000; }, 10s)) << loop.site_out();
  // The battery takes the surplus within the site's next steps: then the grid meter shows no export.
  EXPECT_TRUE(Process::wait_until(
      [&] {
        const auto g = loop.grid();
        return std::abs(g[0] + g[1] + g[2]) < 0.1;
      },
      10s))
      << "the grid meter shows export: " << loop.site_out();
  // Until the battery is read the car has its safe current; then it waits for the enable delay, and starts.
  ASSERT_TRUE(loop.wait_limit([](double a) { return a == 0; }, 0, 30s)) << loop.logs();
  const auto waiting = loop.mark();
  ASSERT_TRUE(loop.wait_limit([](double a) { return a >= 6; }, waiting, 90s)) << loop.logs();
  // The car's reports lag the battery's: it may settle through its minimum, then takes the battery's share.
  EXPECT_TRUE(Process::wait_until([&] { return loop.battery()[0] > -3000; }, 60s)) << decisions(loop);
  std::printf("[ figures  ] PV 9 kW, house 0.69 kW: car limits %s A, battery then %.0f W\n",
              fmt::format("{}", fmt::join(loop.limit_changes(), " ")).c_str(), loop.battery()[0]);
  EXPECT_FALSE(loop.strict_refusals()) << loop.logs();
}

void night_with_sunspec_battery(ClosedLoop& loop) {
  loop.with_battery({"--battery", "sunspec", "--soc", "80", "--capacity-wh", "20000", "--battery-w", "10000"},
                    "device: sunspec, unit: 2, max_power_w: 10000, control: true, revert_s: 10", "");
  ASSERT_TRUE(started(loop, "now"));
  loop.site("house 2 1 1");
}

// A car in `now` at night: hemd locks the battery's discharge, so the car takes nothing from it (the house's
// own load then comes from the grid too). hemd stopped cleanly releases the lock.
TEST(Battery, ACarInNowTakesNothingFromTheBattery) {
  ClosedLoop loop;
  night_with_sunspec_battery(loop);
  ASSERT_TRUE(loop.wait_limit([](double a) { return a == 16; }, 0, 60s)) << loop.logs();
  ASSERT_TRUE(Process::wait_until([&] { return loop.site_out().find("LOCK on") != std::string::npos; }, 20s))
      << loop.logs();
  std::this_thread::sleep_for(3s);
  double most = 0;
  for (int i = 0; i < 25; ++i) {
    most = std::max(most, loop.battery()[0]);
    std::this_thread::sleep_for(200ms);
  }
  std::printf("[ figures  ] car at 16 A in now: battery at most %.0f W over 5 s\n", most);
  EXPECT_LE(most, 20) << "the battery fed the car";
  EXPECT_NE(loop.hemd_log().find("holds its charge"), std::string::npos) << loop.hemd_log();
  loop.stop_hemd();
  EXPECT_TRUE(Process::wait_until([&] { return loop.site_out().find("LOCK off") != std::string::npos; }, 20s))
      << loop.hemd_log();
}

// kill -9 during the lock: nobody renews it, and the battery reverts by itself after its timeout (10 s).
TEST(Battery, KillDashNineDuringTheLockTheBatteryRevertsAfterItsTimeout) {
  ClosedLoop loop;
  night_with_sunspec_battery(loop);
  ASSERT_TRUE(Process::wait_until([&] { return loop.site_out().find("LOCK on") != std::string::npos; }, 60s))
      << loop.logs();
  std::this_thread::sleep_for(12s);  // longer than the timeout: hemd renews it
  EXPECT_EQ(count(loop.site_out(), "REVERTED"), 0u) << "hemd did not renew the lock";
  loop.kill_hemd();
  const auto t0 = Clock::now();
  ASSERT_TRUE(Process::wait_until([&] { return loop.site_out().find("REVERTED") != std::string::npos; }, 40s))
      << loop.site_out();
  std::printf("[ figures  ] kill -9 to the battery's own revert: %.1f s (revert_s 10)\n",
              std::chrono::duration<double>(Clock::now() - t0).count());
  EXPECT_TRUE(Process::wait_until([&] { return loop.battery()[0] > 500; }, 10s))
      << "it covers the house again";
}

// Issue 26.10: a battery without a revert timeout (GoodWe) stays locked after kill -9 until something outside
// hemd releases it: the unit's ExecStopPost= runs `hemd battery release`; the next start releases it first.
TEST(Battery, KillDashNineWithoutARevertTimeoutIsReleasedByTheStopPostCommandAndTheNextStart) {
  ClosedLoop loop;
  loop.with_battery({"--battery", "goodwe", "--soc", "80", "--capacity-wh", "20000", "--battery-w", "5000"},
                    "device: goodwe_et_battery, unit: 247, max_power_w: 5000, control: true", "");
  ASSERT_TRUE(started(loop, "now"));
  ASSERT_TRUE(Process::wait_until([&] { return loop.site_out().find("LOCK on") != std::string::npos; }, 60s))
      << loop.logs();
  loop.kill_hemd();
  std::this_thread::sleep_for(5s);
  EXPECT_EQ(count(loop.site_out(), "LOCK off"), 0u) << "this battery has no timeout of its own";
  Process release({HEMD_BINARY, "battery", "release", "--config", loop.dir.file("hemd.yaml")},
                  loop.dir.file("release.out"), loop.dir.file("release.err"));
  ASSERT_EQ(release.wait_exit(), 0) << release.err() << release.out();
  EXPECT_NE(release.out().find("1 of 1 battery lock(s) released"), std::string::npos) << release.out();
  EXPECT_TRUE(Process::wait_until([&] { return loop.site_out().find("LOCK off") != std::string::npos; }, 10s))
      << loop.site_out();

  // A lock left behind (ExecStopPost= never ran: a power cut): the next hemd releases it before it does
  // anything else.
  loop.site("battery lock");
  ASSERT_TRUE(Process::wait_until([&] { return count(loop.site_out(), "LOCK on") >= 2; }, 10s))
      << loop.site_out();
  ASSERT_NO_THROW(loop.start_hemd());
  const std::string log = loop.hemd_log();
  const auto released = log.find("battery released to its own control");
  ASSERT_NE(released, std::string::npos) << log;
  EXPECT_LT(released, log.find("ocpp: listening")) << log;
  EXPECT_TRUE(Process::wait_until([&] { return count(loop.site_out(), "LOCK off") >= 2; }, 10s))
      << loop.site_out();
}

// A battery meter that stops answering: hemd can no longer tell whose surplus it is nor whether the battery
// feeds the car; the charger goes to its safe current until the battery answers again.
TEST(Battery, ABatteryMeterThatStopsAnsweringSendsTheChargerToItsSafeCurrent) {
  ClosedLoop loop;
  loop.with_battery({"--battery", "goodwe", "--soc", "60"}, "device: goodwe_et_battery, unit: 247", "");
  ASSERT_TRUE(started(loop, "now"));
  loop.site("house 2 1 1");
  ASSERT_TRUE(loop.wait_limit([](double a) { return a == 16; }, 0, 60s)) << loop.logs();
  const auto mute = loop.mark();
  loop.site("battery mute");
  ASSERT_TRUE(loop.wait_limit([](double a) { return a == 6; }, mute, 30s)) << loop.logs();
  EXPECT_TRUE(Process::wait_until(
      [&] { return loop.hemd_log().find("modbus: battery: ") != std::string::npos; }, 10s))
      << loop.hemd_log();
  const auto back = loop.mark();
  loop.site("battery unmute");
  EXPECT_TRUE(loop.wait_limit([](double a) { return a == 16; }, back, 90s))
      << loop.hemd_log() << decisions(loop);
}

}  // namespace
}  // namespace hemd::test
