#pragma once
// The site's expected PV surplus and house load, from its own history: the mean of each Danish quarter of
// the day over the last week of `site_measurements`. Sunny or cloudy, a week's mean is what a homeowner's
// own roof gives on an ordinary day; it needs no weather service.
#include <string>
#include <vector>

#include "daemon/ports.h"

namespace hemd {

struct HistoryRow {
  TimeMs at = 0;
  double pv_w = 0;
  double house_w = 0;
};

// Forecast points for the quarter-hours of [from, to), from history rows; empty if no row is usable.
std::vector<ForecastPoint> forecast_from_history(const std::vector<HistoryRow>& rows, TimeMs from, TimeMs to);

class ForecastInput final : public SiteInput {
 public:
  explicit ForecastInput(std::string db_path) : db_path_(std::move(db_path)) {}
  void fill(SiteSnapshot& snapshot) override;

 private:
  std::string db_path_;
  TimeMs computed_at_ = 0;
  std::vector<ForecastPoint> points_;
};

}  // namespace hemd
