// Energi Data Service answers: the real-format example, and every way an answer can be wrong.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "drivers/prices/eds.h"
#include "drivers/prices/entsoe.h"

namespace hemd::prices {
namespace {

using nlohmann::json;

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(PRICE_FIXTURES) + "/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

json day() {
  return json::parse(fixture("DayAheadPrices_DK1_2025-11-04_example.json"));
}

bool mentions(const std::vector<std::string>& problems, const std::string& word) {
  for (const auto& p : problems)
    if (p.find(word) != std::string::npos) return true;
  return false;
}

TEST(Eds, ParsesTheExampleDay) {
  auto a = parse_spot(fixture("DayAheadPrices_DK1_2025-11-04_example.json"), "DayAheadPrices", "DK1");
  ASSERT_TRUE(a.ok()) << a.problems.front();
  ASSERT_EQ(a.values.size(), 96u);
  EXPECT_EQ(utc_iso(a.values.front().start), "2025-11-03T23:00:00Z");
  EXPECT_EQ(a.values.front().duration_s, 900);
  EXPECT_DOUBLE_EQ(a.values.front().spot.value, 507.358319);
  EXPECT_DOUBLE_EQ(a.values.front().spot.per_kwh().value, 0.507358319);
}

TEST(Eds, HourlyHistoryBeforeTheSwitch) {
  const std::string body = R"({"total":2,"dataset":"Elspotprices","records":[
    {"HourUTC":"2025-09-29T22:00:00","HourDK":"2025-09-30T00:00:00","PriceArea":"DK2","SpotPriceDKK":612.5,"SpotPriceEUR":82.1},
    {"HourUTC":"2025-09-29T23:00:00","HourDK":"2025-09-30T01:00:00","PriceArea":"DK2","SpotPriceDKK":-12.25,"SpotPriceEUR":-1.6}]})";
  auto a = parse_spot(body, "Elspotprices", "DK2");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a.values.size(), 2u);
  EXPECT_EQ(a.values[0].duration_s, 3600);
  EXPECT_DOUBLE_EQ(a.values[1].spot.value, -12.25);  // negative prices are real
  EXPECT_STREQ(dataset_for({2025, 9, 30}), "Elspotprices");
  EXPECT_STREQ(dataset_for({2025, 10, 1}), "DayAheadPrices");
}

TEST(Eds, EachBrokenAnswerIsRejectedWithAReason) {
  const std::string good = day().dump();
  EXPECT_TRUE(mentions(parse_spot("", "DayAheadPrices", "DK1").problems, "empty"));
  EXPECT_TRUE(
      mentions(parse_spot(good.substr(0, good.size() / 2), "DayAheadPrices", "DK1").problems, "truncated"));
  EXPECT_TRUE(mentions(parse_spot("<html>busy</html>", "DayAheadPrices", "DK1").problems, "not valid JSON"));
  EXPECT_TRUE(mentions(parse_spot(R"({"total":0})", "DayAheadPrices", "DK1").problems, "records"));

  auto missing = day();
  missing["records"][10].erase("DayAheadPriceDKK");
  EXPECT_TRUE(
      mentions(parse_spot(missing.dump(), "DayAheadPrices", "DK1").problems, "missing DayAheadPriceDKK"));
  auto no_time = day();
  no_time["records"][3].erase("TimeUTC");
  EXPECT_TRUE(mentions(parse_spot(no_time.dump(), "DayAheadPrices", "DK1").problems, "missing TimeUTC"));
  auto text = day();
  text["records"][5]["DayAheadPriceDKK"] = "12,5";
  EXPECT_TRUE(mentions(parse_spot(text.dump(), "DayAheadPrices", "DK1").problems, "expected a number"));
  auto absurd = day();
  absurd["records"][7]["DayAheadPriceDKK"] = 999999.0;
  EXPECT_TRUE(mentions(parse_spot(absurd.dump(), "DayAheadPrices", "DK1").problems, "outside"));
  auto twice = day();
  twice["records"].insert(twice["records"].begin() + 20, twice["records"][20]);
  EXPECT_TRUE(mentions(parse_spot(twice.dump(), "DayAheadPrices", "DK1").problems, "twice"));
  auto gap = day();
  gap["records"].erase(gap["records"].begin() + 40);
  EXPECT_TRUE(mentions(parse_spot(gap.dump(), "DayAheadPrices", "DK1").problems,
                       "gap: nothing from 2025-11-04T09:00"));
  auto cut = day();
  cut["total"] = 200;
  EXPECT_TRUE(mentions(parse_spot(cut.dump(), "DayAheadPrices", "DK1").problems, "cut short"));
  auto other = day();
  other["dataset"] = "CO2Emis";
  EXPECT_TRUE(mentions(parse_spot(other.dump(), "DayAheadPrices", "DK1").problems, "dataset \"CO2Emis\""));
  EXPECT_TRUE(mentions(parse_spot(good, "DayAheadPrices", "DK2").problems, "price area"));
}

TEST(Eds, APublishedNullIsANoteNotAGap) {
  auto d = day();
  d["records"][30]["DayAheadPriceDKK"] = nullptr;
  auto a = parse_spot(d.dump(), "DayAheadPrices", "DK1");
  EXPECT_TRUE(a.ok()) << a.problems.front();
  EXPECT_EQ(a.values.size(), 95u);
  ASSERT_EQ(a.notes.size(), 1u);
  EXPECT_NE(a.notes[0].find("no price"), std::string::npos);
}

TEST(Eds, UrlsAskForTheRightRecords) {
  const auto url = spot_url("http://h", "DayAheadPrices", "DK1", {2025, 11, 4}, {2025, 11, 6});
  EXPECT_EQ(
      url,
      "http://h/dataset/DayAheadPrices?start=2025-11-04&end=2025-11-06&filter=%7B%22PriceArea%22%3A%5B%22DK1%"
      "22%5D%7D&sort=TimeUTC%20asc&limit=2000");
  const auto tariffs = pricelist_url("http://h", "5790001089030", {"CD", "CD R"});
  EXPECT_NE(tariffs.find("GLN_Number%22%3A%5B%225790001089030"), std::string::npos) << tariffs;
  EXPECT_NE(tariffs.find("CD%20R"), std::string::npos) << tariffs;
}

TEST(Eds, PricelistRecordsByLocalHour) {
  auto a = parse_pricelist(fixture("DatahubPricelist_N1_2024_example.json"));
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a.values.size(), 1u);
  const auto& r = a.values[0];
  EXPECT_EQ(r.code, "CD");
  EXPECT_EQ(utc_iso(r.valid_from), "2023-12-31T23:00:00Z");  // ValidFrom is Danish time
  EXPECT_FALSE(r.valid_to);
  EXPECT_DOUBLE_EQ(r.hourly[0].value, 0.110116);
  EXPECT_DOUBLE_EQ(r.hourly[6].value, 0.330349);
  EXPECT_DOUBLE_EQ(r.hourly[17].value, 0.991048);
  EXPECT_DOUBLE_EQ(r.hourly[21].value, 0.330349);

  auto flat = json::parse(fixture("DatahubPricelist_N1_2024_example.json"));
  for (int h = 2; h <= 24; ++h) flat["records"][0]["Price" + std::to_string(h)] = nullptr;
  auto f = parse_pricelist(flat.dump());
  ASSERT_TRUE(f.ok());
  EXPECT_DOUBLE_EQ(f.values[0].hourly[23].value, 0.110116);  // empty hours repeat Price1

  flat["records"][0]["Price5"] = "n/a";
  EXPECT_FALSE(parse_pricelist(flat.dump()).ok());
}

}  // namespace
}  // namespace hemd::prices

namespace hemd::prices {
namespace {

bool mentions(const std::vector<std::string>& problems, const std::string& word);

const char* entsoe_day = R"(<?xml version="1.0" encoding="UTF-8"?>
<Publication_MarketDocument xmlns="urn:iec62325.351:tc57wg16:451-3:publicationdocument:7:3">
 <TimeSeries><currency_Unit.name>EUR</currency_Unit.name><price_Measure_Unit.name>MWH</price_Measure_Unit.name>
  <Period><timeInterval><start>2025-11-03T23:00Z</start><end>2025-11-04T00:00Z</end></timeInterval>
   <resolution>PT15M</resolution>
   <Point><position>1</position><price.amount>100.5</price.amount></Point>
   <Point><position>3</position><price.amount>-2</price.amount></Point>
  </Period></TimeSeries>
</Publication_MarketDocument>)";

// Found by the prices fuzz target: a period from the year 1012 at PT15M was spelt out interval by interval,
// minutes of the price thread and gigabytes of memory. Refused at once.
TEST(Entsoe, APeriodOfCenturiesIsRefusedNotSpeltOut) {
  std::string xml = entsoe_day;
  xml.replace(xml.find("2025-11-03T23:00Z"), 17, "1012-11-03T23:00Z");
  const auto a = parse_entsoe(xml, 7.46);
  EXPECT_TRUE(a.values.empty());
  EXPECT_TRUE(mentions(a.problems, "longer than any answer hemd asks for"));
}

TEST(Entsoe, RepeatsLeftOutPositionsAndConvertsToDkk) {
  auto a = parse_entsoe(entsoe_day, 7.46);
  ASSERT_TRUE(a.ok()) << a.problems.front();
  ASSERT_EQ(a.values.size(), 4u);
  EXPECT_EQ(utc_iso(a.values[0].start), "2025-11-03T23:00:00Z");
  EXPECT_DOUBLE_EQ(a.values[0].spot.value, 100.5 * 7.46);
  EXPECT_DOUBLE_EQ(a.values[1].spot.value, 100.5 * 7.46);  // position 2 left out: as position 1
  EXPECT_DOUBLE_EQ(a.values[2].spot.value, -2 * 7.46);
  EXPECT_DOUBLE_EQ(a.values[3].spot.value, -2 * 7.46);
  EXPECT_EQ(a.values[3].duration_s, 900);
}

TEST(Entsoe, RefusalsAndBrokenDocuments) {
  const std::string day = entsoe_day;
  auto no_data = parse_entsoe(
      "<Acknowledgement_MarketDocument><Reason><code>999</code><text>No matching data found</text></Reason>"
      "</Acknowledgement_MarketDocument>",
      7.46);
  EXPECT_TRUE(no_data.ok());
  EXPECT_TRUE(no_data.values.empty());
  EXPECT_TRUE(
      mentions(parse_entsoe("<Acknowledgement_MarketDocument><Reason><text>Unauthorized</text></Reason>"
                            "</Acknowledgement_MarketDocument>",
                            7.46)
                   .problems,
               "Unauthorized"));
  EXPECT_TRUE(mentions(parse_entsoe(day.substr(0, day.size() / 2), 7.46).problems, "not valid XML"));
  std::string sek = day;
  sek.replace(sek.find("EUR"), 3, "SEK");
  EXPECT_TRUE(mentions(parse_entsoe(sek, 7.46).problems, "expected EUR/MWH"));
  std::string outside = day;
  outside.replace(outside.find("<position>3"), 11, "<position>9");
  EXPECT_TRUE(mentions(parse_entsoe(outside, 7.46).problems, "outside 1..4"));
  std::string absurd = day;
  absurd.replace(absurd.find("100.5"), 5, "99999");
  EXPECT_TRUE(mentions(parse_entsoe(absurd, 7.46).problems, "outside"));
  EXPECT_EQ(bidding_zone_eic("DE-LU").value_or(""), "10Y1001A1001A82H");
  EXPECT_FALSE(bidding_zone_eic("XX"));
  EXPECT_EQ(entsoe_url("http://h", "t", "E", *parse_utc("2025-11-03T23:00"), *parse_utc("2025-11-04T23:00")),
            "http://h/api?securityToken=t&documentType=A44&in_Domain=E&out_Domain=E&periodStart=202511032300&"
            "periodEnd=202511042300");
}

}  // namespace
}  // namespace hemd::prices
