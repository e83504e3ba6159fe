// Real firmware is not the specification: stray and late errors, answers a little off their schema, measurand
// lists refused, connections that drop and come back without a boot, frames meant to break the parser. Each
// test drives the strict ocpp-rpc charge point (chargepoint.js) or a raw client the way such firmware does,
// and checks that the charger is never left without hemd's floor and limit, and that hemd lives on.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <thread>

#include <nlohmann/json.hpp>

#include "tests/integration/ocpp/ocpp_site.h"
#include "tests/support/process.h"

namespace hemd::test {
namespace {

const std::string one_charger = "  - {id: cp1, password: pw-1234, max_current_a: 16, mode: now}\n";

// hemd's set-up reached its end: the floor, the maximum and a limit are laid.
void expect_floor_and_limits(Process& cp, Site& site) {
  auto floor = wait_events(cp, profile_for("TxDefaultProfile", 0));
  ASSERT_FALSE(floor.empty()) << cp.out() << site.hemd->err();
  EXPECT_EQ(floor[0]["limit"], 6);
  EXPECT_FALSE(wait_events(cp, profile_for("ChargePointMaxProfile")).empty()) << cp.out();
  EXPECT_FALSE(wait_events(cp, profile_for("TxDefaultProfile", 1)).empty()) << cp.out();
  // No grid meter: the charger runs at its safe current, by hemd's limit.
  EXPECT_FALSE(wait_events(cp, limit_is(6)).empty()) << cp.out();
}

// Issue 25, 1: a CALLERROR for a message hemd never sent does not end the CALL in flight.
TEST(OcppFirmware, AStrayCallErrorDoesNotReleaseTheCallInFlight) {
  Site site;
  site.start(one_charger, false);
  auto cp = site.charge_point("cp1", {"--stray-error"});
  ASSERT_FALSE(wait_events(*cp, is("availability")).empty()) << cp->out() << site.hemd->err();
  expect_floor_and_limits(*cp, site);
  EXPECT_TRUE(wait_events(*cp, is("overlap"), 1, 1s).empty()) << "two CALLs in flight: " << cp->out();
  const std::string log = site.hemd->err();
  EXPECT_NE(log.find("error for unknown message \"bogus-1\" ignored"), std::string::npos) << log;
  EXPECT_EQ(log.find("answer to unknown message"), std::string::npos) << log;
}

// Issue 25, 2: "readonly": 1 in the configuration answer; what can be read is used, the set-up goes on.
TEST(OcppFirmware, AnOffSchemaConfigurationAnswerStillGetsTheFloorAndTheLimits) {
  Site site;
  site.start(one_charger, false);
  auto cp = site.charge_point("cp1", {"--readonly-int", "--stack-level", "3"});
  expect_floor_and_limits(*cp, site);
  // Its stack levels were read from the answer: what another system may have left above hemd's is cleared.
  auto clears = wait_events(*cp, is("clear"), 2);
  ASSERT_EQ(clears.size(), 2u) << cp->out();
  EXPECT_EQ(clears[0]["params"]["stackLevel"], 2);
  EXPECT_EQ(clears[1]["params"]["stackLevel"], 3);
  EXPECT_TRUE(site.hemd->wait_for_err("its GetConfiguration answer does not follow the schema"))
      << site.hemd->err();
}

// Issue 25, 2: a CALLERROR to every set-up call; each step fails on its own, the floor and limits still go.
TEST(OcppFirmware, AChargerAnsweringEverySetUpCallWithAnErrorStillGetsTheFloorAndTheLimits) {
  Site site;
  site.start(one_charger, false);
  auto cp = site.charge_point("cp1", {"--error-setup"});
  ASSERT_FALSE(wait_events(*cp, is("erred")).empty()) << cp->out();
  expect_floor_and_limits(*cp, site);
  EXPECT_TRUE(wait_events(*cp, is("bad"), 1, 1s).empty()) << cp->out();
}

// Issue 25, 3: a measurand list with one the charger lacks is rejected whole (OCPP 1.6); hemd asks again with
// fewer, says what the charger will not report, and remembers the list it took.
TEST(OcppFirmware, ARejectedMeasurandListIsAskedAgainShorterAndRemembered) {
  Site site;
  site.start(one_charger, false);
  auto cp = site.charge_point(
      "cp1", {"--measurands", "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage"});
  auto lists = wait_events(
      *cp,
      [](const json& e) { return e.value("event", "") == "config" && e["key"] == "MeterValuesSampledData"; },
      2);
  ASSERT_EQ(lists.size(), 2u) << cp->out() << site.hemd->err();
  EXPECT_EQ(lists[0]["value"],
            "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC");
  EXPECT_EQ(lists[1]["value"], "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage");
  EXPECT_TRUE(site.hemd->wait_for_err("it will not report SoC")) << site.hemd->err();
  // After a reboot it is asked for the list it took, at once.
  const auto before = mark(*cp);
  cp->send("reconnect");
  auto again = wait_events(
      *cp,
      [](const json& e) { return e.value("event", "") == "config" && e["key"] == "MeterValuesSampledData"; },
      1, 30s, before);
  ASSERT_EQ(again.size(), 1u) << cp->out();
  EXPECT_EQ(again[0]["value"], "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage");
  EXPECT_TRUE(wait_events(*cp, is("measurands-rejected"), 1, 1s, before).empty()) << cp->out();
}

// Issue 25, 4 and 5: a connection that drops and comes back without a BootNotification, the charger keeping
// its profiles. The floor and the limit go out at once, in place; the charger's limit never steps above the
// last one (no clearing before laying), and what another system left above hemd's level is cleared after.
TEST(OcppFirmware, AQuietReconnectGetsItsLimitAtOnceAndNeverStepsAbove) {
  Site site;
  site.start(one_charger, true, "", 20);
  auto cp = site.charge_point("cp1");
  ASSERT_FALSE(wait_events(*cp, is("boot")).empty()) << cp->out();
  cp->send("plug");
  // 20 A fuse - 0.5 margin - 7.5 A of house on L3 = 12 A, below its 16 A maximum.
  ASSERT_FALSE(wait_events(*cp, limit_is(12)).empty()) << cp->out() << site.hemd->err();
  const auto before = mark(*cp);
  cp->send("reconnect-quiet");
  ASSERT_FALSE(wait_events(*cp, is("connected"), 1, 30s, before).empty()) << cp->out();
  // The limit comes before the set-up that follows a connection without a boot (which starts with
  // ChangeAvailability, 10 s later).
  auto limit = wait_events(*cp, profile_for("TxDefaultProfile", 1), 1, 30s, before);
  ASSERT_FALSE(limit.empty()) << cp->out() << site.hemd->err();
  EXPECT_EQ(limit[0]["limit"], 12);
  auto setup = wait_events(*cp, is("availability"), 1, 30s, before);
  ASSERT_FALSE(setup.empty()) << cp->out();
  EXPECT_LT(limit[0]["t"].get<double>(), setup[0]["t"].get<double>());
  ASSERT_FALSE(wait_events(*cp, is("clear"), 1, 30s, before).empty()) << cp->out();
  ASSERT_FALSE(wait_events(*cp, is("trigger"), 1, 30s, before).empty()) << cp->out();  // set-up done
  for (const auto& e : wait_events(*cp, is("limit"), 1, 1s, before))
    EXPECT_TRUE(e["amps"].is_number() && e["amps"].get<double>() <= 12) << "limit stepped to " << e.dump();
}

// Issue 25, 5, after a restart of hemd: the charger did not restart, so it never boots again. It gets its
// floor and its limit within a second or two, in the unit it taught hemd's run before (W here), not after
// the 10 s hemd gives a charger to boot before it sets it up.
TEST(OcppFirmware, AChargerThatOutlivesARestartOfHemdGetsItsLimitWithoutBooting) {
  Site site;
  site.start(one_charger, true, "", 20);
  auto cp = site.charge_point("cp1", {"--unit", "Power"});
  ASSERT_FALSE(wait_events(*cp, is("boot")).empty()) << cp->out();
  cp->send("plug");
  ASSERT_FALSE(wait_events(*cp, limit_is(12)).empty()) << cp->out() << site.hemd->err();
  site.restart_hemd();
  const auto before = mark(*cp);
  cp->send("reconnect-quiet");
  ASSERT_FALSE(wait_events(*cp, is("connected"), 1, 30s, before).empty()) << cp->out();
  auto limit = wait_events(*cp, profile_for("TxDefaultProfile", 1), 1, 30s, before);
  ASSERT_FALSE(limit.empty()) << cp->out() << site.hemd->err();
  EXPECT_EQ(limit[0]["unit"], "W") << limit[0].dump();
  auto setup = wait_events(*cp, is("availability"), 1, 30s, before);
  ASSERT_FALSE(setup.empty()) << cp->out();
  const auto connected = wait_events(*cp, is("connected"), 1, 1s, before);
  EXPECT_LT(limit[0]["t"].get<double>() - connected[0]["t"].get<double>(), 5000.0)
      << "the limit came only with the set-up";
  EXPECT_LT(limit[0]["t"].get<double>(), setup[0]["t"].get<double>());
  EXPECT_NE(site.hemd->err().find("not set up in this run and not booting"), std::string::npos)
      << site.hemd->err();
  ASSERT_FALSE(wait_events(*cp, limit_is(12), 1, 30s, before).empty()) << cp->out() << site.hemd->err();
  for (const auto& e : wait_events(*cp, is("limit"), 1, 1s, before))
    EXPECT_TRUE(e["amps"].is_number() && e["amps"].get<double>() <= 12) << "limit stepped to " << e.dump();
}

// Issue 26, 5: a second car arrives; the first car's cut is answered before the newcomer is raised, so the
// chargers' limits never add up above what the fuse allows, even with a charger that answers slowly.
TEST(OcppFirmware, ARaiseWaitsUntilTheCutsAreAnswered) {
  Site site;
  site.start("  - {id: cp1, password: pw-1234, mode: now}\n  - {id: cp2, password: pw-1234, mode: now}\n",
             true, "", 20);
  auto a = site.charge_point("cp1", {"--answer-delay-ms", "1500"});
  auto b = site.charge_point("cp2");
  ASSERT_FALSE(wait_events(*a, is("boot")).empty());
  ASSERT_FALSE(wait_events(*b, is("boot")).empty());
  a->send("plug");
  ASSERT_FALSE(wait_events(*a, limit_is(12)).empty()) << a->out() << site.hemd->err();
  const auto a_mark = mark(*a), b_mark = mark(*b);
  b->send("plug");
  auto answered = wait_events(
      *a, [](const json& e) { return e.value("event", "") == "profile-answered" && e["limit"] == 6; }, 1, 30s,
      a_mark);
  auto raised = wait_events(
      *b, [](const json& e) { return profile_for("TxDefaultProfile", 1)(e) && e["limit"] == 6; }, 1, 30s,
      b_mark);
  ASSERT_FALSE(answered.empty()) << a->out() << site.hemd->err();
  ASSERT_FALSE(raised.empty()) << b->out() << site.hemd->err();
  EXPECT_GE(raised[0]["t"].get<double>(), answered[0]["t"].get<double>())
      << "the newcomer was raised before the cut was taken";
  EXPECT_FALSE(wait_events(*b, limit_is(6), 1, 30s, b_mark).empty()) << b->out();
}

// Real chargers apply an accepted profile seconds later: the newcomer waits until the cut shows in the
// charger's own meter, not only for its answer.
TEST(OcppFirmware, ARaiseWaitsUntilTheCutIsSeenInTheChargersMeter) {
  Site site;
  site.start("  - {id: cp1, password: pw-1234, mode: now}\n  - {id: cp2, password: pw-1234, mode: now}\n",
             true, "", 20);
  auto a = site.charge_point("cp1");
  auto b = site.charge_point("cp2");
  ASSERT_FALSE(wait_events(*a, is("boot")).empty());
  ASSERT_FALSE(wait_events(*b, is("boot")).empty());
  a->send("plug");
  ASSERT_FALSE(wait_events(*a, limit_is(12)).empty()) << a->out() << site.hemd->err();
  a->send("meter 12");
  ASSERT_FALSE(wait_events(*a, is("metered")).empty()) << a->out();
  const auto a_mark = mark(*a), b_mark = mark(*b);
  b->send("plug");
  auto cut = wait_events(
      *a, [](const json& e) { return e.value("event", "") == "profile-answered" && e["limit"] < 12; }, 1, 30s,
      a_mark);
  ASSERT_FALSE(cut.empty()) << a->out() << site.hemd->err();
  std::this_thread::sleep_for(2s);  // the car on cp1 still draws 12 A
  a->send(fmt::format("meter {}", cut[0]["limit"].get<double>()));
  auto seen = wait_events(*a, is("metered"), 1, 30s, a_mark);
  auto raised = wait_events(
      *b, [](const json& e) { return profile_for("TxDefaultProfile", 1)(e) && e["limit"] >= 6; }, 1, 30s,
      b_mark);
  ASSERT_FALSE(seen.empty()) << a->out();
  ASSERT_FALSE(raised.empty()) << b->out() << site.hemd->err();
  EXPECT_GE(raised[0]["t"].get<double>(), seen[0]["t"].get<double>())
      << "the newcomer was raised while the car on cp1 still drew 12 A";
}

// The same across listeners: a charger on the wss:// port and one on the plain port share the fuse.
TEST(OcppFirmware, ARaiseOnOneListenerWaitsForTheCutsOnTheOther) {
  TlsSite site;
  site.make_certificates();
  const int plain = free_port();
  site.start("  - {id: cp1, password: pw-1234, mode: now}\n  - {id: cp2, password: pw-1234, mode: now}\n",
             true,
             fmt::format(", tls_cert_file: {0}/server.pem, tls_key_file: {0}/server.key, plain_port: {1}",
                         site.tls, plain),
             20);
  auto a = site.wss_point("cp1", {"--ca", site.tls + "/ca.pem", "--answer-delay-ms", "1500"});
  auto b = site.charge_point("cp2", {"--url", fmt::format("ws://127.0.0.1:{}/ocpp", plain)});
  ASSERT_FALSE(wait_events(*a, is("boot")).empty()) << a->out() << a->err();
  ASSERT_FALSE(wait_events(*b, is("boot")).empty()) << b->out();
  a->send("plug");
  ASSERT_FALSE(wait_events(*a, limit_is(12)).empty()) << a->out() << site.hemd->err();
  const auto a_mark = mark(*a), b_mark = mark(*b);
  b->send("plug");
  auto answered = wait_events(
      *a, [](const json& e) { return e.value("event", "") == "profile-answered" && e["limit"] == 6; }, 1, 30s,
      a_mark);
  auto raised = wait_events(
      *b, [](const json& e) { return profile_for("TxDefaultProfile", 1)(e) && e["limit"] == 6; }, 1, 30s,
      b_mark);
  ASSERT_FALSE(answered.empty()) << a->out() << site.hemd->err();
  ASSERT_FALSE(raised.empty()) << b->out() << site.hemd->err();
  EXPECT_GE(raised[0]["t"].get<double>(), answered[0]["t"].get<double>())
      << "the newcomer on the plain listener was raised before the cut on the TLS one was taken";
}

std::map<std::string, std::string> call_errors(const std::vector<json>& got, bool* open, bool* answered) {
  std::map<std::string, std::string> errors;
  for (const auto& e : got) {
    if (e["event"] == "frame" && e["frame"][0] == 4) errors[e["frame"][1]] = e["frame"][2];
    if (e["event"] == "frame" && e["frame"][0] == 3 && e["frame"][1] == "alive") *answered = true;
    if (e["event"] == "still-open") *open = e["open"];
  }
  return errors;
}

// Issue 26, 1 and 7: frames that once ended hemd (a number out of range, bytes that are not UTF-8, 30,000
// levels of nesting) get a CALLERROR in the version's words; the connection and hemd live on.
TEST(OcppFirmware, FramesThatOnceKilledHemdGetACallErrorAndTheConnectionLives) {
  Site site;
  site.start(one_charger + "  - {id: cs1, password: pw-1234}\n", false);
  const std::vector<std::string> frames = {
      R"([1e999,"x","Heartbeat",{}])", R"([2,"y","Heartbeat",{"a":-1e400}])",
      // [2,"z","Heartbeat",{"a":"é"}] with é in Latin-1, as a binary message
      "bin:5b322c227a222c22486561727462656174222c7b2261223a22e9227d5d", "deep:30000",
      R"([2,"alive","Heartbeat",{}])"};
  for (const auto& [id, protocol, code] : {std::tuple{"cp1", "ocpp1.6", "FormationViolation"},
                                           std::tuple{"cs1", "ocpp2.0.1", "RpcFrameworkError"}}) {
    bool open = false, answered = false;
    auto errors =
        call_errors(site.raw(std::string("/ocpp/") + id, protocol, "pw-1234", frames), &open, &answered);
    EXPECT_EQ(errors["-1"], code) << protocol;
    EXPECT_TRUE(answered) << protocol << site.hemd->err();
    EXPECT_TRUE(open) << protocol;
  }
  // A text message that is not UTF-8 breaks the WebSocket protocol itself: that connection is closed (1007),
  // hemd goes on.
  auto got = site.raw("/ocpp/cp1", "ocpp1.6", "pw-1234", {"txt:5b322c22e9225d"});
  auto again = site.raw("/ocpp/cp1", "ocpp1.6", "pw-1234", {R"([2,"alive","Heartbeat",{}])"});
  bool open = false, answered = false;
  call_errors(again, &open, &answered);
  EXPECT_TRUE(answered) << site.hemd->err();
  const std::string log = site.hemd->err();
  EXPECT_NE(log.find("nested deeper than 32 levels"), std::string::npos) << log;
  EXPECT_EQ(log.find("terminate"), std::string::npos) << log;
}

// Issue 25, 6: an action 2.0.1 defines that hemd does not take is NotSupported; an unknown one
// NotImplemented.
TEST(OcppFirmware, A201ActionHemdDoesNotTakeIsNotSupported) {
  Site site;
  site.start("  - {id: cs1, password: pw-1234}\n", false);
  bool open = false, answered = false;
  auto errors = call_errors(
      site.raw(
          "/ocpp/cs1", "ocpp2.0.1", "pw-1234",
          {R"([2,"s","SignCertificate",{"csr":"x"}])",
           R"([2,"g","Get15118EVCertificate",{"iso15118SchemaVersion":"x","action":"Install","exiRequest":"x"}])",
           R"([2,"u","FlyToTheMoon",{}])", R"([2,"alive","Heartbeat",{}])"}),
      &open, &answered);
  EXPECT_EQ(errors["s"], "NotSupported");
  EXPECT_EQ(errors["g"], "NotSupported");
  EXPECT_EQ(errors["u"], "NotImplemented");
  EXPECT_TRUE(answered);
}

// Issue 25, 7: OCPP-J 1.6 § 3.2 and 2.0.1 Part 4 § 3.2: no subprotocol hemd speaks, the handshake completes
// without Sec-WebSocket-Protocol and the connection is closed at once.
TEST(OcppFirmware, NoSupportedSubprotocolCompletesTheHandshakeAndCloses) {
  Site site;
  site.start(one_charger, false);
  auto none = site.raw("/ocpp/cp1", "-", "pw-1234", {R"([2,"alive","Heartbeat",{}])"});
  ASSERT_GE(none.size(), 2u) << site.hemd->err();
  EXPECT_EQ(none[0]["event"], "open");
  EXPECT_EQ(none[0]["protocol"], "");
  EXPECT_EQ(none[1]["event"], "closed");
  EXPECT_EQ(none[1]["code"], 1002);
  // A client that offered others fails the connection itself (RFC 6455 § 4.1): the server chose none.
  auto other = site.raw("/ocpp/cp1", "ocpp9", "pw-1234", {});
  ASSERT_FALSE(other.empty());
  EXPECT_EQ(other[0]["event"], "error");
  EXPECT_TRUE(site.hemd->wait_for_err("the WebSocket subprotocol must be ocpp1.6 or ocpp2.0.1"));
}

// Issue 23, 4: a charger sending milliamps as amps (16000 "A") says nothing of whether it applies its limit.
// The range check refuses such readings (strategies/plausibility.h), and so does the check of what a charger
// measures: two of them once marked a charger that keeps to its limit as one that ignores it.
TEST(OcppFirmware, ReadingsTheRangeCheckRefusesDoNotJudgeTheLimit) {
  config::ChargerProfile no_composite;
  no_composite.name = "no-composite";
  no_composite.verify_with_composite_schedule = false;  // what it measures is the only check
  InProcess hemd;
  hemd.start(no_composite);
  auto cp = hemd.charge_point();
  ASSERT_FALSE(wait_events(*cp, is("boot")).empty()) << cp->out();
  cp->send("plug");
  cp->send("start");
  ASSERT_FALSE(wait_events(*cp, is("started")).empty()) << cp->out();
  hemd.csms->set_limit("cp1", 8);
  ASSERT_TRUE(Process::wait_until([&] { return hemd.csms->views().at("cp1").offered_a == 8; }, 10s));
  std::this_thread::sleep_for(10s);  // the car had time to follow
  for (int report = 1; report <= 3; ++report) {
    cp->send("meter 16000");
    ASSERT_EQ(wait_events(*cp, is("metered"), report).size(), static_cast<std::size_t>(report)) << cp->out();
  }
  // hemd answers a MeterValues after it has taken its readings: what they did is in the view by now.
  EXPECT_FALSE(hemd.csms->views().at("cp1").profile_ignored) << hemd.csms->views().at("cp1").last_error;
}

}  // namespace
}  // namespace hemd::test
