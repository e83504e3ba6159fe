#include "drivers/ocpp/limit_policy.h"

#include <fmt/format.h>

namespace hemd::ocpp {

namespace {

// Chargers whose quirk profile says a session starts only by a remote start, or pauses only by a remote
// stop, get those besides the 0 A profile.
void sessions_by_command(const LimitCharger& c, const LimitWish& w, double want, LimitAction& a) {
  LimitState& s = a.after;
  if (want == 0 && w.in_transaction && c.pause_by_remote_stop && !s.remote_stopped) {
    s.remote_stopped = true;
    a.command = LimitAction::Command::remote_stop;
    a.command_why = "pausing by a remote stop (its quirk profile)";
  }
  const bool start = c.start_by_remote_start || (c.pause_by_remote_stop && s.remote_stopped);
  if (want > 0 && w.car_connected && !w.in_transaction && start && (!s.remote_started || s.remote_stopped)) {
    s.remote_started = true;
    s.remote_stopped = false;
    a.command = LimitAction::Command::remote_start;
    a.command_why = "starting the session by a remote start";
  }
}

}  // namespace

// A decrease goes out at once (the fuse), an increase at most every min_resend_s, no change smaller than the
// deadband, and a renewal before the dynamic profile lapses.
LimitAction next_limit(const LimitPacing& p, const LimitCharger& c, const LimitState& s, const LimitWish& w) {
  LimitAction a;
  a.after = s;
  // Never 5 A: a car below its minimum does not charge, or trips; it is paused instead.
  const double want = w.amps < c.min_current_a ? 0 : w.amps;
  sessions_by_command(c, w, want, a);
  // OCPP 1.6 §3.13.2: a TxProfile names its transaction; outside one, a charger that refused the
  // TxDefaultProfile keeps the safe floor, unless its quirk profile says it takes a TxProfile anyway.
  if (c.tx_profile_fallback && !w.in_transaction && !c.tx_profile_without_transaction) {
    a.why = "the safe floor holds outside transactions";
    return a;
  }
  const Purpose purpose = c.tx_profile_fallback ? Purpose::TxProfile : Purpose::TxDefaultProfile;
  const int sent_phases = s.phases ? s.phases : c.wiring_phases;
  // A phase switch goes out at once: the car is told before it draws on phases it should not.
  bool send = !s.sent_a || purpose != s.purpose || w.phases != sent_phases;
  a.why = !s.sent_a ? "nothing sent yet" : purpose != s.purpose ? "as another purpose" : "a phase switch";
  if (s.sent_a) {
    const double change = want - *s.sent_a;
    if (change <= -p.deadband_a || (want == 0 && *s.sent_a > 0)) {
      send = true;
      a.why = "a decrease";
    } else if (change >= p.deadband_a &&
               (s.car_arrived || w.now_ms - s.sent_ms >= std::int64_t{p.min_resend_s} * 1000)) {
      send = true;
      a.why = s.car_arrived ? "the first increase for a car just arrived" : "an increase";
    } else if (w.now_ms - s.sent_ms >= std::int64_t{p.profile_duration_s} * 1000 / 3) {
      // Renewed at a third of its duration: two renewals may be lost before the limit lapses.
      send = true;
      a.why = "a renewal before the limit lapses";
    }
  }
  if (!send) {
    a.why = "no change worth sending";
    return a;
  }
  // Room first: a raise waits until every cut sent to the other chargers is answered, so that a
  // re-allocation never passes through a sum above the fuse (chargers take seconds to apply a profile).
  const double before = s.sent_a ? *s.sent_a : c.safe_current_a;
  if (want > before && w.others_cutting) {
    a.profile = LimitAction::Profile::wait;
    a.why = fmt::format("{:.1f} A waits for the cuts to the other chargers", want);
    return a;
  }
  a.profile = LimitAction::Profile::send;
  a.purpose = purpose;
  a.amps = want;
  a.phases = w.phases;
  a.cut = want < before;
  a.changed = !s.sent_a || *s.sent_a != want;
  if (s.sent_a && want > *s.sent_a) a.after.car_arrived = false;
  a.after.sent_a = want;
  a.after.sent_ms = w.now_ms;
  a.after.purpose = purpose;
  a.after.phases = w.phases;
  return a;
}

}  // namespace hemd::ocpp
