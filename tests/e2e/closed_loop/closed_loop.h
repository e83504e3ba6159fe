#pragma once
// hemd closing the loop with real peers only: a pymodbus grid meter that reads house + car - PV, a strict
// ocpp-rpc charge point whose car draws what its profiles allow, and the hemd binary between them. The
// harness is the car's physics: it reads the limit the charge point applies and feeds the car's current back
// to the meter (and to the charge point's MeterValues), as a real car and a real meter would. Used by the
// end-to-end test and by bench/closed_loop.
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/process.h"

namespace hemd::test {

using namespace std::chrono_literals;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

inline std::vector<json> events(const std::string& out) {
  std::vector<json> all;
  std::istringstream lines(out);
  std::string line;
  // The peer may be half-way through writing its last line; only whole lines that parse are events.
  while (std::getline(lines, line)) {
    if (lines.eof() || line.empty() || line[0] != '{') continue;
    auto e = json::parse(line, nullptr, false);
    if (!e.is_discarded()) all.push_back(std::move(e));
  }
  return all;
}

inline bool is_limit_profile(const json& e) {
  return e.value("event", "") == "profile" && e["purpose"] == "TxDefaultProfile" && e["stackLevel"] == 1;
}

class ClosedLoop {
 public:
  // Before start(): the house gets a battery (site.py's --battery options) and hemd's config the lines for it
  // (`meter`, one line of the meters list; `top`, top-level keys such as `battery: {...}`).
  void with_battery(std::vector<std::string> site_args, std::string meter, std::string top) {
    site_args_ = std::move(site_args);
    battery_meter_ = std::move(meter);
    battery_top_ = std::move(top);
  }

  // A 3 x `fuse_a` house with one 3-phase 16 A charger in `mode` (`charger` adds chargepoint.js options).
  // Throws when a peer does not come up.
  void start(const std::string& mode, const std::string& control = "", int fuse_a = 25,
             const std::vector<std::string>& charger = {}) {
    auto check = [](bool ok, const std::string& what) {
      if (!ok) throw std::runtime_error(what);
    };
    std::vector<std::string> site_argv{"/usr/bin/python3",
                                       std::string(HEMD_SOURCE_DIR) + "/tests/e2e/closed_loop/site.py"};
    site_argv.insert(site_argv.end(), site_args_.begin(), site_args_.end());
    site_ = std::make_unique<Process>(site_argv, dir.file("site.out"), dir.file("site.err"));
    check(site_->wait_for_out("READY"), "the site did not start: " + site_->err());
    std::smatch m;
    const std::string out = site_->out();
    std::regex_search(out, m, std::regex("READY (\\d+)"));
    check(wait_for_port(std::stoi(m[1])), "the site's Modbus port did not open");
    const int ocpp_port = free_port();
    dir.write(
        "hemd.yaml",
        fmt::format(
            "site: {{name: closed loop, main_fuse_a: {}}}\n"
            "meters:\n  - {{name: grid, role: grid, device: eastron_sdm630, host: 127.0.0.1, port: {}}}\n{}"
            "chargers:\n  - {{id: cp1, max_current_a: 16, mode: {}}}\n"
            "ocpp: {{listen_address: 127.0.0.1, port: {}}}\nprices: {{enabled: false}}\n"
            "storage: {{path: {}}}\ncontrol: {{interval_ms: 1000{}}}\n{}",
            fuse_a, m[1].str(),
            battery_meter_.empty()
                ? ""
                : fmt::format("  - {{name: battery, role: battery, host: 127.0.0.1, port: {}, {}}}\n",
                              m[1].str(), battery_meter_),
            mode, ocpp_port, dir.file("hemd.db"), control, battery_top_));
    // hemd's status line (sd_notify's STATUS=) tells what its snapshot holds.
    notify_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    notify_path_ = dir.file("notify.sock");
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", notify_path_.c_str());
    check(notify_ >= 0 && bind(notify_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0,
          "no notify socket at " + notify_path_);
    ocpp_port_ = ocpp_port;
    start_hemd();
    std::vector<std::string> cp_argv = {
        "/usr/bin/node", std::string(HEMD_SOURCE_DIR) + "/tests/integration/ocpp/chargepoint.js",
        "--url",         fmt::format("ws://127.0.0.1:{}/ocpp", ocpp_port),
        "--id",          "cp1"};
    cp_argv.insert(cp_argv.end(), charger.begin(), charger.end());
    cp_ = std::make_unique<Process>(cp_argv, dir.file("cp.out"), dir.file("cp.err"));
    check(Process::wait_until([&] { return cp_->out().find("\"boot\"") != std::string::npos; }, 30s),
          "the charge point did not boot: " + cp_->out() + hemd_->err());
    cp_->send("plug");
    cp_->send("start");
    car_ = std::thread([this] { drive_car(); });
  }

  // hemd (again, after kill_hemd()): the charge point reconnects by itself.
  void start_hemd() {
    hemd_ = std::make_unique<Process>(
        std::vector<std::string>{HEMD_BINARY, "--config", dir.file("hemd.yaml")},
        dir.file(fmt::format("hemd{}.out", starts_)), dir.file(fmt::format("hemd{}.err", starts_)),
        std::vector<std::string>{"NOTIFY_SOCKET=" + notify_path_});
    ++starts_;
    // Under ASan beside another e2e test a start can take long; what is tested starts after it.
    if (!hemd_->wait_for_err("ocpp: listening", std::chrono::seconds(90)))
      throw std::runtime_error("hemd did not start: " + hemd_->err());
  }
  void stop_hemd() {
    ::kill(hemd_->pid(), SIGTERM);
    hemd_->wait_exit();
  }
  void kill_hemd() {
    ::kill(hemd_->pid(), SIGKILL);
    hemd_->wait_exit();
  }
  // The battery's latest power (W, positive discharging) and SoC, as the site printed them.
  std::array<double, 2> battery() const {
    const std::string out = site_->out();
    std::array<double, 2> b{};
    auto at = out.rfind("BATTERY ");
    while (at != std::string::npos && std::sscanf(out.c_str() + at, "BATTERY %lf %lf", &b[0], &b[1]) != 2)
      at = at == 0 ? std::string::npos : out.rfind("BATTERY ", at - 1);
    return b;
  }
  std::string site_out() const { return site_->out(); }

  ~ClosedLoop() {
    running_ = false;
    if (car_.joinable()) car_.join();
    if (notify_ >= 0) ::close(notify_);
  }

  // hemd's latest status line ("" before the first).
  std::string status() {
    char buf[4096];
    for (ssize_t n; (n = recv(notify_, buf, sizeof buf - 1, 0)) > 0;) {
      buf[n] = 0;
      const std::string msg(buf);
      if (const auto at = msg.find("STATUS="); at != std::string::npos) status_ = msg.substr(at + 7);
    }
    return status_;
  }

  void site(const std::string& command) { site_->send(command); }
  // The car draws at most this (a battery nearly full), whatever the charger allows.
  void car_takes_at_most(double amps) { car_max_ = amps; }
  // The charger reports this draw in its MeterValues instead of what the car draws (NaN: the truth).
  void charger_reports(double amps) { reported_ = amps; }
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

  // The charger's latest limit is `amps` and the car has reported drawing it since: the start's transients
  // (a first limit and a raise before the car's first report) are over.
  bool wait_steady_limit(double amps, std::chrono::seconds deadline) {
    return Process::wait_until(
        [&] {
          const auto all = events(cp_->out());
          std::optional<std::size_t> last;
          for (std::size_t i = 0; i < all.size(); ++i)
            if (is_limit_profile(all[i])) last = i;
          if (!last || all[*last]["limit"].get<double>() != amps) return false;
          for (std::size_t i = *last; i < all.size(); ++i)
            if (all[i].value("event", "") == "metered" && all[i]["amps"] == amps) return true;
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
      const double a = allowed && *allowed >= 6 ? std::min({*allowed, 16.0, car_max_.load()}) : 0.0;
      if (a != drawn) {
        drawn = a;
        site_->send(fmt::format("car {}", a));
      }
      if (Clock::now() - last_meter >= 1s) {
        cp_->send(fmt::format("meter {}", std::isnan(reported_.load()) ? a : reported_.load()));
        last_meter = Clock::now();
      }
      std::this_thread::sleep_for(200ms);
    }
  }

  std::vector<std::string> site_args_;
  std::string battery_meter_, battery_top_;
  int ocpp_port_ = 0;
  int starts_ = 0;
  std::unique_ptr<Process> site_, hemd_, cp_;
  int notify_ = -1;
  std::string notify_path_;
  std::string status_;
  std::thread car_;
  std::atomic<bool> running_{true};
  std::atomic<double> car_max_{16};
  std::atomic<double> reported_{std::nan("")};
};

}  // namespace hemd::test
