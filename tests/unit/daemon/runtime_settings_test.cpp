// Settings from Home Assistant: "Start charging now" lasts the session it starts, a departure can be cleared,
// and both survive a restart as stored.
#include "daemon/runtime_settings.h"

#include <gtest/gtest.h>

#include "drivers/storage/database.h"
#include "tests/support/process.h"

namespace hemd {
namespace {

config::Config one_charger() {
  config::Config cfg;
  cfg.chargers.resize(1);
  cfg.chargers[0].id = "garage";
  return cfg;
}

SiteSnapshot snapshot(bool online, bool car) {
  SiteSnapshot s;
  s.now = 1'792'080'000'000;
  ChargerState c;
  c.id = "garage";
  c.mode = ChargeMode::pv;  // the config's
  c.online = online;
  c.car_connected = car;
  s.chargers.push_back(c);
  return s;
}

ChargeMode mode_after(RuntimeSettings& settings, bool online, bool car) {
  auto s = snapshot(online, car);
  settings.fill(s);
  return s.chargers[0].mode;
}

TEST(RuntimeSettings, StartChargingNowEndsWithTheSessionItStarted) {
  test::TempDir dir;
  const auto cfg = one_charger();
  {
    storage::Recorder recorder(storage::Database::open(dir.file("hemd.db")), {});
    auto db = storage::Database::open(dir.file("hemd.db"));
    RuntimeSettings settings(cfg, db, recorder);
    settings.change({"garage", "mode", "smart", 0});
    settings.change({"garage", "start", "", 0});  // pressed before the car is plugged in
    EXPECT_EQ(mode_after(settings, true, false), ChargeMode::now);
    EXPECT_EQ(mode_after(settings, true, true), ChargeMode::now);
    EXPECT_EQ(mode_after(settings, false, false), ChargeMode::now)
        << "a charger offline says nothing of the car";
    EXPECT_EQ(mode_after(settings, true, false), ChargeMode::smart)
        << "the car left: the mode before comes back";
    EXPECT_EQ(mode_after(settings, true, true), ChargeMode::smart);
    // A mode chosen after the button stays.
    settings.change({"garage", "start", "", 0});
    settings.change({"garage", "mode", "now", 0});
    EXPECT_EQ(mode_after(settings, true, true), ChargeMode::now);
    EXPECT_EQ(mode_after(settings, true, false), ChargeMode::now);
    settings.change({"garage", "departure", "07:30", 0});
    settings.change({"garage", "departure", "", 0});  // cleared
    EXPECT_FALSE(settings.get("garage").departure);
    recorder.flush();
  }
  storage::Recorder recorder(storage::Database::open(dir.file("hemd.db")), {});
  auto db = storage::Database::open(dir.file("hemd.db"));
  RuntimeSettings again(cfg, db, recorder);
  EXPECT_EQ(again.get("garage").mode, ChargeMode::now);
  EXPECT_FALSE(again.get("garage").departure) << "cleared stays cleared";
}

// The battery's rules from HA change the running control parameters and, like a charger's settings, are
// kept across a restart over the config's.
TEST(RuntimeSettings, BatteryRulesTuneTheControlAndSurviveARestart) {
  test::TempDir dir;
  auto cfg = one_charger();
  cfg.battery.priority_soc = 80;
  cfg.battery.buffer_soc = 90;
  {
    storage::Recorder recorder(storage::Database::open(dir.file("hemd.db")), {});
    auto db = storage::Database::open(dir.file("hemd.db"));
    RuntimeSettings settings(cfg, db, recorder);
    ControlParams p;
    settings.tune(p);
    EXPECT_EQ(p.battery.priority_soc, 80);
    EXPECT_EQ(p.battery.buffer_soc, 90);
    settings.change({"", "priority_soc", "", 40});
    settings.tune(p);
    EXPECT_EQ(p.battery.priority_soc, 40);
    EXPECT_EQ(p.battery.buffer_soc, 90);
    EXPECT_EQ(p.battery.idle_w, BatteryParams{}.idle_w) << "only the two rules are the homeowner's";
    recorder.flush();
  }
  storage::Recorder recorder(storage::Database::open(dir.file("hemd.db")), {});
  auto db = storage::Database::open(dir.file("hemd.db"));
  RuntimeSettings again(cfg, db, recorder);
  EXPECT_EQ(again.battery().priority_soc, 40);
  EXPECT_EQ(again.battery().buffer_soc, 90);
}

}  // namespace
}  // namespace hemd
