// A car that does not follow a raise: noticed after a few minutes, woken by the charger's methods in turn,
// given up on (and its need charged as one block) when none helps; a full car is never taken for asleep.
#include "strategies/sleeping_car.h"

#include <gtest/gtest.h>

#include "site_builder.h"
#include "strategies/control.h"

namespace hemd {
namespace {

constexpr TimeMs s = 1000;
const std::vector<std::string> both = {"availability_cycle", "restart_transaction"};

// A car at a 16 A limit that reports SuspendedEV and draws nothing.
ChargerState asleep_car() {
  auto c = test::charger("c1", ChargeMode::smart);
  c.status = ChargerStatus::suspended_ev;
  c.offered_limit_a = 16;
  c.energy_need_wh = 10000;
  return c;
}

// Runs the watch once a second from `from` to `to` (inclusive) and gathers what it asked for.
SleepVerdict run(const ChargerState& c, double limit, TimeMs from, TimeMs to, SleepWatch& w,
                 const std::vector<std::string>& methods = both) {
  SleepVerdict all;
  for (TimeMs t = from; t <= to; t += s) {
    auto v = watch_car(c, limit, methods, t, SleepParams{}, w);
    for (auto& u : v.wake_ups) all.wake_ups.push_back(u);
    for (auto& o : v.outcomes) all.outcomes.push_back(o);
    if (!v.note.empty()) all.note = v.note;
  }
  return all;
}

TEST(SleepingCar, PausedCarIsNotWatched) {
  auto c = asleep_car();
  c.offered_limit_a = 0;
  SleepWatch w;
  auto v = run(c, 0, 0, 600 * s, w);
  EXPECT_TRUE(v.wake_ups.empty());
  EXPECT_FALSE(w.asleep);
}

TEST(SleepingCar, RaisedCarDrawingNothingIsWokenAfterThreeMinutes) {
  SleepWatch w;
  auto c = asleep_car();
  auto v = run(c, 16, 0, 179 * s, w);
  EXPECT_TRUE(v.wake_ups.empty());
  v = run(c, 16, 180 * s, 180 * s, w);
  ASSERT_EQ(v.wake_ups.size(), 1u);
  EXPECT_EQ(v.wake_ups[0].method, "availability_cycle");
  EXPECT_NE(v.note.find("waking it by availability_cycle"), std::string::npos);
}

TEST(SleepingCar, AWakeUpThatWorksIsLearnt) {
  SleepWatch w;
  auto c = asleep_car();
  run(c, 16, 0, 200 * s, w);
  test::drawing(c, 16);
  c.status = ChargerStatus::charging;
  auto v = run(c, 16, 201 * s, 201 * s, w);
  ASSERT_EQ(v.outcomes.size(), 1u);
  EXPECT_TRUE(v.outcomes[0].worked);
  EXPECT_EQ(v.outcomes[0].method, "availability_cycle");
  EXPECT_LT(w.armed_at, 0);  // the watch ends: a car that then stops by itself is done, not asleep
  c.status = ChargerStatus::suspended_ev;
  c.power_w = 0;
  c.current_a = {};
  v = run(c, 16, 202 * s, 2000 * s, w);
  EXPECT_TRUE(v.wake_ups.empty());
}

TEST(SleepingCar, TheAvailabilityCycleIsNotTheCarLeaving) {
  SleepWatch w;
  auto c = asleep_car();
  run(c, 16, 0, 180 * s, w);
  auto cycling = c;
  cycling.status = ChargerStatus::unavailable;
  cycling.car_connected = false;
  run(cycling, 0, 181 * s, 190 * s, w);
  EXPECT_EQ(w.trying, "availability_cycle");
  test::drawing(c, 16);
  auto v = run(c, 16, 191 * s, 191 * s, w);
  ASSERT_EQ(v.outcomes.size(), 1u);
  EXPECT_TRUE(v.outcomes[0].worked);
}

TEST(SleepingCar, EveryMethodFailsThenTheCarIsAsleep) {
  SleepWatch w;
  auto c = asleep_car();
  auto v = run(c, 16, 0, 180 * s + 120 * s + 120 * s, w);
  ASSERT_EQ(v.wake_ups.size(), 2u);
  EXPECT_EQ(v.wake_ups[1].method, "restart_transaction");
  ASSERT_EQ(v.outcomes.size(), 2u);
  EXPECT_FALSE(v.outcomes[0].worked);
  EXPECT_FALSE(v.outcomes[1].worked);
  EXPECT_TRUE(w.asleep);
  EXPECT_NE(v.note.find("did not wake (tried availability_cycle, restart_transaction)"), std::string::npos);
}

TEST(SleepingCar, NoMethodAllowedGivesUpAtOnce) {
  SleepWatch w;
  auto v = run(asleep_car(), 16, 0, 180 * s, w, {});
  EXPECT_TRUE(v.wake_ups.empty());
  EXPECT_TRUE(w.asleep);
  EXPECT_NE(v.note.find("allows no wake-up"), std::string::npos);
}

TEST(SleepingCar, FullCarIsNotAsleep) {
  for (int how = 0; how < 3; ++how) {
    auto c = asleep_car();
    if (how == 0) c.energy_need_wh = 0;
    if (how == 1) c.soc_pct = 100;
    if (how == 2) {
      c.soc_pct = 80;
      c.target_soc_pct = 80;
      c.battery_wh = 40000;
    }
    SleepWatch w;
    auto v = run(c, 16, 0, 1000 * s, w);
    EXPECT_TRUE(v.wake_ups.empty()) << how;
    EXPECT_FALSE(w.asleep) << how;
  }
}

TEST(SleepingCar, ChargerSideStatesAreNotTheCars) {
  for (auto st : {ChargerStatus::suspended_evse, ChargerStatus::preparing, ChargerStatus::finishing}) {
    auto c = asleep_car();
    c.status = st;
    SleepWatch w;
    EXPECT_TRUE(run(c, 16, 0, 1000 * s, w).wake_ups.empty()) << to_string(st);
  }
}

TEST(SleepingCar, ChargingAtZeroWattsCounts) {
  auto c = asleep_car();
  c.status = ChargerStatus::charging;
  SleepWatch w;
  EXPECT_EQ(run(c, 16, 0, 200 * s, w).wake_ups.size(), 1u);
}

TEST(SleepingCar, APauseEndsTheWatch) {
  SleepWatch w;
  auto c = asleep_car();
  run(c, 16, 0, 170 * s, w);
  auto paused = c;
  paused.offered_limit_a = 0;
  run(paused, 0, 171 * s, 171 * s, w);
  // Raised again: the car gets its full three minutes from the new raise.
  EXPECT_TRUE(run(c, 16, 172 * s, 172 * s + 179 * s, w).wake_ups.empty());
  EXPECT_EQ(run(c, 16, 172 * s + 180 * s, 172 * s + 180 * s, w).wake_ups.size(), 1u);
}

TEST(SleepingCar, LeavingForgetsTheCar) {
  SleepWatch w;
  auto c = asleep_car();
  run(c, 16, 0, 1000 * s, w, {});
  ASSERT_TRUE(w.asleep);
  c.car_connected = false;
  run(c, 0, 1001 * s, 1001 * s, w);
  EXPECT_FALSE(w.asleep);
}

TEST(SleepingCar, WakeOrderPutsWhatWorkedFirstAndWhatFailedLast) {
  const std::vector<std::string> allowed = {"a", "b", "c"};
  EXPECT_EQ(wake_order(allowed, {}), allowed);
  EXPECT_EQ(wake_order(allowed, {{"c", "worked"}, {"a", "failed"}}),
            (std::vector<std::string>{"c", "b", "a"}));
  EXPECT_EQ(wake_order(allowed, {{"b", "odd"}}), (std::vector<std::string>{"a", "c", "b"}));
}

// In the control loop: the wake-ups go into the decision, and an asleep smart car gets its need in one block.
TEST(SleepingCar, DecideAsksForTheWakeUpAndThenChargesTheRestInOneBlock) {
  ControlParams p;
  ControlState state;
  auto c = asleep_car();
  c.wake_methods = {"restart_transaction"};
  c.planned_power_w = 11000;
  Decision d;
  int wakes = 0;
  for (TimeMs t = 0; t <= 400 * s; t += s) {
    d = decide(test::site(t, 40, {c}), p, state);
    wakes += static_cast<int>(d.wake_ups.size());
  }
  EXPECT_EQ(wakes, 1);
  ASSERT_EQ(d.commands.size(), 1u);
  EXPECT_TRUE(d.commands[0].car_asleep);
  EXPECT_NE(d.commands[0].reason.find("did not wake"), std::string::npos) << d.commands[0].reason;
  // The plan would pause it now; the car that missed a resume is not paused again.
  c.planned_power_w = 0;
  d = decide(test::site(401 * s, 40, {c}), p, state);
  EXPECT_EQ(d.commands[0].limit_a, 6) << d.commands[0].reason;  // its minimum: the least of the fuse
  EXPECT_NE(d.commands[0].reason.find("one block from now"), std::string::npos) << d.commands[0].reason;
}

// Right after a raise hemd counts a car at its new limit until a report shows otherwise
// (strategies/draw_estimate.h): that estimate is no sign that the car follows.
TEST(SleepingCar, TheEstimatedDrawAfterARaiseIsNotTheCarFollowing) {
  ControlParams p;
  ControlState state;
  auto c = asleep_car();
  c.mode = ChargeMode::now;
  c.offered_limit_a = 0;
  c.status = ChargerStatus::suspended_evse;
  for (TimeMs t = 0; t < 10 * s; t += s) {
    c.metered_at = t;
    decide(test::site(t, 40, {c}), p, state);
  }
  c.offered_limit_a = 16;
  c.status = ChargerStatus::suspended_ev;
  int wakes = 0;
  for (TimeMs t = 10 * s; t <= 400 * s; t += s) {
    c.metered_at = t - 3 * s;  // reports come every few seconds
    wakes += static_cast<int>(decide(test::site(t, 40, {c}), p, state).wake_ups.size());
  }
  EXPECT_EQ(wakes, 0);  // no method allowed for this charger
  EXPECT_TRUE(state.sleep["c1"].asleep);
}

}  // namespace
}  // namespace hemd
