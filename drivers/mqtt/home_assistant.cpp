#include "drivers/mqtt/home_assistant.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

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

json sensor(const std::string& uid, const std::string& name, const std::string& key, const char* device_class,
            const char* state_class, const char* unit) {
  json s = {{"p", "sensor"},
            {"unique_id", uid + "_" + key},
            {"name", name},
            {"value_template", fmt::format("{{{{ value_json.{} }}}}", key)}};
  if (device_class) s["device_class"] = device_class;
  if (state_class) s["state_class"] = state_class;
  if (unit) s["unit_of_measurement"] = unit;
  return s;
}

json diagnostic(json s) {
  s["entity_category"] = "diagnostic";
  return s;
}

json device_payload(const Topics& t, const std::string& id, const std::string& name, const std::string& model,
                    const std::string& version, const std::string& state_topic, json components) {
  return {{"dev", {{"ids", id}, {"name", name}, {"mf", "hemd"}, {"mdl", model}, {"sw", version}}},
          {"o", {{"name", "hemd"}, {"sw", version}}},
          {"cmps", std::move(components)},
          {"state_topic", state_topic},
          {"availability_topic", t.status()},
          {"payload_available", "online"},
          {"payload_not_available", "offline"},
          {"qos", 1}};
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

std::string site_device_id(const std::string& site_name) {
  return "hemd_" + slug(site_name);
}
std::string charger_device_id(const std::string& site_name, const std::string& charger_id) {
  return "hemd_" + slug(site_name) + "_charger_" + slug(charger_id);
}

json site_discovery(const Topics& t, const std::string& site_name, const std::string& version) {
  const std::string uid = site_device_id(site_name);
  json c;
  c["pv_power"] = sensor(uid, "PV power", "pv_power_w", "power", "measurement", "W");
  c["house_power"] = sensor(uid, "House power", "house_power_w", "power", "measurement", "W");
  c["grid_power"] = sensor(uid, "Grid power", "grid_power_w", "power", "measurement", "W");
  c["grid_import"] = sensor(uid, "Grid import", "grid_import_w", "power", "measurement", "W");
  c["grid_export"] = sensor(uid, "Grid export", "grid_export_w", "power", "measurement", "W");
  c["surplus"] = sensor(uid, "PV surplus", "surplus_w", "power", "measurement", "W");
  for (int ph = 1; ph <= 3; ++ph)
    c[fmt::format("grid_current_l{}", ph)] =
        sensor(uid, fmt::format("Grid current L{}", ph), fmt::format("grid_current_l{}_a", ph), "current",
               "measurement", "A");
  c["fuse_margin"] = sensor(uid, "Fuse margin", "fuse_margin_a", "current", "measurement", "A");
  // Energy counters for HA's Energy dashboard.
  c["grid_import_energy"] =
      sensor(uid, "Grid import energy", "grid_import_energy_wh", "energy", "total_increasing", "Wh");
  c["grid_export_energy"] =
      sensor(uid, "Grid export energy", "grid_export_energy_wh", "energy", "total_increasing", "Wh");
  c["pv_energy"] = sensor(uid, "PV energy", "pv_energy_wh", "energy", "total_increasing", "Wh");
  c["price_now"] = sensor(uid, "Electricity price", "price_now_dkk_kwh", "monetary", nullptr, "DKK/kWh");
  c["price_next"] = sensor(uid, "Electricity price next quarter-hour", "price_next_dkk_kwh", "monetary",
                           nullptr, "DKK/kWh");
  c["cheapest_window"] =
      sensor(uid, "Cheapest charging window", "cheapest_window", nullptr, nullptr, nullptr);
  c["version"] = diagnostic(sensor(uid, "hemd version", "version", nullptr, nullptr, nullptr));
  c["uptime"] = diagnostic(sensor(uid, "hemd uptime", "uptime_s", "duration", "measurement", "s"));
  c["last_error"] = diagnostic(sensor(uid, "hemd last error", "last_error", nullptr, nullptr, nullptr));
  return device_payload(t, uid, "hemd " + site_name, "home energy manager", version, t.site_state(),
                        std::move(c));
}

json charger_discovery(const Topics& t, const std::string& site_name, const ChargerInfo& ch,
                       const std::string& version) {
  const std::string uid = charger_device_id(site_name, ch.id);
  const std::string state = t.charger_state(ch.id);
  json c;
  c["status"] = sensor(uid, "Status", "status", nullptr, nullptr, nullptr);
  c["connected"] = {{"p", "binary_sensor"},
                    {"unique_id", uid + "_connected"},
                    {"name", "Car connected"},
                    {"device_class", "plug"},
                    {"value_template", "{{ 'ON' if value_json.connected else 'OFF' }}"}};
  c["limit"] = sensor(uid, "Current limit", "limit_a", "current", "measurement", "A");
  c["power"] = sensor(uid, "Charging power", "power_w", "power", "measurement", "W");
  c["session_energy"] =
      sensor(uid, "Session energy", "session_energy_wh", "energy", "total_increasing", "Wh");
  c["soc"] = sensor(uid, "Car state of charge", "soc_pct", "battery", "measurement", "%");
  c["plan"] = sensor(uid, "Plan", "plan", nullptr, nullptr, nullptr);
  c["next_start"] = sensor(uid, "Next start", "next_start", "timestamp", nullptr, nullptr);
  c["reason"] = diagnostic(sensor(uid, "Decision", "reason", nullptr, nullptr, nullptr));
  c["mode"] = {{"p", "select"},
               {"unique_id", uid + "_mode"},
               {"name", "Mode"},
               {"options", charge_modes},
               {"command_topic", t.charger_command(ch.id, "mode")},
               {"value_template", "{{ value_json.mode }}"}};
  auto number = [&](const char* key, const char* name, const char* what, double min, double max, double step,
                    const char* unit, const char* value) {
    c[key] = {{"p", "number"},
              {"unique_id", uid + "_" + key},
              {"name", name},
              {"command_topic", t.charger_command(ch.id, what)},
              {"min", min},
              {"max", max},
              {"step", step},
              {"mode", "box"},
              {"unit_of_measurement", unit},
              {"value_template", fmt::format("{{{{ value_json.{} }}}}", value)}};
  };
  number("target_energy", "Target energy", "target_energy", 0, 150, 0.5, "kWh", "target_energy_kwh");
  number("target_soc", "Target state of charge", "target_soc", 0, 100, 1, "%", "target_soc_pct");
  number("max_current", "Maximum current", "max_current", ch.min_current_a, ch.max_current_a, 1, "A",
         "max_current_a");
  c["departure"] = {{"p", "text"},
                    {"unique_id", uid + "_departure"},
                    {"name", "Departure"},
                    {"command_topic", t.charger_command(ch.id, "departure")},
                    {"pattern", departure_pattern},
                    {"min", 5},
                    {"max", 5},
                    {"value_template", "{{ value_json.departure }}"}};
  for (const auto& [key, name] :
       {std::pair{"start", "Start charging now"}, std::pair{"replan", "Re-plan"},
        std::pair{"restart", "Restart charger"}, std::pair{"unlock", "Unlock cable"}})
    c[key] = {{"p", "button"},
              {"unique_id", uid + "_" + key},
              {"name", name},
              {"command_topic", t.charger_command(ch.id, key)},
              {"payload_press", "PRESS"}};
  return device_payload(t, uid, "hemd charger " + ch.id, "OCPP charger", version, state, std::move(c));
}

std::optional<Command> parse_command(const Topics& t, const std::string& topic, const std::string& payload,
                                     const std::vector<ChargerInfo>& chargers) {
  const std::string head = t.prefix + "charger/", tail = "/set";
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
