// A car that does not follow a raise (issue 27): the strict charge point acts a car that sleeps through a
// resume after a pause (chargepoint.js --sleep-after-pause) and wakes only by the method under test. hemd
// runs as its own process with a pymodbus grid meter; the car's pause is the 0 A hemd lays before it knows a
// car.
#include <gtest/gtest.h>
#include <signal.h>

#include "drivers/storage/database.h"
#include "drivers/storage/tables.h"
#include "tests/integration/ocpp/ocpp_site.h"

namespace hemd::test {
namespace {

const std::string charger = "  - {id: cp1, password: pw-1234, max_current_a: 16, mode: off}\n";
// Minutes in the field; seconds here, so that the whole story fits in a test.
const std::string quick = "prices: {enabled: false}\ncontrol: {sleeping_car_after_s: 10, wake_wait_s: 10}\n";

auto method_is(const std::string& event, const std::string& method) {
  return [event, method](const json& e) { return e.value("event", "") == event && e["method"] == method; };
}

std::string hemd_story(Site& site) {
  return site.hemd->err();
}

// The car in a session at 0 A (mode off) until it sleeps, then offered current again (mode now).
void pause_until_asleep_then_raise(Site& site, Process& cp) {
  ASSERT_FALSE(wait_events(cp, is("boot")).empty()) << cp.out() << hemd_story(site);
  cp.send("plug");
  // The session starts at 0 A: a car that drew and stopped would look to hemd like a frozen grid meter.
  ASSERT_FALSE(wait_events(cp, limit_is(0)).empty()) << cp.out() << hemd_story(site);
  cp.send("start");
  ASSERT_FALSE(wait_events(cp, is("asleep")).empty()) << cp.out() << hemd_story(site);
  std::string config = site.config;
  config.replace(config.find("mode: off"), 9, "mode: now");
  site.dir.write("hemd.yaml", config);
  kill(site.hemd->pid(), SIGHUP);
  ASSERT_FALSE(wait_events(cp, limit_is(16)).empty()) << cp.out() << hemd_story(site);
}

// Stops hemd and reads what it learnt and what its decisions said.
struct Afterwards {
  storage::ChargerKnowledge knowledge;
  std::vector<std::string> decisions;
};
Afterwards stop(Site& site) {
  kill(site.hemd->pid(), SIGTERM);
  EXPECT_EQ(site.hemd->wait_exit(), 0) << site.hemd->err();
  auto db = storage::Database::open(site.dir.file("hemd.db"));
  Afterwards a;
  a.knowledge = storage::charger_knowledge(db);
  for (const auto& row : db.query({"SELECT message FROM events WHERE source = 'control'", {}}))
    if (row[0]) a.decisions.push_back(*row[0]);
  return a;
}

TEST(OcppSleep, ACarThatSleepsIsWokenByTheMethodItAnswersAndChargesAgain) {
  Site site;
  site.start(charger, true, "", 25, quick);
  auto cp = site.charge_point("cp1", {"--sleep-after-pause", "3000", "--wakes-by", "restart_transaction"});
  pause_until_asleep_then_raise(site, *cp);
  // The profile's first method: the car does not answer it; hemd moves on to the next.
  auto cycle = wait_events(
      *cp, [](const json& e) { return e.value("event", "") == "availability" && e["type"] == "Inoperative"; },
      1, 60s);
  ASSERT_EQ(cycle.size(), 1u) << cp->out() << hemd_story(site);
  ASSERT_FALSE(wait_events(*cp, method_is("still-asleep", "availability_cycle"), 1, 30s).empty())
      << cp->out();
  ASSERT_FALSE(wait_events(*cp, is("remote-stop"), 1, 60s).empty()) << cp->out() << hemd_story(site);
  ASSERT_FALSE(wait_events(*cp, is("remote-start"), 1, 60s).empty()) << cp->out() << hemd_story(site);
  ASSERT_FALSE(wait_events(*cp, method_is("woken", "restart_transaction"), 1, 30s).empty()) << cp->out();
  // The new session runs under a limit that never left the charger, and the car draws again.
  ASSERT_TRUE(site.hemd->wait_for_err("the wake-up by restart_transaction worked", 30s)) << hemd_story(site);
  std::optional<double> last;
  for (const auto& e : events(cp->out())) {
    EXPECT_NE(e.value("event", ""), "bad") << e;
    if (e.value("event", "") != "limit") continue;
    EXPECT_FALSE(e["amps"].is_null()) << "left without a limit: " << e;
    if (!e["amps"].is_null()) last = e["amps"].get<double>();
  }
  // A charging limit; 16 A, or the safe current once the fixed test meter looks frozen under a drawing car.
  ASSERT_TRUE(last) << cp->out();
  EXPECT_GE(*last, 6.0) << cp->out();
  auto a = stop(site);
  EXPECT_EQ(a.knowledge["cp1"]["wake_up.availability_cycle"], "failed");
  EXPECT_EQ(a.knowledge["cp1"]["wake_up.restart_transaction"], "worked");
}

TEST(OcppSleep, ACarThatNeverWakesIsReportedAndKeepsItsLimit) {
  Site site;
  site.start(charger, true, "", 25, quick);
  auto cp = site.charge_point("cp1", {"--sleep-after-pause", "3000", "--wakes-by", "none"});
  pause_until_asleep_then_raise(site, *cp);
  ASSERT_FALSE(wait_events(*cp, method_is("still-asleep", "availability_cycle"), 1, 60s).empty())
      << cp->out();
  ASSERT_FALSE(wait_events(*cp, method_is("still-asleep", "restart_transaction"), 1, 90s).empty())
      << cp->out() << hemd_story(site);
  ASSERT_TRUE(site.hemd->wait_for_err("the wake-up by restart_transaction did not wake the car", 30s))
      << hemd_story(site);
  // Given up: no third attempt, and the limit stays where the car could charge should it wake by itself.
  const auto given_up = mark(*cp);
  EXPECT_TRUE(wait_events(*cp, is("remote-stop"), 1, 5s, given_up).empty()) << cp->out();
  EXPECT_TRUE(wait_events(*cp, limit_is(0), 1, 1s, given_up).empty()) << cp->out();
  auto a = stop(site);
  EXPECT_EQ(a.knowledge["cp1"]["wake_up.availability_cycle"], "failed");
  EXPECT_EQ(a.knowledge["cp1"]["wake_up.restart_transaction"], "failed");
  bool reported = false;
  for (const auto& d : a.decisions)
    reported = reported || d.find("the car did not wake (tried availability_cycle, restart_transaction)") !=
                               std::string::npos;
  EXPECT_TRUE(reported) << ::testing::PrintToString(a.decisions);
}

}  // namespace
}  // namespace hemd::test
