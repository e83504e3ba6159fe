// hemd as the central system for real OCPP 1.6J charge points: ocpp-rpc in strict mode validates every
// message hemd sends against the official schemas. hemd runs as its own process, with a pymodbus grid meter.
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

TEST(Ocpp, BootConfiguresAndLaysTheSafeFloorUnderALapsingLimit) {
  Site site;
  site.start(one_charger);
  auto cp = site.charge_point("cp1");
  auto boot = wait_events(*cp, is("boot"));
  ASSERT_EQ(boot.size(), 1u) << cp->out() << cp->err() << site.hemd->err();
  EXPECT_EQ(boot[0]["status"], "Accepted");
  auto config = wait_events(*cp, is("config"), 2);
  ASSERT_EQ(config.size(), 2u) << cp->out();
  EXPECT_EQ(config[0]["key"], "MeterValuesSampledData");
  // What another central system left above hemd's stack levels is cleared, after hemd's own are laid.
  auto clear = wait_events(*cp, is("clear"));
  ASSERT_FALSE(clear.empty()) << cp->out();
  EXPECT_EQ(clear[0]["params"]["chargingProfilePurpose"], "TxDefaultProfile");
  EXPECT_EQ(clear[0]["params"]["stackLevel"], 2);
  auto floor = wait_events(*cp, profile_for("TxDefaultProfile", 0));
  ASSERT_EQ(floor.size(), 1u) << cp->out() << site.hemd->err();
  EXPECT_EQ(floor[0]["limit"], 6);  // the floor: the safe current, forever
  EXPECT_TRUE(floor[0]["duration"].is_null());
  auto cap = wait_events(*cp, profile_for("ChargePointMaxProfile"));
  ASSERT_EQ(cap.size(), 1u) << cp->out();
  EXPECT_EQ(cap[0]["connectorId"], 0);  // the installation's maximum, kept by the charger itself
  EXPECT_EQ(cap[0]["limit"], 16);
  EXPECT_TRUE(cap[0]["duration"].is_null());
  auto limit = wait_events(*cp, profile_for("TxDefaultProfile", 1));
  ASSERT_EQ(limit.size(), 1u) << cp->out();
  EXPECT_EQ(limit[0]["duration"], 360);  // the limit hemd wants, lapsing unless renewed
  EXPECT_EQ(limit[0]["connectorId"], 0);
  // hemd asks for the connector's status and checks what the charger will do.
  EXPECT_FALSE(wait_events(*cp,
                           [](const json& e) {
                             return e.value("event", "") == "trigger" && e["message"] == "StatusNotification";
                           })
                   .empty())
      << cp->out();
  // No car yet: hemd pauses the charger (0 A). A car plugs in: mode "now" takes what the fuse allows.
  EXPECT_FALSE(wait_events(*cp, limit_is(0)).empty()) << cp->out();
  const auto before_plug = mark(*cp);
  cp->send("plug");
  EXPECT_TRUE(wait_events(*cp, limit_is(16)).size()) << cp->out() << site.hemd->err();
  // A check asked for the 0 A limit may be answered after the plug; the one asked after 16 A must say 16 A.
  auto composite = wait_events(
      *cp, [](const json& e) { return e.value("event", "") == "composite" && e["amps"] == 16; }, 1, 30s,
      before_plug);
  ASSERT_FALSE(composite.empty()) << cp->out();
  EXPECT_EQ(site.hemd->err().find("does not apply"), std::string::npos) << site.hemd->err();
  EXPECT_TRUE(wait_events(*cp, is("bad"), 1, 1s).empty())
      << "strict mode refused a message from hemd: " << cp->out();
}

TEST(Ocpp, FullTransactionWithAFuseThatShrinks) {
  Site site;
  site.start(one_charger);
  auto cp = site.charge_point("cp1");
  ASSERT_FALSE(wait_events(*cp, is("boot")).empty()) << cp->out();
  cp->send("plug");
  ASSERT_FALSE(wait_events(*cp, limit_is(16)).empty()) << cp->out() << site.hemd->err();
  cp->send("start TAG7");
  auto started = wait_events(*cp, is("started"));
  ASSERT_EQ(started.size(), 1u) << cp->out();
  EXPECT_EQ(started[0]["status"], "Accepted");
  cp->send("meter 16");
  ASSERT_FALSE(wait_events(*cp, is("metered")).empty());
  // The installer corrects the main fuse to 12 A: the cut reaches the charger at once.
  site.dir.write("hemd.yaml",
                 std::regex_replace(site.config, std::regex("main_fuse_a: 25"), "main_fuse_a: 12"));
  const auto before_cut = mark(*cp);
  kill(site.hemd->pid(), SIGHUP);
  ASSERT_FALSE(wait_events(*cp, limit_is(11), 1, 30s, before_cut).empty()) << cp->out() << site.hemd->err();
  cp->send("stop");
  ASSERT_FALSE(wait_events(*cp, is("stopped")).empty());
  kill(site.hemd->pid(), SIGTERM);
  ASSERT_EQ(site.hemd->wait_exit(), 0) << site.hemd->err();
  auto db = storage::Database::open(site.dir.file("hemd.db"));
  auto rows = db.query({"SELECT charger_id, id_tag, energy_wh, stop_reason FROM sessions", {}});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(*rows[0][0], "cp1");
  EXPECT_EQ(*rows[0][1], "TAG7");
  EXPECT_EQ(std::stod(*rows[0][2]), 500);
  EXPECT_EQ(*rows[0][3], "EVDisconnected");
}

TEST(Ocpp, LimitsInWattsForAChargerThatOnlyTakesPower) {
  Site site;
  site.start(one_charger, false);
  auto cp = site.charge_point("cp1", {"--unit", "Power"});
  auto profiles = wait_events(*cp, profile_for("TxDefaultProfile", 1));
  ASSERT_EQ(profiles.size(), 1u) << cp->out() << site.hemd->err();
  EXPECT_EQ(profiles[0]["unit"], "W");
  EXPECT_EQ(profiles[0]["limit"], 6 * 230 * 3);  // no grid meter: the safe current, in watts
}

TEST(Ocpp, ReconnectSendsTheLimitAgain) {
  Site site;
  site.start(one_charger);
  auto cp = site.charge_point("cp1");
  ASSERT_FALSE(wait_events(*cp, is("boot")).empty()) << cp->out();
  cp->send("plug");
  ASSERT_FALSE(wait_events(*cp, limit_is(16)).empty()) << cp->out() << site.hemd->err();
  const auto before = mark(*cp);
  cp->send("reconnect");  // the charger forgets its profiles, as one that rebooted may
  // The floor and the limit in force arrive again on the new connection.
  // (At once on the connection, and again after its BootNotification: each in place of the one before.)
  auto floor = wait_events(*cp, profile_for("TxDefaultProfile", 0), 1, 30s, before);
  auto again = wait_events(*cp, profile_for("TxDefaultProfile", 1), 1, 30s, before);
  ASSERT_FALSE(floor.empty()) << cp->out() << site.hemd->err();
  ASSERT_FALSE(again.empty()) << cp->out() << site.hemd->err();
  EXPECT_EQ(floor[0]["limit"], 6);
  EXPECT_EQ(again[0]["limit"], 16);
  EXPECT_FALSE(wait_events(*cp, profile_for("ChargePointMaxProfile"), 1, 30s, before).empty());
}

TEST(Ocpp, WrongPasswordUnknownIdAndMissingSubprotocolAreRefused) {
  Site site;
  site.start(one_charger, false);
  auto wrong = site.raw("/ocpp/cp1", "ocpp1.6", "not-the-password", {});
  ASSERT_FALSE(wrong.empty());
  EXPECT_EQ(wrong[0]["status"], 401);
  auto unknown = site.raw("/ocpp/intruder", "ocpp1.6", "pw-1234", {});
  EXPECT_EQ(unknown[0]["status"], 404);
  // No subprotocol: the handshake completes and the connection is closed (OCPP-J § 3.2).
  auto no_protocol = site.raw("/ocpp/cp1", "-", "pw-1234", {});
  EXPECT_EQ(no_protocol[0]["event"], "open");
  EXPECT_EQ(no_protocol[1]["code"], 1002);
  const std::string log = site.hemd->err();
  EXPECT_NE(log.find("wrong password for charge point cp1"), std::string::npos) << log;
  EXPECT_NE(log.find("unknown charge point \"intruder\""), std::string::npos) << log;
  EXPECT_EQ(log.find("not-the-password"), std::string::npos) << "a password was logged";
}

TEST(Ocpp, MalformedFramesGetTheRightCallErrorAndTheConnectionLives) {
  Site site;
  site.start(one_charger, false);
  auto got = site.raw(
      "/ocpp/cp1", "ocpp1.6", "pw-1234",
      {"this is not json", R"([2, 17, "Heartbeat", {}])", R"([2, "a", "Heartbeat"])",
       R"([2, "b", "BootNotification", {"chargePointVendor": 5, "chargePointModel": "x"}])",
       R"([2, "c", "BootNotification", {"chargePointModel": "x"}])", R"([2, "d", "FlyToTheMoon", {}])",
       R"([3, "nobody-asked", {}])", R"([2, "e", "Heartbeat", {}])"});
  std::map<std::string, std::string> errors;
  bool heartbeat_answered = false, still_open = false;
  for (const auto& e : got) {
    if (e["event"] == "frame" && e["frame"][0] == 4) errors[e["frame"][1]] = e["frame"][2];
    if (e["event"] == "frame" && e["frame"][0] == 3 && e["frame"][1] == "e") heartbeat_answered = true;
    if (e["event"] == "still-open") still_open = e["open"];
  }
  EXPECT_EQ(errors["-1"], "FormationViolation");  // not JSON, or an id that is not a string
  EXPECT_EQ(errors["a"], "FormationViolation");   // a CALL without payload
  EXPECT_EQ(errors["b"], "TypeConstraintViolation");
  EXPECT_EQ(errors["c"], "ProtocolError");  // a required field is missing
  EXPECT_EQ(errors["d"], "NotImplemented");
  EXPECT_EQ(errors.count("nobody-asked"), 0u);
  EXPECT_TRUE(heartbeat_answered) << site.hemd->err();
  EXPECT_TRUE(still_open);
  EXPECT_NE(site.hemd->err().find("answer to unknown message \"nobody-asked\" ignored"), std::string::npos);
}

TEST(Ocpp, OversizedFrameIsRefused) {
  Site site;
  site.start(one_charger, false);
  auto got = site.raw(
      "/ocpp/cp1", "ocpp1.6", "pw-1234",
      {R"([2, "big", "DataTransfer", {"vendorId": "x", "data": ")" + std::string(100000, 'x') + "\"}]"});
  bool closed_too_big = false;
  for (const auto& e : got)
    if (e["event"] == "closed") closed_too_big = e["code"] == 1009;
  EXPECT_TRUE(closed_too_big) << got.size();
}

TEST(Ocpp, ARejectedProfileIsReported) {
  Site site;
  site.start(one_charger, false);
  auto cp = site.charge_point("cp1", {"--reject-profiles"});
  ASSERT_FALSE(wait_events(*cp, is("profile")).empty()) << cp->out();
  EXPECT_TRUE(site.hemd->wait_for_err("answered Rejected to a charging profile")) << site.hemd->err();
}

TEST(Ocpp, AChargerThatNeverAnswersIsLoggedAndDoesNotBlockTheOthers) {
  Site site;
  site.start("  - {id: mute, password: pw-1234, mode: now}\n  - {id: cp2, password: pw-1234, mode: now}\n",
             false, ", call_timeout_s: 5");
  auto mute = site.charge_point("mute", {"--silent"});
  auto cp2 = site.charge_point("cp2");
  ASSERT_GE(wait_events(*cp2, is("profile"), 2).size(), 2u) << cp2->out() << site.hemd->err();
  EXPECT_TRUE(site.hemd->wait_for_err("mute: no answer to GetConfiguration within 5 s")) << site.hemd->err();
}

TEST(Ocpp, TwoChargersShareTheFuse) {
  Site site;
  site.start("  - {id: cp1, password: pw-1234, mode: now}\n  - {id: cp2, password: pw-1234, mode: now}\n",
             true, "", 20);
  auto a = site.charge_point("cp1");
  auto b = site.charge_point("cp2");
  ASSERT_FALSE(wait_events(*a, is("boot")).empty());
  ASSERT_FALSE(wait_events(*b, is("boot")).empty());
  a->send("plug");
  // One car alone: 20 A fuse - 0.5 margin - 7.5 A of house on L3 = 12 A.
  ASSERT_FALSE(wait_events(*a, limit_is(12)).empty()) << a->out() << site.hemd->err();
  // A second car arrives: the 12 A are shared, 6 A each, and the first car's cut is sent at once.
  const auto a_mark = mark(*a), b_mark = mark(*b);
  b->send("plug");
  EXPECT_FALSE(wait_events(*a, limit_is(6), 1, 30s, a_mark).empty()) << a->out() << site.hemd->err();
  EXPECT_FALSE(wait_events(*b, limit_is(6), 1, 30s, b_mark).empty()) << b->out();
}

// NEcharge honours only 6/8/10/13/16 A (its quirk profile, matched from the BootNotification): 12 A of room
// becomes 10 A, not 12 A that the charger would round down on its own.
TEST(Ocpp, QuirkProfileStepsAreHonoured) {
  Site site;
  site.start(one_charger, true, "", 20);
  auto cp = site.charge_point("cp1", {"--vendor", "NEcharge"});
  ASSERT_FALSE(wait_events(*cp, is("boot")).empty()) << cp->out();
  cp->send("plug");
  EXPECT_FALSE(wait_events(*cp, limit_is(10)).empty()) << cp->out() << site.hemd->err();
  EXPECT_NE(site.hemd->err().find("(profile necharge)"), std::string::npos) << site.hemd->err();
}

TEST(Ocpp, KilledHemdLeavesTheChargerAtItsSafeCurrentWithinTheProfileDuration) {
  Site site;
  site.start(one_charger, true, ", profile_duration_s: 30");
  auto cp = site.charge_point("cp1");
  ASSERT_FALSE(wait_events(*cp, is("boot")).empty()) << cp->out();
  cp->send("plug");
  ASSERT_FALSE(wait_events(*cp, limit_is(16)).empty()) << cp->out() << site.hemd->err();
  const auto killed_at = mark(*cp);
  const auto killed = std::chrono::steady_clock::now();
  kill(site.hemd->pid(), SIGKILL);  // no goodbye, no last profile
  site.hemd->wait_exit();
  auto lapsed = wait_events(*cp, limit_is(6), 1, 60s, killed_at);
  // Not at once (the last limit holds for its duration), but by itself within it.
  EXPECT_GE(std::chrono::steady_clock::now() - killed, 5s);
  EXPECT_FALSE(lapsed.empty()) << cp->out();
}

// A charger that says Accepted and goes on as before (Wallbox Pulsar Pro 6.13 stays at 9 A): its composite
// schedule gives it away, hemd reports it and counts it at what it really allows.
TEST(Ocpp, AChargerThatAcceptsButIgnoresProfilesIsReported) {
  Site site;
  site.start(one_charger, false);
  auto cp = site.charge_point("cp1", {"--ignore-profiles"});
  ASSERT_FALSE(wait_events(*cp, is("composite")).empty()) << cp->out() << site.hemd->err();
  EXPECT_TRUE(
      site.hemd->wait_for_err("its composite schedule says 32.0 A: it does not apply hemd's profiles"))
      << site.hemd->err();
}

// Some chargers take limits only for a running transaction: a refused TxDefaultProfile makes hemd send the
// limit as a TxProfile of the transaction (never outside one), and the safe floor holds in between.
TEST(Ocpp, ARefusedTxDefaultProfileFallsBackToATxProfileInsideTheTransaction) {
  Site site;
  site.start(one_charger, true, "", 20);
  auto cp = site.charge_point("cp1", {"--reject-tx-default"});
  ASSERT_TRUE(site.hemd->wait_for_err("limits go out as TxProfile inside transactions")) << site.hemd->err();
  cp->send("plug");
  cp->send("start TAG1");
  auto started = wait_events(*cp, is("started"));
  ASSERT_EQ(started.size(), 1u) << cp->out();
  auto tx = wait_events(*cp, profile_for("TxProfile"));
  ASSERT_FALSE(tx.empty()) << cp->out() << site.hemd->err();
  EXPECT_EQ(tx[0]["transactionId"], started[0]["transactionId"]);
  EXPECT_EQ(tx[0]["connectorId"], 1);
  // 20 A fuse - 0.5 margin - 7.5 A of house on L3 = 12 A, applied through the TxProfile.
  EXPECT_FALSE(wait_events(*cp, limit_is(12)).empty()) << cp->out() << site.hemd->err();
  const auto before_stop = mark(*cp);
  cp->send("stop");
  ASSERT_FALSE(wait_events(*cp, is("stopped")).empty());
  EXPECT_TRUE(wait_events(*cp, profile_for("TxProfile"), 1, 3s, before_stop).empty()) << cp->out();
  EXPECT_TRUE(wait_events(*cp, is("bad"), 1, 1s).empty()) << cp->out();

  // What worked is remembered: after a restart hemd goes straight to TxProfiles, no TxDefaultProfile tried.
  cp->send("exit");
  kill(site.hemd->pid(), SIGTERM);
  ASSERT_EQ(site.hemd->wait_exit(), 0) << site.hemd->err();
  site.hemd =
      std::make_unique<Process>(std::vector<std::string>{HEMD_BINARY, "--config", site.dir.file("hemd.yaml")},
                                site.dir.file("hemd2.out"), site.dir.file("hemd2.err"));
  ASSERT_TRUE(site.hemd->wait_for_err("ocpp: listening")) << site.hemd->err();
  auto again = site.charge_point("cp1", {"--reject-tx-default"});
  ASSERT_TRUE(site.hemd->wait_for_err("known from before: it refuses TxDefaultProfiles")) << site.hemd->err();
  again->send("plug");
  again->send("start TAG2");
  EXPECT_FALSE(wait_events(*again, profile_for("TxProfile")).empty()) << again->out() << site.hemd->err();
  EXPECT_TRUE(wait_events(*again, profile_for("TxDefaultProfile"), 1, 2s).empty()) << again->out();
}

// A charger with one stack level and room for one period: no floor can sit under the limit, and a lapsing
// limit would leave it at its own maximum, so the limit holds without a duration. With two periods the
// fall-back to the safe current is the second period.
TEST(Ocpp, StackLevelZeroAndMaxPeriodsShapeTheProfile) {
  Site site;
  site.start(one_charger + "  - {id: cp2, password: pw-1234, max_current_a: 16, mode: now}\n", false);
  auto one = site.charge_point("cp1", {"--stack-level", "0", "--max-periods", "1"});
  auto two = site.charge_point("cp2", {"--stack-level", "0", "--max-periods", "2"});
  auto a = wait_events(*one, profile_for("TxDefaultProfile", 0));
  auto b = wait_events(*two, profile_for("TxDefaultProfile", 0));
  ASSERT_FALSE(a.empty()) << one->out() << site.hemd->err();
  ASSERT_FALSE(b.empty()) << two->out() << site.hemd->err();
  EXPECT_EQ(a[0]["periods"], 1);
  EXPECT_TRUE(a[0]["duration"].is_null());
  EXPECT_EQ(b[0]["periods"], 2);
  EXPECT_FALSE(wait_events(*one, limit_is(6)).empty()) << one->out();  // no meter: the safe current
}

TEST(Ocpp, ARefusedChargePointMaxProfileIsNotAFailure) {
  Site site;
  site.start(one_charger);
  auto cp = site.charge_point("cp1", {"--reject-max-profile"});
  ASSERT_TRUE(site.hemd->wait_for_err("no ChargePointMaxProfile (Rejected)")) << site.hemd->err();
  cp->send("plug");
  EXPECT_FALSE(wait_events(*cp, limit_is(16)).empty()) << cp->out() << site.hemd->err();
}

// A charger whose quirk profile says a session starts only by RemoteStartTransaction (Easee): hemd starts it
// when the car is plugged in, with a tag it accepts itself. Every charger is first made Operative.
TEST(Ocpp, ASessionIsStartedRemotelyForAChargerThatNeedsIt) {
  Site site;
  site.start("  - {id: cp1, password: pw-1234, max_current_a: 16, mode: now, profile: easee}\n");
  auto cp = site.charge_point("cp1");
  auto available = wait_events(*cp, is("availability"));
  ASSERT_FALSE(available.empty()) << cp->out() << site.hemd->err();
  EXPECT_EQ(available[0]["type"], "Operative");
  ASSERT_FALSE(wait_events(*cp, is("boot")).empty());
  cp->send("plug");
  auto remote = wait_events(*cp, is("remote-start"));
  ASSERT_EQ(remote.size(), 1u) << cp->out() << site.hemd->err();
  EXPECT_EQ(remote[0]["idTag"], "hemd");
  auto started = wait_events(*cp, is("started"));
  ASSERT_EQ(started.size(), 1u) << cp->out();
  EXPECT_EQ(started[0]["status"], "Accepted");
  EXPECT_TRUE(wait_events(*cp, is("remote-start"), 2, 3s).size() == 1u) << "started twice: " << cp->out();
}

// The central system inside a test process, driven directly, against the strict charge point.

// A charger that is paused by ending its session (quirk pause: remote_stop) gets RemoteStopTransaction at
// 0 A and a new session by RemoteStartTransaction when current is there again.
TEST(Ocpp, PauseByRemoteStopAndResumeByRemoteStart) {
  config::ChargerProfile stopper;
  stopper.name = "stopper";
  stopper.pause = "remote_stop";
  InProcess hemd;
  hemd.start(stopper);
  auto cp = hemd.charge_point();
  ASSERT_FALSE(wait_events(*cp, is("boot")).empty()) << cp->out();
  hemd.csms->set_limit("cp1", 16);
  cp->send("plug");
  cp->send("start");
  auto started = wait_events(*cp, is("started"));
  ASSERT_EQ(started.size(), 1u) << cp->out();
  hemd.csms->set_limit("cp1", 0);
  auto stop = wait_events(*cp, is("remote-stop"));
  ASSERT_EQ(stop.size(), 1u) << cp->out();
  EXPECT_EQ(stop[0]["transactionId"], started[0]["transactionId"]);
  ASSERT_FALSE(wait_events(*cp, is("stopped")).empty()) << cp->out();
  hemd.csms->set_limit("cp1", 10);
  EXPECT_EQ(wait_events(*cp, is("remote-start")).size(), 1u) << cp->out();
  EXPECT_EQ(wait_events(*cp, is("started"), 2).size(), 2u) << cp->out();
  EXPECT_TRUE(wait_events(*cp, is("bad"), 1, 1s).empty()) << cp->out();
}

// What an installer or owner does from Home Assistant reaches the charger as the right OCPP call, and the
// strict charge point accepts each.
TEST(Ocpp, ActionsOnAChargerBecomeTheirOcppCalls) {
  InProcess hemd;
  hemd.start();
  auto cp = hemd.charge_point();
  ASSERT_FALSE(wait_events(*cp, is("boot")).empty()) << cp->out();
  using A = ocpp::Csms::Action;
  EXPECT_FALSE(hemd.csms->act("nobody", A::unlock));
  cp->send("plug");
  ASSERT_TRUE(Process::wait_until([&] { return hemd.csms->views().at("cp1").car_connected; }, 10s));
  ASSERT_TRUE(hemd.csms->act("cp1", A::start_session));
  auto started = wait_events(*cp, is("started"));
  ASSERT_EQ(started.size(), 1u) << cp->out();
  ASSERT_TRUE(Process::wait_until(
      [&] {
        return hemd.csms->views().at("cp1").transaction_id ==
               std::to_string(started[0]["transactionId"].get<int>());
      },
      10s));
  hemd.csms->act("cp1", A::stop_session);
  EXPECT_EQ(wait_events(*cp, is("remote-stop")).size(), 1u) << cp->out();
  hemd.csms->act("cp1", A::unlock);
  EXPECT_EQ(wait_events(*cp, is("unlock")).size(), 1u) << cp->out();
  hemd.csms->act("cp1", A::disable);
  auto off = wait_events(*cp, [](const json& e) {
    return e.value("event", "") == "availability" && e["type"] == "Inoperative";
  });
  EXPECT_EQ(off.size(), 1u) << cp->out();
  EXPECT_TRUE(Process::wait_until([&] { return !hemd.csms->views().at("cp1").available; }, 10s));
  hemd.csms->act("cp1", A::restart);
  auto reset = wait_events(*cp, is("reset"));
  ASSERT_EQ(reset.size(), 1u) << cp->out();
  EXPECT_EQ(reset[0]["type"], "Soft");
  EXPECT_EQ(wait_events(*cp, is("boot"), 2).size(), 2u) << "booted again after the restart: " << cp->out();
  EXPECT_TRUE(wait_events(*cp, is("bad"), 1, 1s).empty()) << cp->out();
}

TEST(Ocpp, SecurityProfile2WssWithBasicAuthentication) {
  TlsSite site;
  site.make_certificates();
  const int plain = free_port();
  site.start(one_charger, false,
             fmt::format(", tls_cert_file: {0}/server.pem, tls_key_file: {0}/server.key, plain_port: {1}",
                         site.tls, plain));
  ASSERT_TRUE(site.hemd->wait_for_err("listening on wss://127.0.0.1")) << site.hemd->err();
  auto cp = site.wss_point("good", {"--ca", site.tls + "/ca.pem"});
  auto boot = wait_events(*cp, is("boot"));
  ASSERT_EQ(boot.size(), 1u) << cp->out() << cp->err() << site.hemd->err();
  EXPECT_FALSE(wait_events(*cp, profile_for("TxDefaultProfile", 1)).empty()) << cp->out();
  cp->send("exit");
  // A wrong password is refused over TLS too; a charger that does not trust the CA never gets in.
  auto wrong = site.wss_point("wrong", {"--ca", site.tls + "/ca.pem"}, "not-it");
  auto refused = wait_events(*wrong, is("refused"));
  ASSERT_EQ(refused.size(), 1u) << wrong->out();
  EXPECT_EQ(refused[0]["error"], "Unauthorized") << wrong->out();  // HTTP 401
  auto untrusting = site.wss_point("untrusting", {});
  EXPECT_EQ(wait_events(*untrusting, is("refused")).size(), 1u) << untrusting->out();
  // Plain ws:// on the TLS port does not get a WebSocket; on the plain port it does (asked for in the
  // config).
  auto plain_on_tls = site.charge_point("cp1", {"--url", fmt::format("ws://127.0.0.1:{}/ocpp", site.port)});
  EXPECT_EQ(wait_events(*plain_on_tls, is("refused")).size(), 1u) << plain_on_tls->out();
  auto plain_cp = site.charge_point("cp1", {"--url", fmt::format("ws://127.0.0.1:{}/ocpp", plain)});
  EXPECT_EQ(wait_events(*plain_cp, is("boot")).size(), 1u) << plain_cp->out() << site.hemd->err();
  EXPECT_EQ(site.hemd->err().find("not-it"), std::string::npos) << "a password was logged";
}

TEST(Ocpp, SecurityProfile3ClientCertificatesNameTheChargePoint) {
  TlsSite site;
  site.make_certificates();
  site.client_certificate("cp1");
  site.client_certificate("cp9");
  site.start(one_charger, false,
             fmt::format(", tls_cert_file: {0}/server.pem, tls_key_file: {0}/server.key, tls_client_ca_file: "
                         "{0}/ca.pem",
                         site.tls));
  ASSERT_TRUE(site.hemd->wait_for_err("security profile 3")) << site.hemd->err();
  auto cp = site.wss_point("good", {"--ca", site.tls + "/ca.pem", "--cert", site.tls + "/cp1.pem", "--key",
                                    site.tls + "/cp1.key"});
  EXPECT_EQ(wait_events(*cp, is("boot")).size(), 1u) << cp->out() << cp->err() << site.hemd->err();
  cp->send("exit");
  auto other = site.wss_point("other", {"--ca", site.tls + "/ca.pem", "--cert", site.tls + "/cp9.pem",
                                        "--key", site.tls + "/cp9.key"});
  auto refused = wait_events(*other, is("refused"));
  ASSERT_EQ(refused.size(), 1u) << other->out();
  EXPECT_EQ(refused[0]["error"], "Forbidden") << other->out();  // HTTP 403
  EXPECT_TRUE(site.hemd->wait_for_err("the client certificate is for 'cp9', not for charge point cp1"))
      << site.hemd->err();
  auto none = site.wss_point("none", {"--ca", site.tls + "/ca.pem"});
  EXPECT_EQ(wait_events(*none, is("refused")).size(), 1u) << none->out();
}

// A charger that switches phases, on 3.5 kW of export: too little for three phases at 6 A (4.1 kW), so
// hemd tells it to charge on one (numberPhases 1) at what the surplus carries.
TEST(Ocpp, PhaseSwitchingChargerIsToldToUseOnePhase) {
  Site site;
  site.meter_power = "-3456";
  site.start("  - {id: cp1, password: pw-1234, max_current_a: 16, mode: pv, phase_switching: true}\n", true,
             "", 25);
  site.dir.write("hemd.yaml", site.config + "control: {enable_delay_s: 1}\n");
  kill(site.hemd->pid(), SIGHUP);
  ASSERT_TRUE(site.hemd->wait_for_err("config: reloaded")) << site.hemd->err();
  auto cp = site.charge_point("cp1");
  ASSERT_FALSE(wait_events(*cp, is("boot")).empty()) << cp->out();
  cp->send("plug");
  auto one_phase = wait_events(*cp, [](const json& e) {
    return e.value("event", "") == "profile" && e["purpose"] == "TxDefaultProfile" && e["stackLevel"] == 1 &&
           e["numberPhases"] == 1 && e["limit"].get<double>() >= 6;
  });
  ASSERT_FALSE(one_phase.empty()) << cp->out() << site.hemd->err();
  EXPECT_EQ(one_phase[0]["limit"], 15);  // 3456 W / 230 V
}

}  // namespace
}  // namespace hemd::test
