#pragma once
// The demo's world: a house with PV, a grid meter and one charger with a car, in simulated time. The
// inverter and the grid meter are SunSpec devices on Modbus TCP and the charger an OCPP 1.6J charge point,
// all on loopback inside hemd, so the demo runs through exactly the drivers that run a real site.
#include <memory>
#include <string>

#include "daemon/ports.h"
#include "sim/charge_point.h"
#include "sim/register_server.h"

namespace hemd {

struct SimulatedSiteOptions {
  std::string charger_id = "garage";
  std::string charger_password;
  double pv_peak_w = 8000;
  double car_need_wh = 30000;
  double car_max_a = 16;
  int car_phases = 3;
  std::uint32_t seed = 7;  // clouds
  // Every day from 10:00 to 10:15 a heat pump's backup heater adds this much on three phases: a load step
  // that puts the fuse over its rating while the car charges, for the fuse guard to catch.
  double heater_w = 9000;
  double main_fuse_a = 25;  // to time how long a phase stays over it
};

// How long the phases were over the fuse after the load steps, in wall-clock time (the guard reacts in it).
struct OverFuse {
  int episodes = 0;
  std::int64_t longest_ms = 0;
  std::int64_t total_ms = 0;
};

class SimulatedSite {
 public:
  // Starts the inverter and the grid meter on free loopback ports; throws std::runtime_error.
  explicit SimulatedSite(SimulatedSiteOptions o);
  ~SimulatedSite();
  int inverter_port() const { return inverter_.port(); }
  int meter_port() const { return meter_.port(); }
  // Plugs the charger into hemd's OCPP listener at `url` (ws://host:port/path).
  void connect_charger(const std::string& url);
  // Moves the physical world to `now`; the daemon calls it once per cycle.
  void advance(TimeMs now);

  double pv_w() const { return pv_w_; }
  double house_w() const { return house_w_; }
  double grid_w() const;
  double car_a() const { return car_a_; }
  OverFuse over_fuse() const { return over_; }

 private:
  double cloud_factor(double hour) const;
  void publish();
  void time_over_fuse(const modbus::Values& grid);
  SimulatedSiteOptions o_;
  modbus::SunSpecServer inverter_;
  modbus::SunSpecServer meter_;
  std::unique_ptr<ocpp::ChargePoint> charger_;
  TimeMs now_ = 0;
  TimeMs last_ = 0;
  double pv_w_ = 0;
  double house_w_ = 0;
  double car_a_ = 0;
  bool car_home_ = false;
  double charged_wh_ = 0;
  double heater_w_ = 0;
  std::int64_t over_since_ms_ = -1;  // steady clock, while a phase is over the fuse
  OverFuse over_;
  // Lifetime counters of a house some years old (SunSpec reads a counter at 0 as "not implemented").
  double pv_wh_ = 21.4e6, import_wh_ = 38.2e6, export_wh_ = 12.9e6;
};

}  // namespace hemd
