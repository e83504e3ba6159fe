#include "drivers/prices/entsoe.h"

#include <date/date.h>
#include <fmt/format.h>
#include <tinyxml2.h>

#include <map>

#include "drivers/log/log.h"

namespace hemd::prices {

namespace {

using tinyxml2::XMLElement;

const char* text_of(const XMLElement* parent, const char* child) {
  const XMLElement* e = parent ? parent->FirstChildElement(child) : nullptr;
  return e && e->GetText() ? e->GetText() : "";
}

int resolution_minutes(const std::string& r) {
  if (r == "PT15M") return 15;
  if (r == "PT30M") return 30;
  if (r == "PT60M" || r == "PT1H") return 60;
  return 0;
}

std::string compact_utc(TimeMs t) {
  const date::sys_time<std::chrono::milliseconds> tp{std::chrono::milliseconds{t}};
  return date::format("%Y%m%d%H%M", date::floor<std::chrono::minutes>(tp));
}

constexpr double lowest_eur_mwh = -700, highest_eur_mwh = 5000;  // beyond the harmonised clearing limits
constexpr TimeMs max_period_ms = 7 * 86'400'000LL;
constexpr std::size_t max_intervals = 31 * 96;  // a month of quarter-hours

}  // namespace

std::optional<std::string> bidding_zone_eic(const std::string& area) {
  static const std::map<std::string, std::string> zones = {
      {"DK1", "10YDK-1--------W"}, {"DK2", "10YDK-2--------M"}, {"SE3", "10Y1001A1001A46L"},
      {"SE4", "10Y1001A1001A47J"}, {"NO2", "10YNO-2--------T"}, {"DE-LU", "10Y1001A1001A82H"},
      {"NL", "10YNL----------L"},  {"FI", "10YFI-1--------U"}};
  auto it = zones.find(area);
  if (it == zones.end()) return std::nullopt;
  return it->second;
}

std::string entsoe_url(const std::string& base, const std::string& token, const std::string& eic, TimeMs from,
                       TimeMs to) {
  return fmt::format(
      "{}/api?securityToken={}&documentType=A44&in_Domain={}&out_Domain={}&periodStart={}&periodEnd={}", base,
      token, eic, eic, compact_utc(from), compact_utc(to));
}

Answer<SpotPrice> parse_entsoe(const std::string& xml, double dkk_per_eur) {
  Answer<SpotPrice> a;
  tinyxml2::XMLDocument doc;
  if (xml.empty()) {
    a.problems.push_back("empty answer");
    return a;
  }
  if (doc.Parse(xml.data(), xml.size()) != tinyxml2::XML_SUCCESS || !doc.RootElement()) {
    a.problems.push_back(fmt::format("not valid XML ({} bytes; truncated?)", xml.size()));
    return a;
  }
  const XMLElement* root = doc.RootElement();
  const std::string kind = root->Name();
  if (kind == "Acknowledgement_MarketDocument") {
    const std::string reason = text_of(root->FirstChildElement("Reason"), "text");
    if (reason.find("No matching data") == std::string::npos)
      a.problems.push_back("ENTSO-E refused the request: " +
                           (reason.empty() ? std::string("no reason") : log::quoted(reason)));
    return a;
  }
  if (kind != "Publication_MarketDocument") {
    a.problems.push_back(
        fmt::format("answer is a {}, expected a Publication_MarketDocument", log::quoted(kind, 60)));
    return a;
  }
  std::map<TimeMs, SpotPrice> by_start;
  int series = 0;
  for (const XMLElement* ts = root->FirstChildElement("TimeSeries"); ts;
       ts = ts->NextSiblingElement("TimeSeries")) {
    ++series;
    const std::string currency = text_of(ts, "currency_Unit.name"),
                      unit = text_of(ts, "price_Measure_Unit.name");
    if (currency != "EUR" || unit != "MWH") {
      a.problems.push_back(fmt::format("series {}: prices in {}/{}, expected EUR/MWH", series,
                                       log::quoted(currency, 20), log::quoted(unit, 20)));
      continue;
    }
    for (const XMLElement* p = ts->FirstChildElement("Period"); p; p = p->NextSiblingElement("Period")) {
      const XMLElement* interval = p->FirstChildElement("timeInterval");
      const auto start = parse_utc(text_of(interval, "start")), end = parse_utc(text_of(interval, "end"));
      const int minutes = resolution_minutes(text_of(p, "resolution"));
      if (!start || !end || minutes == 0 || *end <= *start) {
        a.problems.push_back(
            fmt::format("series {}: period without a valid timeInterval or resolution", series));
        continue;
      }
      // hemd asks for a few days; a period of years at PT15M would take the price thread minutes and
      // gigabytes to spell out (found by the prices fuzz target).
      if (*end - *start > max_period_ms) {
        a.problems.push_back(
            fmt::format("series {}: a period of {} days, longer than any answer hemd asks for", series,
                        (*end - *start) / 86'400'000));
        continue;
      }
      const int count = static_cast<int>((*end - *start) / (minutes * minute_ms));
      std::map<int, double> points;
      for (const XMLElement* pt = p->FirstChildElement("Point"); pt; pt = pt->NextSiblingElement("Point")) {
        int position = 0;
        double eur = 0;
        const XMLElement* pos = pt->FirstChildElement("position");
        const XMLElement* amount = pt->FirstChildElement("price.amount");
        if (!pos || !amount || pos->QueryIntText(&position) != tinyxml2::XML_SUCCESS ||
            amount->QueryDoubleText(&eur) != tinyxml2::XML_SUCCESS) {
          a.problems.push_back(fmt::format("series {}: a Point without position or price.amount", series));
          continue;
        }
        if (position < 1 || position > count)
          a.problems.push_back(fmt::format("series {}: position {} outside 1..{}", series, position, count));
        else if (eur < lowest_eur_mwh || eur > highest_eur_mwh)
          a.problems.push_back(fmt::format("series {}: {} EUR/MWh is outside [{}, {}]", series, eur,
                                           lowest_eur_mwh, highest_eur_mwh));
        else if (!points.emplace(position, eur).second)
          a.problems.push_back(fmt::format("series {}: position {} twice", series, position));
      }
      if (points.empty() || points.begin()->first != 1) {
        a.problems.push_back(
            fmt::format("series {}: period starting {} has no first position", series, utc_iso(*start)));
        continue;
      }
      double price = 0;
      for (int pos = 1; pos <= count; ++pos) {
        if (auto it = points.find(pos); it != points.end()) price = it->second;  // else as before (A03)
        const TimeMs t = *start + (pos - 1) * minutes * minute_ms;
        SpotPrice sp{t, minutes * 60, {price * dkk_per_eur}};
        if (by_start.size() >= max_intervals) {
          a.problems.push_back(fmt::format("more than {} intervals in one answer", max_intervals));
          return a;
        }
        auto [at, fresh] = by_start.emplace(t, sp);
        if (!fresh && at->second.spot.value != sp.spot.value)
          a.problems.push_back(fmt::format("{}: two different prices", utc_iso(t)));
      }
    }
  }
  for (const auto& [t, p] : by_start) a.values.push_back(p);
  return a;
}

}  // namespace hemd::prices
