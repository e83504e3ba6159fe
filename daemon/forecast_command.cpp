#include "daemon/forecast_command.h"

#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include "config/config.h"
#include "daemon/commands.h"
#include "daemon/forecast_input.h"
#include "drivers/forecast/service.h"
#include "drivers/log/log.h"
#include "drivers/log/wall_clock.h"

namespace hemd {

namespace {

struct ForecastOptions {
  bool offline = false;
};

struct Hour {
  double forecast_wh = 0, expected_wh = 0, surplus_wh = 0;
  bool from_service = false;
};

int run_forecast(const ForecastOptions& o) {
  log::set_level(log::Level::warning);  // the table is the output; problems still reach stderr
  const auto& file = config_file();
  if (!std::filesystem::exists(file.path)) {
    std::cerr << fmt::format("hemd forecast: {} does not exist; give the site's file with --config\n",
                             file.path);
    return 1;
  }
  auto loaded = config::load_file(file.path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::cerr << e.to_string() << "\n";
    return 1;
  }
  const config::Config cfg = *loaded.config;
  const TimeMs now = wall_ms();
  std::unique_ptr<forecast::ForecastService> service;
  try {
    if (cfg.solar_forecast.service != "none") {
      service = std::make_unique<forecast::ForecastService>(cfg.solar_forecast, cfg.storage.path,
                                                            [now] { return now; });
      if (!o.offline && !service->refresh())
        std::cerr << fmt::format("hemd forecast: {}; showing the last forecast stored\n",
                                 log::quoted(service->status().last_error));
    }
  } catch (const std::exception& e) {
    std::cerr << fmt::format("hemd forecast: {}\n", log::quoted(e.what()));
    return 1;
  }
  ForecastInput input(cfg.storage.path, service.get());
  SiteSnapshot snapshot;
  snapshot.now = now;
  input.fill(snapshot);
  const auto raw = service ? service->forecast(now - now % 3'600'000, now + 48 * 3'600'000LL)
                           : std::vector<forecast::PvPoint>{};
  std::map<TimeMs, Hour> hours;
  for (const auto& p : raw) {
    auto& h = hours[p.start - p.start % 3'600'000];
    h.forecast_wh += p.pv_w * double(p.end - p.start) / 3.6e6;
    h.from_service = true;
  }
  for (const auto& p : snapshot.forecast) {
    auto& h = hours[p.start - p.start % 3'600'000];
    h.expected_wh += p.pv_w * double(p.end - p.start) / 3.6e6;
    h.surplus_wh += p.surplus_w * double(p.end - p.start) / 3.6e6;
  }
  std::cout << fmt::format("PV forecast for '{}': {}\n", cfg.site.name,
                           service ? fmt::format("{} ({} array(s), corrected by what the roof produced)",
                                                 service->status().source, cfg.solar_forecast.arrays.size())
                                   : "none configured; the last week's production, quarter by quarter");
  if (hours.empty()) {
    std::cout << "nothing known yet: no forecast stored and no history\n";
    return 0;
  }
  std::cout << fmt::format("{:<12}{:>12}{:>12}{:>12}\n", "hour", "forecast", "expected", "surplus")
            << fmt::format("{:<12}{:>12}{:>12}{:>12}\n", "(Danish)", "kWh", "kWh", "kWh");
  std::map<prices::LocalDate, double> day_total;
  for (const auto& [start, h] : hours) {
    const auto local = prices::danish(start);
    day_total[local.date] += h.expected_wh;
    if (h.forecast_wh < 1 && h.expected_wh < 1) continue;  // the night
    std::cout << fmt::format("{} {:<6}{:>12}{:>12.2f}{:>12.2f}\n", prices::to_string(local.date).substr(5),
                             prices::hhmm(start),
                             h.from_service ? fmt::format("{:.2f}", h.forecast_wh / 1000) : "-",
                             h.expected_wh / 1000, h.surplus_wh / 1000);
  }
  for (const auto& [day, wh] : day_total)
    std::cout << fmt::format("{}: {:.1f} kWh expected\n", prices::to_string(day), wh / 1000);
  return 0;
}

}  // namespace

void add_forecast_command(CLI::App& cli) {
  auto o = std::make_shared<ForecastOptions>();
  CLI::App* p = cli.add_subcommand(
      "forecast", "Show the PV the plan expects per hour today and tomorrow, and where it comes from");
  p->add_flag("--offline", o->offline, "Use the forecast stored; do not ask the service");
  add_command(p, [o] { return run_forecast(*o); });
}

}  // namespace hemd
