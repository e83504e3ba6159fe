// `hemd simulate` scenario files: what is read, and errors that name the place and what is expected.
#include <gtest/gtest.h>

#include "config/scenario.h"

namespace hemd::config {
namespace {

std::string errors_of(const ScenarioLoad& r) {
  std::string all;
  for (const auto& e : r.errors) all += e.to_string() + "\n";
  return all;
}

TEST(Scenario, ASyntheticDayWithCars) {
  const auto r = load_scenario_string(
      "name: test\nsite: {main_fuse_a: 35, sharing: priority}\nday: {hours: 48, pv_peak_w: 5000, seed: 3}\n"
      "cars:\n  - {id: a, arrive_h: 17, depart_h: 31, need_kwh: 20, phases: 1, max_current_a: 32}\n",
      "s.yaml");
  ASSERT_TRUE(r.scenario) << errors_of(r);
  const Scenario& sc = *r.scenario;
  EXPECT_EQ(sc.quarters.size(), 192u);
  EXPECT_EQ(sc.sharing, SharingPolicy::priority);
  EXPECT_DOUBLE_EQ(sc.main_fuse_a, 35);
  ASSERT_EQ(sc.cars.size(), 1u);
  EXPECT_EQ(sc.cars[0].phases, 1);
  EXPECT_EQ(sc.cars[0].mode, ChargeMode::smart);
  // No sun at night, some at noon; the evening peak tariff makes 18:00 dearer than 03:00.
  EXPECT_DOUBLE_EQ(sc.quarters[3 * 4].pv_w, 0);
  EXPECT_GT(sc.quarters[13 * 4].pv_w, 1000);
  EXPECT_GT(sc.quarters[18 * 4].import_dkk_per_kwh, sc.quarters[3 * 4].import_dkk_per_kwh + 0.8);
  // 2026: (spot + 0.05 + 0.110 + 0.115 + 0.008) x 1.25 at night; export is spot less the fee.
  EXPECT_NEAR(sc.quarters[3 * 4].import_dkk_per_kwh, (0.39 + 0.05 + 0.110 + 0.115 + 0.008) * 1.25, 1e-9);
  EXPECT_NEAR(sc.quarters[3 * 4].export_dkk_per_kwh, 0.39 - 0.02, 1e-9);
}

// A forecast_error changes what the plan expects, one factor a day, and never the day itself.
TEST(Scenario, AForecastErrorMisjudgesEachDayNotTheDay) {
  SyntheticDay exact;
  exact.hours = 72;
  exact.pv_peak_w = 6000;
  SyntheticDay wrong = exact;
  wrong.forecast_error = 0.4;
  const auto a = synthetic_quarters(exact), b = synthetic_quarters(wrong);
  ASSERT_EQ(a.size(), b.size());
  std::vector<double> day_factor;
  for (std::size_t k = 0; k < a.size(); ++k) {
    EXPECT_DOUBLE_EQ(a[k].pv_w, b[k].pv_w);
    EXPECT_LT(a[k].forecast_pv_w, 0);  // no forecast_error: the plan sees the day itself
    if (k % 96 == 12 * 4) day_factor.push_back(b[k].forecast_pv_w / b[k].pv_w);
    if (b[k].pv_w > 0 && k % 96 > 12 * 4) {
      EXPECT_NEAR(b[k].forecast_pv_w / b[k].pv_w, day_factor.back(), 1e-9) << k;
    }
  }
  ASSERT_EQ(day_factor.size(), 3u);
  EXPECT_NE(day_factor[0], day_factor[1]);
  EXPECT_NE(day_factor[0], 1.0);
}

TEST(Scenario, RecordedQuarters) {
  const auto r = load_scenario_string(
      "name: rec\nquarters:\n  pv_w: [0, 100]\n  house_w: [300, 300]\n  import_dkk_per_kwh: [2, 1]\n"
      "  export_dkk_per_kwh: [0.5, 0.5]\ncars: []\n",
      "s.yaml");
  ASSERT_TRUE(r.scenario) << errors_of(r);
  ASSERT_EQ(r.scenario->quarters.size(), 2u);
  EXPECT_DOUBLE_EQ(r.scenario->quarters[1].pv_w, 100);
  EXPECT_DOUBLE_EQ(r.scenario->quarters[1].import_dkk_per_kwh, 1);
}

struct Case {
  const char* name;
  const char* yaml;
  const char* expected;
};

const Case cases[] = {
    {"neither_day_nor_quarters", "name: x\n", "expected either `day:` (a synthetic day) or `quarters:`"},
    {"lists_of_different_length",
     "name: x\nquarters:\n  pv_w: [0]\n  house_w: [1, 2]\n  import_dkk_per_kwh: [2, 1]\n  "
     "export_dkk_per_kwh: [0, 0]\n",
     "s.yaml:3:9: quarters.pv_w: found 1 values, expected one per quarter-hour, as many as "
     "import_dkk_per_kwh has (2)"},
    {"not_a_number_in_a_list",
     "name: x\nquarters:\n  pv_w: [0, sunny]\n  house_w: [1, 2]\n  import_dkk_per_kwh: [2, 1]\n  "
     "export_dkk_per_kwh: [0, 0]\n",
     "s.yaml:3:13: quarters.pv_w[1]: found 'sunny', expected a number in W"},
    {"departure_before_arrival",
     "name: x\nday: {hours: 24}\ncars:\n  - {id: a, arrive_h: 17, depart_h: 7, need_kwh: 5}\n",
     "s.yaml:4:37: cars[0].depart_h: expected a departure after the arrival"},
    {"missing_need", "name: x\nday: {hours: 24}\ncars:\n  - {id: a, arrive_h: 17, depart_h: 20}\n",
     "cars[0].need_kwh: missing, expected a number in kWh"},
    {"misspelt_key", "name: x\nday: {hours: 24, pv_peek_w: 5000}\n",
     "day.pv_peek_w: unknown key 'pv_peek_w', did you mean 'pv_peak_w'?"},
    {"unknown_wake_up",
     "name: x\nday: {hours: 24}\ncars:\n  - {id: a, arrive_h: 17, depart_h: 20, need_kwh: 5, wakes_by: "
     "[honk]}\n",
     "cars[0].wakes_by: found 'honk', expected availability_cycle or restart_transaction"},
    {"spot_not_hourly", "name: x\nday: {hours: 24, spot_dkk_per_kwh: [1, 2]}\n",
     "day.spot_dkk_per_kwh: found 2 values, expected 24 (one per hour)"},
};

class ScenarioErrors : public testing::TestWithParam<Case> {};

TEST_P(ScenarioErrors, NameThePlaceAndWhatIsExpected) {
  const auto r = load_scenario_string(GetParam().yaml, "s.yaml");
  EXPECT_FALSE(r.scenario);
  ASSERT_EQ(r.errors.size(), 1u) << errors_of(r);
  EXPECT_NE(r.errors[0].to_string().find(GetParam().expected), std::string::npos) << errors_of(r);
}

INSTANTIATE_TEST_SUITE_P(Scenario, ScenarioErrors, testing::ValuesIn(cases),
                         [](const testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

TEST(Scenario, TheExamplesLoad) {
  for (const char* name :
       {"sunny-day-one-car.yaml", "housing-association-evening.yaml", "sleeping-cars-night.yaml"}) {
    const auto r = load_scenario_file(std::string(HEMD_SOURCE_DIR) + "/config/scenarios/" + name);
    EXPECT_TRUE(r.scenario) << name << ": " << errors_of(r);
  }
}

}  // namespace
}  // namespace hemd::config
