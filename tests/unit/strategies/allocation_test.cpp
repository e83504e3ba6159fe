#include <gtest/gtest.h>

#include "strategies/allocation.h"

namespace hemd {
namespace {

Claim car(const std::string& id, double want = 16, int priority = 0) {
  Claim c;
  c.id = id;
  c.min_a = 6;
  c.want_a = want;
  c.priority = priority;
  return c;
}

Constraint circuit(double capacity, std::vector<int> members) {
  Constraint k{"circuit", {}, capacity};
  for (int i : members) k.terms.emplace_back(i, 1.0);
  return k;
}

struct Case {
  const char* name;
  std::vector<Claim> claims;
  std::vector<Constraint> constraints;
  SharingPolicy policy;
  std::vector<double> expected;
};

class Allocate : public ::testing::TestWithParam<Case> {};

TEST_P(Allocate, SharesAsThePolicySays) {
  const Case& c = GetParam();
  const Allocation a = allocate(c.claims, c.constraints, c.policy);
  EXPECT_EQ(a.amps, c.expected);
}

const Case cases[] = {
    // The housing association: a 35 A circuit, three cars, each gets about 11 A, not 16 + 16 + 3.
    {"three_cars_share_35A_fairly",
     {car("a"), car("b"), car("c")},
     {circuit(35, {0, 1, 2})},
     SharingPolicy::fair,
     {11, 11, 11}},
    {"a_car_that_wants_little_gets_it_the_rest_share",
     {car("a", 6), car("b"), car("c")},
     {circuit(30, {0, 1, 2})},
     SharingPolicy::fair,
     {6, 12, 12}},
    {"enough_for_everyone", {car("a"), car("b")}, {circuit(63, {0, 1})}, SharingPolicy::fair, {16, 16}},
    {"priority_first_then_the_rest",
     {car("a", 16, 0), car("b", 16, 5), car("c", 16, 0)},
     {circuit(35, {0, 1, 2})},
     SharingPolicy::priority,
     {9, 16, 9}},
    {"priority_keeps_the_others_minimum",
     {car("a", 16, 9), car("b", 16, 0)},
     {circuit(20, {0, 1})},
     SharingPolicy::priority,
     {14, 6}},
    // Minimums do not fit: the last in the ranking pauses; never a car below 6 A.
    {"pause_one_rather_than_three_below_minimum",
     {car("a"), car("b"), car("c")},
     {circuit(16, {0, 1, 2})},
     SharingPolicy::fair,
     {8, 8, 0}},
    {"pause_the_lowest_priority",
     {car("a", 16, 3), car("b", 16, 1), car("c", 16, 2)},
     {circuit(16, {0, 1, 2})},
     SharingPolicy::priority,
     {10, 0, 6}},
    {"nothing_fits", {car("a")}, {circuit(5, {0})}, SharingPolicy::fair, {0}},
    {"one_phase_cars_on_different_phases_do_not_compete",
     {car("l1"), car("l2")},
     {circuit(16, {0}), circuit(16, {1})},
     SharingPolicy::fair,
     {16, 16}},
};

INSTANTIATE_TEST_SUITE_P(Table, Allocate, ::testing::ValuesIn(cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Allocate, DepartureServesTheEarliestFirst) {
  auto a = car("leaves_late"), b = car("leaves_early");
  a.departure = 20'000'000;
  b.departure = 10'000'000;
  const auto r = allocate({a, b}, {circuit(24, {0, 1})}, SharingPolicy::departure);
  EXPECT_EQ(r.amps, (std::vector<double>{8, 16}));
}

TEST(Allocate, FairPausesTheCarThatHasHadMostWhenMinimumsDoNotFit) {
  auto a = car("a"), b = car("b");
  a.delivered_wh = 20000;
  b.delivered_wh = 1000;
  const auto r = allocate({a, b}, {circuit(10, {0, 1})}, SharingPolicy::fair);
  EXPECT_EQ(r.amps, (std::vector<double>{0, 10}));
  EXPECT_NE(r.limited_by[0].find("paused"), std::string::npos);
}

TEST(Allocate, OfflineChargerIsReservedAtItsLastLimit) {
  auto off = car("offline");
  off.fixed_a = 16;
  const auto r = allocate({off, car("b"), car("c")}, {circuit(35, {0, 1, 2})}, SharingPolicy::fair);
  EXPECT_EQ(r.amps, (std::vector<double>{16, 9, 9}));
}

TEST(Allocate, OnlyTheStepsTheChargerAccepts) {
  auto c = car("necharge");
  c.steps_a = {6, 8, 10, 13, 16};
  const auto r = allocate({c}, {circuit(12.5, {0})}, SharingPolicy::fair);
  EXPECT_EQ(r.amps, (std::vector<double>{10}));
}

TEST(Allocate, WattConstraintSharesSurplusBetweenOneAndThreePhaseCars) {
  auto one = car("one_phase"), three = car("three_phase");
  Constraint surplus{"surplus", {{0, 230.0}, {1, 690.0}}, 230.0 * 8 + 690.0 * 8};
  const auto r = allocate({one, three}, {surplus}, SharingPolicy::fair);
  EXPECT_EQ(r.amps, (std::vector<double>{8, 8}));
  EXPECT_EQ(r.limited_by[1], "surplus");
}

TEST(RoundToSteps, BelowTheMinimumIsZero) {
  auto c = car("x");
  EXPECT_EQ(round_to_steps(5.9, c), 0);
  EXPECT_EQ(round_to_steps(6.0, c), 6);
  EXPECT_EQ(round_to_steps(11.99, c), 11);
  c.step_a = 0.5;
  EXPECT_EQ(round_to_steps(11.99, c), 11.5);
}

}  // namespace
}  // namespace hemd
