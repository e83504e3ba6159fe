// hemd and Home Assistant through a real mosquitto: discovery, state, every control, the broker down at start
// and restarted mid-run, HA restarting, the last will on kill -9, a charger removed, TLS and wrong passwords.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <mqtt/async_client.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "tests/support/home_assistant_rules.h"
#include "tests/support/mqtt_peers.h"
#include "tests/support/process.h"

namespace hemd::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string site_config = "homeassistant/device/hemd_test/config";
const std::string garage_config = "homeassistant/device/hemd_test_charger_garage/config";
const std::string garage_state = "hemd/charger/garage/state";

class Mqtt : public ::testing::Test {
 protected:
  std::string config(int port, const std::string& chargers = "[garage]", const std::string& mqtt_extra = "") {
    std::string list;
    for (const auto& id : {"garage", "carport"})
      if (chargers.find(id) != std::string::npos)
        list += fmt::format("  - {{id: {}, max_current_a: 16}}\n", id);
    return dir.write(
        "hemd.yaml",
        fmt::format("site: {{name: test, main_fuse_a: 35}}\nchargers:\n{}ocpp: {{enabled: false}}\n"
                    "prices: {{enabled: false}}\nstorage: {{path: {}}}\n"
                    "mqtt: {{enabled: true, host: 127.0.0.1, port: {}, min_interval_s: 0.2{}}}\n",
                    list, dir.file("hemd.db"), port, mqtt_extra));
  }
  std::unique_ptr<Process> hemd(const std::string& cfg, const std::string& tag = "hemd",
                                std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {HEMD_BINARY, "--config", cfg};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<Process>(argv, dir.file(tag + ".out"), dir.file(tag + ".err"));
  }
  static void stop(Process& p) {
    kill(p.pid(), SIGTERM);
    EXPECT_EQ(p.wait_exit(), 0) << p.err();
  }
  TempDir dir;
};

TEST_F(Mqtt, DiscoveryStateAndAvailability) {
  Broker broker(dir, free_port());
  Listener ha(broker.port());
  auto h = hemd(config(broker.port()), "demo", {"--demo", "--speed", "60"});
  ASSERT_TRUE(ha.wait(site_config, [](const std::string& v) { return !v.empty(); })) << h->err();
  const json site = json::parse(*ha.latest(site_config));
  EXPECT_EQ(site["dev"]["ids"], "hemd_test");
  EXPECT_EQ(site["availability"][0]["topic"], "hemd/status");
  EXPECT_EQ(site["cmps"]["pv_energy"]["state_class"], "total_increasing");
  // The charger's discovery may arrive after the site's: wait for it (reading a key of an empty const json
  // is undefined, and was seen as a type error under load).
  ASSERT_TRUE(ha.wait(garage_config, [](const std::string& v) { return !v.empty(); })) << h->err();
  const json garage = json::parse(*ha.latest(garage_config));
  EXPECT_EQ(garage["cmps"]["mode"]["command_topic"], "hemd/charger/garage/mode/set");
  EXPECT_TRUE(ha.wait("hemd/status", [](const std::string& v) { return v == "online"; }));
  // The demo's PV is producing and its car is plugged in.
  EXPECT_TRUE(ha.wait_json("hemd/site/state", [](const json& j) {
    return j["pv_power_w"].is_number() && j["pv_power_w"] > 0 && j["grid_power_w"].is_number() &&
           j["version"] == "0.1.0";
  })) << ha.latest("hemd/site/state").value_or("none");
  EXPECT_TRUE(ha.wait_json(garage_state, [](const json& j) {
    return j["connected"] == true && j["mode"] == "pv";
  })) << ha.latest(garage_state).value_or("none");
  // Energy counters grow while the demo exports.
  EXPECT_TRUE(ha.wait_json("hemd/site/state", [](const json& j) {
    return j["grid_export_energy_kwh"].is_number() && j["grid_export_energy_kwh"] > 0;
  }));
  // Every component as HA would take it, against the states actually published (issue 24).
  const json site_state = json::parse(*ha.latest("hemd/site/state"));
  for (const auto& v : home_assistant_violations(site, &site_state)) ADD_FAILURE() << "site: " << v;
  const json charger_state = json::parse(*ha.latest(garage_state));
  for (const auto& v : home_assistant_violations(garage, &charger_state)) ADD_FAILURE() << "garage: " << v;
  // Numbers as the devices resolve them, never float noise such as 1.3800000000000001.
  const std::regex noise(R"(\d\.\d{5,})");
  EXPECT_FALSE(std::regex_search(*ha.latest("hemd/site/state"), noise)) << *ha.latest("hemd/site/state");
  EXPECT_FALSE(std::regex_search(*ha.latest(garage_state), noise)) << *ha.latest(garage_state);
  EXPECT_TRUE(site_state["started_at"].is_string());
  EXPECT_TRUE(site_state["fuse_margin_a"].is_number()) << "the demo's meter knows every phase";
  EXPECT_EQ(charger_state["online"], true);
  stop(*h);
  EXPECT_TRUE(ha.wait("hemd/status", [](const std::string& v) { return v == "offline"; }));
}

TEST_F(Mqtt, ControlsAreValidatedAppliedAndKeptAcrossARestart) {
  Broker broker(dir, free_port());
  Listener ha(broker.port());
  auto h = hemd(config(broker.port()));
  ASSERT_TRUE(ha.wait_json(garage_state, [](const json& j) { return j["mode"] == "pv"; })) << h->err();
  const std::string set = "hemd/charger/garage/";
  ha.publish(set + "mode/set", "now");
  EXPECT_TRUE(ha.wait_json(garage_state, [](const json& j) { return j["mode"] == "now"; })) << h->err();
  ha.publish(set + "max_current/set", "10");
  EXPECT_TRUE(ha.wait_json(garage_state, [](const json& j) { return j["max_current_a"] == 10; }));
  ha.publish(set + "departure/set", "07:30");
  EXPECT_TRUE(ha.wait_json(garage_state, [](const json& j) { return j["departure"] == "07:30"; }));
  ha.publish(set + "target_energy/set", "22.5");
  EXPECT_TRUE(ha.wait_json(garage_state, [](const json& j) { return j["target_energy_kwh"] == 22.5; }));
  ha.publish(set + "target_soc/set", "80");
  EXPECT_TRUE(ha.wait_json(garage_state, [](const json& j) { return j["target_soc_pct"] == 80; }));

  // Refused, logged, and the true state is published again.
  ha.forget(garage_state);
  ha.publish(set + "mode/set", "turbo");
  ha.publish(set + "max_current/set", "40");
  ha.publish(set + "departure/set", "7.30");
  EXPECT_TRUE(h->wait_for_err("mqtt: refused \"hemd/charger/garage/mode/set\" = \"turbo\"")) << h->err();
  EXPECT_TRUE(h->wait_for_err("\"40\": not a number from 6 to 16 A")) << h->err();
  EXPECT_TRUE(h->wait_for_err("\"7.30\": not a time of day; expected HH:MM")) << h->err();
  EXPECT_TRUE(ha.wait_json(garage_state, [](const json& j) {
    return j["mode"] == "now" && j["max_current_a"] == 10 && j["departure"] == "07:30";
  }));
  ha.publish(set + "replan/set", "PRESS");
  EXPECT_TRUE(h->wait_for_err("re-plan asked for"));

  stop(*h);
  ha.publish(garage_state, "", true);  // clear the retained state: what comes next is the new run's
  ha.forget(garage_state);
  auto again = hemd(config(broker.port()), "again");
  EXPECT_TRUE(ha.wait_json(garage_state, [](const json& j) {
    return j["mode"] == "now" && j["max_current_a"] == 10 && j["departure"] == "07:30" &&
           j["target_soc_pct"] == 80;
  })) << again->err();
  stop(*again);
}

// Smart mode end to end: HA sets a departure and a need, hemd plans on the demo's time-of-use prices (1.60
// DKK/kWh from 00:00 to 06:00) and shows the plan and its next start.
TEST_F(Mqtt, SmartModePlansToTheDepartureAndShowsThePlan) {
  Broker broker(dir, free_port());
  Listener ha(broker.port());
  const std::string cfg = dir.write(
      "demo.yaml", fmt::format("site: {{name: test, main_fuse_a: 25}}\nchargers:\n  - {{id: garage, "
                               "max_current_a: 16}}\nprices:\n  provider: fixed\n  fixed_price_dkk_kwh: 2.4\n"
                               "  time_of_use: [{{from_hour: 0, to_hour: 6, dkk_kwh: 1.6}}]\n"
                               "mqtt: {{enabled: true, host: 127.0.0.1, port: {}, min_interval_s: 0.2}}\n",
                               broker.port()));
  auto h = hemd(cfg, "smart", {"--demo", "--speed", "10"});
  ASSERT_TRUE(ha.wait_json(garage_state, [](const json& j) { return j["mode"] == "pv"; })) << h->err();
  ha.publish("hemd/charger/garage/departure/set", "07:00");
  ha.publish("hemd/charger/garage/target_energy/set", "20");
  ha.publish("hemd/charger/garage/mode/set", "smart");
  // 20 kWh in the cheap night hours: 20 x 1.60 = 32.00 DKK, starting at the first cheap quarter-hour.
  EXPECT_TRUE(ha.wait_json(garage_state,
                           [](const json& j) {
                             return j["mode"] == "smart" && j["plan"] == "20.0 kWh planned, 32.00 DKK" &&
                                    j["next_start"].is_string();
                           }))
      << ha.latest(garage_state).value_or("none") << h->err();
  // The re-plan button plans again at once, though nothing changed.
  const auto plans = [&] {
    const std::string e = h->err();
    std::size_t n = 0;
    for (auto at = e.find("plan: garage: 20.0 kWh"); at != std::string::npos;
         at = e.find("plan: garage: 20.0 kWh", at + 1))
      ++n;
    return n;
  };
  ASSERT_TRUE(Process::wait_until([&] { return plans() >= 1; }, 30s)) << h->err();
  const std::size_t before = plans();
  ha.publish("hemd/charger/garage/replan/set", "PRESS");
  EXPECT_TRUE(Process::wait_until([&] { return plans() > before; }, 30s)) << h->err();
  stop(*h);
}

TEST_F(Mqtt, BrokerDownAtStartThenRestartedMidRun) {
  const int port = free_port();
  auto h = hemd(config(port));
  ASSERT_TRUE(h->wait_for_err("mqtt: cannot connect to 127.0.0.1")) << h->err();
  ASSERT_TRUE(h->wait_for_err("started")) << h->err();  // controlling the site without a broker
  Broker broker(dir, port);
  {
    Listener ha(port);
    EXPECT_TRUE(ha.wait(
        site_config, [](const std::string& v) { return !v.empty(); }, 60s))
        << h->err();
  }
  broker.kill();  // retained messages die with it (persistence off)
  ASSERT_TRUE(h->wait_for_err("connection to 127.0.0.1")) << h->err();
  broker.start();
  Listener ha(port);
  EXPECT_TRUE(ha.wait(
      site_config, [](const std::string& v) { return !v.empty(); }, 60s))
      << h->err();
  EXPECT_TRUE(ha.wait("hemd/status", [](const std::string& v) { return v == "online"; }));
  EXPECT_TRUE(ha.wait_json(garage_state, [](const json& j) { return j.contains("mode"); }));
  stop(*h);
}

TEST_F(Mqtt, HomeAssistantRestartGetsDiscoveryAgain) {
  Broker broker(dir, free_port());
  Listener ha(broker.port());
  auto h = hemd(config(broker.port()));
  ASSERT_TRUE(ha.wait(garage_config, [](const std::string& v) { return !v.empty(); })) << h->err();
  ha.publish(garage_config, "", true);  // as if HA had lost it
  ASSERT_TRUE(ha.wait(garage_config, [](const std::string& v) { return v.empty(); }));
  ha.publish("homeassistant/status", "online");
  EXPECT_TRUE(ha.wait(garage_config, [](const std::string& v) { return !v.empty(); })) << h->err();
  stop(*h);
}

TEST_F(Mqtt, LastWillOnKill9AndARemovedChargerDisappears) {
  Broker broker(dir, free_port());
  Listener ha(broker.port());
  auto both = hemd(config(broker.port(), "[garage, carport]"));
  const std::string carport_config = "homeassistant/device/hemd_test_charger_carport/config";
  ASSERT_TRUE(ha.wait(carport_config, [](const std::string& v) { return !v.empty(); })) << both->err();
  ASSERT_TRUE(ha.wait("hemd/status", [](const std::string& v) { return v == "online"; }));
  kill(both->pid(), SIGKILL);
  EXPECT_TRUE(ha.wait(
      "hemd/status", [](const std::string& v) { return v == "offline"; }, 60s));
  both->wait_exit();
  auto one = hemd(config(broker.port(), "[garage]"), "one");
  EXPECT_TRUE(ha.wait(carport_config, [](const std::string& v) { return v.empty(); })) << one->err();
  EXPECT_TRUE(ha.wait(garage_config, [](const std::string& v) { return !v.empty(); }));
  EXPECT_TRUE(one->wait_for_err("charger carport is no longer configured"));
  stop(*one);
}

TEST_F(Mqtt, WrongPasswordIsAClearErrorAndKeepsRetrying) {
  const std::string passwords = dir.file("passwords");
  Process make({"/usr/bin/mosquitto_passwd", "-b", "-c", passwords, "hemd", "right"}, dir.file("pw.out"),
               dir.file("pw.err"));
  ASSERT_EQ(make.wait_exit(), 0) << make.err();
  Broker broker(dir, free_port(), fmt::format("allow_anonymous false\npassword_file {}\n", passwords));
  auto h = hemd(config(broker.port(), "[garage]", ", username: hemd, password: wrong"));
  ASSERT_TRUE(h->wait_for_err("refused hemd's login")) << h->err() << read_file(dir.file("mosquitto.err"));
  ASSERT_TRUE(Process::wait_until(
      [&] {
        const std::string e = h->err();
        return e.find("refused hemd's login") != e.rfind("refused hemd's login");
      },
      30s))
      << "retries: " << h->err();
  EXPECT_EQ(h->err().find("wrong"), std::string::npos) << "the password is never logged";
  stop(*h);
  auto right = hemd(config(broker.port(), "[garage]", ", username: hemd, password: right"), "right");
  EXPECT_TRUE(right->wait_for_err("mqtt: connected")) << right->err();
  stop(*right);
}

// A stop that comes while hemd is still announcing itself (a fresh database: the announced chargers are being
// stored) must wait for the announcement, not free what it uses. Under ASan this caught a use after free.
TEST_F(Mqtt, StoppedWhileAnnouncingExitsCleanly) {
  Broker broker(dir, free_port());
  const std::string cfg = config(broker.port(), "[garage, carport]");
  for (int round = 0; round < 12; ++round) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((dir.file("hemd.db") + suffix).c_str());
    auto h = hemd(cfg, fmt::format("round{}", round));
    ASSERT_TRUE(h->wait_for_err("mqtt: connected")) << h->err();
    kill(h->pid(), SIGTERM);
    ASSERT_EQ(h->wait_exit(), 0) << "round " << round << ": " << h->err();
  }
}

TEST_F(Mqtt, TlsWithATestCa) {
  // A CA and a server certificate for 127.0.0.1, made with the openssl command.
  const std::string script = dir.write("ca.sh", R"(set -e
cd "$1"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=hemd-test-ca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > san.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext 2>/dev/null
)");
  Process ca({"/bin/bash", script, dir.path()}, dir.file("ca.out"), dir.file("ca.err"));
  ASSERT_EQ(ca.wait_exit(), 0) << ca.err();
  const int plain = free_port();
  Broker broker(
      dir, free_port(),
      fmt::format("cafile {0}/ca.pem\ncertfile {0}/server.pem\nkeyfile {0}/server.key\n", dir.path()), plain);
  Listener ha(plain);
  auto h = hemd(config(broker.port(), "[garage]", fmt::format(", tls: {{ca_file: {}/ca.pem}}", dir.path())));
  EXPECT_TRUE(h->wait_for_err("mqtt: connected")) << h->err();
  EXPECT_TRUE(ha.wait(site_config, [](const std::string& v) { return !v.empty(); })) << h->err();
  stop(*h);
  // A CA that did not sign the broker's certificate is refused.
  Process other({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                 dir.file("other.key"), "-out", dir.file("other.pem"), "-days", "2", "-subj", "/CN=other"},
                dir.file("o.out"), dir.file("o.err"));
  ASSERT_EQ(other.wait_exit(), 0);
  auto wrong =
      hemd(config(broker.port(), "[garage]", fmt::format(", tls: {{ca_file: {}}}", dir.file("other.pem"))),
           "wrong");
  EXPECT_TRUE(wrong->wait_for_err("mqtt: cannot connect")) << wrong->err();
  EXPECT_EQ(wrong->err().find("mqtt: connected"), std::string::npos);
  stop(*wrong);
}

// Home Assistant's buttons reach the charger as OCPP calls: the demo's charge point restarts (and boots
// again) and unlocks its cable.
TEST_F(Mqtt, RestartAndUnlockButtonsReachTheCharger) {
  Broker broker(dir, free_port());
  Listener ha(broker.port());
  auto h = hemd(config(broker.port()), "buttons", {"--demo", "--speed", "60"});
  ASSERT_TRUE(ha.wait(garage_config, [](const std::string& v) { return !v.empty(); })) << h->err();
  const json garage = json::parse(*ha.latest(garage_config));
  EXPECT_EQ(garage["cmps"]["restart"]["command_topic"], "hemd/charger/garage/restart/set");
  EXPECT_EQ(garage["cmps"]["unlock"]["p"], "button");
  ASSERT_TRUE(h->wait_for_err("ocpp: garage booted")) << h->err();
  ha.publish("hemd/charger/garage/restart/set", "PRESS");
  EXPECT_TRUE(h->wait_for_err("ocpp: garage: restart: Accepted")) << h->err();
  EXPECT_TRUE(Process::wait_until(
      [&] {
        const std::string e = h->err();
        return e.find("ocpp: garage booted") != e.rfind("ocpp: garage booted");
      },
      30s))
      << h->err();
  ha.publish("hemd/charger/garage/unlock/set", "PRESS");
  EXPECT_TRUE(h->wait_for_err("ocpp: garage: unlock: Unlocked")) << h->err();
  ha.publish("hemd/charger/garage/unlock/set", "now");
  EXPECT_TRUE(h->wait_for_err("\"now\": expected PRESS")) << h->err();
  stop(*h);
}

// HA's availability for one component: every entry of its list (or the device's) must say online.
bool available(Listener& ha, const json& device, const std::string& key) {
  const json& c = device["cmps"][key];
  const json list = c.contains("availability") ? c["availability"] : device["availability"];
  for (const auto& a : list) {
    const auto v = ha.latest(a["topic"].get<std::string>());
    if (!v) return false;
    if (a.contains("value_template")) {
      // hemd's only template: 'online' if value_json.online else 'offline'.
      EXPECT_EQ(a["value_template"], "{{ 'online' if value_json.online else 'offline' }}");
      const json j = json::parse(*v, nullptr, false);
      if (j.is_discarded() || j.value("online", false) != true) return false;
    } else if (*v != "online") {
      return false;
    }
  }
  return true;
}

// Issue 24: a charger that is not connected shows its measurements as unavailable, its controls usable;
// unknown grid currents make the fuse margin unknown; departure is HA's time entity and can be cleared; the
// last error is short, dated and can be cleared.
TEST_F(Mqtt, OfflineChargerDepartureAndLastErrorAsHomeAssistantShowsThem) {
  Broker broker(dir, free_port());
  Listener ha(broker.port());
  auto h = hemd(config(broker.port()));  // OCPP off: the charger never connects; no meters
  ASSERT_TRUE(ha.wait(garage_config, [](const std::string& v) { return !v.empty(); })) << h->err();
  ASSERT_TRUE(ha.wait_json(garage_state, [](const json& j) { return j["online"] == false; })) << h->err();
  ASSERT_TRUE(ha.wait("hemd/status", [](const std::string& v) { return v == "online"; }));
  const json garage = json::parse(*ha.latest(garage_config));
  for (const char* measured : {"power", "status", "limit", "session_energy", "connected", "charging", "soc"})
    EXPECT_FALSE(available(ha, garage, measured)) << measured;
  for (const char* control : {"mode", "max_current", "departure", "online", "plan", "start"})
    EXPECT_TRUE(available(ha, garage, control)) << control;
  ASSERT_TRUE(ha.wait("hemd/site/state", [](const std::string& v) { return !v.empty(); }));
  const json site = json::parse(*ha.latest(site_config));
  const json site_state = json::parse(*ha.latest("hemd/site/state"));
  EXPECT_TRUE(site_state["grid_current_l1_a"].is_null());
  EXPECT_TRUE(site_state["fuse_margin_a"].is_null()) << "unknown, never the whole fuse";
  for (const auto& v : home_assistant_violations(site, &site_state)) ADD_FAILURE() << "site: " << v;
  const json garage_now = json::parse(*ha.latest(garage_state));
  for (const auto& v : home_assistant_violations(garage, &garage_now)) ADD_FAILURE() << "garage: " << v;

  // Departure: null (HA's unknown) until set; HA's time entity sends seconds; the button clears it.
  EXPECT_TRUE(json::parse(*ha.latest(garage_state))["departure"].is_null());
  ha.publish("hemd/charger/garage/departure/set", "07:30:00");
  EXPECT_TRUE(ha.wait_json(garage_state, [](const json& j) { return j["departure"] == "07:30"; }))
      << h->err();
  ha.publish("hemd/charger/garage/departure/set",
             garage["cmps"]["clear_departure"]["payload_press"].get<std::string>());
  EXPECT_TRUE(ha.wait_json(garage_state, [](const json& j) { return j["departure"].is_null(); })) << h->err();

  // A 300-character bad command: the last error stays under HA's 255, dated, and is cleared by its button.
  ha.publish("hemd/charger/garage/mode/set", std::string(300, 'z'));
  EXPECT_TRUE(ha.wait_json("hemd/site/state", [](const json& j) {
    return j["last_error"].is_string() &&
           j["last_error"].get<std::string>().find("not a mode") != std::string::npos;
  })) << h->err();
  const json with_error = json::parse(*ha.latest("hemd/site/state"));
  EXPECT_LE(with_error["last_error"].get<std::string>().size(), 255u);
  EXPECT_TRUE(with_error["last_error_at"].is_string());
  ha.publish(site["cmps"]["clear_error"]["command_topic"].get<std::string>(), "PRESS");
  EXPECT_TRUE(ha.wait_json("hemd/site/state", [](const json& j) {
    return j["last_error"].is_null() && j["last_error_at"].is_null();
  })) << ha.latest("hemd/site/state").value_or("none");
  stop(*h);
}

// Issue 26: whoever can publish to the broker must not be able to stop hemd. Each command topic gets invalid
// UTF-8 (Latin-1 "é"), lenient numbers and a 1 MB payload: each is refused and logged short, the true state
// is published again and hemd runs on.
TEST_F(Mqtt, BadCommandsAreRefusedLoggedShortAndNeverFatal) {
  Broker broker(dir, free_port());
  Listener ha(broker.port());
  auto h = hemd(config(broker.port()));
  ASSERT_TRUE(ha.wait_json(garage_state, [](const json& j) { return j["mode"] == "pv"; })) << h->err();
  const std::string set = "hemd/charger/garage/";
  ha.publish(set + "max_current/set", "10");
  ASSERT_TRUE(ha.wait_json(garage_state, [](const json& j) { return j["max_current_a"] == 10; }));
  const std::vector<std::string> controls = {"mode",        "target_energy", "target_soc",
                                             "max_current", "departure",     "start",
                                             "replan",      "restart",       "unlock"};
  for (const auto& control : controls) ha.publish(set + control + "/set", "caf\xe9 \xff\xfe");
  for (const auto& control : controls)
    EXPECT_TRUE(
        h->wait_for_err(fmt::format("mqtt: refused \"{}{}/set\" = \"caf\\xE9 \\xFF\\xFE\"", set, control)))
        << h->err();
  // Strict numbers: the whole payload is one decimal number.
  for (const std::string& bad :
       std::vector<std::string>{"0x10", "1e1", "\t16\n", std::string("16\0junk", 7), "16 ", "+16", "16."})
    ha.publish(set + "max_current/set", bad);
  EXPECT_TRUE(h->wait_for_err("\"16\\x00junk\": not a number from 6 to 16 A")) << h->err();
  EXPECT_TRUE(h->wait_for_err("\"\\t16\\n\": not a number from 6 to 16 A")) << h->err();
  EXPECT_TRUE(h->wait_for_err("\"0x10\": not a number")) << h->err();
  EXPECT_TRUE(h->wait_for_err("\"1e1\": not a number")) << h->err();
  // A megabyte: logged cut, once, and never echoed whole into HA's state.
  const std::size_t before = h->err().size();
  // Forgotten before the payload goes out: the true state hemd sends back may come before its log line is
  // read here.
  ha.forget("hemd/site/state");
  ha.forget(garage_state);
  ha.publish(set + "mode/set", std::string(1 << 20, 'x'));
  EXPECT_TRUE(h->wait_for_err("bytes): not a mode")) << h->err().substr(before, 2000);
  EXPECT_TRUE(ha.wait_json(garage_state, [](const json& j) { return j["max_current_a"] == 10; }))
      << ha.latest(garage_state).value_or("none");
  EXPECT_TRUE(ha.wait_json("hemd/site/state", [](const json& j) {
    return j["last_error"].is_string() && j["last_error"].get<std::string>().size() <= 255;
  })) << ha.latest("hemd/site/state").value_or("none").substr(0, 600);
  EXPECT_LT(h->err().size() - before, 2000u) << "a 1 MB payload is logged short";
  EXPECT_EQ(h->err().find(std::string(200, 'x')), std::string::npos);
  // Still alive and in control.
  ha.publish(set + "max_current/set", "12");
  EXPECT_TRUE(ha.wait_json(garage_state, [](const json& j) { return j["max_current_a"] == 12; })) << h->err();
  stop(*h);
}

// A retained bad command is replayed by the broker at every connect: hemd refuses it, clears it, and starts
// again without meeting it twice.
TEST_F(Mqtt, RetainedBadCommandIsRefusedAndClearedNotReplayed) {
  Broker broker(dir, free_port());
  Listener ha(broker.port());
  const std::string topic = "hemd/charger/garage/mode/set";
  ha.publish(topic, "\xe9t\xe9", true);
  ha.publish("hemd/charger/garage/max_current/set", "1e1", true);
  for (int run = 0; run < 3; ++run) {
    auto h = hemd(config(broker.port()), fmt::format("run{}", run));
    ASSERT_TRUE(ha.wait_json(garage_state, [](const json& j) { return j["mode"] == "pv"; })) << h->err();
    if (run == 0) {
      EXPECT_TRUE(h->wait_for_err("mqtt: refused \"hemd/charger/garage/mode/set\" = \"\\xE9t\\xE9\""))
          << h->err();
      EXPECT_TRUE(h->wait_for_err("retained; cleared")) << h->err();
      EXPECT_TRUE(ha.wait(topic, [](const std::string& v) { return v.empty(); })) << h->err();
      EXPECT_TRUE(
          ha.wait("hemd/charger/garage/max_current/set", [](const std::string& v) { return v.empty(); }));
    } else {
      // Retained messages come on subscribing, before anything published after it: once this is applied,
      // hemd has met every retained command there was.
      ha.publish("hemd/charger/garage/max_current/set", fmt::format("{}", 11 + run));
      const int expected = 11 + run;
      EXPECT_TRUE(ha.wait_json(garage_state, [&](const json& j) { return j["max_current_a"] == expected; }));
      EXPECT_EQ(h->err().find("refused"), std::string::npos) << h->err();
    }
    if (run == 1) ha.publish(topic, "caf\xe9", true);  // live and retained: refused now, cleared at once
    if (run == 1) {
      EXPECT_TRUE(h->wait_for_err("mqtt: refused")) << h->err();
      EXPECT_TRUE(ha.wait(topic, [](const std::string& v) { return v.empty(); })) << h->err();
    }
    stop(*h);
    ha.publish(garage_state, "", true);
    ha.forget(garage_state);
  }
}

}  // namespace
}  // namespace hemd::test
