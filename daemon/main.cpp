// hemd: the home energy manager daemon.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "build_info.h"
#include "daemon/commands.h"
#include "daemon/run.h"
#include "daemon/signals.h"
#include "daemon/version.h"
#include "drivers/log/log.h"

int main(int argc, char** argv) {
  using namespace hemd;
  // Before anything else: a SIGTERM from systemd in hemd's first milliseconds must stop it cleanly (exit 0),
  // not by the default action.
  block_stop_signals();
  CLI::App cli{"hemd — home energy manager: PV surplus and price-optimal EV charging on a shared fuse"};
  cli.set_version_flag("--version", version_text());
  RunOptions run;
  run.config_path = build::default_config;
  bool check = false;
  std::string level;
  cli.add_option("-c,--config", run.config_path, "Configuration file")->capture_default_str();
  cli.add_flag("--check-config", check,
               "Validate the configuration, print it resolved (secrets masked), exit");
  cli.add_flag("--demo", run.demo,
               "Run on a simulated site (a house with PV, a grid meter, one charger and a car)");
  cli.add_option("--speed", run.speed, "Demo: simulated time runs this many times faster")
      ->check(CLI::Range(1.0, 3600.0));
  cli.add_option("--log-level", level, "error, warning, notice, info or debug (overrides the config)")
      ->check(CLI::IsMember({"error", "warning", "notice", "info", "debug"}));
  add_subcommands(cli);
  CLI11_PARSE(cli, argc, argv);
  if (!level.empty()) run.log_level = level;
  run.config_given = cli.count("--config") > 0;
  set_config_file({run.config_path, run.config_given});

  if (!cli.get_subcommands().empty() || check) unblock_stop_signals();
  if (auto rc = run_subcommand(cli)) return *rc;
  if (check) return check_config(run.config_path);
  return run_daemon(run);
}
