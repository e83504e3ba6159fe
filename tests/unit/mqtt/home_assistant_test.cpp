// Home Assistant discovery payloads carry what HA requires of each component; commands are checked.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>

#include "drivers/mqtt/home_assistant.h"
#include "drivers/mqtt/publisher.h"

namespace hemd::mqtt {
namespace {

using nlohmann::json;

// What HA's MQTT integration requires of a component in a device discovery payload, by platform.
const std::map<std::string, std::vector<std::string>> required = {
    {"sensor", {"p", "unique_id", "name", "value_template"}},
    {"binary_sensor", {"p", "unique_id", "name", "value_template"}},
    {"select", {"p", "unique_id", "command_topic", "options"}},
    {"number", {"p", "unique_id", "command_topic", "min", "max", "step"}},
    {"text", {"p", "unique_id", "command_topic"}},
    {"button", {"p", "unique_id", "command_topic"}}};

void expect_valid_device(const json& d, const Topics& t) {
  ASSERT_TRUE(d.contains("dev"));
  EXPECT_FALSE(d["dev"]["ids"].get<std::string>().empty());
  EXPECT_TRUE(d["o"].contains("name"));  // the origin is required for device discovery
  EXPECT_EQ(d["availability_topic"], t.status());
  ASSERT_TRUE(d["cmps"].is_object());
  std::set<std::string> unique_ids;
  for (const auto& [key, c] : d["cmps"].items()) {
    const std::string platform = c.value("p", "");
    ASSERT_TRUE(required.count(platform)) << key << ": platform " << platform;
    for (const auto& field : required.at(platform))
      EXPECT_TRUE(c.contains(field)) << key << " lacks " << field;
    EXPECT_TRUE(unique_ids.insert(c["unique_id"].get<std::string>()).second) << "duplicate unique_id " << key;
    if (c.contains("device_class") && c["device_class"] == "energy") {
      EXPECT_EQ(c["state_class"], "total_increasing") << key << ": usable in the Energy dashboard";
      EXPECT_TRUE(c["unit_of_measurement"] == "Wh" || c["unit_of_measurement"] == "kWh") << key;
    }
    if (c.contains("device_class") && c["device_class"] == "power") {
      EXPECT_EQ(c["unit_of_measurement"], "W");
    }
    if (platform != "button") {
      EXPECT_NE(c.value("value_template", "").find("value_json."), std::string::npos) << key;
    }
  }
}

TEST(HomeAssistant, SiteDeviceIsComplete) {
  Topics t;
  const json d = site_discovery(t, "My Home", "0.1.0");
  expect_valid_device(d, t);
  EXPECT_EQ(d["dev"]["ids"], "hemd_my_home");
  EXPECT_EQ(d["state_topic"], "hemd/site/state");
  for (const char* key : {"pv_power", "grid_power", "grid_import_energy", "grid_export_energy", "pv_energy",
                          "price_now", "fuse_margin", "grid_current_l3", "uptime", "last_error"})
    EXPECT_TRUE(d["cmps"].contains(key)) << key;
  EXPECT_EQ(t.device_config("hemd_my_home"), "homeassistant/device/hemd_my_home/config");
}

TEST(HomeAssistant, ChargerDeviceHasItsControls) {
  Topics t;
  t.prefix = "house/hemd/";
  const json d = charger_discovery(t, "home", {"garage", 6, 32}, "0.1.0");
  expect_valid_device(d, t);
  EXPECT_EQ(d["cmps"]["mode"]["options"], json(charge_modes));
  EXPECT_EQ(d["cmps"]["mode"]["command_topic"], "house/hemd/charger/garage/mode/set");
  EXPECT_EQ(d["cmps"]["max_current"]["min"], 6);
  EXPECT_EQ(d["cmps"]["max_current"]["max"], 32);
  EXPECT_EQ(d["cmps"]["departure"]["pattern"], departure_pattern);
  const std::regex pattern(departure_pattern);
  EXPECT_TRUE(std::regex_match("07:30", pattern));
  EXPECT_FALSE(std::regex_match("24:00", pattern));
  EXPECT_EQ(d["cmps"]["start"]["payload_press"], "PRESS");
  // Stable across restarts: built from names only.
  EXPECT_EQ(d["cmps"]["soc"]["unique_id"], "hemd_home_charger_garage_soc_pct");
}

TEST(HomeAssistant, CommandsAreValidated) {
  Topics t;
  const std::vector<ChargerInfo> chargers = {{"garage", 6, 16}};
  auto ok = [&](const std::string& what, const std::string& payload) {
    auto c = parse_command(t, "hemd/charger/garage/" + what + "/set", payload, chargers);
    return c && c->error.empty();
  };
  EXPECT_TRUE(ok("mode", "smart"));
  EXPECT_FALSE(ok("mode", "turbo"));
  EXPECT_TRUE(ok("max_current", "10"));
  EXPECT_FALSE(ok("max_current", "20"));
  EXPECT_FALSE(ok("max_current", "5"));
  EXPECT_FALSE(ok("max_current", "ten"));
  EXPECT_FALSE(ok("max_current", "10A"));
  EXPECT_TRUE(ok("target_energy", "22.5"));
  EXPECT_FALSE(ok("target_energy", "-1"));
  EXPECT_TRUE(ok("target_soc", "80"));
  EXPECT_FALSE(ok("target_soc", "101"));
  // Strict numbers: the whole payload is one decimal number (issue 26).
  for (const std::string& lenient :
       std::vector<std::string>{"0x10", "1e1", "\t16\n", std::string("16\0junk", 7), " 16", "16 ", "+16",
                                "16.", ".5", "1,5", "nan", "inf", "", "-", "10.0.0"})
    EXPECT_FALSE(ok("max_current", lenient)) << lenient;
  EXPECT_TRUE(ok("max_current", "10.0"));
  EXPECT_TRUE(ok("max_current", "016"));
  EXPECT_TRUE(ok("departure", "07:30"));
  EXPECT_TRUE(ok("departure", "07:30:00"));  // HA's time entity sends seconds
  EXPECT_EQ(parse_command(t, "hemd/charger/garage/departure/set", "23:59:59", chargers)->text, "23:59");
  EXPECT_TRUE(ok("departure", "CLEAR"));
  EXPECT_EQ(parse_command(t, "hemd/charger/garage/departure/set", "CLEAR", chargers)->text, "");
  EXPECT_FALSE(ok("departure", "7:30"));
  EXPECT_FALSE(ok("departure", "25:00"));
  EXPECT_FALSE(ok("departure", "07:30:60"));
  EXPECT_FALSE(ok("departure", "07:30:0"));
  // A refusal never echoes the payload (the caller logs it once, quoted and cut), nor keeps it as text.
  auto bad = parse_command(t, "hemd/charger/garage/mode/set", std::string(1000, 'x') + "\xe9", chargers);
  EXPECT_EQ(bad->error, "not a mode; expected off, now, minpv, pv or smart");
  EXPECT_EQ(bad->text, "");
  EXPECT_TRUE(ok("start", "PRESS"));
  EXPECT_FALSE(ok("start", "yes"));
  EXPECT_FALSE(ok("volume", "11"));
  auto c = parse_command(t, "hemd/charger/garage/target_energy/set", "22.5", chargers);
  EXPECT_DOUBLE_EQ(c->number, 22.5);
  auto unknown = parse_command(t, "hemd/charger/carport/mode/set", "pv", chargers);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->error, "no charger \"carport\"");
  EXPECT_FALSE(parse_command(t, "hemd/site/state", "{}", chargers));
  EXPECT_FALSE(parse_command(t, "other/charger/garage/mode/set", "pv", chargers));
}

TEST(Publisher, OnChangeNotTooOftenAndAHeartbeat) {
  Publisher p(2000, 60000);
  EXPECT_TRUE(p.due("t", "a", 0));
  p.published("t", "a", 0);
  EXPECT_FALSE(p.due("t", "a", 1000));   // unchanged
  EXPECT_FALSE(p.due("t", "b", 1000));   // changed, but too soon
  EXPECT_TRUE(p.due("t", "b", 2000));    // changed, interval passed
  EXPECT_FALSE(p.due("t", "a", 59999));  // unchanged
  EXPECT_TRUE(p.due("t", "a", 60000));   // heartbeat
  p.forget_all();
  EXPECT_TRUE(p.due("t", "a", 1));
}

}  // namespace
}  // namespace hemd::mqtt
