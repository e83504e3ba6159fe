#include "daemon/modbus_commands.h"

#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <set>
#include <string>

#include "config/config.h"
#include "daemon/commands.h"
#include "daemon/modbus_input.h"
#include "drivers/modbus/poller.h"

namespace hemd {

namespace {

std::string show(const std::optional<double>& v, const char* unit, int digits = 1) {
  return v ? fmt::format("{:.{}f} {}", *v, digits, unit) : "—";
}

void print_values(const modbus::Values& v) {
  std::cout << fmt::format("  power   {}\n", show(v.power_w, "W", 0))
            << fmt::format("  current {} / {} / {}\n", show(v.current_a[0], "A", 2),
                           show(v.current_a[1], "A", 2), show(v.current_a[2], "A", 2))
            << fmt::format("  voltage {} / {} / {}\n", show(v.voltage_v[0], "V"), show(v.voltage_v[1], "V"),
                           show(v.voltage_v[2], "V"))
            << fmt::format("  energy  import {}  export {}\n", show(v.energy_import_wh, "Wh", 0),
                           show(v.energy_export_wh, "Wh", 0));
  if (v.soc_pct) std::cout << fmt::format("  battery SoC {}\n", show(v.soc_pct, "%"));
  if (v.energy_charged_wh || v.energy_discharged_wh)
    std::cout << fmt::format("  battery charged {}  discharged {}\n", show(v.energy_charged_wh, "Wh", 0),
                             show(v.energy_discharged_wh, "Wh", 0));
}

// "1,2,240" or "1-10" or a mix.
std::optional<std::vector<int>> parse_units(const std::string& text) {
  std::vector<int> units;
  std::size_t at = 0;
  while (at <= text.size()) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    const std::string part = text.substr(at, comma - at);
    try {
      const auto dash = part.find('-');
      const int lo = std::stoi(part.substr(0, dash));
      const int hi = dash == std::string::npos ? lo : std::stoi(part.substr(dash + 1));
      if (lo < 0 || hi > 255 || lo > hi) return std::nullopt;
      for (int u = lo; u <= hi; ++u) units.push_back(u);
    } catch (const std::exception&) {
      return std::nullopt;
    }
    at = comma + 1;
  }
  return units;
}

struct ScanOptions {
  std::string host;
  int port = 502;
  std::string units = "1,2,3,71,100,126,240,247";  // the usual ones: Fronius 1/240, SMA 126, Kostal 71, ...
  int timeout_ms = 300;
};

int run_scan(const ScanOptions& o) {
  auto units = parse_units(o.units);
  if (!units) {
    std::cerr << fmt::format("hemd scan: --units {}: expected unit ids like 1,2,240 or 1-10 (0-255)\n",
                             o.units);
    return 1;
  }
  modbus::Connection c(modbus::Endpoint{o.host, o.port, "", 9600, 'N', 8, 1},
                       std::chrono::milliseconds(o.timeout_ms));
  std::cout << fmt::format("Scanning {}:{} units {}\n", o.host, o.port, o.units);
  int found = 0;
  for (int unit : *units) {
    std::string error;
    auto layout = modbus::sunspec::discover([&](int a, int n) { return c.read(unit, false, a, n, error); });
    if (layout) {
      ++found;
      std::cout << fmt::format("unit {}: SunSpec at {}: {} {} (serial {})\n", unit, layout->base,
                               layout->manufacturer, layout->model_name, layout->serial);
      for (const auto& m : layout->models)
        std::cout << fmt::format("  model {:3} at {:5}, {} registers: {}\n", m.id, m.address, m.length,
                                 modbus::sunspec::model_name(m.id));
      if (auto m = layout->measurement_model()) {
        if (auto block = c.read(unit, false, m->address, m->length, error))
          print_values(modbus::sunspec::parse(m->id, *block));
      }
      for (const auto& m : layout->storage_models()) {
        // A battery on the same chain: what `role: battery` reads (802: SoC and power, 124: SoC).
        if (auto block = c.read(unit, false, m.address, m.length, error)) {
          const auto v = modbus::sunspec::parse_storage(m.id, *block);
          std::cout << fmt::format("  battery (model {}): power {} (+ = discharging), SoC {}\n", m.id,
                                   show(v.power_w, "W", 0), show(v.soc_pct, "%"));
        }
      }
      std::cout << fmt::format("  in hemd.yaml: device: sunspec, host: {}, port: {}, unit: {}\n", o.host,
                               o.port, unit);
      continue;
    }
    if (!c.open() && error.find("cannot connect") != std::string::npos) {
      std::cerr << fmt::format("hemd scan: {}\n", error);
      return 1;
    }
    // A Modbus exception is an answer: something is there, it just is not SunSpec.
    if (error.find("Illegal") != std::string::npos || error.find("illegal") != std::string::npos) {
      ++found;
      std::cout << fmt::format(
          "unit {}: answers, not SunSpec ({}); try a register map from config/devices/\n", unit,
          error.substr(error.rfind(": ") + 2));
    }
  }
  std::cout << fmt::format("{} device(s) found\n", found);
  return found > 0 ? 0 : 1;
}

int run_read(const std::string& config_path, const std::string& name) {
  auto result = config::load_file(config_path);
  if (!result.config) {
    for (const auto& e : result.errors) std::cerr << e.to_string() << "\n";
    return 1;
  }
  const auto& cfg = *result.config;
  std::vector<std::string> names;
  for (const auto& m : cfg.meters) {
    names.push_back(m.name);
    if (m.name != name) continue;
    std::vector<config::Error> errors;
    auto spec = device_spec(cfg, m, errors);
    for (const auto& e : errors) std::cerr << e.to_string() << "\n";
    if (!errors.empty()) return 1;
    modbus::Poller poller(endpoint_of(m), {spec}, std::chrono::milliseconds(1000));
    poller.poll_once();
    const auto s = *poller.state(name);
    if (s.at_ms == 0) {
      std::cerr << fmt::format("{} ({} unit {}): {}\n", name, endpoint_of(m).describe(), m.unit, s.error);
      return 1;
    }
    std::cout << fmt::format("{} ({} unit {}, role {}): {}\n", name, endpoint_of(m).describe(), m.unit,
                             to_string(m.role), s.identity);
    print_values(s.values);
    return 0;
  }
  std::cerr << fmt::format("hemd read: no meter named '{}' in {} (meters: {})\n", name, config_path,
                           fmt::join(names, ", "));
  return 1;
}

}  // namespace

void add_modbus_commands(CLI::App& cli) {
  auto scan = std::make_shared<ScanOptions>();
  CLI::App* s =
      cli.add_subcommand("scan", "Find Modbus and SunSpec devices on a host and show their live values");
  s->add_option("--host", scan->host, "Host name or address of the device or gateway")->required();
  s->add_option("--port", scan->port, "TCP port")->capture_default_str();
  s->add_option("--units", scan->units, "Unit ids to try, like 1,2,240 or 1-10")->capture_default_str();
  s->add_option("--timeout-ms", scan->timeout_ms, "Per request")->capture_default_str();
  add_command(s, [scan] { return run_scan(*scan); });

  auto name = std::make_shared<std::string>();
  CLI::App* r = cli.add_subcommand("read", "Read a configured meter once and print its values");
  r->add_option("meter", *name, "The meter's name in the config")->required();
  add_command(r, [name] { return run_read(config_file().path, *name); });
}

}  // namespace hemd
