#include "daemon/modbus_input.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "drivers/log/log.h"
#include "drivers/log/wall_clock.h"

namespace hemd {

modbus::Endpoint endpoint_of(const config::Meter& m) {
  modbus::Endpoint e;
  if (m.transport == "tcp") {
    e.host = m.host;
    e.port = m.port;
  } else {
    e.serial_device = m.serial.device;
    e.baud = m.serial.baud;
    e.parity = m.serial.parity;
    e.data_bits = m.serial.data_bits;
    e.stop_bits = m.serial.stop_bits;
  }
  return e;
}

modbus::DeviceSpec device_spec(const config::Config& cfg, const config::Meter& m,
                               std::vector<config::Error>& errors) {
  modbus::DeviceSpec d;
  d.name = m.name;
  d.unit = m.unit;
  d.device = m.device;
  d.meter = m.role == config::MeterRole::grid;
  d.battery = m.role == config::MeterRole::battery;
  d.timeout = std::chrono::milliseconds(m.timeout_ms);
  // Ten times what the main fuse can carry: a reading beyond that is a wrong register or a broken device.
  d.max_abs_power_w = 10 * cfg.site.main_fuse_a * cfg.site.voltage_v * cfg.site.phases;
  // A SunSpec battery is locked through model 124, as the shipped sunspec_storage map says.
  const bool sunspec_battery = m.device == "sunspec" && d.battery && m.control;
  if (m.device != "sunspec" || sunspec_battery) {
    std::vector<config::Error> map_errors;
    d.map = modbus::load_register_map(sunspec_battery ? "sunspec_storage" : m.device,
                                      modbus::device_map_dir(), map_errors);
    for (auto& e : map_errors) {
      if (e.line == 0) {  // the map is missing: point at the config line that names it
        e.file = cfg.file;
        e.line = m.line;
        e.key = "meters." + m.name + ".device";
      }
      errors.push_back(e);
    }
  }
  if (d.battery && m.control) {
    auto bad = [&](const std::string& message) {
      errors.push_back(config::Error{cfg.file, m.line, 0, "meters." + m.name + ".control", message});
    };
    if (d.map && !d.map->discharge_lock)
      bad(
          fmt::format("the map '{}' says no discharge_lock: this battery cannot be told to hold (leave "
                      "control off; hemd then counts its discharge as import)",
                      m.device));
    else if (d.map && d.map->discharge_lock->needs_rating() && !m.max_power_w)
      bad("missing max_power_w: the map's release writes the battery's rated power");
    if (d.map) d.lock = d.map->discharge_lock;
    d.lock_site = {m.unit, m.max_power_w.value_or(0), m.revert_s};
  }
  return d;
}

std::vector<std::string> release_battery_locks(const config::Config& cfg) {
  std::vector<std::string> failures;
  for (const auto& m : cfg.meters) {
    if (m.role != config::MeterRole::battery || !m.control) continue;
    std::vector<config::Error> errors;
    const auto spec = device_spec(cfg, m, errors);
    for (const auto& e : errors) failures.push_back(e.to_string());
    if (!spec.lock) continue;
    modbus::Connection c(endpoint_of(m), std::chrono::milliseconds(m.timeout_ms));
    std::string error;
    if (modbus::write_lock(c, *spec.lock, spec.lock_site, false, error))
      log::notice("modbus: {}: battery released to its own control", m.name);
    else
      failures.push_back(fmt::format("{}: releasing the battery failed: {}", m.name, error));
  }
  return failures;
}

std::vector<config::Error> check_meter_devices(const config::Config& cfg) {
  std::vector<config::Error> errors;
  for (const auto& m : cfg.meters) device_spec(cfg, m, errors);
  return errors;
}

ModbusInput::ModbusInput(const config::Config& cfg, WallClock wall, double counter_speed)
    : wall_(wall ? std::move(wall) : WallClock(wall_ms)) {
  // Meters behind one TCP gateway or on one RS-485 bus share its connection and its poller.
  std::map<std::string, std::vector<modbus::DeviceSpec>> by_endpoint;
  std::map<std::string, modbus::Endpoint> endpoints;
  std::vector<config::Error> errors;
  for (const auto& m : cfg.meters) {
    const auto e = endpoint_of(m);
    by_endpoint[e.describe()].push_back(device_spec(cfg, m, errors));
    by_endpoint[e.describe()].back().counter_speed = counter_speed;
    endpoints[e.describe()] = e;
  }
  if (!errors.empty()) {
    std::string all;
    for (const auto& e : errors) all += "\n  " + e.to_string();
    throw std::runtime_error("meters:" + all);
  }
  std::map<std::string, int> poll_ms;  // per connection: the fastest of its devices
  for (const auto& m : cfg.meters) {
    auto& ms = poll_ms[endpoint_of(m).describe()];
    const int own = m.poll_ms > 0 ? m.poll_ms : 1000;
    ms = ms == 0 ? own : std::min(ms, own);
  }
  for (auto& [key, devices] : by_endpoint)
    pollers_.push_back(std::make_unique<modbus::Poller>(endpoints[key], std::move(devices),
                                                        std::chrono::milliseconds(poll_ms[key])));
  for (const auto& m : cfg.meters)
    for (const auto& p : pollers_)
      if (p->endpoint().describe() == endpoint_of(m).describe()) meters_.push_back(Meter{m, p.get()});
}

void ModbusInput::on_grid_step(double near_fuse_a, std::function<void()> step) {
  for (const auto& m : meters_) {
    if (m.cfg.role != config::MeterRole::grid) continue;
    m.poller->on_reading([step, near_fuse_a, name = m.cfg.name](const std::string& device,
                                                                const modbus::Values& before,
                                                                const modbus::Values& now) {
      if (device != name) return;
      // Only a phase that rose to near the fuse: following PV faster than the chargers report their own
      // draw would mistake the car's response for a change in surplus.
      bool rose = false;
      for (int ph = 0; ph < 3; ++ph) {
        const auto& a = before.current_a[ph];
        const auto& b = now.current_a[ph];
        rose = rose || (a && b && *b - *a >= 1.0 && *b >= near_fuse_a);
      }
      if (rose) step();
    });
  }
}

void ModbusInput::apply(const Decision& d) {
  for (auto& p : pollers_) p->hold_batteries(d.battery_hold);
}

void ModbusInput::release_batteries() {
  for (auto& p : pollers_)
    for (const auto& failure : p->release_now()) log::error("modbus: {}", failure);
}

void ModbusInput::start() {
  for (auto& p : pollers_) p->start();
}

void ModbusInput::report_missing(const std::string& meter, const modbus::Values& v, int phases) {
  // The fuse guard cannot work without every phase current and the power: the site then runs at the safe
  // current, which the log must say once, not leave to be guessed.
  std::string lacks;
  if (!v.power_w) lacks = "power";
  for (int ph = 0; ph < phases && ph < 3; ++ph)
    if (!v.current_a[ph]) lacks += fmt::format("{}L{} current", lacks.empty() ? "" : ", ", ph + 1);
  auto& last = missing_[meter];
  if (lacks == last) return;
  if (!lacks.empty())
    log::warning(
        "modbus: grid meter {} answers without {} (a register or its scale factor reads \"not implemented\", "
        "or the map lacks it); chargers at their safe current",
        meter, lacks);
  else
    log::notice("modbus: grid meter {} gives every phase current and the power again", meter);
  last = lacks;
}

namespace {
// Counters of several devices add up; the sum is known only when every device of the role gave its part (one
// that has not answered yet would make the sum jump when it does), and only as good as the worst part.
struct CounterSum {
  Reading total{0, Quality::ok, 0};
  int parts = 0;
  bool missing = false;
  void add(const std::optional<double>& wh, Quality q, TimeMs at) {
    if (!wh) {
      missing = true;
      return;
    }
    total.value += *wh;
    total.at = parts++ == 0 ? at : std::min(total.at, at);
    if (q != Quality::ok) total.quality = q;
  }
  void put(Reading& out, int devices) const {
    if (parts == devices && !missing) out = total;
  }
};
}  // namespace

void ModbusInput::fill(SiteSnapshot& s) {
  double pv = 0;
  bool pv_seen = false;
  Reading pv_reading{0, Quality::failed, 0};
  CounterSum imported, exported, yield;
  for (const auto& m : meters_) {
    const auto state = m.poller->state(m.cfg.name);
    if (!state || state->at_ms == 0) continue;
    // Ages are wall-clock ages; the reading is stamped in the snapshot's time, which the demo runs faster.
    const std::int64_t age = wall_() - state->at_ms;
    const std::int64_t at = s.now - age;
    const bool fresh = age <= static_cast<std::int64_t>(m.cfg.stale_after_s * 1000);
    const Quality q = fresh ? Quality::ok : Quality::stale;
    const auto& v = state->values;
    if (m.cfg.role == config::MeterRole::grid) {
      if (v.power_w) s.grid.power_w = Reading{*v.power_w, q, at};
      for (int ph = 0; ph < 3; ++ph)
        if (v.current_a[ph]) s.grid.current_a[ph] = Reading{*v.current_a[ph], q, at};
      report_missing(m.cfg.name, v, s.limits.phases);
      imported.add(v.energy_import_wh, q, at);
      exported.add(v.energy_export_wh, q, at);
    } else if (m.cfg.role == config::MeterRole::battery) {
      // The app lists every configured battery with failed readings; a battery that never answered stays so.
      for (auto& b : s.batteries) {
        if (b.name != m.cfg.name) continue;
        if (v.power_w) b.power_w = Reading{*v.power_w, q, at};
        if (v.soc_pct) b.soc_pct = Reading{*v.soc_pct, q, at};
        if (v.energy_charged_wh) b.charged_wh = Reading{*v.energy_charged_wh, q, at};
        if (v.energy_discharged_wh) b.discharged_wh = Reading{*v.energy_discharged_wh, q, at};
      }
    } else if (v.power_w) {
      yield.add(v.energy_export_wh, q, at);  // an inverter's "export" counter is its production
      // Several inverters add up; the sum is only as good as the worst of them.
      pv += std::max(0.0, *v.power_w);
      pv_reading.at = pv_seen ? std::min(pv_reading.at, at) : at;
      pv_reading.quality = pv_seen && pv_reading.quality != Quality::ok ? pv_reading.quality : q;
      pv_seen = true;
    }
  }
  if (pv_seen) s.pv_power_w = Reading{pv, pv_reading.quality, pv_reading.at};
  auto devices = [&](config::MeterRole role) {
    return static_cast<int>(
        std::count_if(meters_.begin(), meters_.end(), [&](const Meter& m) { return m.cfg.role == role; }));
  };
  imported.put(s.grid.energy_import_wh, devices(config::MeterRole::grid));
  exported.put(s.grid.energy_export_wh, devices(config::MeterRole::grid));
  yield.put(s.pv_energy_wh, devices(config::MeterRole::pv));
}

}  // namespace hemd
