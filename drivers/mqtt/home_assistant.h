#pragma once
// Home Assistant MQTT discovery, device-based: one retained payload per device (the site, each charger)
// listing its components, so HA creates the device and its entities by itself. State is one JSON object per
// device; each entity picks its value with a template.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace hemd::mqtt {

struct Topics {
  std::string prefix = "hemd/";             // ends with '/'
  std::string discovery = "homeassistant";  // HA's discovery prefix
  std::string status() const { return prefix + "status"; }
  std::string site_state() const { return prefix + "site/state"; }
  std::string charger_state(const std::string& id) const { return prefix + "charger/" + id + "/state"; }
  std::string charger_command(const std::string& id, const std::string& what) const {
    return prefix + "charger/" + id + "/" + what + "/set";
  }
  std::string command_filter() const { return prefix + "charger/+/+/set"; }
  std::string site_command(const std::string& what) const { return prefix + "site/" + what + "/set"; }
  std::string site_command_filter() const { return prefix + "site/+/set"; }
  std::string ha_status() const { return discovery + "/status"; }
  std::string device_config(const std::string& device_id) const {
    return discovery + "/device/" + device_id + "/config";
  }
};

struct ChargerInfo {
  std::string id;
  double min_current_a = 6;
  double max_current_a = 16;
  std::vector<std::string> statuses;  // every value the status takes (HA's enum sensor lists them)
  // What the charger said at boot, as it said it ("" until then); charger_discovery() cuts and escapes it.
  std::string vendor{}, model{}, firmware{}, serial{};
  bool same_device(const ChargerInfo& o) const {
    return vendor == o.vendor && model == o.model && firmware == o.firmware && serial == o.serial;
  }
};

// Unique ids stay the same across restarts: they are built from the site name and charger ids only.
std::string site_device_id(const std::string& site_name);
std::string charger_device_id(const std::string& site_name, const std::string& charger_id);
// Text a device sent about itself, fit for HA's device registry: at most `max` bytes of it, control
// characters and invalid UTF-8 escaped, blanks around it dropped; `fallback` when nothing is left.
std::string device_text(const std::string& outside, const std::string& fallback, std::size_t max = 50);

// `battery`: the site has a home battery (its charge and power are announced too).
nlohmann::json site_discovery(const Topics& t, const std::string& site_name, const std::string& version,
                              bool battery = false);
nlohmann::json charger_discovery(const Topics& t, const std::string& site_name, const ChargerInfo& c,
                                 const std::string& version);

// A command from HA, parsed and checked against the charger's limits; `error` says what was wrong.
struct Command {
  std::string charger_id;
  std::string what;  // mode | target_energy | target_soc | max_current | departure | start | replan |
                     // restart | unlock
  std::string text;  // mode, departure "HH:MM" ("" clears it); set only when valid
  double number = 0;
  std::string error;
};
// nullopt when the topic is not a command topic of `t`. The site's commands (clear_error, and the home
// battery's priority_soc and buffer_soc, 0-100 %) have no charger id.
std::optional<Command> parse_command(const Topics& t, const std::string& topic, const std::string& payload,
                                     const std::vector<ChargerInfo>& chargers);

inline const std::vector<std::string> charge_modes = {"off", "now", "minpv", "pv", "smart"};
// The departure command that clears it (the payload of HA's "Clear departure" button).
inline constexpr const char* departure_clear = "CLEAR";

}  // namespace hemd::mqtt
