#pragma once
// ENTSO-E transparency platform, day-ahead prices (document type A44) for any bidding zone, in EUR/MWh,
// converted to DKK at the configured rate so that the rest of hemd keeps one currency.
#include <optional>
#include <string>

#include "drivers/prices/eds.h"

namespace hemd::prices {

// The EIC code of a bidding zone hemd knows ("DE-LU" -> "10Y1001A1001A82H").
std::optional<std::string> bidding_zone_eic(const std::string& area);

std::string entsoe_url(const std::string& base, const std::string& token, const std::string& eic, TimeMs from,
                       TimeMs to);

// A Publication_MarketDocument; an Acknowledgement_MarketDocument saying "no matching data" is an empty,
// valid answer (not published yet). Positions left out of a period repeat the previous price (curve A03).
Answer<SpotPrice> parse_entsoe(const std::string& xml, double dkk_per_eur);

}  // namespace hemd::prices
