// The charger's Home Assistant device says what the charger said at boot (issue 24): a strict OCPP 1.6J peer
// (ocpp-rpc), hemd and a real mosquitto. The charger's words are outside text: cut and escaped, never
// trusted.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/home_assistant_rules.h"
#include "tests/support/mqtt_peers.h"
#include "tests/support/process.h"

namespace hemd::test {
namespace {

using nlohmann::json;
const std::string garage_config = "homeassistant/device/hemd_test_charger_garage/config";

TEST(ChargerDevice, VendorModelAndFirmwareFromBootNotificationFollowAnUpdate) {
  TempDir dir;
  Broker broker(dir, free_port());
  Listener ha(broker.port());
  const int ocpp_port = free_port();
  const std::string cfg = dir.write(
      "hemd.yaml",
      fmt::format(
          "site: {{name: test, main_fuse_a: 25}}\nchargers:\n  - {{id: garage, password: pw-1234, "
          "max_current_a: 16}}\n"
          "ocpp: {{listen_address: 127.0.0.1, port: {}}}\nprices: {{enabled: false}}\n"
          "storage: {{path: {}}}\nmqtt: {{enabled: true, host: 127.0.0.1, port: {}, min_interval_s: 0.2}}\n",
          ocpp_port, dir.file("hemd.db"), broker.port()));
  Process hemd({HEMD_BINARY, "--config", cfg}, dir.file("hemd.out"), dir.file("hemd.err"));
  ASSERT_TRUE(hemd.wait_for_err("ocpp: listening")) << hemd.err();
  // Before it boots, hemd knows only that it is an OCPP charger.
  ASSERT_TRUE(ha.wait_json(garage_config, [](const json& j) { return j["dev"]["mdl"] == "OCPP charger"; }));
  auto charge_point = [&](const std::string& firmware, const std::string& tag) {
    return std::make_unique<Process>(
        std::vector<std::string>{"/usr/bin/node", std::string(OCPP_PEERS) + "/chargepoint.js", "--url",
                                 fmt::format("ws://127.0.0.1:{}/ocpp", ocpp_port), "--id", "garage",
                                 "--password", "pw-1234", "--vendor", "Acme\aPower", "--model",
                                 "Pulsar Plus ", "--firmware", firmware, "--serial", "SN-0042"},
        dir.file(tag + ".out"), dir.file(tag + ".err"));
  };
  auto cp = charge_point("5.2.1 \"beta\"", "cp");
  // The bell character is shown escaped, never passed on; the blank after the model dropped.
  ASSERT_TRUE(ha.wait_json(garage_config, [](const json& j) { return j["dev"].value("sw", "") != ""; }))
      << hemd.err() << cp->err();
  json device = json::parse(*ha.latest(garage_config));
  EXPECT_EQ(device["dev"]["mf"], "Acme\\x07Power");
  EXPECT_EQ(device["dev"]["mdl"], "Pulsar Plus");
  EXPECT_EQ(device["dev"]["sw"], "5.2.1 \"beta\"");
  EXPECT_EQ(device["dev"]["serial_number"], "SN-0042");
  EXPECT_EQ(device["dev"]["via_device"], "hemd_test");
  for (const auto& v : home_assistant_violations(device)) ADD_FAILURE() << v;
  EXPECT_TRUE(
      hemd.wait_for_err("mqtt: garage is \"Acme\\x07Power\" \"Pulsar Plus \" (firmware \"5.2.1 "
                        "\\\"beta\\\"\"); its Home Assistant "
                        "device says so"))
      << hemd.err();

  // A firmware update: the charger reboots with its new version, and the device is announced again.
  kill(cp->pid(), SIGKILL);
  cp->wait_exit();
  auto updated = charge_point("5.3.0", "cp2");
  EXPECT_TRUE(ha.wait_json(garage_config, [](const json& j) { return j["dev"].value("sw", "") == "5.3.0"; }))
      << hemd.err() << updated->err();
  kill(hemd.pid(), SIGTERM);
  EXPECT_EQ(hemd.wait_exit(), 0) << hemd.err();
}

}  // namespace
}  // namespace hemd::test
