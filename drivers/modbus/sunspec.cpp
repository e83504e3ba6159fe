#include "drivers/modbus/sunspec.h"

#include <algorithm>
#include <cmath>

#include "drivers/modbus/decode.h"

namespace hemd::modbus::sunspec {

namespace {

constexpr std::uint16_t marker[] = {0x5375, 0x6E53};  // "SunS"
constexpr int max_models = 64;

std::string text(const std::vector<std::uint16_t>& regs, std::size_t offset, std::size_t count) {
  std::string s;
  for (std::size_t i = offset; i < offset + count && i < regs.size(); ++i) {
    s += static_cast<char>(regs[i] >> 8);
    s += static_cast<char>(regs[i] & 0xFF);
  }
  while (!s.empty() && (s.back() == '\0' || s.back() == ' ')) s.pop_back();
  // SunSpec strings are ASCII; anything else a device holds there is shown as '?', never passed on to a
  // terminal or the log as it came.
  for (char& c : s)
    if (c < 0x20 || c > 0x7E) c = '?';
  return s;
}

// An integer point scaled by its SunSpec scale factor, both from the same block.
std::optional<double> scaled(const std::vector<std::uint16_t>& b, std::size_t at, RegType type,
                             std::size_t sf_at) {
  if (at + register_count(type) > b.size() || sf_at >= b.size()) return std::nullopt;
  auto v = decode(&b[at], type, WordOrder::high_first, true);
  auto sf = decode(&b[sf_at], RegType::sunssf, WordOrder::high_first, true);
  if (!v || !sf || std::abs(*sf) > 10) return std::nullopt;
  return *v * std::pow(10.0, *sf);
}

std::optional<double> real(const std::vector<std::uint16_t>& b, std::size_t at) {
  if (at + 2 > b.size()) return std::nullopt;
  return decode(&b[at], RegType::float32, WordOrder::high_first, true);
}

}  // namespace

bool known_measurement_model(int id) {
  return (id >= 101 && id <= 103) || (id >= 111 && id <= 113) || (id >= 201 && id <= 204) ||
         (id >= 211 && id <= 214);
}

std::string model_name(int id) {
  if (id == 1) return "common";
  if (id >= 101 && id <= 103) return "inverter (" + std::to_string(id - 100) + "-phase, int+SF)";
  if (id >= 111 && id <= 113) return "inverter (" + std::to_string(id - 110) + "-phase, float)";
  if (id >= 201 && id <= 204) return "meter (int+SF)";
  if (id >= 211 && id <= 214) return "meter (float)";
  if (id == 124) return "storage controls";
  if (id == 802) return "battery";
  if (id == 160) return "multiple MPPT";
  return "model " + std::to_string(id);
}

std::optional<Model> Layout::measurement_model(bool prefer_meter) const {
  std::optional<Model> first;
  for (const auto& m : models) {
    if (!known_measurement_model(m.id)) continue;
    if ((m.id >= 200) == prefer_meter) return m;
    if (!first) first = m;
  }
  return first;
}

std::optional<Model> Layout::find(int id) const {
  for (const auto& m : models)
    if (m.id == id) return m;
  return std::nullopt;
}

std::vector<Model> Layout::storage_models() const {
  std::vector<Model> found;
  for (int id : {802, 124})
    if (auto m = find(id)) found.push_back(*m);
  return found;
}

bool Layout::is_meter() const {
  auto m = measurement_model();
  return m && m->id >= 200;
}

std::optional<Layout> discover(const ReadHolding& read) {
  for (int base : base_addresses) {
    auto head = read(base, 2);
    if (!head || (*head)[0] != marker[0] || (*head)[1] != marker[1]) continue;
    Layout layout;
    layout.base = base;
    int at = base + 2;
    for (int i = 0; i < max_models; ++i) {
      auto header = read(at, 2);
      if (!header || (*header)[0] == 0xFFFF || (*header)[1] == 0) break;
      Model m{(*header)[0], at + 2, (*header)[1]};
      layout.models.push_back(m);
      if (m.id == 1) {
        if (auto common = read(m.address, std::min(m.length, 64))) {
          layout.manufacturer = text(*common, 0, 16);
          layout.model_name = text(*common, 16, 16);
          layout.serial = text(*common, 48, 16);
        }
      }
      at = m.address + m.length;
    }
    return layout;
  }
  return std::nullopt;
}

Values parse_storage(int id, const std::vector<std::uint16_t>& b) {
  // Indexes are into the data block, which starts after ID and L: the model's offset minus 2.
  Values v;
  if (id == 802) {
    v.soc_pct = scaled(b, 9, RegType::uint16, 54);
    v.power_w = scaled(b, 45, RegType::int16, 61);
  } else if (id == 124) {
    v.soc_pct = scaled(b, 6, RegType::uint16, 20);
  } else if (id == 160) {
    v.power_w = mppt_battery_power(b);
  }
  return v;
}

// Model 160 (multiple MPPT): a hybrid inverter whose chain has 124 but no 802 (Fronius GEN24, Verto) shows
// its battery as two DC modules named by their IDStr: "StCha n" (charging) and "StDisCha n" (discharging),
// each with a positive DCW. By the names rather than the module numbers, which differ between models.
std::optional<double> mppt_battery_power(const std::vector<std::uint16_t>& b) {
  constexpr std::size_t header = 8, module_length = 20, dcw_sf = 2;
  if (b.size() < header) return std::nullopt;
  const std::size_t modules = std::min<std::size_t>(b[6], (b.size() - header) / module_length);
  std::optional<double> power;
  for (std::size_t k = 0; k < modules; ++k) {
    const std::size_t at = header + k * module_length;
    const std::string name = text(b, at + 1, 8);
    const bool discharging = name.rfind("StDisCha", 0) == 0, charging = name.rfind("StCha", 0) == 0;
    if (!discharging && !charging) continue;
    const auto w = scaled(b, at + 11, RegType::uint16, dcw_sf);
    if (!w) return std::nullopt;  // a battery module without its power: not to be guessed
    power = power.value_or(0) + (discharging ? *w : -*w);
  }
  return power;
}

Values parse(int id, const std::vector<std::uint16_t>& b) {
  Values v;
  if (id >= 101 && id <= 103) {
    for (int ph = 0; ph < 3; ++ph) {
      v.current_a[ph] = scaled(b, 1 + ph, RegType::uint16, 4);
      v.voltage_v[ph] = scaled(b, 8 + ph, RegType::uint16, 11);
    }
    v.power_w = scaled(b, 12, RegType::int16, 13);
    v.energy_export_wh = scaled(b, 22, RegType::acc32, 24);  // an inverter's production
  } else if (id >= 111 && id <= 113) {
    for (int ph = 0; ph < 3; ++ph) {
      v.current_a[ph] = real(b, 2 + 2 * ph);
      v.voltage_v[ph] = real(b, 14 + 2 * ph);
    }
    v.power_w = real(b, 20);
    v.energy_export_wh = real(b, 30);
  } else if (id >= 201 && id <= 204) {
    for (int ph = 0; ph < 3; ++ph) {
      v.current_a[ph] = scaled(b, 1 + ph, RegType::int16, 4);
      v.voltage_v[ph] = scaled(b, 6 + ph, RegType::int16, 13);
    }
    v.power_w = scaled(b, 16, RegType::int16, 20);
    v.energy_export_wh = scaled(b, 36, RegType::acc32, 52);
    v.energy_import_wh = scaled(b, 44, RegType::acc32, 52);
  } else if (id >= 211 && id <= 214) {
    for (int ph = 0; ph < 3; ++ph) {
      v.current_a[ph] = real(b, 2 + 2 * ph);
      v.voltage_v[ph] = real(b, 10 + 2 * ph);
    }
    v.power_w = real(b, 26);
    v.energy_export_wh = real(b, 58);
    v.energy_import_wh = real(b, 66);
  }
  if (id < 200) {
    // Single-phase inverters leave the other phases unimplemented; that is not a failure.
    for (int ph = (id % 10) == 1 ? 1 : 3; ph < 3; ++ph) v.current_a[ph] = v.voltage_v[ph] = std::nullopt;
  }
  return v;
}

}  // namespace hemd::modbus::sunspec
