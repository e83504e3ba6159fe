#pragma once
// What charging cost, and what it would have cost to charge each car as soon as it arrived: the figures
// behind `hemd report`. Energy the car took from the PV counts at the export price the site did not earn.
#include <map>
#include <string>
#include <vector>

#include "strategies/site.h"

namespace hemd {

// One stretch of recorded site history: mean powers over [start, start + seconds).
struct SiteInterval {
  TimeMs start = 0;
  double seconds = 0;
  double pv_w = 0;
  double house_w = 0;  // without the cars
  double cars_w = 0;
};

struct ChargedSession {
  std::string charger_id;
  TimeMs start = 0;
  double energy_wh = 0;
  double max_power_w = 0;  // what the charger could have given at once
};

struct ChargingFigures {
  double charged_kwh = 0, from_pv_kwh = 0, from_grid_kwh = 0;
  double cost_dkk = 0;
  double on_arrival_cost_dkk = 0;  // the same sessions charged at full power from the moment they began
  double unpriced_kwh = 0;         // energy in hours without a known price: in neither cost
  int sessions = 0;
  std::map<std::string, double> by_charger_kwh;
  double saving_dkk() const { return on_arrival_cost_dkk - cost_dkk; }
};

// `intervals` and `prices` sorted by start.
ChargingFigures charging_figures(const std::vector<SiteInterval>& intervals,
                                 const std::vector<ChargedSession>& sessions,
                                 const std::vector<PricePoint>& prices);

}  // namespace hemd
