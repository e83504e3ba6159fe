#pragma once
// Small builders for snapshots in strategy tests.
#include "strategies/site.h"

namespace hemd::test {

inline ChargerState charger(const std::string& id, ChargeMode mode = ChargeMode::now, int phases = 3) {
  ChargerState c;
  c.id = id;
  c.online = true;
  c.car_connected = true;
  c.mode = mode;
  c.phases = c.active_phases = phases;
  c.min_current_a = 6;
  c.max_current_a = 16;
  c.safe_current_a = 6;
  return c;
}

// A site at `now` whose grid meter reads `house_a` per phase plus what the chargers draw, minus `pv_w`.
inline SiteSnapshot site(TimeMs now, double fuse_a, std::vector<ChargerState> chargers, double house_a = 2,
                         double pv_w = 0) {
  SiteSnapshot s;
  s.now = now;
  s.limits.main_fuse_a = fuse_a;
  s.chargers = std::move(chargers);
  double power = house_a * 3 * 230 - pv_w;
  for (int ph = 0; ph < 3; ++ph) {
    double a = house_a - pv_w / 3 / 230;
    for (auto& c : s.chargers)
      for (int k = 0; k < c.active_phases; ++k)
        if ((c.phase_offset + k) % 3 == ph && c.online) a += c.current_a[k];
    s.grid.current_a[ph] = Reading{a, Quality::ok, now};
  }
  for (auto& c : s.chargers)
    if (c.online) power += c.power_w;
  s.grid.power_w = Reading{power, Quality::ok, now};
  return s;
}

inline void drawing(ChargerState& c, double amps) {
  for (int k = 0; k < c.active_phases; ++k) c.current_a[k] = amps;
  c.power_w = amps * 230 * c.active_phases;
  c.offered_limit_a = amps;
}

// A home battery at `now`: `power_w` positive while it discharges.
inline BatteryState battery(TimeMs now, double power_w, double soc_pct, double max_power_w = 5000,
                            bool controllable = false) {
  BatteryState b;
  b.name = "battery";
  b.power_w = Reading{power_w, Quality::ok, now};
  b.soc_pct = Reading{soc_pct, Quality::ok, now};
  b.max_power_w = max_power_w;
  b.controllable = controllable;
  return b;
}

}  // namespace hemd::test
