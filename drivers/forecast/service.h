#pragma once
// Keeps the PV forecast current: asks the configured service for each array every `refresh_min`, backing off
// after a failure (a rate-limited or broken service is not hammered), stores what came in SQLite (its own
// connection) and hands out the latest forecast. A failed request keeps the last forecast in force and is
// logged once per episode; hemd plans on the site's own history when there is no forecast at all.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "drivers/forecast/solar.h"
#include "drivers/storage/database.h"

namespace hemd::forecast {

struct ForecastStatus {
  std::string source;       // "Open-Meteo", "forecast.solar"
  TimeMs last_success = 0;  // of a complete fetch (every array)
  std::string last_error;   // empty when the last attempt succeeded
  int failures = 0;         // consecutive failed attempts
};

// The delay before the next attempt after `failures` consecutive failures: 5, 10, 20 ... 120 minutes.
TimeMs retry_delay(int failures);

class ForecastService {
 public:
  // Opens its own connection to the database at `db_path`; throws storage::StorageError.
  ForecastService(const config::SolarForecast& cfg, const std::string& db_path, std::function<TimeMs()> now);
  ~ForecastService();
  ForecastService(const ForecastService&) = delete;
  ForecastService& operator=(const ForecastService&) = delete;

  void start();  // the fetching thread; without it the service answers from the database only
  void stop();

  // Asks the service for every array now, in the caller's thread; false (and the status says why) on failure.
  bool refresh();

  // The forecast for the intervals that begin in [from, to), in time order: the latest fetch for what is
  // still to come, and what was forecast before it began for the past.
  std::vector<PvPoint> forecast(TimeMs from, TimeMs to);
  ForecastStatus status() const;

 private:
  void loop();

  config::SolarForecast cfg_;
  std::function<TimeMs()> now_;
  std::string source_;

  mutable std::mutex mutex_;  // guards everything below
  storage::Database db_;
  ForecastStatus status_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<bool> cancel_{false};  // ends a request in flight when hemd stops
  std::thread thread_;
};

}  // namespace hemd::forecast
