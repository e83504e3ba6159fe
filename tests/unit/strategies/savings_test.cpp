// The report's arithmetic: PV share, cost with PV at its lost export price, and charging on arrival.
#include <gtest/gtest.h>

#include "strategies/savings.h"

namespace hemd {
namespace {

constexpr TimeMs hour = 3'600'000;

// Two price levels: 3 DKK/kWh until 17:00 (export 1 DKK), 1 DKK/kWh after (export 0.5 DKK).
std::vector<PricePoint> day_prices() {
  std::vector<PricePoint> p;
  for (int h = 0; h < 24; ++h)
    p.push_back({h * hour, (h + 1) * hour, h < 17 ? 3.0 : 1.0, h < 17 ? 1.0 : 0.5});
  return p;
}

TEST(Savings, PvShareAndCostFromTheRecordedHours) {
  // 12:00 an hour at 11 kW with 8 kW of PV and 1 kW of house: 7 kWh from PV, 4 from the grid.
  // 22:00 an hour at 11 kW at night: 11 kWh from the grid.
  const std::vector<SiteInterval> site = {{12 * hour, 3600, 8000, 1000, 11000},
                                          {22 * hour, 3600, 0, 500, 11000}};
  const auto f = charging_figures(site, {}, day_prices());
  EXPECT_DOUBLE_EQ(f.charged_kwh, 22);
  EXPECT_DOUBLE_EQ(f.from_pv_kwh, 7);
  EXPECT_DOUBLE_EQ(f.from_grid_kwh, 15);
  EXPECT_DOUBLE_EQ(f.cost_dkk, 7 * 1.0 + 4 * 3.0 + 11 * 1.0);
  EXPECT_DOUBLE_EQ(f.unpriced_kwh, 0);
}

TEST(Savings, ChargingOnArrivalIsTheSameEnergyAtFullPowerFromTheStart) {
  // The car arrived at 17:00 wanting 22 kWh; hemd waited for the cheap hours (22:00-24:00 at 11 kW).
  std::vector<SiteInterval> site;
  for (int h = 17; h < 24; ++h) site.push_back({h * hour, 3600, 0, 500, h >= 22 ? 11000.0 : 0.0});
  const std::vector<ChargedSession> sessions = {{"garage", 17 * hour, 22000, 11000}};
  auto prices = day_prices();
  prices[17].import_dkk_per_kwh = prices[18].import_dkk_per_kwh = 4.0;  // the evening peak
  const auto f = charging_figures(site, sessions, prices);
  EXPECT_DOUBLE_EQ(f.cost_dkk, 22 * 1.0);
  EXPECT_DOUBLE_EQ(f.on_arrival_cost_dkk, 22 * 4.0);  // 17:00-19:00 at the peak price
  EXPECT_DOUBLE_EQ(f.saving_dkk(), 66);
  EXPECT_EQ(f.sessions, 1);
  EXPECT_DOUBLE_EQ(f.by_charger_kwh.at("garage"), 22);
}

TEST(Savings, OnArrivalUsesThePvThatWasThereAndGoesOnPastTheRecord) {
  // Arrival at 12:00 with 4 kW of surplus; the record ends at 13:00; 15 kWh at 10 kW.
  const std::vector<SiteInterval> site = {{12 * hour, 3600, 5000, 1000, 0}};
  const auto f = charging_figures(site, {{"garage", 12 * hour, 15000, 10000}}, day_prices());
  // 12:00-13:00: 10 kWh, 4 from PV (at 1 DKK export) and 6 from the grid at 3; then 5 kWh at 3 DKK.
  EXPECT_DOUBLE_EQ(f.on_arrival_cost_dkk, 4 * 1.0 + 6 * 3.0 + 5 * 3.0);
}

TEST(Savings, HoursWithoutAPriceAreCountedApart) {
  const std::vector<SiteInterval> site = {{30 * hour, 1800, 0, 0, 4000}};  // tomorrow: no prices
  const auto f = charging_figures(site, {}, day_prices());
  EXPECT_DOUBLE_EQ(f.charged_kwh, 2);
  EXPECT_DOUBLE_EQ(f.unpriced_kwh, 2);
  EXPECT_DOUBLE_EQ(f.cost_dkk, 0);
}

}  // namespace
}  // namespace hemd
