#pragma once
// Prices and tariff records in SQLite: everything fetched is kept, so a restart or an outage of Energi Data
// Service leaves the planner with what was known.
#include <string>
#include <vector>

#include "drivers/prices/eds.h"
#include "drivers/storage/database.h"

namespace hemd::prices {

class PriceCache {
 public:
  explicit PriceCache(storage::Database& db) : db_(db) {}

  // Replaces the intervals that overlap by start; throws storage::StorageError on a database failure.
  void store_spot(const std::string& area, const std::string& source, const std::vector<SpotPrice>& prices,
                  TimeMs fetched);
  std::vector<SpotPrice> spot(const std::string& area, TimeMs from, TimeMs to);
  // When the newest interval for `area` was fetched, 0 if never.
  TimeMs last_fetch(const std::string& area);

  // Replaces everything known for these GLNs with `records`.
  void store_tariffs(const std::vector<std::string>& glns, const std::vector<TariffRecord>& records,
                     TimeMs fetched);
  std::vector<TariffRecord> tariffs(const std::string& gln);
  TimeMs tariffs_fetched(const std::string& gln);

 private:
  void exec(const storage::Statement& s);
  storage::Database& db_;
};

}  // namespace hemd::prices
