#include "drivers/modbus/register_map.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "build_info.h"
#include "config/reader.h"

namespace hemd::modbus {

bool DischargeLock::reverts() const {
  for (const auto& w : hold)
    if (w.source == Write::Source::revert_s) return true;
  return false;
}

bool DischargeLock::needs_rating() const {
  for (const auto* list : {&hold, &release})
    for (const auto& w : *list)
      if (w.source == Write::Source::rated_w) return true;
  return false;
}

namespace {

void read_writes(config::Reader& r, config::MapReader& lock, const char* key, std::vector<Write>& out,
                 const std::string& order, const std::vector<std::string>& types) {
  if (!lock.has(key)) r.error(lock.mark(), lock.path(key), "missing, expected a list of register writes");
  lock.list(key, [&](config::MapReader& m, int) {
    Write w;
    m.integer("address", w.address, 0, 65535, true);
    std::string o = order, type = "uint16", value;
    m.choice("word_order", o, {"high_first", "low_first"});
    m.choice("type", type, types);
    w.order = o == "low_first" ? WordOrder::low_first : WordOrder::high_first;
    w.type = *reg_type_from_string(type);
    m.number("scale", w.scale, -1e9, 1e9, "(a factor)");
    if (w.scale == 0) r.error(m.mark("scale"), m.path("scale"), "found 0, expected a factor other than 0");
    if (m.has("scale_register")) {
      int sf = 0;
      m.integer("scale_register", sf, 0, 65535);
      w.scale_register = sf;
    }
    m.text("value", value, true);
    if (value == "revert_s") {
      w.source = Write::Source::revert_s;
    } else if (value == "rated_w") {
      w.source = Write::Source::rated_w;
    } else if (!value.empty()) {
      char* end = nullptr;
      w.value = std::strtod(value.c_str(), &end);
      if (end != value.c_str() + value.size() || !std::isfinite(w.value))
        r.error(m.mark("value"), m.path("value"),
                "found '" + value + "', expected a number, `revert_s` or `rated_w`");
    }
    out.push_back(w);
  });
}

}  // namespace

RegisterMap read_register_map(const std::string& text, const std::string& file,
                              std::vector<config::Error>& errors) {
  RegisterMap map;
  map.file = file;
  map.name = std::filesystem::path(file).stem().string();
  config::Reader r(file, errors);
  const auto root = r.parse(text);
  if (!root) return map;
  config::MapReader top(r, *root, "", root->Mark());
  top.text("description", map.description, true);
  top.boolean("sunspec", map.sunspec);
  std::string function = "holding", order = "high_first";
  top.choice("function", function, {"holding", "input"});
  top.choice("word_order", order, {"high_first", "low_first"});
  std::vector<std::string> quantities;
  for (const char* const* q = quantity_names(); *q; ++q) quantities.emplace_back(*q);
  std::vector<std::string> types = {"int16",   "uint16", "int32",  "uint32", "acc32",
                                    "float32", "int64",  "uint64", "float64"};
  if (top.has("discharge_lock")) {
    DischargeLock lock;
    top.map("discharge_lock", [&](config::MapReader& m) {
      if (m.has("model")) {
        int model = 0;
        m.integer("model", model, 1, 65535);
        lock.model = model;
      }
      read_writes(r, m, "hold", lock.hold, order, types);
      read_writes(r, m, "release", lock.release, order, types);
    });
    map.discharge_lock = std::move(lock);
  }
  if (!map.sunspec && !top.has("points"))
    r.error(top.mark(), "points", "missing, expected a list of registers (or sunspec: true)");
  top.list("points", [&](config::MapReader& m, int) {
    Point p;
    m.choice("quantity", p.quantity, quantities);
    if (p.quantity.empty() && !m.has("quantity"))
      r.error(m.mark(), m.path("quantity"),
              "missing, expected one of: " + fmt::format("{}", fmt::join(quantities, ", ")));
    m.integer("address", p.address, 0, 65535, true);
    std::string f = function, o = order, type = "uint16";
    m.choice("function", f, {"holding", "input"});
    m.choice("word_order", o, {"high_first", "low_first"});
    m.choice("type", type, types);
    p.input = f == "input";
    p.order = o == "low_first" ? WordOrder::low_first : WordOrder::high_first;
    p.type = *reg_type_from_string(type);
    m.number("scale", p.scale, -1e9, 1e9, "(a factor)");
    if (m.has("scale_register")) {
      int sf = 0;
      m.integer("scale_register", sf, 0, 65535);
      p.scale_register = sf;
    }
    m.number("sign", p.sign, -1, 1, "(1, or -1 when the device counts export positive)");
    if (p.sign != 1 && p.sign != -1) r.error(m.mark("sign"), m.path("sign"), "expected 1 or -1");
    if (!p.quantity.empty()) map.points.push_back(p);
  });
  return map;
}

std::string device_map_dir() {
  const std::string installed = std::string(build::data_dir) + "/devices";
  if (std::filesystem::exists(installed) || !*build::source_dir) return installed;
  return std::string(build::source_dir) + "/config/devices";
}

std::optional<RegisterMap> load_register_map(const std::string& name_or_path, const std::string& dir,
                                             std::vector<config::Error>& errors) {
  const bool is_path = name_or_path.find('/') != std::string::npos;
  const std::string file = is_path ? name_or_path : dir + "/" + name_or_path + ".yaml";
  std::ifstream in(file);
  if (!in) {
    std::vector<std::string> known;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      if (e.path().extension() == ".yaml") known.push_back(e.path().stem().string());
    std::string msg = "no register map '" + name_or_path + "' (looked for " + file + ")";
    if (auto near = config::did_you_mean(name_or_path, known); !near.empty())
      msg += ", did you mean '" + near + "'?";
    errors.push_back(config::Error{file, 0, 0, "device", msg});
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const std::size_t before = errors.size();
  RegisterMap map = read_register_map(ss.str(), file, errors);
  if (errors.size() != before) return std::nullopt;
  return map;
}

std::vector<Block> plan_blocks(const RegisterMap& map, int max_registers, int max_gap) {
  // Every register a point needs, its value and its scale factor, by function.
  std::map<bool, std::vector<std::pair<int, int>>> spans;
  for (const auto& p : map.points) {
    spans[p.input].emplace_back(p.address, p.address + register_count(p.type));
    if (p.scale_register) spans[p.input].emplace_back(*p.scale_register, *p.scale_register + 1);
  }
  std::vector<Block> blocks;
  for (auto& [input, list] : spans) {
    std::sort(list.begin(), list.end());
    for (const auto& [begin, end] : list) {
      if (!blocks.empty() && blocks.back().input == input) {
        Block& b = blocks.back();
        const int b_end = b.address + b.count;
        if (begin <= b_end + max_gap && std::max(end, b_end) - b.address <= max_registers) {
          b.count = std::max(end, b_end) - b.address;
          continue;
        }
      }
      blocks.push_back(Block{input, begin, end - begin});
    }
  }
  return blocks;
}

Values decode_map(const RegisterMap& map, const std::vector<Block>& blocks,
                  const std::vector<std::vector<std::uint16_t>>& registers) {
  auto find = [&](bool input, int address, int count) -> const std::uint16_t* {
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      const Block& b = blocks[i];
      if (b.input == input && address >= b.address && address + count <= b.address + b.count &&
          registers[i].size() == static_cast<std::size_t>(b.count))
        return registers[i].data() + (address - b.address);
    }
    return nullptr;
  };
  Values v;
  for (const auto& p : map.points) {
    const std::uint16_t* regs = find(p.input, p.address, register_count(p.type));
    if (!regs) continue;
    auto value = decode(regs, p.type, p.order, p.scale_register.has_value());
    if (!value) continue;
    double x = *value * p.scale * p.sign;
    if (p.scale_register) {
      const std::uint16_t* sf = find(p.input, *p.scale_register, 1);
      auto exponent = sf ? decode(sf, RegType::sunssf, WordOrder::high_first, true) : std::nullopt;
      if (!exponent || std::abs(*exponent) > 10) continue;
      x *= std::pow(10.0, *exponent);
    }
    assign(v, p.quantity, x);
  }
  return v;
}

}  // namespace hemd::modbus
