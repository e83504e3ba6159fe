// Each table's typed rows go in through the Recorder and come back out as they went in.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "drivers/storage/tables.h"

namespace hemd::storage {
namespace {

class TempDb {
 public:
  TempDb() {
    char tmpl[] = "/tmp/hemd-tables-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~TempDb() { std::filesystem::remove_all(dir_); }
  std::string path() const { return dir_ + "/hemd.db"; }

 private:
  std::string dir_;
};

// Recent enough that retention pruning keeps the rows.
const TimeMs t0 =
    std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();

TEST(Tables, SiteMeasurementsComeBackInTimeOrderWithinTheRange) {
  TempDb dir;
  {
    Recorder r(Database::open(dir.path()), {});
    record(r, SiteMeasurement{t0 + 60'000, 5000, -3000, 2000, {{1, 2, 3}}});
    record(r, SiteMeasurement{t0, 4000.5, std::nan(""), 1500, {{0, 0, 0}}});
    record(r, SiteMeasurement{t0 + 120'000, 0, 0, 0, {}});
    r.flush();
  }
  auto db = Database::open(dir.path());
  const auto rows = site_measurements(db, t0, t0 + 120'000);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at_ms, t0);
  EXPECT_EQ(rows[0].pv_w, 4000.5);
  EXPECT_FALSE(rows[0].grid_w);  // not a number is stored as nothing
  EXPECT_EQ(rows[1].at_ms, t0 + 60'000);
  EXPECT_EQ(rows[1].grid_w, -3000);
  EXPECT_EQ(rows[1].grid_a[2], 3);
}

TEST(Tables, ASessionFromStartToStopIsChargedOnce) {
  TempDb dir;
  {
    Recorder r(Database::open(dir.path()), {});
    record(r, SessionStart{"garage", "17", "", t0, 1000});
    record(r, SessionStart{"carport", "3", "tag", t0 + 1, 50});
    record(r, SessionStop{"garage", "17", "late-token", t0 + 3'600'000, 8400, "EVDisconnected"});
    r.flush();
  }
  auto db = Database::open(dir.path());
  const auto charged = charged_sessions(db, t0, t0 + 86'400'000);
  ASSERT_EQ(charged.size(), 1u);  // the carport's is still running
  EXPECT_EQ(charged[0].charger_id, "garage");
  EXPECT_EQ(charged[0].started_ms, t0);
  EXPECT_EQ(charged[0].energy_wh, 7400);
  const auto rows = db.query({"SELECT id_tag, stop_reason FROM sessions WHERE charger_id = 'garage'", {}});
  EXPECT_EQ(*rows.at(0)[0], "late-token");
  EXPECT_EQ(*rows.at(0)[1], "EVDisconnected");
  EXPECT_TRUE(charged_sessions(db, t0 + 1, t0 + 86'400'000).empty());
}

TEST(Tables, SettingsAndListsSurviveAReopen) {
  TempDb dir;
  {
    Recorder r(Database::open(dir.path()), {});
    record(r, Setting{"charger.garage.mode", "smart"});
    record(r, Setting{"charger.garage.mode", "pv"});  // the last one counts
    record(r, Setting::list("mqtt.announced_chargers", {"garage", "carport"}));
    record(r, Setting::list("empty", {}));
    r.flush();
  }
  auto db = Database::open(dir.path());
  EXPECT_EQ(setting(db, "charger.garage.mode"), "pv");
  EXPECT_FALSE(setting(db, "charger.carport.mode"));
  EXPECT_EQ(list_setting(db, "mqtt.announced_chargers"), (std::vector<std::string>{"garage", "carport"}));
  EXPECT_TRUE(list_setting(db, "empty").empty());
  EXPECT_TRUE(list_setting(db, "never.set").empty());
}

TEST(Tables, WhatAChargerTaughtIsKeptPerChargerAndKey) {
  TempDb dir;
  {
    Recorder r(Database::open(dir.path()), {});
    record(r, LearntFact{"garage", "tx_default_profile", "refused"});
    record(r, LearntFact{"garage", "tx_default_profile", "accepted"});
    record(r, LearntFact{"carport", "charge_point_max_profile", "refused"});
    r.flush();
  }
  auto db = Database::open(dir.path());
  const auto k = charger_knowledge(db);
  ASSERT_EQ(k.size(), 2u);
  EXPECT_EQ(k.at("garage").at("tx_default_profile"), "accepted");
  EXPECT_EQ(k.at("carport").at("charge_point_max_profile"), "refused");
}

TEST(Tables, PlansEventsAndChargerMeasurementsAreRecorded) {
  TempDb dir;
  {
    Recorder r(Database::open(dir.path()), {});
    record(r, Plan{"garage", t0, t0 + 3'600'000, 20000, 31.5, "[]"});
    record(r, Event{t0, 6, "control", "garage: 16 A (now)"});
    record(r, ChargerMeasurement{t0, "garage", 16, 11000, 2500});
    r.flush();
    EXPECT_EQ(r.stats().committed, 3u);
    EXPECT_EQ(r.stats().dropped, 0u);
  }
  auto db = Database::open(dir.path());
  EXPECT_EQ(*db.query({"SELECT cost_dkk FROM plans", {}}).at(0)[0], "31.5");
  EXPECT_EQ(*db.query({"SELECT message FROM events", {}}).at(0)[0], "garage: 16 A (now)");
  EXPECT_EQ(*db.query({"SELECT limit_a FROM charger_measurements", {}}).at(0)[0], "16.0");
}

}  // namespace
}  // namespace hemd::storage
