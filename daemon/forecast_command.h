#pragma once
#include <CLI/CLI.hpp>

namespace hemd {

// hemd forecast [--offline]: the PV the plan expects per hour today and tomorrow: the service's forecast,
// the correction learnt from what the roof produced, and the expected surplus after the house.
void add_forecast_command(CLI::App& cli);

}  // namespace hemd
