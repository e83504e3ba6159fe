#include "daemon/simulated_site.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "drivers/log/log.h"

namespace hemd {

namespace {
constexpr double volts = 230.0;
constexpr double pi = 3.14159265358979;
}  // namespace

SimulatedSite::SimulatedSite(SimulatedSiteOptions o)
    : o_(std::move(o)),
      inverter_(modbus::SunSpecServer::Kind::inverter, "hemd", "Simulated inverter", "SIM-PV-1"),
      meter_(modbus::SunSpecServer::Kind::meter, "hemd", "Simulated grid meter", "SIM-GRID-1") {
  publish();
  inverter_.start();
  meter_.start();
}

SimulatedSite::~SimulatedSite() {
  if (charger_) charger_->stop();
  if (over_.episodes > 0)
    log::notice("demo: {} load steps put a phase over the {} A fuse; the longest stayed over it {} ms",
                over_.episodes, o_.main_fuse_a, over_.longest_ms);
}

void SimulatedSite::connect_charger(const std::string& url) {
  ocpp::ChargePointOptions c;
  c.url = url;
  c.id = o_.charger_id;
  c.password = o_.charger_password;
  c.phases = o_.car_phases;
  c.max_current_a = o_.car_max_a;
  charger_ = std::make_unique<ocpp::ChargePoint>(c);
  charger_->start();
}

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
  heater_w_ = hour >= 10 && hour < 10.25 ? o_.heater_w : 0.0;
  car_home_ = hour >= 7 && hour < 22;
  if (!car_home_) charged_wh_ = 0;  // it comes home tomorrow wanting its day's energy again
  const bool full = charged_wh_ >= o_.car_need_wh;
  // The car takes what the charger offers, up to its own maximum; below 6 A it cannot charge at all.
  const double offered = charger_ ? charger_->limit_a() : 0.0;
  car_a_ = car_home_ && !full && offered >= 6 ? std::min(offered, o_.car_max_a) : 0.0;
  charged_wh_ += car_a_ * volts * o_.car_phases * dt_h;
  pv_wh_ += pv_w_ * dt_h;
  const double grid = grid_w() * dt_h;
  (grid > 0 ? import_wh_ : export_wh_) += std::abs(grid);
  publish();
}

double SimulatedSite::grid_w() const {
  return house_w_ + heater_w_ + car_a_ * volts * o_.car_phases - pv_w_;
}

void SimulatedSite::time_over_fuse(const modbus::Values& grid) {
  bool over = false;
  for (const auto& a : grid.current_a) over = over || (a && *a > o_.main_fuse_a);
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  if (over && over_since_ms_ < 0) over_since_ms_ = now;
  if (over || over_since_ms_ < 0) return;
  const std::int64_t lasted = now - over_since_ms_;
  over_since_ms_ = -1;
  ++over_.episodes;
  over_.total_ms += lasted;
  over_.longest_ms = std::max(over_.longest_ms, lasted);
  log::info("demo: a phase was over the {} A fuse for {} ms", o_.main_fuse_a, lasted);
}

void SimulatedSite::publish() {
  modbus::Values pv;
  pv.power_w = pv_w_;
  modbus::Values grid;
  grid.power_w = grid_w();
  // The house leans on L1 (cooker, fridge); the inverter feeds all three phases evenly.
  const double house_l1 = house_w_ * 0.5 / volts, house_other = house_w_ * 0.25 / volts;
  ocpp::ChargePointMeter car;
  car.car_plugged = car_home_;
  car.car_wants_energy = charged_wh_ < o_.car_need_wh;
  car.energy_wh = 1000 + charged_wh_;
  car.soc_pct = 20 + 70 * std::min(1.0, charged_wh_ / o_.car_need_wh);
  for (int ph = 0; ph < 3; ++ph) {
    const double car_a = ph < o_.car_phases ? car_a_ : 0.0;
    pv.current_a[ph] = pv_w_ / 3 / volts;
    pv.voltage_v[ph] = grid.voltage_v[ph] = volts;
    grid.current_a[ph] =
        (ph == 0 ? house_l1 : house_other) + heater_w_ / 3 / volts + car_a - pv_w_ / 3 / volts;
    car.current_a[ph] = car_a;
  }
  time_over_fuse(grid);
  pv.energy_export_wh = pv_wh_;
  grid.energy_import_wh = import_wh_;
  grid.energy_export_wh = export_wh_;
  inverter_.publish(pv);
  meter_.publish(grid);
  if (charger_) charger_->set_meter(car);
}

}  // namespace hemd
