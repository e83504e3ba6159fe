#pragma once
// What a meter, inverter or home battery tells hemd, in SI units with import positive: a battery's power is
// positive while it discharges (it supplies the house, like import), negative while it charges.
// Unset = the device does not say.
#include <array>
#include <optional>
#include <string>

namespace hemd::modbus {

struct Values {
  std::optional<double> power_w;
  std::array<std::optional<double>, 3> current_a;
  std::array<std::optional<double>, 3> voltage_v;
  std::optional<double> energy_import_wh;
  std::optional<double> energy_export_wh;
  std::optional<double> soc_pct;  // a battery's state of charge
  // A battery's lifetime counters, where its inverter keeps them (hemd integrates its power otherwise).
  std::optional<double> energy_charged_wh;
  std::optional<double> energy_discharged_wh;
};

// Quantities a register map may name, and where each lands in Values.
bool assign(Values& v, const std::string& quantity, double value);
const char* const* quantity_names();  // null-terminated

}  // namespace hemd::modbus
