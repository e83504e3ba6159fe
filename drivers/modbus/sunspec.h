#pragma once
// SunSpec: find the "SunS" marker, walk the model chain, read inverters (101-103, 111-113), meters
// (201-204, 211-214) and storage (124 basic storage controls, 802 battery base) in one request per model, so
// values and scale factors always belong together.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "drivers/modbus/measurement.h"

namespace hemd::modbus::sunspec {

inline constexpr int base_addresses[] = {40000, 0, 50000};

struct Model {
  int id = 0;
  int address = 0;  // first data register (after ID and L)
  int length = 0;
};

struct Layout {
  int base = 0;
  std::vector<Model> models;
  std::string manufacturer, model_name, serial;
  // The model hemd reads values from (the first inverter or meter model), if any.
  std::optional<Model> measurement_model(bool prefer_meter = false) const;
  bool is_meter() const;
  std::optional<Model> find(int id) const;
  // The storage models a battery is read from: 802 (SoC and power) and 124 (SoC), those present.
  std::vector<Model> storage_models() const;
};

// Reads `count` holding registers at `address`, or nullopt.
using ReadHolding = std::function<std::optional<std::vector<std::uint16_t>>(int address, int count)>;

std::optional<Layout> discover(const ReadHolding& read);
// Values of a known inverter or meter model from its data block; empty Values for other models.
Values parse(int model_id, const std::vector<std::uint16_t>& block);
bool known_measurement_model(int id);
// A battery's values from model 802 (SoC, power: SunSpec leaves W's sign open; hemd reads it as positive
// while discharging, as Kostal documents) or 124 (ChaState as the SoC; no power).
Values parse_storage(int model_id, const std::vector<std::uint16_t>& block);
// The battery's power from model 160's modules named StCha/StDisCha (positive discharging), if it has them.
std::optional<double> mppt_battery_power(const std::vector<std::uint16_t>& block);
std::string model_name(int id);

}  // namespace hemd::modbus::sunspec
