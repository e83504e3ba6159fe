#include "drivers/log/log.h"

#include <algorithm>
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

namespace {
// Length of the valid UTF-8 sequence at s[i], or 0 when the bytes there are not one (overlong forms,
// surrogates and code points above U+10FFFF included).
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  std::size_t n = 0;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF)
    n = 2;
  else if (c >= 0xE0 && c <= 0xEF)
    n = 3;
  else if (c >= 0xF0 && c <= 0xF4)
    n = 4;
  else
    return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((b(k) & 0xC0) != 0x80) return 0;
  if (c == 0xE0 && b(1) < 0xA0) return 0;  // overlong
  if (c == 0xED && b(1) > 0x9F) return 0;  // surrogate
  if (c == 0xF0 && b(1) < 0x90) return 0;  // overlong
  if (c == 0xF4 && b(1) > 0x8F) return 0;  // above U+10FFFF
  return n;
}

// Appends s[i..] escaped until `max` bytes of input are used; returns how many input bytes were taken.
std::size_t append_escaped(std::string& out, std::string_view s, std::size_t max, bool escape_quotes) {
  std::size_t i = 0;
  while (i < s.size() && i < max) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (escape_quotes && (c == '"' || c == '\\')) {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02X}", c);
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (const std::size_t n = utf8_length(s, i); n > 0 && i + n <= max) {
      out.append(s.substr(i, n));
      i += n;
      continue;
    } else {
      out += fmt::format("\\x{:02X}", c);
    }
    ++i;
  }
  return i;
}

// A line longer than this is cut: a message that big is always something from outside repeated in full.
constexpr std::size_t max_line = 4096;
}  // namespace

std::string quoted(std::string_view outside, std::size_t max) {
  std::string out = "\"";
  const std::size_t taken = append_escaped(out, outside, max, true);
  out += '"';
  if (taken < outside.size()) out += fmt::format("…(+{} bytes)", outside.size() - taken);
  return out;
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
