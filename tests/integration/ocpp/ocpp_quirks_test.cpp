// Quirk profiles (config/chargers/*.yaml) against the strict ocpp-rpc charge point acting as each vendor's
// firmware does: what hemd sends follows the profile, and a charger that does not follow is found out.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "config/charger_profile.h"
#include "drivers/ocpp/csms.h"
#include "drivers/storage/database.h"
#include "tests/integration/ocpp/ocpp_site.h"
#include "tests/support/process.h"

namespace hemd::test {
namespace {

const std::string one_charger = "  - {id: cp1, password: pw-1234, max_current_a: 16, mode: now}\n";

// ABB Terra AC firmware boot-loops when asked for every measurand. Matched from its BootNotification, it is
// asked only for the two its quirk profile lists and charges; the same charger taken for a generic one is
// asked for five and reboots, again and again (the peer behaves as the firmware did).
TEST(OcppQuirks, AbbTerraAcIsNotAskedForTheMeasurandsThatRebootIt) {
  Site site;
  site.start(one_charger);
  auto abb =
      site.charge_point("cp1", {"--vendor", "ABB", "--model", "Terra AC", "--reboot-on-measurands", "2"});
  ASSERT_FALSE(wait_events(*abb, is("boot")).empty()) << abb->out();
  auto asked = wait_events(*abb, [](const json& e) {
    return e.value("event", "") == "config" && e["key"] == "MeterValuesSampledData";
  });
  ASSERT_EQ(asked.size(), 1u) << abb->out();
  EXPECT_EQ(asked[0]["value"], "Energy.Active.Import.Register,Current.Import");
  abb->send("plug");
  EXPECT_FALSE(wait_events(*abb, limit_is(16)).empty()) << abb->out() << site.hemd->err();
  EXPECT_TRUE(wait_events(*abb, is("rebooting"), 1, 1s).empty()) << abb->out();
  abb->send("exit");
  ASSERT_EQ(abb->wait_exit(), 0);
  auto unknown = site.charge_point("cp1", {"--vendor", "Someone", "--reboot-on-measurands", "2"});
  EXPECT_EQ(wait_events(*unknown, is("rebooting"), 2).size(), 2u) << unknown->out();
}

// Older Wallbox firmware takes Relative profiles only and starts sessions by RemoteStartTransaction (quirk
// profile wallbox-legacy, chosen in the config): the car still ends at the current the fuse leaves.
TEST(OcppQuirks, WallboxLegacyGetsRelativeProfilesAndARemoteStart) {
  Site site;
  site.start("  - {id: cp1, password: pw-1234, max_current_a: 16, mode: now, profile: wallbox-legacy}\n");
  auto cp = site.charge_point("cp1", {"--relative-only", "--stack-level", "0"});
  ASSERT_FALSE(wait_events(*cp, is("boot")).empty()) << cp->out();
  cp->send("plug");
  EXPECT_EQ(wait_events(*cp, is("remote-start")).size(), 1u) << cp->out() << site.hemd->err();
  EXPECT_FALSE(wait_events(*cp, limit_is(16)).empty()) << cp->out() << site.hemd->err();
  auto limits = wait_events(*cp, profile_for("TxDefaultProfile"));
  ASSERT_FALSE(limits.empty());
  for (const auto& p : limits) EXPECT_EQ(p["kind"], "Relative") << p;
  EXPECT_EQ(site.hemd->err().find("answered Rejected"), std::string::npos) << site.hemd->err();
}

// A charger that cannot be asked for its composite schedule (quirk verify_with_composite_schedule: false) and
// accepts limits without applying them is found out by what it measures: the car keeps drawing 16 A under an
// 8 A limit. Once it keeps to its limit again, it is trusted again.
TEST(OcppQuirks, AChargerIgnoringItsLimitIsFoundOutByWhatItMeasures) {
  config::ChargerProfile no_composite;
  no_composite.name = "no-composite";
  no_composite.verify_with_composite_schedule = false;
  InProcess hemd;
  hemd.start(no_composite);
  auto cp = hemd.charge_point("chargepoint.js", {"--ignore-profiles"});
  ASSERT_FALSE(wait_events(*cp, is("boot")).empty()) << cp->out();
  cp->send("plug");
  cp->send("start");
  ASSERT_FALSE(wait_events(*cp, is("started")).empty()) << cp->out();
  hemd.csms->set_limit("cp1", 8);
  ASSERT_TRUE(Process::wait_until([&] { return hemd.csms->views().at("cp1").offered_a == 8; }, 10s));
  EXPECT_TRUE(wait_events(*cp, is("composite"), 1, 1s).empty()) << "asked for a composite schedule";
  std::this_thread::sleep_for(10s);  // the car had time to follow
  cp->send("meter 16");
  ASSERT_FALSE(wait_events(*cp, is("metered")).empty());
  EXPECT_FALSE(hemd.csms->views().at("cp1").profile_ignored) << "one report is not enough";
  cp->send("meter 16");
  ASSERT_TRUE(Process::wait_until([&] { return hemd.csms->views().at("cp1").profile_ignored; }, 10s));
  EXPECT_EQ(hemd.csms->views().at("cp1").last_error, "accepts profiles but the car draws 16.0 A");
  cp->send("meter 8");
  EXPECT_TRUE(Process::wait_until([&] { return !hemd.csms->views().at("cp1").profile_ignored; }, 10s));
}

// FoxESS rejects every charging profile over 2.0.1 (quirk ocpp201_smart_charging: false): offered both
// versions it is taken on 1.6; any other charger offering both gets its first choice, 2.0.1.
TEST(OcppQuirks, AChargerWhose201SmartChargingFailsIsTakenOn16) {
  Site site;
  site.start("  - {id: fox, password: pw-1234, profile: foxess}\n  - {id: other, password: pw-1234}\n",
             false);
  auto fox = site.raw("/ocpp/fox", "ocpp2.0.1,ocpp1.6", "pw-1234", {});
  ASSERT_FALSE(fox.empty());
  EXPECT_EQ(fox[0]["protocol"], "ocpp1.6");
  auto other = site.raw("/ocpp/other", "ocpp2.0.1,ocpp1.6", "pw-1234", {});
  ASSERT_FALSE(other.empty());
  EXPECT_EQ(other[0]["protocol"], "ocpp2.0.1");
}

// A charger that refuses TxDefaultProfiles but takes a TxProfile outside a transaction (quirk
// tx_profile_without_transaction) gets its limit before the car starts, not only once it has.
TEST(OcppQuirks, ATxProfileBeforeTheTransactionForAChargerThatTakesOne) {
  config::ChargerProfile anytime;
  anytime.name = "anytime";
  anytime.tx_profile_without_transaction = true;
  InProcess hemd;
  hemd.start(anytime);
  auto cp = hemd.charge_point("chargepoint.js", {"--reject-tx-default", "--tx-profile-anytime"});
  ASSERT_FALSE(wait_events(*cp, is("boot")).empty()) << cp->out();
  hemd.csms->set_limit("cp1", 10);
  cp->send("plug");
  auto early = wait_events(*cp, [](const json& e) {
    return e.value("event", "") == "profile" && e["purpose"] == "TxProfile" && !e.contains("transactionId") &&
           e["limit"] == 10;
  });
  ASSERT_EQ(early.size(), 1u) << cp->out();
  EXPECT_TRUE(wait_events(*cp, is("started"), 1, 1s).empty()) << "sent before the transaction";
  cp->send("start");
  ASSERT_FALSE(wait_events(*cp, is("started")).empty()) << cp->out();
  EXPECT_FALSE(wait_events(*cp, limit_is(10)).empty()) << cp->out();
}

// A charger that never connects is reported once its quirk profile's connect timeout has passed (Mennekes
// takes 15 minutes after boot; this profile, an installer's own, 5 s).
TEST(OcppQuirks, AChargerThatNeverConnectsIsReportedAfterItsProfilesTimeout) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("profiles"));
  dir.write("profiles/slow.yaml", "description: slow to connect\nocpp:\n  connect_timeout_s: 5\n");
  dir.write("hemd.yaml",
            fmt::format("site: {{main_fuse_a: 25}}\nchargers:\n  - {{id: late, profile: slow}}\n"
                        "ocpp: {{listen_address: 127.0.0.1, port: {}}}\nprices: {{enabled: false}}\n"
                        "storage: {{path: {}}}\n",
                        free_port(), dir.file("hemd.db")));
  Process hemd({HEMD_BINARY, "--config", dir.file("hemd.yaml")}, dir.file("out"), dir.file("err"),
               {"HEMD_CHARGER_PROFILES=" + dir.file("profiles")});
  EXPECT_TRUE(hemd.wait_for_err("ocpp: late has not connected within 5 s", 20s)) << hemd.err();
  kill(hemd.pid(), SIGTERM);
  EXPECT_EQ(hemd.wait_exit(), 0) << hemd.err();
}

// The rest of a quirk profile's set-up, against a peer that refuses ChangeAvailability for connector 0: it is
// asked for connector 1 (change_availability_connector_1), its meter interval is set
// (meter_interval_s), its amp limits carry no numberPhases (number_phases: false); a charger whose profile
// says change_availability: false is not asked at all.
TEST(OcppQuirks, AQuirkProfileShapesTheSetUp) {
  config::ChargerProfile shaped;
  shaped.name = "shaped";
  shaped.change_availability_connector_1 = true;
  shaped.number_phases = false;
  shaped.meter_interval_s = 30;
  InProcess hemd;
  hemd.start(shaped);
  auto cp = hemd.charge_point("chargepoint.js", {"--reject-availability-0"});
  auto limits = wait_events(*cp, profile_for("TxDefaultProfile", 1));
  ASSERT_FALSE(limits.empty()) << cp->out();
  for (const auto& p : limits) EXPECT_FALSE(p.contains("numberPhases")) << p;
  auto asked = wait_events(*cp, is("availability"));
  ASSERT_EQ(asked.size(), 1u) << cp->out();
  EXPECT_EQ(asked[0]["connectorId"], 1);
  auto interval = wait_events(*cp, [](const json& e) {
    return e.value("event", "") == "config" && e["key"] == "MeterValueSampleInterval";
  });
  ASSERT_EQ(interval.size(), 1u) << cp->out();
  EXPECT_EQ(interval[0]["value"], "30");
  cp->send("exit");
  cp->wait_exit();

  config::ChargerProfile leave_alone;
  leave_alone.name = "leave-alone";
  leave_alone.change_availability = false;
  InProcess other;
  other.start(leave_alone);
  auto quiet = other.charge_point();
  ASSERT_FALSE(wait_events(*quiet, profile_for("TxDefaultProfile", 1)).empty()) << quiet->out();
  EXPECT_TRUE(wait_events(*quiet, is("availability"), 1, 2s).empty()) << quiet->out();
}

}  // namespace
}  // namespace hemd::test
