#pragma once
// The site's energy counters for Home Assistant's Energy dashboard: grid import and export, PV yield, and the
// home battery's charge and discharge. Each comes from the devices' own lifetime registers where every device
// of its kind keeps one (energy that flowed while hemd was down still counts, and the figure matches the
// meter's display), else it is integrated from power. What HA is given only ever rises, except when a meter
// really restarted from zero, which HA takes as a new cycle: a jump that a meter's register makes and holds
// (a replaced meter, a gateway serving garbage) is not counted as energy, across restarts of hemd too.
#include <array>
#include <functional>
#include <optional>
#include <string>

#include "config/config.h"
#include "strategies/plausibility.h"
#include "strategies/site.h"

namespace hemd {

enum class Counter { grid_import, grid_export, pv, battery_charged, battery_discharged };
inline constexpr int counter_kinds = 5;
const char* to_string(Counter c);

// Which counters every configured device of their kind keeps in a register, from the register maps (a
// SunSpec meter or inverter always has them; SunSpec storage models have none).
std::array<bool, counter_kinds> counters_in_registers(const config::Config& cfg);

class EnergyCounters {
 public:
  // `max_power_w`: no device of the site moves energy faster (a register step beyond it is a jump).
  // `battery`: the site has one (without, its counters stay unknown and go unmentioned).
  EnergyCounters(std::array<bool, counter_kinds> from_registers, double max_power_w, bool battery = true);
  void update(const SiteSnapshot& s);
  // Wh, or nullopt while not known (a register not read yet).
  std::optional<double> wh(Counter c) const;
  bool from_registers(Counter c) const { return counters_[index(c)].registers; }
  // The jumps left out of a register counter, kept across restarts: without them, the first reading after a
  // restart would hand HA the jump. `on_offset` is told each change, to store it.
  void restore_offset(Counter c, double wh);
  void on_offset(std::function<void(Counter, double)> f) { on_offset_ = std::move(f); }
  // One line for the log saying where each counter comes from.
  std::string sources() const;

  // A device with registers that never gives one is given up on after this many readings of its power.
  static constexpr int give_up_after = 60;

 private:
  static int index(Counter c) { return static_cast<int>(c); }
  struct State {
    bool registers = false;
    bool seen = false;  // a register value came
    int readings_without = 0;
    CounterWatch watch;
    std::optional<double> raw;  // the register's last accepted value
    std::optional<double> total;
    double offset = 0;  // what HA is not given of the register: the jumps it made and held
  };
  void from_register(Counter c, State& k, const Reading& r);
  void set_offset(Counter c, State& k, double wh);
  std::function<void(Counter, double)> on_offset_;
  std::array<State, counter_kinds> counters_;
  CounterParams params_;
  bool battery_ = true;
  TimeMs last_ = 0;
};

}  // namespace hemd
