#include "daemon/simulate_command.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <memory>

#include "config/scenario.h"
#include "daemon/commands.h"
#include "daemon/day_chart.h"

namespace hemd {

namespace {

struct SimulateOptions {
  std::string scenario;
  std::string svg;
};

void print_comparison(const Scenario& sc, const std::vector<SimulationResult>& runs) {
  std::cout << fmt::format(
      "{}: {:g} h, {} car{}, main fuse {:g} A, a control cycle every {:g} s of virtual time\n\n", sc.name,
      static_cast<double>(sc.quarters.size()) / 4, sc.cars.size(), sc.cars.size() == 1 ? "" : "s",
      sc.main_fuse_a, sc.step_s);
  std::string header = fmt::format("{:<28}", "");
  for (const auto& r : runs) header += fmt::format("{:>20}", r.strategy);
  std::cout << header << "\n";
  auto row = [&](const std::string& name, const std::function<std::string(const SimulationResult&)>& cell) {
    std::string line = fmt::format("{:<28}", name);
    for (const auto& r : runs) line += fmt::format("{:>20}", cell(r));
    std::cout << line << "\n";
  };
  row("charging cost (DKK)", [](const auto& r) { return fmt::format("{:.2f}", r.charging_cost_dkk); });
  row("household bill (DKK)", [](const auto& r) { return fmt::format("{:.2f}", r.household_cost_dkk); });
  row("charged (kWh)", [](const auto& r) { return fmt::format("{:.1f}", r.charged_kwh); });
  row("  from PV (kWh)", [](const auto& r) {
    return fmt::format("{:.1f} ({:.0f} %)", r.from_pv_kwh,
                       r.charged_kwh > 0 ? 100 * r.from_pv_kwh / r.charged_kwh : 0);
  });
  row("need not met (kWh)", [](const auto& r) { return fmt::format("{:.1f}", r.unmet_kwh); });
  row("grid import (kWh)", [](const auto& r) { return fmt::format("{:.1f}", r.grid_import_kwh); });
  row("lowest fuse margin (A)", [](const auto& r) { return fmt::format("{:.1f}", r.lowest_fuse_margin_a); });
  row("limit changes", [](const auto& r) { return fmt::format("{}", r.limit_changes); });
  for (std::size_t i = 0; i < sc.cars.size(); ++i)
    row(fmt::format("{} (needs {:g} kWh)", sc.cars[i].id, sc.cars[i].need_kwh), [&](const auto& r) {
      return fmt::format("{:.1f} kWh {:.2f} DKK", r.cars[i].charged_kwh, r.cars[i].cost_dkk);
    });
  const auto& hemd = runs[0];
  const auto& on_arrival = runs[1];
  if (on_arrival.charging_cost_dkk > 0)
    std::cout << fmt::format(
        "\nhemd against charging on arrival: {:.2f} DKK saved ({:.0f} %){}\n",
        on_arrival.charging_cost_dkk - hemd.charging_cost_dkk,
        100 * (on_arrival.charging_cost_dkk - hemd.charging_cost_dkk) / on_arrival.charging_cost_dkk,
        hemd.unmet_kwh > 0.05 ? fmt::format(", with {:.1f} kWh of need not met", hemd.unmet_kwh) : "");
  std::cout
      << "(PV and house load are known in advance here: the daemon plans on its own history instead.)\n";
}

int run_simulate(const SimulateOptions& o) {
  const auto loaded = config::load_scenario_file(o.scenario);
  if (!loaded.scenario) {
    for (const auto& e : loaded.errors) std::cerr << e.to_string() << "\n";
    std::cerr << fmt::format("{}: {} error{}\n", o.scenario, loaded.errors.size(),
                             loaded.errors.size() == 1 ? "" : "s");
    return 1;
  }
  const Scenario& sc = *loaded.scenario;
  ControlParams params;
  params.sharing = sc.sharing;
  const ChargeMode now = ChargeMode::now, pv = ChargeMode::pv;
  std::vector<SimulationResult> runs;
  runs.push_back(simulate(sc, params, "hemd"));
  runs.push_back(simulate(sc, params, "charge on arrival", &now));
  runs.push_back(simulate(sc, params, "PV only", &pv));
  print_comparison(sc, runs);
  if (!o.svg.empty()) {
    std::ofstream out(o.svg);
    out << day_chart_svg(sc, runs[0]);
    if (!out) {
      std::cerr << fmt::format("{}: cannot write the chart\n", o.svg);
      return 1;
    }
    std::cout << fmt::format("chart of hemd's day: {}\n", o.svg);
  }
  return 0;
}

}  // namespace

void add_simulate_command(CLI::App& cli) {
  auto o = std::make_shared<SimulateOptions>();
  CLI::App* s = cli.add_subcommand(
      "simulate",
      "Run the strategies over a recorded or synthetic day; compare with charging on arrival and PV only");
  s->add_option("--scenario", o->scenario, "Scenario file (examples in config/scenarios/)")->required();
  s->add_option("--svg", o->svg, "Write a chart of the day (PV, house, cars, price, fuse) to this SVG file");
  add_command(s, [o] {
    if (config_file().given) {  // never silently ignored
      std::cerr << "hemd simulate: the site comes from --scenario; --config is not used\n";
      return 2;
    }
    return run_simulate(*o);
  });
}

}  // namespace hemd
