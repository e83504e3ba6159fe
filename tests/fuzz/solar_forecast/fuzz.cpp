// Answers from the PV forecast services: Open-Meteo (even first byte) or forecast.solar (odd), the rest is
// the body. No answer throws or crashes; what is accepted is in time order, a quarter-hour each, finite and
// never more than the array can give.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "drivers/forecast/solar.h"

using namespace hemd::forecast;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const hemd::config::PvArray roof{6.0, 35, 0};
  const PvAnswer a = data[0] % 2 == 0 ? parse_open_meteo(body, roof, 0.85) : parse_forecast_solar(body, roof);
  TimeMs last_end = INT64_MIN;
  for (const auto& p : a.points) {
    if (!std::isfinite(p.pv_w) || p.pv_w < 0 || p.pv_w > roof.kwp * 1000 * 1.3) std::abort();
    if (p.end - p.start != 900'000 || p.start < last_end) std::abort();
    last_end = p.end;
  }
  return 0;
}
