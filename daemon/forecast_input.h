#pragma once
// The site's expected PV and house load for the plan. PV from the solar forecast (solar_forecast in the
// config), corrected per hour of the day by what the roof really produced against what had been forecast;
// where there is no forecast, the mean of each Danish quarter of the day over the last week of
// `site_measurements`. The house load is always that week's mean: it follows the household's habits, not
// the weather.
#include <optional>
#include <string>
#include <vector>

#include "daemon/ports.h"
#include "strategies/pv_correction.h"

namespace hemd {

namespace forecast {
class ForecastService;
}

struct HistoryRow {
  TimeMs at = 0;
  double pv_w = 0;
  double house_w = 0;
};

struct SolarPoint {
  TimeMs start = 0;
  TimeMs end = 0;
  double pv_w = 0;
};

// Forecast points for the quarter-hours of [from, to), from history rows and, where it covers a
// quarter-hour, the solar forecast times its hour's correction; empty if neither is usable.
std::vector<ForecastPoint> expected_site(const std::vector<HistoryRow>& history,
                                         const std::vector<SolarPoint>& solar, const PvCorrection& correction,
                                         TimeMs from, TimeMs to);
// History only (no solar forecast).
std::vector<ForecastPoint> forecast_from_history(const std::vector<HistoryRow>& rows, TimeMs from, TimeMs to);

// Past forecasts against the production measured in the same quarter-hours.
// What the forecast says is still to come, for Home Assistant: the rest of the Danish day, the next day
// (unset until the forecast reaches it), the next 60 minutes (the quarter-hour under way for what is left).
struct PvExpected {
  std::optional<double> rest_of_today_wh, tomorrow_wh, next_hour_wh;
};
PvExpected pv_expected(const std::vector<ForecastPoint>& forecast, TimeMs now);

std::vector<PvSample> pv_samples(const std::vector<HistoryRow>& history, const std::vector<SolarPoint>& past);

class ForecastInput final : public SiteInput {
 public:
  // `solar` may be null (no solar forecast configured); it must outlive this input.
  ForecastInput(std::string db_path, forecast::ForecastService* solar);
  void fill(SiteSnapshot& snapshot) override;

 private:
  std::string db_path_;
  forecast::ForecastService* solar_;
  TimeMs computed_at_ = 0;
  std::vector<ForecastPoint> points_;
};

}  // namespace hemd
