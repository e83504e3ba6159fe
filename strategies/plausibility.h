#pragma once
// Readings from outside, checked against the site before anything trusts them. A meter, a gateway or a
// charger can send a number no installation can produce (-3000 A on a 20 A fuse, NaN, milliamps sent as
// amps), or keep serving its last values after it lost its own meter. Either would blind the fuse guard: it
// subtracts the cars' draw from the grid reading, so a bogus figure on either side raises limits. What cannot
// be true is marked untrusted here, and the strategies then assume the worst. Pure: values in, verdicts out.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "strategies/site.h"

namespace hemd {

// What the site can physically carry, from its limits.
struct ReadingBounds {
  double grid_phase_a = 0;  // either direction: twice the main fuse blows it within seconds
  double grid_power_w = 0;  // the same, in watts over all phases
  double pv_power_w = 0;    // an inverter that could push more would blow the fuse exporting
};
ReadingBounds reading_bounds(const SiteLimits& limits);

// The highest draw a charger can report per phase and in all: its rating with a car's overshoot.
double charger_phase_bound_a(const ChargerState& c);
double charger_power_bound_w(const ChargerState& c, const SiteLimits& limits);

// Why a reading is not trusted, or nullopt: a line for the log naming the value and the bound (for a grid
// phase current, only "L1 current -3000.0 A": distrust_impossible() says all phases in one line).
std::optional<std::string> grid_current_problem(double amps, int phase, const ReadingBounds& b);
std::optional<std::string> grid_power_problem(double watts, const ReadingBounds& b);
std::optional<std::string> pv_power_problem(double watts, const ReadingBounds& b);
std::optional<std::string> charger_draw_problem(const ChargerState& c, const SiteLimits& limits);
// A battery's state of charge outside 0-100 %, or power beyond its rating (or, unrated, the fuse's bound).
std::optional<std::string> battery_soc_problem(const BatteryState& b);
std::optional<std::string> battery_power_problem(const BatteryState& b, const ReadingBounds& bounds);

// Marks every reading the site cannot have produced: a grid, PV or battery reading becomes Quality::failed; a
// charger's draw becomes untrusted (draw_trusted = false, current and power 0, so nothing subtracts it from
// the grid). Stateless and idempotent; decide() runs it on every snapshot. Returns the problems found, by key
// ("grid current", "grid power", "pv", "charger cp1", "battery NAME soc", "battery NAME power").
std::map<std::string, std::string> distrust_impossible(SiteSnapshot& s);

// A grid meter that keeps answering with the same values while the cars' own draw changed: a gateway serving
// its last registers after it lost the meter. Every read succeeds, so only this notices it.
struct FreezeParams {
  double min_change_a = 2;  // a car's reported draw moved at least this much on a phase
  TimeMs grace_ms = 5000;   // and the grid reading has not moved this long after the report
};

struct FreezeWatch {
  std::optional<std::array<double, 4>> grid;  // last grid values seen (L1-L3, power)
  // The home batteries' power last seen: a battery that takes up a car's change leaves the grid meter still,
  // and its own reading moves instead.
  double battery_w = 0;
  TimeMs grid_moved_at = -1;  // when they last changed
  struct Report {
    TimeMs at = -1;
    PhaseAmps amps{};
  };
  std::map<std::string, Report> reports;  // each charger's last meter report
  // An expectation: the grid must have moved after `since`, at the latest by `deadline`.
  TimeMs since = -1;
  TimeMs deadline = -1;
  std::string because;  // the change that set it
  bool frozen = false;
};

// Follows the grid meter and the cars' reports; true while the meter counts as frozen (it did not move when a
// car's draw changed; it is trusted again when it moves). `why` says what was seen.
bool grid_frozen(const SiteSnapshot& s, const FreezeParams& p, FreezeWatch& w, std::string& why);

// The whole check, with episodes: every problem is reported once when it starts and once when it ends, so the
// log gets two lines per fault, never one per reading.
struct Vetting {
  std::vector<std::string> started;  // problems seen this cycle for the first time
  std::vector<std::string> ended;    // what is trusted again
};
struct VetState {
  FreezeWatch freeze;
  std::map<std::string, std::string> open;  // key -> the problem as first reported
};
// Marks the snapshot as distrust_impossible() does and marks a frozen grid meter's readings stale.
Vetting vet_readings(SiteSnapshot& s, const FreezeParams& p, VetState& state);

// A meter's lifetime energy counter. One absurd reading (4e9 Wh) must not become the reference that every
// later reading is refused against; a counter that restarts (a replaced meter) must be taken up once it
// holds.
struct CounterWatch {
  std::optional<double> wh;  // the last accepted reading
  TimeMs at = -1;
  std::optional<double> candidate_wh;  // readings off the accepted line, consistent among themselves
  TimeMs candidate_at = -1;
  int candidate_count = 0;
  bool rejecting = false;  // an episode of refused readings is open
};
struct CounterParams {
  double max_power_w = 1e6;  // no site moves energy faster
  double slack_wh = 2000;    // a counter in whole kWh steps by 1000 Wh at once
  int confirm = 3;           // readings in a row on a new line before it is taken as a restarted counter
};
enum class CounterVerdict { accepted, rejected, restarted };
struct CounterCheck {
  CounterVerdict verdict = CounterVerdict::accepted;
  std::string say;  // set once per episode: when refusing starts, when it ends, when a restart is taken up
};
// `what` names the counter in messages ("energy imported").
CounterCheck check_counter(CounterWatch& w, double wh, TimeMs at, const CounterParams& p, const char* what);

}  // namespace hemd
