#pragma once
// Home Assistant's rules for an MQTT device discovery payload, the ones that bit hemd (issue 24), written
// from HA's own code (homeassistant/components/sensor/const.py DEVICE_CLASS_UNITS and
// DEVICE_CLASS_STATE_CLASSES, mqtt/discovery.py's shared options, mqtt/time.py, text.py): HA logs an error
// or a warning, or drops the update, when one is broken. Given the state JSON the entities read, the values
// are checked too. Returns what is wrong, one line each; empty when HA would take it all.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace hemd::test {

inline std::vector<std::string> home_assistant_violations(const nlohmann::json& device,
                                                          const nlohmann::json* state = nullptr) {
  using nlohmann::json;
  std::vector<std::string> out;
  auto bad = [&](const std::string& key, const std::string& what) { out.push_back(key + ": " + what); };
  const std::set<std::string> platforms = {"sensor", "binary_sensor", "select", "number",
                                           "text",   "time",          "button"};
  const std::map<std::string, std::set<std::string>> sensor_units = {{"power", {"W", "kW"}},
                                                                     {"current", {"A", "mA"}},
                                                                     {"energy", {"Wh", "kWh", "MWh"}},
                                                                     {"battery", {"%"}},
                                                                     {"timestamp", {""}},
                                                                     {"enum", {""}},
                                                                     {"duration", {"s", "min", "h", "d"}}};
  const std::map<std::string, std::set<std::string>> state_classes = {
      {"power", {"measurement"}},
      {"current", {"measurement"}},
      {"battery", {"measurement"}},
      {"energy", {"total", "total_increasing"}},
      {"monetary", {"total"}},
      {"timestamp", {}},
      {"enum", {}},
      {"duration", {"measurement", "total", "total_increasing"}}};
  const std::map<std::string, std::set<std::string>> number_units = {
      {"current", {"A"}}, {"energy", {"Wh", "kWh"}}, {"battery", {"%"}}};
  const std::set<std::string> binary_classes = {"connectivity", "battery_charging", "plug", "problem",
                                                "running"};
  const std::set<std::string> button_classes = {"restart", "identify", "update"};
  const std::set<std::string> shared = {"availability",          "availability_mode", "availability_template",
                                        "availability_topic",    "command_topic",     "payload_available",
                                        "payload_not_available", "state_topic",       "qos"};
  const std::regex iso(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$)");
  const std::regex key_re(R"(value_json\.([A-Za-z0-9_]+))");

  if (!device.contains("dev") || !device["dev"].contains("ids")) bad("dev", "no device ids");
  if (!device.contains("o") || !device["o"].contains("name")) bad("o", "device discovery needs its origin");
  if (!device.contains("cmps") || !device["cmps"].is_object()) {
    bad("cmps", "missing");
    return out;
  }
  std::set<std::string> unique_ids;
  for (const auto& [key, own] : device["cmps"].items()) {
    json c = own;  // as HA sees it: the device's shared options unless the component sets its own
    for (const auto& option : shared)
      if (device.contains(option) && !c.contains(option)) c[option] = device[option];
    const std::string p = c.value("p", "");
    if (!platforms.count(p)) {
      bad(key, "platform '" + p + "' not used by hemd");
      continue;
    }
    if (!c.contains("unique_id") || !unique_ids.insert(c["unique_id"].get<std::string>()).second)
      bad(key, "missing or duplicate unique_id");
    if (!c.contains("name")) bad(key, "no name");
    if (c.contains("availability") && c.contains("availability_topic"))
      bad(key, "availability and availability_topic together (HA refuses the component)");
    const std::string dc = c.value("device_class", "");
    const std::string sc = c.value("state_class", "");
    const std::string unit = c.value("unit_of_measurement", "");
    const std::string category = c.value("entity_category", "");
    if (!category.empty() && category != "diagnostic" && category != "config") bad(key, "entity_category");
    if ((p == "sensor" || p == "binary_sensor") && category == "config")
      bad(key, "a sensor cannot be in the config category");
    if (p != "button" && c.value("value_template", "").find("value_json.") == std::string::npos)
      bad(key, "no value_template reading the state JSON");
    if ((p == "select" || p == "number" || p == "text" || p == "time" || p == "button") &&
        !c.contains("command_topic"))
      bad(key, "no command_topic");

    if (p == "sensor") {
      if (!dc.empty() && dc != "monetary" && !sensor_units.count(dc)) bad(key, "device_class " + dc);
      if (sensor_units.count(dc) && !sensor_units.at(dc).count(unit))
        bad(key, fmt::format("unit '{}' with device_class {}", unit, dc));
      if (dc == "monetary" && !std::regex_match(unit, std::regex("^[A-Z]{3}$")))
        bad(key, "monetary needs a currency unit, got '" + unit + "'");
      if (!sc.empty() && sc != "measurement" && sc != "total" && sc != "total_increasing")
        bad(key, "state_class");
      if (!sc.empty() && state_classes.count(dc) && !state_classes.at(dc).count(sc))
        bad(key, fmt::format("state_class {} with device_class {}", sc, dc));
      if (dc == "enum" && (!c.contains("options") || !c["options"].is_array() || c["options"].empty()))
        bad(key, "enum without options");
      if (c.contains("suggested_display_precision") && unit.empty() && sc.empty())
        bad(key, "display precision on a sensor that is not numeric");
    } else if (p == "binary_sensor") {
      if (!dc.empty() && !binary_classes.count(dc)) bad(key, "binary_sensor device_class " + dc);
    } else if (p == "number") {
      if (!dc.empty() && (!number_units.count(dc) || !number_units.at(dc).count(unit)))
        bad(key, fmt::format("number device_class {} with unit '{}'", dc, unit));
      if (!(c.value("min", 0.0) < c.value("max", 0.0)) || !(c.value("step", 0.0) > 0))
        bad(key, "min/max/step");
    } else if (p == "button") {
      if (!dc.empty() && !button_classes.count(dc)) bad(key, "button device_class " + dc);
    } else if (p == "select") {
      if (!c.contains("options") || c["options"].empty()) bad(key, "select without options");
    } else if (p == "text") {
      if (c.value("min", 0) > c.value("max", 255) || c.value("max", 255) > 255) bad(key, "text min/max");
    }

    if (!state) continue;
    // The values the state topic gives each entity.
    const std::string tpl = c.value("value_template", "");
    for (auto it = std::sregex_iterator(tpl.begin(), tpl.end(), key_re); it != std::sregex_iterator(); ++it) {
      const std::string k = (*it)[1];
      if (!state->contains(k)) {
        bad(key, "value_template reads '" + k + "', which the state does not have");
        continue;
      }
      const json& v = (*state)[k];
      if (v.is_string() && v.get<std::string>().size() > 255) bad(key, "state longer than 255 characters");
      if (p == "sensor" && (!unit.empty() || !sc.empty()) && !v.is_number() && !v.is_null())
        bad(key, "a numeric sensor's value is " + v.dump());
      if (p == "sensor" && dc == "timestamp" && !v.is_null() &&
          !(v.is_string() && std::regex_match(v.get<std::string>(), iso)))
        bad(key, "not a timestamp: " + v.dump());
      if (p == "sensor" && dc == "enum" && !v.is_null() &&
          std::find(c["options"].begin(), c["options"].end(), v) == c["options"].end())
        bad(key, "value " + v.dump() + " is not one of the options");
      if (p == "binary_sensor" && !v.is_boolean()) bad(key, "not a boolean: " + v.dump());
      if (p == "select" && std::find(c["options"].begin(), c["options"].end(), v) == c["options"].end())
        bad(key, "value " + v.dump() + " is not one of the options");
      if (p == "time" && !v.is_null() &&
          !(v.is_string() && std::regex_match(v.get<std::string>(), std::regex("^[0-2][0-9]:[0-5][0-9]$"))))
        bad(key, "not a time of day: " + v.dump());
      if (p == "text") {
        const std::size_t n = v.is_string() ? v.get<std::string>().size() : 0;
        if (n < c.value("min", 0u) || n > c.value("max", 255u))
          bad(key, "text state outside min/max: " + v.dump());
      }
    }
  }
  return out;
}

}  // namespace hemd::test
