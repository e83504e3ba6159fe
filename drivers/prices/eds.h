#pragma once
// Energi Data Service: the URLs hemd asks and what it makes of the answers. An answer with any problem is
// rejected as a whole (the cache stays in force), and every problem is named for the log.
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "drivers/prices/local_time.h"
#include "drivers/prices/units.h"

namespace hemd::prices {

// Delivery day 2025-10-01 (Danish time) started the 15-minute day-ahead market.
inline constexpr TimeMs quarter_hour_switch_utc = 1759269600000;  // 2025-09-30T22:00:00Z

struct SpotPrice {
  TimeMs start = 0;
  int duration_s = 900;
  DkkPerMwh spot;
};

// One DatahubPricelist line: a grid company's (or Energinet's) charge, DKK/kWh excluding VAT, per local hour.
struct TariffRecord {
  std::string gln;
  std::string code;
  std::string note;
  TimeMs valid_from = 0;
  std::optional<TimeMs> valid_to;  // open-ended when absent
  std::array<DkkPerKwh, 24> hourly{};
};

template <typename T>
struct Answer {
  std::vector<T> values;
  std::vector<std::string> problems;  // reasons to reject the answer
  std::vector<std::string> notes;     // worth logging, not wrong (a null price for a quarter-hour)
  bool ok() const { return problems.empty(); }
};

// DayAheadPrices (TimeUTC, DayAheadPriceDKK) or Elspotprices (HourUTC, SpotPriceDKK) for [from, to) in
// Danish days.
std::string spot_url(const std::string& base, const std::string& dataset, const std::string& area,
                     const LocalDate& from, const LocalDate& to);
std::string pricelist_url(const std::string& base, const std::string& gln,
                          const std::vector<std::string>& codes);

Answer<SpotPrice> parse_spot(const std::string& body, const std::string& dataset, const std::string& area);
Answer<TariffRecord> parse_pricelist(const std::string& body);

// Which dataset serves a delivery day.
const char* dataset_for(const LocalDate& day);

}  // namespace hemd::prices
