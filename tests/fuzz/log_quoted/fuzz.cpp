// Anything from outside, quoted for the log, must stay one printable line that cannot forge a priority.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "drivers/log/log.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::size_t max = size == 0 ? 0 : data[0];
  const std::string q = hemd::log::quoted(in, max);
  if (q.size() < 2 || q.front() != '"') std::abort();
  for (const char c : q)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) std::abort();  // no newline, no control byte
  // At most 4 output bytes (\xNN) per input byte taken, the quotes and the note of what was cut.
  if (q.size() > 4 * max + 2 + 32) std::abort();
  return 0;
}
