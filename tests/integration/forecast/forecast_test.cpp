// The solar forecast against a local server that answers like Open-Meteo and forecast.solar: a normal answer
// stored and shown, every kind of failure keeping the last forecast and logged once, a stopping hemd not
// held up by a slow service.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <regex>

#include "drivers/forecast/service.h"
#include "drivers/log/wall_clock.h"
#include "drivers/prices/http.h"
#include "drivers/storage/tables.h"
#include "tests/support/process.h"

namespace hemd::test {
namespace {

using namespace std::chrono_literals;

class ForecastServer {
 public:
  explicit ForecastServer(const TempDir& dir) {
    process_ =
        std::make_unique<Process>(std::vector<std::string>{"/usr/bin/python3", FORECAST_SERVER, "--start",
                                                           std::to_string(wall_ms() / 1000)},
                                  dir.file("server.out"), dir.file("server.err"));
    if (!process_->wait_for_out("READY", 30s))
      ADD_FAILURE() << "the server did not start: " << process_->err();
    std::smatch m;
    const std::string out = process_->out();
    if (std::regex_search(out, m, std::regex("READY (\\d+)"))) port_ = std::stoi(m[1]);
    if (port_ == 0 || !wait_for_port(port_)) ADD_FAILURE() << "the server does not listen";
  }
  std::string url() const { return fmt::format("http://127.0.0.1:{}", port_); }
  void mode(const std::string& m) {
    const auto r = prices::http_get(url() + "/_mode?mode=" + m, 10);
    ASSERT_EQ(r.status, 200) << r.describe();
  }
  int requests(const std::string& path) const {
    const std::string all = prices::http_get(url() + "/_requests", 10).body;
    int n = 0;
    for (std::size_t at = all.find(path); at != std::string::npos; at = all.find(path, at + 1)) ++n;
    return n;
  }

 private:
  std::unique_ptr<Process> process_;
  int port_ = 0;
};

class Forecast : public ::testing::Test {
 protected:
  Forecast() : server(dir) {}
  std::string config(const std::string& service = "open-meteo") {
    return dir.write("hemd.yaml",
                     fmt::format("site: {{name: test, main_fuse_a: 25}}\nocpp: {{enabled: false}}\n"
                                 "prices: {{enabled: false}}\nstorage: {{path: {}}}\n"
                                 "solar_forecast:\n  service: {}\n  url: {}\n  latitude: 55.68\n"
                                 "  longitude: 12.57\n  arrays:\n    - {{kwp: 6, tilt: 35, azimuth: 0}}\n"
                                 "    - {{kwp: 2, tilt: 20, azimuth: -90}}\n",
                                 dir.file("hemd.db"), service, server.url()));
  }
  std::unique_ptr<Process> command(const std::vector<std::string>& args, const std::string& tag) {
    std::vector<std::string> argv = {HEMD_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return std::make_unique<Process>(argv, dir.file(tag + ".out"), dir.file(tag + ".err"));
  }
  std::vector<storage::PvForecastRow> stored() {
    auto db = storage::Database::open(dir.file("hemd.db"));
    return storage::pv_forecast(db, 0, std::numeric_limits<TimeMs>::max());
  }

  TempDir dir;
  ForecastServer server;
};

TEST_F(Forecast, TheCommandAsksForEachArrayAndStoresTheSum) {
  const auto cfg = config();
  auto c = command({"forecast", "--config", cfg}, "forecast");
  ASSERT_EQ(c->wait_exit(), 0) << c->err();
  EXPECT_NE(c->out().find("Open-Meteo (2 array(s)"), std::string::npos) << c->out();
  EXPECT_NE(c->out().find("kWh expected"), std::string::npos) << c->out();
  EXPECT_EQ(server.requests("tilt=35&azimuth=0"), 1);
  EXPECT_EQ(server.requests("tilt=20&azimuth=-90"), 1);
  const auto rows = stored();
  ASSERT_FALSE(rows.empty());
  double peak = 0;
  for (const auto& r : rows) peak = std::max(peak, r.pv_w);
  EXPECT_GT(peak, 1000);   // the sun shows in the forecast
  EXPECT_LT(peak, 10400);  // and never more than 8 kWp can give
}

TEST_F(Forecast, ForecastSolarToo) {
  const auto cfg = config("forecast.solar");
  auto c = command({"forecast", "--config", cfg}, "forecast");
  ASSERT_EQ(c->wait_exit(), 0) << c->err();
  EXPECT_NE(c->out().find("forecast.solar"), std::string::npos) << c->out();
  EXPECT_EQ(server.requests("/estimate/55.6800/12.5700/35/0/6?time=utc"), 1);
  EXPECT_FALSE(stored().empty());
}

TEST_F(Forecast, EveryKindOfFailureKeepsTheLastForecast) {
  const auto cfg = config();
  auto first = command({"forecast", "--config", cfg}, "first");
  ASSERT_EQ(first->wait_exit(), 0) << first->err();
  const auto before = stored();
  ASSERT_FALSE(before.empty());
  const std::pair<const char*, const char*> failures[] = {
      {"500", "HTTP 500"}, {"429", "HTTP 429"}, {"garbage", "not valid JSON"}, {"error", "must be 0-90"}};
  for (const auto& [mode, said] : failures) {
    server.mode(mode);
    auto c = command({"forecast", "--config", cfg}, mode);
    EXPECT_EQ(c->wait_exit(), 0) << c->err();
    EXPECT_NE(c->err().find(said), std::string::npos) << mode << ": " << c->err();
    EXPECT_NE(c->out().find("kWh expected"), std::string::npos) << mode << ": " << c->out();
    EXPECT_EQ(stored().size(), before.size()) << mode;
  }
}

TEST_F(Forecast, TheDaemonLogsAFailureOnceAndRetriesLater) {
  server.mode("500");
  auto hemd = command({"--config", config()}, "hemd");
  ASSERT_TRUE(hemd->wait_for_err("forecast: Open-Meteo failed", 30s)) << hemd->err();
  std::this_thread::sleep_for(3s);  // the loop keeps running; the service is not asked again before 5 min
  EXPECT_EQ(server.requests("/v1/forecast"), 1);
  kill(hemd->pid(), SIGTERM);
  EXPECT_EQ(hemd->wait_exit(), 0) << hemd->err();
  const std::string err = hemd->err();
  int lines = 0;
  for (std::size_t at = err.find("forecast: Open-Meteo failed"); at != std::string::npos;
       at = err.find("forecast: Open-Meteo failed", at + 1))
    ++lines;
  EXPECT_EQ(lines, 1) << err;
  EXPECT_NE(err.find("HTTP 500"), std::string::npos) << err;
}

TEST_F(Forecast, TheDaemonStoresTheForecastAtStart) {
  auto hemd = command({"--config", config()}, "hemd");
  ASSERT_TRUE(hemd->wait_for_err("forecast: Open-Meteo answers", 30s)) << hemd->err();
  kill(hemd->pid(), SIGTERM);
  EXPECT_EQ(hemd->wait_exit(), 0) << hemd->err();
  EXPECT_FALSE(stored().empty());
}

TEST_F(Forecast, AStoppingHemdDoesNotWaitForASlowService) {
  server.mode("slow");  // the server answers after 30 s; hemd's request would give up after 20 s
  auto hemd = command({"--config", config()}, "hemd");
  ASSERT_TRUE(hemd->wait_for_err("started", 30s)) << hemd->err();
  std::this_thread::sleep_for(1s);
  ASSERT_EQ(server.requests("/v1/forecast"), 1);  // in flight now
  kill(hemd->pid(), SIGTERM);
  EXPECT_EQ(hemd->wait_exit(10s), 0) << hemd->err();
}

}  // namespace
}  // namespace hemd::test
