// Figures, not a test (issue 21's benchmark): a week of a Danish PV home with a 10 kWh home battery and one
// car, in three seasons, planned on a PV forecast that is off by 30 % (1 sd) per day. Three ways to charge:
// on arrival (a charger without hemd), hemd as it was before it knew batteries (it sees only the grid meter,
// so the battery swallows the surplus and empties itself into the car), and hemd with its battery rules
// (priority SoC, discharge lock). Printed side by side: the household's bill for the week, the same with the
// battery's charge at the end valued at the week's mean import price (a fair comparison of weeks that leave
// the battery fuller or emptier), the battery's energy that went into the car, the car's PV share, and what
// the car lacked at departure.
#include <fmt/format.h>

#include <chrono>
#include <numeric>
#include <vector>

#include "config/scenario.h"
#include "strategies/simulation.h"

using namespace hemd;

namespace {

struct Season {
  const char* name;
  double pv_peak_w, sunrise_h, sunset_h, clouds;
  int seed;
};

const Season seasons[] = {
    {"April", 6000, 6.0, 20.0, 0.5, 11},
    {"June", 7000, 4.5, 21.5, 0.35, 23},
    {"October", 4000, 7.5, 18.0, 0.6, 37},
};

constexpr int days = 7;
constexpr double forecast_error = 0.3;
constexpr double battery_kwh = 10;

Scenario week(const Season& s) {
  config::SyntheticDay d;
  d.hours = days * 24 + 12;
  d.pv_peak_w = s.pv_peak_w;
  d.sunrise_h = s.sunrise_h;
  d.sunset_h = s.sunset_h;
  d.clouds = s.clouds;
  d.house_w = 450;
  d.seed = s.seed;
  d.forecast_error = forecast_error;
  Scenario sc;
  sc.name = s.name;
  sc.step_s = 60;
  sc.quarters = config::synthetic_quarters(d);
  ScenarioBattery b;
  b.capacity_kwh = battery_kwh;
  b.max_charge_w = b.max_discharge_w = 5000;
  b.soc_pct = 50;
  b.priority_soc = 80;
  sc.battery = b;
  // Weekdays: home at 17:00, away at 07:30 with 12 kWh more. The weekend: home from 10:00 to 09:00 the next
  // day with 18 kWh to fill, a day the sun can help.
  for (int day = 0; day < days; ++day) {
    const bool weekend = day >= 5;
    ScenarioCar car;
    car.id = fmt::format("day{}", day + 1);
    car.arrive_h = day * 24 + (weekend ? 10 : 17);
    car.depart_h = day * 24 + (weekend ? 33 : 31.5);
    car.need_kwh = weekend ? 18 : 12;
    car.mode = ChargeMode::smart;
    sc.cars.push_back(car);
  }
  return sc;
}

struct Row {
  SimulationResult r;
  double seconds = 0;
};

Row run(const Scenario& sc, const ControlParams& params, const char* name, const ChargeMode* mode) {
  const auto t0 = std::chrono::steady_clock::now();
  Row row{simulate(sc, params, name, mode), 0};
  row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return row;
}

}  // namespace

int main() {
  fmt::print(
      "A week, one car (12 kWh on weekdays from 17:00, 18 kWh at the weekend from 10:00), 10 kWh home\n"
      "battery starting at 50 %, priority SoC 80 %, PV forecast off by {:.0f} % (1 sd) per day.\n"
      "'bill, battery settled': the bill plus the battery's change of charge at the week's mean import "
      "price.\n\n",
      forecast_error * 100);
  fmt::print("{:<9}{:<34}{:>9}{:>11}{:>12}{:>9}{:>8}{:>8}{:>8}\n", "season", "strategy", "bill", "bill, bat.",
             "battery to", "car PV", "unmet", "SoC at", "run");
  fmt::print("{:<9}{:<34}{:>9}{:>11}{:>12}{:>9}{:>8}{:>8}{:>8}\n", "", "", "DKK", "settled", "car, kWh",
             "share", "kWh", "end", "s");
  for (const auto& season : seasons) {
    const Scenario sc = week(season);
    ControlParams params;
    params.battery.priority_soc = sc.battery->priority_soc;
    params.battery.buffer_soc = sc.battery->buffer_soc;
    Scenario blind = sc;
    blind.battery->known = false;
    blind.battery->control = false;
    const ChargeMode now = ChargeMode::now;
    const Row rows[] = {run(blind, params, "charge on arrival", &now),
                        run(blind, params, "hemd without the battery rules", nullptr),
                        run(sc, params, "hemd", nullptr)};
    double mean_import = 0;
    for (const auto& q : sc.quarters) mean_import += q.import_dkk_per_kwh;
    mean_import /= static_cast<double>(sc.quarters.size());
    for (const auto& row : rows) {
      const auto& r = row.r;
      const double settled = r.household_cost_dkk +
                             (sc.battery->soc_pct - r.battery_end_soc_pct) / 100 * battery_kwh * mean_import;
      fmt::print("{:<9}{:<34}{:>9.2f}{:>11.2f}{:>12.1f}{:>8.0f}%{:>8.1f}{:>7.0f}%{:>8.1f}\n", season.name,
                 r.strategy, r.household_cost_dkk, settled, r.battery_to_cars_kwh,
                 r.charged_kwh > 0 ? 100 * r.from_pv_kwh / r.charged_kwh : 0.0, r.unmet_kwh,
                 r.battery_end_soc_pct, row.seconds);
    }
  }
  return 0;
}
