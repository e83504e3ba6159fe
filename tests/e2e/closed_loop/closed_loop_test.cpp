// hemd closing the loop with real peers only: a pymodbus grid meter that reads house + car - PV, a strict
// ocpp-rpc charge point whose car draws what its profiles allow, and the hemd binary between them. The test
// is the car's physics: it reads the limit the charge point applies and feeds the car's current back to the
// meter (and to the charge point's MeterValues), as a real car and a real meter would.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/support/process.h"

namespace hemd::test {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::vector<json> events(const std::string& out) {
  std::vector<json> all;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line))
    if (!line.empty() && line[0] == '{') all.push_back(json::parse(line, nullptr, false));
  return all;
}

bool is_limit_profile(const json& e) {
  return e.value("event", "") == "profile" && e["purpose"] == "TxDefaultProfile" && e["stackLevel"] == 1;
}

class ClosedLoop {
 public:
  // A 3 x 25 A house with one 3-phase 16 A charger in `mode`.
  void start(const std::string& mode, const std::string& control = "") {
    site_ = std::make_unique<Process>(
        std::vector<std::string>{"/usr/bin/python3",
                                 std::string(HEMD_SOURCE_DIR) + "/tests/e2e/closed_loop/site.py"},
        dir.file("site.out"), dir.file("site.err"));
    ASSERT_TRUE(site_->wait_for_out("READY")) << site_->err();
    std::smatch m;
    const std::string out = site_->out();
    std::regex_search(out, m, std::regex("READY (\\d+)"));
    ASSERT_TRUE(wait_for_port(std::stoi(m[1])));
    const int ocpp_port = free_port();
    dir.write(
        "hemd.yaml",
        fmt::format(
            "site: {{name: closed loop, main_fuse_a: 25}}\n"
            "meters:\n  - {{name: grid, role: grid, device: eastron_sdm630, host: 127.0.0.1, port: {}}}\n"
            "chargers:\n  - {{id: cp1, max_current_a: 16, mode: {}}}\n"
            "ocpp: {{listen_address: 127.0.0.1, port: {}}}\nprices: {{enabled: false}}\n"
            "storage: {{path: {}}}\ncontrol: {{interval_ms: 1000{}}}\n",
            m[1].str(), mode, ocpp_port, dir.file("hemd.db"), control));
    hemd_ =
        std::make_unique<Process>(std::vector<std::string>{HEMD_BINARY, "--config", dir.file("hemd.yaml")},
                                  dir.file("hemd.out"), dir.file("hemd.err"));
    ASSERT_TRUE(hemd_->wait_for_err("ocpp: listening")) << hemd_->err();
    cp_ = std::make_unique<Process>(
        std::vector<std::string>{"/usr/bin/node",
                                 std::string(HEMD_SOURCE_DIR) + "/tests/integration/ocpp/chargepoint.js",
                                 "--url", fmt::format("ws://127.0.0.1:{}/ocpp", ocpp_port), "--id", "cp1"},
        dir.file("cp.out"), dir.file("cp.err"));
    ASSERT_TRUE(Process::wait_until([&] { return cp_->out().find("\"boot\"") != std::string::npos; }, 30s))
        << cp_->out() << hemd_->err();
    cp_->send("plug");
    cp_->send("start");
    car_ = std::thread([this] { drive_car(); });
  }

  ~ClosedLoop() {
    running_ = false;
    if (car_.joinable()) car_.join();
  }

  void site(const std::string& command) { site_->send(command); }
  std::size_t mark() const { return events(cp_->out()).size(); }

  // The limits hemd sent for the charger's dynamic profile from event `since` on, changes only.
  std::vector<double> limit_changes(std::size_t since = 0) const {
    std::vector<double> changes;
    std::optional<double> last;
    const auto all = events(cp_->out());
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (!is_limit_profile(all[i])) continue;
      const double limit = all[i]["limit"].get<double>();
      if (i >= since && (!last || *last != limit)) changes.push_back(limit);
      last = limit;
    }
    return changes;
  }

  bool wait_limit(const std::function<bool(double)>& ok, std::size_t since, std::chrono::seconds deadline) {
    return Process::wait_until(
        [&] {
          const auto all = events(cp_->out());
          for (std::size_t i = since; i < all.size(); ++i)
            if (is_limit_profile(all[i]) && ok(all[i]["limit"].get<double>())) return true;
          return false;
        },
        deadline);
  }

  // The grid meter's latest per-phase currents.
  std::array<double, 3> grid() const {
    const std::string out = site_->out();
    std::array<double, 3> a{};
    const auto at = out.rfind("GRID ");
    if (at != std::string::npos) std::sscanf(out.c_str() + at, "GRID %lf %lf %lf", &a[0], &a[1], &a[2]);
    return a;
  }

  std::string logs() const { return cp_->out().substr(0, 4000) + "\n" + hemd_->err(); }
  std::string hemd_log() const { return hemd_->err(); }
  bool strict_refusals() const { return cp_->out().find("\"bad\"") != std::string::npos; }
  TempDir dir;

 private:
  // The car: draws what the charger allows (nothing below 6 A), up to its own 16 A; the meter sees it.
  void drive_car() {
    double drawn = -1;
    auto last_meter = Clock::now() - 1s;
    while (running_) {
      std::optional<double> allowed;
      for (const auto& e : events(cp_->out()))
        if (e.value("event", "") == "limit") allowed = e["amps"].is_null() ? 32.0 : e["amps"].get<double>();
      const double a = allowed && *allowed >= 6 ? std::min(*allowed, 16.0) : 0.0;
      if (a != drawn) {
        drawn = a;
        site_->send(fmt::format("car {}", a));
      }
      if (Clock::now() - last_meter >= 1s) {
        cp_->send(fmt::format("meter {}", a));
        last_meter = Clock::now();
      }
      std::this_thread::sleep_for(200ms);
    }
  }

  std::unique_ptr<Process> site_, hemd_, cp_;
  std::thread car_;
  std::atomic<bool> running_{true};
};

// A sunny spell, then a minute of clouds flickering every two seconds: the car follows the surplus, and the
// limit stays calm instead of hunting every cloud edge.
TEST(ClosedLoop, PvSurplusThroughASunnyThenCloudySky) {
  ClosedLoop loop;
  loop.start("pv", ", enable_delay_s: 5, disable_delay_s: 20");
  loop.site("house 2 1 1");
  loop.site("pv 9000");
  // 9 kW of PV less 0.9 kW of house: 8.1 kW, 11.7 A a phase; the car settles just below.
  ASSERT_TRUE(loop.wait_limit([](double a) { return a >= 10 && a <= 12; }, 0, 90s)) << loop.logs();
  std::this_thread::sleep_for(5s);
  const auto g = loop.grid();
  const double grid_w = (g[0] + g[1] + g[2]) * 230;
  EXPECT_LT(grid_w, 300) << "importing while following the surplus";
  EXPECT_GT(grid_w, -1500) << "exporting what the car could take";

  const auto cloudy = loop.mark();
  for (int i = 0; i < 30; ++i) {
    loop.site(i % 2 ? "pv 9000" : "pv 4000");
    std::this_thread::sleep_for(2s);
  }
  const auto changes = loop.limit_changes(cloudy);
  std::printf("[ figures  ] 30 cloud edges in 60 s: %zu limit changes (", changes.size());
  for (double c : changes) std::printf(" %g", c);
  std::printf(" )\n");
  EXPECT_LE(changes.size(), 10u) << "the limit hunts the clouds";
  for (double a : loop.limit_changes())
    EXPECT_TRUE(a == 0 || a >= 6) << a << " A is between 0 and the car's minimum";
  EXPECT_FALSE(loop.strict_refusals()) << loop.logs();
}

// The house's load on L1 jumps while the car charges at full power: the fuse guard cuts the car in the
// next cycle (from the measured phase current), and the car comes back when the load is gone.
TEST(ClosedLoop, FuseOverloadStepIsCutAtOnceAndRecovers) {
  ClosedLoop loop;
  loop.start("now");
  loop.site("house 2 1 1");
  ASSERT_TRUE(loop.wait_limit([](double a) { return a == 16; }, 0, 60s)) << loop.logs();
  std::this_thread::sleep_for(3s);
  EXPECT_LE(loop.grid()[0], 25);
  const auto step = loop.mark();
  const auto t0 = Clock::now();
  loop.site("house 20 1 1");  // L1: 20 A of house + 16 A of car = 36 A on a 25 A fuse
  // 25 A - 0.5 A margin - 20 A leaves 4.5 A: below the car's minimum, so it pauses.
  ASSERT_TRUE(loop.wait_limit([](double a) { return a < 16; }, step, 30s)) << loop.logs();
  const auto cut_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  std::printf("[ figures  ] grid meter step to the cut leaving hemd, seen by the charge point: %lld ms\n",
              static_cast<long long>(cut_ms));
  EXPECT_EQ(loop.limit_changes(step).front(), 0);
  ASSERT_TRUE(Process::wait_until([&] { return loop.grid()[0] <= 25; }, 10s)) << loop.grid()[0];
  const auto recover = loop.mark();
  loop.site("house 2 1 1");
  EXPECT_TRUE(loop.wait_limit([](double a) { return a == 16; }, recover, 90s)) << loop.logs();
  EXPECT_FALSE(loop.strict_refusals()) << loop.logs();
}

}  // namespace
}  // namespace hemd::test
