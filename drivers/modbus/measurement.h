#pragma once
// What a meter or inverter tells hemd, in SI units with import positive. Unset = the device does not say.
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
};

// Quantities a register map may name, and where each lands in Values.
bool assign(Values& v, const std::string& quantity, double value);
const char* const* quantity_names();  // null-terminated

}  // namespace hemd::modbus
