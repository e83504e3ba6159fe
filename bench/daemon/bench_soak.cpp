// Figures, not a test: hemd running the demo's world (a SunSpec inverter and grid meter on Modbus TCP, an
// OCPP 1.6J charge point with a car, all simulated on loopback) at high speed through a simulated week, the
// car in mode now. Every day at 10:00 a 9 kW heater switches on while the car charges and puts the fuse over
// its rating until hemd cuts the car. Printed: RSS, file descriptors and threads at the start and at the end
// (goal: flat) and the longest a phase stayed over the fuse after a load step, in wall-clock time (goal:
// under 1 s).
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "bench/support/proc_sample.h"

namespace {

struct Footprint {
  double rss_kb = 0;
  int fds = 0;
  int threads = 0;
};

Footprint footprint(pid_t pid) {
  Footprint f;
  f.rss_kb = hemd::bench::sample(pid).rss_kb;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       it != std::filesystem::directory_iterator(); ++it)
    ++f.fds;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec);
       it != std::filesystem::directory_iterator(); ++it)
    ++f.threads;
  return f;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int main(int argc, char** argv) {
  const double days = argc > 1 ? std::atof(argv[1]) : 7;
  const double speed = 2400;  // a simulated week in about four minutes
  const auto wall = std::chrono::milliseconds(static_cast<long long>(days * 86400 * 1000 / speed));
  char dir_tmpl[] = "/tmp/hemd-soak-XXXXXX";
  const std::string dir = mkdtemp(dir_tmpl);
  const std::string cfg = dir + "/soak.yaml", err = dir + "/hemd.err";
  // A 250 ms loop: at x2400 a cycle is 10 simulated minutes, so the hour-long load step spans several.
  std::ofstream(cfg) << "site: {name: soak, main_fuse_a: 25}\n"
                        "chargers:\n  - {id: garage, max_current_a: 16, mode: now}\n"
                        "prices: {enabled: false}\ncontrol: {interval_ms: 250}\nlog_level: info\n";
  fmt::print("hemd soak: the demo's world for {:.0f} simulated days at x{:.0f} ({:.0f} s), car in mode now\n",
             days, speed, wall.count() / 1000.0);
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stdout);
    freopen(err.c_str(), "w", stderr);
    execl(HEMD_BINARY, HEMD_BINARY, "--demo", "--speed", fmt::format("{}", speed).c_str(), "--config",
          cfg.c_str(), nullptr);
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::seconds(5));  // start-up is not the steady state
  const Footprint a = footprint(pid);
  std::this_thread::sleep_for(wall - std::chrono::seconds(5));
  const Footprint b = footprint(pid);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  const std::string log = read_all(err);
  std::system(("rm -rf " + dir).c_str());

  fmt::print("  RSS      {:7.1f} MB -> {:7.1f} MB ({:+.0f} kB)\n", a.rss_kb / 1024, b.rss_kb / 1024,
             b.rss_kb - a.rss_kb);
  fmt::print("  fds      {:7} -> {:7}\n  threads  {:7} -> {:7}\n", a.fds, b.fds, a.threads, b.threads);
  std::smatch m;
  if (std::regex_search(log, m,
                        std::regex("demo: (\\d+) load steps put a phase over the [0-9.]+ A fuse; the "
                                   "longest stayed over it (\\d+) ms")))
    fmt::print("  load steps over the fuse: {}, the longest over it: {} ms (goal: under 1000 ms)\n",
               m[1].str(), m[2].str());
  else
    fmt::print("  no load step put a phase over the fuse (the car was never charging at the time?)\n");
  if (std::regex_search(log, m, std::regex("stopped after (\\d+) cycles \\((\\d+) overran\\)")))
    fmt::print("  {} control cycles, {} overran their 250 ms\n", m[1].str(), m[2].str());
  int errors = 0, warnings = 0;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    errors += line.rfind("<3>", 0) == 0;
    warnings += line.rfind("<4>", 0) == 0;
  }
  fmt::print("  log: {} errors, {} warnings; hemd exited {}\n", errors, warnings,
             WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status));
  return 0;
}
