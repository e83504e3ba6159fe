#pragma once
#include <CLI/CLI.hpp>

namespace hemd {

// hemd prices [--date D] [--energy kWh] [--power kW] [--offline]: the household's price per quarter-hour,
// itemised, and the cheapest window to charge.
void add_prices_command(CLI::App& cli);

}  // namespace hemd
