// Answers from the price services: Energi Data Service (DayAheadPrices, Elspotprices, DatahubPricelist) and
// ENTSO-E (XML). The first byte picks the parser, the rest is the body. No answer throws or crashes; what is
// accepted is in time order, finite and within the bounds the parsers promise.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "drivers/prices/eds.h"
#include "drivers/prices/entsoe.h"

using namespace hemd::prices;

namespace {
void check_spot(const Answer<SpotPrice>& a) {
  TimeMs last = INT64_MIN;
  for (const auto& p : a.values) {
    if (!std::isfinite(p.spot.value) || p.spot.value < -100000 || p.spot.value > 100000) std::abort();
    if (p.duration_s <= 0 || p.start <= last) std::abort();
    last = p.start;
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      check_spot(parse_spot(body, "DayAheadPrices", "DK1"));
      break;
    case 1:
      check_spot(parse_spot(body, "Elspotprices", "DK2"));
      break;
    case 2: {
      const auto a = parse_pricelist(body);
      for (const auto& t : a.values)
        for (const auto& h : t.hourly)
          if (!std::isfinite(h.value) || std::abs(h.value) > 10) std::abort();
      break;
    }
    case 3:
      check_spot(parse_entsoe(body, 7.46));
      break;
  }
  return 0;
}
