#pragma once
// When hemd's limit for a charger goes out, and as what: the one decision of the OCPP driver that a real
// charger feels, kept apart from the messages so that it can be read and tested on its own. Pure: values in,
// an action out; no I/O, no clock (the time is passed in), no log (the reason comes back as text).
// Central::update gathers the inputs, asks, and carries the action out (central_limits.cpp).
#include <cstdint>
#include <optional>
#include <string>

#include "drivers/ocpp/ocpp_words.h"

namespace hemd::ocpp {

// How often limits go out (CsmsOptions').
struct LimitPacing {
  int profile_duration_s = 300;  // a dynamic limit lapses to the safe floor unless renewed
  int min_resend_s = 10;         // an increase goes out at most this often; a decrease at once
  double deadband_a = 0.5;       // smaller changes are not sent
};

// What hemd knows of the charger: its set-up, its quirk profile and what its answers taught.
struct LimitCharger {
  double min_current_a = 6;   // below it a car does not charge: 0 A (a pause) instead
  double safe_current_a = 6;  // what it holds before hemd's first limit (the floor)
  int wiring_phases = 3;
  bool tx_profile_fallback = false;  // it refused a TxDefaultProfile: TxProfile inside transactions
  bool tx_profile_without_transaction = false;  // (quirk) it takes a TxProfile outside a transaction too
  bool pause_by_remote_stop = false;            // (quirk pause: remote_stop) a pause ends the transaction
  bool start_by_remote_start = false;           // (quirk remote_start) a session starts only by command
};

// What hemd sent the charger for its dynamic limit; the policy's memory, kept in the session.
struct LimitState {
  std::optional<double> sent_a;  // none: nothing in force that hemd knows of (sent at the next look)
  std::int64_t sent_ms = 0;
  Purpose purpose = Purpose::TxDefaultProfile;
  int phases = 0;            // what the limit was sent for (1/3 switching); 0: never sent, the wiring's
  bool car_arrived = false;  // a car just plugged in: its first increase is not held back by the rate limit
  bool remote_started = false;  // a session was started by command for the car plugged in now
  bool remote_stopped = false;  // paused by a stop command
};

// The moment: what hemd wants, what the charger is doing, and the other chargers.
struct LimitWish {
  double amps = 0;
  int phases = 3;  // 1 or 3 for a charger that switches, else its wiring
  bool car_connected = false;
  bool in_transaction = false;
  bool others_cutting = false;  // a decrease to another charger is not answered yet
  std::int64_t now_ms = 0;
};

struct LimitAction {
  // A command besides the profile, for chargers whose quirk profile pauses or starts by one.
  enum class Command { none, remote_stop, remote_start } command = Command::none;
  std::string command_why;
  // The dynamic limit: nothing to send, a raise that waits for other chargers' cuts, or a profile.
  enum class Profile { nothing, wait, send } profile = Profile::nothing;
  Purpose purpose = Purpose::TxDefaultProfile;
  double amps = 0;
  int phases = 0;
  bool cut = false;      // lower than what the charger holds: raises elsewhere wait until it is answered
  bool changed = false;  // another figure than the one sent before: worth checking that it applies
  std::string why;
  LimitState after;  // the session's state once the action is carried out
};

LimitAction next_limit(const LimitPacing& pacing, const LimitCharger& charger, const LimitState& state,
                       const LimitWish& wish);

}  // namespace hemd::ocpp
