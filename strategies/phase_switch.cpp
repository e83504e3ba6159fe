#include "strategies/phase_switch.h"

namespace hemd {

SiteSnapshot choose_phases(const SiteSnapshot& site, const ControlParams& p, double surplus_w,
                           ControlState& state) {
  SiteSnapshot s = site;
  for (auto& c : s.chargers) {
    if (!c.phase_switching || c.phases < 3 || site.limits.phases < 3) continue;
    auto& st = state.chargers[c.id];
    if (st.phases == 0) st.phases = c.phases;
    const double volts = site.limits.voltage_v;
    const double min_3p_w = c.min_current_a * volts * 3;
    // PV-led modes charge on one phase when the surplus cannot carry three; anything else wants the power.
    const bool pv_led = c.mode == ChargeMode::pv || c.mode == ChargeMode::minpv ||
                        (c.mode == ChargeMode::smart && !(c.planned_power_w && *c.planned_power_w > 0));
    int want = 3;
    if (pv_led && c.car_connected) {
      // Hysteresis: back to three phases only with 10 % more than their minimum.
      const double needed = st.phases == 3 ? min_3p_w : 1.1 * min_3p_w;
      want = surplus_w >= needed ? 3 : 1;
    }
    if (want == st.phases) {
      st.phases_wanted_since = -1;
    } else {
      if (st.phases_wanted_since < 0) st.phases_wanted_since = site.now;
      const bool lasted = site.now - st.phases_wanted_since >= p.phase_switch_delay_s * 1000;
      const bool rested = st.phases_switched_at < 0 ||
                          site.now - st.phases_switched_at >= p.min_phase_switch_interval_s * 1000;
      // A car that is not charging can be switched at once; one that is waits out the delays.
      const bool idle = !c.car_connected || (c.draw_trusted && c.power_w < 100);
      if ((lasted || idle) && rested) {
        st.phases = want;
        st.phases_switched_at = site.now;
        st.phases_wanted_since = -1;
      }
    }
    c.active_phases = st.phases;
  }
  return s;
}

}  // namespace hemd
