#pragma once
// Subcommands (hemd scan, hemd read, hemd prices, hemd simulate, hemd report, hemd cert): each module
// registers its own in commands.cpp, so main stays the same as tools are added.
#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>

namespace hemd {

// The configuration file: -c/--config is main's option, and a subcommand lets it fall through, so it is
// honoured before the subcommand (`hemd --config x prices`, as in git or systemctl) and after it.
struct ConfigFile {
  std::string path;
  bool given = false;  // named on the command line, not the default
};
const ConfigFile& config_file();
void set_config_file(ConfigFile file);  // by main, once the command line is parsed

void add_subcommands(CLI::App& cli);
// Runs the subcommand that was given, if any, and returns its exit code.
std::optional<int> run_subcommand(CLI::App& cli);
int check_config(const std::string& path);
// For modules adding a subcommand: `run` is called when `sub` was given on the command line.
void add_command(CLI::App* sub, std::function<int()> run);

}  // namespace hemd
