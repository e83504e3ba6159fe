#include "drivers/forecast/solar.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "drivers/log/log.h"

namespace hemd::forecast {

namespace {

using json = nlohmann::json;
constexpr TimeMs quarter_ms = 15 * prices::minute_ms;
// An answer spans two or three days; more points than a week of minutes is not a forecast.
constexpr std::size_t max_points = 7 * 24 * 60;

std::string base_or(const config::SolarForecast& f, const char* fallback) {
  std::string base = f.url.empty() ? fallback : f.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

// The most an array can give: its peak power in full sun, with room for cold, bright edge-of-cloud moments.
double ceiling_w(const config::PvArray& a) {
  return a.kwp * 1000 * 1.3;
}

json parse_json(const std::string& body, PvAnswer& out) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded())
    out.problems.push_back(body.empty() ? "empty answer"
                                        : fmt::format("not valid JSON ({} bytes; truncated?)", body.size()));
  else if (!doc.is_object())
    out.problems.push_back("the answer is not a JSON object");
  return doc;
}

// A service's own error message, when it sent one, quoted and short.
void service_error(const json& doc, const char* key, PvAnswer& out) {
  const auto it = doc.find(key);
  if (it != doc.end() && it->is_string())
    out.problems.push_back("the service says " + log::quoted(it->get<std::string>()));
}

}  // namespace

std::string open_meteo_url(const config::SolarForecast& f, const config::PvArray& a) {
  return fmt::format(
      "{}/v1/forecast?latitude={:.4f}&longitude={:.4f}&minutely_15=global_tilted_irradiance&tilt={:g}"
      "&azimuth={:g}&timeformat=unixtime&timezone=GMT&forecast_days=3",
      base_or(f, "https://api.open-meteo.com"), f.latitude, f.longitude, a.tilt_deg, a.azimuth_deg);
}

PvAnswer parse_open_meteo(const std::string& body, const config::PvArray& a, double performance_ratio) {
  PvAnswer out;
  const json doc = parse_json(body, out);
  if (!out.problems.empty()) return out;
  if (doc.value("error", false) == true) {
    service_error(doc, "reason", out);
    if (out.problems.empty()) out.problems.push_back("the service answered with an error");
    return out;
  }
  const auto block = doc.find("minutely_15");
  if (block == doc.end() || !block->is_object()) {
    out.problems.push_back("no \"minutely_15\" object in the answer");
    return out;
  }
  const auto times = block->find("time");
  const auto gti = block->find("global_tilted_irradiance");
  if (times == block->end() || gti == block->end() || !times->is_array() || !gti->is_array()) {
    out.problems.push_back("no \"time\" and \"global_tilted_irradiance\" arrays in \"minutely_15\"");
    return out;
  }
  if (times->size() != gti->size() || times->size() > max_points) {
    out.problems.push_back(fmt::format("{} times for {} irradiance values", times->size(), gti->size()));
    return out;
  }
  std::size_t unusable = 0;
  const double ceiling = ceiling_w(a);
  for (std::size_t i = 0; i < times->size(); ++i) {
    const json& t = (*times)[i];
    const json& g = (*gti)[i];
    // Irradiance is the mean of the quarter-hour that ends at the time given.
    if (!t.is_number_integer() || !g.is_number()) {
      ++unusable;  // a null: the model has no value for this quarter-hour
      continue;
    }
    const std::int64_t end_s = t.get<std::int64_t>();
    const double w_m2 = g.get<double>();
    if (end_s < 946684800 || end_s > 4102444800 || end_s % 900 != 0 || !std::isfinite(w_m2) || w_m2 > 1500) {
      out.problems.push_back(fmt::format("value {} at {} is not a quarter-hour's irradiance",
                                         log::quoted(g.dump()), log::quoted(t.dump())));
      return out;
    }
    const TimeMs end = end_s * 1000;
    if (!out.points.empty() && end - quarter_ms < out.points.back().end) {
      out.problems.push_back("the times are not in order");
      return out;
    }
    // The model's small negative values at dusk are noise, not the modules drawing power.
    const double pv_w = std::clamp(a.kwp * w_m2 * performance_ratio, 0.0, ceiling);
    out.points.push_back({end - quarter_ms, end, pv_w});
  }
  if (out.points.empty() && out.problems.empty())
    out.problems.push_back(fmt::format("no usable quarter-hour ({} without a value)", unusable));
  return out;
}

std::string forecast_solar_url(const config::SolarForecast& f, const config::PvArray& a) {
  return fmt::format("{}/estimate/{:.4f}/{:.4f}/{:g}/{:g}/{:g}?time=utc",
                     base_or(f, "https://api.forecast.solar"), f.latitude, f.longitude, a.tilt_deg,
                     a.azimuth_deg, a.kwp);
}

PvAnswer parse_forecast_solar(const std::string& body, const config::PvArray& a) {
  PvAnswer out;
  const json doc = parse_json(body, out);
  if (!out.problems.empty()) return out;
  const json* watts = nullptr;
  if (const auto result = doc.find("result"); result != doc.end() && result->is_object())
    if (const auto w = result->find("watts"); w != result->end() && w->is_object()) watts = &*w;
  if (!watts) {
    const auto message = doc.find("message");
    if (message != doc.end() && message->is_object()) service_error(*message, "text", out);
    out.problems.push_back("no \"result.watts\" object in the answer");
    return out;
  }
  if (watts->size() > max_points) {
    out.problems.push_back(fmt::format("{} values: not a forecast", watts->size()));
    return out;
  }
  std::map<TimeMs, double> instants;
  const double ceiling = ceiling_w(a);
  for (const auto& [key, value] : watts->items()) {
    std::string iso = key;
    std::replace(iso.begin(), iso.end(), ' ', 'T');
    // With time=utc the keys carry their offset; without it they are the site's (Danish) wall time.
    const auto at = key.find('T') != std::string::npos ? prices::parse_utc(iso) : prices::parse_danish(iso);
    if (!at || !value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < 0 ||
        value.get<double>() > ceiling) {
      out.problems.push_back(
          fmt::format("{}: {} is not a time and a power", log::quoted(key), log::quoted(value.dump())));
      return out;
    }
    instants[*at] = value.get<double>();
  }
  // Power at instants (sunrise, each hour, sunset) into quarter-hour means: linear between the instants, the
  // mean of each quarter-hour taken at its middle.
  for (auto it = instants.begin(); it != instants.end() && std::next(it) != instants.end(); ++it) {
    const auto next = std::next(it);
    if (next->first - it->first > 6 * prices::hour_ms) continue;  // the night between two days' answers
    for (TimeMs q = it->first - it->first % quarter_ms; q < next->first; q += quarter_ms) {
      const TimeMs mid = q + quarter_ms / 2;
      if (mid < it->first || mid >= next->first) continue;
      const double f = double(mid - it->first) / double(next->first - it->first);
      out.points.push_back({q, q + quarter_ms, it->second + f * (next->second - it->second)});
    }
  }
  if (out.points.empty()) out.problems.push_back("no two instants to forecast between");
  return out;
}

std::vector<PvPoint> add_arrays(const std::vector<std::vector<PvPoint>>& arrays) {
  std::map<TimeMs, std::pair<PvPoint, std::size_t>> sum;
  for (const auto& list : arrays)
    for (const auto& p : list) {
      auto& [point, n] = sum.try_emplace(p.start, PvPoint{p.start, p.end, 0.0}, 0).first->second;
      point.pv_w += p.pv_w;
      ++n;
    }
  std::vector<PvPoint> out;
  for (const auto& [start, entry] : sum)
    if (entry.second == arrays.size()) out.push_back(entry.first);
  return out;
}

}  // namespace hemd::forecast
