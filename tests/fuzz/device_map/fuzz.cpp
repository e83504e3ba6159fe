// A register map (config/devices/<name>.yaml, or one the user writes): every input is a map or errors with
// file and line; the requests planned from a map are bounded and cover every point; decoding any registers
// through it gives finite numbers.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "drivers/modbus/register_map.h"

using namespace hemd::modbus;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<hemd::config::Error> errors;
  const RegisterMap map = read_register_map(text, "fuzz.yaml", errors);
  for (const auto& e : errors)
    if (e.message.empty() || e.file != "fuzz.yaml") std::abort();
  if (!errors.empty()) return 0;
  const auto blocks = plan_blocks(map);
  for (const auto& b : blocks)
    if (b.count <= 0 || b.count > 100 || b.address < 0 || b.address + b.count > 65536 + 4) std::abort();
  for (const auto& p : map.points) {
    bool covered = false;
    for (const auto& b : blocks)
      covered |= b.input == p.input && p.address >= b.address &&
                 p.address + register_count(p.type) <= b.address + b.count;
    if (!covered) std::abort();
  }
  // The map's own text as register contents: any bits must decode to finite numbers or nothing.
  std::vector<std::vector<std::uint16_t>> regs;
  std::size_t at = 0;
  for (const auto& b : blocks) {
    std::vector<std::uint16_t> r(static_cast<std::size_t>(b.count));
    for (auto& w : r) {
      w = static_cast<std::uint16_t>((size ? data[at % size] : 0) << 8 | (size ? data[(at + 1) % size] : 0));
      at += 2;
    }
    regs.push_back(std::move(r));
  }
  const Values v = decode_map(map, blocks, regs);
  auto finite = [](const std::optional<double>& x) { return !x || std::isfinite(*x); };
  if (!finite(v.power_w) || !finite(v.energy_import_wh) || !finite(v.energy_export_wh)) std::abort();
  for (int ph = 0; ph < 3; ++ph)
    if (!finite(v.current_a[ph]) || !finite(v.voltage_v[ph])) std::abort();
  return 0;
}
