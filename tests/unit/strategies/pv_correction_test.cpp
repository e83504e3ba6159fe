// A forecast corrected by what the roof really gave, per hour of the day.
#include "strategies/pv_correction.h"

#include <gtest/gtest.h>

#include <cmath>

namespace hemd {
namespace {

constexpr TimeMs hour_ms = 3'600'000;
int utc_hour(TimeMs t) {
  return static_cast<int>((t / hour_ms) % 24);
}

// Three weeks of quarter-hours at `hour` where the roof gave `ratio` of the forecast.
std::vector<PvSample> days_at(int hour, double forecast_w, double ratio, int days = 21) {
  std::vector<PvSample> out;
  for (int d = 0; d < days; ++d)
    for (int q = 0; q < 4; ++q)
      out.push_back({d * 24 * hour_ms + hour * hour_ms + q * 900'000, forecast_w, forecast_w * ratio});
  return out;
}

TEST(PvCorrection, LearnsEachHoursRatio) {
  auto samples = days_at(8, 2000, 0.5);  // a neighbour's tree shades the modules in the morning
  const auto noon = days_at(12, 5000, 1.1);
  samples.insert(samples.end(), noon.begin(), noon.end());
  const auto c = pv_correction(samples, utc_hour);
  EXPECT_GT(c.factor[8], 0.5);  // pulled a little towards 1 by the prior
  EXPECT_LT(c.factor[8], 0.6);
  EXPECT_NEAR(c.factor[12], 1.1, 0.01);
  EXPECT_DOUBLE_EQ(c.factor[3], 1.0);  // nothing known: the forecast as it is
  EXPECT_EQ(c.samples[8], 84);
}

TEST(PvCorrection, OneOddDayMovesTheFactorLittle) {
  const auto c = pv_correction(days_at(12, 3000, 0.0, 1), utc_hour);  // snow on the modules, once
  EXPECT_GT(c.factor[12], 0.5);
}

TEST(PvCorrection, StaysWithinBoundsAndIgnoresNightAndNonsense) {
  auto samples = days_at(12, 1000, 10.0);   // a forecast for the wrong roof
  samples.push_back({2 * hour_ms, 0, 20});  // night: no information
  samples.push_back({12 * hour_ms, std::nan(""), 5000});
  samples.push_back({12 * hour_ms, -5, 5000});
  const auto c = pv_correction(samples, utc_hour);
  EXPECT_DOUBLE_EQ(c.factor[12], 2.0);
  EXPECT_DOUBLE_EQ(c.factor[2], 1.0);
  EXPECT_EQ(c.samples[12], 84);
  EXPECT_DOUBLE_EQ(pv_correction(days_at(12, 4000, 0.0), utc_hour).factor[12], 0.25);
}

}  // namespace
}  // namespace hemd
