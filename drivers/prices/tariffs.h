#pragma once
// What the household pays on top of the spot price, per Danish local hour: the grid company's net tariff,
// Energinet's transmission and system tariffs, and the electricity tax (elafgift). All DKK/kWh excluding VAT.
//
// Each component is looked up in layers, first match wins: the user's YAML, then DataHub's records, then the
// built-in dated defaults (so a failed DataHub request never prices a quarter-hour without its tax).
#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "drivers/prices/eds.h"
#include "drivers/prices/local_time.h"
#include "drivers/prices/units.h"

namespace hemd::prices {

enum class Component { net_tariff, transmission, system, elafgift };
inline constexpr std::array<Component, 4> components = {Component::net_tariff, Component::transmission,
                                                        Component::system, Component::elafgift};
const char* to_string(Component c);

// Energinet's GLN on DataHub; its records carry the national tariffs and the tax, told apart by Note.
inline constexpr const char* energinet_gln = "5790000432752";
std::optional<Component> energinet_component(const TariffRecord& r);

struct Rate {
  TimeMs valid_from = 0;
  std::optional<TimeMs> valid_to;
  std::array<DkkPerKwh, 24> hourly{};  // by Danish local hour
  std::vector<int> months;             // 1..12 it applies in; empty = all year (YAML seasons)
  std::string source;                  // shown by `hemd prices`: where the number comes from
};

// Rates of one charge; a component sums its lines (a net tariff plus its rebate line "CD R").
struct RateLine {
  std::string name;
  std::vector<Rate> rates;
};

struct Layer {
  std::string origin;  // "config", "DataHub", "built-in"
  std::vector<RateLine> lines;
};

struct Lookup {
  DkkPerKwh value;
  bool known = false;
  std::string source;
};

class TariffBook {
 public:
  // Layers are consulted in the order they were added.
  void add(Component c, Layer layer);
  Lookup at(Component c, TimeMs t) const;
  bool has(Component c) const;

 private:
  std::map<Component, std::vector<Layer>> layers_;
};

// Taxes and national tariffs as published, with their sources; see docs/prices.md.
Layer builtin_rates(Component c);

// DataHub records of one grid company (lines by charge code) or of Energinet (by Note).
Layer datahub_net_tariff(const std::vector<TariffRecord>& records);
std::map<Component, Layer> datahub_energinet(const std::vector<TariffRecord>& records);

}  // namespace hemd::prices
