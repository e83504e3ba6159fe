#pragma once
// Modbus registers to numbers: types, word order, and SunSpec's "not implemented" markers.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hemd::modbus {

enum class RegType { int16, uint16, int32, uint32, acc32, float32, int64, uint64, float64, sunssf };
enum class WordOrder { high_first, low_first };

int register_count(RegType t);
std::optional<RegType> reg_type_from_string(const std::string& s);

// nullopt for a "not implemented" marker (0x8000, 0xFFFF, 0x80000000, 0xFFFFFFFF, an accumulator of 0, NaN)
// when `markers` is set, and for NaN or infinity always.
std::optional<double> decode(const std::uint16_t* regs, RegType type, WordOrder order, bool markers);
// The registers that hold `value` (integers rounded to the nearest); nullopt when it does not fit the type
// (a value a device would take as something else is never written).
std::optional<std::vector<std::uint16_t>> encode(double value, RegType type, WordOrder order);

}  // namespace hemd::modbus
