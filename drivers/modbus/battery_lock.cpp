#include "drivers/modbus/battery_lock.h"

#include <fmt/format.h>

#include <cmath>

#include "drivers/modbus/sunspec.h"

namespace hemd::modbus {

bool write_lock(Connection& c, const DischargeLock& lock, const LockSite& site, bool hold,
                std::string& error) {
  int base = 0;
  if (lock.model) {
    auto layout = sunspec::discover([&](int a, int n) { return c.read(site.unit, false, a, n, error); });
    const auto model = layout ? layout->find(*lock.model) : std::nullopt;
    if (!model) {
      if (error.empty()) error = fmt::format("no SunSpec model {} on unit {}", *lock.model, site.unit);
      return false;
    }
    base = model->address - 2;  // offsets count from the model's ID register
  }
  for (const auto& w : hold ? lock.hold : lock.release) {
    double value = w.value;
    if (w.source == Write::Source::revert_s) value = site.revert_s;
    if (w.source == Write::Source::rated_w) value = site.rated_w;
    double scale = w.scale;
    if (w.scale_register) {
      // SunSpec values are written in the device's own scale: 0 % stays 0, but 100 % at SF -1 is 1000.
      auto sf = c.read(site.unit, false, base + *w.scale_register, 1, error);
      auto exponent = sf ? decode(sf->data(), RegType::sunssf, WordOrder::high_first, true) : std::nullopt;
      if (!exponent || std::abs(*exponent) > 10) {
        if (error.empty())
          error = fmt::format("scale factor at {} not implemented", base + *w.scale_register);
        return false;
      }
      scale *= std::pow(10.0, *exponent);
    }
    auto regs = encode(value / scale, w.type, w.order);
    if (!regs) {
      error = fmt::format("{} does not fit the register at {}", value, base + w.address);
      return false;
    }
    if (!c.write(site.unit, base + w.address, *regs, error)) return false;
  }
  return true;
}

}  // namespace hemd::modbus
