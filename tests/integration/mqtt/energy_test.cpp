// Home Assistant's energy counters from the meters' own registers (issue 24) and the home battery's (issue
// 21): hemd with a real pymodbus site and a real mosquitto. A counter that jumps or restarts must never make
// HA's statistics count energy that did not flow.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/home_assistant_rules.h"
#include "tests/support/modbus_server.h"
#include "tests/support/mqtt_peers.h"
#include "tests/support/process.h"

namespace hemd::test {
namespace {

using nlohmann::json;
const std::string site_config = "homeassistant/device/hemd_test/config";
const std::string site_state = "hemd/site/state";

class Energy : public ::testing::Test {
 protected:
  // A grid meter, an inverter and a battery on one pymodbus server, units 1, 2 and 3.
  std::string config(int mqtt_port, int modbus_port, const std::string& grid, const std::string& pv,
                     const std::string& battery) {
    std::string meters;
    int unit = 0;
    for (auto [name, role, device] : {std::tuple{"grid", "grid", grid}, std::tuple{"inverter", "pv", pv},
                                      std::tuple{"battery", "battery", battery}})
      meters += fmt::format(
          "  - {{name: {}, role: {}, device: {}, transport: tcp, host: 127.0.0.1, port: {}, unit: {}, "
          "poll_ms: 200}}\n",
          name, role, device, modbus_port, ++unit);
    return dir.write(
        "hemd.yaml",
        fmt::format(
            "site: {{name: test, main_fuse_a: 35}}\nchargers:\n  - {{id: garage, max_current_a: 16}}\n"
            "meters:\n{}ocpp: {{enabled: false}}\nprices: {{enabled: false}}\nstorage: {{path: {}}}\n"
            "mqtt: {{enabled: true, host: 127.0.0.1, port: {}, min_interval_s: 0.2}}\n"
            "control: {{interval_ms: 200}}\n",
            meters, dir.file("hemd.db"), mqtt_port));
  }
  std::unique_ptr<Process> hemd(const std::string& cfg) {
    return std::make_unique<Process>(std::vector<std::string>{HEMD_BINARY, "--config", cfg},
                                     dir.file("hemd.out"), dir.file("hemd.err"));
  }
  static void stop(Process& p) {
    kill(p.pid(), SIGTERM);
    EXPECT_EQ(p.wait_exit(), 0) << p.err();
  }
  // The largest value `key` ever had on the site's state topic.
  static double most(Listener& ha, const std::string& key) {
    double m = 0;
    for (const auto& payload : ha.history(site_state)) {
      const auto j = json::parse(payload, nullptr, false);
      if (!j.is_discarded() && j.contains(key) && j[key].is_number()) m = std::max(m, j[key].get<double>());
    }
    return m;
  }
  TempDir dir;
};

TEST_F(Energy, CountersComeFromTheRegistersAndAJumpNeverReachesHomeAssistant) {
  Broker broker(dir, free_port());
  Listener ha(broker.port());
  ModbusServer site(
      dir, {"--tcp", "--device", "1:sdm630", "--device", "2:huawei", "--device", "3:huawei_battery"});
  const std::string cfg =
      config(broker.port(), site.port(), "eastron_sdm630", "huawei_sun2000", "huawei_luna2000");
  auto h = hemd(cfg);
  EXPECT_TRUE(
      h->wait_for_err("energy: Home Assistant's counters from the devices' registers: grid import, "
                      "grid export, PV yield, battery charged, battery discharged; integrated from "
                      "power: none"))
      << h->err();
  // What the meters show, in kWh: SDM630 import 123.456 and export 654.321 kWh, the inverter's yield
  // 654.32 kWh, the battery's 2345.6 kWh in and 1987.6 kWh out.
  ASSERT_TRUE(ha.wait_json(site_state,
                           [](const json& j) {
                             return j["grid_import_energy_kwh"] == 123.456 &&
                                    j["grid_export_energy_kwh"] == 654.321 && j["pv_energy_kwh"] == 654.32 &&
                                    j["battery_charged_energy_kwh"] == 2345.6 &&
                                    j["battery_discharged_energy_kwh"] == 1987.6;
                           }))
      << ha.latest(site_state).value_or("none") << h->err();
  ASSERT_TRUE(ha.wait(site_config, [](const std::string& v) { return !v.empty(); }));
  const json discovery = json::parse(*ha.latest(site_config));
  EXPECT_EQ(discovery["cmps"]["grid_import_energy"]["unit_of_measurement"], "kWh");
  EXPECT_EQ(discovery["cmps"]["grid_import_energy"]["unique_id"], "hemd_test_grid_import_energy_wh");
  EXPECT_EQ(discovery["cmps"]["battery_discharged_energy"]["state_class"], "total_increasing");
  const json state = json::parse(*ha.latest(site_state));
  for (const auto& v : home_assistant_violations(discovery, &state)) ADD_FAILURE() << v;

  // The meter's import counter jumps to 4 GWh and stays: the poller drops it, then takes it as a restarted
  // meter; HA's total must not take the jump (it would book 4 GWh of import).
  site.set("e_imp=4e9");
  EXPECT_TRUE(h->wait_for_err("grid import counter: the jump of")) << h->err();
  // It counts on from the new level: 500 Wh more on the meter is 500 Wh more in HA.
  site.set("e_imp=4000000500");
  EXPECT_TRUE(ha.wait_json(site_state, [](const json& j) { return j["grid_import_energy_kwh"] == 123.956; }))
      << ha.latest(site_state).value_or("none") << h->err();
  EXPECT_LT(most(ha, "grid_import_energy_kwh"), 124) << "the jump reached Home Assistant";
  // hemd restarted: what it left out stays left out (the first reading would otherwise hand HA the jump).
  stop(*h);
  ha.publish(site_state, "", true);
  ha.forget(site_state);
  h = hemd(cfg);
  EXPECT_TRUE(ha.wait_json(site_state, [](const json& j) { return j["grid_import_energy_kwh"].is_number(); }))
      << h->err();
  EXPECT_EQ(json::parse(*ha.latest(site_state))["grid_import_energy_kwh"], 123.956) << h->err();
  EXPECT_LT(most(ha, "grid_import_energy_kwh"), 124) << "the jump reached Home Assistant after a restart";
  // A replaced meter that starts from 1 kWh: passed on, HA takes a fall as a new meter cycle.
  site.set("e_imp=1000");
  EXPECT_TRUE(ha.wait_json(site_state, [](const json& j) { return j["grid_import_energy_kwh"] == 1.0; }))
      << ha.latest(site_state).value_or("none") << h->err();
  EXPECT_LT(most(ha, "grid_import_energy_kwh"), 124);
  // The battery's counters advance with its registers.
  site.set("e_chg=2346600");
  EXPECT_TRUE(ha.wait_json(site_state, [](const json& j) {
    return j["battery_charged_energy_kwh"] == 2346.6;
  })) << ha.latest(site_state).value_or("none");
  stop(*h);
}

TEST_F(Energy, ADeviceWithoutCountersIsIntegratedAndTheLogSaysSo) {
  Broker broker(dir, free_port());
  Listener ha(broker.port());
  // Victron's GX keeps no battery counters: hemd integrates its 3456 W of discharge.
  ModbusServer site(
      dir, {"--tcp", "--device", "1:sdm630", "--device", "2:huawei", "--device", "3:victron_battery"});
  auto h = hemd(config(broker.port(), site.port(), "eastron_sdm630", "huawei_sun2000", "victron_gx"));
  EXPECT_TRUE(
      h->wait_for_err("energy: Home Assistant's counters from the devices' registers: grid import, "
                      "grid export, PV yield; integrated from power: battery charged, battery "
                      "discharged"))
      << h->err();
  EXPECT_TRUE(ha.wait_json(site_state,
                           [](const json& j) {
                             return j["battery_discharged_energy_kwh"].is_number() &&
                                    j["battery_discharged_energy_kwh"] > 0 &&
                                    j["battery_charged_energy_kwh"] == 0 &&
                                    j["grid_import_energy_kwh"] == 123.456;
                           }))
      << ha.latest(site_state).value_or("none") << h->err();
  stop(*h);
}

// The battery's priority and buffer SoC as HA number controls: a command changes the running value, a refused
// one is logged escaped and the true value sent again, and a changed value is kept across a restart.
TEST_F(Energy, BatteryRulesAreControlsKeptAcrossARestart) {
  Broker broker(dir, free_port());
  Listener ha(broker.port());
  ModbusServer site(
      dir, {"--tcp", "--device", "1:sdm630", "--device", "2:huawei", "--device", "3:huawei_battery"});
  const std::string cfg =
      config(broker.port(), site.port(), "eastron_sdm630", "huawei_sun2000", "huawei_luna2000");
  std::ofstream(cfg, std::ios::app) << "battery: {priority_soc: 80, buffer_soc: 90}\n";
  auto h = hemd(cfg);
  ASSERT_TRUE(ha.wait_json(
      site_state,
      [](const json& j) { return j["battery_priority_soc_pct"] == 80 && j["battery_buffer_soc_pct"] == 90; }))
      << ha.latest(site_state).value_or("none") << h->err();
  ha.publish("hemd/site/priority_soc/set", "40");
  EXPECT_TRUE(ha.wait_json(site_state, [](const json& j) { return j["battery_priority_soc_pct"] == 40; }));
  EXPECT_TRUE(h->wait_for_err("settings: battery priority_soc = 40 %")) << h->err();
  ha.forget(site_state);
  ha.publish("hemd/site/buffer_soc/set", "140\n");
  EXPECT_TRUE(
      h->wait_for_err("refused \"hemd/site/buffer_soc/set\" = \"140\\n\": not a number from 0 to 100 %"))
      << h->err();
  EXPECT_TRUE(ha.wait_json(site_state, [](const json& j) {
    return j["battery_priority_soc_pct"] == 40 && j["battery_buffer_soc_pct"] == 90;
  }));
  stop(*h);
  ha.forget(site_state);
  ha.publish(site_state, "", true);
  auto again = hemd(cfg);
  EXPECT_TRUE(ha.wait_json(site_state, [](const json& j) {
    return j["battery_priority_soc_pct"] == 40 && j["battery_buffer_soc_pct"] == 90;
  })) << again->err();
  stop(*again);
}

}  // namespace
}  // namespace hemd::test
