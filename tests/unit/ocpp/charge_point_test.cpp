// The simulated charge point keeps profiles the way OCPP 1.6 says a charger does; the demo's car and the
// bench rely on it.
#include <gtest/gtest.h>

#include "drivers/ocpp/frame.h"
#include "sim/charge_point.h"

namespace hemd::ocpp {
namespace {

using nlohmann::json;
constexpr std::int64_t t0 = 1'790'000'000'000;  // 2026-09-21

ChargingProfileRecord profile(const std::string& purpose, int level, json periods,
                              std::optional<int> duration, std::int64_t start_ms,
                              const std::string& unit = "A") {
  json schedule = {
      {"chargingRateUnit", unit}, {"chargingSchedulePeriod", periods}, {"startSchedule", iso_time(start_ms)}};
  if (duration) schedule["duration"] = *duration;
  return {purpose == "ChargePointMaxProfile" ? 0 : 1,
          {{"chargingProfileId", level * 10 + static_cast<int>(purpose.size())},
           {"stackLevel", level},
           {"chargingProfilePurpose", purpose},
           {"chargingProfileKind", "Absolute"},
           {"chargingSchedule", schedule}},
          start_ms};
}

json period(int start, double limit) {
  return {{"startPeriod", start}, {"limit", limit}};
}

TEST(ChargePoint, WithoutProfilesTheChargerAllowsItsOwnMaximum) {
  EXPECT_EQ(composite_limit_a({}, t0, std::nullopt, 16, 3, 230), 16);
}

TEST(ChargePoint, TheHighestStackLevelInForceWinsAndALapsedOneFallsBackToTheFloor) {
  const std::vector<ChargingProfileRecord> p = {
      profile("TxDefaultProfile", 0, json::array({period(0, 6)}), std::nullopt, t0),
      profile("TxDefaultProfile", 1, json::array({period(0, 13)}), 300, t0)};
  EXPECT_EQ(composite_limit_a(p, t0 + 1000, std::nullopt, 16, 3, 230), 13);
  EXPECT_EQ(composite_limit_a(p, t0 + 299'000, std::nullopt, 16, 3, 230), 13);
  EXPECT_EQ(composite_limit_a(p, t0 + 300'000, std::nullopt, 16, 3, 230), 6);
  EXPECT_EQ(composite_limit_a(p, t0 - 1000, std::nullopt, 16, 3, 230), 16);  // not begun yet
}

TEST(ChargePoint, PeriodsFollowOneAnotherAndWattsBecomeAmpsPerPhase) {
  const std::vector<ChargingProfileRecord> p = {profile(
      "TxDefaultProfile", 1, json::array({period(0, 11040), period(600, 4140)}), std::nullopt, t0, "W")};
  EXPECT_NEAR(composite_limit_a(p, t0 + 10'000, std::nullopt, 32, 3, 230), 16, 1e-9);
  EXPECT_NEAR(composite_limit_a(p, t0 + 600'000, std::nullopt, 32, 3, 230), 6, 1e-9);
}

TEST(ChargePoint, TxProfileOverridesTheDefaultOnlyInsideItsTransactionAndTheMaxProfileCaps) {
  auto tx = profile("TxProfile", 1, json::array({period(0, 10)}), std::nullopt, t0);
  tx.profile["transactionId"] = 42;
  const std::vector<ChargingProfileRecord> p = {
      profile("TxDefaultProfile", 5, json::array({period(0, 14)}), std::nullopt, t0), tx,
      profile("ChargePointMaxProfile", 0, json::array({period(0, 12)}), std::nullopt, t0)};
  EXPECT_EQ(composite_limit_a(p, t0 + 1000, std::nullopt, 16, 3, 230), 12);  // default 14, capped at 12
  EXPECT_EQ(composite_limit_a(p, t0 + 1000, 42, 16, 3, 230), 10);            // its transaction
  EXPECT_EQ(composite_limit_a(p, t0 + 1000, 43, 16, 3, 230), 12);            // another one
}

TEST(ChargePoint, OcppTimesRoundTrip) {
  EXPECT_EQ(iso_time(t0 + 123), "2026-09-21T14:13:20.123Z");
  EXPECT_EQ(parse_iso_time("2026-09-21T14:13:20.123Z"), t0 + 123);
  EXPECT_EQ(parse_iso_time("2026-09-21T16:13:20+02:00"), t0);
  EXPECT_EQ(parse_iso_time("2026-09-21T14:13:20"), t0);
  EXPECT_FALSE(parse_iso_time("yesterday"));
  EXPECT_FALSE(parse_iso_time("2026-09-21T14:13:20 CET"));
}

}  // namespace
}  // namespace hemd::ocpp
