// The real hemd binary, started as systemd would: a config file, a NOTIFY_SOCKET, signals.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "drivers/storage/database.h"
#include "tests/support/process.h"

namespace hemd::test {
namespace {

using namespace std::chrono_literals;

std::string config_text(const std::string& db, int interval_ms, const std::string& extra = "") {
  return "site: {name: test, main_fuse_a: 25}\n"
         "chargers:\n  - {id: garage, max_current_a: 16}\n"
         "ocpp: {enabled: false}\nprices: {enabled: false}\n"
         "storage: {path: " +
         db +
         "}\n"
         "control: {interval_ms: " +
         std::to_string(interval_ms) + "}\n" + extra;
}

// A stand-in for systemd's notify socket: collects every datagram hemd sends.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) std::abort();
    timeval tv{0, 100000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    reader_ = std::thread([this] {
      char buf[4096];
      while (!stop_) {
        const ssize_t n = recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) continue;
        std::lock_guard lock(m_);
        messages_ += std::string(buf, n) + "\n";
      }
    });
  }
  ~NotifySocket() {
    stop_ = true;
    reader_.join();
    close(fd_);
  }
  std::string messages() {
    std::lock_guard lock(m_);
    return messages_;
  }
  bool wait_for(const std::string& text) {
    return Process::wait_until([&] { return messages().find(text) != std::string::npos; }, 30s);
  }

 private:
  std::string path_;
  int fd_;
  std::atomic<bool> stop_{false};
  std::thread reader_;
  std::mutex m_;
  std::string messages_;
};

TEST(Daemon, NotifiesReadyReloadsOnSighupAndStopsCleanlyOnSigterm) {
  TempDir dir;
  const std::string cfg = dir.write("hemd.yaml", config_text(dir.file("hemd.db"), 200));
  NotifySocket notify(dir.file("notify.sock"));
  Process hemd({HEMD_BINARY, "--config", cfg}, dir.file("out"), dir.file("err"),
               {"NOTIFY_SOCKET=" + dir.file("notify.sock"), "WATCHDOG_USEC=2000000"});
  ASSERT_TRUE(notify.wait_for("READY=1")) << hemd.err();
  EXPECT_TRUE(hemd.wait_for_err("<5>hemd 0.1.0 started: site 'test'")) << hemd.err();

  // A broken config on SIGHUP: reported with its line, the old one stays in force, hemd keeps running.
  dir.write("hemd.yaml", config_text(dir.file("hemd.db"), 200, "chargers_typo: 1\n"));
  kill(hemd.pid(), SIGHUP);
  ASSERT_TRUE(hemd.wait_for_err("keeping the previous configuration")) << hemd.err();
  EXPECT_NE(hemd.err().find("<3>config: " + cfg + ":8:1: chargers_typo: unknown key"), std::string::npos)
      << hemd.err();
  EXPECT_TRUE(hemd.running());

  // A good one is taken at the next cycle.
  dir.write("hemd.yaml", config_text(dir.file("hemd.db"), 300));
  kill(hemd.pid(), SIGHUP);
  ASSERT_TRUE(hemd.wait_for_err("<5>config: reloaded " + cfg)) << hemd.err();
  EXPECT_TRUE(notify.wait_for("RELOADING=1"));

  kill(hemd.pid(), SIGTERM);
  EXPECT_EQ(hemd.wait_exit(), 0) << hemd.err();
  EXPECT_NE(hemd.err().find("chargers left at their safe current"), std::string::npos) << hemd.err();
  EXPECT_TRUE(notify.wait_for("STOPPING=1"));
  EXPECT_NE(notify.messages().find("WATCHDOG=1"), std::string::npos);
  EXPECT_NE(notify.messages().find("STATUS="), std::string::npos);
  // The last decision was recorded before exit.
  auto db = storage::Database::open(dir.file("hemd.db"));
  EXPECT_NE(*db.query({"SELECT count(*) FROM events", {}})[0][0], "0");
}

TEST(Daemon, SigintStopsTooAndTheLogHasJournaldPrefixes) {
  TempDir dir;
  const std::string cfg = dir.write("hemd.yaml", config_text(dir.file("hemd.db"), 100));
  Process hemd({HEMD_BINARY, "--config", cfg}, dir.file("out"), dir.file("err"));
  ASSERT_TRUE(hemd.wait_for_err("started"));
  kill(hemd.pid(), SIGINT);
  EXPECT_EQ(hemd.wait_exit(), 0);
  std::istringstream lines(hemd.err());
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    ++n;
    ASSERT_GE(line.size(), 3u);
    EXPECT_TRUE(line[0] == '<' && line[1] >= '3' && line[1] <= '7' && line[2] == '>') << line;
  }
  EXPECT_GE(n, 2);
}

TEST(Daemon, InvalidConfigAtStartExitsNotConfiguredWithEveryError) {
  TempDir dir;
  const std::string cfg =
      dir.write("hemd.yaml", "site:\n  main_fuse_a: 500\nchargers:\n  - {id: a, min_current_a: 3}\n");
  Process hemd({HEMD_BINARY, "--config", cfg}, dir.file("out"), dir.file("err"));
  EXPECT_EQ(hemd.wait_exit(), 6);  // NOTCONFIGURED: systemd does not restart it
  EXPECT_NE(hemd.err().find(cfg + ":2:16: site.main_fuse_a"), std::string::npos) << hemd.err();
  EXPECT_NE(hemd.err().find(cfg + ":4:28: chargers[0].min_current_a"), std::string::npos) << hemd.err();
}

// Issue 26.3: a config value or key holding a newline and "<0>" must not forge a journald line of its own.
TEST(Daemon, AConfigKeyCannotForgeALogLine) {
  TempDir dir;
  const std::string cfg = dir.write(
      "hemd.yaml", config_text(dir.file("hemd.db"), 1000, "\"x\\n<0>hemd: FORGED emergency line\": 1\n"));
  Process hemd({HEMD_BINARY, "--config", cfg}, dir.file("out"), dir.file("err"));
  EXPECT_EQ(hemd.wait_exit(), 6);  // a config error: NOTCONFIGURED
  const std::string err = hemd.err();
  EXPECT_NE(err.find("unknown key 'x\\n<0>hemd: FORGED emergency line'"), std::string::npos) << err;
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_TRUE(line.size() >= 3 && line[0] == '<' && line[1] >= '3' && line[1] <= '7' && line[2] == '>')
        << line;
    if (line.find("FORGED") != std::string::npos) {
      EXPECT_NE(line.find("x\\n<0>hemd: FORGED"), std::string::npos) << "only escaped: " << line;
    }
  }
}

TEST(Daemon, CheckConfigPrintsTheResolvedConfigWithSecretsMasked) {
  TempDir dir;
  const std::string cfg = dir.write(
      "hemd.yaml", config_text(dir.file("hemd.db"), 1000, "mqtt: {password: '${HEMD_TEST_SECRET}'}\n"));
  Process ok({HEMD_BINARY, "--check-config", "--config", cfg}, dir.file("out"), dir.file("err"),
             {"HEMD_TEST_SECRET=correct-horse"});
  EXPECT_EQ(ok.wait_exit(), 0) << ok.err();
  EXPECT_NE(ok.out().find("valid"), std::string::npos);
  EXPECT_NE(ok.out().find("main_fuse_a: 25"), std::string::npos);
  EXPECT_EQ(ok.out().find("correct-horse"), std::string::npos) << ok.out();

  Process bad({HEMD_BINARY, "--check-config", "--config", cfg}, dir.file("out2"), dir.file("err2"));
  EXPECT_EQ(bad.wait_exit(), 1);
  EXPECT_NE(bad.err().find("environment variable HEMD_TEST_SECRET is not set"), std::string::npos)
      << bad.err();
}

TEST(Daemon, CorruptDatabaseIsNamedAndHemdExitsOne) {
  TempDir dir;
  std::ofstream(dir.file("hemd.db")) << std::string(10000, 'z');
  const std::string cfg = dir.write("hemd.yaml", config_text(dir.file("hemd.db"), 1000));
  Process hemd({HEMD_BINARY, "--config", cfg}, dir.file("out"), dir.file("err"));
  EXPECT_EQ(hemd.wait_exit(), 1);
  EXPECT_NE(hemd.err().find("<3>storage: the database " + dir.file("hemd.db")), std::string::npos)
      << hemd.err();
}

// A settings table with other columns stopped hemd with "no such column: value" and no file named
// (issue 26.9).
TEST(Daemon, ADatabaseWithTheWrongColumnsIsNamedAndHemdExitsOne) {
  TempDir dir;
  {
    auto db = storage::Database::open(dir.file("hemd.db"));
    db.exec("DROP TABLE settings");
    db.exec("CREATE TABLE settings (key TEXT PRIMARY KEY, val TEXT, updated_ms INTEGER)");
  }
  const std::string cfg = dir.write("hemd.yaml", config_text(dir.file("hemd.db"), 1000));
  Process hemd({HEMD_BINARY, "--config", cfg}, dir.file("out"), dir.file("err"));
  EXPECT_EQ(hemd.wait_exit(), 1);
  EXPECT_NE(hemd.err().find("<3>storage: the database " + dir.file("hemd.db") +
                            " cannot be used: table settings has no column value"),
            std::string::npos)
      << hemd.err();
}

// systemd may stop hemd right after starting it: a SIGTERM during start-up killed hemd by the default action
// (exit -15) instead of the documented clean stop (issue 26.9). A config padded with 200,000 comment lines
// makes start-up last: the signal comes once hemd's own code has run for 100 ms of CPU (the dynamic loader
// before main takes far less), while it still reads its config.
TEST(Daemon, SigtermDuringStartUpStillStopsCleanly) {
  TempDir dir;
  std::string padded = config_text(dir.file("hemd.db"), 1000);
  for (int i = 0; i < 200000; ++i)
    padded += "# a long comment line that the YAML reader has to scan through\n";
  const std::string cfg = dir.write("hemd.yaml", padded);
  Process hemd({HEMD_BINARY, "--config", cfg}, dir.file("out"), dir.file("err"));
  // main's first step blocks SIGTERM: from then on it is hemd's to handle. Waiting for that (and not for some
  // CPU time) keeps the test true under AddressSanitizer, whose start-up before main takes longer.
  const auto sigterm_blocked = [&] {
    std::ifstream status("/proc/" + std::to_string(hemd.pid()) + "/status");
    for (std::string line; std::getline(status, line);)
      if (line.rfind("SigBlk:", 0) == 0)
        return (std::stoull(line.substr(7), nullptr, 16) >> (SIGTERM - 1)) & 1;
    return 0ULL;
  };
  ASSERT_TRUE(Process::wait_until([&] { return sigterm_blocked() != 0; }, 30s));
  EXPECT_EQ(hemd.err().find("started"), std::string::npos) << "too late to test the start-up: " << hemd.err();
  kill(hemd.pid(), SIGTERM);
  EXPECT_EQ(hemd.wait_exit(), 0) << hemd.err();
  EXPECT_NE(hemd.err().find("hemd: stopping"), std::string::npos) << hemd.err();
}

TEST(Daemon, VersionAndHelp) {
  TempDir dir;
  Process v({HEMD_BINARY, "--version"}, dir.file("out"), dir.file("err"));
  EXPECT_EQ(v.wait_exit(), 0);
  // The version, the git revision (12 hex digits, or "unknown" from a tarball) and the architecture.
  EXPECT_TRUE(std::regex_match(
      v.out(),
      std::regex(R"(hemd [0-9]+\.[0-9]+\.[0-9]+ \(git ([0-9a-f]{12}(-dirty)?|unknown), [a-z0-9]+\)\n)")))
      << v.out();
  Process h({HEMD_BINARY, "--help"}, dir.file("out2"), dir.file("err2"));
  EXPECT_EQ(h.wait_exit(), 0);
  for (const char* flag : {"--config", "--check-config", "--demo", "--speed", "--log-level"})
    EXPECT_NE(h.out().find(flag), std::string::npos) << flag;
}

TEST(Daemon, DemoPrintsAStatusLinePerCycleUntilInterrupted) {
  TempDir dir;
  Process demo({HEMD_BINARY, "--demo", "--speed", "600"}, dir.file("out"), dir.file("err"));
  // Three cycles at x600: 07:00, 07:10, 07:20 of simulated time.
  ASSERT_TRUE(Process::wait_until(
      [&] {
        const std::string out = demo.out();
        return std::count(out.begin(), out.end(), '\n') >= 3;
      },
      30s))
      << demo.out() << demo.err();
  EXPECT_EQ(demo.out().rfind("07:00:00  PV", 0), 0u) << demo.out();
  // Later lines are later in simulated time (a loaded machine may skip a tick, so not exactly 07:10).
  const std::string text = demo.out();
  const auto second = text.find('\n') + 1;
  EXPECT_GT(text.substr(second, 8), std::string("07:00:00")) << text;
  EXPECT_EQ(text.substr(second + 8, 4), "  PV") << text;
  const std::string out = demo.out();
  EXPECT_NE(out.find("PV "), std::string::npos);
  EXPECT_NE(out.find("grid"), std::string::npos);
  EXPECT_NE(out.find("garage"), std::string::npos);
  EXPECT_NE(out.find("mode pv"), std::string::npos);
  kill(demo.pid(), SIGINT);
  EXPECT_EQ(demo.wait_exit(), 0) << demo.err();
}

// The demo is a site on real protocols: hemd reads a SunSpec inverter and grid meter over Modbus TCP and
// steers an OCPP 1.6J charge point over WebSocket, all simulated on loopback. In mode now the car must end
// up at its 16 A, measured by the charger and reported in MeterValues.
TEST(Daemon, DemoRunsThroughModbusAndOcpp) {
  TempDir dir;
  const std::string cfg = dir.write(
      "demo.yaml",
      "site: {name: demo, main_fuse_a: 25}\nchargers:\n  - {id: carport, max_current_a: 16, mode: now}\n"
      "prices: {enabled: false}\n");
  Process demo({HEMD_BINARY, "--demo", "--speed", "60", "--config", cfg}, dir.file("out"), dir.file("err"));
  ASSERT_TRUE(demo.wait_for_err("demo: simulated inverter on modbus://127.0.0.1:")) << demo.err();
  EXPECT_TRUE(demo.wait_for_err(R"(ocpp: carport booted: "hemd-demo" "Simulated charger")")) << demo.err();
  // A cycle where the car draws its 16 A (the charger's MeterValues) and PV and grid are what the meters
  // read: numbers, not "--", and the morning sun (the PV meter is read once a second, so not in the first
  // lines).
  EXPECT_TRUE(Process::wait_until(
      [&] {
        std::istringstream lines(demo.out());
        for (std::string line; std::getline(lines, line);)
          if (line.find("carport 16.0 A 3φ 11.04 kW") != std::string::npos &&
              line.find("--") == std::string::npos && line.find("PV   0.00 kW") == std::string::npos)
            return true;
        return false;
      },
      60s))
      << demo.out() << demo.err();
  kill(demo.pid(), SIGINT);
  EXPECT_EQ(demo.wait_exit(), 0) << demo.err();
}

// hemd report over a month of history: an evening arrival that hemd charged in the cheap night hours, against
// the same 22 kWh charged at once on arrival (a fixed tariff with cheap nights, so the figures are known).
TEST(Daemon, ReportShowsCostPvShareAndTheSavingAgainstChargingOnArrival) {
  TempDir dir;
  const std::string db = dir.file("hemd.db");
  dir.write("hemd.yaml",
            "site: {name: report, main_fuse_a: 25}\nchargers:\n  - {id: garage, max_current_a: 16}\n"
            "prices: {provider: fixed, fixed_price_dkk_kwh: 2.40, fixed_export_dkk_kwh: 0.5, time_of_use: "
            "[{from_hour: 0, to_hour: 6, dkk_kwh: 1.60}]}\n"
            "storage: {path: " +
                db + ", measurement_interval_s: 3600}\n");
  {
    auto d = storage::Database::open(db);
    // 2026-10-15 18:00 Danish summer time is 16:00 UTC.
    const std::int64_t arrival = 1'792'080'000'000;
    for (int h = 0; h < 9; ++h) {
      const double cars = h == 6 || h == 7 ? 11040 : 0;  // 00:00-02:00 Danish time
      d.exec(fmt::format("INSERT INTO site_measurements VALUES ({}, 0, {}, 500, 0, 0, 0)",
                         arrival + h * 3'600'000LL, cars + 500));
    }
    d.exec(fmt::format(
        "INSERT INTO sessions (charger_id, transaction_id, started_ms, stopped_ms, meter_start_wh, "
        "meter_stop_wh, energy_wh) VALUES ('garage', '1', {}, {}, 0, 22080, 22080)",
        arrival, arrival + 9 * 3'600'000LL));
  }
  Process r({HEMD_BINARY, "report", "--month", "2026-10", "-c", dir.file("hemd.yaml")}, dir.file("out"),
            dir.file("err"));
  ASSERT_EQ(r.wait_exit(), 0) << r.err();
  const std::string out = r.out();
  EXPECT_NE(out.find("hemd report for 2026-10"), std::string::npos) << out;
  EXPECT_NE(out.find("charged                 22.1 kWh in 1 session"), std::string::npos) << out;
  EXPECT_NE(out.find("from PV                  0.0 kWh (0 %)"), std::string::npos) << out;
  EXPECT_NE(out.find("cost                   35.33 DKK (1.60 DKK/kWh"), std::string::npos)
      << out;                                                                         // 22.08 x 1.60
  EXPECT_NE(out.find("charged on arrival     52.99 DKK"), std::string::npos) << out;  // 22.08 x 2.40
  EXPECT_NE(out.find("saving                 17.66 DKK (33 %)"), std::string::npos) << out;
  Process bad({HEMD_BINARY, "report", "--month", "October", "-c", dir.file("hemd.yaml")}, dir.file("out2"),
              dir.file("err2"));
  EXPECT_EQ(bad.wait_exit(), 2);
  EXPECT_NE(bad.err().find("expected YYYY-MM"), std::string::npos) << bad.err();
}

// Issue 24: `hemd --config FILE <subcommand>` (the global option first, as in git or systemctl) uses FILE for
// every subcommand, and a file that is not there is an error naming it, never a silent fall-back to defaults.
TEST(Daemon, ConfigBeforeTheSubcommandIsHonouredAndAMissingOneNamed) {
  TempDir dir;
  // A fixed 3.21 DKK/kWh: what the prices command shows only if it read this file.
  const std::string cfg =
      dir.write("mine.yaml",
                "site: {name: mine, main_fuse_a: 25}\nprices: {provider: fixed, fixed_price_dkk_kwh: 3.21}\n"
                "storage: {path: " +
                    dir.file("hemd.db") + "}\n");
  for (const auto& argv : std::vector<std::vector<std::string>>{
           {HEMD_BINARY, "--config", cfg, "prices", "--offline", "--date", "2026-10-15"},
           {HEMD_BINARY, "prices", "--offline", "--date", "2026-10-15", "--config", cfg}}) {
    Process p(argv, dir.file("p.out"), dir.file("p.err"));
    EXPECT_EQ(p.wait_exit(), 0) << p.err();
    EXPECT_NE(p.out().find("3.210"), std::string::npos) << argv[1] << ": " << p.out() << p.err();
    EXPECT_EQ(p.err().find("no /etc/hemd"), std::string::npos) << p.err();
  }
  const std::string missing = dir.file("missing.yaml");
  for (const auto& argv :
       std::vector<std::vector<std::string>>{{HEMD_BINARY, "--config", missing, "prices", "--offline"},
                                             {HEMD_BINARY, "--config", missing, "report"},
                                             {HEMD_BINARY, "--config", missing, "read", "grid"},
                                             {HEMD_BINARY, "-c", missing},
                                             {HEMD_BINARY, "report", "-c", missing}}) {
    Process p(argv, dir.file("m.out"), dir.file("m.err"));
    EXPECT_NE(p.wait_exit(), 0) << argv[1] << " " << argv.back();
    EXPECT_NE(p.err().find(missing + ":0:0: (top level): cannot open the file"), std::string::npos)
        << p.err();
  }
  Process sim({HEMD_BINARY, "--config", cfg, "simulate", "--scenario", dir.file("none.yaml")},
              dir.file("s.out"), dir.file("s.err"));
  EXPECT_EQ(sim.wait_exit(), 2);
  EXPECT_NE(sim.err().find("--config is not used"), std::string::npos) << sim.err();
}

// hemd simulate: an evening car on a tariff with cheap nights, planned by hemd, charged on arrival and by PV
// only; the table, the saving and the chart of the day; a broken scenario named by line and key.
TEST(Daemon, SimulateComparesHemdWithChargingOnArrivalAndDrawsTheDay) {
  TempDir dir;
  dir.write("day.yaml",
            "name: evening car\nstep_s: 60\nsite: {main_fuse_a: 25}\n"
            "day: {hours: 36, pv_peak_w: 0, clouds: 0, house_w: 400,\n"
            "      spot_dkk_per_kwh: [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8,\n"
            "                         0.8, 0.8, 0.8, 0.8, 1.5, 1.5, 1.5, 1.5, 1.5, 0.8, 0.8, 0.8]}\n"
            "cars:\n  - {id: garage, arrive_h: 17, depart_h: 31, need_kwh: 22}\n");
  Process sim({HEMD_BINARY, "simulate", "--scenario", dir.file("day.yaml"), "--svg", dir.file("day.svg")},
              dir.file("out"), dir.file("err"));
  ASSERT_EQ(sim.wait_exit(), 0) << sim.err();
  const std::string out = sim.out();
  EXPECT_NE(out.find("evening car: 36 h, 1 car, main fuse 25 A"), std::string::npos) << out;
  // Planned: 22 kWh in the night at (0.3 + 0.05 + 0.11 + 0.115 + 0.008) x 1.25 = 0.72875 DKK/kWh.
  EXPECT_NE(out.find("charging cost (DKK)                        16.03"), std::string::npos) << out;
  // On arrival: from 17:00 at 11 kW in the peak, (1.5 + 0.05 + 0.991 + 0.115 + 0.008) x 1.25 = 3.33 DKK/kWh.
  EXPECT_NE(out.find("73.26"), std::string::npos) << out;
  EXPECT_NE(
      out.find("need not met (kWh)                           0.0                 0.0                22.0"),
      std::string::npos)
      << out;
  EXPECT_NE(out.find("hemd against charging on arrival: 57.23 DKK saved (78 %)"), std::string::npos) << out;
  const std::string svg = read_file(dir.file("day.svg"));
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u) << svg.substr(0, 200);
  EXPECT_NE(svg.find("main fuse 25 A"), std::string::npos);
  EXPECT_NE(svg.find(">garage</text>"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);

  dir.write("bad.yaml",
            "name: broken\nday: {hours: 24}\ncars:\n  - {id: a, arrive_h: 17, depart_h: 20, need_kwh: -3}\n");
  Process bad({HEMD_BINARY, "simulate", "--scenario", dir.file("bad.yaml")}, dir.file("out2"),
              dir.file("err2"));
  EXPECT_EQ(bad.wait_exit(), 1);
  EXPECT_NE(
      bad.err().find("bad.yaml:4:51: cars[0].need_kwh: found -3, expected a number in kWh from 0 to 200"),
      std::string::npos)
      << bad.err();
}

}  // namespace
}  // namespace hemd::test
