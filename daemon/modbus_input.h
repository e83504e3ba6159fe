#pragma once
// The configured meters, polled over Modbus, as snapshot readings: PV production, grid power and per-phase
// grid currents, each with its time and quality.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "daemon/ports.h"
#include "drivers/modbus/poller.h"

namespace hemd {

// Also the batteries' output: the decision's hold is carried out on the battery meters whose config enables
// control.
class ModbusInput final : public SiteInput, public ChargerOutput {
 public:
  using WallClock = std::function<std::int64_t()>;
  // Loads the register maps the meters name; throws std::runtime_error listing every problem. A reading's
  // age is measured on `wall` (the drivers' clock), whatever time the snapshot runs on.
  // `counter_speed`: the devices' energy counters run this much faster than the clock (the demo's --speed).
  explicit ModbusInput(const config::Config& cfg, WallClock wall = nullptr, double counter_speed = 1);
  // `step` runs (on a polling thread) when a grid phase rises to `near_fuse_a` or above: the fuse guard then
  // acts on it without waiting for the next tick.
  void on_grid_step(double near_fuse_a, std::function<void()> step);
  void start();
  void fill(SiteSnapshot& snapshot) override;
  void apply(const Decision& decision) override;
  // Stops polling and releases every battery lock at once; the last thing before hemd exits.
  void release_batteries();

 private:
  struct Meter {
    config::Meter cfg;
    modbus::Poller* poller;
  };
  void report_missing(const std::string& meter, const modbus::Values& v, int phases);
  std::vector<std::unique_ptr<modbus::Poller>> pollers_;
  std::vector<Meter> meters_;
  WallClock wall_;
  std::map<std::string, std::string> missing_;  // per grid meter: what its answers lack, as last logged
};

// Every meter's device must be "sunspec" or a readable, valid register map.
std::vector<config::Error> check_meter_devices(const config::Config& cfg);
// The poller's view of one configured meter, for `hemd read` and the adapter.
modbus::DeviceSpec device_spec(const config::Config& cfg, const config::Meter& m,
                               std::vector<config::Error>& errors);
modbus::Endpoint endpoint_of(const config::Meter& m);
// Writes the release of every battery under control, on connections of its own: at hemd's start before
// anything else, and from `hemd battery release` (the unit's ExecStopPost=, after any exit, kill -9
// included). Returns the failures, one line each.
std::vector<std::string> release_battery_locks(const config::Config& cfg);

}  // namespace hemd
