#pragma once
// The household's price per interval, every component itemised, and what exporting earns.
#include <string>
#include <vector>

#include "drivers/prices/eds.h"
#include "drivers/prices/tariffs.h"
#include "drivers/prices/units.h"

namespace hemd::prices {

struct PriceSettings {
  DkkPerKwh supplier_markup;
  DkkPerKwh export_fee;
  double vat = 0.25;
  bool hourly_mean = false;  // meters still settled per hour pay the hour's mean spot price
};

struct ConsumerPrice {
  TimeMs start = 0;
  int duration_s = 900;
  DkkPerKwh spot;  // or the fixed/time-of-use energy price
  DkkPerKwh supplier_markup;
  DkkPerKwh net_tariff;
  DkkPerKwh transmission;
  DkkPerKwh system;
  DkkPerKwh elafgift;
  double vat = 0.25;
  DkkPerKwh export_price;
  bool tariffs_known = true;  // false when a component had no rate at all (shown, and logged by the caller)

  TimeMs end() const { return start + duration_s * 1000LL; }
  DkkPerKwh before_vat() const {
    return spot + supplier_markup + net_tariff + transmission + system + elafgift;
  }
  DkkPerKwh vat_amount() const { return before_vat() * vat; }
  DkkPerKwh total() const { return before_vat() * (1 + vat); }
};

// Spot prices become quarter-hours (an hourly price covers its four), priced with the tariffs of their local
// hour. In hourly-mean mode each hour's quarter-hours share the hour's mean spot price.
std::vector<ConsumerPrice> consumer_prices(const std::vector<SpotPrice>& spot, const TariffBook& tariffs,
                                           const PriceSettings& settings);

// A price without a spot market (provider fixed): the all-in price per quarter-hour, VAT included, from a
// flat price and optional time-of-use periods by local hour.
struct TimeOfUse {
  int from_hour = 0;  // inclusive
  int to_hour = 24;   // exclusive
  DkkPerKwh price;
};
std::vector<ConsumerPrice> fixed_prices(TimeMs from, TimeMs to, DkkPerKwh flat,
                                        const std::vector<TimeOfUse>& periods, DkkPerKwh export_price);

}  // namespace hemd::prices
