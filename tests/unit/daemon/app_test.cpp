#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "daemon/app.h"
#include "daemon/modbus_input.h"

namespace hemd {
namespace {

config::Config site_config(const std::string& db) {
  auto r = config::load_string(
      "site: {main_fuse_a: 25, phases: 3, safe_current_a: 8}\n"
      "chargers:\n  - {id: garage, max_current_a: 16, mode: now}\n"
      "storage: {measurement_interval_s: 1}\n",
      "t.yaml");
  EXPECT_TRUE(r.config);
  r.config->storage.path = db;
  return *r.config;
}

struct TempDb {
  TempDb() {
    char tmpl[] = "/tmp/hemd-app-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  ~TempDb() { std::filesystem::remove_all(dir); }
  std::string path() const { return dir + "/hemd.db"; }
  std::string dir;
};

class RecordingOutput final : public ChargerOutput {
 public:
  void apply(const Decision& d) override { last = d; }
  Decision last;
};

// A sunny noon with the garage's car plugged in, measured fresh every cycle.
class SunnySite final : public SiteInput {
 public:
  void fill(SiteSnapshot& s) override {
    s.pv_power_w = Reading{6000, Quality::ok, s.now};
    s.grid.power_w = Reading{-5500, Quality::ok, s.now};
    for (auto& a : s.grid.current_a) a = Reading{-8, Quality::ok, s.now};
    for (auto& c : s.chargers) {
      c.online = c.car_connected = true;
      c.status = ChargerStatus::suspended_evse;
    }
  }
};

// One staleness limit: the grid meter's stale_after_s is also how old a grid reading the control trusts, and
// the sharing policy arrives as the enum it was read into.
TEST(App, ControlParamsComeFromTheConfig) {
  auto r = config::load_string(
      "site: {main_fuse_a: 25, sharing: priority}\n"
      "meters:\n  - {name: pv, role: pv, device: sunspec, host: h, stale_after_s: 3}\n"
      "  - {name: grid, role: grid, device: sunspec, host: h, stale_after_s: 30}\n"
      "control: {fuse_margin_a: 1.5}\n",
      "t.yaml");
  ASSERT_TRUE(r.config);
  const ControlParams p = control_params(*r.config);
  EXPECT_EQ(p.stale_after_s, 30);
  EXPECT_EQ(p.sharing, SharingPolicy::priority);
  EXPECT_EQ(p.fuse_margin_a, 1.5);
}

TEST(App, WithoutMeasurementsEveryChargerGetsItsSafeCurrent) {
  TempDb db;
  App app(site_config(db.path()));
  RecordingOutput out;
  app.add_output(out);
  app.cycle(1'700'000'000'000);
  ASSERT_NE(out.last.for_charger("garage"), nullptr);
  EXPECT_EQ(out.last.for_charger("garage")->limit_a, 8);
}

TEST(App, ShutdownLeavesChargersAtTheirSafeCurrentAndStoresHistory) {
  TempDb db;
  {
    App app(site_config(db.path()));
    SunnySite site;
    RecordingOutput out;
    app.add_input(site);
    app.add_output(out);
    // Noon, full sun, mode now: the car charges at its maximum.
    // Today, so that the history is within its retention period.
    const TimeMs today = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    const TimeMs noon = today - today % 86400000 + 11 * 3600000;
    for (int i = 0; i < 5; ++i) {
      app.cycle(noon + i * 1000);
    }
    EXPECT_EQ(out.last.for_charger("garage")->limit_a, 16);
    app.shutdown();
    EXPECT_EQ(out.last.for_charger("garage")->limit_a, 8);
    EXPECT_EQ(out.last.for_charger("garage")->reason, "hemd stopped: safe current");
  }
  auto check = storage::Database::open(db.path());
  EXPECT_NE(*check.query({"SELECT count(*) FROM site_measurements", {}})[0][0], "0");
  EXPECT_NE(*check.query({"SELECT count(*) FROM events", {}})[0][0], "0");
}

// A driver's adapter that throws (an answer it could not take) is one boundary: logged once with its origin,
// dropped, and the cycle goes on without its readings; it never reaches std::terminate.
class ThrowingInput final : public SiteInput {
 public:
  void fill(SiteSnapshot&) override {
    if (throwing) throw std::runtime_error("bad answer\n<0>FORGED");
  }
  bool throwing = true;
};

class ThrowingObserver final : public Observer {
 public:
  void observe(const SiteSnapshot&, const Decision&) override { throw std::out_of_range("observer"); }
};

TEST(App, ADriverThatThrowsIsLoggedOnceAndDroppedTheCycleGoesOn) {
  TempDb db;
  App app(site_config(db.path()));
  SunnySite site;
  ThrowingInput bad;
  ThrowingObserver watcher;
  RecordingOutput out;
  app.add_input(site);
  app.add_input(bad);
  app.add_observer(watcher);
  app.add_output(out);
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 5; ++i) EXPECT_NO_THROW(app.cycle(1'700'000'000'000 + i * 1000));
  bad.throwing = false;
  app.cycle(1'700'000'006'000);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(out.last.for_charger("garage")->limit_a, 16) << "the other input's readings still count";
  EXPECT_NE(log.find("<3>control: a driver's input failed: \"bad answer\\n<0>FORGED\"; dropped"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("input failed", log.find("input failed") + 1), std::string::npos) << "once: " << log;
  EXPECT_NE(log.find("observer failed"), std::string::npos) << log;
  EXPECT_NE(log.find("the driver's input works again"), std::string::npos) << log;
}

TEST(App, StagedConfigTakesEffectAtTheNextCycle) {
  TempDb db;
  App app(site_config(db.path()));
  auto next = site_config(db.path());
  next.chargers[0].safe_current_a = 10;
  app.stage(next);
  EXPECT_EQ(*app.config().chargers[0].safe_current_a, 8);
  app.cycle(1'700'000'000'000);
  EXPECT_EQ(*app.config().chargers[0].safe_current_a, 10);
  EXPECT_EQ(app.decision().for_charger("garage")->limit_a, 10);
}

}  // namespace
}  // namespace hemd

namespace hemd {
namespace {

std::vector<config::Error> battery_errors(const std::string& meter) {
  auto r = config::load_string(
      "site: {main_fuse_a: 25}\nmeters:\n  - {name: bat, role: battery, host: h, " + meter + "}\n", "t.yaml");
  EXPECT_TRUE(r.config) << (r.errors.empty() ? "" : r.errors[0].to_string());
  return r.config ? check_meter_devices(*r.config) : std::vector<config::Error>{};
}

// Issue 21.3: control is refused where the map cannot tell the battery to hold, or where its release needs
// the rating the config does not give; read-only batteries need neither.
TEST(BatteryConfig, ControlNeedsAMapThatSaysHowAndTheRatingItWrites) {
  auto e = battery_errors("device: victron_gx, control: true");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_NE(e[0].message.find("says no discharge_lock"), std::string::npos) << e[0].message;
  e = battery_errors("device: huawei_luna2000, control: true");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_NE(e[0].message.find("missing max_power_w"), std::string::npos) << e[0].message;
  EXPECT_TRUE(battery_errors("device: huawei_luna2000, control: true, max_power_w: 5000").empty());
  EXPECT_TRUE(battery_errors("device: victron_gx").empty());
  EXPECT_TRUE(battery_errors("device: sunspec, control: true").empty());
}

}  // namespace
}  // namespace hemd
