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

}  // namespace hemd::modbus
