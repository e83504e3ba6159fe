#include "drivers/modbus/decode.h"

#include <cmath>
#include <cstring>

namespace hemd::modbus {

int register_count(RegType t) {
  switch (t) {
    case RegType::int16:
    case RegType::uint16:
    case RegType::sunssf:
      return 1;
    case RegType::int32:
    case RegType::uint32:
    case RegType::acc32:
    case RegType::float32:
      return 2;
    case RegType::int64:
    case RegType::uint64:
    case RegType::float64:
      return 4;
  }
  return 1;
}

std::optional<RegType> reg_type_from_string(const std::string& s) {
  static const std::pair<const char*, RegType> names[] = {
      {"int16", RegType::int16},   {"uint16", RegType::uint16}, {"int32", RegType::int32},
      {"uint32", RegType::uint32}, {"acc32", RegType::acc32},   {"float32", RegType::float32},
      {"int64", RegType::int64},   {"uint64", RegType::uint64}, {"float64", RegType::float64},
      {"sunssf", RegType::sunssf}};
  for (const auto& [name, t] : names)
    if (s == name) return t;
  return std::nullopt;
}

std::optional<double> decode(const std::uint16_t* regs, RegType type, WordOrder order, bool markers) {
  const int n = register_count(type);
  std::uint64_t raw = 0;
  for (int i = 0; i < n; ++i) {
    const std::uint16_t word = order == WordOrder::high_first ? regs[i] : regs[n - 1 - i];
    raw = (raw << 16) | word;
  }
  switch (type) {
    case RegType::int16:
    case RegType::sunssf: {
      if (markers && raw == 0x8000) return std::nullopt;
      return static_cast<double>(static_cast<std::int16_t>(raw));
    }
    case RegType::uint16:
      if (markers && raw == 0xFFFF) return std::nullopt;
      return static_cast<double>(raw);
    case RegType::int32:
      if (markers && raw == 0x80000000u) return std::nullopt;
      return static_cast<double>(static_cast<std::int32_t>(raw));
    case RegType::uint32:
      if (markers && raw == 0xFFFFFFFFu) return std::nullopt;
      return static_cast<double>(raw);
    case RegType::acc32:
      if (markers && raw == 0) return std::nullopt;
      return static_cast<double>(raw);
    case RegType::int64:
      if (markers && raw == 0x8000000000000000ull) return std::nullopt;
      return static_cast<double>(static_cast<std::int64_t>(raw));
    case RegType::uint64:
      if (markers && raw == 0xFFFFFFFFFFFFFFFFull) return std::nullopt;
      return static_cast<double>(raw);
    case RegType::float32: {
      const std::uint32_t bits = static_cast<std::uint32_t>(raw);
      float f;
      std::memcpy(&f, &bits, sizeof f);
      if (!std::isfinite(f)) return std::nullopt;
      return f;
    }
    case RegType::float64: {
      double d;
      std::memcpy(&d, &raw, sizeof d);
      if (!std::isfinite(d)) return std::nullopt;
      return d;
    }
  }
  return std::nullopt;
}

std::optional<std::vector<std::uint16_t>> encode(double value, RegType type, WordOrder order) {
  if (!std::isfinite(value)) return std::nullopt;
  const int n = register_count(type);
  std::uint64_t raw = 0;
  const double whole = std::round(value);
  auto fits = [&](double lo, double hi) { return whole >= lo && whole <= hi; };
  switch (type) {
    case RegType::int16:
    case RegType::sunssf:
      if (!fits(-32767, 32767)) return std::nullopt;  // -32768 is "not implemented"
      raw = static_cast<std::uint16_t>(static_cast<std::int16_t>(whole));
      break;
    case RegType::uint16:
      if (!fits(0, 65534)) return std::nullopt;
      raw = static_cast<std::uint64_t>(whole);
      break;
    case RegType::int32:
      if (!fits(-2147483647.0, 2147483647.0)) return std::nullopt;
      raw = static_cast<std::uint32_t>(static_cast<std::int32_t>(whole));
      break;
    case RegType::uint32:
    case RegType::acc32:
      if (!fits(0, 4294967294.0)) return std::nullopt;
      raw = static_cast<std::uint64_t>(whole);
      break;
    case RegType::int64:
      if (!fits(-9.2e18, 9.2e18)) return std::nullopt;
      raw = static_cast<std::uint64_t>(static_cast<std::int64_t>(whole));
      break;
    case RegType::uint64:
      if (!fits(0, 1.8e19)) return std::nullopt;
      raw = static_cast<std::uint64_t>(whole);
      break;
    case RegType::float32: {
      const float f = static_cast<float>(value);
      std::uint32_t bits;
      std::memcpy(&bits, &f, sizeof bits);
      raw = bits;
      break;
    }
    case RegType::float64:
      std::memcpy(&raw, &value, sizeof raw);
      break;
  }
  std::vector<std::uint16_t> regs(n);
  for (int i = 0; i < n; ++i) {
    const auto word = static_cast<std::uint16_t>(raw >> (16 * (n - 1 - i)));
    regs[order == WordOrder::high_first ? i : n - 1 - i] = word;
  }
  return regs;
}

}  // namespace hemd::modbus
