#include "daemon/forecast_input.h"

#include <algorithm>
#include <array>
#include <limits>
#include <map>

#include "drivers/forecast/service.h"
#include "drivers/log/log.h"
#include "drivers/prices/local_time.h"
#include "drivers/storage/tables.h"

namespace hemd {

namespace {
constexpr TimeMs quarter_ms = 15 * 60'000;
constexpr TimeMs day_ms = 24 * 3'600'000LL;
constexpr TimeMs refresh_ms =
    15 * 60'000;  // the forecast is fetched hourly at most; the week's mean moves slowly
constexpr TimeMs horizon_ms = 48 * 3'600'000LL;
// What the correction learns from: long enough for every hour to have seen sun, short enough to follow the
// season (the sun's path, the shadows it casts).
constexpr TimeMs correction_window_ms = 21 * day_ms;
// A house with no history yet: a Danish household's yearly 4,000 kWh as a mean.
constexpr double unknown_house_w = 450;

int quarter_of_day(TimeMs t) {
  const auto local = prices::danish(t);
  return local.hour * 4 + local.minute / 15;
}

struct Mean {
  double pv = 0, house = 0;
  int n = 0;
};
}  // namespace

std::vector<ForecastPoint> expected_site(const std::vector<HistoryRow>& history,
                                         const std::vector<SolarPoint>& solar, const PvCorrection& correction,
                                         TimeMs from, TimeMs to) {
  std::array<Mean, 96> by_quarter{};
  Mean all;
  for (const auto& r : history) {
    auto& s = by_quarter[static_cast<std::size_t>(quarter_of_day(r.at))];
    s.pv += std::max(0.0, r.pv_w);
    s.house += std::max(0.0, r.house_w);
    ++s.n;
    all.house += std::max(0.0, r.house_w);
    ++all.n;
  }
  std::map<TimeMs, double> solar_at;
  for (const auto& p : solar)
    if (p.end - p.start == quarter_ms) solar_at[p.start] = p.pv_w;
  std::vector<ForecastPoint> out;
  for (TimeMs t = from - from % quarter_ms; t < to; t += quarter_ms) {
    const auto& s = by_quarter[static_cast<std::size_t>(quarter_of_day(t))];
    const auto forecast = solar_at.find(t);
    if (s.n == 0 && forecast == solar_at.end()) continue;
    const double house = s.n > 0 ? s.house / s.n : all.n > 0 ? all.house / all.n : unknown_house_w;
    const double pv =
        forecast != solar_at.end()
            ? forecast->second * correction.factor[static_cast<std::size_t>(prices::danish(t).hour)]
            : s.pv / s.n;
    out.push_back({t, t + quarter_ms, std::max(0.0, pv - house), house, pv});
  }
  return out;
}

std::vector<ForecastPoint> forecast_from_history(const std::vector<HistoryRow>& rows, TimeMs from,
                                                 TimeMs to) {
  return expected_site(rows, {}, PvCorrection{}, from, to);
}

std::vector<PvSample> pv_samples(const std::vector<HistoryRow>& history,
                                 const std::vector<SolarPoint>& past) {
  std::map<TimeMs, std::pair<double, int>> produced;  // quarter start -> sum, rows
  for (const auto& r : history) {
    auto& [sum, n] = produced[r.at - r.at % quarter_ms];
    sum += std::max(0.0, r.pv_w);
    ++n;
  }
  std::vector<PvSample> out;
  for (const auto& p : past) {
    const auto it = produced.find(p.start);
    // A quarter-hour with only a few minutes measured (hemd was down) says little.
    if (it == produced.end() || it->second.second < 5) continue;
    out.push_back({p.start, p.pv_w, it->second.first / it->second.second});
  }
  return out;
}

PvExpected pv_expected(const std::vector<ForecastPoint>& forecast, TimeMs now) {
  PvExpected e;
  if (forecast.empty()) return e;
  const auto date = prices::danish(now).date;
  const TimeMs tomorrow_starts = prices::danish_midnight(prices::next_day(date));
  const TimeMs tomorrow_ends = prices::danish_midnight(prices::next_day(date, 2));
  const TimeMs hour_ends = now + 3'600'000;
  double today = 0, tomorrow = 0, next_hour = 0;
  bool tomorrow_known = false;
  for (const auto& f : forecast) {
    const auto wh = [&](TimeMs from, TimeMs to) {
      from = std::max(from, std::max(f.start, now));
      to = std::min(to, f.end);
      return to > from ? f.pv_w * double(to - from) / 3.6e6 : 0.0;
    };
    today += wh(f.start, tomorrow_starts);
    next_hour += wh(f.start, hour_ends);
    if (f.end > tomorrow_starts && f.start < tomorrow_ends) {
      tomorrow += wh(tomorrow_starts, tomorrow_ends);
      tomorrow_known = true;
    }
  }
  e.rest_of_today_wh = today;
  e.next_hour_wh = next_hour;
  if (tomorrow_known) e.tomorrow_wh = tomorrow;
  return e;
}

ForecastInput::ForecastInput(std::string db_path, forecast::ForecastService* solar)
    : db_path_(std::move(db_path)), solar_(solar) {}

void ForecastInput::fill(SiteSnapshot& snapshot) {
  const TimeMs now = snapshot.now;
  if (computed_at_ == 0 || now - computed_at_ >= refresh_ms || now < computed_at_) {
    computed_at_ = now;
    try {
      auto db = storage::Database::open(db_path_);
      const TimeMs since = now - (solar_ ? correction_window_ms : 7 * day_ms);
      std::vector<HistoryRow> week, all;
      for (const auto& m : storage::site_measurements(db, since, std::numeric_limits<TimeMs>::max())) {
        if (!m.pv_w || !m.house_w) continue;
        all.push_back({m.at_ms, *m.pv_w, *m.house_w});
        if (m.at_ms >= now - 7 * day_ms) week.push_back(all.back());
      }
      std::vector<SolarPoint> ahead, past;
      PvCorrection correction;
      if (solar_) {
        for (const auto& p : solar_->forecast(since, now + horizon_ms))
          (p.end <= now ? past : ahead).push_back({p.start, p.end, p.pv_w});
        correction = pv_correction(pv_samples(all, past), [](TimeMs t) { return prices::danish(t).hour; });
      }
      points_ = expected_site(week, ahead, correction, now, now + horizon_ms);
    } catch (const std::exception& e) {
      log::warning("forecast: history not readable ({}); planning without expected surplus",
                   log::quoted(e.what()));
      points_.clear();
    }
  }
  snapshot.forecast.clear();
  for (const auto& p : points_)
    if (p.end > now) snapshot.forecast.push_back(p);
}

}  // namespace hemd
