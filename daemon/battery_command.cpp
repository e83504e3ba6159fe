#include "daemon/battery_command.h"

#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "config/config.h"
#include "daemon/commands.h"
#include "daemon/modbus_input.h"

namespace hemd {

namespace {

int run_release(const std::string& config_path) {
  auto result = config::load_file(config_path);
  if (!result.config) {
    for (const auto& e : result.errors) std::cerr << e.to_string() << "\n";
    std::cerr << fmt::format("hemd battery release: {} is not valid; nothing released\n", config_path);
    return 1;
  }
  int batteries = 0;
  for (const auto& m : result.config->meters)
    if (m.role == config::MeterRole::battery && m.control) ++batteries;
  const auto failures = release_battery_locks(*result.config);
  for (const auto& f : failures) std::cerr << "hemd battery release: " << f << "\n";
  std::cout << fmt::format("{} of {} battery lock(s) released\n",
                           batteries - static_cast<int>(failures.size()), batteries);
  return failures.empty() ? 0 : 1;
}

}  // namespace

void add_battery_command(CLI::App& cli) {
  CLI::App* b = cli.add_subcommand("battery", "Home batteries under hemd's control");
  b->require_subcommand(1);
  CLI::App* r = b->add_subcommand(
      "release", "Release every battery's discharge lock (the unit's ExecStopPost= runs it after any exit)");
  add_command(r, [] { return run_release(config_file().path); });
}

}  // namespace hemd
