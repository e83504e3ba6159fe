#include "drivers/prices/tariffs.h"

#include <fmt/format.h>

namespace hemd::prices {

namespace {

bool applies(const Rate& r, TimeMs t, const LocalTime& local) {
  if (t < r.valid_from || (r.valid_to && t >= *r.valid_to)) return false;
  if (r.months.empty()) return true;
  for (int m : r.months)
    if (m == local.date.month) return true;
  return false;
}

// The rate in force: of those that apply, the one that started last (a newer record supersedes).
const Rate* in_force(const RateLine& line, TimeMs t, const LocalTime& local) {
  const Rate* best = nullptr;
  for (const auto& r : line.rates)
    if (applies(r, t, local) && (!best || r.valid_from >= best->valid_from)) best = &r;
  return best;
}

Rate flat(const char* from, const char* to, double dkk_kwh, const char* source) {
  Rate r;
  r.valid_from = danish_midnight(*parse_date(from));
  if (to) r.valid_to = danish_midnight(*parse_date(to));
  r.hourly.fill({dkk_kwh});
  r.source = source;
  return r;
}

Rate from_record(const TariffRecord& t) {
  Rate r;
  r.valid_from = t.valid_from;
  r.valid_to = t.valid_to;
  r.hourly = t.hourly;
  r.source = fmt::format("DataHub {} {} from {}", t.gln, t.code, to_string(danish(t.valid_from).date));
  return r;
}

}  // namespace

const char* to_string(Component c) {
  switch (c) {
    case Component::net_tariff:
      return "net tariff";
    case Component::transmission:
      return "transmission tariff";
    case Component::system:
      return "system tariff";
    case Component::elafgift:
      return "elafgift";
  }
  return "?";
}

std::optional<Component> energinet_component(const TariffRecord& r) {
  if (r.note == "Elafgift" || r.code == "EA-001") return Component::elafgift;
  if (r.note == "Systemtarif" || r.code == "41000") return Component::system;
  if (r.note == "Transmissions nettarif" || r.code == "40000") return Component::transmission;
  return std::nullopt;
}

void TariffBook::add(Component c, Layer layer) {
  layers_[c].push_back(std::move(layer));
}

bool TariffBook::has(Component c) const {
  auto it = layers_.find(c);
  return it != layers_.end() && !it->second.empty();
}

Lookup TariffBook::at(Component c, TimeMs t) const {
  auto it = layers_.find(c);
  if (it == layers_.end()) return {};
  const LocalTime local = danish(t);
  for (const auto& layer : it->second) {
    Lookup found;
    for (const auto& line : layer.lines) {
      if (const Rate* r = in_force(line, t, local)) {
        found.value += r->hourly[static_cast<std::size_t>(local.hour)];
        found.source += (found.known ? " + " : "") + r->source;
        found.known = true;
      }
    }
    if (found.known) return found;
  }
  return {};
}

// Sources: DatahubPricelist (Energinet, GLN 5790000432752: EA-001, 40000, 41000) and Folketinget L 24 (2025)
// for the 2026-2027 elafgift; the 2025 elafgift and system tariffs were press figures when written. DataHub's
// live records take precedence whenever they can be fetched.
Layer builtin_rates(Component c) {
  Layer layer{"built-in", {{to_string(c), {}}}};
  auto& rates = layer.lines.front().rates;
  switch (c) {
    case Component::elafgift:
      rates = {flat("2023-01-01", "2023-07-01", 0.008, "elafgift 2023 H1 (DataHub EA-001)"),
               flat("2023-07-01", "2024-01-01", 0.697, "elafgift 2023 H2 (DataHub EA-001)"),
               flat("2024-01-01", "2025-01-01", 0.761, "elafgift 2024 (DataHub EA-001)"),
               flat("2025-01-01", "2026-01-01", 0.727, "elafgift 2025 (press figure)"),
               flat("2026-01-01", "2028-01-01", 0.008, "elafgift 2026-27 (L 24, 2025)"),
               flat("2028-01-01", nullptr, 0.609, "elafgift from 2028 (L 24, 2025: 2015 level)")};
      break;
    case Component::transmission:
      rates = {flat("2023-01-01", "2024-01-01", 0.058, "transmission 2023 (DataHub 40000)"),
               flat("2024-01-01", "2025-01-01", 0.074, "transmission 2024 (DataHub 40000)"),
               flat("2025-01-01", "2026-01-01", 0.061, "transmission 2025 (DataHub 40000)"),
               flat("2026-01-01", nullptr, 0.043, "transmission 2026 (DataHub 40000)")};
      break;
    case Component::system:
      rates = {flat("2023-01-01", "2024-01-01", 0.054, "system tariff 2023 (DataHub 41000)"),
               flat("2024-01-01", "2025-01-01", 0.051, "system tariff 2024 (DataHub 41000)"),
               flat("2025-01-01", "2026-01-01", 0.074, "system tariff 2025 (unconfirmed)"),
               flat("2026-01-01", nullptr, 0.072, "system tariff 2026 (unconfirmed)")};
      break;
    case Component::net_tariff:
      rates.clear();  // depends on the grid company: from DataHub or the config
      break;
  }
  return layer;
}

Layer datahub_net_tariff(const std::vector<TariffRecord>& records) {
  Layer layer{"DataHub", {}};
  std::map<std::string, RateLine> by_code;
  for (const auto& r : records) {
    auto& line = by_code[r.code];
    line.name = r.code;
    line.rates.push_back(from_record(r));
  }
  for (auto& [code, line] : by_code) layer.lines.push_back(std::move(line));
  return layer;
}

std::map<Component, Layer> datahub_energinet(const std::vector<TariffRecord>& records) {
  std::map<Component, Layer> out;
  for (const auto& r : records) {
    const auto c = energinet_component(r);
    if (!c) continue;
    auto& layer = out[*c];
    layer.origin = "DataHub";
    if (layer.lines.empty()) layer.lines.push_back({to_string(*c), {}});
    layer.lines.front().rates.push_back(from_record(r));
  }
  return out;
}

}  // namespace hemd::prices
