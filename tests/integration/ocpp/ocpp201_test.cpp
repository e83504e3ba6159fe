// hemd as the central system for OCPP 2.0.1 charging stations: ocpp-rpc in strict mode with the official
// 2.0.1 schemas validates every message hemd sends. The same listener serves 1.6 and 2.0.1 side by side.
#include <signal.h>

#include "drivers/storage/database.h"
#include "tests/integration/ocpp/ocpp_site.h"

namespace hemd::test {
namespace {

const std::string one_station = "  - {id: cs1, password: pw-1234, max_current_a: 16, mode: now}\n";

auto config_of(const std::string& key) {
  return [key](const json& e) { return e.value("event", "") == "config" && e["key"] == key; };
}

TEST(Ocpp201, AStationIsSetUpChargedAndItsSessionRecorded) {
  Site site;
  site.script = "station201.js";
  site.start(one_station);
  auto cs = site.charge_point("cs1");
  auto connected = wait_events(*cs, is("connected"));
  ASSERT_EQ(connected.size(), 1u) << cs->out() << cs->err() << site.hemd->err();
  EXPECT_EQ(connected[0]["protocol"], "ocpp2.0.1");
  auto boot = wait_events(*cs, is("boot"));
  ASSERT_EQ(boot.size(), 1u) << cs->out();
  EXPECT_EQ(boot[0]["status"], "Accepted");
  // The device model is asked and set: meter values during transactions every 10 s, a full report.
  auto interval = wait_events(*cs, config_of("SampledDataCtrlr/TxUpdatedInterval"));
  ASSERT_EQ(interval.size(), 1u) << cs->out();
  EXPECT_EQ(interval[0]["value"], "10");
  EXPECT_EQ(wait_events(*cs, is("base-report")).size(), 1u) << cs->out();
  // What another central system left above hemd's stack levels is cleared, level by level, after hemd's own
  // are laid: never one of hemd's own levels.
  auto clear = wait_events(*cs, is("clear"));
  ASSERT_FALSE(clear.empty()) << cs->out();
  for (const auto& c : clear) {
    EXPECT_EQ(c["params"]["chargingProfileCriteria"]["chargingProfilePurpose"], "TxDefaultProfile");
    EXPECT_GE(c["params"]["chargingProfileCriteria"]["stackLevel"], 2) << c;
  }
  auto floor = wait_events(*cs, profile_for("TxDefaultProfile", 0));
  ASSERT_EQ(floor.size(), 1u) << cs->out();
  EXPECT_EQ(floor[0]["limit"], 6);
  EXPECT_EQ(floor[0]["evseId"], 0);
  auto cap = wait_events(*cs, profile_for("ChargingStationMaxProfile"));
  ASSERT_EQ(cap.size(), 1u) << cs->out();
  EXPECT_EQ(cap[0]["limit"], 16);
  // The transaction starts at plug-in; the token follows; the car charges at what the fuse leaves.
  cs->send("plug");
  ASSERT_FALSE(wait_events(*cs, limit_is(16)).empty()) << cs->out() << site.hemd->err();
  cs->send("start TAG7");
  auto authorized = wait_events(*cs, is("authorized"));
  ASSERT_EQ(authorized.size(), 1u) << cs->out();
  EXPECT_EQ(authorized[0]["status"], "Accepted");
  cs->send("meter 16");
  ASSERT_FALSE(wait_events(*cs, is("metered")).empty());
  site.dir.write("hemd.yaml",
                 std::regex_replace(site.config, std::regex("main_fuse_a: 25"), "main_fuse_a: 12"));
  const auto before_cut = mark(*cs);
  kill(site.hemd->pid(), SIGHUP);
  ASSERT_FALSE(wait_events(*cs, limit_is(11), 1, 30s, before_cut).empty()) << cs->out() << site.hemd->err();
  cs->send("stop");
  auto stopped = wait_events(*cs, is("stopped"));
  ASSERT_EQ(stopped.size(), 1u) << cs->out();
  EXPECT_TRUE(wait_events(*cs, is("bad"), 1, 1s).empty())
      << "a message hemd sent broke the schema: " << cs->out();
  kill(site.hemd->pid(), SIGTERM);
  ASSERT_EQ(site.hemd->wait_exit(), 0) << site.hemd->err();
  auto db = storage::Database::open(site.dir.file("hemd.db"));
  auto rows = db.query({"SELECT transaction_id, id_tag, energy_wh, stop_reason FROM sessions", {}});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(*rows[0][0], stopped[0]["transactionId"].get<std::string>());
  EXPECT_EQ(*rows[0][1], "TAG7");          // learnt after the transaction began
  EXPECT_EQ(std::stod(*rows[0][2]), 500);  // 1.0 kWh at plug-in, 1.5 kWh at the end (kWh on the wire)
  EXPECT_EQ(*rows[0][3], "EVDisconnected");
}

// ISO 15118: the car says it needs 5 kWh within 90 minutes. hemd plans that (smart mode, no departure or
// target set by the owner) and the plan delivers all of it before the car leaves.
TEST(Ocpp201, TheCarsChargingNeedsBecomeItsPlan) {
  Site site;
  site.script = "station201.js";
  site.start("  - {id: cs1, password: pw-1234, max_current_a: 16, mode: smart}\n", true, "", 25,
             "prices: {provider: fixed, fixed_price_dkk_kwh: 2.40}\nlog_level: info\n");
  auto cs = site.charge_point("cs1");
  ASSERT_FALSE(wait_events(*cs, is("boot")).empty()) << cs->out() << site.hemd->err();
  cs->send("plug");
  ASSERT_FALSE(wait_events(*cs, is("started")).empty()) << cs->out();
  cs->send("start");
  ASSERT_FALSE(wait_events(*cs, is("authorized")).empty()) << cs->out();
  const auto departure_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch() + 5400s)
                                .count();
  cs->send("needs 5000 5400");
  auto needs = wait_events(*cs, is("needs"));
  ASSERT_EQ(needs.size(), 1u) << cs->out();
  EXPECT_EQ(needs[0]["status"], "Accepted");
  ASSERT_TRUE(site.hemd->wait_for_err("the car needs 5.0 kWh by")) << site.hemd->err();
  ASSERT_TRUE(site.hemd->wait_for_err("plan: cs1: 5.0 kWh by")) << site.hemd->err();
  kill(site.hemd->pid(), SIGTERM);
  ASSERT_EQ(site.hemd->wait_exit(), 0) << site.hemd->err();
  auto db = storage::Database::open(site.dir.file("hemd.db"));
  auto rows = db.query(
      {"SELECT departure_ms, need_wh, schedule_json FROM plans WHERE need_wh > 0 ORDER BY id DESC LIMIT 1",
       {}});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NEAR(std::stod(*rows[0][0]), departure_ms, 2000);
  EXPECT_NEAR(std::stod(*rows[0][1]), 5000, 1);
  double planned = 0;
  for (const auto& slot : json::parse(*rows[0][2])) {
    EXPECT_LT(slot["start_ms"].get<std::int64_t>(), departure_ms) << *rows[0][2];
    planned += slot["energy_wh"].get<double>();
  }
  EXPECT_NEAR(planned, 5000, 5) << *rows[0][2];
}

// A station that takes no TxDefaultProfile gets its limit as a TxProfile of the running transaction, whose
// id is a string in 2.0.1.
TEST(Ocpp201, ARefusedTxDefaultProfileFallsBackToATxProfileOfTheTransaction) {
  Site site;
  site.script = "station201.js";
  site.start(one_station, false);
  auto cs = site.charge_point("cs1", {"--reject-tx-default"});
  ASSERT_FALSE(wait_events(*cs, is("boot")).empty()) << cs->out();
  ASSERT_TRUE(site.hemd->wait_for_err("TxProfile inside transactions")) << site.hemd->err();
  cs->send("plug");
  auto started = wait_events(*cs, is("started"));
  ASSERT_EQ(started.size(), 1u) << cs->out();
  auto tx = wait_events(*cs, profile_for("TxProfile"));
  ASSERT_FALSE(tx.empty()) << cs->out() << site.hemd->err();
  EXPECT_EQ(tx[0]["transactionId"], started[0]["transactionId"]);
  EXPECT_EQ(tx[0]["evseId"], 1);
  EXPECT_FALSE(wait_events(*cs, limit_is(6)).empty()) << cs->out();  // no grid meter: the safe current
}

TEST(Ocpp201, MalformedFramesGetTheErrorCodesOf201AndTheConnectionLives) {
  Site site;
  site.start(one_station + "  - {id: old, password: pw-1234, ocpp_version: \"1.6\"}\n", false);
  // A charger set to one version is not let in with the other: the server chooses no subprotocol, so the
  // client fails the connection (OCPP-J § 3.2).
  auto wrong_version = site.raw("/ocpp/old", "ocpp2.0.1", "pw-1234", {});
  ASSERT_FALSE(wrong_version.empty());
  EXPECT_EQ(wrong_version[0]["event"], "error");
  EXPECT_TRUE(site.hemd->wait_for_err("charge point old is set to OCPP 1.6 (chargers[].ocpp_version)"))
      << site.hemd->err();
  auto got = site.raw(
      "/ocpp/cs1", "ocpp2.0.1", "pw-1234",
      {"this is not json", R"([7, "x", {}])",
       R"([2, "b", "BootNotification", {"reason": "PowerUp", "chargingStation": {"model": 5, "vendorName": "v"}}])",
       R"([2, "c", "BootNotification", {"reason": "PowerUp"}])", R"([2, "d", "FlyToTheMoon", {}])",
       R"([2, "e", "Heartbeat", {}])"});
  std::map<std::string, std::string> errors;
  bool heartbeat_answered = false, still_open = false;
  std::string protocol;
  for (const auto& e : got) {
    if (e["event"] == "open") protocol = e["protocol"];
    if (e["event"] == "frame" && e["frame"][0] == 4) errors[e["frame"][1]] = e["frame"][2];
    if (e["event"] == "frame" && e["frame"][0] == 3 && e["frame"][1] == "e") heartbeat_answered = true;
    if (e["event"] == "still-open") still_open = e["open"];
  }
  EXPECT_EQ(protocol, "ocpp2.0.1");
  EXPECT_EQ(errors["-1"], "RpcFrameworkError");
  EXPECT_EQ(errors["x"], "MessageTypeNotSupported");
  EXPECT_EQ(errors["b"], "TypeConstraintViolation");
  EXPECT_EQ(errors["c"], "OccurrenceConstraintViolation");
  EXPECT_EQ(errors["d"], "NotImplemented");
  EXPECT_TRUE(heartbeat_answered) << site.hemd->err();
  EXPECT_TRUE(still_open);
}

// One listener, both versions: a 1.6 charge point and a 2.0.1 station share the fuse.
TEST(Ocpp201, A16ChargePointAndA201StationOnOneListener) {
  Site site;
  site.start(
      "  - {id: cp1, password: pw-1234, max_current_a: 16, mode: now}\n"
      "  - {id: cs1, password: pw-1234, max_current_a: 16, mode: now}\n");
  auto cp = site.charge_point("cp1");
  site.script = "station201.js";
  auto cs = site.charge_point("cs1");
  ASSERT_FALSE(wait_events(*cp, is("boot")).empty()) << cp->out();
  ASSERT_FALSE(wait_events(*cs, is("boot")).empty()) << cs->out();
  cp->send("plug");
  cs->send("plug");
  // 25 A fuse, the house at 5.5/6.5/7.5 A: 17.5 A for both cars, fairly shared.
  auto a = wait_events(*cp, [](const json& e) { return e.value("event", "") == "limit" && e["amps"] == 8; });
  auto b = wait_events(*cs, [](const json& e) { return e.value("event", "") == "limit" && e["amps"] == 8; });
  EXPECT_FALSE(a.empty()) << cp->out() << site.hemd->err();
  EXPECT_FALSE(b.empty()) << cs->out() << site.hemd->err();
}

// Actions from Home Assistant or the CLI in 2.0.1's words: RequestStart/StopTransaction, UnlockConnector,
// ChangeAvailability and an immediate Reset.
TEST(Ocpp201, ActionsOnAStationBecomeTheir201Calls) {
  InProcess hemd;
  hemd.start();
  auto cs = hemd.charge_point("station201.js");
  ASSERT_FALSE(wait_events(*cs, is("boot")).empty()) << cs->out();
  using A = ocpp::Csms::Action;
  cs->send("plug");
  auto started = wait_events(*cs, is("started"));
  ASSERT_EQ(started.size(), 1u) << cs->out();
  ASSERT_TRUE(Process::wait_until([&] { return hemd.csms->views().at("cp1").car_connected; }, 10s));
  EXPECT_EQ(hemd.csms->views().at("cp1").protocol, "ocpp2.0.1");
  hemd.csms->act("cp1", A::start_session);
  auto remote = wait_events(*cs, is("remote-start"));
  ASSERT_EQ(remote.size(), 1u) << cs->out();
  EXPECT_EQ(remote[0]["idToken"], "hemd");
  EXPECT_EQ(wait_events(*cs, is("authorized")).size(), 1u) << cs->out();
  hemd.csms->act("cp1", A::stop_session);
  auto stop = wait_events(*cs, is("remote-stop"));
  ASSERT_EQ(stop.size(), 1u) << cs->out();
  EXPECT_EQ(stop[0]["transactionId"], started[0]["transactionId"]);
  hemd.csms->act("cp1", A::unlock);
  EXPECT_EQ(wait_events(*cs, is("unlock")).size(), 1u) << cs->out();
  hemd.csms->act("cp1", A::disable);
  auto off = wait_events(*cs, [](const json& e) {
    return e.value("event", "") == "availability" && e["operationalStatus"] == "Inoperative";
  });
  EXPECT_EQ(off.size(), 1u) << cs->out();
  hemd.csms->act("cp1", A::restart);
  auto reset = wait_events(*cs, is("reset"));
  ASSERT_EQ(reset.size(), 1u) << cs->out();
  EXPECT_EQ(reset[0]["type"], "Immediate");
  EXPECT_EQ(wait_events(*cs, is("boot"), 2).size(), 2u) << "booted again after the restart: " << cs->out();
  EXPECT_TRUE(wait_events(*cs, is("bad"), 1, 1s).empty()) << cs->out();
}

// Security profile 2 for a 2.0.1 station: wss:// with Basic authentication; a wrong password and plain ws://
// are refused.
TEST(Ocpp201, SecurityProfile2) {
  TlsSite site;
  site.script = "station201.js";
  site.make_certificates();
  site.start(one_station, false,
             fmt::format(", tls_cert_file: {0}/server.pem, tls_key_file: {0}/server.key", site.tls));
  ASSERT_TRUE(site.hemd->wait_for_err("listening on wss://127.0.0.1")) << site.hemd->err();
  auto cs = site.wss_point("good", {"--id", "cs1", "--ca", site.tls + "/ca.pem"});
  ASSERT_EQ(wait_events(*cs, is("boot")).size(), 1u) << cs->out() << cs->err() << site.hemd->err();
  EXPECT_FALSE(wait_events(*cs, profile_for("TxDefaultProfile", 1)).empty()) << cs->out();
  cs->send("exit");
  auto wrong = site.wss_point("wrong", {"--id", "cs1", "--ca", site.tls + "/ca.pem"}, "not-it");
  auto refused = wait_events(*wrong, is("refused"));
  ASSERT_EQ(refused.size(), 1u) << wrong->out();
  EXPECT_EQ(refused[0]["error"], "Unauthorized") << wrong->out();
  auto plain = site.charge_point("cs1", {"--url", fmt::format("ws://127.0.0.1:{}/ocpp", site.port)});
  EXPECT_EQ(wait_events(*plain, is("refused")).size(), 1u) << plain->out();
}

// Security profile 3 for a 2.0.1 station: its own certificate, signed by the home CA, names it.
TEST(Ocpp201, SecurityProfile3) {
  TlsSite site;
  site.script = "station201.js";
  site.make_certificates();
  site.client_certificate("cs1");
  site.client_certificate("cs9");
  site.start(one_station, false,
             fmt::format(", tls_cert_file: {0}/server.pem, tls_key_file: {0}/server.key, tls_client_ca_file: "
                         "{0}/ca.pem",
                         site.tls));
  ASSERT_TRUE(site.hemd->wait_for_err("security profile 3")) << site.hemd->err();
  auto own = site.wss_point("own", {"--id", "cs1", "--ca", site.tls + "/ca.pem", "--cert",
                                    site.tls + "/cs1.pem", "--key", site.tls + "/cs1.key"});
  EXPECT_EQ(wait_events(*own, is("boot")).size(), 1u) << own->out() << own->err() << site.hemd->err();
  own->send("exit");
  auto other = site.wss_point("other", {"--id", "cs1", "--ca", site.tls + "/ca.pem", "--cert",
                                        site.tls + "/cs9.pem", "--key", site.tls + "/cs9.key"});
  auto refused = wait_events(*other, is("refused"));
  ASSERT_EQ(refused.size(), 1u) << other->out();
  EXPECT_EQ(refused[0]["error"], "Forbidden") << other->out();
}

}  // namespace
}  // namespace hemd::test
