// Figures, not a test: the real hemd binary's memory and CPU at idle with the default 1 s loop, read from
// /proc. Goal from issue 2: RSS <= 12 MB, CPU <= 1 % of a core.
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "bench/support/proc_sample.h"

namespace {

using hemd::bench::sample;
using hemd::bench::Sample;

void run(const char* binary, const char* label, const std::string& config, bool demo, int seconds) {
  char dir_tmpl[] = "/tmp/hemd-bench-XXXXXX";
  const std::string dir = mkdtemp(dir_tmpl);
  const std::string cfg = dir + "/hemd.yaml";
  std::ofstream(cfg) << config << "storage: {path: " << dir << "/hemd.db}\n";
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid == 0) {
    if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(126);
    if (demo)
      execl(binary, binary, "--demo", "--config", cfg.c_str(), nullptr);
    else
      execl(binary, binary, "--config", cfg.c_str(), nullptr);
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));  // start-up is not idle
  const Sample a = sample(pid);
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  const Sample b = sample(pid);
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  std::system(("rm -rf " + dir).c_str());
  const double cpu = b.cpu_s - a.cpu_s;
  fmt::print(
      "{:<34} RSS {:6.1f} MB (peak {:5.1f} MB, private {:4.1f} MB)  CPU {:5.2f} % of a core  {:6.3f} ms CPU "
      "per loop\n",
      label, b.rss_kb / 1024, b.hwm_kb / 1024, b.private_kb / 1024, 100 * cpu / seconds,
      1000 * cpu / seconds);
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 20;
  // Another binary, such as the packaged one: bench_daemon_idle 20 /usr/bin/hemd
  const char* binary = argc > 2 ? argv[2] : HEMD_BINARY;
  fmt::print("{} idle, 1 s loop, measured over {} s (goal: RSS <= 12 MB, CPU <= 1 %)\n", binary, seconds);
  const std::string site =
      "site: {main_fuse_a: 25}\nchargers:\n  - {id: garage}\nocpp: {enabled: false}\nprices: {enabled: "
      "false}\n";
  run(binary, "no devices configured", site, false, seconds);
  run(binary, "demo site (simulated, 1 charger)", site, true, seconds);
  return 0;
}
