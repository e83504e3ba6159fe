#include "drivers/forecast/service.h"

#include <algorithm>
#include <chrono>

#include "drivers/log/log.h"
#include "drivers/prices/http.h"
#include "drivers/storage/tables.h"

namespace hemd::forecast {

namespace {
constexpr TimeMs minute_ms = prices::minute_ms;
}  // namespace

TimeMs retry_delay(int failures) {
  const int doublings = std::clamp(failures - 1, 0, 5);
  return std::min<TimeMs>(5 * minute_ms << doublings, 120 * minute_ms);
}

ForecastService::ForecastService(const config::SolarForecast& cfg, const std::string& db_path,
                                 std::function<TimeMs()> now)
    : cfg_(cfg),
      now_(std::move(now)),
      source_(cfg.service == "forecast.solar" ? "forecast.solar" : "Open-Meteo"),
      db_(storage::Database::open(db_path)) {
  status_.source = source_;
}

ForecastService::~ForecastService() {
  stop();
}

void ForecastService::start() {
  if (cfg_.service == "none" || thread_.joinable()) return;
  thread_ = std::thread([this] { loop(); });
}

void ForecastService::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cancel_ = true;
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool ForecastService::refresh() {
  const bool open_meteo = cfg_.service != "forecast.solar";
  std::vector<std::vector<PvPoint>> arrays;
  std::string error;
  for (std::size_t i = 0; i < cfg_.arrays.size() && error.empty(); ++i) {
    const auto& a = cfg_.arrays[i];
    const auto answer =
        prices::http_get(open_meteo ? open_meteo_url(cfg_, a) : forecast_solar_url(cfg_, a), 20, &cancel_);
    // A refusal still carries the service's reason in its body (a 400 for a bad tilt, a 429's quota).
    const PvAnswer parsed = answer.status == 0 ? PvAnswer{}
                            : open_meteo       ? parse_open_meteo(answer.body, a, cfg_.performance_ratio)
                                               : parse_forecast_solar(answer.body, a);
    if (answer.ok() && parsed.ok()) {
      arrays.push_back(parsed.points);
      continue;
    }
    error = fmt::format("array {} ({:g} kWp): {}", i + 1, a.kwp, answer.describe());
    if (!parsed.problems.empty()) error += ": " + parsed.problems.front();
  }
  const TimeMs now = now_();
  std::lock_guard<std::mutex> lock(mutex_);
  if (!error.empty()) {
    ++status_.failures;
    if (status_.last_error != error)
      log::warning("forecast: {} failed ({}); keeping the last forecast, asking again in {} min", source_,
                   log::quoted(error), retry_delay(status_.failures) / minute_ms);
    status_.last_error = error;
    return false;
  }
  const auto points = add_arrays(arrays);
  std::vector<storage::PvForecastRow> rows;
  double next_day_wh = 0;
  for (const auto& p : points) {
    rows.push_back({p.start, p.end, p.pv_w, source_, now});
    if (p.start >= now && p.start < now + 24 * prices::hour_ms)
      next_day_wh += p.pv_w * (p.end - p.start) / 3.6e6;
  }
  storage::store_pv_forecast(db_, rows, now);
  if (!status_.last_error.empty() || status_.last_success == 0)
    log::notice("forecast: {} answers: {} intervals, {:.1f} kWh over the next 24 hours", source_,
                points.size(), next_day_wh / 1000);
  status_.last_error.clear();
  status_.failures = 0;
  status_.last_success = now;
  return true;
}

std::vector<PvPoint> ForecastService::forecast(TimeMs from, TimeMs to) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<PvPoint> out;
  for (const auto& r : storage::pv_forecast(db_, from, to)) out.push_back({r.start_ms, r.end_ms, r.pv_w});
  return out;
}

ForecastStatus ForecastService::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}

void ForecastService::loop() {
  for (;;) {
    // A service's answer, or the database, that throws is logged and dropped: the thread (and hemd) goes on
    // with the forecast it has.
    try {
      refresh();
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(mutex_);
      ++status_.failures;
      if (status_.last_error != e.what()) log::error("forecast: {}", log::quoted(e.what()));
      status_.last_error = e.what();
    }
    TimeMs wait;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      wait = status_.failures > 0 ? retry_delay(status_.failures) : TimeMs{cfg_.refresh_min} * minute_ms;
    }
    std::unique_lock<std::mutex> lock(mutex_);
    if (wake_.wait_for(lock, std::chrono::milliseconds(wait), [this] { return stopping_; })) return;
  }
}

}  // namespace hemd::forecast
