// The expected surplus and house load come from the same quarter of the day in the past week.
#include <gtest/gtest.h>

#include "daemon/forecast_input.h"
#include "drivers/prices/local_time.h"
#include "drivers/storage/database.h"
#include "tests/support/process.h"

namespace hemd {
namespace {

TimeMs dk(const char* local) {
  return *prices::parse_danish(local);
}

TEST(Forecast, MeanOfTheSameQuarterOfTheDay) {
  const std::vector<HistoryRow> rows = {
      {dk("2025-06-01T12:05:00"), 6000, 500},  // noon, two sunny days and a grey one
      {dk("2025-06-02T12:10:00"), 5000, 700},
      {dk("2025-06-03T12:00:00"), 1000, 600},
      {dk("2025-06-03T20:00:00"), 0, 900},
  };
  const auto f = forecast_from_history(rows, dk("2025-06-04T00:00:00"), dk("2025-06-05T00:00:00"));
  ASSERT_EQ(f.size(), 2u);  // only the quarters the history has
  EXPECT_EQ(f[0].start, dk("2025-06-04T12:00:00"));
  EXPECT_DOUBLE_EQ(f[0].house_w, 600);
  EXPECT_DOUBLE_EQ(f[0].surplus_w, 4000 - 600);
  EXPECT_EQ(f[1].start, dk("2025-06-04T20:00:00"));
  EXPECT_DOUBLE_EQ(f[1].surplus_w, 0);  // no negative surplus
  EXPECT_TRUE(forecast_from_history({}, 0, 86'400'000).empty());
}

TEST(Forecast, ReadsTheSitesHistory) {
  test::TempDir dir;
  {
    auto db = storage::Database::open(dir.file("hemd.db"));
    db.exec("INSERT INTO site_measurements VALUES (" + std::to_string(dk("2025-06-03T12:00:00")) +
            ", 5000, -4000, 1000, 0, 0, 0)");
  }
  ForecastInput input(dir.file("hemd.db"), nullptr);
  SiteSnapshot s;
  s.now = dk("2025-06-04T08:00:00");
  input.fill(s);
  ASSERT_EQ(s.forecast.size(), 2u);  // noon today and tomorrow, within the 48 h ahead
  EXPECT_EQ(s.forecast[0].start, dk("2025-06-04T12:00:00"));
  EXPECT_DOUBLE_EQ(s.forecast[0].surplus_w, 4000);
  EXPECT_EQ(s.forecast[1].start, dk("2025-06-05T12:00:00"));
}

// The solar forecast, where it covers a quarter-hour, replaces the week's PV; the house stays the week's.
TEST(Forecast, SolarForecastTimesItsHoursCorrection) {
  const std::vector<HistoryRow> rows = {{dk("2025-06-03T12:00:00"), 1000, 600}};
  PvCorrection correction;
  correction.factor.fill(1.0);
  correction.factor[12] = 0.5;  // the roof gave half of what was forecast at noon
  const std::vector<SolarPoint> solar = {{dk("2025-06-04T12:00:00"), dk("2025-06-04T12:15:00"), 8000},
                                         {dk("2025-06-04T13:00:00"), dk("2025-06-04T13:15:00"), 300}};
  const auto f = expected_site(rows, solar, correction, dk("2025-06-04T00:00:00"), dk("2025-06-05T00:00:00"));
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].start, dk("2025-06-04T12:00:00"));
  EXPECT_DOUBLE_EQ(f[0].pv_w, 4000);
  EXPECT_DOUBLE_EQ(f[0].surplus_w, 4000 - 600);
  // 13:00 has no history of its own: the house is the mean of all the history.
  EXPECT_EQ(f[1].start, dk("2025-06-04T13:00:00"));
  EXPECT_DOUBLE_EQ(f[1].house_w, 600);
  EXPECT_DOUBLE_EQ(f[1].surplus_w, 0);
}

TEST(Forecast, PastForecastsMeetTheQuarterHoursMeasured) {
  std::vector<HistoryRow> rows;
  for (int m = 0; m < 15; ++m) rows.push_back({dk("2025-06-03T12:00:00") + m * 60'000, 3000, 500});
  rows.push_back({dk("2025-06-03T13:00:00"), 9000, 500});  // one minute measured: too little to judge by
  const std::vector<SolarPoint> past = {{dk("2025-06-03T12:00:00"), dk("2025-06-03T12:15:00"), 6000},
                                        {dk("2025-06-03T13:00:00"), dk("2025-06-03T13:15:00"), 6000},
                                        {dk("2025-06-03T14:00:00"), dk("2025-06-03T14:15:00"), 6000}};
  const auto s = pv_samples(rows, past);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_DOUBLE_EQ(s[0].forecast_w, 6000);
  EXPECT_DOUBLE_EQ(s[0].produced_w, 3000);
}

// Home Assistant's "PV expected" sensors: the quarter under way counts for what is left of it, the Danish day
// ends at Danish midnight, and tomorrow is unknown until the forecast reaches it.
TEST(Forecast, WhatIsStillExpectedTodayTomorrowAndInTheNextHour) {
  const TimeMs now = dk("2025-06-04T12:05:00");
  std::vector<ForecastPoint> f;
  for (TimeMs t = dk("2025-06-04T12:00:00"); t < dk("2025-06-04T23:00:00"); t += 900'000)
    f.push_back({t, t + 900'000, 0, 0, 4000});  // 4 kW all afternoon and evening
  auto e = pv_expected(f, now);
  ASSERT_TRUE(e.next_hour_wh && e.rest_of_today_wh);
  EXPECT_NEAR(*e.next_hour_wh, 4000, 1e-6);                        // 60 minutes at 4 kW
  EXPECT_NEAR(*e.rest_of_today_wh, 4000 * (11 - 5.0 / 60), 1e-6);  // 12:05 to 23:00
  EXPECT_FALSE(e.tomorrow_wh) << "the forecast does not reach tomorrow";
  f.push_back({dk("2025-06-05T09:00:00"), dk("2025-06-05T09:15:00"), 0, 0, 2000});
  e = pv_expected(f, now);
  ASSERT_TRUE(e.tomorrow_wh);
  EXPECT_NEAR(*e.tomorrow_wh, 500, 1e-6);
  EXPECT_FALSE(pv_expected({}, now).next_hour_wh);
}

}  // namespace
}  // namespace hemd
