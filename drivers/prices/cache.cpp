#include "drivers/prices/cache.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace hemd::prices {

namespace {

TimeMs as_ms(const std::optional<std::string>& v) {
  return v ? std::stoll(*v) : 0;
}

// Commits on scope exit unless rolled back by an exception.
struct Transaction {
  explicit Transaction(storage::Database& db) : db(db) { db.exec("BEGIN IMMEDIATE"); }
  ~Transaction() {
    try {
      db.exec(done ? "COMMIT" : "ROLLBACK");
    } catch (...) {
    }
  }
  storage::Database& db;
  bool done = false;
};

}  // namespace

void PriceCache::exec(const storage::Statement& s) {
  std::string error;
  const int rc = db_.run(s, error);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    throw storage::StorageError(fmt::format("{}: price cache: {}", db_.path(), error));
}

void PriceCache::store_spot(const std::string& area, const std::string& source,
                            const std::vector<SpotPrice>& prices, TimeMs fetched) {
  if (prices.empty()) return;
  Transaction tx(db_);
  // An hourly row and the quarter-hours that replace it must not both stand.
  exec({"DELETE FROM prices WHERE area = ? AND start_ms >= ? AND start_ms < ?",
        {area, prices.front().start, TimeMs{prices.back().start + prices.back().duration_s * 1000}}});
  for (const auto& p : prices)
    exec(
        {"INSERT INTO prices (area, start_ms, duration_s, spot_dkk_mwh, source, fetched_ms) VALUES "
         "(?,?,?,?,?,?)",
         {area, p.start, static_cast<std::int64_t>(p.duration_s), p.spot.value, source, fetched}});
  tx.done = true;
}

std::vector<SpotPrice> PriceCache::spot(const std::string& area, TimeMs from, TimeMs to) {
  std::vector<SpotPrice> out;
  for (const auto& row :
       db_.query({"SELECT start_ms, duration_s, spot_dkk_mwh FROM prices WHERE area = ? AND "
                  "start_ms + duration_s * 1000 > ? AND start_ms < ? AND spot_dkk_mwh IS NOT NULL "
                  "ORDER BY start_ms",
                  {area, from, to}}))
    out.push_back({as_ms(row[0]), static_cast<int>(as_ms(row[1])), {std::stod(*row[2])}});
  return out;
}

TimeMs PriceCache::last_fetch(const std::string& area) {
  auto rows = db_.query({"SELECT MAX(fetched_ms) FROM prices WHERE area = ?", {area}});
  return rows.empty() ? 0 : as_ms(rows[0][0]);
}

void PriceCache::store_tariffs(const std::vector<std::string>& glns, const std::vector<TariffRecord>& records,
                               TimeMs fetched) {
  Transaction tx(db_);
  for (const auto& gln : glns) exec({"DELETE FROM tariffs WHERE gln = ?", {gln}});
  for (const auto& r : records) {
    nlohmann::json hourly = nlohmann::json::array();
    for (const auto& h : r.hourly) hourly.push_back(h.value);
    exec(
        {"INSERT OR REPLACE INTO tariffs (gln, code, note, valid_from_ms, valid_to_ms, hourly_json, "
         "fetched_ms) "
         "VALUES (?,?,?,?,?,?,?)",
         {r.gln, r.code, r.note, r.valid_from,
          r.valid_to ? storage::Value(*r.valid_to) : storage::Value(nullptr), hourly.dump(), fetched}});
  }
  tx.done = true;
}

std::vector<TariffRecord> PriceCache::tariffs(const std::string& gln) {
  std::vector<TariffRecord> out;
  for (const auto& row : db_.query({"SELECT code, note, valid_from_ms, valid_to_ms, hourly_json FROM tariffs "
                                    "WHERE gln = ? ORDER BY valid_from_ms",
                                    {gln}})) {
    TariffRecord r;
    r.gln = gln;
    r.code = row[0].value_or("");
    r.note = row[1].value_or("");
    r.valid_from = as_ms(row[2]);
    if (row[3]) r.valid_to = as_ms(row[3]);
    const auto hourly = nlohmann::json::parse(row[4].value_or("[]"), nullptr, false);
    if (!hourly.is_array() || hourly.size() != 24) continue;
    for (std::size_t h = 0; h < 24; ++h) r.hourly[h] = {hourly[h].get<double>()};
    out.push_back(std::move(r));
  }
  return out;
}

TimeMs PriceCache::tariffs_fetched(const std::string& gln) {
  auto rows = db_.query({"SELECT MAX(fetched_ms) FROM tariffs WHERE gln = ?", {gln}});
  return rows.empty() ? 0 : as_ms(rows[0][0]);
}

}  // namespace hemd::prices
