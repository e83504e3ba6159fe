// Readings no site can produce, and a grid meter that stopped moving: never trusted, never a raise
// (issue 26.4).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "strategies/control.h"
#include "strategies/plausibility.h"
#include "tests/unit/strategies/site_builder.h"

namespace hemd {
namespace {

using test::charger;
using test::drawing;
using test::site;

constexpr TimeMs t0 = 1'790'000'000'000;
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

// The issue's site: a 20 A fuse, 12 A of house on every phase, one car in `now` at the 7 A that leaves.
SiteSnapshot issue_site(TimeMs now = t0) {
  auto c = charger("cp1");
  drawing(c, 7);
  return site(now, 20, {c}, 12);
}

double limit(const Decision& d) {
  return d.commands.at(0).limit_a;
}

TEST(Plausibility, TheIssueSiteChargesAtSevenAmps) {
  ControlState st;
  EXPECT_EQ(limit(decide(issue_site(), ControlParams{}, st)), 7);
}

TEST(Plausibility, BoundsFollowTheFuse) {
  SiteLimits l;
  l.main_fuse_a = 20;
  const auto b = reading_bounds(l);
  EXPECT_EQ(b.grid_phase_a, 40);
  EXPECT_FALSE(grid_current_problem(35, 0, b));  // an overload the guard must see, not a misread
  EXPECT_FALSE(grid_current_problem(-25, 0, b));
  EXPECT_TRUE(grid_current_problem(-3000, 0, b));
  EXPECT_TRUE(grid_current_problem(3000, 1, b));
  EXPECT_TRUE(grid_current_problem(nan, 2, b));
  EXPECT_TRUE(grid_power_problem(inf, b));
  EXPECT_TRUE(pv_power_problem(-20000, b));
  EXPECT_NE(grid_current_problem(-3000, 0, b)->find("L1 current -3000.0 A"), std::string::npos);
}

// A grid meter reporting -3000 A per phase (int16 with its scale factor) while its power stays plausible.
TEST(Plausibility, AbsurdGridCurrentGivesTheSafeCurrentNotARaise) {
  for (double amps : {-3000.0, 3000.0, nan, inf, -inf, 1e300}) {
    ControlState st;
    auto s = issue_site();
    for (auto& r : s.grid.current_a) r.value = amps;
    const Decision d = decide(s, ControlParams{}, st);
    EXPECT_EQ(limit(d), 6) << amps;
    EXPECT_EQ(d.commands[0].reason, "grid meter stale: safe current") << amps;
  }
}

TEST(Plausibility, AbsurdGridPowerGivesTheSafeCurrent) {
  ControlState st;
  auto s = issue_site();
  s.grid.power_w.value = nan;
  EXPECT_EQ(limit(decide(s, ControlParams{}, st)), 6);
}

// A charger's MeterValues of NaN, Infinity, 1e300 or 16000 (milliamps sent as A): the guard subtracts the
// reported draw from the grid reading, so trusting any of them made room that is not there.
TEST(Plausibility, AbsurdChargerDrawNeverRaisesItsLimit) {
  for (double amps : {nan, inf, 1e300, 16000.0, -50.0}) {
    ControlState st;
    auto s = issue_site();
    s.chargers[0].current_a = {amps, amps, amps};
    s.chargers[0].power_w = amps * 230 * 3;
    const Decision d = decide(s, ControlParams{}, st);
    EXPECT_LE(limit(d), 7) << amps;
    EXPECT_EQ(limit(d), 6) << amps << ": the safe current, below the 7 A it had";
    EXPECT_NE(d.commands[0].reason.find("not trusted"), std::string::npos) << d.commands[0].reason;
  }
}

TEST(Plausibility, AnUntrustedChargerPausedStaysPaused) {
  ControlState st;
  auto s = issue_site();
  s.chargers[0].offered_limit_a = 0;
  s.chargers[0].current_a = {nan, nan, nan};
  EXPECT_EQ(limit(decide(s, ControlParams{}, st)), 0);
}

TEST(Plausibility, AnUntrustedChargerIsCutWhenThePhaseGoesOverTheFuse) {
  ControlState st;
  auto s = issue_site();
  for (auto& r : s.grid.current_a) r.value = 24;  // house grew: 24 A measured on a 20 A fuse
  s.chargers[0].current_a = {16000, 16000, 16000};
  EXPECT_EQ(limit(decide(s, ControlParams{}, st)), 0);
}

TEST(Plausibility, OtherChargersSeeTheUntrustedOnesDrawAsHouseLoad) {
  ControlState st;
  auto a = charger("a");
  auto b = charger("b");
  drawing(a, 6);
  drawing(b, 6);
  auto s = site(t0, 32, {a, b}, 4);  // 4 + 6 + 6 = 16 A measured
  s.chargers[0].current_a = {nan, nan, nan};
  const Decision d = decide(s, ControlParams{}, st);
  EXPECT_EQ(d.for_charger("a")->limit_a, 6);
  // 32 - 0.5 - (16 - 6 of b's own) = 21.5 A of room for both, of which a holds 6: b may take 15, not 16.
  EXPECT_EQ(d.for_charger("b")->limit_a, 15);
}

TEST(Plausibility, DistrustIsIdempotentAndZeroesTheUntrustedDraw) {
  auto s = issue_site();
  s.chargers[0].current_a[1] = nan;
  auto found = distrust_impossible(s);
  ASSERT_EQ(found.count("charger cp1"), 1u);
  EXPECT_FALSE(s.chargers[0].draw_trusted);
  EXPECT_EQ(s.chargers[0].current_a[1], 0);
  EXPECT_EQ(s.chargers[0].power_w, 0);
  found = distrust_impossible(s);
  EXPECT_FALSE(s.chargers[0].draw_trusted);
  EXPECT_EQ(found.count("charger cp1"), 0u);  // already marked: the first pass reported it
}

// Issue 21: a battery's SoC outside 0-100 % or power beyond its rating is refused like other absurd values.
TEST(Plausibility, AbsurdBatterySocOrPowerIsNotTrusted) {
  for (double soc : {-1.0, 101.0, 6553.5, nan}) {
    auto s = issue_site();
    s.batteries.push_back(test::battery(t0, 1000, soc));
    auto found = distrust_impossible(s);
    EXPECT_EQ(found.count("battery battery soc"), 1u) << soc;
    EXPECT_EQ(s.batteries[0].soc_pct.quality, Quality::failed) << soc;
    EXPECT_TRUE(s.batteries[0].power_w.ok());
  }
  for (double w : {5600.0, -5600.0, inf}) {
    auto s = issue_site();
    s.batteries.push_back(test::battery(t0, w, 50, 5000));
    auto found = distrust_impossible(s);
    EXPECT_EQ(found.count("battery battery power"), 1u) << w;
    EXPECT_EQ(s.batteries[0].power_w.quality, Quality::failed) << w;
  }
  auto s = issue_site();
  s.batteries.push_back(test::battery(t0, -5000, 100, 5000));
  EXPECT_TRUE(distrust_impossible(s).empty());
  EXPECT_TRUE(s.batteries[0].ok());
}

// The cars report a change, the grid meter's values stay exactly as they were: a gateway serving its last
// registers. The site falls back to the safe current until the meter moves again.
struct FrozenMeter : ::testing::Test {
  FreezeParams params;
  VetState state;
  ControlState control;
  TimeMs now = t0;
  double car_a = 16;
  int reports = 0;
  TimeMs metered_at = -1;
  std::array<double, 3> grid{18, 18, 18};

  SiteSnapshot snapshot(bool report) {
    auto c = charger("cp1");
    drawing(c, car_a);
    if (report) metered_at = now;
    c.metered_at = metered_at;
    c.offered_limit_a = 16;
    auto s = site(now, 25, {c}, 2);
    for (int ph = 0; ph < 3; ++ph) s.grid.current_a[ph].value = grid[ph];
    s.grid.power_w.value = (grid[0] + grid[1] + grid[2]) * 230;
    return s;
  }
  Vetting step(bool report, SiteSnapshot* out = nullptr) {
    now += 1000;
    auto s = snapshot(report);
    auto v = vet_readings(s, params, state);
    if (out) *out = s;
    return v;
  }
};

TEST_F(FrozenMeter, ACarsChangeTheGridDoesNotFollowIsFrozen) {
  step(true);
  step(false);
  car_a = 6;  // the car follows a cut; the meter keeps serving 18 A
  auto v = step(true);
  EXPECT_TRUE(v.started.empty()) << "not before the grace";
  SiteSnapshot s;
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(step(false, &s).started.empty());
  EXPECT_EQ(s.grid.current_a[0].quality, Quality::ok);
  v = step(false, &s);
  ASSERT_EQ(v.started.size(), 1u);
  EXPECT_NE(v.started[0].find("frozen"), std::string::npos) << v.started[0];
  EXPECT_NE(v.started[0].find("cp1 reported 6.0 A"), std::string::npos) << v.started[0];
  EXPECT_EQ(s.grid.current_a[0].quality, Quality::stale);
  EXPECT_EQ(s.grid.power_w.quality, Quality::stale);
  const Decision d = decide(s, ControlParams{}, control);
  EXPECT_EQ(d.commands[0].limit_a, 6);
  EXPECT_EQ(d.commands[0].reason, "grid meter stale: safe current");
  // Said once per episode, not once per cycle.
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(step(false).started.empty());
  grid[0] = 8.1;  // the meter moves again
  v = step(false, &s);
  ASSERT_EQ(v.ended.size(), 1u);
  EXPECT_NE(v.ended[0].find("move again"), std::string::npos);
  EXPECT_EQ(s.grid.current_a[0].quality, Quality::ok);
}

TEST_F(FrozenMeter, AMeterThatFollowedBeforeTheReportIsNotFrozen) {
  step(true);
  step(false);
  car_a = 6;
  grid = {8, 8, 8};  // the meter sees the change before the charger reports it
  step(false);
  step(true);
  SiteSnapshot s;
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(step(i % 5 == 0, &s).started.empty());
  EXPECT_EQ(s.grid.current_a[0].quality, Quality::ok);
}

// A home battery that takes up the car's change leaves the grid meter at 0 A: its own reading moved, so the
// grid meter is not frozen (the closed-loop battery test found a PV car sent to its safe current by this).
TEST_F(FrozenMeter, ABatteryThatTookUpTheChangeExplainsAStillGridMeter) {
  double battery_w = -3000;
  auto stepped = [&](bool report) {
    now += 1000;
    auto s = snapshot(report);
    s.batteries.push_back(test::battery(now, battery_w, 90, 11000));
    return vet_readings(s, params, state);
  };
  stepped(true);
  stepped(false);
  car_a = 6;
  battery_w = -3000 - (16 - 6) * 690;  // the battery charges what the car no longer takes
  for (int i = 0; i < 12; ++i) {
    const auto v = stepped(i == 0);
    EXPECT_TRUE(v.started.empty()) << i << ": " << (v.started.empty() ? "" : v.started[0]);
  }
}

TEST_F(FrozenMeter, SmallChangesAndSteadyReportsDoNotCount) {
  step(true);
  for (int i = 0; i < 30; ++i) {
    car_a = 16 - (i % 2);  // a car wobbling by 1 A
    EXPECT_TRUE(step(true).started.empty());
  }
}

TEST(Plausibility, VettingReportsAnEpisodeOnceAndItsEnd) {
  VetState st;
  FreezeParams p;
  auto bad = issue_site();
  bad.grid.current_a[0].value = -3000;
  auto s = bad;
  auto v = vet_readings(s, p, st);
  ASSERT_EQ(v.started.size(), 1u);
  EXPECT_NE(v.started[0].find("-3000.0 A"), std::string::npos);
  for (int i = 0; i < 3; ++i) {
    s = bad;
    EXPECT_TRUE(vet_readings(s, p, st).started.empty());
  }
  s = issue_site();
  v = vet_readings(s, p, st);
  EXPECT_TRUE(v.started.empty());
  ASSERT_EQ(v.ended.size(), 1u);
  EXPECT_NE(v.ended[0].find("grid current"), std::string::npos);
}

// One bad energy reading must not take the meter out for good (issue 26.6).
TEST(EnergyCounter, AnOutlierIsDroppedAndTheCounterGoesOn) {
  CounterWatch w;
  CounterParams p;
  p.max_power_w = 20'000;
  TimeMs at = t0;
  EXPECT_EQ(check_counter(w, 123'456, at, p, "energy imported").verdict, CounterVerdict::accepted);
  at += 1000;
  auto c = check_counter(w, 4e9, at, p, "energy imported");
  EXPECT_EQ(c.verdict, CounterVerdict::rejected);
  EXPECT_NE(c.say.find("4000000000 Wh cannot follow 123456 Wh"), std::string::npos) << c.say;
  at += 1000;
  c = check_counter(w, 123'460, at, p, "energy imported");
  EXPECT_EQ(c.verdict, CounterVerdict::accepted);
  EXPECT_NE(c.say.find("again"), std::string::npos) << c.say;
  for (int i = 0; i < 100; ++i) {
    at += 1000;
    c = check_counter(w, 123'460 + i, at, p, "energy imported");
    EXPECT_EQ(c.verdict, CounterVerdict::accepted);
    EXPECT_TRUE(c.say.empty());
  }
}

TEST(EnergyCounter, AnOutlierAsTheFirstReadingIsOutlivedSaidOnce) {
  CounterWatch w;
  CounterParams p;
  TimeMs at = t0;
  check_counter(w, 4e9, at, p, "energy imported");
  int said = 0;
  CounterVerdict last = CounterVerdict::rejected;
  for (int i = 0; i < 50; ++i) {
    at += 1000;
    const auto c = check_counter(w, 123'456 + i, at, p, "energy imported");
    said += !c.say.empty();
    last = c.verdict;
  }
  EXPECT_EQ(last, CounterVerdict::accepted);
  EXPECT_EQ(said, 2) << "once refused, once taken up as a restart";
}

TEST(EnergyCounter, AReplacedMeterRestartingFromZeroIsTakenUpOnceItHolds) {
  CounterWatch w;
  CounterParams p;
  TimeMs at = t0;
  check_counter(w, 38.2e6, at, p, "energy imported");
  std::vector<CounterVerdict> v;
  std::vector<std::string> said;
  for (int i = 0; i < 6; ++i) {
    at += 1000;
    const auto c = check_counter(w, 10.0 + i, at, p, "energy imported");
    v.push_back(c.verdict);
    if (!c.say.empty()) said.push_back(c.say);
  }
  EXPECT_EQ(v[0], CounterVerdict::rejected);
  EXPECT_EQ(v[1], CounterVerdict::rejected);
  EXPECT_EQ(v[2], CounterVerdict::restarted);
  EXPECT_EQ(v[5], CounterVerdict::accepted);
  ASSERT_EQ(said.size(), 2u);
  EXPECT_NE(said[0].find("backwards"), std::string::npos) << said[0];
  EXPECT_NE(said[1].find("restarted or replaced"), std::string::npos) << said[1];
}

TEST(EnergyCounter, AFlappingOutlierNeverBecomesTheReference) {
  CounterWatch w;
  CounterParams p;
  TimeMs at = t0;
  check_counter(w, 1000, at, p, "x");
  for (int i = 0; i < 30; ++i) {
    at += 1000;
    const double wh = i % 2 ? 4e9 : 1000 + i;
    EXPECT_EQ(check_counter(w, wh, at, p, "x").verdict,
              i % 2 ? CounterVerdict::rejected : CounterVerdict::accepted)
        << i;
  }
  EXPECT_EQ(check_counter(w, std::nan(""), at + 1000, p, "x").verdict, CounterVerdict::rejected);
}

}  // namespace
}  // namespace hemd
