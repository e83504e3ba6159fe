#include "daemon/simulate_command.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <memory>

#include "config/config.h"
#include "config/scenario.h"
#include "daemon/commands.h"
#include "daemon/day_chart.h"

namespace hemd {

namespace {

struct SimulateOptions {
  std::string scenario;
  std::string svg;
  // As the daemon plans by default (control.start_penalty_dkk, control.min_charge_block_min).
  double start_penalty_dkk = config::Control{}.start_penalty_dkk;
  double min_charge_block_min = config::Control{}.min_charge_block_min;
};

int total_starts(const SimulationResult& r) {
  int n = 0;
  for (const auto& c : r.cars) n += c.starts;
  return n;
}

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
  if (sc.battery)
    row("home battery into cars (kWh)",
        [](const auto& r) { return fmt::format("{:.1f}", r.battery_to_cars_kwh); });
  row("lowest fuse margin (A)", [](const auto& r) { return fmt::format("{:.1f}", r.lowest_fuse_margin_a); });
  row("limit changes", [](const auto& r) { return fmt::format("{}", r.limit_changes); });
  row("starts per car", [](const auto& r) {
    std::string cell;
    for (const auto& c : r.cars) cell += fmt::format("{}{}", cell.empty() ? "" : " ", c.starts);
    return cell;
  });
  bool sleepers = false;
  for (const auto& car : sc.cars) sleepers = sleepers || car.sleeps_after_pause_min.has_value();
  if (sleepers) {
    // Cars that sleep through a resume: how often, what hemd tried, and which it gave up on (their need
    // then planned as one block from that moment; a car that never wakes charges nothing more).
    row("slept / wake-ups / woken", [](const auto& r) {
      std::string cell;
      for (const auto& c : r.cars)
        if (c.slept || c.wake_ups)
          cell += fmt::format("{}{}/{}/{}", cell.empty() ? "" : " ", c.slept, c.wake_ups, c.woken);
      return cell.empty() ? std::string("-") : cell;
    });
    row("stayed asleep", [](const auto& r) {
      std::string cell;
      for (const auto& c : r.cars)
        if (c.given_up) cell += (cell.empty() ? "" : " ") + c.id;
      return cell.empty() ? std::string("-") : cell;
    });
  }
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
  // The last run, when there is one more: hemd with every start free (the plan without start penalty).
  if (runs.size() > 3) {
    const auto& free = runs.back();
    const double more = hemd.charging_cost_dkk - free.charging_cost_dkk;
    std::cout << fmt::format(
        "starts priced: {} starts instead of {}, {:+.2f} DKK ({:+.2f} %) against the plan with every start "
        "free\n",
        total_starts(hemd), total_starts(free), more,
        free.charging_cost_dkk > 0 ? 100 * more / free.charging_cost_dkk : 0.0);
  }
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
  if (sc.battery) {
    params.battery.priority_soc = sc.battery->priority_soc;
    params.battery.buffer_soc = sc.battery->buffer_soc;
  }
  const ChargeMode now = ChargeMode::now, pv = ChargeMode::pv;
  PlanOptions planning;
  planning.start_penalty_dkk = o.start_penalty_dkk;
  planning.min_charge_block_min = o.min_charge_block_min;
  std::vector<SimulationResult> runs;
  runs.push_back(simulate(sc, params, "hemd", nullptr, planning));
  runs.push_back(simulate(sc, params, "charge on arrival", &now));
  runs.push_back(simulate(sc, params, "PV only", &pv));
  if (o.start_penalty_dkk > 0 || o.min_charge_block_min > 0)
    runs.push_back(simulate(sc, params, "hemd, starts free"));
  if (sc.battery && sc.battery->control) {
    // The same day without the discharge lock: what the battery would have given the cars.
    Scenario unlocked = sc;
    unlocked.battery->control = false;
    runs.push_back(simulate(unlocked, params, "hemd, no lock", nullptr, planning));
  }
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
  s->add_option("--start-penalty", o->start_penalty_dkk,
                "DKK the plan counts for each start of a car (control.start_penalty_dkk); 0: starts are free")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100.0));
  s->add_option("--min-block", o->min_charge_block_min,
                "Minutes of the shortest block of charging planned (control.min_charge_block_min)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 240.0));
  add_command(s, [o] {
    if (config_file().given) {  // never silently ignored
      std::cerr << "hemd simulate: the site comes from --scenario; --config is not used\n";
      return 2;
    }
    return run_simulate(*o);
  });
}

}  // namespace hemd
