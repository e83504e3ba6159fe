#include "daemon/energy_counters.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "daemon/modbus_input.h"
#include "drivers/log/log.h"

namespace hemd {

const char* to_string(Counter c) {
  switch (c) {
    case Counter::grid_import:
      return "grid import";
    case Counter::grid_export:
      return "grid export";
    case Counter::pv:
      return "PV yield";
    case Counter::battery_charged:
      return "battery charged";
    case Counter::battery_discharged:
      return "battery discharged";
  }
  return "?";
}

namespace {

bool map_has(const modbus::DeviceSpec& d, const char* quantity) {
  if (!d.map) return false;
  return std::any_of(d.map->points.begin(), d.map->points.end(),
                     [&](const modbus::Point& p) { return p.quantity == quantity; });
}

// A SunSpec meter has TotWhImp/TotWhExp and an inverter WH; a SunSpec battery (models 124, 802) has no
// counter. A register map has what it lists.
bool keeps(const config::Config& cfg, const config::Meter& m, const char* quantity) {
  std::vector<config::Error> errors;
  const auto d = device_spec(cfg, m, errors);
  if (m.device == "sunspec") return m.role != config::MeterRole::battery;
  return map_has(d, quantity);
}

}  // namespace

std::array<bool, counter_kinds> counters_in_registers(const config::Config& cfg) {
  std::array<bool, counter_kinds> out{};
  const std::array<std::pair<config::MeterRole, const char*>, counter_kinds> needs = {{
      {config::MeterRole::grid, "energy_import_wh"},
      {config::MeterRole::grid, "energy_export_wh"},
      {config::MeterRole::pv, "energy_export_wh"},
      {config::MeterRole::battery, "energy_charged_wh"},
      {config::MeterRole::battery, "energy_discharged_wh"},
  }};
  for (int k = 0; k < counter_kinds; ++k) {
    bool any = false, all = true;
    for (const auto& m : cfg.meters) {
      if (m.role != needs[k].first) continue;
      any = true;
      all = all && keeps(cfg, m, needs[k].second);
    }
    out[k] = any && all;
  }
  return out;
}

EnergyCounters::EnergyCounters(std::array<bool, counter_kinds> from_registers, double max_power_w,
                               bool battery)
    : battery_(battery) {
  for (int k = 0; k < counter_kinds; ++k) counters_[k].registers = from_registers[k];
  params_.max_power_w = max_power_w;
}

std::string EnergyCounters::sources() const {
  std::string registers, integrated;
  for (int k = 0; k < counter_kinds; ++k) {
    if (!battery_ && k >= index(Counter::battery_charged)) continue;
    auto& list = counters_[k].registers ? registers : integrated;
    list += fmt::format("{}{}", list.empty() ? "" : ", ", to_string(static_cast<Counter>(k)));
  }
  return fmt::format("from the devices' registers: {}; integrated from power: {}",
                     registers.empty() ? "none" : registers, integrated.empty() ? "none" : integrated);
}

std::optional<double> EnergyCounters::wh(Counter c) const {
  return counters_[index(c)].total;
}

void EnergyCounters::restore_offset(Counter c, double wh) {
  if (std::isfinite(wh) && wh > 0) counters_[index(c)].offset = wh;
}

void EnergyCounters::set_offset(Counter c, State& k, double wh) {
  if (wh == k.offset) return;
  k.offset = wh;
  if (on_offset_) on_offset_(c, wh);
}

// The register's value, less what it jumped by: HA counts every rise of a total_increasing sensor as energy,
// so a jump must not reach it. A fall is passed on (HA takes it as a meter that restarted from zero).
void EnergyCounters::from_register(Counter c, State& k, const Reading& r) {
  const std::string what = fmt::format("{} counter", to_string(c));
  const CounterCheck check = check_counter(k.watch, r.value, r.at, params_, what.c_str());
  if (!check.say.empty()) {
    if (check.verdict == CounterVerdict::rejected)
      log::warning("energy: {}", check.say);
    else
      log::notice("energy: {}", check.say);
  }
  if (check.verdict == CounterVerdict::rejected) return;
  if (!k.raw && r.value < k.offset) {
    // The jump left out before hemd's restart is more than the meter now shows: a meter replaced meanwhile.
    log::notice("energy: {}: {:.0f} Wh is below the jump left out before ({:.0f} Wh); counted as it is", what,
                r.value, k.offset);
    set_offset(c, k, 0);
  } else if (k.raw && check.verdict == CounterVerdict::restarted) {
    if (r.value < *k.raw) {
      set_offset(c, k, 0);  // restarted from (near) zero
    } else {
      log::warning("energy: {}: the jump of {:.0f} Wh is left out of Home Assistant's total", what,
                   r.value - *k.raw);
      set_offset(c, k, k.offset + r.value - *k.raw);
    }
  }
  // Within a run the total never falls but by a restart (check_counter lets a reading 1 Wh back pass).
  const double total = r.value - k.offset;
  k.total = k.total && check.verdict == CounterVerdict::accepted ? std::max(*k.total, total) : total;
  k.raw = r.value;
}

void EnergyCounters::update(const SiteSnapshot& s) {
  // Integration bridges at most 15 minutes (hemd stalled, the clock jumped): a gap is not guessed.
  const double dt_h = last_ > 0 && s.now > last_ && s.now - last_ <= 900'000 ? (s.now - last_) / 3.6e6 : 0.0;
  last_ = s.now;
  // The batteries' counters and power, summed; known only when every battery gave them.
  Reading charged{0, Quality::ok, s.now}, discharged{0, Quality::ok, s.now};
  bool battery_power_ok = !s.batteries.empty();
  double battery_w = 0, battery_in_w = 0;
  for (const auto& b : s.batteries) {
    for (auto [sum, part] : {std::pair{&charged, &b.charged_wh}, std::pair{&discharged, &b.discharged_wh}}) {
      if (!part->ok()) sum->quality = Quality::failed;
      sum->value += part->value;
      sum->at = std::min(sum->at, part->at);
    }
    battery_power_ok = battery_power_ok && b.power_w.ok();
    battery_w += std::max(0.0, b.power_w.value);
    battery_in_w += std::max(0.0, -b.power_w.value);
  }
  if (s.batteries.empty()) charged.quality = discharged.quality = Quality::failed;
  const double grid_w = s.grid.power_w.value;
  struct Feed {
    Counter counter;
    const Reading& reg;
    bool power_ok;
    double power_w;
  };
  const Feed feeds[] = {
      {Counter::grid_import, s.grid.energy_import_wh, s.grid.power_w.ok(), std::max(0.0, grid_w)},
      {Counter::grid_export, s.grid.energy_export_wh, s.grid.power_w.ok(), std::max(0.0, -grid_w)},
      {Counter::pv, s.pv_energy_wh, s.pv_power_w.ok(), std::max(0.0, s.pv_power_w.value)},
      {Counter::battery_charged, charged, battery_power_ok, battery_in_w},
      {Counter::battery_discharged, discharged, battery_power_ok, battery_w},
  };
  for (const auto& f : feeds) {
    if (!battery_ && index(f.counter) >= index(Counter::battery_charged)) continue;
    State& k = counters_[index(f.counter)];
    if (k.registers) {
      if (f.reg.ok()) {
        k.seen = true;
        from_register(f.counter, k, f.reg);
      } else if (!k.seen && f.power_ok && ++k.readings_without >= give_up_after) {
        // The map or model promised a counter the device does not fill ("not implemented"): better a
        // counter from power than none.
        k.registers = false;
        log::warning("energy: {}: the devices answer without their energy counter; integrated from power",
                     to_string(f.counter));
      }
      continue;
    }
    if (!k.total) k.total = 0.0;
    if (f.power_ok) *k.total += f.power_w * dt_h;
  }
}

}  // namespace hemd
