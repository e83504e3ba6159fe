#pragma once
// When to ask Energi Data Service again. Tomorrow's prices are published around 13:00 Danish time; before
// that there is nothing to ask for, after it hemd asks until they arrive, backing off so that a rate-limited
// or broken service is not hammered, with jitter so that many homes do not ask in the same second.
#include "drivers/prices/local_time.h"

namespace hemd::prices {

struct FetchState {
  bool have_today = false;
  bool have_tomorrow = false;
  int failures = 0;  // consecutive failed attempts
  TimeMs last_attempt = 0;
};

inline constexpr TimeMs first_retry_ms = minute_ms;
inline constexpr TimeMs longest_retry_ms = 30 * minute_ms;

// 1, 2, 4 ... 30 minutes after the n-th failure, stretched by jitter in [-1, 1] times 20 %.
TimeMs retry_delay(int failures, double jitter);

// The instant the next spot-price request is due (<= now means at once).
TimeMs next_spot_fetch(TimeMs now, const FetchState& s, double jitter);

// Tariffs change rarely: once a day, or on the retry schedule after a failure.
TimeMs next_tariff_fetch(TimeMs last_success, const FetchState& s, double jitter);

// 13:00 Danish time on the day of `now`.
TimeMs publication_time(TimeMs now);

}  // namespace hemd::prices
