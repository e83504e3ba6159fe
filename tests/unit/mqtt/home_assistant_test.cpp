// Home Assistant discovery payloads carry what HA requires of each component; commands are checked.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>

#include "drivers/mqtt/home_assistant.h"
#include "drivers/mqtt/publisher.h"
#include "tests/support/home_assistant_rules.h"

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
    {"time", {"p", "unique_id", "command_topic"}},
    {"button", {"p", "unique_id", "command_topic"}}};

void expect_valid_device(const json& d, const Topics& t) {
  ASSERT_TRUE(d.contains("dev"));
  EXPECT_FALSE(d["dev"]["ids"].get<std::string>().empty());
  EXPECT_TRUE(d["o"].contains("name"));  // the origin is required for device discovery
  EXPECT_EQ(d["availability"][0]["topic"], t.status());
  for (const auto& v : test::home_assistant_violations(d)) ADD_FAILURE() << v;
  ASSERT_TRUE(d["cmps"].is_object());
  std::set<std::string> unique_ids;
  for (const auto& [key, c] : d["cmps"].items()) {
    const std::string platform = c.value("p", "");
    ASSERT_TRUE(required.count(platform)) << key << ": platform " << platform;
    for (const auto& field : required.at(platform))
      EXPECT_TRUE(c.contains(field)) << key << " lacks " << field;
    EXPECT_TRUE(unique_ids.insert(c["unique_id"].get<std::string>()).second) << "duplicate unique_id " << key;
    if (c.contains("device_class") && c["device_class"] == "energy") {
      if (c.contains("state_class")) {
        EXPECT_EQ(c["state_class"], "total_increasing") << key << ": Energy dashboard";
      }
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
  for (const char* key :
       {"pv_power", "grid_power", "grid_import_energy", "grid_export_energy", "pv_energy", "price_now",
        "price_export", "fuse_margin", "grid_current_l3", "started_at", "last_error", "last_error_at",
        "clear_error", "cheapest_window_start", "cheapest_window_end", "summary"})
    EXPECT_TRUE(d["cmps"].contains(key)) << key;
  EXPECT_FALSE(d["cmps"].contains("uptime")) << "a timestamp, not a duration that changes every cycle";
  // Entity ids come from the device's name and the entity's: "hemd My Home" + "Version".
  EXPECT_EQ(d["cmps"]["version"]["name"], "Version");
  // A price keeps long-term statistics as a measurement without a device class (monetary needs `total`).
  EXPECT_EQ(d["cmps"]["price_now"]["state_class"], "measurement");
  EXPECT_FALSE(d["cmps"]["price_now"].contains("device_class"));
  EXPECT_EQ(d["cmps"]["clear_error"]["command_topic"], "hemd/site/clear_error/set");
  EXPECT_EQ(t.device_config("hemd_my_home"), "homeassistant/device/hemd_my_home/config");
  // The forecast always; a home battery only where there is one.
  EXPECT_EQ(d["cmps"]["pv_expected_tomorrow"]["unit_of_measurement"], "kWh");
  EXPECT_FALSE(d["cmps"]["pv_expected_tomorrow"].contains("state_class")) << "a forecast is no counter";
  EXPECT_FALSE(d["cmps"].contains("battery_soc"));
  const json b = site_discovery(t, "My Home", "0.1.0", true);
  expect_valid_device(b, t);
  EXPECT_EQ(b["cmps"]["battery_soc"]["device_class"], "battery");
  EXPECT_EQ(b["cmps"]["battery_power"]["unit_of_measurement"], "W");
}

TEST(HomeAssistant, ChargerDeviceHasItsControls) {
  Topics t;
  t.prefix = "house/hemd/";
  const json d = charger_discovery(t, "home", {"garage", 6, 32, {"unknown", "charging"}}, "0.1.0");
  expect_valid_device(d, t);
  EXPECT_EQ(d["cmps"]["mode"]["options"], json(charge_modes));
  EXPECT_EQ(d["cmps"]["mode"]["command_topic"], "house/hemd/charger/garage/mode/set");
  EXPECT_EQ(d["cmps"]["max_current"]["min"], 6);
  EXPECT_EQ(d["cmps"]["max_current"]["max"], 32);
  EXPECT_EQ(d["cmps"]["departure"]["p"], "time");
  EXPECT_EQ(d["cmps"]["clear_departure"]["command_topic"], "house/hemd/charger/garage/departure/set");
  EXPECT_EQ(d["cmps"]["clear_departure"]["payload_press"], departure_clear);
  EXPECT_EQ(d["cmps"]["start"]["payload_press"], "PRESS");
  EXPECT_EQ(d["cmps"]["replan"]["name"], "Replan");
  EXPECT_EQ(d["cmps"]["restart"]["device_class"], "restart");
  EXPECT_EQ(d["cmps"]["restart"]["entity_category"], "config");
  // A car that did not wake is a problem HA shows; the Decision entity says what was tried.
  EXPECT_EQ(d["cmps"]["car_asleep"]["p"], "binary_sensor");
  EXPECT_EQ(d["cmps"]["car_asleep"]["device_class"], "problem");
  EXPECT_EQ(d["cmps"]["max_current"]["device_class"], "current");
  EXPECT_EQ(d["dev"]["via_device"], "hemd_home");
  EXPECT_EQ(d["cmps"]["status"]["device_class"], "enum");
  EXPECT_EQ(d["cmps"]["status"]["options"], json({"unknown", "charging"}));
  // A charger's measurements go unavailable with the charger; its controls and hemd's own counts do not.
  EXPECT_EQ(d["cmps"]["power"]["availability"][1]["topic"], "house/hemd/charger/garage/state");
  EXPECT_EQ(d["cmps"]["power"]["availability_mode"], "all");
  EXPECT_FALSE(d["cmps"]["mode"].contains("availability"));
  EXPECT_FALSE(d["cmps"]["online"].contains("availability"));
  // Stable across restarts: built from names only.
  EXPECT_EQ(d["cmps"]["soc"]["unique_id"], "hemd_home_charger_garage_soc_pct");
}

// The rules the tests check by catch what issue 24 found: hemd's old components fail them.
TEST(HomeAssistant, RulesCatchWhatBitHemdBefore) {
  Topics t;
  json d = charger_discovery(t, "home", {"garage", 6, 16, {"unknown"}}, "0.1.0");
  d["cmps"]["departure"] = {{"p", "text"},
                            {"unique_id", "x_departure"},
                            {"name", "Departure"},
                            {"command_topic", "c"},
                            {"min", 5},
                            {"max", 5},
                            {"value_template", "{{ value_json.departure }}"}};
  d["cmps"]["price"] = {{"p", "sensor"},
                        {"unique_id", "x_price"},
                        {"name", "Price"},
                        {"device_class", "monetary"},
                        {"state_class", "measurement"},
                        {"unit_of_measurement", "DKK/kWh"},
                        {"value_template", "{{ value_json.price }}"}};
  d["cmps"]["power"]["availability_topic"] = "hemd/status";
  const json state = {
      {"departure", ""}, {"price", 1.2}, {"status", "sleeping"}, {"plan", std::string(300, 'x')}};
  const auto v = test::home_assistant_violations(d, &state);
  auto has = [&](const std::string& text) {
    return std::any_of(v.begin(), v.end(),
                       [&](const std::string& l) { return l.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(has("departure: text state outside min/max")) << ::testing::PrintToString(v);
  EXPECT_TRUE(has("price: state_class measurement with device_class monetary"));
  EXPECT_TRUE(has("price: monetary needs a currency unit"));
  EXPECT_TRUE(has("power: availability and availability_topic together"));
  EXPECT_TRUE(has("status: value \"sleeping\" is not one of the options"));
  EXPECT_TRUE(has("plan: state longer than 255 characters"));
  EXPECT_TRUE(has("reads 'limit_a', which the state does not have"));
}

TEST(HomeAssistant, CommandsAreValidated) {
  Topics t;
  const std::vector<ChargerInfo> chargers = {{"garage", 6, 16, {}}};
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

TEST(HomeAssistant, BatteryRulesAreSiteCommandsFrom0To100) {
  Topics t;
  const std::vector<ChargerInfo> chargers = {{"garage", 6, 16, {}}};
  auto ok = parse_command(t, "hemd/site/priority_soc/set", "40", chargers);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->what, "priority_soc");
  EXPECT_TRUE(ok->charger_id.empty());
  EXPECT_EQ(ok->number, 40);
  EXPECT_TRUE(ok->error.empty());
  for (const std::string bad : {"101", "-1", "nan", "4e1", " 40", ""})
    EXPECT_FALSE(parse_command(t, "hemd/site/buffer_soc/set", bad, chargers)->error.empty()) << bad;
  const json site = site_discovery(t, "home", "1.0", true);
  EXPECT_EQ(site["cmps"]["priority_soc"]["command_topic"], "hemd/site/priority_soc/set");
  EXPECT_EQ(site["cmps"]["buffer_soc"]["max"], 100);
  EXPECT_FALSE(site_discovery(t, "home", "1.0", false)["cmps"].contains("priority_soc"));
}

// What a charger says of itself reaches HA's device registry cut, escaped and valid UTF-8.
TEST(HomeAssistant, ChargerDeviceTextIsCutAndEscaped) {
  EXPECT_EQ(device_text("  Zaptec ", "hemd"), "Zaptec");
  EXPECT_EQ(device_text("", "hemd"), "hemd");
  EXPECT_EQ(device_text(" \t", "hemd"), "hemd");
  EXPECT_EQ(device_text("a\nb\x07", "x"), "a\\nb\\x07");
  EXPECT_EQ(device_text("L\xc3\xa6"
                        "der \xff",
                        "x"),
            "L\xc3\xa6"
            "der \\xFF");
  EXPECT_EQ(device_text(std::string(300, 'v'), "x"), std::string(50, 'v') + "…");
  ChargerInfo c{"garage", 6, 16, {"available"}};
  c.vendor = "Acme\x01";
  c.model = std::string(200, 'm');
  c.firmware = "1.2";
  const json d = charger_discovery(Topics{}, "home", c, "0.1");
  EXPECT_EQ(d["dev"]["mf"], "Acme\\x01");
  EXPECT_EQ(d["dev"]["sw"], "1.2");
  EXPECT_EQ(d["dev"]["via_device"], "hemd_home");
  EXPECT_NO_THROW(d.dump()) << "nlohmann throws on invalid UTF-8";
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
