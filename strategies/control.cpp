#include "strategies/control.h"

#include <algorithm>
#include <cmath>

#include "strategies/battery.h"
#include "strategies/phase_switch.h"
#include "strategies/plausibility.h"
#include "strategies/surplus.h"

namespace hemd {

namespace {

bool grid_trusted(const SiteSnapshot& site, const ControlParams& p) {
  const double max_age_ms = p.stale_after_s * 1000.0;
  auto fresh = [&](const Reading& r) {
    return r.ok() && std::isfinite(r.value) && site.now - r.at <= max_age_ms;
  };
  for (int ph = 0; ph < site.limits.phases; ++ph)
    if (!fresh(site.grid.current_a[ph])) return false;
  return fresh(site.grid.power_w);
}

std::string phase_name(int ph) {
  return "L" + std::to_string(ph + 1);
}

Claim claim_for(const ChargerState& c) {
  Claim k;
  k.id = c.id;
  k.min_a = c.min_current_a;
  k.priority = c.priority;
  k.departure = c.departure;
  k.delivered_wh = c.session_energy_wh;
  k.step_a = c.current_step_a;
  k.steps_a = c.current_steps_a;
  return k;
}

double safe_limit(const ChargerState& c) {
  const double safe = std::min(c.safe_current_a, c.max_current_a);
  return safe >= c.min_current_a ? safe : 0.0;
}

// After the limits are final: is each car following them, and what is to be done when not.
void watch_cars(const SiteSnapshot& site, const ControlParams& p, ControlState& state, Decision& d) {
  for (auto& cmd : d.commands) {
    const ChargerState* c = site.charger(cmd.charger_id);
    if (!c) continue;
    auto& w = state.sleep[c->id];
    SleepVerdict v = watch_car(*c, cmd.limit_a, c->wake_methods, site.now, p.sleep, w);
    if (!v.note.empty()) cmd.reason += ", " + v.note;
    cmd.car_asleep = w.asleep;
    for (auto& u : v.wake_ups) d.wake_ups.push_back(std::move(u));
    for (auto& o : v.outcomes) d.wake_outcomes.push_back(std::move(o));
  }
}

}  // namespace

bool loads_phase(const SiteSnapshot& site, const ChargerState& c, int ph) {
  for (int k = 0; k < c.active_phases; ++k)
    if ((c.phase_offset + k) % site.limits.phases == ph) return true;
  return false;
}

Decision decide(const SiteSnapshot& reported, const ControlParams& p, ControlState& state) {
  Decision d;
  // Whatever the caller checked, nothing the site cannot produce reaches the sharing below.
  SiteSnapshot checked = reported;
  distrust_impossible(checked);
  plan_as_one_block(checked, state.sleep);
  const SiteSnapshot measured = with_estimated_draw(checked, state.draw);
  if (!grid_trusted(measured, p)) {
    // Without a trusted grid meter nothing can be shared safely: every charger gets its safe current, which
    // the config check keeps within the fuse for all chargers together.
    for (const auto& c : measured.chargers)
      d.commands.push_back({c.id, safe_limit(c), c.active_phases, "grid meter stale: safe current"});
    d.summary = "grid meter stale: safe current";
    return d;
  }
  const BatteryView battery = battery_view(measured, p.battery, p.stale_after_s * 1000.0);
  if (battery.present && !battery.trusted) {
    // Without the battery's reading hemd cannot tell whose surplus it is, nor whether it feeds the cars.
    for (const auto& c : measured.chargers)
      d.commands.push_back({c.id, safe_limit(c), c.active_phases, battery.rule});
    d.summary = battery.rule;
    return d;
  }
  const SurplusView surplus = track_surplus(measured, p, state, battery);
  // From here on, switchable chargers count with the phases chosen for them.
  const SiteSnapshot site = choose_phases(measured, p, surplus.calm_w, state);

  std::vector<Claim> claims;
  std::vector<std::string> reasons;
  for (const auto& c : site.chargers) {
    Claim k = claim_for(c);
    std::string reason;
    auto& timers = state.chargers[c.id];
    if (!c.online) {
      // Its last limit stays in force at the charger; it is reserved, never counted as zero.
      k.fixed_a = std::max(c.offered_limit_a, safe_limit(c));
      reason = "charger offline: safe current";
    } else if (!c.car_connected || c.mode == ChargeMode::off) {
      timers = {};
      reason = c.mode == ChargeMode::off ? "mode off" : "no car";
    } else if (c.mode == ChargeMode::smart && state.sleep[c.id].asleep) {
      // The plan's pauses put this car to sleep and no wake-up helped: no more pauses (sleeping_car.h).
      k.want_a = c.min_current_a;
      reason = "smart: the rest of the need as one block from now";
    } else if (c.mode == ChargeMode::smart && c.planned_power_w && *c.planned_power_w > 0) {
      // The plan buys this quarter-hour; surplus on top is welcome, the plan's power is the floor.
      const double planned_a = *c.planned_power_w / watts_per_amp(site, c);
      k.want_a = std::clamp(std::max(planned_a, c.min_current_a), c.min_current_a, c.max_current_a);
      reason = "smart: planned";
    } else if ((c.mode == ChargeMode::pv || c.mode == ChargeMode::smart) &&
               !update_pv_timers(site, p, surplus, c, timers)) {
      reason =
          c.mode == ChargeMode::smart ? "smart: waiting for surplus or the plan" : "pv: waiting for surplus";
    } else {
      k.want_a = c.max_current_a;
      reason = c.mode == ChargeMode::now     ? "now"
               : c.mode == ChargeMode::smart ? "smart: surplus"
                                             : to_string(c.mode);
    }
    const bool from_grid = charges_from_grid(c) && k.want_a > 0;
    if (battery.present && !from_grid && c.online && c.car_connected && c.mode != ChargeMode::off)
      reason += " (" + battery.rule + ")";
    if (from_grid && battery.discharge_w > 0)
      reason += battery.controllable ? ", battery discharge counted as import until it holds"
                                     : ", battery cannot be told to hold: its discharge counted as import";
    if (c.online && !c.draw_trusted && k.want_a > 0) {
      // What it draws is unknown: it keeps at most what it has and its safe current, never more, and its
      // draw is not subtracted from the grid reading (the house is charged with it: the worst case).
      k.fixed_a = round_to_steps(std::min({k.want_a, safe_limit(c), c.offered_limit_a}), k);
      reason += ", meter values not trusted: safe current at most";
    }
    claims.push_back(std::move(k));
    reasons.push_back(std::move(reason));
  }

  bool grid_cars = false;
  for (std::size_t i = 0; i < site.chargers.size(); ++i)
    grid_cars = grid_cars || (charges_from_grid(site.chargers[i]) && claims[i].want_a > 0);
  // While a car charges from the grid, a discharging battery's power is import the fuse must be able to
  // carry: the car gets what the grid alone can deliver, and the battery is told to hold where it can be.
  const double battery_phase_a =
      grid_cars ? battery.discharge_w / (site.limits.voltage_v * site.limits.phases) : 0.0;

  std::vector<Constraint> constraints;
  // Main fuse, per phase: room = fuse - margin - what the house draws without the cars. PV is not counted on
  // (a cloud takes it away faster than a cycle), so the base load never goes below zero.
  for (int ph = 0; ph < site.limits.phases; ++ph) {
    Constraint k{"fuse " + phase_name(ph), {}, 0};
    double base = site.grid.current_a[ph].value + battery_phase_a;
    for (std::size_t i = 0; i < site.chargers.size(); ++i) {
      const auto& c = site.chargers[i];
      if (!loads_phase(site, c, ph)) continue;
      k.terms.emplace_back(static_cast<int>(i), 1.0);
      for (int j = 0; j < c.active_phases; ++j)
        if ((c.phase_offset + j) % site.limits.phases == ph && c.online && c.draw_trusted)
          base -= c.current_a[j];
    }
    k.capacity = site.limits.main_fuse_a - p.fuse_margin_a - std::max(0.0, base);
    constraints.push_back(std::move(k));
  }
  for (const auto& circuit : site.limits.circuits) {
    for (int ph = 0; ph < site.limits.phases; ++ph) {
      Constraint k{circuit.name + " " + phase_name(ph), {}, circuit.fuse_a - p.fuse_margin_a};
      for (std::size_t i = 0; i < site.chargers.size(); ++i) {
        const auto& c = site.chargers[i];
        if (std::find(circuit.charger_ids.begin(), circuit.charger_ids.end(), c.id) !=
                circuit.charger_ids.end() &&
            loads_phase(site, c, ph))
          k.terms.emplace_back(static_cast<int>(i), 1.0);
      }
      constraints.push_back(std::move(k));
    }
  }
  constraints.push_back(surplus_constraint(site, surplus, claims));

  const Allocation a = allocate(claims, constraints, p.sharing);
  for (std::size_t i = 0; i < site.chargers.size(); ++i) {
    const auto& c = site.chargers[i];
    std::string reason = reasons[i];
    if (!a.limited_by[i].empty() && claims[i].want_a > 0) reason += ", " + a.limited_by[i];
    d.commands.push_back({c.id, a.amps[i], c.active_phases, reason});
  }
  fuse_guard(site, p, d);
  // What the cars really reported, not the draw estimated for a limit they have not had time to follow.
  watch_cars(checked, p, state, d);
  d.summary = surplus.summary;
  if (battery.present && grid_cars) {
    d.battery_hold = true;
    d.battery_reason = "a car charges from the grid: home battery holds its charge";
  }
  return d;
}

void fuse_guard(const SiteSnapshot& site, const ControlParams& p, Decision& d) {
  for (int ph = 0; ph < site.limits.phases; ++ph) {
    const Reading& r = site.grid.current_a[ph];
    double over = r.value - (site.limits.main_fuse_a - p.fuse_margin_a);
    if (!r.ok() || over <= 0) continue;
    // Cut below what the cars draw now, starting with the lowest priority, until the phase is back in range.
    std::vector<const ChargerState*> on_phase;
    for (const auto& c : site.chargers)
      if (c.online && loads_phase(site, c, ph)) on_phase.push_back(&c);
    std::stable_sort(on_phase.begin(), on_phase.end(),
                     [](const ChargerState* a, const ChargerState* b) { return a->priority < b->priority; });
    for (const ChargerState* c : on_phase) {
      if (over <= 0) break;
      for (auto& cmd : d.commands) {
        if (cmd.charger_id != c->id) continue;
        // An untrusted draw counts as nothing: the charger is cut to 0 and the others still see all of
        // `over`.
        const double drawing =
            c->draw_trusted ? *std::max_element(c->current_a.begin(), c->current_a.end()) : 0.0;
        Claim k = claim_for(*c);
        const double cut = round_to_steps(std::min(cmd.limit_a, drawing - over), k);
        if (cut < cmd.limit_a || cut < drawing) {
          over -= drawing - cut;
          cmd.limit_a = cut;
          cmd.reason = "fuse guard: " + phase_name(ph) + " over the fuse";
        }
      }
    }
  }
}

}  // namespace hemd
