#pragma once
// What a process costs, read from /proc: resident and private memory, and CPU time of all its threads.
#include <sys/types.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace hemd::bench {

struct Sample {
  double rss_kb = 0, hwm_kb = 0, private_kb = 0, cpu_s = 0;
};

inline Sample sample(pid_t pid) {
  Sample s;
  const std::string proc = "/proc/" + std::to_string(pid);
  std::ifstream status(proc + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kb = std::stod(line.substr(6));
    if (line.rfind("VmHWM:", 0) == 0) s.hwm_kb = std::stod(line.substr(6));
  }
  // RSS counts the shared libraries' code pages (libcurl alone brings GnuTLS, LDAP, Kerberos); what the
  // process itself holds is its private memory.
  std::ifstream rollup(proc + "/smaps_rollup");
  while (std::getline(rollup, line))
    if (line.rfind("Private_", 0) == 0) s.private_kb += std::stod(line.substr(line.find(':') + 1));
  // CPU time of every thread, in ns (schedstat), summed: clock ticks are too coarse for an idle daemon.
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(proc + "/task", ec)) {
    std::ifstream schedstat(task.path() / "schedstat");
    double ns = 0;
    if (schedstat >> ns) s.cpu_s += ns / 1e9;
  }
  return s;
}

}  // namespace hemd::bench
