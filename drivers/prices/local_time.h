#pragma once
// Quarter-hours are kept in UTC; Danish wall time (Europe/Copenhagen, from the system's tz database) is
// needed for tariff hours, "today", the 13:00 publication and display. DST days have 92 or 100 quarter-hours.
#include <cstdint>
#include <optional>
#include <string>

namespace hemd::prices {

using TimeMs = std::int64_t;
inline constexpr TimeMs minute_ms = 60'000;
inline constexpr TimeMs hour_ms = 60 * minute_ms;

struct LocalDate {
  int year = 1970;
  int month = 1;
  int day = 1;
  bool operator==(const LocalDate& o) const { return year == o.year && month == o.month && day == o.day; }
  bool operator<(const LocalDate& o) const {
    return year != o.year ? year < o.year : month != o.month ? month < o.month : day < o.day;
  }
};

struct LocalTime {
  LocalDate date;
  int hour = 0;
  int minute = 0;
};

// "2025-09-27T21:00:00" (or without seconds) read as UTC; nullopt when malformed.
std::optional<TimeMs> parse_utc(const std::string& iso);
// "2025-09-27T23:00:00" read as Danish wall time; the earlier instant when ambiguous.
std::optional<TimeMs> parse_danish(const std::string& iso);
std::optional<LocalDate> parse_date(const std::string& yyyy_mm_dd);

LocalTime danish(TimeMs utc);
// The UTC instant of local midnight starting `date`.
TimeMs danish_midnight(const LocalDate& date);
LocalDate next_day(const LocalDate& date, int days = 1);
std::string to_string(const LocalDate& date);  // 2025-11-04
std::string hhmm(TimeMs utc);                  // 01:15, Danish wall time
std::string utc_iso(TimeMs utc);               // 2025-11-04T00:15:00Z

}  // namespace hemd::prices
