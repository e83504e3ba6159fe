#include "strategies/simulation.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "strategies/charging_planner.h"
#include "strategies/sleeping_car.h"

namespace hemd {

namespace {

constexpr double quarter_s = 900;

struct CarRun {
  const ScenarioCar& car;
  ChargerState charger;
  double limit_a = 0;
  double charged_wh = 0, from_pv_wh = 0, cost_dkk = 0;
  bool connected = false;
  bool drawing = false;  // in the step before
  int starts = 0;
  double paused_s = 0;  // offered nothing while it still needs energy, this long
  bool asleep = false;
  int slept = 0, wake_ups = 0, woken = 0;
  bool given_up = false;
  std::map<std::string, std::string> learnt = {};  // wake-up -> worked | failed, as the daemon keeps it
};

ChargerState charger_for(const ScenarioCar& car, ChargeMode mode) {
  ChargerState c;
  c.id = car.id;
  c.online = true;
  c.mode = mode;
  c.min_current_a = car.min_current_a;
  c.max_current_a = car.max_current_a;
  c.phases = c.active_phases = car.phases;
  c.phase_offset = car.phase_offset;
  c.priority = car.priority;
  c.safe_current_a = car.min_current_a;
  return c;
}

// What the car draws under its limit: nothing below its minimum, nothing once it is full or asleep.
double draw_a(const CarRun& r) {
  const bool wants = r.connected && !r.asleep && r.charged_wh < r.car.need_kwh * 1000 - 1;
  return wants && r.limit_a >= r.car.min_current_a - 1e-9 ? std::min(r.limit_a, r.car.max_current_a) : 0.0;
}

// The cars that sleep: a pause long enough puts one to sleep, a wake-up it answers wakes it; what each
// wake-up did is learnt as the daemon learns it, so the next time starts with what worked.
void sleep_and_wake(const Decision& d, double step_s, std::vector<CarRun>& cars) {
  for (auto& r : cars) {
    const bool wants = r.connected && r.charged_wh < r.car.need_kwh * 1000 - 1;
    const bool offered = r.limit_a >= r.car.min_current_a - 1e-9;
    if (!r.connected) r.asleep = false;  // given_up stays: the result reports it
    r.paused_s = wants && !offered ? r.paused_s + step_s : 0;
    if (r.car.sleeps_after_pause_min && !r.asleep && r.paused_s >= *r.car.sleeps_after_pause_min * 60) {
      r.asleep = true;
      ++r.slept;
    }
    if (const auto* cmd = d.for_charger(r.car.id); cmd && cmd->car_asleep) r.given_up = true;
  }
  for (const auto& o : d.wake_outcomes)
    for (auto& r : cars)
      if (r.car.id == o.charger_id) r.learnt[o.method] = o.worked ? "worked" : "failed";
  for (const auto& u : d.wake_ups)
    for (auto& r : cars) {
      if (r.car.id != u.charger_id) continue;
      ++r.wake_ups;
      const auto& by = r.car.wakes_by;
      if (r.asleep && std::find(by.begin(), by.end(), u.method) != by.end()) {
        r.asleep = false;
        ++r.woken;
      }
    }
}

}  // namespace

SimulationResult simulate(const Scenario& sc, const ControlParams& params, const std::string& strategy,
                          const ChargeMode* mode, const PlanOptions& planning) {
  SimulationResult result;
  result.strategy = strategy;
  result.lowest_fuse_margin_a = sc.main_fuse_a;
  std::vector<CarRun> cars;
  cars.reserve(sc.cars.size());
  for (const auto& car : sc.cars) cars.push_back({car, charger_for(car, mode ? *mode : car.mode)});
  ControlState state;
  // As the daemon plans, but without the deeper searches' last, longest steps (which the daemon cuts at a
  // minute): a simulated day re-plans 96 times.
  PlanOptions options = planning;
  options.deeper_searches = {4, 16};
  const ChargingPlanner planner(params.fuse_margin_a, options);
  std::optional<PlanRequest> request;
  std::optional<Plan> plan;
  const double end_s = static_cast<double>(sc.quarters.size()) * quarter_s;
  const double dt_h = sc.step_s / 3600;
  double planned_at_quarter = -1;
  std::string connected_before;
  const auto& bat = sc.battery;
  double soc_wh = bat ? bat->capacity_kwh * 10 * bat->soc_pct : 0;
  double battery_w = 0;  // the battery's power over the step before, positive discharging
  for (double t = 0; t < end_s - 1e-9; t += sc.step_s) {
    const auto q = static_cast<std::size_t>(t / quarter_s);
    const ScenarioQuarter& now_q = sc.quarters[q];
    SiteSnapshot s;
    s.now = sc.start + static_cast<TimeMs>(std::llround(t * 1000));
    s.limits = {sc.main_fuse_a, sc.phases, sc.voltage_v, {}};
    // The meters and chargers as they read now: the cars at the limits of the step before.
    std::string connected_now;
    double cars_w = 0;
    std::array<double, 3> phase_a{};
    for (auto& phase : phase_a) phase = (now_q.house_w - now_q.pv_w) / (3 * sc.voltage_v);
    for (auto& r : cars) {
      r.connected = t >= r.car.arrive_h * 3600 && t < r.car.depart_h * 3600;
      connected_now += r.connected ? '1' : '0';
      auto& c = r.charger;
      const double amps = draw_a(r);
      c.car_connected = r.connected;
      c.status = !r.connected                                          ? ChargerStatus::available
                 : amps > 0                                            ? ChargerStatus::charging
                 : r.charged_wh >= r.car.need_kwh * 1000 - 1           ? ChargerStatus::suspended_ev
                 : r.asleep && r.limit_a >= r.car.min_current_a - 1e-9 ? ChargerStatus::suspended_ev
                                                                       : ChargerStatus::suspended_evse;
      c.wake_methods = wake_order(sc.wake_up, r.learnt);
      c.car_asleep = r.given_up;  // as the daemon tells its planner
      c.current_a = {};
      for (int p = 0; p < r.car.phases; ++p) c.current_a[static_cast<std::size_t>(p)] = amps;
      for (int p = 0; p < 3; ++p)
        if (loads_phase(s, c, p)) phase_a[static_cast<std::size_t>(p)] += amps;
      c.power_w = amps * r.car.phases * sc.voltage_v;
      c.metered_at = s.now;
      c.offered_limit_a = r.limit_a;
      c.session_energy_wh = r.charged_wh;
      c.departure = sc.start + static_cast<TimeMs>(r.car.depart_h * 3.6e6);
      c.energy_need_wh = std::max(0.0, r.car.need_kwh * 1000 - r.charged_wh);
      c.planned_power_w.reset();
      c.next_planned_start.reset();
      cars_w += c.power_w;
      s.chargers.push_back(c);
    }
    s.grid.power_w = {now_q.house_w + cars_w - now_q.pv_w - battery_w, Quality::ok, s.now};
    for (std::size_t p = 0; p < 3; ++p)
      s.grid.current_a[p] = {phase_a[p] - battery_w / (3 * sc.voltage_v), Quality::ok, s.now};
    if (bat && bat->known) {
      BatteryState b;
      b.name = "battery";
      b.power_w = {battery_w, Quality::ok, s.now};
      b.soc_pct = {bat->capacity_kwh > 0 ? soc_wh / (bat->capacity_kwh * 10) : 0, Quality::ok, s.now};
      b.max_power_w = std::max(bat->max_charge_w, bat->max_discharge_w);
      b.controllable = bat->control;
      s.batteries.push_back(b);
    }
    s.pv_power_w = {now_q.pv_w, Quality::ok, s.now};
    for (std::size_t k = q; k < sc.quarters.size(); ++k) {
      const TimeMs from = sc.start + static_cast<TimeMs>(k) * 900'000, to = from + 900'000;
      s.prices.push_back({from, to, sc.quarters[k].import_dkk_per_kwh, sc.quarters[k].export_dkk_per_kwh});
      // The scenario's forecast where it has one, else a perfect one: the scenario's own day.
      const auto& sq = sc.quarters[k];
      const double expected_pv = sq.forecast_pv_w >= 0 ? sq.forecast_pv_w : sq.pv_w;
      s.forecast.push_back({from, to, std::max(0.0, expected_pv - sq.house_w), sq.house_w, expected_pv});
    }
    // Re-plan every quarter-hour and when a car comes or goes, as the daemon does.
    if (static_cast<double>(q) != planned_at_quarter || connected_now != connected_before) {
      planned_at_quarter = static_cast<double>(q);
      connected_before = connected_now;
      request = planner.request(s);
      plan = planner.plan(*request);
    }
    if (plan) ChargingPlanner::apply(*request, *plan, s);
    const Decision d = decide(s, params, state);
    sleep_and_wake(d, sc.step_s, cars);

    // The step under the new limits.
    double step_cars_w = 0;
    std::vector<double> car_w(cars.size(), 0.0);
    for (std::size_t i = 0; i < cars.size(); ++i) {
      if (const auto* cmd = d.for_charger(cars[i].car.id)) {
        if (std::abs(cmd->limit_a - cars[i].limit_a) > 0.01) ++result.limit_changes;
        cars[i].limit_a = cmd->limit_a;
      }
      // A car that fills up within the step draws only what it still takes.
      const double left_wh = std::max(0.0, cars[i].car.need_kwh * 1000 - cars[i].charged_wh);
      car_w[i] = std::min(draw_a(cars[i]) * cars[i].car.phases * sc.voltage_v, left_wh / dt_h);
      const bool drawing = car_w[i] > 0;
      if (drawing && !cars[i].drawing) ++cars[i].starts;
      cars[i].drawing = drawing;
      step_cars_w += car_w[i];
    }
    // The battery in self-consumption mode answers what is left, unless hemd holds it.
    const double demand_w = now_q.house_w + step_cars_w - now_q.pv_w;
    battery_w = 0;
    if (bat && demand_w > 0) {
      const double limit_w = d.battery_hold && bat->control ? 0.0 : bat->max_discharge_w;
      battery_w = std::min({demand_w, limit_w, soc_wh / dt_h});
    } else if (bat) {
      battery_w = -std::min({-demand_w, bat->max_charge_w, (bat->capacity_kwh * 1000 - soc_wh) / dt_h});
    }
    soc_wh -= battery_w * dt_h;
    const double house_need_w = std::max(0.0, now_q.house_w - now_q.pv_w);
    result.battery_to_cars_kwh +=
        std::min(step_cars_w, std::max(0.0, battery_w - house_need_w)) * dt_h / 1000;
    const double grid_w = demand_w - battery_w;
    const double surplus_w = std::max(0.0, now_q.pv_w - now_q.house_w);
    const double cars_pv_w = std::min(step_cars_w, surplus_w);
    for (std::size_t i = 0; i < cars.size(); ++i) {
      const double share = step_cars_w > 0 ? car_w[i] / step_cars_w : 0;
      const double pv_wh = cars_pv_w * share * dt_h, all_wh = car_w[i] * dt_h;
      cars[i].charged_wh += all_wh;
      cars[i].from_pv_wh += pv_wh;
      cars[i].cost_dkk +=
          (pv_wh * now_q.export_dkk_per_kwh + (all_wh - pv_wh) * now_q.import_dkk_per_kwh) / 1000;
    }
    result.household_cost_dkk +=
        (grid_w > 0 ? grid_w * now_q.import_dkk_per_kwh : grid_w * now_q.export_dkk_per_kwh) * dt_h / 1000;
    result.grid_import_kwh += std::max(0.0, grid_w) * dt_h / 1000;
    // The fuse as the meter sees it with the new limits.
    std::array<double, 3> step_phase{};
    for (auto& phase : step_phase) phase = (now_q.house_w - now_q.pv_w - battery_w) / (3 * sc.voltage_v);
    for (std::size_t i = 0; i < cars.size(); ++i)
      for (int p = 0; p < 3; ++p)
        if (loads_phase(s, cars[i].charger, p))
          step_phase[static_cast<std::size_t>(p)] += car_w[i] / (cars[i].car.phases * sc.voltage_v);
    double highest = 0;
    for (double a : step_phase) highest = std::max(highest, std::abs(a));
    result.lowest_fuse_margin_a = std::min(result.lowest_fuse_margin_a, sc.main_fuse_a - highest);
    result.samples.push_back({t / 3600, now_q.pv_w, now_q.house_w, grid_w, battery_w,
                              now_q.import_dkk_per_kwh, highest, std::move(car_w)});
  }
  if (bat && bat->capacity_kwh > 0) result.battery_end_soc_pct = soc_wh / (bat->capacity_kwh * 10);
  for (const auto& r : cars) {
    result.cars.push_back({r.car.id, r.car.need_kwh, r.charged_wh / 1000, r.from_pv_wh / 1000, r.cost_dkk,
                           r.starts, r.slept, r.wake_ups, r.woken, r.given_up});
    result.charged_kwh += r.charged_wh / 1000;
    result.from_pv_kwh += r.from_pv_wh / 1000;
    result.charging_cost_dkk += r.cost_dkk;
    result.unmet_kwh += std::max(0.0, r.car.need_kwh - r.charged_wh / 1000);
  }
  return result;
}

}  // namespace hemd
