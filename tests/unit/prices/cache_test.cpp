// The SQLite price cache: what is stored comes back, quarter-hours replace the hour they split.
#include <gtest/gtest.h>

#include "drivers/prices/cache.h"
#include "tests/support/process.h"

namespace hemd::prices {
namespace {

TEST(PriceCache, RoundTripsSpotPricesAndTariffs) {
  test::TempDir dir;
  auto db = storage::Database::open(dir.file("hemd.db"));
  PriceCache cache(db);
  const TimeMs h = *parse_utc("2025-09-30T10:00:00");
  cache.store_spot("DK1", "Elspotprices", {{h, 3600, {500}}, {h + hour_ms, 3600, {600}}}, 1000);
  ASSERT_EQ(cache.spot("DK1", h, h + 2 * hour_ms).size(), 2u);
  EXPECT_EQ(cache.spot("DK2", h, h + 2 * hour_ms).size(), 0u);
  EXPECT_EQ(cache.last_fetch("DK1"), 1000);
  // A re-fetch in quarter-hours replaces the hourly row it overlaps.
  cache.store_spot(
      "DK1", "DayAheadPrices",
      {{h, 900, {1}}, {h + 900'000, 900, {2}}, {h + 1'800'000, 900, {3}}, {h + 2'700'000, 900, {4}}}, 2000);
  auto back = cache.spot("DK1", h, h + 2 * hour_ms);
  ASSERT_EQ(back.size(), 5u);
  EXPECT_EQ(back[0].duration_s, 900);
  EXPECT_DOUBLE_EQ(back[3].spot.value, 4);
  EXPECT_EQ(back[4].duration_s, 3600);

  TariffRecord r;
  r.gln = "5790001089030";
  r.code = "CD R";
  r.valid_from = h;
  for (int i = 0; i < 24; ++i) r.hourly[static_cast<std::size_t>(i)] = {-0.01 * i};
  cache.store_tariffs({r.gln}, {r}, 3000);
  auto t = cache.tariffs(r.gln);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].code, "CD R");
  EXPECT_FALSE(t[0].valid_to);
  EXPECT_DOUBLE_EQ(t[0].hourly[23].value, -0.23);
  EXPECT_EQ(cache.tariffs_fetched(r.gln), 3000);
  cache.store_tariffs({r.gln}, {}, 4000);  // a fresh answer replaces the old records
  EXPECT_TRUE(cache.tariffs(r.gln).empty());
}

}  // namespace
}  // namespace hemd::prices
