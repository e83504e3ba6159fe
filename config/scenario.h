#pragma once
// `hemd simulate` scenarios: a site, a day of PV, house load and prices (recorded per quarter-hour, or
// synthetic from a few numbers), and the cars that come and go. Errors name file, line, key and what is
// expected, as for the configuration.
#include <string>
#include <vector>

#include "config/config.h"
#include "strategies/simulation.h"

namespace hemd::config {

// A synthetic day, repeated for as many hours as asked: PV on a sine from sunrise to sunset with passing
// clouds, a house with morning and evening peaks, and Danish consumer prices built as the household pays
// them: (spot + mark-up + net tariff of the hour + system and transmission tariffs + elafgift) x 1.25.
struct SyntheticDay {
  double hours = 24;
  double pv_peak_w = 6000;
  double sunrise_h = 5, sunset_h = 21;
  double clouds = 0.2;        // 0 clear .. 1 heavy: how much a quarter-hour's PV may drop
  double forecast_error = 0;  // the plan's PV forecast: each day's off by this (1 sd) as a fraction
  double house_w = 400;       // base load; +400 W 06–08, +900 W 17–21
  int seed = 1;
  std::vector<double> spot_dkk_per_kwh;  // 24 hourly values; a typical winter weekday when empty
  double markup_dkk_per_kwh = 0.05;
  std::vector<double> net_tariff_dkk_per_kwh = {0.110, 0.330, 0.991};  // low 00–06, high, peak 17–21
  double state_tariffs_dkk_per_kwh = 0.072 + 0.043;                    // system + transmission, 2026
  double elafgift_dkk_per_kwh = 0.008;                                 // 2026–2027
  double export_fee_dkk_per_kwh = 0.02;
};

std::vector<ScenarioQuarter> synthetic_quarters(const SyntheticDay& day);

struct ScenarioLoad {
  std::optional<Scenario> scenario;  // set only when there are no errors
  std::vector<Error> errors;
};
ScenarioLoad load_scenario_string(const std::string& text, const std::string& file);
ScenarioLoad load_scenario_file(const std::string& path);

}  // namespace hemd::config
