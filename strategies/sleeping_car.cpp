#include "strategies/sleeping_car.h"

#include <algorithm>

#include "strategies/planner.h"

namespace hemd {

namespace {

double max_phase_a(const ChargerState& c) {
  return *std::max_element(c.current_a.begin(), c.current_a.end());
}

// What the car takes shows it follows, whatever its charger calls the state.
bool drawing(const ChargerState& c, const SleepParams& p) {
  return c.draw_trusted && (c.power_w >= p.idle_w || max_phase_a(c) >= 1.0);
}

std::string minutes(double s) {
  return std::to_string(static_cast<int>(s / 60 + 0.5)) + " min";
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& m : v) s += (s.empty() ? "" : ", ") + m;
  return s;
}

}  // namespace

bool car_full(const ChargerState& c) {
  if (c.soc_pct && (*c.soc_pct >= 99.5 || (c.target_soc_pct && *c.soc_pct >= *c.target_soc_pct))) return true;
  const auto need = energy_need_wh(c);
  return need && *need <= 0;
}

bool draws_nothing(const ChargerState& c, const SleepParams& p) {
  if (!c.online || drawing(c, p)) return false;
  // SuspendedEVSE, Preparing, Finishing and the like are the charger's doing, not the car's.
  return c.status == ChargerStatus::suspended_ev || (c.status == ChargerStatus::charging && c.draw_trusted);
}

SleepVerdict watch_car(const ChargerState& c, double limit_a, const std::vector<std::string>& methods,
                       TimeMs now, const SleepParams& p, SleepWatch& w) {
  SleepVerdict v;
  const bool waking = !w.trying.empty();
  // An availability cycle makes the connector Unavailable for a moment: the car has not left.
  const bool cycling = waking && c.status == ChargerStatus::unavailable;
  // A car that leaves, draws, or is done ends the watch; what a wake-up awaited is judged by it.
  if ((!c.car_connected && !cycling) || car_full(c)) {
    w = {};
    return v;
  }
  const bool asked = c.online && limit_a >= c.min_current_a && c.offered_limit_a >= c.min_current_a;
  if (drawing(c, p)) {
    if (waking) {
      v.outcomes.push_back({c.id, w.trying, true});
      v.note = "the car woke after " + w.trying;
    }
    w = {};
    w.was_asked = asked;
    return v;
  }
  if (w.asleep) {
    v.note = w.tried.empty() ? "the car does not follow and its charger allows no wake-up"
                             : "the car did not wake (tried " + joined(w.tried) + ")";
    return v;
  }
  if (waking) {
    // The wake-up itself takes the limit away for a moment (the connector Unavailable, the session
    // restarted): the car is judged when its time is up, by what it does then.
    if (now - w.tried_at < p.wake_wait_s * 1000) {
      v.note = "waking the car by " + w.trying;
      return v;
    }
    if (!asked) {
      // The plan paused it meanwhile: the wake-up cannot be judged. The next raise starts afresh.
      w = {};
      return v;
    }
    v.outcomes.push_back({c.id, w.trying, false});
    w.tried.push_back(w.trying);
    w.trying.clear();
  } else {
    if (!asked) {
      // A pause of the plan's or the fuse's: nothing is expected of the car. The next raise starts afresh.
      w = {};
      return v;
    }
    // Only a raise arms the watch: a car that stops by itself at a steady limit is done, not asleep.
    if (!w.was_asked) w.armed_at = now;
    w.was_asked = true;
    if (w.armed_at < 0) return v;
    if (!draws_nothing(c, p)) {
      w.idle_since = -1;
      return v;
    }
    if (w.idle_since < 0) w.idle_since = now;
    if (now - w.idle_since < p.after_s * 1000) return v;
  }
  if (w.next < methods.size()) {
    w.trying = methods[w.next++];
    w.tried_at = now;
    v.wake_ups.push_back({c.id, w.trying});
    v.note = "the car drew nothing for " + minutes(p.after_s) + ": waking it by " + w.trying;
    return v;
  }
  w.asleep = true;
  v.note = w.tried.empty() ? "the car does not follow and its charger allows no wake-up"
                           : "the car did not wake (tried " + joined(w.tried) + ")";
  return v;
}

void plan_as_one_block(SiteSnapshot& site, const std::map<std::string, SleepWatch>& watches) {
  for (auto& c : site.chargers) {
    auto w = watches.find(c.id);
    if (w == watches.end() || !w->second.asleep || c.mode != ChargeMode::smart || !c.car_connected) continue;
    c.planned_power_w = c.min_current_a * site.limits.voltage_v * c.active_phases;
    c.next_planned_start = site.now;
  }
}

std::vector<std::string> wake_order(const std::vector<std::string>& allowed,
                                    const std::map<std::string, std::string>& learnt) {
  auto said = [&](const std::string& m) {
    auto it = learnt.find(m);
    return it == learnt.end() ? std::string() : it->second;
  };
  std::vector<std::string> order;
  for (const char* group : {"worked", "", "failed"})
    for (const auto& m : allowed)
      if (said(m) == group && std::find(order.begin(), order.end(), m) == order.end()) order.push_back(m);
  // Anything learnt under another word is still allowed: it goes last.
  for (const auto& m : allowed)
    if (std::find(order.begin(), order.end(), m) == order.end()) order.push_back(m);
  return order;
}

}  // namespace hemd
