// When hemd asks for prices: at the 13:00 publication, then on a back-off with jitter until they arrive.
#include <gtest/gtest.h>

#include "drivers/prices/fetch_schedule.h"

namespace hemd::prices {
namespace {

TimeMs dk(const char* local) {
  return *parse_danish(local);
}

TEST(FetchSchedule, AsksAtOnceWhenTodayIsMissing) {
  const TimeMs now = dk("2025-11-04T08:00:00");
  EXPECT_EQ(next_spot_fetch(now, FetchState{}, 0), now);
}

TEST(FetchSchedule, WaitsForThePublicationAtOnePm) {
  FetchState s;
  s.have_today = true;
  EXPECT_EQ(next_spot_fetch(dk("2025-11-04T08:00:00"), s, 0), dk("2025-11-04T13:00:00"));
  EXPECT_EQ(next_spot_fetch(dk("2025-11-04T13:30:00"), s, 0), dk("2025-11-04T13:30:00"));
  s.have_tomorrow = true;
  EXPECT_EQ(next_spot_fetch(dk("2025-11-04T13:30:00"), s, 0), dk("2025-11-05T00:00:00"));
  // Local 13:00 on DST days: 11:00 UTC in summer, 12:00 UTC in winter.
  EXPECT_EQ(utc_iso(publication_time(dk("2026-03-29T09:00:00"))), "2026-03-29T11:00:00Z");
  EXPECT_EQ(utc_iso(publication_time(dk("2025-10-26T09:00:00"))), "2025-10-26T12:00:00Z");
}

TEST(FetchSchedule, BacksOffFromOneMinuteToHalfAnHourWithJitter) {
  EXPECT_EQ(retry_delay(1, 0), minute_ms);
  EXPECT_EQ(retry_delay(2, 0), 2 * minute_ms);
  EXPECT_EQ(retry_delay(5, 0), 16 * minute_ms);
  EXPECT_EQ(retry_delay(6, 0), 30 * minute_ms);
  EXPECT_EQ(retry_delay(60, 0), 30 * minute_ms);
  EXPECT_EQ(retry_delay(1, 1), 72'000);
  EXPECT_EQ(retry_delay(1, -1), 48'000);
  FetchState s;
  s.have_today = true;
  s.failures = 3;
  s.last_attempt = dk("2025-11-04T13:00:00");
  EXPECT_EQ(next_spot_fetch(dk("2025-11-04T13:01:00"), s, 0), dk("2025-11-04T13:04:00"));
}

TEST(FetchSchedule, TariffsDaily) {
  const TimeMs last = dk("2025-11-04T10:00:00");
  EXPECT_EQ(next_tariff_fetch(0, FetchState{}, 0), 0);
  EXPECT_EQ(next_tariff_fetch(last, FetchState{}, 0), last + 24 * hour_ms);
  FetchState failed;
  failed.failures = 1;
  failed.last_attempt = last;
  EXPECT_EQ(next_tariff_fetch(last - hour_ms, failed, 0), last + minute_ms);
}

}  // namespace
}  // namespace hemd::prices
