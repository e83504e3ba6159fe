#pragma once
// A device described as data: which registers hold which quantity, in config/devices/<name>.yaml or a file
// the user names. Reading one is the same code for every vendor.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "drivers/modbus/decode.h"
#include "drivers/modbus/measurement.h"

namespace hemd::modbus {

struct Point {
  std::string quantity;
  int address = 0;
  bool input = false;  // function 4 (input registers) rather than 3 (holding)
  RegType type = RegType::uint16;
  WordOrder order = WordOrder::high_first;
  double scale = 1;                   // value * scale
  std::optional<int> scale_register;  // and * 10^(int16 at this address), SunSpec style
  double sign = 1;                    // -1 when the device counts export positive
};

struct RegisterMap {
  std::string name;
  std::string description;
  std::vector<Point> points;
  bool sunspec = false;  // a SunSpec device: the model chain says where everything is
  std::string file;
};

// Registers read in one request: contiguous enough to be cheap, and a value with its scale factor together.
struct Block {
  bool input = false;
  int address = 0;
  int count = 0;
};

RegisterMap read_register_map(const std::string& text, const std::string& file,
                              std::vector<config::Error>& errors);
// `name_or_path`: a file path, or a name looked up as <dir>/<name>.yaml.
std::optional<RegisterMap> load_register_map(const std::string& name_or_path, const std::string& dir,
                                             std::vector<config::Error>& errors);
std::string device_map_dir();

std::vector<Block> plan_blocks(const RegisterMap& map, int max_registers = 100, int max_gap = 16);
// Decodes every point from the blocks' registers (same order as plan_blocks).
Values decode_map(const RegisterMap& map, const std::vector<Block>& blocks,
                  const std::vector<std::vector<std::uint16_t>>& registers);

}  // namespace hemd::modbus
