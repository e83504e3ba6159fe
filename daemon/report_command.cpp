#include "daemon/report_command.h"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "config/config.h"
#include "daemon/commands.h"
#include "daemon/price_input.h"
#include "drivers/log/log.h"
#include "drivers/log/wall_clock.h"
#include "drivers/prices/local_time.h"
#include "drivers/prices/service.h"
#include "drivers/storage/tables.h"
#include "strategies/savings.h"

namespace hemd {

namespace {

struct ReportOptions {
  std::string month;  // YYYY-MM, Danish; empty = this month
};

int run_report(const ReportOptions& o) {
  log::set_level(log::Level::warning);
  auto loaded = config::load_file(config_file().path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::cerr << e.to_string() << "\n";
    return 1;
  }
  const config::Config& cfg = *loaded.config;
  prices::LocalDate first = prices::danish(wall_ms()).date;
  first.day = 1;
  if (!o.month.empty()) {
    const auto d = prices::parse_date(o.month + "-01");
    if (!d || o.month.size() != 7) {
      std::cerr << fmt::format("hemd report: --month '{}': expected YYYY-MM\n", o.month);
      return 2;
    }
    first = *d;
  }
  prices::LocalDate next = first;
  next.month = first.month == 12 ? 1 : first.month + 1;
  next.year = first.month == 12 ? first.year + 1 : first.year;
  const TimeMs from = prices::danish_midnight(first), to = prices::danish_midnight(next);
  if (!std::filesystem::exists(cfg.storage.path)) {
    std::cerr << fmt::format("hemd report: no history at {} (storage.path)\n", cfg.storage.path);
    return 1;
  }
  std::vector<SiteInterval> intervals;
  std::vector<ChargedSession> sessions;
  std::vector<PricePoint> points;
  try {
    auto db = storage::Database::open(cfg.storage.path);
    const double seconds = cfg.storage.measurement_interval_s;
    for (const auto& m : storage::site_measurements(db, from, to)) {
      const double pv = m.pv_w.value_or(0), grid = m.grid_w.value_or(0), house = m.house_w.value_or(0);
      intervals.push_back({m.at_ms, seconds, pv, house, grid + pv - house});
    }
    for (const auto& row : storage::charged_sessions(db, from, to)) {
      ChargedSession s{row.charger_id, row.started_ms, row.energy_wh, 0};
      for (const auto& c : cfg.chargers)
        if (c.id == s.charger_id) s.max_power_w = c.max_current_a * c.phases * cfg.site.voltage_v;
      sessions.push_back(s);
    }
    prices::PriceService service(cfg.prices, cfg.storage.path, [to] { return to; });
    points = to_price_points(service.prices(from, to));
  } catch (const std::exception& e) {
    std::cerr << fmt::format("hemd report: {}: {}\n", cfg.storage.path, e.what());
    return 1;
  }
  const ChargingFigures f = charging_figures(intervals, sessions, points);
  auto share = [](double part, double whole) { return whole > 0 ? 100 * part / whole : 0.0; };
  std::cout << fmt::format("hemd report for {:04}-{:02} ({}, Danish time)\n", first.year, first.month,
                           cfg.storage.path)
            << fmt::format("  charged             {:8.1f} kWh in {} session{}\n", f.charged_kwh, f.sessions,
                           f.sessions == 1 ? "" : "s")
            << fmt::format("  from PV             {:8.1f} kWh ({:.0f} %)\n", f.from_pv_kwh,
                           share(f.from_pv_kwh, f.charged_kwh))
            << fmt::format("  from the grid       {:8.1f} kWh\n", f.from_grid_kwh)
            << fmt::format(
                   "  cost                {:8.2f} DKK ({:.2f} DKK/kWh; PV at the export price it did not "
                   "earn)\n",
                   f.cost_dkk,
                   f.charged_kwh > f.unpriced_kwh ? f.cost_dkk / (f.charged_kwh - f.unpriced_kwh) : 0.0)
            << fmt::format("  charged on arrival  {:8.2f} DKK (each session at full power from its start)\n",
                           f.on_arrival_cost_dkk)
            << fmt::format("  saving              {:8.2f} DKK ({:.0f} %)\n", f.saving_dkk(),
                           share(f.saving_dkk(), f.on_arrival_cost_dkk));
  for (const auto& [id, kwh] : f.by_charger_kwh)
    std::cout << fmt::format("  {:<19} {:8.1f} kWh in sessions\n", id, kwh);
  if (f.unpriced_kwh > 0.05)
    std::cout << fmt::format("  not priced          {:8.1f} kWh (no prices in the cache for those hours)\n",
                             f.unpriced_kwh);
  if (intervals.empty()) std::cout << "  (no site history in this month)\n";
  return 0;
}

}  // namespace

void add_report_command(CLI::App& cli) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* r = cli.add_subcommand(
      "report", "Energy charged, PV share, cost and the saving against charging on arrival, for a month");
  r->add_option("--month", o->month, "Month (YYYY-MM, Danish time); default this month");
  add_command(r, [o] { return run_report(*o); });
}

}  // namespace hemd
