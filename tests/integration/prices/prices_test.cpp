// hemd's price driver against a local server that answers like Energi Data Service: normal days, both DST
// days, the switch to quarter-hours, every kind of bad answer, the server gone, and the cache after a
// restart.
#include <curl/curl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <regex>

#include "daemon/price_input.h"
#include "drivers/prices/http.h"
#include "drivers/prices/service.h"
#include "tests/support/process.h"

namespace hemd::test {
namespace {

using namespace std::chrono_literals;
using namespace prices;

class EdsServer {
 public:
  explicit EdsServer(const TempDir& dir) {
    process_ = std::make_unique<Process>(std::vector<std::string>{"/usr/bin/python3", EDS_SERVER},
                                         dir.file("eds.out"), dir.file("eds.err"));
    if (!process_->wait_for_out("READY", 30s))
      ADD_FAILURE() << "the EDS server did not start: " << process_->err();
    std::smatch m;
    const std::string out = process_->out();
    if (std::regex_search(out, m, std::regex("READY (\\d+)"))) port_ = std::stoi(m[1]);
    if (port_ == 0 || !wait_for_port(port_)) ADD_FAILURE() << "the EDS server does not listen";
  }
  std::string url() const { return fmt::format("http://127.0.0.1:{}", port_); }
  void control(const std::string& what) {
    auto r = http_get(url() + what, 10);
    ASSERT_EQ(r.status, 200) << what << ": " << r.describe();
  }
  std::string requests() { return http_get(url() + "/_requests", 10).body; }
  void kill() {
    ::kill(process_->pid(), SIGKILL);
    process_->wait_exit();
  }

 private:
  std::unique_ptr<Process> process_;
  int port_ = 0;
};

class Prices : public ::testing::Test {
 protected:
  Prices() : server(dir) {
    cfg.base_url = server.url();
    cfg.grid_company_gln = "5790001089030";
    cfg.grid_tariff_codes = {"CD", "CD R"};
    cfg.fetch_timeout_s = 2;
  }
  std::unique_ptr<PriceService> service() {
    return std::make_unique<PriceService>(cfg, dir.file("hemd.db"), [this] { return now; });
  }
  std::vector<ConsumerPrice> day(PriceService& s, const LocalDate& d) {
    return s.prices(danish_midnight(d), danish_midnight(next_day(d)));
  }

  TempDir dir;
  EdsServer server;
  config::Prices cfg;
  TimeMs now = *parse_danish("2025-11-04T09:00:00");
};

TEST_F(Prices, NormalDayWithTariffsFromDataHub) {
  auto s = service();
  ASSERT_TRUE(s->refresh()) << s->status().last_error;
  auto today = day(*s, {2025, 11, 4});
  ASSERT_EQ(today.size(), 96u);
  EXPECT_TRUE(s->status().tariffs_from_datahub);
  // 17:00: the example's spot 824.142826 DKK/MWh; DataHub (test server): N1 winter peak 0.991048, rebate
  // -0.02, transmission 0.061, system 0.074, elafgift 0.72; VAT 25 %:
  // (0.824142826 + 0.991048 - 0.02 + 0.061 + 0.074 + 0.72) x 1.25 = 3.3127385325.
  EXPECT_EQ(hhmm(today[68].start), "17:00");
  EXPECT_NEAR(today[68].total().value, 3.3127385325, 1e-9);
  EXPECT_TRUE(today[68].tariffs_known);
  // Before 13:00 tomorrow is not asked for again; the first answer already held what the server had.
  EXPECT_EQ(day(*s, {2025, 11, 5}).size(), 96u);
  EXPECT_NE(server.requests().find("DatahubPricelist"), std::string::npos);
}

TEST_F(Prices, BothDstDaysAndTheYearBoundaryTax) {
  auto s = service();
  std::string error;
  ASSERT_TRUE(s->fetch_days({2026, 3, 29}, {2026, 3, 30}, error)) << error;
  ASSERT_TRUE(s->fetch_days({2025, 10, 26}, {2025, 10, 27}, error)) << error;
  now = *parse_danish("2026-03-29T09:00:00");
  auto spring = service();
  auto quarters = day(*spring, {2026, 3, 29});
  ASSERT_EQ(quarters.size(), 92u);
  EXPECT_EQ(hhmm(quarters[7].start), "01:45");
  EXPECT_EQ(hhmm(quarters[8].start), "03:00");
  // Generated price: 400 + 25 x local hour + 5 x quarter; at 03:00 local 475 DKK/MWh.
  EXPECT_DOUBLE_EQ(quarters[8].spot.value, 0.475);
  EXPECT_DOUBLE_EQ(quarters[8].elafgift.value, 0.008);  // 2026 rate, built in (not fetched yet here)
  now = *parse_danish("2025-10-26T09:00:00");
  auto autumn_service = service();
  auto autumn = day(*autumn_service, {2025, 10, 26});
  ASSERT_EQ(autumn.size(), 100u);
  EXPECT_EQ(hhmm(autumn[8].start), "02:00");
  EXPECT_EQ(hhmm(autumn[12].start), "02:00");  // the repeated hour
  for (std::size_t i = 1; i < autumn.size(); ++i)
    EXPECT_EQ(autumn[i].start - autumn[i - 1].start, 15 * minute_ms);
  EXPECT_DOUBLE_EQ(autumn[8].elafgift.value, 0.727);  // 2025
}

TEST_F(Prices, TheSwitchToQuarterHoursUsesBothDatasets) {
  now = *parse_danish("2025-09-30T14:00:00");
  auto s = service();
  ASSERT_TRUE(s->refresh()) << s->status().last_error;
  const std::string asked = server.requests();
  EXPECT_NE(asked.find("/dataset/Elspotprices?start=2025-09-30&end=2025-10-01"), std::string::npos) << asked;
  EXPECT_NE(asked.find("/dataset/DayAheadPrices?start=2025-10-01&end=2025-10-02"), std::string::npos)
      << asked;
  auto before = day(*s, {2025, 9, 30}), after = day(*s, {2025, 10, 1});
  ASSERT_EQ(before.size(), 96u);  // 24 hours, each as four quarter-hours
  ASSERT_EQ(after.size(), 96u);
  EXPECT_DOUBLE_EQ(before[1].spot.value, before[0].spot.value);  // hourly: one price for the hour
  EXPECT_NE(after[1].spot.value, after[0].spot.value);           // quarter-hourly
}

TEST_F(Prices, EveryBadAnswerKeepsTheCache) {
  auto s = service();
  ASSERT_TRUE(s->refresh());
  const auto good = day(*s, {2025, 11, 5});
  ASSERT_EQ(good.size(), 96u);
  const std::pair<const char*, const char*> faults[] = {{"http500", "HTTP 500"},
                                                        {"http429", "HTTP 429"},
                                                        {"timeout", "Timeout"},
                                                        {"truncated", "truncated"},
                                                        {"invalid", "not valid JSON"},
                                                        {"missing", "missing DayAheadPriceDKK"},
                                                        {"gaps", "gap"},
                                                        {"duplicates", "twice"},
                                                        {"absurd", "outside"},
                                                        {"empty", ""},
                                                        {"total", "cut short"},
                                                        {"dataset", "dataset \"CO2Emis\""}};
  for (const auto& [mode, reason] : faults) {
    server.control(fmt::format("/_fault?mode={}", mode));
    std::string error;
    const bool ok = s->fetch_days({2025, 11, 5}, {2025, 11, 6}, error);
    if (std::string(mode) == "empty") {
      EXPECT_TRUE(ok) << "an empty answer is not an error: nothing published yet";
    } else {
      EXPECT_FALSE(ok) << mode;
      EXPECT_NE(error.find(reason), std::string::npos) << mode << ": " << error;
    }
    const auto after = day(*s, {2025, 11, 5});
    ASSERT_EQ(after.size(), good.size()) << mode;
    EXPECT_DOUBLE_EQ(after[40].total().value, good[40].total().value) << mode;
  }
  server.control("/_fault?mode=");
}

TEST_F(Prices, ServerDownThenCacheAfterRestart) {
  {
    auto s = service();
    ASSERT_TRUE(s->refresh());
  }
  server.kill();
  auto restarted = service();
  EXPECT_FALSE(restarted->refresh(true));
  EXPECT_NE(restarted->status().last_error.find("Couldn't connect"), std::string::npos)
      << restarted->status().last_error;
  auto today = day(*restarted, {2025, 11, 4});
  ASSERT_EQ(today.size(), 96u);
  // Tariffs came from the cache too: the DataHub elafgift (0.72), not the built-in one (0.727).
  EXPECT_DOUBLE_EQ(today[0].elafgift.value, 0.72);
  EXPECT_NEAR(today[0].net_tariff.value, 0.110116 - 0.02, 1e-12);
}

TEST_F(Prices, TomorrowIsAskedForUntilItIsPublished) {
  server.control("/_publish?until=2025-11-05");
  now = *parse_danish("2025-11-04T13:05:00");
  auto s = service();
  EXPECT_TRUE(s->refresh());
  EXPECT_EQ(day(*s, {2025, 11, 5}).size(), 0u);
  const auto count = [&] {
    const std::string r = server.requests();
    std::size_t n = 0;
    for (std::size_t at = r.find("DayAheadPrices"); at != std::string::npos;
         at = r.find("DayAheadPrices", at + 1))
      ++n;
    return n;
  };
  EXPECT_EQ(count(), 1u);
  now += 30'000;  // within the back-off: no request
  s->refresh();
  EXPECT_EQ(count(), 1u);
  server.control("/_publish?until=");
  now += 60'000;  // past the first retry (1 min +- 20 %)
  s->refresh();
  EXPECT_EQ(count(), 2u);
  EXPECT_EQ(day(*s, {2025, 11, 5}).size(), 96u);
}

TEST_F(Prices, NoPricesAtAllMeansPlanningOnPvOnly) {
  server.kill();
  config::Config full;
  full.prices = cfg;
  full.storage.path = dir.file("empty.db");
  PriceInput input(full, [this] { return now; });
  SiteSnapshot snapshot;
  snapshot.now = now;
  ::testing::internal::CaptureStderr();
  input.service().refresh();
  input.fill(snapshot);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(snapshot.prices.empty());
  EXPECT_NE(log.find("planning on PV only"), std::string::npos) << log;
}

// An answer with an empty record list is not "not published yet" (today's prices always are): the log says
// what came (issue 26.9).
TEST_F(Prices, AnEmptyAnswerIsLoggedAsWhatItIs) {
  server.control("/_fault?mode=empty");
  config::Config full;
  full.prices = cfg;
  full.storage.path = dir.file("empty.db");
  PriceInput input(full, [this] { return now; });
  SiteSnapshot snapshot;
  snapshot.now = now;
  ::testing::internal::CaptureStderr();
  input.service().refresh();
  input.fill(snapshot);
  const std::string log = ::testing::internal::GetCapturedStderr();
  server.control("/_fault?mode=");
  EXPECT_TRUE(snapshot.prices.empty());
  EXPECT_NE(log.find("answered with no prices at all for 2025-11-04..2025-11-06"), std::string::npos) << log;
  EXPECT_EQ(log.find("not published"), std::string::npos) << log;
  EXPECT_EQ(log.find("not fetched yet"), std::string::npos) << log;
}

TEST_F(Prices, CommandPrintsItemisedPricesAndTheCheapestWindow) {
  const std::string config = dir.write(
      "hemd.yaml",
      fmt::format("site: {{main_fuse_a: 25}}\nprices:\n  base_url: {}\n  grid_company_gln: "
                  "\"5790001089030\"\n  grid_tariff_codes: [CD, CD R]\n  supplier_markup_dkk_kwh: 0.05\n"
                  "storage: {{path: {}}}\n",
                  server.url(), dir.file("cli.db")));
  Process p({HEMD_BINARY, "prices", "-c", config, "--date", "2025-11-04", "--energy", "22", "--power", "11"},
            dir.file("cli.out"), dir.file("cli.err"));
  ASSERT_EQ(p.wait_exit(60s), 0) << p.err();
  const std::string out = p.out();
  // 00:00: (0.507358319 + 0.05 + 0.090116 + 0.061 + 0.074 + 0.72) x 1.25 = 1.87809789875
  EXPECT_NE(out.find("00:00    0.507   0.050   0.090   0.061   0.074   0.720   0.376   1.878   0.507"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("2025-11-05"), std::string::npos);
  EXPECT_TRUE(std::regex_search(
      out, std::regex("Cheapest on 2025-11-04: 22 kWh at 11 kW: \\d\\d:\\d\\d–\\d\\d:\\d\\d, "
                      "\\d+\\.\\d\\d DKK/kWh")))
      << out;
  server.kill();
  Process offline({HEMD_BINARY, "prices", "-c", config, "--date", "2025-11-04", "--offline"},
                  dir.file("off.out"), dir.file("off.err"));
  ASSERT_EQ(offline.wait_exit(60s), 0) << offline.err();
  EXPECT_NE(offline.out().find("1.878"), std::string::npos) << offline.out();
  Process bad({HEMD_BINARY, "prices", "-c", config, "--date", "4/11/2025"}, dir.file("bad.out"),
              dir.file("bad.err"));
  EXPECT_EQ(bad.wait_exit(60s), 2);
  EXPECT_NE(bad.err().find("expected YYYY-MM-DD"), std::string::npos);
}

// The daemon itself: fetches today's prices at start-up, and says so when there are none.
TEST_F(Prices, DaemonFetchesAtStartAndPlansOnPvOnlyWithoutPrices) {
  const auto config = [&](const std::string& url) {
    return dir.write("hemd.yaml",
                     fmt::format("site: {{name: test, main_fuse_a: 25}}\nocpp: {{enabled: false}}\n"
                                 "prices: {{base_url: '{}', fetch_timeout_s: 2}}\nstorage: {{path: {}}}\n",
                                 url, dir.file("daemon.db")));
  };
  {
    Process hemd({HEMD_BINARY, "--config", config(server.url())}, dir.file("d.out"), dir.file("d.err"));
    ASSERT_TRUE(hemd.wait_for_err("intervals", 60s)) << hemd.err();
    EXPECT_TRUE(
        std::regex_search(hemd.err(), std::regex("<6>prices: DayAheadPrices DK1 \\d{4}-\\d\\d-\\d\\d\\.\\."
                                                 "\\d{4}-\\d\\d-\\d\\d: (96|92|100|19\\d) intervals")))
        << hemd.err();
    EXPECT_NE(hemd.err().find("no grid tariff configured"), std::string::npos);
    kill(hemd.pid(), SIGTERM);
    EXPECT_EQ(hemd.wait_exit(), 0);
  }
  Process offline({HEMD_BINARY, "--config", config("http://127.0.0.1:9")}, dir.file("o.out"),
                  dir.file("o.err"));
  // The cache from the first run is in force: nothing to ask for, no "PV only" warning.
  ASSERT_TRUE(offline.wait_for_err("started", 60s)) << offline.err();
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(offline.err().find("planning on PV only"), std::string::npos) << offline.err();
  kill(offline.pid(), SIGTERM);
  EXPECT_EQ(offline.wait_exit(), 0);
  std::remove(dir.file("daemon.db").c_str());
  Process empty({HEMD_BINARY, "--config", config("http://127.0.0.1:9")}, dir.file("e.out"),
                dir.file("e.err"));
  EXPECT_TRUE(empty.wait_for_err("planning on PV only", 60s)) << empty.err();
  kill(empty.pid(), SIGTERM);
  EXPECT_EQ(empty.wait_exit(), 0);
}

TEST_F(Prices, EntsoeForABiddingZoneOutsideDenmark) {
  cfg.provider = "entsoe";
  cfg.area = "DE-LU";
  cfg.entsoe_token = "test-token";
  cfg.grid_company_gln.clear();
  cfg.vat = 0.19;
  auto s = service();
  ASSERT_TRUE(s->refresh()) << s->status().last_error;
  EXPECT_EQ(s->status().source, "ENTSO-E DE-LU");
  auto today = day(*s, {2025, 11, 4});
  ASSERT_EQ(today.size(), 96u);
  // 00:00-04:00 are one flat price the document states once (curve A03): round(400 / 7.46, 2) x 7.46.
  for (int q = 0; q < 16; ++q) EXPECT_NEAR(today[q].spot.value, 53.62 * 7.46 / 1000, 1e-9) << q;
  EXPECT_NEAR(today[68].spot.value, 0.825, 0.0005);  // 400 + 25 x 17 DKK/MWh, through EUR
  // No Danish tariffs or tax outside Denmark: spot x (1 + VAT) and nothing unknown.
  EXPECT_DOUBLE_EQ(today[68].elafgift.value, 0);
  EXPECT_TRUE(today[68].tariffs_known);
  EXPECT_NEAR(today[68].total().value, today[68].spot.value * 1.19, 1e-12);
  const std::string asked = server.requests();
  EXPECT_NE(asked.find("in_Domain=10Y1001A1001A82H"), std::string::npos) << asked;
  EXPECT_EQ(asked.find("DatahubPricelist"), std::string::npos) << "no Danish tariffs asked for";

  server.control("/_fault?mode=truncated");
  std::string error;
  EXPECT_FALSE(s->fetch_days({2025, 11, 4}, {2025, 11, 5}, error));
  EXPECT_NE(error.find("not valid XML"), std::string::npos) << error;
  EXPECT_EQ(day(*s, {2025, 11, 4}).size(), 96u);
  server.control("/_fault?mode=");

  cfg.entsoe_token = "wrong";
  auto refused = service();
  EXPECT_FALSE(refused->fetch_days({2025, 11, 6}, {2025, 11, 7}, error));
  EXPECT_NE(error.find("HTTP 401 (ENTSO-E refused the request: \"Unauthorized\")"), std::string::npos)
      << error;
  EXPECT_EQ(error.find("wrong"), std::string::npos) << "the token is never logged: " << error;
}

}  // namespace
}  // namespace hemd::test
