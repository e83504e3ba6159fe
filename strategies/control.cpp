#include "strategies/control.h"

#include <algorithm>
#include <cmath>

namespace hemd {

namespace {

bool grid_trusted(const SiteSnapshot& site, const ControlParams& p) {
  const double max_age_ms = p.stale_after_s * 1000.0;
  for (int ph = 0; ph < site.limits.phases; ++ph) {
    const Reading& r = site.grid.current_a[ph];
    if (!r.ok() || site.now - r.at > max_age_ms) return false;
  }
  return site.grid.power_w.ok() && site.now - site.grid.power_w.at <= max_age_ms;
}

// The current each charger could add on its phases before the fuse trips, from the measured grid currents.
// The cars' own measured draw is part of the grid current, so it is given back to them.
double fuse_room_a(const SiteSnapshot& site, const ChargerState& c, const ControlParams& p) {
  double room = c.max_current_a;
  for (int k = 0; k < c.active_phases; ++k) {
    const int ph = (c.phase_offset + k) % site.limits.phases;
    double others = site.grid.current_a[ph].value;
    for (const auto& other : site.chargers) {
      for (int j = 0; j < other.active_phases; ++j)
        if ((other.phase_offset + j) % site.limits.phases == ph) others -= other.current_a[j];
    }
    room = std::min(room, site.limits.main_fuse_a - p.fuse_margin_a - std::max(0.0, others));
  }
  return room;
}

double watts_per_amp(const SiteSnapshot& site, const ChargerState& c) {
  return site.limits.voltage_v * c.active_phases;
}

}  // namespace

Decision decide(const SiteSnapshot& site, const ControlParams& p, ControlState& state) {
  Decision d;
  const bool trusted = grid_trusted(site, p);
  const double export_w = trusted ? -site.grid.power_w.value : 0.0;
  // Chargers on one fuse share the measured room equally among those that want power; the strategies issue
  // replaces this with priority, departure and fair-by-need sharing.
  int wanting = 0;
  for (const auto& c : site.chargers)
    if (c.online && c.car_connected && c.mode != ChargeMode::off) ++wanting;

  for (const auto& c : site.chargers) {
    auto& timers = state.chargers[c.id];
    ChargerCommand cmd{c.id, 0.0, c.active_phases, ""};
    if (!trusted || !c.online) {
      cmd.limit_a = std::min(c.safe_current_a, c.max_current_a);
      cmd.reason = trusted ? "charger offline: safe current" : "grid meter stale: safe current";
      d.commands.push_back(cmd);
      continue;
    }
    if (!c.car_connected || c.mode == ChargeMode::off) {
      timers = {};
      cmd.reason = c.mode == ChargeMode::off ? "mode off" : "no car";
      d.commands.push_back(cmd);
      continue;
    }
    const double room = fuse_room_a(site, c, p) / std::max(1, wanting) * 1.0;
    // Surplus counts what this car draws now: it would be exported if the car stopped.
    const double surplus_w = export_w + c.power_w;
    const double surplus_a = std::floor(surplus_w / watts_per_amp(site, c));
    double want = 0;
    switch (c.mode) {
      case ChargeMode::now:
      case ChargeMode::smart:
        want = c.max_current_a;
        cmd.reason = c.mode == ChargeMode::now ? "now" : "smart: no plan yet, charging";
        break;
      case ChargeMode::minpv:
        want = std::max(c.min_current_a, surplus_a);
        cmd.reason = surplus_a > c.min_current_a ? "min+pv: surplus" : "min+pv: minimum";
        break;
      case ChargeMode::pv: {
        if (surplus_a >= c.min_current_a) {
          timers.import_since = -1;
          if (timers.surplus_since < 0) timers.surplus_since = site.now;
          if (site.now - timers.surplus_since >= p.enable_delay_s * 1000) timers.running = true;
        } else {
          timers.surplus_since = -1;
          const bool importing = -export_w > p.stop_import_w;
          if (importing && timers.import_since < 0) timers.import_since = site.now;
          if (!importing) timers.import_since = -1;
          if (timers.import_since >= 0 && site.now - timers.import_since >= p.disable_delay_s * 1000)
            timers.running = false;
        }
        want = timers.running ? std::max(c.min_current_a, surplus_a) : 0.0;
        cmd.reason = timers.running ? "pv: surplus" : "pv: waiting for surplus";
        break;
      }
      case ChargeMode::off:
        break;
    }
    double limit = std::min({want, c.max_current_a, std::floor(room)});
    if (limit < c.min_current_a) {
      if (want > 0 && room < c.min_current_a) cmd.reason = "fuse: paused";
      limit = 0;
    } else if (room < want) {
      cmd.reason = "fuse: limited";
    }
    cmd.limit_a = limit;
    d.commands.push_back(cmd);
  }
  return d;
}

}  // namespace hemd
