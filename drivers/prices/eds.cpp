#include "drivers/prices/eds.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "drivers/log/log.h"

namespace hemd::prices {

namespace {

using nlohmann::json;

// The EU harmonised clearing limits are -500 and +4000 EUR/MWh; anything well outside is a broken answer.
constexpr double lowest_dkk_mwh = -5000;
constexpr double highest_dkk_mwh = 40000;

std::string escape(const std::string& text) {
  std::unique_ptr<char, decltype(&curl_free)> e(curl_escape(text.c_str(), static_cast<int>(text.size())),
                                                &curl_free);
  return e ? std::string(e.get()) : text;
}

struct Fields {
  const char* time;
  const char* price;
};

Fields fields_of(const std::string& dataset) {
  if (dataset == "Elspotprices") return {"HourUTC", "SpotPriceDKK"};
  return {"TimeUTC", "DayAheadPriceDKK"};
}

std::optional<json> parse_envelope(const std::string& body, const std::string& dataset,
                                   std::vector<std::string>& problems) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded()) {
    problems.push_back(body.empty() ? "empty answer"
                                    : fmt::format("not valid JSON ({} bytes; truncated?)", body.size()));
    return std::nullopt;
  }
  if (!doc.is_object() || !doc.contains("records") || !doc["records"].is_array()) {
    problems.push_back("no \"records\" array in the answer");
    return std::nullopt;
  }
  if (doc.contains("dataset") && doc["dataset"].is_string() && doc["dataset"] != dataset)
    problems.push_back(fmt::format("answer is for dataset {}, expected {}",
                                   log::quoted(doc["dataset"].get<std::string>()), dataset));
  if (doc.contains("total") && doc["total"].is_number_integer() &&
      doc["total"].get<std::size_t>() > doc["records"].size())
    problems.push_back(fmt::format("answer holds {} of {} records (cut short)", doc["records"].size(),
                                   doc["total"].get<std::size_t>()));
  return doc;
}

}  // namespace

const char* dataset_for(const LocalDate& day) {
  return danish_midnight(day) >= quarter_hour_switch_utc ? "DayAheadPrices" : "Elspotprices";
}

std::string spot_url(const std::string& base, const std::string& dataset, const std::string& area,
                     const LocalDate& from, const LocalDate& to) {
  const std::string time = fields_of(dataset).time;
  return fmt::format("{}/dataset/{}?start={}&end={}&filter={}&sort={}&limit=2000", base, dataset,
                     to_string(from), to_string(to), escape(fmt::format(R"({{"PriceArea":["{}"]}})", area)),
                     escape(time + " asc"));
}

std::string pricelist_url(const std::string& base, const std::string& gln,
                          const std::vector<std::string>& codes) {
  json filter = {{"GLN_Number", {gln}}, {"ChargeTypeCode", codes}};
  return fmt::format("{}/dataset/DatahubPricelist?filter={}&sort={}&limit=500", base, escape(filter.dump()),
                     escape("ValidFrom asc"));
}

Answer<SpotPrice> parse_spot(const std::string& body, const std::string& dataset, const std::string& area) {
  Answer<SpotPrice> a;
  auto doc = parse_envelope(body, dataset, a.problems);
  if (!doc) return a;
  const Fields f = fields_of(dataset);
  std::map<TimeMs, SpotPrice> by_start;
  std::set<TimeMs> unpublished;  // a null price: published as missing, not a hole in the answer
  std::size_t index = 0;
  for (const auto& r : (*doc)["records"]) {
    const std::string where = fmt::format("record {}", index++);
    if (!r.is_object()) {
      a.problems.push_back(where + ": not an object");
      continue;
    }
    if (!r.contains(f.time) || !r[f.time].is_string()) {
      a.problems.push_back(fmt::format("{}: missing {}", where, f.time));
      continue;
    }
    const auto start = parse_utc(r[f.time].get<std::string>());
    if (!start) {
      a.problems.push_back(
          fmt::format("{}: {} {} is not a time", where, f.time, log::quoted(r[f.time].get<std::string>())));
      continue;
    }
    const std::string when = log::quoted(r[f.time].get<std::string>(), 40);
    if (r.contains("PriceArea") && r["PriceArea"] != area)
      a.problems.push_back(fmt::format(
          "{} ({}): price area {}, expected {}", where, when,
          log::quoted(r["PriceArea"].is_string() ? r["PriceArea"].get<std::string>() : r["PriceArea"].dump()),
          area));
    if (!r.contains(f.price)) {
      a.problems.push_back(fmt::format("{} ({}): missing {}", where, when, f.price));
      continue;
    }
    if (r[f.price].is_null()) {
      a.notes.push_back(fmt::format("{}: no price published", when));
      unpublished.insert(*start);
      continue;
    }
    if (!r[f.price].is_number()) {
      a.problems.push_back(fmt::format("{} ({}): {} is {}, expected a number", where, when, f.price,
                                       log::quoted(r[f.price].dump())));
      continue;
    }
    const double dkk = r[f.price].get<double>();
    if (dkk < lowest_dkk_mwh || dkk > highest_dkk_mwh) {
      a.problems.push_back(fmt::format("{} ({}): {} DKK/MWh is outside [{}, {}]", where, when, dkk,
                                       lowest_dkk_mwh, highest_dkk_mwh));
      continue;
    }
    const int duration = dataset == "DayAheadPrices" && *start >= quarter_hour_switch_utc ? 900 : 3600;
    if (!by_start.emplace(*start, SpotPrice{*start, duration, {dkk}}).second)
      a.problems.push_back(fmt::format("{} ({}): the same interval twice", where, when));
  }
  // Answers are whole days; a hole in the middle means a lost or cut answer. A null price is not a hole.
  TimeMs expected = 0;
  for (const auto& [start, p] : by_start) {
    if (expected != 0 && start > expected) {
      if (!unpublished.count(expected))
        a.problems.push_back(fmt::format("gap: nothing from {} to {}", utc_iso(expected), utc_iso(start)));
    }
    expected = start + p.duration_s * 1000LL;
    a.values.push_back(p);
  }
  return a;
}

Answer<TariffRecord> parse_pricelist(const std::string& body) {
  Answer<TariffRecord> a;
  auto doc = parse_envelope(body, "DatahubPricelist", a.problems);
  if (!doc) return a;
  std::size_t index = 0;
  for (const auto& r : (*doc)["records"]) {
    const std::string where = fmt::format("record {}", index++);
    TariffRecord t;
    auto text = [&](const char* key, std::string& out) {
      if (r.contains(key) && r[key].is_string()) out = r[key].get<std::string>();
    };
    text("GLN_Number", t.gln);
    text("ChargeTypeCode", t.code);
    text("Note", t.note);
    std::string from;
    text("ValidFrom", from);
    const auto valid_from = parse_danish(from);
    if (t.code.empty() || !valid_from) {
      a.problems.push_back(fmt::format("{}: missing ChargeTypeCode or ValidFrom", where));
      continue;
    }
    t.valid_from = *valid_from;
    if (r.contains("ValidTo") && r["ValidTo"].is_string())
      t.valid_to = parse_danish(r["ValidTo"].get<std::string>());
    if (!r.contains("Price1") || !r["Price1"].is_number()) {
      a.problems.push_back(
          fmt::format("{} ({} from {}): Price1 missing", where, log::quoted(t.code), log::quoted(from)));
      continue;
    }
    bool bad = false;
    for (int h = 0; h < 24; ++h) {
      const std::string key = fmt::format("Price{}", h + 1);
      const json& v = r.contains(key) ? r[key] : json();
      if (v.is_null()) {
        t.hourly[h] = t.hourly[0];  // DataHub leaves the other hours empty when the price is flat
      } else if (!v.is_number() || v.get<double>() < -10 || v.get<double>() > 10) {
        a.problems.push_back(fmt::format("{} ({} from {}): {} is {}, expected DKK/kWh", where,
                                         log::quoted(t.code), log::quoted(from), key, log::quoted(v.dump())));
        bad = true;
        break;
      } else {
        t.hourly[h] = {v.get<double>()};
      }
    }
    if (!bad) a.values.push_back(std::move(t));
  }
  return a;
}

}  // namespace hemd::prices
