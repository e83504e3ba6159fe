#pragma once
// The course of a simulated day as an SVG image: PV, the house, each car and the grid in kW with the import
// price over them, and below the most loaded phase against the main fuse. Written by hand: a few polylines
// and labels; Debian has no C++ charting library worth the dependency.
#include <string>

#include "strategies/simulation.h"

namespace hemd {

std::string day_chart_svg(const Scenario& scenario, const SimulationResult& result);

}  // namespace hemd
