#include <gtest/gtest.h>

#include "config/charger_profile.h"

namespace hemd::config {
namespace {

const std::string dir = std::string(HEMD_SOURCE_DIR) + "/config/chargers";

TEST(ChargerProfiles, EveryShippedProfileIsValid) {
  auto set = load_charger_profiles(dir);
  for (const auto& e : set.errors) ADD_FAILURE() << e.to_string();
  EXPECT_GE(set.profiles.size(), 15u);
  for (const char* family : {"generic", "go-e", "easee", "zaptec", "wallbox", "alfen", "abb-terra-ac", "keba",
                             "evbox", "schneider-evlink", "huawei", "mennekes"})
    EXPECT_NE(set.find(family), nullptr) << family;
}

TEST(ChargerProfiles, TheQuirksAreWhatTheFieldReports) {
  auto set = load_charger_profiles(dir);
  EXPECT_EQ(set.find("huawei")->rate_unit, "W");
  EXPECT_EQ(set.find("abb-terra-ac")->stack_level, 0);
  EXPECT_EQ(set.find("wallbox-legacy")->profile_kind, "Relative");
  EXPECT_FALSE(set.find("evbox")->charge_point_max_profile);
  EXPECT_TRUE(set.find("easee")->remote_start);
  EXPECT_FALSE(set.find("en-plus")->change_availability);
  EXPECT_EQ(set.find("necharge")->current_steps_a, (std::vector<double>{6, 8, 10, 13, 16}));
  EXPECT_EQ(set.find("mennekes")->connect_timeout_s, 900);
  EXPECT_FALSE(set.find("foxess")->ocpp201_smart_charging);
  EXPECT_EQ(set.find("generic")->rate_unit, "auto");
  EXPECT_EQ(set.find("generic")->pause, "zero_current");
  // How a car that sleeps through a resume may be woken; never by ChangeAvailability where it is forbidden.
  EXPECT_EQ(set.find("generic")->wake_up,
            (std::vector<std::string>{"availability_cycle", "restart_transaction"}));
  EXPECT_EQ(set.find("en-plus")->wake_up, (std::vector<std::string>{"restart_transaction"}));
  EXPECT_EQ(set.find("autel")->wake_up, (std::vector<std::string>{"availability_cycle"}));
}

TEST(ChargerProfiles, BootNotificationSelectsTheProfile) {
  auto set = load_charger_profiles(dir);
  EXPECT_EQ(set.match("go-e", "HOMEfix")->name, "go-e");
  EXPECT_EQ(set.match("Fronius", "Wattpilot Home 11 J")->name, "go-e");
  EXPECT_EQ(set.match("ABB", "TAC-W22-T-R-0")->name, "abb-terra-ac");
  EXPECT_EQ(set.match("ABB", "Terra 54")->name, "generic");  // a DC charger of the same vendor
  EXPECT_EQ(set.match("HUAWEI", "SCharger-7KS")->name, "huawei");
  EXPECT_EQ(set.match("Easee", "Home")->name, "easee");
  EXPECT_EQ(set.match("Unknown GmbH", "X")->name, "generic");
}

TEST(ChargerProfiles, BrokenProfileNamesFileLineAndKey) {
  std::vector<Error> errors;
  read_charger_profile(
      "description: x\nocpp:\n  rate_unit: kW\n  stack_levl: 1\n  measurands: [Power.Active.Imprt]\n"
      "  current_steps_a: [6, lots]\n",
      "/etc/hemd/chargers/mine.yaml", errors);
  ASSERT_EQ(errors.size(), 4u);
  std::string all;
  for (const auto& e : errors) all += e.to_string() + "\n";
  EXPECT_NE(
      all.find("/etc/hemd/chargers/mine.yaml:3:14: ocpp.rate_unit: found 'kW', expected one of: auto, A, W"),
      std::string::npos)
      << all;
  EXPECT_NE(all.find("ocpp.stack_levl: unknown key 'stack_levl', did you mean 'stack_level'?"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("did you mean 'Power.Active.Import'?"), std::string::npos) << all;
  EXPECT_NE(all.find("found 'lots', expected currents in A"), std::string::npos) << all;
}

TEST(ChargerProfiles, ConfigMustNameAnExistingProfile) {
  auto set = load_charger_profiles(dir);
  auto r = load_string(
      "site: {main_fuse_a: 25}\nchargers:\n  - {id: a, profile: go-ee}\n  - {id: b, profile: easee}\n",
      "t.yaml");
  ASSERT_TRUE(r.config);
  auto errors = check_profile_references(*r.config, set);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].key, "chargers[0].profile");
  EXPECT_EQ(errors[0].line, 3);
  EXPECT_EQ(errors[0].column, 22);
  EXPECT_NE(errors[0].message.find("did you mean 'go-e'?"), std::string::npos) << errors[0].message;
}

}  // namespace
}  // namespace hemd::config
