// The forecast services' answers into power per quarter-hour; every odd answer a problem, never a throw.
#include "drivers/forecast/solar.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace hemd::forecast {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(FORECAST_FIXTURES) + "/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const config::PvArray roof{6.0, 35, 0};

TEST(OpenMeteo, IrradianceOnThePlaneBecomesTheArraysPower) {
  const auto a = parse_open_meteo(fixture("open_meteo.json"), roof, 0.85);
  ASSERT_TRUE(a.ok()) << a.problems.front();
  EXPECT_EQ(a.points.size(), 3u * 96 - 1);  // one quarter-hour left out by the model (null)
  // Each value is the mean of the quarter-hour that ends at its time.
  EXPECT_EQ(a.points.front().end - a.points.front().start, 900'000);
  EXPECT_EQ(a.points.front().start, 1796601600000);
  double peak = 0, day_wh = 0;
  for (const auto& p : a.points) {
    peak = std::max(peak, p.pv_w);
    if (p.start < 1796601600000 + 86'400'000) day_wh += p.pv_w / 4;
  }
  EXPECT_GT(peak, 2000);
  EXPECT_LT(peak, 6000 * 1.3);
  EXPECT_GT(day_wh, 5000);  // a clear December day on 6 kWp
  EXPECT_LT(day_wh, 20000);
}

TEST(OpenMeteo, AServiceErrorIsNamed) {
  const auto a = parse_open_meteo(R"({"error":true,"reason":"Parameter 'tilt' must be 0-90"})", roof, 0.85);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.problems.front().find("must be 0-90"), std::string::npos) << a.problems.front();
}

TEST(OpenMeteo, OddAnswersAreProblemsNotCrashes) {
  for (const char* body :
       {"", "<html>Bad gateway</html>", "[]", "{}",
        R"({"minutely_15":{"time":[1],"global_tilted_irradiance":[]}})",
        R"({"minutely_15":{"time":[1796602500],"global_tilted_irradiance":[1e999]}})",
        R"({"minutely_15":{"time":[1796602500],"global_tilted_irradiance":[99999]}})",
        R"({"minutely_15":{"time":[1796602500,1796601600],"global_tilted_irradiance":[1,2]}})",
        R"({"minutely_15":{"time":["x"],"global_tilted_irradiance":[null]}})",
        "{\"minutely_15\":{\"time\":[1796602500],\"global_tilted_irradiance\":[\"\xe9\"]}}"}) {
    const auto a = parse_open_meteo(body, roof, 0.85);
    EXPECT_FALSE(a.ok()) << body;
    EXPECT_FALSE(a.problems.empty()) << body;
  }
}

TEST(OpenMeteo, NegativeIrradianceAtDuskIsNoProduction) {
  const auto a = parse_open_meteo(
      R"({"minutely_15":{"time":[1796602500],"global_tilted_irradiance":[-84.0]}})", roof, 0.85);
  ASSERT_TRUE(a.ok());
  EXPECT_DOUBLE_EQ(a.points[0].pv_w, 0);
}

TEST(ForecastSolar, WattsAtInstantsBecomeQuarterHourMeans) {
  const auto a = parse_forecast_solar(fixture("forecast_solar.json"), roof);
  ASSERT_TRUE(a.ok()) << a.problems.front();
  // 07:00 to 15:00 UTC each day: 8 hours of 4 quarter-hours; the night between the days is not bridged.
  EXPECT_EQ(a.points.size(), 2u * 8 * 4);
  // 08:00 -> 610 W, 09:00 -> 1709 W: the quarter 08:15-08:30 is taken at 08:22:30.
  const auto& q = a.points[5];
  EXPECT_EQ(q.start, 1796601600000 + 8 * 3'600'000 + 15 * 60'000);
  EXPECT_NEAR(q.pv_w, 610 + (1709 - 610) * 22.5 / 60, 1e-6);
}

TEST(ForecastSolar, RateLimitAndOddAnswersAreProblems) {
  const auto limited = parse_forecast_solar(
      R"({"message":{"code":429,"type":"error","text":"Rate limit for API calls reached."}})", roof);
  ASSERT_FALSE(limited.ok());
  EXPECT_NE(limited.problems.front().find("Rate limit"), std::string::npos);
  for (const char* body :
       {"", "null", R"({"result":{"watts":[]}})", R"({"result":{"watts":{"yesterday":5}}})",
        R"({"result":{"watts":{"2026-12-07 08:00:00":-5,"2026-12-07 09:00:00":5}}})",
        R"({"result":{"watts":{"2026-12-07 08:00:00":1e300}}})"})
    EXPECT_FALSE(parse_forecast_solar(body, roof).ok()) << body;
}

TEST(ForecastSolar, LocalTimesWithoutTimeUtcAreDanish) {
  const auto a = parse_forecast_solar(
      R"({"result":{"watts":{"2026-12-07 09:00:00":0,"2026-12-07 10:00:00":400}}})", roof);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.points.front().start, 1796601600000 + 8 * 3'600'000);  // 09:00 in Copenhagen is 08:00 UTC
}

TEST(Arrays, AddUpWhereAllCover) {
  const auto sum = add_arrays({{{0, 900'000, 100}, {900'000, 1'800'000, 200}}, {{900'000, 1'800'000, 50}}});
  ASSERT_EQ(sum.size(), 1u);
  EXPECT_DOUBLE_EQ(sum[0].pv_w, 250);
}

TEST(Urls, AskForTheArraysPlane) {
  config::SolarForecast f;
  f.latitude = 55.6761;
  f.longitude = 12.5683;
  f.url = "http://127.0.0.1:8080/";
  EXPECT_EQ(open_meteo_url(f, roof),
            "http://127.0.0.1:8080/v1/forecast?latitude=55.6761&longitude=12.5683&minutely_15="
            "global_tilted_irradiance&tilt=35&azimuth=0&timeformat=unixtime&timezone=GMT&forecast_days=3");
  EXPECT_EQ(forecast_solar_url(f, roof), "http://127.0.0.1:8080/estimate/55.6761/12.5683/35/0/6?time=utc");
}

}  // namespace
}  // namespace hemd::forecast
