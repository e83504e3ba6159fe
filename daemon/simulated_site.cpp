#include "daemon/simulated_site.h"

#include <algorithm>
#include <cmath>

namespace hemd {

namespace {
constexpr double volts = 230.0;
constexpr double pi = 3.14159265358979;
}  // namespace

double SimulatedSite::cloud_factor(double hour) const {
  // Slow weather plus fast cloud edges: a sum of incommensurate sines, the same every run for a seed.
  const double s = o_.seed;
  const double slow = 0.5 + 0.5 * std::sin(hour * 0.9 + s);
  const double fast = std::sin(hour * 7.3 + s * 1.7) * std::sin(hour * 3.1 + s * 0.3);
  return std::clamp(0.55 + 0.35 * slow + 0.3 * fast, 0.1, 1.0);
}

void SimulatedSite::advance(TimeMs now) {
  const double dt_h = last_ == 0 ? 0 : (now - last_) / 3600000.0;
  last_ = now_ = now;
  const double hour = std::fmod(now / 3600000.0 + 1.0, 24.0);  // Danish winter time, close enough
  const double sun = hour > 6 && hour < 20 ? std::sin(pi * (hour - 6) / 14) : 0.0;
  pv_w_ = o_.pv_peak_w * sun * cloud_factor(hour);
  const bool cooking = hour > 17.5 && hour < 18.5;
  house_w_ = 350 + 120 * std::sin(hour * 20) + (cooking ? 2500 : 0);
  const bool car_home = hour >= 7 && hour < 22;
  const bool full = charged_wh_ >= o_.car_need_wh;
  car_a_ = car_home && !full ? std::min(limit_a_, o_.car_max_a) : 0.0;
  charged_wh_ += car_a_ * volts * o_.car_phases * dt_h;
}

double SimulatedSite::grid_w() const {
  return house_w_ + car_a_ * volts * o_.car_phases - pv_w_;
}

void SimulatedSite::fill(SiteSnapshot& s) {
  s.pv_power_w = Reading{pv_w_, Quality::ok, now_};
  s.grid.power_w = Reading{grid_w(), Quality::ok, now_};
  // The house leans on L1 (cooker, fridge); the inverter feeds all three phases evenly.
  const double house_l1 = house_w_ * 0.5 / volts, house_other = house_w_ * 0.25 / volts;
  for (int ph = 0; ph < 3; ++ph) {
    const double car = ph < o_.car_phases ? car_a_ : 0.0;
    s.grid.current_a[ph] =
        Reading{(ph == 0 ? house_l1 : house_other) + car - pv_w_ / 3 / volts, Quality::ok, now_};
  }
  for (auto& c : s.chargers) {
    if (c.id != o_.charger_id) continue;
    c.online = true;
    c.car_connected = std::fmod(now_ / 3600000.0 + 1.0, 24.0) >= 7;
    c.status = car_a_ > 0 ? ChargerStatus::charging
                          : (c.car_connected ? ChargerStatus::suspended_evse : ChargerStatus::available);
    c.offered_limit_a = limit_a_;
    c.active_phases = o_.car_phases;
    for (int ph = 0; ph < 3; ++ph) c.current_a[ph] = ph < o_.car_phases ? car_a_ : 0.0;
    c.power_w = car_a_ * volts * o_.car_phases;
    c.session_energy_wh = charged_wh_;
    c.soc_pct = 20 + 70 * std::min(1.0, charged_wh_ / o_.car_need_wh);
  }
}

void SimulatedSite::apply(const Decision& d) {
  if (const auto* cmd = d.for_charger(o_.charger_id)) limit_a_ = cmd->limit_a;
}

}  // namespace hemd
