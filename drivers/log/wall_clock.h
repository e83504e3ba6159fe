#pragma once
// Wall-clock time in milliseconds since the Unix epoch, for drivers and the daemon (strategies get time only
// through the snapshot).
#include <chrono>
#include <cstdint>

namespace hemd {

inline std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace hemd
