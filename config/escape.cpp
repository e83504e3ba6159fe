#include "config/escape.h"

#include <fmt/format.h>

namespace hemd {

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
}  // namespace

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

std::string quoted_text(std::string_view s, std::size_t max, char open, char close) {
  std::string out(1, open);
  const std::size_t taken = append_escaped(out, s, max, open == '"');
  out += close;
  if (taken < s.size()) out += fmt::format("…(+{} bytes)", s.size() - taken);
  return out;
}

}  // namespace hemd
