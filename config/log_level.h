#pragma once
// How much hemd logs, as syslog priorities (journald reads the <N> prefix). One enum: the config names it
// (`log_level`, `--log-level`), drivers/log writes by it (log::Level is this type).
#include <array>
#include <optional>
#include <string>

namespace hemd::config {

enum class LogLevel { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

inline constexpr std::array<LogLevel, 5> log_levels = {LogLevel::error, LogLevel::warning, LogLevel::notice,
                                                       LogLevel::info, LogLevel::debug};

inline const char* to_string(LogLevel l) {
  switch (l) {
    case LogLevel::error:
      return "error";
    case LogLevel::warning:
      return "warning";
    case LogLevel::notice:
      return "notice";
    case LogLevel::info:
      return "info";
    case LogLevel::debug:
      return "debug";
  }
  return "info";
}

inline std::optional<LogLevel> log_level_from_string(const std::string& s) {
  for (const LogLevel l : log_levels)
    if (s == to_string(l)) return l;
  return std::nullopt;
}

}  // namespace hemd::config
