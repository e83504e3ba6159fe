#pragma once
// Logs go to stderr with the syslog priority prefix that journald reads (<3> error ... <7> debug), so
// `journalctl -p warning -u hemd` shows exactly the warnings and errors.
#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "config/log_level.h"

namespace hemd::log {

using Level = config::LogLevel;

void set_level(Level max);
Level level();
bool enabled(Level l);
void write(Level l, std::string_view message);
// Text that came from outside (a payload, a charger's id or vendor string, a body, a config value), fit to
// stand in a log line: in double quotes, control characters, quotes, backslashes and bytes that are not
// valid UTF-8 escaped (\n, \", \xNN), cut after `max` bytes with the number of bytes left out. Nothing an
// outsider sends can then start a line of its own, forge journald's <N> priority or flood the journal.
std::string quoted(std::string_view outside, std::size_t max = 120);

// The last warning or error written (even if below the level shown), for status displays; "" if none.
std::string last_problem();
// The same with when it was written (wall clock, ms since the epoch; 0 if none).
struct Problem {
  std::string text;
  std::int64_t at_ms = 0;
};
Problem latest_problem();

template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::error)) write(Level::error, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warning(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::warning)) write(Level::warning, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void notice(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::notice)) write(Level::notice, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::info)) write(Level::info, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::debug)) write(Level::debug, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace hemd::log
