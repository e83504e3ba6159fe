#include "drivers/prices/fetch_schedule.h"

#include <algorithm>

namespace hemd::prices {

TimeMs retry_delay(int failures, double jitter) {
  if (failures <= 0) return 0;
  TimeMs d = first_retry_ms;
  for (int i = 1; i < failures && d < longest_retry_ms; ++i) d *= 2;
  d = std::min(d, longest_retry_ms);
  return static_cast<TimeMs>(static_cast<double>(d) * (1.0 + 0.2 * std::clamp(jitter, -1.0, 1.0)));
}

// Not midnight + 13 h: on DST days local 13:00 is 12 or 14 hours after midnight.
TimeMs publication_time(TimeMs now) {
  return *parse_danish(to_string(danish(now).date) + "T13:00");
}

TimeMs next_spot_fetch(TimeMs now, const FetchState& s, double jitter) {
  const TimeMs publication = publication_time(now);
  const bool wanted = !s.have_today || (!s.have_tomorrow && now >= publication);
  if (wanted) return s.failures == 0 ? now : s.last_attempt + retry_delay(s.failures, jitter);
  if (!s.have_tomorrow) return publication;
  // At midnight tomorrow becomes today and the day after is wanted from 13:00.
  return danish_midnight(next_day(danish(now).date));
}

TimeMs next_tariff_fetch(TimeMs last_success, const FetchState& s, double jitter) {
  if (s.failures > 0) return s.last_attempt + retry_delay(s.failures, jitter);
  return last_success == 0 ? 0 : last_success + 24 * hour_ms;
}

}  // namespace hemd::prices
