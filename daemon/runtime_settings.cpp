#include "daemon/runtime_settings.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "drivers/log/log.h"
#include "drivers/prices/local_time.h"
#include "drivers/storage/tables.h"

namespace hemd {

namespace {

std::string key(const std::string& charger_id, const std::string& what) {
  return fmt::format("charger.{}.{}", charger_id, what);
}

std::optional<double> number(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  try {
    const double x = std::stod(*text);
    if (!std::isfinite(x)) return std::nullopt;  // a stored "nan" must not become a charger's maximum
    return x;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<TimeMs> next_departure(const std::string& hhmm, TimeMs now) {
  const auto today = prices::danish(now).date;
  for (int d = 0; d < 3; ++d) {
    const auto t = prices::parse_danish(prices::to_string(prices::next_day(today, d)) + "T" + hhmm);
    if (t && *t > now) return t;
  }
  return std::nullopt;
}

RuntimeSettings::RuntimeSettings(const config::Config& cfg, storage::Database& db,
                                 storage::Recorder& recorder)
    : recorder_(recorder) {
  battery_.priority_soc = cfg.battery.priority_soc;
  battery_.buffer_soc = cfg.battery.buffer_soc;
  for (auto [what, value] :
       {std::pair{"priority_soc", &battery_.priority_soc}, std::pair{"buffer_soc", &battery_.buffer_soc}}) {
    const auto stored = number(storage::setting(db, fmt::format("battery.{}", what)));
    if (!stored || *stored < 0 || *stored > 100) continue;  // a value no command could set is not taken
    *value = *stored;
    log::info("settings: battery {} {:g} % (set at run time, kept from before)", what, *stored);
  }
  for (const auto& c : cfg.chargers) {
    ChargerSettings s;
    if (auto mode = storage::setting(db, key(c.id, "mode"))) s.mode = charge_mode_from_string(*mode);
    s.max_current_a = number(storage::setting(db, key(c.id, "max_current")));
    s.departure = storage::setting(db, key(c.id, "departure"));
    if (s.departure && s.departure->empty()) s.departure.reset();  // cleared from HA
    s.target_energy_kwh = number(storage::setting(db, key(c.id, "target_energy")));
    s.target_soc_pct = number(storage::setting(db, key(c.id, "target_soc")));
    if (s.mode)
      log::info("settings: {}: mode {} (set at run time, kept from before)", c.id, to_string(*s.mode));
    chargers_[c.id] = s;
  }
}

BatteryParams RuntimeSettings::battery() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return battery_;
}

void RuntimeSettings::tune(ControlParams& p) const {
  const BatteryParams b = battery();
  p.battery.priority_soc = b.priority_soc;
  p.battery.buffer_soc = b.buffer_soc;
}

void RuntimeSettings::change(const SettingChange& c) {
  if (c.charger_id.empty()) {
    if (c.what != "priority_soc" && c.what != "buffer_soc") return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      (c.what == "priority_soc" ? battery_.priority_soc : battery_.buffer_soc) = c.number;
    }
    log::notice("settings: battery {} = {:g} %", c.what, c.number);
    storage::record(recorder_, storage::Setting{"battery." + c.what, fmt::format("{:g}", c.number)});
    recorder_.flush();  // as a charger's setting: it must survive a crash right after it
    return;
  }
  std::string stored_what = c.what, value;
  bool is_text = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& s = chargers_[c.charger_id];
    if (c.what == "mode" || c.what == "start") {
      const auto mode = c.what == "start" ? ChargeMode::now : charge_mode_from_string(c.text);
      if (!mode) return;  // validated before it came here; never a crash if it was not
      if (c.what == "start" && !s.until_session_end) {
        s.mode_after_session = s.mode;
        s.until_session_end = true;
        s.car_seen = false;
      } else if (c.what == "mode") {
        s.until_session_end = false;  // the owner chose: it stays
      }
      s.mode = mode;
      stored_what = "mode";
      value = to_string(*s.mode);
    } else if (c.what == "max_current") {
      s.max_current_a = c.number;
    } else if (c.what == "departure") {
      value = c.text;  // "" clears it
      is_text = true;
      if (value.empty())
        s.departure.reset();
      else
        s.departure = value;
    } else if (c.what == "target_energy") {
      s.target_energy_kwh = c.number;
    } else if (c.what == "target_soc") {
      s.target_soc_pct = c.number;
    } else {
      return;
    }
    if (value.empty() && !is_text) value = fmt::format("{:g}", c.number);
  }
  log::notice("settings: {}: {} = {}", c.charger_id, stored_what,
              value.empty() ? std::string("none") : log::quoted(value, 40));
  storage::record(recorder_, storage::Setting{key(c.charger_id, stored_what), value});
  recorder_.flush();  // a command is rare and must survive a crash right after it
}

ChargerSettings RuntimeSettings::get(const std::string& charger_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = chargers_.find(charger_id);
  return it == chargers_.end() ? ChargerSettings{} : it->second;
}

void RuntimeSettings::fill(SiteSnapshot& snapshot) {
  std::vector<std::pair<std::string, std::string>> restored;  // charger, mode: stored after the lock
  std::unique_lock<std::mutex> lock(mutex_);
  for (auto& c : snapshot.chargers) {
    auto it = chargers_.find(c.id);
    if (it == chargers_.end()) continue;
    auto& s = it->second;
    if (s.until_session_end && c.online) {
      if (c.car_connected) {
        s.car_seen = true;
      } else if (s.car_seen) {
        s.until_session_end = false;
        s.mode = s.mode_after_session;
        restored.push_back({c.id, s.mode ? to_string(*s.mode) : ""});
      }
    }
    if (s.mode) c.mode = *s.mode;
    if (s.max_current_a) c.max_current_a = std::clamp(*s.max_current_a, c.min_current_a, c.max_current_a);
    if (s.departure) c.departure = next_departure(*s.departure, snapshot.now);
    if (s.target_energy_kwh)
      c.energy_need_wh = std::max(0.0, *s.target_energy_kwh * 1000 - c.session_energy_wh);
    if (s.target_soc_pct) c.target_soc_pct = *s.target_soc_pct;
  }
  lock.unlock();
  for (const auto& [id, mode] : restored) {
    log::notice("settings: {}: the session ended; mode back to {}", id, mode.empty() ? "the config's" : mode);
    storage::record(recorder_, storage::Setting{key(id, "mode"), mode});
  }
}

}  // namespace hemd
