#include "drivers/log/log.h"

#include "config/escape.h"
#include "drivers/log/wall_clock.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>

namespace hemd::log {

namespace {
std::atomic<int> max_level{static_cast<int>(Level::info)};
std::mutex write_mutex;
std::string last_problem_text;  // guarded by write_mutex
std::int64_t last_problem_at = 0;
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

namespace {
// A line longer than this is cut: a message that big is always something from outside repeated in full.
constexpr std::size_t max_line = 4096;
}  // namespace

std::string quoted(std::string_view outside, std::size_t max) {
  return quoted_text(outside, max);
}

void write(Level l, std::string_view raw) {
  // Every message becomes exactly one line, whatever a caller forgot to quote: a newline from outside could
  // otherwise start a line of its own with a forged <N> priority.
  std::string message;
  message.reserve(std::min(raw.size(), max_line) + 16);
  const std::size_t taken = append_escaped(message, raw, max_line, false);
  if (taken < raw.size()) message += fmt::format("…(+{} bytes)", raw.size() - taken);
  // One fwrite per line under a lock, so lines from driver threads never interleave.
  const std::string line = fmt::format("<{}>{}\n", static_cast<int>(l), message);
  std::lock_guard lock(write_mutex);
  if (l <= Level::warning) {
    last_problem_text = message;
    last_problem_at = wall_ms();
  }
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace hemd::log

namespace hemd::log {
std::string last_problem() {
  std::lock_guard lock(write_mutex);
  return last_problem_text;
}
Problem latest_problem() {
  std::lock_guard lock(write_mutex);
  return {last_problem_text, last_problem_at};
}
}  // namespace hemd::log
