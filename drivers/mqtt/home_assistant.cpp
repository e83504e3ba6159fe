#include "drivers/mqtt/home_assistant.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "config/escape.h"
#include "drivers/log/log.h"

namespace hemd::mqtt {

namespace {

using nlohmann::json;

std::string slug(const std::string& text) {
  std::string out;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    out += std::isalnum(c) ? static_cast<char>(std::tolower(c)) : '_';
  }
  return out;
}

// A sensor reading one key of its device's state JSON. `precision` is HA's suggested display precision (-1:
// none); a numeric sensor shows what the device resolves, not float noise.
json sensor(const std::string& uid, const std::string& name, const std::string& key, const char* device_class,
            const char* state_class, const char* unit, int precision = -1) {
  json s = {{"p", "sensor"},
            {"unique_id", uid + "_" + key},
            {"name", name},
            {"value_template", fmt::format("{{{{ value_json.{} }}}}", key)}};
  if (device_class) s["device_class"] = device_class;
  if (state_class) s["state_class"] = state_class;
  if (unit) s["unit_of_measurement"] = unit;
  if (precision >= 0) s["suggested_display_precision"] = precision;
  return s;
}

json timestamp(const std::string& uid, const std::string& name, const std::string& key) {
  return sensor(uid, name, key, "timestamp", nullptr, nullptr);
}

json diagnostic(json s) {
  s["entity_category"] = "diagnostic";
  return s;
}

json binary_sensor(const std::string& uid, const std::string& name, const std::string& key,
                   const char* device_class) {
  return {{"p", "binary_sensor"},
          {"unique_id", uid + "_" + key},
          {"name", name},
          {"device_class", device_class},
          {"value_template", fmt::format("{{{{ 'ON' if value_json.{} else 'OFF' }}}}", key)}};
}

json button(const std::string& uid, const std::string& key, const std::string& name, const std::string& topic,
            const char* payload = "PRESS") {
  return {{"p", "button"},
          {"unique_id", uid + "_" + key},
          {"name", name},
          {"command_topic", topic},
          {"payload_press", payload}};
}

// hemd's own status: every entity of hemd is unavailable while hemd is not running (its last will).
json hemd_available(const Topics& t) {
  return json::array({{{"topic", t.status()}}});
}

// What a charger measures is unavailable while the charger is disconnected (old values would pass for live
// ones); its controls stay usable, as hemd keeps them for when it is back.
json measured(json s, const Topics& t, const std::string& charger_id) {
  s["availability"] =
      json::array({{{"topic", t.status()}},
                   {{"topic", t.charger_state(charger_id)},
                    {"value_template", "{{ 'online' if value_json.online else 'offline' }}"}}});
  s["availability_mode"] = "all";
  return s;
}

json device_payload(const Topics& t, json device, const std::string& version, const std::string& state_topic,
                    json components) {
  return {{"dev", std::move(device)},          {"o", {{"name", "hemd"}, {"sw", version}}},
          {"cmps", std::move(components)},     {"state_topic", state_topic},
          {"availability", hemd_available(t)}, {"qos", 1}};
}

// Strict, as a command is: the whole payload is one decimal number ("16", "22.5", "-1"), nothing around it.
// strtod would take hex, exponents, blanks and whatever follows a NUL.
std::optional<double> number_of(const std::string& payload) {
  if (payload.empty() || payload.size() > 24) return std::nullopt;
  std::size_t i = payload[0] == '-' ? 1 : 0;
  const std::size_t first_digit = i;
  while (i < payload.size() && std::isdigit(static_cast<unsigned char>(payload[i]))) ++i;
  if (i == first_digit) return std::nullopt;
  if (i < payload.size() && payload[i] == '.') {
    const std::size_t fraction = ++i;
    while (i < payload.size() && std::isdigit(static_cast<unsigned char>(payload[i]))) ++i;
    if (i == fraction) return std::nullopt;
  }
  if (i != payload.size()) return std::nullopt;
  double v = 0;
  const auto [end, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), v);
  if (ec != std::errc() || end != payload.data() + payload.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

bool two_digits(const std::string& s, std::size_t at, int below) {
  return std::isdigit(static_cast<unsigned char>(s[at])) &&
         std::isdigit(static_cast<unsigned char>(s[at + 1])) &&
         (s[at] - '0') * 10 + (s[at + 1] - '0') < below;
}

// "HH:MM", or "HH:MM:SS" as Home Assistant's time entity sends it (the seconds are dropped); "" otherwise.
std::string time_of_day(const std::string& s) {
  if (s.size() != 5 && s.size() != 8) return "";
  if (!two_digits(s, 0, 24) || s[2] != ':' || !two_digits(s, 3, 60)) return "";
  if (s.size() == 8 && (s[5] != ':' || !two_digits(s, 6, 60))) return "";
  return s.substr(0, 5);
}

}  // namespace

std::string device_text(const std::string& outside, const std::string& fallback, std::size_t max) {
  const auto first = outside.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return fallback;
  const auto last = outside.find_last_not_of(" \t\r\n");
  std::string out;
  const std::size_t taken =
      append_escaped(out, std::string_view(outside).substr(first, last - first + 1), max, false);
  if (taken < last - first + 1) out += "…";
  return out;
}

std::string site_device_id(const std::string& site_name) {
  return "hemd_" + slug(site_name);
}
std::string charger_device_id(const std::string& site_name, const std::string& charger_id) {
  return "hemd_" + slug(site_name) + "_charger_" + slug(charger_id);
}

json site_discovery(const Topics& t, const std::string& site_name, const std::string& version, bool battery) {
  const std::string uid = site_device_id(site_name);
  json c;
  c["pv_power"] = sensor(uid, "PV power", "pv_power_w", "power", "measurement", "W", 0);
  c["house_power"] = sensor(uid, "House power", "house_power_w", "power", "measurement", "W", 0);
  c["grid_power"] = sensor(uid, "Grid power", "grid_power_w", "power", "measurement", "W", 0);
  c["grid_import"] = sensor(uid, "Grid import", "grid_import_w", "power", "measurement", "W", 0);
  c["grid_export"] = sensor(uid, "Grid export", "grid_export_w", "power", "measurement", "W", 0);
  c["surplus"] = sensor(uid, "PV surplus", "surplus_w", "power", "measurement", "W", 0);
  for (int ph = 1; ph <= 3; ++ph)
    c[fmt::format("grid_current_l{}", ph)] =
        sensor(uid, fmt::format("Grid current L{}", ph), fmt::format("grid_current_l{}_a", ph), "current",
               "measurement", "A", 1);
  c["fuse_margin"] = sensor(uid, "Fuse margin", "fuse_margin_a", "current", "measurement", "A", 1);
  // Energy counters for HA's Energy dashboard, in kWh as the meters count. Their unique ids are the ones of
  // when they were in Wh: HA keeps the entity and converts its statistics.
  auto counter = [&](const char* key, const char* name, const char* value) {
    c[key] = sensor(uid, name, value, "energy", "total_increasing", "kWh", 2);
    c[key]["unique_id"] = fmt::format("{}_{}_wh", uid, key);
  };
  counter("grid_import_energy", "Grid import energy", "grid_import_energy_kwh");
  counter("grid_export_energy", "Grid export energy", "grid_export_energy_kwh");
  counter("pv_energy", "PV energy", "pv_energy_kwh");
  // Prices as HA's Nord Pool integration shows them: no device class, `measurement`, so the recorder keeps
  // their mean, min and max. `monetary` would require `total` (a sum), which a price is not.
  c["price_now"] =
      sensor(uid, "Electricity price", "price_now_dkk_kwh", nullptr, "measurement", "DKK/kWh", 2);
  c["price_next"] = sensor(uid, "Electricity price next quarter-hour", "price_next_dkk_kwh", nullptr,
                           "measurement", "DKK/kWh", 2);
  c["price_export"] =
      sensor(uid, "Export price", "price_export_dkk_kwh", nullptr, "measurement", "DKK/kWh", 2);
  c["cheapest_window"] =
      sensor(uid, "Cheapest charging window", "cheapest_window", nullptr, nullptr, nullptr);
  c["cheapest_window_start"] = timestamp(uid, "Cheapest window start", "cheapest_window_start");
  c["cheapest_window_end"] = timestamp(uid, "Cheapest window end", "cheapest_window_end");
  c["summary"] = sensor(uid, "Summary", "summary", nullptr, nullptr, nullptr);
  // What the plan expects of the roof (the solar forecast, corrected; or the last week): energy without a
  // state class, as HA's own forecast integrations announce it.
  c["pv_expected_today"] =
      sensor(uid, "PV expected rest of today", "pv_expected_today_kwh", "energy", nullptr, "kWh", 1);
  c["pv_expected_tomorrow"] =
      sensor(uid, "PV expected tomorrow", "pv_expected_tomorrow_kwh", "energy", nullptr, "kWh", 1);
  c["pv_expected_next_hour"] =
      sensor(uid, "PV expected next hour", "pv_expected_next_hour_kwh", "energy", nullptr, "kWh", 2);
  if (battery) {
    c["battery_soc"] =
        sensor(uid, "Home battery state of charge", "battery_soc_pct", "battery", "measurement", "%", 0);
    // Positive while it discharges, as everywhere in hemd.
    c["battery_power"] = sensor(uid, "Home battery power", "battery_power_w", "power", "measurement", "W", 0);
    // The rules of whose surplus it is (strategies/battery.h), changed from HA while hemd runs.
    auto rule = [&](const char* key, const char* name) {
      c[key] = {{"p", "number"},
                {"unique_id", uid + "_" + key},
                {"name", name},
                {"command_topic", t.site_command(key)},
                {"min", 0},
                {"max", 100},
                {"step", 1},
                {"mode", "slider"},
                {"device_class", "battery"},
                {"unit_of_measurement", "%"},
                {"entity_category", "config"},
                {"value_template", fmt::format("{{{{ value_json.battery_{}_pct }}}}", key)}};
    };
    rule("priority_soc", "Home battery priority SoC");
    rule("buffer_soc", "Home battery buffer SoC");
    // The Energy dashboard's home battery: energy into it and out of it.
    c["battery_charged_energy"] = sensor(uid, "Home battery charged energy", "battery_charged_energy_kwh",
                                         "energy", "total_increasing", "kWh", 2);
    c["battery_discharged_energy"] =
        sensor(uid, "Home battery discharged energy", "battery_discharged_energy_kwh", "energy",
               "total_increasing", "kWh", 2);
  }
  // The device is named "hemd <site>", so these read sensor.hemd_<site>_version and so on.
  c["version"] = diagnostic(sensor(uid, "Version", "version", nullptr, nullptr, nullptr));
  c["started_at"] = diagnostic(timestamp(uid, "Started", "started_at"));
  c["last_error"] = diagnostic(sensor(uid, "Last error", "last_error", nullptr, nullptr, nullptr));
  c["last_error_at"] = diagnostic(timestamp(uid, "Last error at", "last_error_at"));
  c["clear_error"] = button(uid, "clear_error", "Clear last error", t.site_command("clear_error"));
  c["clear_error"]["entity_category"] = "config";
  return device_payload(t,
                        {{"ids", uid},
                         {"name", "hemd " + site_name},
                         {"mf", "hemd"},
                         {"mdl", "home energy manager"},
                         {"sw", version}},
                        version, t.site_state(), std::move(c));
}

json charger_discovery(const Topics& t, const std::string& site_name, const ChargerInfo& ch,
                       const std::string& version) {
  const std::string uid = charger_device_id(site_name, ch.id);
  const std::string state = t.charger_state(ch.id);
  auto m = [&](json s) { return measured(std::move(s), t, ch.id); };
  json c;
  c["online"] = binary_sensor(uid, "Online", "online", "connectivity");
  c["connected"] = m(binary_sensor(uid, "Car connected", "connected", "plug"));
  c["charging"] = m(binary_sensor(uid, "Charging", "charging", "battery_charging"));
  // On when the car missed a resume and no wake-up helped; the Decision entity says what was tried.
  c["car_asleep"] = binary_sensor(uid, "Car does not wake", "car_asleep", "problem");
  c["status"] = m(sensor(uid, "Status", "status", "enum", nullptr, nullptr));
  c["status"]["options"] = ch.statuses;
  c["limit"] = m(sensor(uid, "Current limit", "limit_a", "current", "measurement", "A", 1));
  c["power"] = m(sensor(uid, "Charging power", "power_w", "power", "measurement", "W", 0));
  c["session_energy"] =
      m(sensor(uid, "Session energy", "session_energy_wh", "energy", "total_increasing", "Wh", 0));
  // hemd's own count of what this charger delivered, so each charger can be a device in the Energy dashboard.
  c["charged_energy"] =
      sensor(uid, "Charged energy", "charged_energy_wh", "energy", "total_increasing", "Wh", 0);
  c["session_cost"] = sensor(uid, "Session cost", "session_cost_dkk", "monetary", nullptr, "DKK", 2);
  c["soc"] = m(sensor(uid, "Car state of charge", "soc_pct", "battery", "measurement", "%", 0));
  c["plan"] = sensor(uid, "Plan", "plan", nullptr, nullptr, nullptr);
  c["plan_cost"] = sensor(uid, "Plan cost", "plan_cost_dkk", "monetary", nullptr, "DKK", 2);
  c["next_start"] = timestamp(uid, "Next start", "next_start");
  c["planned_departure"] = timestamp(uid, "Planned departure", "planned_departure");
  c["energy_need"] = sensor(uid, "Energy need", "energy_need_kwh", "energy", nullptr, "kWh", 1);
  c["reason"] = diagnostic(sensor(uid, "Decision", "reason", nullptr, nullptr, nullptr));
  c["mode"] = {{"p", "select"},
               {"unique_id", uid + "_mode"},
               {"name", "Mode"},
               {"options", charge_modes},
               {"command_topic", t.charger_command(ch.id, "mode")},
               {"value_template", "{{ value_json.mode }}"}};
  auto number = [&](const char* key, const char* name, const char* what, double min, double max, double step,
                    const char* device_class, const char* unit, const char* value) {
    c[key] = {{"p", "number"},
              {"unique_id", uid + "_" + key},
              {"name", name},
              {"command_topic", t.charger_command(ch.id, what)},
              {"min", min},
              {"max", max},
              {"step", step},
              {"mode", "box"},
              {"device_class", device_class},
              {"unit_of_measurement", unit},
              {"value_template", fmt::format("{{{{ value_json.{} }}}}", value)}};
  };
  number("target_energy", "Target energy", "target_energy", 0, 150, 0.5, "energy", "kWh",
         "target_energy_kwh");
  number("target_soc", "Target state of charge", "target_soc", 0, 100, 1, "battery", "%", "target_soc_pct");
  number("max_current", "Maximum current", "max_current", ch.min_current_a, ch.max_current_a, 1, "current",
         "A", "max_current_a");
  // HA's time entity: "None" shows as unknown (an empty state would be ignored and keep the old time); it
  // sends HH:MM:SS. The button next to it clears the departure.
  c["departure"] = {{"p", "time"},
                    {"unique_id", uid + "_departure"},
                    {"name", "Departure"},
                    {"command_topic", t.charger_command(ch.id, "departure")},
                    {"value_template", "{{ value_json.departure if value_json.departure else 'None' }}"}};
  c["clear_departure"] = button(uid, "clear_departure", "Clear departure",
                                t.charger_command(ch.id, "departure"), departure_clear);
  c["start"] = button(uid, "start", "Start charging now", t.charger_command(ch.id, "start"));
  c["replan"] = button(uid, "replan", "Replan", t.charger_command(ch.id, "replan"));
  c["restart"] = button(uid, "restart", "Restart charger", t.charger_command(ch.id, "restart"));
  c["restart"]["device_class"] = "restart";
  c["restart"]["entity_category"] = "config";
  c["unlock"] = button(uid, "unlock", "Unlock cable", t.charger_command(ch.id, "unlock"));
  c["unlock"]["entity_category"] = "config";
  // What the charger said at boot; until it has, what hemd knows of it. Linked to hemd's own device.
  json device = {{"ids", uid},
                 {"name", "hemd charger " + ch.id},
                 {"mf", device_text(ch.vendor, "hemd")},
                 {"mdl", device_text(ch.model, "OCPP charger")},
                 {"via_device", site_device_id(site_name)}};
  if (auto sw = device_text(ch.firmware, ""); !sw.empty()) device["sw"] = sw;
  if (auto sn = device_text(ch.serial, ""); !sn.empty())
    device["serial_number"] = sn;  // spelt out: HA takes every full key
  return device_payload(t, std::move(device), version, state, std::move(c));
}

std::optional<Command> parse_command(const Topics& t, const std::string& topic, const std::string& payload,
                                     const std::vector<ChargerInfo>& chargers) {
  const std::string tail = "/set";
  if (topic == t.site_command("clear_error")) {
    Command cmd;
    cmd.what = "clear_error";
    if (payload != "PRESS") cmd.error = "expected PRESS";
    return cmd;
  }
  for (const char* what : {"priority_soc", "buffer_soc"}) {
    if (topic != t.site_command(what)) continue;
    Command cmd;
    cmd.what = what;
    const auto number = number_of(payload);
    if (!number || *number < 0 || *number > 100)
      cmd.error = "not a number from 0 to 100 %";
    else
      cmd.number = *number;
    return cmd;
  }
  const std::string head = t.prefix + "charger/";
  if (topic.rfind(head, 0) != 0 || topic.size() <= head.size() + tail.size() ||
      topic.compare(topic.size() - tail.size(), tail.size(), tail) != 0)
    return std::nullopt;
  const std::string middle = topic.substr(head.size(), topic.size() - head.size() - tail.size());
  const auto slash = middle.rfind('/');
  if (slash == std::string::npos) return std::nullopt;
  Command cmd;
  cmd.charger_id = middle.substr(0, slash);
  cmd.what = middle.substr(slash + 1);
  const auto charger = std::find_if(chargers.begin(), chargers.end(),
                                    [&](const ChargerInfo& c) { return c.id == cmd.charger_id; });
  if (charger == chargers.end()) {
    cmd.error = fmt::format("no charger {}", log::quoted(cmd.charger_id, 40));
    return cmd;
  }
  // Errors never echo the payload: the caller logs it once, quoted and cut (a payload may be a megabyte of
  // anything, invalid UTF-8 included).
  const auto number = number_of(payload);
  auto range = [&](double lo, double hi, const char* unit) {
    if (!number || *number < lo || *number > hi)
      cmd.error = fmt::format("not a number from {:g} to {:g} {}", lo, hi, unit);
    else
      cmd.number = *number;
  };
  if (cmd.what == "mode") {
    if (std::find(charge_modes.begin(), charge_modes.end(), payload) == charge_modes.end())
      cmd.error = "not a mode; expected off, now, minpv, pv or smart";
    else
      cmd.text = payload;
  } else if (cmd.what == "target_energy") {
    range(0, 150, "kWh");
  } else if (cmd.what == "target_soc") {
    range(0, 100, "%");
  } else if (cmd.what == "max_current") {
    range(charger->min_current_a, charger->max_current_a, "A");
  } else if (cmd.what == "departure") {
    if (payload == departure_clear) {
      cmd.text = "";  // no departure
    } else {
      cmd.text = time_of_day(payload);
      if (cmd.text.empty())
        cmd.error = fmt::format("not a time of day; expected HH:MM or {}", departure_clear);
    }
  } else if (cmd.what == "start" || cmd.what == "replan" || cmd.what == "restart" || cmd.what == "unlock") {
    if (payload != "PRESS") cmd.error = "expected PRESS";
  } else {
    cmd.error = fmt::format("unknown control {}", log::quoted(cmd.what, 40));
  }
  return cmd;
}

}  // namespace hemd::mqtt
