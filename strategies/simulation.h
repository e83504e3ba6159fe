#pragma once
// A day (or more) of the site in virtual time, run through the same strategies as the daemon: the cars
// draw what their limits allow, the grid meter reads house + cars - PV, the planner re-plans every
// quarter-hour and when a car comes or goes. Pure: the scenario in, the course of the day and its totals out.
#include <optional>
#include <string>
#include <vector>

#include "strategies/allocation.h"
#include "strategies/control.h"
#include "strategies/planner.h"
#include "strategies/site.h"

namespace hemd {

struct ScenarioQuarter {
  double pv_w = 0;     // mean production over the quarter-hour
  double house_w = 0;  // mean consumption without the cars
  double import_dkk_per_kwh = 0;
  double export_dkk_per_kwh = 0;
  // The PV the plan expected for this quarter-hour (a forecast made before it); below 0: pv_w, exactly.
  double forecast_pv_w = -1;
};

struct ScenarioCar {
  std::string id;
  double arrive_h = 0;  // hours after the scenario's start
  double depart_h = 0;
  double need_kwh = 0;
  double min_current_a = 6;
  double max_current_a = 16;
  int phases = 3;
  int phase_offset = 0;
  int priority = 0;
  ChargeMode mode = ChargeMode::smart;
  // A car that sleeps through the resume after a pause of at least this long (unset: never), and the
  // wake-ups it answers (of its charger's `wake_up`; empty: it stays asleep, as a Dacia Spring may).
  std::optional<double> sleeps_after_pause_min;
  std::vector<std::string> wakes_by;
};

// A home battery in self-consumption mode: it takes export up to its charge limit until full and covers
// import up to its discharge limit until empty, unless hemd holds it (control).
struct ScenarioBattery {
  double capacity_kwh = 10;
  double max_charge_w = 5000, max_discharge_w = 5000;
  double soc_pct = 50;  // at the start
  bool control = true;  // hemd may lock its discharge while a car charges from the grid
  bool known = true;  // false: hemd has no battery meter, sees only the grid (hemd before it knew batteries)
  double priority_soc = 100, buffer_soc = 100;  // the site's battery rules (config `battery`)
};

struct Scenario {
  std::string name;
  TimeMs start = 0;  // the first quarter-hour
  double main_fuse_a = 25;
  int phases = 3;
  double voltage_v = 230;
  SharingPolicy sharing = SharingPolicy::fair;
  double step_s = 30;  // control cycles are this far apart in virtual time
  std::vector<ScenarioQuarter> quarters;
  std::vector<ScenarioCar> cars;
  std::optional<ScenarioBattery> battery;
  // What every charger's quirk profile allows to wake a car (config/chargers/generic.yaml).
  std::vector<std::string> wake_up = {"availability_cycle", "restart_transaction"};
};

// One control step, for the chart.
struct SimulationSample {
  double hours = 0;  // since the start
  double pv_w = 0, house_w = 0, grid_w = 0;
  double battery_w = 0;  // positive discharging
  double import_dkk_per_kwh = 0;
  double highest_phase_a = 0;  // the most loaded phase at the main fuse
  std::vector<double> cars_w;  // in the scenario's car order
};

struct SimulationCarResult {
  std::string id;
  double need_kwh = 0, charged_kwh = 0, from_pv_kwh = 0, cost_dkk = 0;
  int starts = 0;         // times the car began to draw: on arrival, or after a pause
  int slept = 0;          // times it slept through a resume
  int wake_ups = 0;       // wake-ups hemd tried
  int woken = 0;          // of them, those that woke it
  bool given_up = false;  // no wake-up helped: reported, the rest of its need planned as one block
};

struct SimulationResult {
  std::string strategy;
  double charging_cost_dkk = 0;   // what the cars' energy cost: grid at import price, PV at lost export
  double household_cost_dkk = 0;  // the whole bill for the day: import paid minus export earned
  double charged_kwh = 0, from_pv_kwh = 0, grid_import_kwh = 0, unmet_kwh = 0;
  // The home battery's energy that went into the cars: what it discharged beyond the house's own need
  // (goal: 0 while the cars charge from the grid).
  double battery_to_cars_kwh = 0;
  double battery_end_soc_pct = 0;   // the home battery's charge when the scenario ends
  double lowest_fuse_margin_a = 0;  // the least headroom left on any phase at any step
  int limit_changes = 0;            // commands that changed a charger's limit
  std::vector<SimulationCarResult> cars;
  std::vector<SimulationSample> samples;
};

// `mode`: each car's own mode when unset, otherwise every car in this one (the comparisons). `planning`: the
// daemon's planner options (what a start costs), without the deeper searches' last, longest steps.
SimulationResult simulate(const Scenario& scenario, const ControlParams& params, const std::string& strategy,
                          const ChargeMode* mode = nullptr, const PlanOptions& planning = {});

}  // namespace hemd
