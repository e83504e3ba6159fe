#include "daemon/prices_command.h"

#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "config/config.h"
#include "daemon/commands.h"
#include "daemon/price_input.h"
#include "drivers/log/log.h"
#include "drivers/log/wall_clock.h"
#include "drivers/prices/service.h"
#include "strategies/cheapest_window.h"

namespace hemd {

namespace {

using namespace prices;

struct PricesOptions {
  std::string date;
  double energy_kwh = 22;
  double power_kw = 11;
  bool offline = false;
};

void print_day(const LocalDate& day, const std::vector<ConsumerPrice>& list) {
  std::cout << fmt::format("\n{}  (Danish time; DKK/kWh; components exclude VAT, total includes it)\n",
                           to_string(day))
            << fmt::format("{:<6}{:>8}{:>8}{:>8}{:>8}{:>8}{:>8}{:>8}{:>8}{:>8}\n", "time", "spot", "markup",
                           "net", "transm", "system", "elafg", "VAT", "total", "export");
  for (const auto& c : list)
    std::cout << fmt::format(
        "{:<6}{:>8.3f}{:>8.3f}{:>8.3f}{:>8.3f}{:>8.3f}{:>8.3f}{:>8.3f}{:>8.3f}{:>8.3f}{}\n", hhmm(c.start),
        c.spot.value, c.supplier_markup.value, c.net_tariff.value, c.transmission.value, c.system.value,
        c.elafgift.value, c.vat_amount().value, c.total().value, c.export_price.value,
        c.tariffs_known ? "" : "  (tariff unknown)");
}

void print_window(const std::string& label, const std::vector<ConsumerPrice>& list, const PricesOptions& o) {
  const auto w = cheapest_window(to_price_points(list), o.energy_kwh, o.power_kw);
  if (!w) {
    std::cout << fmt::format("{}: not enough known prices for {:g} kWh at {:g} kW\n", label, o.energy_kwh,
                             o.power_kw);
    return;
  }
  std::cout << fmt::format("{}: {:g} kWh at {:g} kW: {}–{}, {:.2f} DKK/kWh ({:.2f} DKK)\n", label,
                           o.energy_kwh, o.power_kw, hhmm(w->start), hhmm(w->end), w->mean_dkk_per_kwh,
                           w->cost_dkk);
}

int run_prices(const PricesOptions& o) {
  log::set_level(log::Level::warning);  // the table is the output; problems still reach stderr
  config::Config cfg;
  const auto& file = config_file();
  // A file named on the command line must be there; only without one may a first look at the prices go
  // without a configuration, and it says so.
  if (file.given || std::filesystem::exists(file.path)) {
    auto loaded = config::load_file(file.path);
    if (!loaded.config) {
      for (const auto& e : loaded.errors) std::cerr << e.to_string() << "\n";
      return 1;
    }
    cfg = *loaded.config;
  } else {
    std::cerr << fmt::format("hemd prices: no {}; showing DK1 with the built-in rates and no grid tariff\n",
                             file.path);
  }
  TimeMs now = wall_ms();
  LocalDate day = danish(now).date;
  if (!o.date.empty()) {
    auto d = parse_date(o.date);
    if (!d) {
      std::cerr << fmt::format("hemd prices: --date '{}': expected YYYY-MM-DD\n", o.date);
      return 2;
    }
    day = *d;
    now = danish_midnight(day) + 12 * hour_ms;
  }
  const LocalDate after = next_day(day, 2);
  std::unique_ptr<PriceService> service;
  try {
    service = std::make_unique<PriceService>(cfg.prices, cfg.storage.path, [now] { return now; });
  } catch (const std::exception& e) {
    std::cerr << fmt::format("hemd prices: the price cache is not available ({}); asking without it\n",
                             e.what());
    service = std::make_unique<PriceService>(cfg.prices, ":memory:", [now] { return now; });
  }
  if (!o.offline && cfg.prices.provider != "fixed" && !service->refresh(true))
    std::cerr << fmt::format(
        "hemd prices: {}; showing what the cache holds\n",
        service->status().last_error.empty() ? "tariffs not fetched" : service->status().last_error);
  const auto status = service->status();
  std::cout << fmt::format("Prices for {} ({}), VAT {:g} %\n", cfg.prices.area, status.source,
                           cfg.prices.provider == "fixed" ? 0 : cfg.prices.vat * 100);
  for (LocalDate d = day; d < after; d = next_day(d)) {
    const auto list = service->prices(danish_midnight(d), danish_midnight(next_day(d)));
    if (list.empty()) {
      std::cout << fmt::format("\n{}: no prices known{}\n", to_string(d),
                               d == next_day(danish(wall_ms()).date) ? " (published around 13:00)" : "");
      continue;
    }
    print_day(d, list);
    print_window(fmt::format("Cheapest on {}", to_string(d)), list, o);
  }
  const bool today = o.date.empty();
  const auto ahead = service->prices(today ? wall_ms() : danish_midnight(day), danish_midnight(after));
  print_window(today ? "Cheapest from now" : "Cheapest over both days", ahead, o);
  return 0;
}

}  // namespace

void add_prices_command(CLI::App& cli) {
  auto o = std::make_shared<PricesOptions>();
  CLI::App* p = cli.add_subcommand(
      "prices",
      "Show today's and tomorrow's consumer prices per quarter-hour, itemised, and the cheapest window");
  p->add_option("--date", o->date, "First day to show (YYYY-MM-DD, Danish); default today");
  p->add_option("--energy", o->energy_kwh, "Energy for the cheapest window, kWh")
      ->check(CLI::Range(0.1, 500.0));
  p->add_option("--power", o->power_kw, "Charging power for the cheapest window, kW")
      ->check(CLI::Range(0.1, 100.0));
  p->add_flag("--offline", o->offline, "Use the cache only; do not ask Energi Data Service");
  add_command(p, [o] { return run_prices(*o); });
}

}  // namespace hemd
