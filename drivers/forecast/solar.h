#pragma once
// The PV forecast services' answers turned into power per interval: Open-Meteo (irradiance on the modules'
// plane, quarter-hourly, no key) and forecast.solar (estimated watts, hourly on the free plan). Parsing never
// throws: what cannot be used is named in `problems`, and a rejected answer leaves the last forecast in
// force.
#include <string>
#include <vector>

#include "config/config.h"
#include "drivers/prices/local_time.h"

namespace hemd::forecast {

using prices::TimeMs;

struct PvPoint {
  TimeMs start = 0;
  TimeMs end = 0;
  double pv_w = 0;  // mean AC power over [start, end)
};

struct PvAnswer {
  std::vector<PvPoint> points;        // in time order, finite, 0 <= pv_w <= what the array can give
  std::vector<std::string> problems;  // reasons to reject the answer
  bool ok() const { return problems.empty() && !points.empty(); }
};

std::string open_meteo_url(const config::SolarForecast& f, const config::PvArray& a);
// One array's answer: global tilted irradiance (W/m², the mean of the quarter-hour before each time) times
// the array's peak power and performance ratio.
PvAnswer parse_open_meteo(const std::string& body, const config::PvArray& a, double performance_ratio);

std::string forecast_solar_url(const config::SolarForecast& f, const config::PvArray& a);
// One array's answer: watts at each instant (UTC with `time=utc`, else Danish local time), averaged over the
// quarter-hours between them.
PvAnswer parse_forecast_solar(const std::string& body, const config::PvArray& a);

// The arrays' forecasts added per interval; an interval only some arrays cover is left out.
std::vector<PvPoint> add_arrays(const std::vector<std::vector<PvPoint>>& arrays);

}  // namespace hemd::forecast
