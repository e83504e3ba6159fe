#include "strategies/surplus.h"

#include <algorithm>
#include <cstdio>

namespace hemd {

double watts_per_amp(const SiteSnapshot& site, const ChargerState& c) {
  return site.limits.voltage_v * c.active_phases;
}

SurplusView track_surplus(const SiteSnapshot& site, const ControlParams& p, ControlState& state,
                          const BatteryView& battery) {
  SurplusView s;
  double cars_w = 0;
  for (const auto& c : site.chargers)
    if (c.online) cars_w += c.power_w;
  s.now_w = -site.grid.power_w.value + cars_w + battery.surplus_w;
  s.import_w = site.grid.power_w.value + battery.import_w;
  s.battery_rule = battery.rule;
  auto& history = state.surplus_w;
  history.emplace_back(site.now, s.now_w);
  const TimeMs window = static_cast<TimeMs>(p.ramp_up_s * 1000);
  while (!history.empty() && history.front().first < site.now - window) history.pop_front();
  s.calm_w = s.now_w;
  for (const auto& [at, w] : history) s.calm_w = std::min(s.calm_w, w);
  char buf[96];
  std::snprintf(buf, sizeof buf, "surplus %.0f W (steady %.0f W)", s.now_w, s.calm_w);
  s.summary = buf;
  if (!battery.rule.empty()) s.summary += "; " + battery.rule;
  return s;
}

bool update_pv_timers(const SiteSnapshot& site, const ControlParams& p, const SurplusView& s,
                      const ChargerState& c, ControlState::PerCharger& timers) {
  // Other PV cars that already run keep at least their minimum: this car may only start on what is left.
  double taken_w = 0;
  for (const auto& other : site.chargers)
    if (other.id != c.id && other.online && other.power_w > 0 &&
        (other.mode == ChargeMode::pv || other.mode == ChargeMode::minpv))
      taken_w += other.min_current_a * watts_per_amp(site, other);
  const double available_w = s.calm_w - taken_w;
  const double min_w = c.min_current_a * watts_per_amp(site, c);
  if (!timers.running) {
    if (available_w >= min_w) {
      if (timers.surplus_since < 0) timers.surplus_since = site.now;
      if (site.now - timers.surplus_since >= p.enable_delay_s * 1000) {
        timers.running = true;
        timers.import_since = -1;
      }
    } else {
      timers.surplus_since = -1;
    }
    return timers.running;
  }
  // A battery discharging into the car is import the car causes, unless its buffer rule lets the car ride.
  const bool importing = s.import_w > p.stop_import_w && available_w < min_w;
  if (!importing) {
    timers.import_since = -1;
  } else {
    if (timers.import_since < 0) timers.import_since = site.now;
    if (site.now - timers.import_since >= p.disable_delay_s * 1000) {
      timers.running = false;
      timers.surplus_since = -1;
    }
  }
  return timers.running;
}

Constraint surplus_constraint(const SiteSnapshot& site, const SurplusView& s,
                              const std::vector<Claim>& claims) {
  Constraint k{"surplus", {}, 0};
  double minimums_w = 0;
  for (std::size_t i = 0; i < site.chargers.size(); ++i) {
    const auto& c = site.chargers[i];
    // A smart car runs on surplus except in the quarter-hours its plan buys from the grid.
    const bool on_surplus = c.mode == ChargeMode::pv || c.mode == ChargeMode::minpv ||
                            (c.mode == ChargeMode::smart && !(c.planned_power_w && *c.planned_power_w > 0));
    if (claims[i].want_a <= 0 || !on_surplus) continue;
    const double w = watts_per_amp(site, c);
    k.terms.emplace_back(static_cast<int>(i), w);
    minimums_w += c.min_current_a * w;
  }
  k.capacity = std::max(s.calm_w, minimums_w);
  return k;
}

}  // namespace hemd
