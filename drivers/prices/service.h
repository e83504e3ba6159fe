#pragma once
// Keeps the household's prices current: fetches spot prices and tariffs on the publication schedule, caches
// them in SQLite (its own connection) and hands out consumer prices. Bad answers are logged and the cache
// stays in force; with nothing known at all the planner runs on PV only.
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "drivers/prices/cache.h"
#include "drivers/prices/consumer_price.h"
#include "drivers/prices/fetch_schedule.h"
#include "drivers/prices/tariffs.h"

namespace hemd::prices {

struct PriceStatus {
  std::string source;       // "Energi Data Service DK1", "fixed"
  TimeMs last_success = 0;  // of a spot-price fetch
  std::string last_error;   // empty when the last attempt succeeded
  std::string last_answer;  // what the last spot-price answer held, when it lacked a day still wanted
  bool tariffs_from_datahub = false;
};

// Danish tariffs and taxes apply only in the Danish bidding zones.
bool in_denmark(const config::Prices& cfg);

// The tariff layers for this config: YAML first, then DataHub records, then the built-in rates.
TariffBook tariff_book(const config::Prices& cfg, const std::vector<TariffRecord>& grid,
                       const std::vector<TariffRecord>& energinet);

class PriceService {
 public:
  // Opens its own connection to the database at `db_path`; throws storage::StorageError.
  PriceService(const config::Prices& cfg, const std::string& db_path, std::function<TimeMs()> now);
  ~PriceService();
  PriceService(const PriceService&) = delete;
  PriceService& operator=(const PriceService&) = delete;

  void start();  // the fetching thread; without it the service answers from the cache only
  void stop();

  // One round of whatever is due (or everything with force), in the caller's thread. Returns false when a
  // request failed.
  bool refresh(bool force = false);

  // Spot prices of the Danish days [from, to) into the cache; false (and `error` says why) on any failure.
  bool fetch_days(const LocalDate& from, const LocalDate& to, std::string& error);

  // Consumer prices of the intervals that overlap [from, to), in time order.
  std::vector<ConsumerPrice> prices(TimeMs from, TimeMs to) const;
  PriceStatus status() const;

 private:
  bool fetch_spot(TimeMs now);
  bool fetch_entsoe(const LocalDate& from, const LocalDate& to, std::string& error);
  bool fetch_tariffs(TimeMs now);
  void reload();  // cache -> memory
  void loop();
  bool day_complete(const LocalDate& day) const;

  config::Prices cfg_;
  std::function<TimeMs()> now_;
  storage::Database db_;
  PriceCache cache_;
  std::mt19937 random_;

  mutable std::mutex mutex_;  // guards everything below
  std::vector<SpotPrice> spot_;
  std::shared_ptr<const TariffBook> book_;
  PriceStatus status_;
  FetchState spot_state_;
  FetchState tariff_state_;
  TimeMs tariffs_fetched_ = 0;
  std::size_t received_ = 0;  // spot intervals in the answers of the last fetch_days

  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hemd::prices
