// The limit policy (drivers/ocpp/limit_policy.h), on its own: when a charger's limit goes out, as what, and
// which commands go with it. The integration tests show the same through strict charge points; these name
// each rule and the OCPP requirement behind it.
#include "drivers/ocpp/limit_policy.h"

#include <gtest/gtest.h>

namespace hemd::ocpp {
namespace {

using Profile = LimitAction::Profile;
using Command = LimitAction::Command;

constexpr std::int64_t s_ = 1000;

const LimitPacing pacing{300, 10, 0.5};

LimitCharger charger() {
  LimitCharger c;
  c.min_current_a = 6;
  c.safe_current_a = 6;
  c.wiring_phases = 3;
  return c;
}

// A charger that holds `amps` sent at `at_ms` as a TxDefaultProfile for its wiring.
LimitState holding(double amps, std::int64_t at_ms = 0) {
  LimitState s;
  s.sent_a = amps;
  s.sent_ms = at_ms;
  s.purpose = Purpose::TxDefaultProfile;
  s.phases = 3;
  return s;
}

LimitWish wish(double amps, std::int64_t now_ms, bool in_transaction = true) {
  LimitWish w;
  w.amps = amps;
  w.phases = 3;
  w.car_connected = true;
  w.in_transaction = in_transaction;
  w.now_ms = now_ms;
  return w;
}

TEST(LimitPolicy, TheFirstLimitGoesOutAtOnce) {
  const auto a = next_limit(pacing, charger(), LimitState{}, wish(10, 0));
  ASSERT_EQ(a.profile, Profile::send);
  EXPECT_EQ(a.purpose, Purpose::TxDefaultProfile);
  EXPECT_EQ(a.amps, 10);
  EXPECT_EQ(a.phases, 3);
  EXPECT_TRUE(a.changed);
  EXPECT_EQ(a.after.sent_a, 10);
  EXPECT_EQ(a.after.sent_ms, 0);
}

// The main fuse: a decrease is never held back by the rate limit.
TEST(LimitPolicy, ADecreaseGoesOutAtOnce) {
  const auto a = next_limit(pacing, charger(), holding(16, 0), wish(10, 1 * s_));
  ASSERT_EQ(a.profile, Profile::send);
  EXPECT_EQ(a.amps, 10);
  EXPECT_TRUE(a.cut) << "raises elsewhere must wait for it";
  EXPECT_EQ(a.after.sent_a, 10);
  EXPECT_EQ(a.after.sent_ms, 1 * s_);
}

// A limit that hunts wears the car's contactors: an increase goes out at most every min_resend_s.
TEST(LimitPolicy, AnIncreaseWaitsMinResend) {
  EXPECT_EQ(next_limit(pacing, charger(), holding(10, 0), wish(16, 9 * s_)).profile, Profile::nothing);
  const auto a = next_limit(pacing, charger(), holding(10, 0), wish(16, 10 * s_));
  ASSERT_EQ(a.profile, Profile::send);
  EXPECT_EQ(a.amps, 16);
  EXPECT_FALSE(a.cut);
}

TEST(LimitPolicy, AChangeInsideTheDeadbandIsNotSent) {
  EXPECT_EQ(next_limit(pacing, charger(), holding(10, 0), wish(10.4, 20 * s_)).profile, Profile::nothing);
  EXPECT_EQ(next_limit(pacing, charger(), holding(10, 0), wish(9.6, 20 * s_)).profile, Profile::nothing);
  EXPECT_EQ(next_limit(pacing, charger(), holding(10, 0), wish(10.5, 20 * s_)).profile, Profile::send);
  EXPECT_EQ(next_limit(pacing, charger(), holding(10, 0), wish(9.5, 20 * s_)).profile, Profile::send);
}

// The dynamic limit lapses to the safe floor after profile_duration_s (so a crashed hemd leaves the charger
// safe); while hemd runs it is sent again at a third of that, unchanged.
TEST(LimitPolicy, TheLimitIsRenewedBeforeItLapses) {
  EXPECT_EQ(next_limit(pacing, charger(), holding(10, 0), wish(10, 99 * s_)).profile, Profile::nothing);
  const auto a = next_limit(pacing, charger(), holding(10, 0), wish(10, 100 * s_));
  ASSERT_EQ(a.profile, Profile::send);
  EXPECT_EQ(a.amps, 10);
  EXPECT_FALSE(a.changed) << "a renewal is not checked again";
  EXPECT_FALSE(a.cut);
  EXPECT_EQ(a.after.sent_ms, 100 * s_);
}

// A car does not charge below its minimum (IEC 61851: 6 A); a wish under it pauses at 0 A instead.
TEST(LimitPolicy, NeverFiveAmpsBelowTheMinimumPause) {
  const auto first = next_limit(pacing, charger(), LimitState{}, wish(5, 0));
  ASSERT_EQ(first.profile, Profile::send);
  EXPECT_EQ(first.amps, 0);
  EXPECT_TRUE(first.cut) << "0 A is below the floor the charger holds";
  const auto later = next_limit(pacing, charger(), holding(10, 0), wish(5.9, 1 * s_));
  ASSERT_EQ(later.profile, Profile::send);
  EXPECT_EQ(later.amps, 0);
}

TEST(LimitPolicy, APauseGoesOutWhateverTheDeadband) {
  LimitPacing wide = pacing;
  wide.deadband_a = 8;
  const auto a = next_limit(wide, charger(), holding(6, 0), wish(0, 1 * s_));
  ASSERT_EQ(a.profile, Profile::send);
  EXPECT_EQ(a.amps, 0);
}

// The sum of the chargers' limits never passes above the fuse during a re-allocation: a raise waits until
// every cut sent to another charger is answered; a cut never waits.
TEST(LimitPolicy, ARaiseWaitsForTheCutsToTheOtherChargers) {
  auto w = wish(16, 20 * s_);
  w.others_cutting = true;
  const auto held = next_limit(pacing, charger(), holding(10, 0), w);
  EXPECT_EQ(held.profile, Profile::wait);
  EXPECT_EQ(held.after.sent_a, 10) << "nothing counts as sent while it waits";
  auto first = wish(16, 0);
  first.others_cutting = true;
  EXPECT_EQ(next_limit(pacing, charger(), LimitState{}, first).profile, Profile::wait)
      << "above the floor it holds before hemd's first limit";
  auto cut = wish(6, 1 * s_);
  cut.others_cutting = true;
  EXPECT_EQ(next_limit(pacing, charger(), holding(10, 0), cut).profile, Profile::send);
}

// The rate limit spares contactors from a limit that hunts, not a car that has just arrived from its start.
TEST(LimitPolicy, ACarJustArrivedGetsItsFirstIncreaseAtOnce) {
  LimitState s = holding(6, 0);
  s.car_arrived = true;
  const auto a = next_limit(pacing, charger(), s, wish(16, 1 * s_));
  ASSERT_EQ(a.profile, Profile::send);
  EXPECT_EQ(a.amps, 16);
  EXPECT_FALSE(a.after.car_arrived) << "only the first increase";
  LimitState next = a.after;
  next.sent_a = 10;  // (a cut since)
  EXPECT_EQ(next_limit(pacing, charger(), next, wish(16, 2 * s_)).profile, Profile::nothing);
}

// OCPP 1.6 §7.13 numberPhases: a car switched to one phase is told at once, before it draws on phases it
// should not.
TEST(LimitPolicy, APhaseSwitchGoesOutAtOnce) {
  auto w = wish(10, 1 * s_);
  w.phases = 1;
  const auto a = next_limit(pacing, charger(), holding(10, 0), w);
  ASSERT_EQ(a.profile, Profile::send);
  EXPECT_EQ(a.phases, 1);
  EXPECT_EQ(a.after.phases, 1);
  LimitState never_sent;  // phases 0: the wiring's
  never_sent.sent_a = 10;
  EXPECT_EQ(next_limit(pacing, charger(), never_sent, wish(10, 1 * s_)).profile, Profile::nothing);
}

// OCPP 1.6 §3.13.2: a TxProfile belongs to a transaction (it carries its transactionId). A charger that
// refused the TxDefaultProfile gets its limit as a TxProfile inside a transaction, and keeps the safe floor
// outside one.
TEST(LimitPolicy, OutsideATransactionTheFloorHoldsWhenTxProfileIsTheFallback) {
  LimitCharger c = charger();
  c.tx_profile_fallback = true;
  const auto outside = next_limit(pacing, c, LimitState{}, wish(16, 0, false));
  EXPECT_EQ(outside.profile, Profile::nothing);
  EXPECT_FALSE(outside.after.sent_a);
  const auto inside = next_limit(pacing, c, LimitState{}, wish(16, 0, true));
  ASSERT_EQ(inside.profile, Profile::send);
  EXPECT_EQ(inside.purpose, Purpose::TxProfile);
  EXPECT_EQ(inside.after.purpose, Purpose::TxProfile);
}

TEST(LimitPolicy, AChargerThatTakesATxProfileAnytimeGetsOneOutsideATransaction) {
  LimitCharger c = charger();
  c.tx_profile_fallback = true;
  c.tx_profile_without_transaction = true;
  const auto a = next_limit(pacing, c, LimitState{}, wish(16, 0, false));
  ASSERT_EQ(a.profile, Profile::send);
  EXPECT_EQ(a.purpose, Purpose::TxProfile);
}

// The fall-back learnt while a TxDefaultProfile is in force: the limit goes out again as a TxProfile at once.
TEST(LimitPolicy, AnotherPurposeGoesOutAtOnce) {
  LimitCharger c = charger();
  c.tx_profile_fallback = true;
  const auto a = next_limit(pacing, c, holding(10, 0), wish(10, 1 * s_));
  ASSERT_EQ(a.profile, Profile::send);
  EXPECT_EQ(a.purpose, Purpose::TxProfile);
}

// A charger whose quirk profile pauses by ending the session (pause: remote_stop) gets one
// RemoteStopTransaction with its 0 A, and a RemoteStartTransaction when charging may go on.
TEST(LimitPolicy, APauseByRemoteStopStopsTheTransactionOnce) {
  LimitCharger c = charger();
  c.pause_by_remote_stop = true;
  const auto stop = next_limit(pacing, c, holding(10, 0), wish(0, 1 * s_, true));
  EXPECT_EQ(stop.command, Command::remote_stop);
  EXPECT_EQ(stop.profile, Profile::send) << "the 0 A profile goes too";
  EXPECT_TRUE(stop.after.remote_stopped);
  const auto again = next_limit(pacing, c, stop.after, wish(0, 2 * s_, true));
  EXPECT_EQ(again.command, Command::none);
  EXPECT_EQ(next_limit(pacing, charger(), holding(10, 0), wish(0, 1 * s_, true)).command, Command::none)
      << "without the quirk, 0 A alone pauses";
}

TEST(LimitPolicy, AfterARemoteStopTheSessionResumesByRemoteStart) {
  LimitCharger c = charger();
  c.pause_by_remote_stop = true;
  LimitState s = holding(0, 0);
  s.remote_stopped = true;
  const auto a = next_limit(pacing, c, s, wish(16, 20 * s_, false));
  EXPECT_EQ(a.command, Command::remote_start);
  EXPECT_FALSE(a.after.remote_stopped);
  EXPECT_TRUE(a.after.remote_started);
  auto gone = wish(16, 20 * s_, false);
  gone.car_connected = false;
  EXPECT_EQ(next_limit(pacing, c, s, gone).command, Command::none) << "no car, no session to start";
}

// A charger whose quirk profile starts sessions only by command (remote_start) gets one per car plugged in.
TEST(LimitPolicy, ARemoteStartChargerIsStartedOncePerCar) {
  LimitCharger c = charger();
  c.start_by_remote_start = true;
  const auto a = next_limit(pacing, c, LimitState{}, wish(16, 0, false));
  EXPECT_EQ(a.command, Command::remote_start);
  EXPECT_EQ(next_limit(pacing, c, a.after, wish(16, 1 * s_, false)).command, Command::none);
  EXPECT_EQ(next_limit(pacing, c, LimitState{}, wish(0, 0, false)).command, Command::none)
      << "a paused car is not started";
}

}  // namespace
}  // namespace hemd::ocpp
