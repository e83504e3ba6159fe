#pragma once
// The demo's site: a house with PV, a grid meter and one charger with a car, in simulated time. It feeds
// the snapshot directly and obeys the decision as a charger would; the Modbus and OCPP drivers replace it
// with real protocol traffic.
#include <string>

#include "daemon/ports.h"

namespace hemd {

struct SimulatedSiteOptions {
  std::string charger_id = "garage";
  double pv_peak_w = 8000;
  double car_need_wh = 30000;
  double car_max_a = 16;
  int car_phases = 3;
  std::uint32_t seed = 7;  // clouds
};

class SimulatedSite final : public SiteInput, public ChargerOutput {
 public:
  explicit SimulatedSite(SimulatedSiteOptions o) : o_(std::move(o)) {}
  // Moves the physical world to `now`; the daemon calls it once per cycle before reading.
  void advance(TimeMs now);
  void fill(SiteSnapshot& snapshot) override;
  void apply(const Decision& decision) override;

  double pv_w() const { return pv_w_; }
  double house_w() const { return house_w_; }
  double grid_w() const;
  double car_a() const { return car_a_; }

 private:
  double cloud_factor(double hour) const;
  SimulatedSiteOptions o_;
  TimeMs now_ = 0;
  TimeMs last_ = 0;
  double pv_w_ = 0;
  double house_w_ = 0;
  double limit_a_ = 0;
  double car_a_ = 0;
  double charged_wh_ = 0;
};

}  // namespace hemd
