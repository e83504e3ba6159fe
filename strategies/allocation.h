#pragma once
// Sharing limited current between chargers: max-min fair "water-filling" under linear constraints (each phase
// of the main fuse, each sub-circuit phase, the PV surplus in watts), where a charger gets 0 or at least its
// minimum and never more than it wants. Pure.
#include <optional>
#include <string>
#include <vector>

#include "strategies/site.h"

namespace hemd {

// How chargers share a fuse that cannot give each what it wants: fair (the car that has had less first),
// by priority, or by departure (the earliest first).
enum class SharingPolicy { fair, priority, departure };
const char* to_string(SharingPolicy p);

// One charger's claim on the shared resources this cycle.
struct Claim {
  std::string id;
  double min_a = 6;
  double want_a = 0;              // 0: no claim; otherwise at least min_a
  std::optional<double> fixed_a;  // not adjustable (an offline charger keeps its last limit): reserved as is
  // Ranking, for the policies and for choosing whom to pause.
  int priority = 0;
  std::optional<TimeMs> departure;
  double delivered_wh = 0;  // this session so far: under "fair", the car that has had less comes first
  double step_a = 1;
  std::vector<double> steps_a;  // explicit allowed limits, ascending; empty = multiples of step_a
};

// sum(coefficient * amps of claim) <= capacity
struct Constraint {
  std::string name;
  std::vector<std::pair<int, double>>
      terms;  // claim index, coefficient (1 for amps on a phase; W/A for watts)
  double capacity = 0;
};

struct Allocation {
  std::vector<double> amps;  // per claim: 0 or in [min, want], on the charger's step grid
  std::vector<std::string>
      limited_by;  // per claim: the constraint that stopped it, "" if it got what it wanted
};

Allocation allocate(const std::vector<Claim>& claims, const std::vector<Constraint>& constraints,
                    SharingPolicy policy);

// Largest allowed limit <= amps for this charger, or 0 when that falls below its minimum.
double round_to_steps(double amps, const Claim& c);

}  // namespace hemd
