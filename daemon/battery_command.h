#pragma once
#include <CLI/CLI.hpp>

namespace hemd {

// `hemd battery release`: every battery under control back to its own self-consumption mode. The unit's
// ExecStopPost= runs it after any exit of hemd, kill -9 included, so a lock never outlives hemd.
void add_battery_command(CLI::App& cli);

}  // namespace hemd
