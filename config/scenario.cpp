#include "config/scenario.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "config/charger_profile.h"
#include "config/reader.h"

namespace hemd::config {

namespace {

// Hourly spot prices of a winter weekday in DK1 (DKK/kWh): night low, morning and evening peaks.
const std::vector<double> typical_spot = {0.45, 0.42, 0.40, 0.39, 0.40, 0.46, 0.62, 0.85,
                                          0.92, 0.80, 0.70, 0.64, 0.60, 0.58, 0.62, 0.72,
                                          0.90, 1.15, 1.30, 1.10, 0.88, 0.70, 0.58, 0.50};

void read_day(MapReader& m, SyntheticDay& d) {
  m.number("hours", d.hours, 0.25, 24 * 14, "h");
  m.number("pv_peak_w", d.pv_peak_w, 0, 1e6, "W");
  m.number("sunrise_h", d.sunrise_h, 0, 24, "h");
  m.number("sunset_h", d.sunset_h, 0, 24, "h");
  m.number("clouds", d.clouds, 0, 1, "(0 clear .. 1 heavy)");
  m.number("house_w", d.house_w, 0, 1e5, "W");
  m.integer("seed", d.seed, 0, 1'000'000);
  m.number("forecast_error", d.forecast_error, 0, 2, "(0 exact .. 1: a day's forecast off by 100 % (1 sd))");
  if (m.number_list("spot_dkk_per_kwh", d.spot_dkk_per_kwh, -10, 100, "DKK/kWh") &&
      !d.spot_dkk_per_kwh.empty() && d.spot_dkk_per_kwh.size() != 24)
    m.reader().error(
        m.mark("spot_dkk_per_kwh"), m.path("spot_dkk_per_kwh"),
        "found " + std::to_string(d.spot_dkk_per_kwh.size()) + " values, expected 24 (one per hour)");
  m.number("markup_dkk_per_kwh", d.markup_dkk_per_kwh, -10, 100, "DKK/kWh");
  if (m.number_list("net_tariff_dkk_per_kwh", d.net_tariff_dkk_per_kwh, 0, 100, "DKK/kWh") &&
      d.net_tariff_dkk_per_kwh.size() != 3)
    m.reader().error(m.mark("net_tariff_dkk_per_kwh"), m.path("net_tariff_dkk_per_kwh"),
                     "expected 3 values: low (00-06), high, peak (17-21)");
  m.number("state_tariffs_dkk_per_kwh", d.state_tariffs_dkk_per_kwh, 0, 100, "DKK/kWh");
  m.number("elafgift_dkk_per_kwh", d.elafgift_dkk_per_kwh, 0, 100, "DKK/kWh");
  m.number("export_fee_dkk_per_kwh", d.export_fee_dkk_per_kwh, 0, 100, "DKK/kWh");
  if (d.sunset_h <= d.sunrise_h)
    m.reader().error(m.mark("sunset_h"), m.path("sunset_h"), "expected a sunset after the sunrise");
}

// Recorded quarter-hours: four lists of the same length.
bool read_quarters(MapReader& m, std::vector<ScenarioQuarter>& out) {
  std::vector<double> pv, house, imp, exp;
  bool numbers = m.number_list("pv_w", pv, 0, 1e6, "W");
  numbers = m.number_list("house_w", house, 0, 1e6, "W") && numbers;
  numbers = m.number_list("import_dkk_per_kwh", imp, -10, 100, "DKK/kWh") && numbers;
  numbers = m.number_list("export_dkk_per_kwh", exp, -10, 100, "DKK/kWh") && numbers;
  if (!numbers) return false;  // the lengths would only repeat what is already reported
  const std::size_t n = imp.size();
  bool same = n > 0;
  for (const auto& [key, list] : {std::pair<const char*, std::size_t>{"pv_w", pv.size()},
                                  {"house_w", house.size()},
                                  {"export_dkk_per_kwh", exp.size()}})
    if (list != n || n == 0) {
      m.reader().error(m.mark(key), m.path(key),
                       "found " + std::to_string(list) +
                           " values, expected one per quarter-hour, as many as import_dkk_per_kwh has (" +
                           std::to_string(n) + ")");
      same = false;
    }
  if (!same) return false;
  for (std::size_t k = 0; k < n; ++k) out.push_back({pv[k], house[k], imp[k], exp[k]});
  return true;
}

}  // namespace

std::vector<ScenarioQuarter> synthetic_quarters(const SyntheticDay& d) {
  std::mt19937 rng(static_cast<unsigned>(d.seed));
  std::uniform_real_distribution<double> u(0, 1);
  const auto& spot = d.spot_dkk_per_kwh.empty() ? typical_spot : d.spot_dkk_per_kwh;
  std::vector<ScenarioQuarter> q;
  const auto n = static_cast<std::size_t>(std::llround(d.hours * 4));
  double cloud = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const double hour = std::fmod((static_cast<double>(k) + 0.5) / 4, 24);
    const auto h = static_cast<std::size_t>(hour);
    const double sun = hour > d.sunrise_h && hour < d.sunset_h
                           ? std::sin((hour - d.sunrise_h) / (d.sunset_h - d.sunrise_h) * M_PI)
                           : 0.0;
    // Clouds come and go: the cover drifts, and each quarter-hour may lose part of the sun to it.
    cloud = std::clamp(cloud + (u(rng) - 0.5) * 0.6, 0.0, 1.0);
    const double pv = d.pv_peak_w * sun * (1 - d.clouds * cloud);
    const double house =
        d.house_w + (hour >= 6 && hour < 8 ? 400 : 0) + (hour >= 17 && hour < 21 ? 900 : 0) + 100 * u(rng);
    const double tariff = hour < 6                  ? d.net_tariff_dkk_per_kwh[0]
                          : hour >= 17 && hour < 21 ? d.net_tariff_dkk_per_kwh[2]
                                                    : d.net_tariff_dkk_per_kwh[1];
    const double imp =
        (spot[h] + d.markup_dkk_per_kwh + tariff + d.state_tariffs_dkk_per_kwh + d.elafgift_dkk_per_kwh) *
        1.25;
    q.push_back({pv, house, imp, spot[h] - d.export_fee_dkk_per_kwh});
  }
  // The forecast the plan sees: each day's PV off by a factor drawn once for the day (a day-ahead forecast
  // misjudges the day's cloud, not each quarter-hour), from a generator of its own so that the day itself
  // stays the same for every forecast_error.
  if (d.forecast_error > 0) {
    std::mt19937 forecast_rng(static_cast<unsigned>(d.seed) + 1);
    std::normal_distribution<double> error(0.0, d.forecast_error);
    double factor = 1;
    for (std::size_t k = 0; k < q.size(); ++k) {
      if (k % 96 == 0) factor = std::clamp(1 + error(forecast_rng), 0.0, 3.0);
      q[k].forecast_pv_w = q[k].pv_w * factor;
    }
  }
  return q;
}

ScenarioLoad load_scenario_string(const std::string& text, const std::string& file) {
  ScenarioLoad result;
  Scenario sc;
  {
    Reader r(file, result.errors);
    const auto root = r.parse(text);
    if (!root) return result;
    MapReader top(r, *root, "", root->Mark());
    top.text("name", sc.name, true);
    top.number("step_s", sc.step_s, 1, 900, "s");
    top.map("site", [&](MapReader& m) {
      m.number("main_fuse_a", sc.main_fuse_a, 6, 2000, "A");
      m.integer("phases", sc.phases, 1, 3);
      m.number("voltage_v", sc.voltage_v, 100, 400, "V");
      m.choice("sharing", sc.sharing,
               named({SharingPolicy::fair, SharingPolicy::priority, SharingPolicy::departure}));
    });
    const bool synthetic = top.has("day"), recorded = top.has("quarters");
    if (synthetic == recorded)
      r.error(top.mark(), "day", "expected either `day:` (a synthetic day) or `quarters:` (recorded values)");
    SyntheticDay day;
    const std::size_t errors_before = result.errors.size();
    top.map("day", [&](MapReader& m) { read_day(m, day); });
    top.map("quarters", [&](MapReader& m) { read_quarters(m, sc.quarters); });
    if (synthetic && result.errors.size() == errors_before) sc.quarters = synthetic_quarters(day);
    const double hours = static_cast<double>(sc.quarters.size()) / 4;
    if (top.has("battery")) {
      ScenarioBattery b;
      top.map("battery", [&](MapReader& m) {
        m.number("capacity_kwh", b.capacity_kwh, 0.5, 1000, "kWh", true);
        m.number("max_charge_w", b.max_charge_w, 100, 100000, "W");
        m.number("max_discharge_w", b.max_discharge_w, 100, 100000, "W");
        m.number("soc_pct", b.soc_pct, 0, 100, "%");
        m.boolean("control", b.control);
        m.number("priority_soc", b.priority_soc, 0, 100, "%");
        m.number("buffer_soc", b.buffer_soc, 0, 100, "%");
      });
      sc.battery = b;
    }
    top.list("cars", [&](MapReader& m, int) {
      ScenarioCar car;
      m.text("id", car.id, true);
      m.number("arrive_h", car.arrive_h, 0, 24 * 14, "h", true);
      m.number("depart_h", car.depart_h, 0, 24 * 14, "h", true);
      m.number("need_kwh", car.need_kwh, 0, 200, "kWh", true);
      m.number("min_current_a", car.min_current_a, 1, 80, "A");
      m.number("max_current_a", car.max_current_a, 1, 80, "A");
      m.integer("phases", car.phases, 1, 3);
      m.integer("phase_offset", car.phase_offset, 0, 2);
      m.integer("priority", car.priority, -100, 100);
      std::string mode = to_string(car.mode);
      m.choice("mode", mode, {"off", "now", "minpv", "pv", "smart"});
      car.mode = *charge_mode_from_string(mode);
      if (m.has("sleeps_after_pause_min")) {
        double min = 0;
        m.number("sleeps_after_pause_min", min, 0, 24 * 60, "min");
        car.sleeps_after_pause_min = min;
      }
      m.text_list("wakes_by", car.wakes_by);
      for (const auto& w : car.wakes_by)
        if (std::find(wake_up_methods.begin(), wake_up_methods.end(), w) == wake_up_methods.end())
          r.error(m.mark("wakes_by"), m.path("wakes_by"),
                  "found '" + w + "', expected availability_cycle or restart_transaction");
      if (car.depart_h <= car.arrive_h)
        r.error(m.mark("depart_h"), m.path("depart_h"), "expected a departure after the arrival");
      else if (!sc.quarters.empty() && car.arrive_h >= hours)
        r.error(
            m.mark("arrive_h"), m.path("arrive_h"),
            "expected an arrival within the scenario's " + std::to_string(static_cast<int>(hours)) + " h");
      if (car.max_current_a < car.min_current_a)
        r.error(m.mark("max_current_a"), m.path("max_current_a"), "expected at least min_current_a");
      sc.cars.push_back(car);
    });
  }
  sort_by_place(result.errors);
  if (result.errors.empty()) result.scenario = std::move(sc);
  return result;
}

ScenarioLoad load_scenario_file(const std::string& path) {
  ScenarioLoad result;
  const auto text = read_text_file(path, result.errors);
  return text ? load_scenario_string(*text, path) : result;
}

}  // namespace hemd::config
