#include "drivers/modbus/measurement.h"

namespace hemd::modbus {

namespace {
const char* const names[] = {"power_w",      "current_l1_a",      "current_l2_a",
                             "current_l3_a", "voltage_l1_v",      "voltage_l2_v",
                             "voltage_l3_v", "energy_import_wh",  "energy_export_wh",
                             "soc_pct",      "energy_charged_wh", "energy_discharged_wh",
                             nullptr};
}

const char* const* quantity_names() {
  return names;
}

bool assign(Values& v, const std::string& q, double value) {
  if (q == "power_w")
    v.power_w = value;
  else if (q == "current_l1_a")
    v.current_a[0] = value;
  else if (q == "current_l2_a")
    v.current_a[1] = value;
  else if (q == "current_l3_a")
    v.current_a[2] = value;
  else if (q == "voltage_l1_v")
    v.voltage_v[0] = value;
  else if (q == "voltage_l2_v")
    v.voltage_v[1] = value;
  else if (q == "voltage_l3_v")
    v.voltage_v[2] = value;
  else if (q == "energy_import_wh")
    v.energy_import_wh = value;
  else if (q == "energy_export_wh")
    v.energy_export_wh = value;
  else if (q == "soc_pct")
    v.soc_pct = value;
  else if (q == "energy_charged_wh")
    v.energy_charged_wh = value;
  else if (q == "energy_discharged_wh")
    v.energy_discharged_wh = value;
  else
    return false;
  return true;
}

}  // namespace hemd::modbus
