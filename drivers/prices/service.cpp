#include "drivers/prices/service.h"

#include <algorithm>
#include <chrono>

#include "drivers/log/log.h"
#include "drivers/prices/entsoe.h"
#include "drivers/prices/http.h"

namespace hemd::prices {

namespace {

Rate config_rate(const config::GridTariff& g) {
  Rate r;
  r.valid_from = danish_midnight(*parse_date(g.valid_from));
  if (!g.valid_to.empty()) r.valid_to = danish_midnight(*parse_date(g.valid_to));
  if (g.season == "winter") r.months = {10, 11, 12, 1, 2, 3};
  if (g.season == "summer") r.months = {4, 5, 6, 7, 8, 9};
  for (const auto& p : g.periods)
    for (int h = p.from_hour; h < p.to_hour; ++h) r.hourly[static_cast<std::size_t>(h)] = {p.dkk_kwh};
  r.source = "config line " + std::to_string(g.line);
  return r;
}

Layer config_override(Component c, double dkk_kwh, const char* source = "config (prices.taxes)") {
  Rate r;
  r.hourly.fill({dkk_kwh});
  r.source = source;
  return {"config", {{to_string(c), {r}}}};
}

std::string list_problems(const std::vector<std::string>& problems) {
  std::string out;
  const std::size_t shown = std::min<std::size_t>(problems.size(), 5);
  for (std::size_t i = 0; i < shown; ++i) out += (i ? "; " : "") + problems[i];
  if (problems.size() > shown) out += fmt::format("; and {} more", problems.size() - shown);
  return out;
}

}  // namespace

bool in_denmark(const config::Prices& cfg) {
  return cfg.area == "DK1" || cfg.area == "DK2";
}

TariffBook tariff_book(const config::Prices& cfg, const std::vector<TariffRecord>& grid,
                       const std::vector<TariffRecord>& energinet) {
  TariffBook book;
  if (!cfg.grid_tariff.empty()) {
    Layer layer{"config", {{"net tariff", {}}}};
    for (const auto& g : cfg.grid_tariff) layer.lines.front().rates.push_back(config_rate(g));
    book.add(Component::net_tariff, std::move(layer));
  } else if (!grid.empty()) {
    book.add(Component::net_tariff, datahub_net_tariff(grid));
  }
  const std::pair<Component, const std::optional<double>*> overrides[] = {
      {Component::elafgift, &cfg.elafgift_dkk_kwh},
      {Component::transmission, &cfg.transmission_tariff_dkk_kwh},
      {Component::system, &cfg.system_tariff_dkk_kwh}};
  auto fetched = datahub_energinet(energinet);
  for (const auto& [c, value] : overrides) {
    if (*value) book.add(c, config_override(c, **value));
    if (!in_denmark(cfg)) continue;
    if (auto it = fetched.find(c); it != fetched.end()) book.add(c, it->second);
    book.add(c, builtin_rates(c));
  }
  // Outside Denmark only what the config states applies; the rest is zero, and known to be.
  if (!in_denmark(cfg))
    for (Component c : components) book.add(c, config_override(c, 0.0, "not applied outside Denmark"));
  return book;
}

PriceService::PriceService(const config::Prices& cfg, const std::string& db_path, std::function<TimeMs()> now)
    : cfg_(cfg),
      now_(std::move(now)),
      db_(storage::Database::open(db_path)),
      cache_(db_),
      random_(std::random_device{}()) {
  status_.source = cfg_.provider == "fixed"    ? "fixed price"
                   : cfg_.provider == "entsoe" ? "ENTSO-E " + cfg_.area
                                               : "Energi Data Service " + cfg_.area;
  if (in_denmark(cfg_) && cfg_.provider != "fixed" && cfg_.grid_tariff.empty() &&
      (cfg_.grid_company_gln.empty() || cfg_.grid_tariff_codes.empty()))
    log::warning(
        "prices: no grid tariff configured (prices.grid_company_gln + grid_tariff_codes, or "
        "prices.grid_tariff); "
        "consumer prices leave the net tariff out");
  reload();
}

PriceService::~PriceService() {
  stop();
}

void PriceService::start() {
  if (cfg_.provider == "fixed" || thread_.joinable()) return;
  thread_ = std::thread([this] { loop(); });
}

void PriceService::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool PriceService::day_complete(const LocalDate& day) const {
  const TimeMs from = danish_midnight(day), to = danish_midnight(next_day(day));
  TimeMs covered = 0;
  for (const auto& p : spot_)
    if (p.start >= from && p.start < to) covered += p.duration_s * 1000LL;
  return covered >= to - from;
}

void PriceService::reload() {
  const TimeMs now = now_();
  const LocalDate today = danish(now).date;
  auto spot =
      cache_.spot(cfg_.area, danish_midnight(next_day(today, -1)), danish_midnight(next_day(today, 3)));
  std::vector<TariffRecord> grid;
  if (!cfg_.grid_company_gln.empty()) grid = cache_.tariffs(cfg_.grid_company_gln);
  auto energinet = cache_.tariffs(energinet_gln);
  auto book = std::make_shared<const TariffBook>(tariff_book(cfg_, grid, energinet));
  std::lock_guard<std::mutex> lock(mutex_);
  spot_ = std::move(spot);
  book_ = std::move(book);
  status_.tariffs_from_datahub = !energinet.empty();
  spot_state_.have_today = day_complete(today);
  spot_state_.have_tomorrow = day_complete(next_day(today));
  tariffs_fetched_ =
      std::max(cache_.tariffs_fetched(energinet_gln),
               cfg_.grid_company_gln.empty() ? TimeMs{0} : cache_.tariffs_fetched(cfg_.grid_company_gln));
}

bool PriceService::fetch_days(const LocalDate& first, const LocalDate& end, std::string& error) {
  received_ = 0;
  if (cfg_.provider == "entsoe") return fetch_entsoe(first, end, error);
  bool ok = true;
  // The 2025-10-01 switch to quarter-hours changed the dataset: ask each dataset for its own days.
  LocalDate from = first;
  while (from < end) {
    LocalDate to = next_day(from);
    while (to < end && std::string(dataset_for(to)) == dataset_for(from)) to = next_day(to);
    const std::string dataset = dataset_for(from);
    const std::string what = fmt::format("{} {} {}..{}", dataset, cfg_.area, to_string(from), to_string(to));
    const HttpResult res =
        http_get(spot_url(cfg_.base_url, dataset, cfg_.area, from, to), cfg_.fetch_timeout_s);
    if (!res.ok()) {
      ok = false;
      error = fmt::format("{}: {}", what, res.describe());
    } else {
      auto answer = parse_spot(res.body, dataset, cfg_.area);
      received_ += answer.values.size();
      for (const auto& n : answer.notes) log::info("prices: {}: {}", what, n);
      if (!answer.ok()) {
        ok = false;
        error = fmt::format("{}: rejected: {}", what, list_problems(answer.problems));
      } else {
        try {
          cache_.store_spot(cfg_.area, dataset, answer.values, now_());
          log::info("prices: {}: {} intervals", what, answer.values.size());
        } catch (const storage::StorageError& e) {
          ok = false;
          error = e.what();
        }
      }
    }
    from = to;
  }
  reload();
  return ok;
}

bool PriceService::fetch_entsoe(const LocalDate& first, const LocalDate& end, std::string& error) {
  const std::string what = fmt::format("ENTSO-E {} {}..{}", cfg_.area, to_string(first), to_string(end));
  const auto eic = bidding_zone_eic(cfg_.area);
  if (!eic) {
    error = fmt::format("{}: no EIC code known for this bidding zone", what);
    return false;
  }
  const HttpResult res = http_get(
      entsoe_url(cfg_.base_url, cfg_.entsoe_token, *eic, danish_midnight(first), danish_midnight(end)),
      cfg_.fetch_timeout_s);
  // ENTSO-E explains a refusal (bad token, bad zone) in an XML body, also with HTTP 400 or 401.
  auto answer = parse_entsoe(res.body, cfg_.dkk_per_eur);
  if (res.ok()) received_ = answer.values.size();
  bool ok = res.ok() && answer.ok();
  if (!res.ok())
    error = fmt::format("{}: {}{}", what, res.describe(),
                        answer.problems.empty() ? "" : " (" + list_problems(answer.problems) + ")");
  else if (!answer.ok())
    error = fmt::format("{}: rejected: {}", what, list_problems(answer.problems));
  if (ok) {
    try {
      cache_.store_spot(cfg_.area, "ENTSO-E", answer.values, now_());
      log::info("prices: {}: {} intervals", what, answer.values.size());
    } catch (const storage::StorageError& e) {
      ok = false;
      error = e.what();
    }
  }
  reload();
  return ok;
}

bool PriceService::fetch_spot(TimeMs now) {
  const LocalDate today = danish(now).date;
  std::string error;
  const bool ok = fetch_days(today, next_day(today, 2), error);
  std::lock_guard<std::mutex> lock(mutex_);
  spot_state_.last_attempt = now;
  if (ok) status_.last_success = now;
  status_.last_error = error;
  // An answer without tomorrow's prices after 13:00 is not an error, but it is asked again on the same
  // back-off so the service is not hammered until they appear.
  const bool still_wanted =
      !spot_state_.have_today || (!spot_state_.have_tomorrow && now >= publication_time(now));
  spot_state_.failures = ok && !still_wanted ? 0 : spot_state_.failures + 1;
  const TimeMs retry = retry_delay(spot_state_.failures, 0);
  // Say what came: an empty list, or prices that stop short of today, is not "not published yet".
  status_.last_answer.clear();
  if (ok && still_wanted && received_ == 0)
    status_.last_answer = fmt::format("{} answered with no prices at all for {}..{}", status_.source,
                                      to_string(today), to_string(next_day(today, 2)));
  else if (ok && !spot_state_.have_today)
    status_.last_answer = fmt::format("{} answered with {} intervals, which do not cover today ({})",
                                      status_.source, received_, to_string(today));
  if (!ok)
    log::warning("prices: {}; {} in force; next try in about {} min", error,
                 spot_.empty() ? "no prices known, planning on PV only" : "cached prices stay",
                 retry / minute_ms);
  else if (!status_.last_answer.empty())
    log::warning("prices: {}; {}; asking again in about {} min", status_.last_answer,
                 spot_.empty() ? "no prices known, planning on PV only" : "cached prices stay",
                 retry / minute_ms);
  else if (still_wanted)
    log::info(
        "prices: {}'s prices are not published yet ({} intervals came, none for that day); asking again "
        "in about {} min",
        to_string(next_day(today)), received_, retry / minute_ms);
  return ok;
}

bool PriceService::fetch_tariffs(TimeMs now) {
  struct Request {
    std::string gln;
    std::vector<std::string> codes;
  };
  std::vector<Request> requests = {{energinet_gln, {"40000", "41000", "EA-001"}}};
  if (cfg_.grid_tariff.empty() && !cfg_.grid_company_gln.empty() && !cfg_.grid_tariff_codes.empty())
    requests.push_back({cfg_.grid_company_gln, cfg_.grid_tariff_codes});
  bool ok = true;
  for (const auto& r : requests) {
    const HttpResult res = http_get(pricelist_url(cfg_.base_url, r.gln, r.codes), cfg_.fetch_timeout_s);
    std::string error;
    if (!res.ok()) {
      error = res.describe();
    } else {
      auto answer = parse_pricelist(res.body);
      if (!answer.ok()) {
        error = "rejected: " + list_problems(answer.problems);
      } else if (answer.values.empty()) {
        error = "no records (check prices.grid_company_gln and grid_tariff_codes)";
      } else {
        try {
          cache_.store_tariffs({r.gln}, answer.values, now);
        } catch (const storage::StorageError& e) {
          error = e.what();
        }
      }
    }
    if (!error.empty()) {
      ok = false;
      log::warning("prices: DatahubPricelist GLN {}: {}; the last known tariffs stay in force", r.gln, error);
    }
  }
  reload();
  std::lock_guard<std::mutex> lock(mutex_);
  tariff_state_.last_attempt = now;
  tariff_state_.failures = ok ? 0 : tariff_state_.failures + 1;
  return ok;
}

bool PriceService::refresh(bool force) {
  if (cfg_.provider == "fixed") return true;
  const TimeMs now = now_();
  double jitter = std::uniform_real_distribution<double>(-1, 1)(random_);
  FetchState spot, tariffs;
  TimeMs tariffs_fetched = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    spot = spot_state_;
    tariffs = tariff_state_;
    tariffs_fetched = tariffs_fetched_;
  }
  bool ok = true;
  if (in_denmark(cfg_) && (force || next_tariff_fetch(tariffs_fetched, tariffs, jitter) <= now))
    ok &= fetch_tariffs(now);
  if (force || next_spot_fetch(now, spot, jitter) <= now) ok &= fetch_spot(now);
  return ok;
}

void PriceService::loop() {
  std::string failed;
  for (;;) {
    // A web service's answer, or the cache, that throws is logged and dropped: the thread (and hemd) goes on
    // with the prices it has.
    try {
      refresh(false);
      failed.clear();
    } catch (const std::exception& e) {
      if (failed != e.what())
        log::error("prices: {}: fetching failed: {}", status().source, log::quoted(e.what()));
      failed = e.what();
    }
    const TimeMs now = now_();
    TimeMs due;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      due = std::min(next_spot_fetch(now, spot_state_, 0),
                     next_tariff_fetch(tariffs_fetched_, tariff_state_, 0));
    }
    // Re-evaluated at least every minute: the wall clock may jump (NTP at boot on a Raspberry Pi).
    const TimeMs wait = std::clamp<TimeMs>(due - now, 1000, minute_ms);
    std::unique_lock<std::mutex> lock(mutex_);
    if (wake_.wait_for(lock, std::chrono::milliseconds(wait), [this] { return stopping_; })) return;
  }
}

std::vector<ConsumerPrice> PriceService::prices(TimeMs from, TimeMs to) const {
  if (cfg_.provider == "fixed") {
    std::vector<TimeOfUse> periods;
    for (const auto& p : cfg_.time_of_use) periods.push_back({p.from_hour, p.to_hour, {p.dkk_kwh}});
    return fixed_prices(from, to, {cfg_.fixed_price_dkk_kwh}, periods, {cfg_.fixed_export_dkk_kwh});
  }
  std::vector<SpotPrice> spot;
  std::shared_ptr<const TariffBook> book;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const TimeMs hour_start = from - from % hour_ms;  // whole hours, for hourly means
    for (const auto& p : spot_)
      if (p.start + p.duration_s * 1000LL > hour_start && p.start < to) spot.push_back(p);
    book = book_;
  }
  PriceSettings settings{
      {cfg_.supplier_markup_dkk_kwh}, {cfg_.export_fee_dkk_kwh}, cfg_.vat, cfg_.hourly_mean};
  auto all = consumer_prices(spot, *book, settings);
  all.erase(std::remove_if(all.begin(), all.end(),
                           [&](const ConsumerPrice& c) { return c.end() <= from || c.start >= to; }),
            all.end());
  return all;
}

PriceStatus PriceService::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}

}  // namespace hemd::prices
