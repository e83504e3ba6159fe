#include "strategies/draw_estimate.h"

#include <algorithm>

namespace hemd {

namespace {

void scale_to(ChargerState& c, double amps, double voltage_v) {
  int drawing = 0;
  for (int k = 0; k < c.active_phases; ++k) drawing += c.current_a[k] > 0.5;
  if (drawing == 0) drawing = c.active_phases;  // it did not draw yet: it will on all its phases
  for (int k = 0; k < c.active_phases; ++k)
    c.current_a[k] = c.current_a[k] > 0.5 || drawing == c.active_phases ? amps : 0.0;
  c.power_w = amps * voltage_v * drawing;
}

}  // namespace

SiteSnapshot with_estimated_draw(const SiteSnapshot& site, DrawMemory& memory) {
  SiteSnapshot out = site;
  for (auto& c : out.chargers) {
    auto [it, first] = memory.chargers.try_emplace(c.id);
    DrawMemory::Limit& m = it->second;
    if (first) {
      m.amps = m.before_a = c.offered_limit_a;
    } else if (c.offered_limit_a != m.amps) {
      m.before_a = m.amps;
      m.amps = c.offered_limit_a;
      m.changed_at = site.now;
    }
    const bool stale = m.changed_at >= 0 && c.metered_at >= 0 && c.metered_at < m.changed_at + car_follows_ms;
    if (!c.online || !c.draw_trusted || !stale) continue;
    const double reported = *std::max_element(c.current_a.begin(), c.current_a.begin() + c.active_phases);
    if (m.amps < reported - 0.5)
      scale_to(c, m.amps, site.limits.voltage_v);  // a cut: the car is at the new limit within seconds
    else if (m.amps > reported + 0.5 && reported >= m.before_a - 1)
      scale_to(c, m.amps, site.limits.voltage_v);  // a raise for a car that used all it had
  }
  return out;
}

}  // namespace hemd
