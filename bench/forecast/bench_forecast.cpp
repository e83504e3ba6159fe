// Figures, not a test: how wrong the plan's expected PV is, by where it comes from. A synthetic April in
// Denmark: a 6 kWp roof under weather that changes from day to day, and a forecast service that knows the
// weather (with a day-ahead error) but not the roof. Four roofs: as configured, a morning shadow, modules
// that give 20 % less than rated, and modules that lean west. For the last 14 days of 35, each day's expected
// PV from (a) the last week's mean (hemd without a forecast), (b) the forecast as it comes, (c) the forecast
// corrected by the 21 days before (what hemd plans on), against what the roof really gave. Printed: the mean
// absolute error per day in kWh, of the day's energy and summed over its quarter-hours.
#include <fmt/format.h>

#include <cmath>
#include <random>
#include <vector>

#include "daemon/forecast_input.h"
#include "drivers/prices/local_time.h"

using namespace hemd;

namespace {

constexpr TimeMs quarter_ms = 15 * 60'000, day_ms = 86'400'000;
constexpr int days = 35, learn_days = 21, week = 7;
const TimeMs first_day = *prices::parse_danish("2026-04-01T00:00:00");

double clear_sky_w(TimeMs t) {  // 6 kWp, an April day in Denmark: sun from 06:30 to 20:00
  const double h = prices::danish(t).hour + prices::danish(t).minute / 60.0 + 7.5 / 60;
  return h < 6.5 || h > 20 ? 0.0 : 6000 * 0.8 * std::pow(std::sin(M_PI * (h - 6.5) / 13.5), 1.3);
}

struct Roof {
  const char* name;
  double (*truth)(double hour);  // what the roof gives of the clear-sky forecast, by hour
};

const Roof roofs[] = {
    {"as configured", [](double) { return 1.0; }},
    {"morning shadow", [](double h) { return h < 11 ? 0.45 : 1.0; }},
    {"20 % below rating", [](double) { return 0.8; }},
    {"leaning west", [](double h) { return h < 13 ? 0.8 : 1.2; }},
};

struct Errors {
  double energy = 0, quarters = 0;
  void add(double expected_wh, double true_wh, double quarter_abs_wh) {
    energy += std::abs(expected_wh - true_wh);
    quarters += quarter_abs_wh;
  }
};

}  // namespace

int main() {
  fmt::print("Expected PV against what the roof gave, last {} of {} days; mean absolute error per day, kWh\n",
             days - learn_days, days);
  fmt::print("{:<20}{:>22}{:>22}{:>22}\n", "roof", "week's mean", "forecast as it comes",
             "forecast corrected");
  fmt::print("{:<20}{:>11}{:>11}{:>11}{:>11}{:>11}{:>11}\n", "", "day", "quarters", "day", "quarters", "day",
             "quarters");
  for (const auto& roof : roofs) {
    std::mt19937 random(42);  // the same weather for every roof
    std::uniform_real_distribution<double> weather(0.15, 1.0);
    std::normal_distribution<double> forecast_error(0.0, 0.15), flicker(0.0, 0.1);
    std::vector<HistoryRow> measured;  // one row a minute, like site_measurements
    std::vector<SolarPoint> forecast;  // per quarter-hour, as fetched the day before
    for (int d = 0; d < days; ++d) {
      const double sky = weather(random);
      const double sky_forecast = std::clamp(sky + forecast_error(random), 0.1, 1.0);
      for (TimeMs q = first_day + d * day_ms; q < first_day + (d + 1) * day_ms; q += quarter_ms) {
        const auto local = prices::danish(q);
        const double hour = local.hour + local.minute / 60.0;
        const double clear = clear_sky_w(q);
        forecast.push_back({q, q + quarter_ms, clear * sky_forecast});
        const double real = std::max(0.0, clear * roof.truth(hour) * sky * (1 + flicker(random)));
        for (int m = 0; m < 15; ++m) measured.push_back({q + m * 60'000, real, 400});
      }
    }
    Errors history_e, raw_e, corrected_e;
    for (int d = learn_days; d < days; ++d) {
      const TimeMs from = first_day + d * day_ms, to = from + day_ms;
      std::vector<HistoryRow> week_rows, learn_rows;
      std::vector<SolarPoint> past, ahead;
      for (const auto& r : measured) {
        if (r.at >= from - week * day_ms && r.at < from) week_rows.push_back(r);
        if (r.at >= from - learn_days * day_ms && r.at < from) learn_rows.push_back(r);
      }
      for (const auto& p : forecast) {
        if (p.start >= from - learn_days * day_ms && p.end <= from) past.push_back(p);
        if (p.start >= from && p.start < to) ahead.push_back(p);
      }
      const auto correction =
          pv_correction(pv_samples(learn_rows, past), [](TimeMs t) { return prices::danish(t).hour; });
      const auto by_history = expected_site(week_rows, {}, PvCorrection{}, from, to);
      PvCorrection none;
      none.factor.fill(1.0);
      const auto by_forecast = expected_site(week_rows, ahead, none, from, to);
      const auto by_corrected = expected_site(week_rows, ahead, correction, from, to);
      auto score = [&](const std::vector<ForecastPoint>& expected, Errors& e) {
        double expected_wh = 0, true_wh = 0, abs_wh = 0;
        for (const auto& p : expected) {
          double real = 0;
          for (const auto& r : measured)
            if (r.at >= p.start && r.at < p.end) real += r.pv_w / 15;
          expected_wh += p.pv_w / 4;
          true_wh += real / 4;
          abs_wh += std::abs(p.pv_w - real) / 4;
        }
        e.add(expected_wh, true_wh, abs_wh);
      };
      score(by_history, history_e);
      score(by_forecast, raw_e);
      score(by_corrected, corrected_e);
    }
    const double n = (days - learn_days) * 1000.0;
    fmt::print("{:<20}{:>11.2f}{:>11.2f}{:>11.2f}{:>11.2f}{:>11.2f}{:>11.2f}\n", roof.name,
               history_e.energy / n, history_e.quarters / n, raw_e.energy / n, raw_e.quarters / n,
               corrected_e.energy / n, corrected_e.quarters / n);
  }
  return 0;
}
