#pragma once
#include <CLI/CLI.hpp>

namespace hemd {

// `hemd scan` (find Modbus/SunSpec devices on a host) and `hemd read` (a configured meter's values once).
void add_modbus_commands(CLI::App& cli);

}  // namespace hemd
