#pragma once
// Carries out a battery's discharge lock as its register map describes it: the hold (with the revert
// timeout, where the device has one) and the release. No vendor appears here; the map says what to write.
#include <string>

#include "drivers/modbus/connection.h"
#include "drivers/modbus/register_map.h"

namespace hemd::modbus {

struct LockSite {
  int unit = 1;
  double rated_w = 0;  // the battery's rating, for writes that ask for `rated_w`
  int revert_s = 60;   // the timeout written where a write asks for `revert_s`
};

// Writes the hold (`hold` true) or the release, in the map's order. A SunSpec lock finds its model on the
// chain first and reads each scale factor before it writes a scaled value. False with `error` set when a
// write failed or a value does not fit its register.
bool write_lock(Connection& c, const DischargeLock& lock, const LockSite& site, bool hold,
                std::string& error);

}  // namespace hemd::modbus
