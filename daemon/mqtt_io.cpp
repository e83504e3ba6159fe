#include "daemon/mqtt_io.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "build_info.h"
#include "daemon/forecast_input.h"
#include "drivers/log/log.h"
#include "drivers/prices/local_time.h"
#include "drivers/storage/tables.h"
#include "strategies/charging_planner.h"
#include "strategies/cheapest_window.h"

namespace hemd {

namespace {

using nlohmann::json;

// Watts to 1 W, amperes to 0.01 A: what a meter resolves; more digits are noise in HA's history. Divided by
// the inverse of the step, not multiplied by the step: 138 / 100 prints as 1.38, 138 * 0.01 as
// 1.3800000000000001.
double rounded(double v, double step) {
  const double per_unit = std::round(1 / step);
  return std::round(v * per_unit) / per_unit;
}
json watts(const Reading& r) {
  return r.ok() ? json(rounded(r.value, 1)) : json(nullptr);
}
json watts(bool ok, double v) {
  return ok ? json(rounded(v, 1)) : json(nullptr);
}
json amps(const Reading& r) {
  return r.ok() ? json(rounded(r.value, 0.01)) : json(nullptr);
}

// HA drops a state longer than 255 characters: text of hemd's own is cut, on a UTF-8 character boundary.
std::string state_text(const std::string& text) {
  constexpr std::size_t max = 250;
  if (text.size() <= max) return text;
  std::size_t cut = max - 3;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "…";
}

std::string join(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& s : list) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

MqttIo::MqttIo(const config::Config& cfg, RuntimeSettings& settings, storage::Recorder& recorder,
               std::vector<std::string> announced_before, std::function<void()> nudge,
               std::function<void()> replan,
               std::function<void(const std::string&, const std::string&)> charger_action)
    : cfg_(cfg),
      settings_(settings),
      recorder_(recorder),
      announced_before_(std::move(announced_before)),
      nudge_(std::move(nudge)),
      replan_(std::move(replan)),
      charger_action_(std::move(charger_action)),
      publisher_(static_cast<std::int64_t>(cfg.mqtt.min_interval_s * 1000),
                 static_cast<std::int64_t>(cfg.mqtt.heartbeat_s * 1000)),
      // The bound the meters' readings are held to (ModbusInput): ten times what the main fuse carries.
      energy_(counters_in_registers(cfg), 10 * cfg.site.main_fuse_a * cfg.site.voltage_v * cfg.site.phases,
              std::any_of(cfg.meters.begin(), cfg.meters.end(),
                          [](const auto& m) { return m.role == config::MeterRole::battery; })) {
  log::notice("energy: Home Assistant's counters {}", energy_.sources());
  keep_energy_offsets(cfg.storage.path);
  topics_.prefix = cfg.mqtt.topic_prefix;
  topics_.discovery = cfg.mqtt.discovery_prefix;
  std::vector<std::string> statuses;
  for (int st = 0; st <= static_cast<int>(ChargerStatus::faulted); ++st)
    statuses.push_back(to_string(static_cast<ChargerStatus>(st)));
  for (const auto& c : cfg.chargers) chargers_.push_back({c.id, c.min_current_a, c.max_current_a, statuses});
  mqtt::ClientOptions o;
  o.host = cfg.mqtt.host;
  o.port = cfg.mqtt.port;
  o.client_id = cfg.mqtt.client_id;
  o.username = cfg.mqtt.username;
  o.password = cfg.mqtt.password;
  o.ca_file = cfg.mqtt.tls_ca_file;
  o.cert_file = cfg.mqtt.tls_cert_file;
  o.key_file = cfg.mqtt.tls_key_file;
  o.status_topic = topics_.status();
  o.subscriptions = {topics_.command_filter(), topics_.site_command_filter(), topics_.ha_status()};
  client_ = std::make_unique<mqtt::Client>(o);
  client_->on_connected([this] { announce(); });
  client_->on_message([this](const mqtt::Message& m) { handle(m); });
}

void MqttIo::announce() {
  const std::string version = build::version;
  const bool has_battery = std::any_of(cfg_.meters.begin(), cfg_.meters.end(),
                                       [](const auto& m) { return m.role == config::MeterRole::battery; });
  client_->publish(topics_.device_config(mqtt::site_device_id(cfg_.site.name)),
                   mqtt::site_discovery(topics_, cfg_.site.name, version, has_battery).dump(), true);
  std::vector<std::string> ids;
  for (const auto& c : chargers()) {
    client_->publish(topics_.device_config(mqtt::charger_device_id(cfg_.site.name, c.id)),
                     mqtt::charger_discovery(topics_, cfg_.site.name, c, version).dump(), true);
    ids.push_back(c.id);
  }
  // A charger gone from the config disappears from HA: an empty retained config removes the device.
  for (const auto& old : announced_before_) {
    if (std::find(ids.begin(), ids.end(), old) != ids.end()) continue;
    client_->publish(topics_.device_config(mqtt::charger_device_id(cfg_.site.name, old)), "", true);
    client_->publish(topics_.charger_state(old), "", true);
    log::notice("mqtt: charger {} is no longer configured; removed from Home Assistant", old);
  }
  if (join(announced_before_) != join(ids)) {
    storage::record(recorder_, storage::Setting::list(announced_key, ids));
    recorder_.flush();
    announced_before_ = ids;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  publisher_.forget_all();  // state goes out again with the next cycle
}

// The jumps left out of the register counters survive a restart in the settings table (a rare event: one
// write each).
void MqttIo::keep_energy_offsets(const std::string& database) {
  auto key = [](Counter c) {
    std::string k = to_string(c);
    std::replace(k.begin(), k.end(), ' ', '_');
    return fmt::format("energy.{}.offset_wh", k);
  };
  try {
    auto db = storage::Database::open(database);
    for (int k = 0; k < counter_kinds; ++k) {
      const auto c = static_cast<Counter>(k);
      const auto text = storage::setting(db, key(c));
      if (!text) continue;
      const double wh = std::strtod(text->c_str(), nullptr);
      energy_.restore_offset(c, wh);
      if (wh > 0) log::info("energy: {}: {:.0f} Wh of a jump stays left out", to_string(c), wh);
    }
  } catch (const storage::StorageError& e) {
    log::warning("energy: the counters' offsets cannot be read: {}", e.what());
  }
  energy_.on_offset([this, key](Counter c, double wh) {
    storage::record(recorder_, storage::Setting{key(c), fmt::format("{:.3f}", wh)});
    recorder_.flush();
  });
}

std::vector<mqtt::ChargerInfo> MqttIo::chargers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return chargers_;
}

// A charger that booted says what it is: its HA device is announced again with it (and again after a
// firmware update).
void MqttIo::follow_devices(const SiteSnapshot& s) {
  std::vector<mqtt::ChargerInfo> changed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& info : chargers_) {
      const auto* c = s.charger(info.id);
      if (!c || c->vendor.empty()) continue;  // not booted since hemd started: nothing new
      mqtt::ChargerInfo now = info;
      now.vendor = c->vendor;
      now.model = c->model;
      now.firmware = c->firmware;
      now.serial = c->serial;
      if (now.same_device(info)) continue;
      info = now;
      changed.push_back(now);
    }
  }
  for (const auto& c : changed) {
    log::notice("mqtt: {} is {} {} (firmware {}); its Home Assistant device says so", c.id,
                log::quoted(c.vendor, 50), log::quoted(c.model, 50), log::quoted(c.firmware, 50));
    if (client_->connected())
      client_->publish(topics_.device_config(mqtt::charger_device_id(cfg_.site.name, c.id)),
                       mqtt::charger_discovery(topics_, cfg_.site.name, c, build::version).dump(), true);
  }
}

void MqttIo::handle(const mqtt::Message& m) {
  if (m.topic == topics_.ha_status()) {
    if (m.payload == "online") {
      log::info("mqtt: Home Assistant is back; sending discovery again");
      announce();
    }
    return;
  }
  auto cmd = mqtt::parse_command(topics_, m.topic, m.payload, chargers());
  if (!cmd) return;
  // An empty payload is no command: it is what clearing a retained one (below, or by hand) sends to us.
  if (m.payload.empty()) return;
  if (!cmd->error.empty()) {
    // A refused command that the broker keeps would come back at every connect: it is cleared.
    const bool cleared = client_->publish(m.topic, "", true);
    log::warning("mqtt: refused {} = {}: {}{}", log::quoted(m.topic), log::quoted(m.payload, 60), cmd->error,
                 !m.retained ? ""
                 : cleared   ? " (retained; cleared)"
                             : " (retained; clearing it failed)");
    std::lock_guard<std::mutex> lock(mutex_);
    publisher_.forget_all();  // HA shows what it asked for until the true state is published again
  } else if (cmd->what == "clear_error") {
    log::info("mqtt: last error cleared from Home Assistant");
    error_cleared_at_ = log::latest_problem().at_ms;
  } else if (cmd->what == "restart" || cmd->what == "unlock") {
    log::notice("mqtt: {}: {} asked for", cmd->charger_id, cmd->what);
    if (charger_action_) charger_action_(cmd->charger_id, cmd->what);
  } else if (cmd->what != "replan") {
    settings_.change({cmd->charger_id, cmd->what, cmd->text, cmd->number});
  } else {
    log::info("mqtt: {}: re-plan asked for", cmd->charger_id);
    if (replan_) replan_();
  }
  if (nudge_) nudge_();  // applied (or the true state re-published) in the next cycle, at once
}

std::string MqttIo::site_state(const SiteSnapshot& s, const Decision& d) {
  double cars = 0;
  for (const auto& c : s.chargers) cars += c.power_w;
  const bool grid_ok = s.grid.power_w.ok();
  const double grid = s.grid.power_w.value;
  json j;
  j["pv_power_w"] = watts(s.pv_power_w);
  j["grid_power_w"] = watts(s.grid.power_w);
  j["house_power_w"] = watts(grid_ok, grid + (s.pv_power_w.ok() ? s.pv_power_w.value : 0) - cars);
  j["grid_import_w"] = watts(grid_ok, std::max(0.0, grid));
  j["grid_export_w"] = watts(grid_ok, std::max(0.0, -grid));
  j["surplus_w"] = watts(grid_ok, std::max(0.0, cars - grid));
  // The margin is the worst phase's: with any phase unknown, so is the margin (never the whole fuse).
  bool all_known = true;
  double worst = s.limits.main_fuse_a;
  for (int ph = 0; ph < 3; ++ph) {
    j[fmt::format("grid_current_l{}_a", ph + 1)] = amps(s.grid.current_a[ph]);
    all_known = all_known && s.grid.current_a[ph].ok();
    if (s.grid.current_a[ph].ok()) worst = std::min(worst, s.limits.main_fuse_a - s.grid.current_a[ph].value);
  }
  j["fuse_margin_a"] = all_known ? json(rounded(worst, 0.01)) : json(nullptr);
  auto kwh = [&](Counter c) {
    const auto wh = energy_.wh(c);
    return wh ? json(rounded(*wh / 1000, 0.001)) : json(nullptr);
  };
  j["grid_import_energy_kwh"] = kwh(Counter::grid_import);
  j["grid_export_energy_kwh"] = kwh(Counter::grid_export);
  j["pv_energy_kwh"] = kwh(Counter::pv);
  j["price_now_dkk_kwh"] = nullptr;
  j["price_next_dkk_kwh"] = nullptr;
  j["price_export_dkk_kwh"] = nullptr;
  j["cheapest_window"] = nullptr;
  j["cheapest_window_start"] = nullptr;
  j["cheapest_window_end"] = nullptr;
  if (!s.prices.empty() && s.prices.front().start <= s.now) {
    j["price_now_dkk_kwh"] = rounded(s.prices[0].import_dkk_per_kwh, 0.0001);
    j["price_export_dkk_kwh"] = rounded(s.prices[0].export_dkk_per_kwh, 0.0001);
    if (s.prices.size() > 1) j["price_next_dkk_kwh"] = rounded(s.prices[1].import_dkk_per_kwh, 0.0001);
    std::vector<PricePoint> day;
    for (const auto& p : s.prices)
      if (p.start < s.now + 24 * 3'600'000LL) day.push_back(p);
    if (auto w = cheapest_window(day, 22, 11)) {
      j["cheapest_window"] = fmt::format("{}–{} ({:.2f} DKK/kWh)", prices::hhmm(w->start),
                                         prices::hhmm(w->end), w->mean_dkk_per_kwh);
      j["cheapest_window_start"] = prices::utc_iso(w->start);
      j["cheapest_window_end"] = prices::utc_iso(w->end);
    }
  }
  j["summary"] = state_text(d.summary);
  const PvExpected pv = pv_expected(s.forecast, s.now);
  const auto expected_kwh = [](std::optional<double> wh, double step) {
    return wh ? json(rounded(*wh / 1000, step)) : json(nullptr);
  };
  j["pv_expected_today_kwh"] = expected_kwh(pv.rest_of_today_wh, 0.1);
  j["pv_expected_tomorrow_kwh"] = expected_kwh(pv.tomorrow_wh, 0.1);
  j["pv_expected_next_hour_kwh"] = expected_kwh(pv.next_hour_wh, 0.01);
  double battery_w = 0, soc_sum = 0;
  int socs = 0;
  bool battery_ok = !s.batteries.empty();
  for (const auto& b : s.batteries) {
    battery_ok = battery_ok && b.power_w.ok();
    battery_w += b.power_w.value;
    if (b.soc_pct.ok()) soc_sum += b.soc_pct.value, ++socs;
  }
  j["battery_power_w"] = battery_ok ? json(std::round(battery_w)) : json(nullptr);
  j["battery_soc_pct"] = socs > 0 ? json(rounded(soc_sum / socs, 0.1)) : json(nullptr);
  const auto rules = settings_.battery();
  j["battery_priority_soc_pct"] = rules.priority_soc;
  j["battery_buffer_soc_pct"] = rules.buffer_soc;
  j["battery_charged_energy_kwh"] = kwh(Counter::battery_charged);
  j["battery_discharged_energy_kwh"] = kwh(Counter::battery_discharged);
  j["version"] = build::version;
  j["started_at"] = prices::utc_iso(started_);
  // HA keeps a state of at most 255 characters: the last problem is cut, and dated, and cleared on request.
  const auto problem = log::latest_problem();
  const bool shown = !problem.text.empty() && problem.at_ms > error_cleared_at_;
  j["last_error"] = shown ? json(state_text(problem.text)) : json(nullptr);
  j["last_error_at"] = shown ? json(prices::utc_iso(problem.at_ms)) : json(nullptr);
  return j.dump();
}

std::string MqttIo::charger_state(const ChargerState& c, const Decision& d) {
  const auto* cmd = d.for_charger(c.id);
  const auto set = settings_.get(c.id);
  const auto& counted = counted_[c.id];
  json j;
  j["status"] = to_string(c.status);
  j["online"] = c.online;
  j["connected"] = c.car_connected;
  j["charging"] = c.online && c.status == ChargerStatus::charging;
  j["car_asleep"] = cmd && cmd->car_asleep;
  j["mode"] = to_string(c.mode);
  j["limit_a"] = rounded(cmd ? cmd->limit_a : 0.0, 0.1);
  j["power_w"] = rounded(c.power_w, 1);
  j["session_energy_wh"] = std::round(c.session_energy_wh);
  j["charged_energy_wh"] = std::round(counted.charged_wh);
  j["session_cost_dkk"] = rounded(counted.session_cost_dkk, 0.01);
  j["soc_pct"] = c.soc_pct ? json(rounded(*c.soc_pct, 1)) : json(nullptr);
  j["reason"] = state_text(cmd ? cmd->reason : "");
  j["plan"] = state_text(c.plan_summary.empty() ? (cmd ? cmd->reason : "") : c.plan_summary);
  j["plan_cost_dkk"] = c.plan_cost_dkk ? json(rounded(*c.plan_cost_dkk, 0.01)) : json(nullptr);
  j["next_start"] = c.next_planned_start ? json(prices::utc_iso(*c.next_planned_start)) : json(nullptr);
  j["departure"] = set.departure ? json(*set.departure) : json(nullptr);
  // What the plan works toward: the owner's departure and target, or what an ISO 15118 car said (OCPP 2.0.1).
  j["planned_departure"] = c.departure ? json(prices::utc_iso(*c.departure)) : json(nullptr);
  const auto need = ChargingPlanner::need_wh(c);
  j["energy_need_kwh"] = need ? json(rounded(*need / 1000, 0.01)) : json(nullptr);
  j["target_energy_kwh"] = set.target_energy_kwh ? json(*set.target_energy_kwh) : json(nullptr);
  j["target_soc_pct"] = set.target_soc_pct ? json(*set.target_soc_pct) : json(nullptr);
  j["max_current_a"] = rounded(c.max_current_a, 0.1);
  return j.dump();
}

// What each charger delivered, counted from its session energy (a new session starts from 0), and what the
// session cost at the import price of each cycle.
void MqttIo::count(const SiteSnapshot& s) {
  const double price =
      !s.prices.empty() && s.prices.front().start <= s.now ? s.prices[0].import_dkk_per_kwh : 0;
  for (const auto& c : s.chargers) {
    auto& k = counted_[c.id];
    const double now_wh = std::max(0.0, c.session_energy_wh);
    const double added = now_wh >= k.session_wh ? now_wh - k.session_wh : now_wh;
    if (now_wh < k.session_wh) k.session_cost_dkk = 0;  // a new session
    // A jump of more than 50 kWh in one cycle is a meter's reset or nonsense, not energy delivered.
    if (k.seen && added < 50'000) {
      k.charged_wh += added;
      k.session_cost_dkk += added / 1000 * price;
    }
    k.session_wh = now_wh;
    k.seen = true;
  }
}

void MqttIo::observe(const SiteSnapshot& s, const Decision& d) {
  if (started_ == 0) started_ = s.now;
  count(s);
  energy_.update(s);
  follow_devices(s);
  if (!client_->connected()) return;
  std::vector<std::pair<std::string, std::string>> out = {{topics_.site_state(), site_state(s, d)}};
  for (const auto& c : s.chargers) out.push_back({topics_.charger_state(c.id), charger_state(c, d)});
  // Paho is never called with mutex_ held: its callback thread takes mutex_ for a refused command, and a
  // publish that waits on that thread while holding mutex_ would hang both (seen under load in the tests).
  std::vector<std::pair<std::string, std::string>> due;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& item : out)
      if (publisher_.due(item.first, item.second, s.now)) due.push_back(std::move(item));
  }
  for (const auto& [topic, payload] : due) {
    if (!client_->publish(topic, payload, true)) continue;
    std::lock_guard<std::mutex> lock(mutex_);
    publisher_.published(topic, payload, s.now);
  }
}

}  // namespace hemd
