#pragma once
// The immutable site snapshot: everything the strategies may know about the site in one control cycle.
// Drivers fill it, strategies read it; nothing in it refers to a protocol.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hemd {

// Milliseconds since the Unix epoch (UTC). Strategies never read a clock; they get the time in the snapshot.
using TimeMs = std::int64_t;

enum class Quality { ok, stale, failed };

// A measured value with its age and trust. `value` is meaningless unless quality is ok.
struct Reading {
  double value = 0.0;
  Quality quality = Quality::failed;
  TimeMs at = 0;
  bool ok() const { return quality == Quality::ok; }
};

using PhaseAmps = std::array<double, 3>;

enum class ChargeMode { off, now, minpv, pv, smart };

// OCPP 1.6 and 2.0.1 connector states, reduced to what policy needs.
enum class ChargerStatus {
  unknown,
  available,
  preparing,
  charging,
  suspended_ev,
  suspended_evse,
  finishing,
  reserved,
  unavailable,
  faulted
};

struct ChargerState {
  std::string id;
  bool online = false;
  ChargerStatus status = ChargerStatus::unknown;
  ChargeMode mode = ChargeMode::pv;
  // Static limits from the config (and the charger's quirk profile).
  double min_current_a = 6.0;
  double max_current_a = 16.0;
  int phases = 3;                // phases the charger is wired for
  int active_phases = 3;         // phases the car currently draws on (1-phase cars load one phase)
  int phase_offset = 0;          // which grid phase is this charger's L1 (rotation in the installation)
  bool phase_switching = false;  // can switch between 1 and 3 phases (numberPhases in its profile)
  int priority = 0;              // higher wins under "priority" sharing
  double safe_current_a = 6;     // what it gets when hemd cannot trust its data
  double current_step_a = 1;     // the charger honours limits in these steps (most round down to whole amps)
  std::vector<double> current_steps_a;  // or only these limits (quirk profile); empty = use current_step_a
  // How a car that missed a resume may be woken (quirk profile `wake_up`), what worked here before first.
  std::vector<std::string> wake_methods;
  // Live state from the charger.
  double offered_limit_a = 0.0;  // the limit the charger last accepted
  PhaseAmps current_a{};         // measured per-phase current
  double power_w = 0.0;
  // False when what the charger reports cannot be true (NaN, beyond its rating): current and power are then 0
  // and mean nothing, and the strategies assume the worst (strategies/plausibility.h).
  bool draw_trusted = true;
  TimeMs metered_at = -1;  // when the charger last reported current and power; -1: not known
  double session_energy_wh = 0.0;
  std::optional<double> soc_pct;
  bool car_connected = false;
  // Need, set by the user (MQTT/HA) or the car itself (ISO 15118 via OCPP 2.0.1).
  std::optional<TimeMs> departure;
  std::optional<double> energy_need_wh;
  std::optional<double> target_soc_pct;  // with the car's SoC and battery, the need is what the SoC lacks
  std::optional<double> battery_wh;
  // The charging plan for this car (smart mode), as last computed: power for now, when it next charges.
  std::optional<double> planned_power_w;
  std::optional<TimeMs> next_planned_start;
  std::string plan_summary;
  std::optional<double> plan_cost_dkk;  // what the plan's energy costs
  // What the charger said it is when it booted (outside text, for display only: cut and escaped before use).
  std::string vendor, model, firmware, serial;
  // The car missed a resume and no wake-up helped (the last decision's; strategies/sleeping_car.h): the
  // planner leaves it out, as it would not follow a plan.
  bool car_asleep = false;
};

struct GridState {
  Reading power_w;                   // import positive, export negative
  std::array<Reading, 3> current_a;  // import positive
  // The meter's own lifetime counters (failed: it keeps none, or it did not answer). For Home Assistant only.
  Reading energy_import_wh, energy_export_wh;
};

// A home battery behind its hybrid inverter. Power is positive while it discharges (it supplies the house,
// like import) and negative while it charges, everywhere in hemd.
struct BatteryState {
  std::string name;
  Reading power_w;
  Reading soc_pct;
  double max_power_w = 0;     // its rating; a reading beyond it cannot be true (0: unknown)
  bool controllable = false;  // hemd may lock its discharge (config `control` and a map that says how)
  Reading charged_wh, discharged_wh;  // its inverter's lifetime counters, where it keeps them
  bool ok() const { return power_w.ok() && soc_pct.ok(); }
};

// A sub-fuse shared by some chargers only (a carport circuit). Nothing else is on it.
struct Circuit {
  std::string name;
  double fuse_a = 16.0;  // per phase
  std::vector<std::string> charger_ids;
};

struct SiteLimits {
  double main_fuse_a = 25.0;  // per phase
  int phases = 3;
  double voltage_v = 230.0;
  std::vector<Circuit> circuits;
};

// The household's price for one interval (a quarter-hour since 2025-10-01), as it really pays it.
struct PricePoint {
  TimeMs start = 0;
  TimeMs end = 0;
  double import_dkk_per_kwh = 0;  // spot + mark-up + tariffs + tax, VAT included
  double export_dkk_per_kwh = 0;  // what exporting a kWh earns
};

// What the site expects for one interval: PV surplus after the house, the house, and the PV itself (from the
// solar forecast, corrected by what the roof really gave, or from the last week's production).
struct ForecastPoint {
  TimeMs start = 0;
  TimeMs end = 0;
  double surplus_w = 0;
  double house_w = 0;
  double pv_w = 0;
};

struct SiteSnapshot {
  TimeMs now = 0;
  SiteLimits limits;
  GridState grid;
  Reading pv_power_w;    // production, positive
  Reading pv_energy_wh;  // the inverters' lifetime yield, summed; failed unless every inverter gave it
  std::vector<BatteryState> batteries;
  std::vector<ChargerState> chargers;
  // Known prices from the current interval on, in time order; empty when no prices are known (plan on PV).
  std::vector<PricePoint> prices;
  // Expected surplus and house load ahead, in time order; empty without history (plan without surplus).
  std::vector<ForecastPoint> forecast;

  const ChargerState* charger(const std::string& id) const {
    for (const auto& c : chargers)
      if (c.id == id) return &c;
    return nullptr;
  }
};

const char* to_string(ChargeMode m);
std::optional<ChargeMode> charge_mode_from_string(const std::string& s);
const char* to_string(ChargerStatus s);
const char* to_string(Quality q);

}  // namespace hemd
