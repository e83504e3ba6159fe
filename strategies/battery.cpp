#include "strategies/battery.h"

#include <cmath>
#include <cstdio>

namespace hemd {

namespace {

template <typename... Args>
std::string text(const char* format, Args... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, format, args...);
  return buf;
}

}  // namespace

bool charges_from_grid(const ChargerState& c) {
  if (!c.online || !c.car_connected) return false;
  return c.mode == ChargeMode::now ||
         (c.mode == ChargeMode::smart && c.planned_power_w && *c.planned_power_w > 0);
}

BatteryView battery_view(const SiteSnapshot& site, const BatteryParams& p, double max_age_ms) {
  BatteryView v;
  for (const auto& b : site.batteries) {
    v.present = true;
    const bool fresh =
        b.ok() && site.now - b.power_w.at <= max_age_ms && site.now - b.soc_pct.at <= max_age_ms;
    if (!fresh) {
      v.trusted = false;
      v.rule = "battery " + b.name + " not read: safe current";
      continue;
    }
    const double w = b.power_w.value;
    const double soc = b.soc_pct.value;
    const char* name = b.name.c_str();
    std::string rule;
    if (w < -p.idle_w) {
      if (soc >= p.priority_soc) {
        v.surplus_w += -w;
        rule = text("battery %s at %.0f %% >= priority_soc %.0f %%: its charging counts as surplus", name,
                    soc, p.priority_soc);
      } else {
        rule = text("battery %s at %.0f %% < priority_soc %.0f %%: it takes the surplus first", name, soc,
                    p.priority_soc);
      }
    } else if (w > p.idle_w) {
      v.discharge_w += w;
      v.controllable = v.controllable && b.controllable;
      if (p.buffer_soc < 100 && soc > p.buffer_soc) {
        rule = text("battery %s at %.0f %% > buffer_soc %.0f %%: PV cars ride through on it", name, soc,
                    p.buffer_soc);
      } else {
        v.surplus_w -= w;
        v.import_w += w;
        rule = text("battery %s discharging %.0f W (%.0f %%): never surplus", name, w, soc);
      }
    } else {
      rule = text("battery %s idle at %.0f %%", name, soc);
    }
    if (v.trusted) v.rule += (v.rule.empty() ? "" : "; ") + rule;
  }
  return v;
}

}  // namespace hemd
