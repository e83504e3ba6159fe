#pragma once
// 1-phase/3-phase switching for chargers that can: a 3-phase car needs 4.1 kW at its 6 A minimum, on one
// phase it starts at 1.4 kW, so a small surplus still charges it. Switching moves contactors in the charger
// and the car, so it waits for the surplus to stay in the other band and keeps a minimum time between
// switches. Pure.
#include "strategies/control.h"

namespace hemd {

// The phases each switchable charger should use now (state.chargers[id].phases), updated from the calm
// surplus; returns the snapshot with active_phases set to them for everything that follows.
SiteSnapshot choose_phases(const SiteSnapshot& site, const ControlParams& p, double surplus_w,
                           ControlState& state);

}  // namespace hemd
