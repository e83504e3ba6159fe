#include "drivers/prices/consumer_price.h"

#include <map>

namespace hemd::prices {

namespace {

constexpr TimeMs quarter_ms = 15 * minute_ms;

std::vector<SpotPrice> as_quarters(const std::vector<SpotPrice>& spot) {
  std::vector<SpotPrice> out;
  out.reserve(spot.size() * 4);
  for (const auto& p : spot)
    for (TimeMs t = p.start; t < p.start + p.duration_s * 1000LL; t += quarter_ms)
      out.push_back({t, 900, p.spot});
  return out;
}

// Danish local hours start on whole UTC hours (the offsets are whole hours), so UTC hours group them.
void to_hourly_means(std::vector<SpotPrice>& quarters) {
  std::map<TimeMs, std::pair<double, int>> sums;
  for (const auto& q : quarters) {
    auto& s = sums[q.start - q.start % hour_ms];
    s.first += q.spot.value;
    s.second += 1;
  }
  for (auto& q : quarters) {
    const auto& s = sums[q.start - q.start % hour_ms];
    q.spot = {s.first / s.second};
  }
}

}  // namespace

std::vector<ConsumerPrice> consumer_prices(const std::vector<SpotPrice>& spot, const TariffBook& tariffs,
                                           const PriceSettings& settings) {
  auto quarters = as_quarters(spot);
  if (settings.hourly_mean) to_hourly_means(quarters);
  std::vector<ConsumerPrice> out;
  out.reserve(quarters.size());
  for (const auto& q : quarters) {
    ConsumerPrice c;
    c.start = q.start;
    c.duration_s = q.duration_s;
    c.spot = q.spot.per_kwh();
    c.supplier_markup = settings.supplier_markup;
    c.vat = settings.vat;
    const Lookup net = tariffs.at(Component::net_tariff, q.start);
    const Lookup transmission = tariffs.at(Component::transmission, q.start);
    const Lookup system = tariffs.at(Component::system, q.start);
    const Lookup tax = tariffs.at(Component::elafgift, q.start);
    c.net_tariff = net.value;
    c.transmission = transmission.value;
    c.system = system.value;
    c.elafgift = tax.value;
    c.tariffs_known = net.known && transmission.known && system.known && tax.known;
    c.export_price = c.spot - settings.export_fee;
    out.push_back(c);
  }
  return out;
}

std::vector<ConsumerPrice> fixed_prices(TimeMs from, TimeMs to, DkkPerKwh flat,
                                        const std::vector<TimeOfUse>& periods, DkkPerKwh export_price) {
  std::vector<ConsumerPrice> out;
  for (TimeMs t = from - from % quarter_ms; t < to; t += quarter_ms) {
    ConsumerPrice c;
    c.start = t;
    c.vat = 0;  // the configured price is what the bill says, VAT included
    c.spot = flat;
    const int hour = danish(t).hour;
    for (const auto& p : periods)
      if (hour >= p.from_hour && hour < p.to_hour) c.spot = p.price;
    c.export_price = export_price;
    out.push_back(c);
  }
  return out;
}

}  // namespace hemd::prices
