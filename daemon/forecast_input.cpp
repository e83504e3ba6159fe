#include "daemon/forecast_input.h"

#include <algorithm>
#include <array>
#include <limits>

#include "drivers/log/log.h"
#include "drivers/prices/local_time.h"
#include "drivers/storage/tables.h"

namespace hemd {

namespace {
constexpr TimeMs quarter_ms = 15 * 60'000;
constexpr TimeMs week_ms = 7 * 24 * 3'600'000LL;
constexpr TimeMs refresh_ms = 15 * 60'000;  // a week's mean moves slowly
constexpr TimeMs horizon_ms = 48 * 3'600'000LL;

int quarter_of_day(TimeMs t) {
  const auto local = prices::danish(t);
  return local.hour * 4 + local.minute / 15;
}
}  // namespace

std::vector<ForecastPoint> forecast_from_history(const std::vector<HistoryRow>& rows, TimeMs from,
                                                 TimeMs to) {
  struct Sum {
    double pv = 0, house = 0;
    int n = 0;
  };
  std::array<Sum, 96> by_quarter{};
  for (const auto& r : rows) {
    auto& s = by_quarter[static_cast<std::size_t>(quarter_of_day(r.at))];
    s.pv += std::max(0.0, r.pv_w);
    s.house += std::max(0.0, r.house_w);
    ++s.n;
  }
  std::vector<ForecastPoint> out;
  for (TimeMs t = from - from % quarter_ms; t < to; t += quarter_ms) {
    const auto& s = by_quarter[static_cast<std::size_t>(quarter_of_day(t))];
    if (s.n == 0) continue;
    const double pv = s.pv / s.n, house = s.house / s.n;
    out.push_back({t, t + quarter_ms, std::max(0.0, pv - house), house});
  }
  return out;
}

void ForecastInput::fill(SiteSnapshot& snapshot) {
  const TimeMs now = snapshot.now;
  if (computed_at_ == 0 || now - computed_at_ >= refresh_ms || now < computed_at_) {
    computed_at_ = now;
    try {
      auto db = storage::Database::open(db_path_);
      std::vector<HistoryRow> rows;
      for (const auto& m : storage::site_measurements(db, now - week_ms, std::numeric_limits<TimeMs>::max()))
        if (m.pv_w && m.house_w) rows.push_back({m.at_ms, *m.pv_w, *m.house_w});
      points_ = forecast_from_history(rows, now, now + horizon_ms);
    } catch (const std::exception& e) {
      log::warning("forecast: history not readable ({}); planning without expected surplus", e.what());
      points_.clear();
    }
  }
  snapshot.forecast.clear();
  for (const auto& p : points_)
    if (p.end > now) snapshot.forecast.push_back(p);
}

}  // namespace hemd
