#include "drivers/log/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace hemd::log {

namespace {
std::atomic<int> max_level{static_cast<int>(Level::info)};
std::mutex write_mutex;
std::string last_problem_text;  // guarded by write_mutex
}  // namespace

void set_level(Level max) {
  max_level = static_cast<int>(max);
}
Level level() {
  return static_cast<Level>(max_level.load());
}
bool enabled(Level l) {
  return static_cast<int>(l) <= max_level;
}

void write(Level l, std::string_view message) {
  // One fwrite per line under a lock, so lines from driver threads never interleave.
  const std::string line = fmt::format("<{}>{}\n", static_cast<int>(l), message);
  std::lock_guard lock(write_mutex);
  if (l <= Level::warning) last_problem_text = message;
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace hemd::log

namespace hemd::log {
std::string last_problem() {
  std::lock_guard lock(write_mutex);
  return last_problem_text;
}
}  // namespace hemd::log
