// Danish wall time from UTC and back, on ordinary days and both DST days.
#include <gtest/gtest.h>

#include "drivers/prices/local_time.h"

namespace hemd::prices {
namespace {

TimeMs utc(const char* iso) {
  return *parse_utc(iso);
}

TEST(LocalTime, DstDaysHave23And25Hours) {
  const LocalDate spring{2025, 3, 30}, autumn{2025, 10, 26}, plain{2025, 11, 4};
  EXPECT_EQ(danish_midnight(next_day(spring)) - danish_midnight(spring), 23 * hour_ms);
  EXPECT_EQ(danish_midnight(next_day(autumn)) - danish_midnight(autumn), 25 * hour_ms);
  EXPECT_EQ(danish_midnight(next_day(plain)) - danish_midnight(plain), 24 * hour_ms);
  EXPECT_EQ(utc_iso(danish_midnight(plain)), "2025-11-03T23:00:00Z");         // CET
  EXPECT_EQ(utc_iso(danish_midnight({2025, 7, 1})), "2025-06-30T22:00:00Z");  // CEST
}

TEST(LocalTime, AutumnHourTwoComesTwice) {
  EXPECT_EQ(hhmm(utc("2025-10-26T00:15:00")), "02:15");  // still CEST
  EXPECT_EQ(hhmm(utc("2025-10-26T01:15:00")), "02:15");  // CET again
  // An ambiguous wall time is read as the earlier instant.
  EXPECT_EQ(*parse_danish("2025-10-26T02:15:00"), utc("2025-10-26T00:15:00"));
  // Spring: 02:00 is skipped; 03:00 CEST follows 01:59 CET.
  EXPECT_EQ(hhmm(utc("2025-03-30T01:00:00")), "03:00");
}

TEST(LocalTime, MalformedTimesAreRefused) {
  EXPECT_FALSE(parse_utc("2025-13-01T00:00:00"));
  EXPECT_FALSE(parse_utc("yesterday"));
  EXPECT_FALSE(parse_utc("2025-11-04T00:00:00+01:00"));
  EXPECT_FALSE(parse_date("2025-02-30"));
  EXPECT_FALSE(parse_date("2025-2-3"));
  EXPECT_TRUE(parse_utc("2025-11-04T00:00"));
  EXPECT_EQ(to_string(next_day({2024, 2, 28}, 2)), "2024-03-01");
}

}  // namespace
}  // namespace hemd::prices
