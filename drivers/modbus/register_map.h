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

// One register write of a battery's discharge lock. The value is a fixed number, or what the site decides:
// the revert timeout hemd writes (`revert_s`), or the battery's rated power (`rated_w`, from the meter's
// max_power_w). Register = value / scale (/ 10^sunssf at scale_register).
struct Write {
  enum class Source { fixed, revert_s, rated_w };
  int address = 0;  // absolute; with the lock's `model`, the offset from that SunSpec model's start (ID = 0)
  RegType type = RegType::uint16;
  WordOrder order = WordOrder::high_first;
  double scale = 1;
  std::optional<int> scale_register;
  Source source = Source::fixed;
  double value = 0;
};

// How a battery is told not to discharge, and told to go back to its own self-consumption. Described as data
// so that no vendor appears in code (docs/meters.md).
struct DischargeLock {
  std::optional<int> model;    // SunSpec: addresses are offsets into this model, found on the chain
  std::vector<Write> hold;     // in order; renewed while the lock lasts
  std::vector<Write> release;  // in order
  // The device releases by itself when hemd stops renewing (a hold write carries `revert_s`).
  bool reverts() const;
  bool needs_rating() const;  // a write asks for `rated_w`
};

struct RegisterMap {
  std::string name;
  std::string description;
  std::vector<Point> points;
  std::optional<DischargeLock> discharge_lock;
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
