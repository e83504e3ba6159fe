#pragma once
#include <CLI/CLI.hpp>

namespace hemd {

// hemd simulate --scenario FILE [--svg FILE]: the same strategies over a recorded or synthetic day in
// virtual time, side by side with charging on arrival and PV only; the day as an SVG chart.
void add_simulate_command(CLI::App& cli);

}  // namespace hemd
