// Tariff layers, the tax change at the year boundary, seasons, and consumer prices checked by hand.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "drivers/prices/consumer_price.h"
#include "drivers/prices/service.h"

namespace hemd::prices {
namespace {

TimeMs dk(const char* local) {
  return *parse_danish(local);
}

std::vector<TariffRecord> n1_2024() {
  std::ifstream in(std::string(PRICE_FIXTURES) + "/DatahubPricelist_N1_2024_example.json");
  std::stringstream s;
  s << in.rdbuf();
  return parse_pricelist(s.str()).values;
}

std::vector<SpotPrice> example_day() {
  std::ifstream in(std::string(PRICE_FIXTURES) + "/DayAheadPrices_DK1_2025-11-04_example.json");
  std::stringstream s;
  s << in.rdbuf();
  return parse_spot(s.str(), "DayAheadPrices", "DK1").values;
}

TEST(Tariffs, ElafgiftDropsAtDanishMidnightOnNewYear) {
  TariffBook book = tariff_book(config::Prices{}, {}, {});
  const TimeMs midnight = dk("2026-01-01T00:00:00");
  EXPECT_DOUBLE_EQ(book.at(Component::elafgift, midnight - 1).value.value, 0.727);
  EXPECT_DOUBLE_EQ(book.at(Component::elafgift, midnight).value.value, 0.008);
  EXPECT_EQ(utc_iso(midnight), "2025-12-31T23:00:00Z");  // the change follows Danish, not UTC, midnight
  EXPECT_DOUBLE_EQ(book.at(Component::transmission, midnight - 1).value.value, 0.061);
  EXPECT_DOUBLE_EQ(book.at(Component::transmission, midnight).value.value, 0.043);
  EXPECT_DOUBLE_EQ(book.at(Component::elafgift, dk("2024-06-01T12:00:00")).value.value, 0.761);
  EXPECT_NE(book.at(Component::elafgift, midnight).source.find("L 24"), std::string::npos);
  // No grid tariff configured: known to be unknown, never a silent zero that looks real.
  EXPECT_FALSE(book.at(Component::net_tariff, midnight).known);
}

TEST(Tariffs, DataHubRecordsWinOverBuiltInAndConfigWinsOverBoth) {
  TariffRecord tax;
  tax.gln = energinet_gln;
  tax.code = "EA-001";
  tax.note = "Elafgift";
  tax.valid_from = dk("2025-01-01T00:00:00");
  tax.valid_to = dk("2026-01-01T00:00:00");
  tax.hourly.fill({0.72});
  config::Prices cfg;
  EXPECT_DOUBLE_EQ(tariff_book(cfg, {}, {tax}).at(Component::elafgift, dk("2025-06-01T12:00:00")).value.value,
                   0.72);
  // Outside the record's validity the built-in rate still applies.
  EXPECT_DOUBLE_EQ(tariff_book(cfg, {}, {tax}).at(Component::elafgift, dk("2026-06-01T12:00:00")).value.value,
                   0.008);
  cfg.elafgift_dkk_kwh = 0.5;
  EXPECT_DOUBLE_EQ(tariff_book(cfg, {}, {tax}).at(Component::elafgift, dk("2025-06-01T12:00:00")).value.value,
                   0.5);
}

TEST(Tariffs, NetTariffFollowsLocalHourAndAddsTheRebateLine) {
  auto records = n1_2024();
  TariffRecord rebate = records[0];
  rebate.code = "CD R";
  rebate.hourly.fill({-0.02});
  records.push_back(rebate);
  TariffBook book = tariff_book(config::Prices{}, records, {});
  EXPECT_NEAR(book.at(Component::net_tariff, dk("2025-11-04T05:45:00")).value.value, 0.110116 - 0.02, 1e-12);
  EXPECT_NEAR(book.at(Component::net_tariff, dk("2025-11-04T06:00:00")).value.value, 0.330349 - 0.02, 1e-12);
  EXPECT_NEAR(book.at(Component::net_tariff, dk("2025-11-04T17:00:00")).value.value, 0.991048 - 0.02, 1e-12);
  EXPECT_NEAR(book.at(Component::net_tariff, dk("2025-11-04T21:00:00")).value.value, 0.330349 - 0.02, 1e-12);
  // Summer time: local 17:00 is 15:00 UTC and still the peak.
  EXPECT_EQ(utc_iso(dk("2025-07-01T17:00:00")), "2025-07-01T15:00:00Z");
  EXPECT_NEAR(book.at(Component::net_tariff, dk("2025-07-01T17:00:00")).value.value, 0.991048 - 0.02, 1e-12);
}

TEST(Tariffs, YamlSeasonsChangeOnTheFirstOfTheMonth) {
  config::Prices cfg;
  config::GridTariff winter{
      "2025-01-01", "", "winter", {{0, 6, 0.11}, {6, 17, 0.33}, {17, 21, 0.99}, {21, 24, 0.33}}, 7};
  config::GridTariff summer{
      "2025-01-01", "", "summer", {{0, 6, 0.11}, {6, 17, 0.17}, {17, 21, 0.43}, {21, 24, 0.17}}, 12};
  cfg.grid_tariff = {winter, summer};
  TariffBook book = tariff_book(cfg, {}, {});
  EXPECT_DOUBLE_EQ(book.at(Component::net_tariff, dk("2025-09-30T18:00:00")).value.value, 0.43);
  EXPECT_DOUBLE_EQ(book.at(Component::net_tariff, dk("2025-10-01T18:00:00")).value.value, 0.99);
  EXPECT_DOUBLE_EQ(book.at(Component::net_tariff, dk("2025-10-01T03:00:00")).value.value, 0.11);
  EXPECT_DOUBLE_EQ(book.at(Component::net_tariff, dk("2026-04-01T18:00:00")).value.value, 0.43);
  EXPECT_EQ(book.at(Component::net_tariff, dk("2026-04-01T18:00:00")).source, "config line 12");
}

TEST(ConsumerPrice, HandCheckedQuarterHours) {
  TariffBook book = tariff_book(config::Prices{}, n1_2024(), {});
  PriceSettings s{{0.05}, {0.01}, 0.25, false};
  auto prices = consumer_prices(example_day(), book, s);
  ASSERT_EQ(prices.size(), 96u);
  // 00:00: spot 507.358319 DKK/MWh, N1 low 0.110116, transmission 0.061, system 0.074, elafgift 0.727 (2025),
  // mark-up 0.05: (0.507358319 + 0.05 + 0.110116 + 0.061 + 0.074 + 0.727) x 1.25 = 1.91184289875.
  EXPECT_NEAR(prices[0].total().value, 1.91184289875, 1e-9);
  EXPECT_NEAR(prices[0].vat_amount().value, 0.38236857975, 1e-9);
  EXPECT_NEAR(prices[0].export_price.value, 0.497358319, 1e-9);  // spot - fee, no tax
  // 17:00 (peak): (0.824142826 + 0.05 + 0.991048 + 0.061 + 0.074 + 0.727) x 1.25 = 3.4089885325.
  EXPECT_EQ(hhmm(prices[68].start), "17:00");
  EXPECT_NEAR(prices[68].total().value, 3.4089885325, 1e-9);
  EXPECT_DOUBLE_EQ(prices[68].net_tariff.value, 0.991048);
  EXPECT_TRUE(prices[68].tariffs_known);
}

TEST(ConsumerPrice, HourlyMeanForMetersSettledPerHour) {
  TariffBook book = tariff_book(config::Prices{}, n1_2024(), {});
  PriceSettings s{{0}, {0}, 0.25, true};
  auto prices = consumer_prices(example_day(), book, s);
  ASSERT_EQ(prices.size(), 96u);
  for (int q = 68; q < 72; ++q) EXPECT_NEAR(prices[q].spot.value, 0.91711587025, 1e-9) << q;
}

TEST(ConsumerPrice, HourlyHistoryBecomesQuarterHours) {
  TariffBook book = tariff_book(config::Prices{}, {}, {});
  auto prices = consumer_prices({{*parse_utc("2025-09-29T22:00:00"), 3600, {400}}}, book, {});
  ASSERT_EQ(prices.size(), 4u);
  EXPECT_EQ(prices[3].start - prices[0].start, 45 * minute_ms);
  EXPECT_FALSE(prices[0].tariffs_known);  // no grid tariff configured
}

TEST(ConsumerPrice, TimeOfUseWithoutASpotMarket) {
  auto prices = fixed_prices(dk("2025-11-04T00:00:00"), dk("2025-11-05T00:00:00"), {2.4},
                             {{0, 6, {1.6}}, {17, 21, {3.9}}}, {0.3});
  ASSERT_EQ(prices.size(), 96u);
  EXPECT_DOUBLE_EQ(prices[0].total().value, 1.6);
  EXPECT_DOUBLE_EQ(prices[24].total().value, 2.4);
  EXPECT_DOUBLE_EQ(prices[68].total().value, 3.9);
  EXPECT_DOUBLE_EQ(prices[68].export_price.value, 0.3);
  // 92 quarter-hours on the spring DST day.
  EXPECT_EQ(fixed_prices(dk("2026-03-29T00:00:00"), dk("2026-03-30T00:00:00"), {2}, {}, {0}).size(), 92u);
}

}  // namespace
}  // namespace hemd::prices
