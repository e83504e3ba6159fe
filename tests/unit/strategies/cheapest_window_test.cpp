// The cheapest contiguous window for an energy at a power, over quarter-hour prices.
#include <gtest/gtest.h>

#include "strategies/cheapest_window.h"

namespace hemd {
namespace {

constexpr TimeMs q = 900'000;

std::vector<PricePoint> quarters(const std::vector<double>& prices, TimeMs start = 0) {
  std::vector<PricePoint> out;
  for (std::size_t i = 0; i < prices.size(); ++i)
    out.push_back({start + TimeMs(i) * q, start + TimeMs(i + 1) * q, prices[i], 0});
  return out;
}

TEST(CheapestWindow, FindsTheLowestContiguousStretch) {
  // 2.75 kWh at 11 kW is one quarter-hour; 5.5 kWh two.
  auto p = quarters({3, 1, 4, 1, 1, 5, 9, 2, 0.5});
  auto w = cheapest_window(p, 2.75, 11);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->start, 8 * q);
  EXPECT_DOUBLE_EQ(w->mean_dkk_per_kwh, 0.5);
  w = cheapest_window(p, 5.5, 11);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->start, 3 * q);
  EXPECT_EQ(w->end, 5 * q);
  EXPECT_DOUBLE_EQ(w->cost_dkk, 5.5);
}

TEST(CheapestWindow, UsesPartOfTheLastQuarter) {
  // 4.125 kWh at 11 kW: 22.5 minutes.
  auto w = cheapest_window(quarters({5, 1, 2, 5}), 4.125, 11);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->start, q);
  EXPECT_EQ(w->end, q + q + q / 2);
  EXPECT_NEAR(w->cost_dkk, 2.75 * 1 + 1.375 * 2, 1e-9);
}

TEST(CheapestWindow, AHoleInThePricesEndsAStretch) {
  auto p = quarters({1, 1});
  auto later = quarters({2, 2}, 10 * q);
  p.insert(p.end(), later.begin(), later.end());
  auto w = cheapest_window(p, 8.25, 11);  // three quarters: only across the hole, so none
  EXPECT_FALSE(w);
  w = cheapest_window(p, 5.5, 11);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->start, 0);
  EXPECT_FALSE(cheapest_window({}, 1, 1));
  EXPECT_FALSE(cheapest_window(p, 0, 11));
}

}  // namespace
}  // namespace hemd
