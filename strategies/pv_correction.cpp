#include "strategies/pv_correction.h"

#include <algorithm>

namespace hemd {

namespace {
// Below this, in both forecast and production, an interval is night or dusk and says nothing about the roof.
constexpr double daylight_w = 50;
// The prior: as if six hours at 1 kW had come out exactly as forecast (in quarter-hour watts). Larger
// trusts the raw forecast longer on a roof it describes well; smaller learns a shadow faster
// (bench_forecast: 8, 24 and 60 kW quarter-hours differ by under 0.1 kWh a day).
constexpr double prior_w = 24 * 1000.0;
constexpr double lowest = 0.25, highest = 2.0;
}  // namespace

PvCorrection pv_correction(const std::vector<PvSample>& samples,
                           const std::function<int(TimeMs)>& hour_of_day) {
  std::array<double, 24> forecast{}, produced{};
  PvCorrection out;
  for (const auto& s : samples) {
    if (!(s.forecast_w >= 0) || !(s.produced_w >= 0)) continue;  // NaN or negative: not a sample
    if (s.forecast_w < daylight_w && s.produced_w < daylight_w) continue;
    const int h = hour_of_day(s.start);
    if (h < 0 || h > 23) continue;
    const auto i = static_cast<std::size_t>(h);
    forecast[i] += s.forecast_w;
    produced[i] += s.produced_w;
    ++out.samples[i];
  }
  for (std::size_t h = 0; h < 24; ++h)
    out.factor[h] = std::clamp((produced[h] + prior_w) / (forecast[h] + prior_w), lowest, highest);
  return out;
}

}  // namespace hemd
