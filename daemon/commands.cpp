#include "daemon/commands.h"

#include <fmt/format.h>

#include <functional>
#include <iostream>
#include <vector>

#include "config/charger_profile.h"
#include "config/config.h"
#include "daemon/battery_command.h"
#include "daemon/cert_command.h"
#include "daemon/forecast_command.h"
#include "daemon/modbus_commands.h"
#include "daemon/modbus_input.h"
#include "daemon/prices_command.h"
#include "daemon/report_command.h"
#include "daemon/simulate_command.h"

namespace hemd {

namespace {
struct Subcommand {
  CLI::App* app;
  std::function<int()> run;
};
std::vector<Subcommand>& registry() {
  static std::vector<Subcommand> r;
  return r;
}
ConfigFile& the_config_file() {
  static ConfigFile f;
  return f;
}
}  // namespace

const ConfigFile& config_file() {
  return the_config_file();
}
void set_config_file(ConfigFile file) {
  the_config_file() = std::move(file);
}

int check_config(const std::string& path) {
  auto result = config::load_file(path);
  if (result.config) {
    result.errors = config::check_profile_references(
        *result.config, config::load_charger_profiles(config::charger_profile_dir()));
    for (auto& e : check_meter_devices(*result.config)) result.errors.push_back(std::move(e));
  }
  if (!result.errors.empty()) {
    for (const auto& e : result.errors) std::cerr << e.to_string() << "\n";
    std::cerr << fmt::format("{}: {} error{}; hemd would not start with this file\n", path,
                             result.errors.size(), result.errors.size() == 1 ? "" : "s");
    return 1;
  }
  std::cout << "# " << path << ": valid. Resolved configuration (defaults filled in, secrets masked):\n"
            << config::to_yaml(*result.config);
  return 0;
}

void add_command(CLI::App* sub, std::function<int()> run) {
  registry().push_back({sub, std::move(run)});
}

// One line per tool; each module's add_*_command registers its options and its run function.
void add_subcommands(CLI::App& cli) {
  cli.require_subcommand(0, 1);
  // Before the subcommands are added, which inherit it: an option a subcommand does not know (--config)
  // falls through to main's.
  cli.fallthrough();
  add_battery_command(cli);
  add_cert_command(cli);
  add_modbus_commands(cli);
  add_prices_command(cli);
  add_forecast_command(cli);
  add_report_command(cli);
  add_simulate_command(cli);
}

std::optional<int> run_subcommand(CLI::App&) {
  for (auto& s : registry())
    if (s.app->parsed()) return s.run();
  return std::nullopt;
}

}  // namespace hemd
