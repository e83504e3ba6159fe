#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "drivers/modbus/register_map.h"
#include "drivers/modbus/sunspec.h"

namespace hemd::modbus {
namespace {

TEST(Decode, TypesAndWordOrder) {
  const std::uint16_t f[] = {0x4558, 0x0000};  // 3456.0f
  EXPECT_EQ(*decode(f, RegType::float32, WordOrder::high_first, false), 3456.0);
  const std::uint16_t f_swapped[] = {0x0000, 0x4558};
  EXPECT_EQ(*decode(f_swapped, RegType::float32, WordOrder::low_first, false), 3456.0);
  const std::uint16_t neg[] = {0xFFFF, 0xF280};  // -3456
  EXPECT_EQ(*decode(neg, RegType::int32, WordOrder::high_first, false), -3456);
  const std::uint16_t i16[] = {0xFFFE};
  EXPECT_EQ(*decode(i16, RegType::int16, WordOrder::high_first, false), -2);
  EXPECT_EQ(*decode(i16, RegType::uint16, WordOrder::high_first, false), 65534);
  const std::uint16_t big[] = {0, 1, 0, 0};
  EXPECT_EQ(*decode(big, RegType::uint64, WordOrder::high_first, false), 4294967296.0);
}

TEST(Decode, SunSpecNotImplementedMarkers) {
  const std::uint16_t i16[] = {0x8000}, u16[] = {0xFFFF}, acc[] = {0, 0}, i32[] = {0x8000, 0};
  const std::uint16_t nan[] = {0x7FC0, 0};
  EXPECT_FALSE(decode(i16, RegType::int16, WordOrder::high_first, true));
  EXPECT_FALSE(decode(u16, RegType::uint16, WordOrder::high_first, true));
  EXPECT_FALSE(decode(acc, RegType::acc32, WordOrder::high_first, true));
  EXPECT_FALSE(decode(i32, RegType::int32, WordOrder::high_first, true));
  EXPECT_FALSE(decode(nan, RegType::float32, WordOrder::high_first, false));  // NaN is never a value
  // Without markers (vendor maps) the same bits are ordinary numbers.
  EXPECT_EQ(*decode(i16, RegType::int16, WordOrder::high_first, false), -32768);
}

TEST(SunSpec, ScaleFactorsAndMissingPhases) {
  std::vector<std::uint16_t> b(50, 0);
  b[1] = 55;      // AphA
  b[4] = 0xFFFF;  // A_SF = -1
  b[12] = 346;    // W
  b[13] = 1;      // W_SF = +1
  b[8] = 2301;
  b[11] = 0xFFFF;                   // V_SF = -1
  auto v = sunspec::parse(101, b);  // single-phase inverter
  EXPECT_NEAR(*v.current_a[0], 5.5, 1e-9);
  EXPECT_FALSE(v.current_a[1]);
  EXPECT_NEAR(*v.power_w, 3460, 1e-9);
  EXPECT_NEAR(*v.voltage_v[0], 230.1, 1e-9);
  b[13] = 0x8000;  // scale factor not implemented: the value cannot be trusted
  EXPECT_FALSE(sunspec::parse(101, b).power_w);
}

// Models 802 and 124, indexes into the data block (the model's offset minus ID and L).
TEST(SunSpec, StorageModelsGiveSocAndPowerWithTheirScaleFactors) {
  std::vector<std::uint16_t> b802(62, 0);
  b802[9] = 654;                                // SoC
  b802[54] = 0xFFFF;                            // SoC_SF = -1
  b802[45] = static_cast<std::uint16_t>(-250);  // W
  b802[61] = 1;                                 // W_SF = +1
  auto v = sunspec::parse_storage(802, b802);
  EXPECT_NEAR(*v.soc_pct, 65.4, 1e-9);
  EXPECT_NEAR(*v.power_w, -2500, 1e-9);
  std::vector<std::uint16_t> b124(24, 0);
  b124[6] = 42;  // ChaState
  b124[20] = 0;  // ChaState_SF
  v = sunspec::parse_storage(124, b124);
  EXPECT_NEAR(*v.soc_pct, 42, 1e-9);
  EXPECT_FALSE(v.power_w);
  b124[20] = 0x8000;  // not implemented
  EXPECT_FALSE(sunspec::parse_storage(124, b124).soc_pct);
}

// Model 160 as Fronius GEN24 has it: two PV strings, then the battery as "StCha 3" and "StDisCha 4".
TEST(SunSpec, TheBatteryPowerComesFromTheMpptModulesNamedForIt) {
  auto module = [](const char* name, std::uint16_t watts) {
    std::vector<std::uint16_t> m(20, 0);
    for (std::size_t i = 0; name[i]; ++i)
      m[1 + i / 2] |= static_cast<std::uint16_t>(static_cast<unsigned char>(name[i]) << (i % 2 ? 0 : 8));
    m[11] = watts;
    return m;
  };
  auto model160 = [&](std::uint16_t charging, std::uint16_t discharging, std::uint16_t sf) {
    std::vector<std::uint16_t> b(8, 0);
    b[2] = sf;  // DCW_SF
    b[6] = 4;   // N
    for (const auto& m : {module("MPPT 1", 2100), module("MPPT 2", 900), module("StCha 3", charging),
                          module("StDisCha 4", discharging)})
      b.insert(b.end(), m.begin(), m.end());
    return b;
  };
  EXPECT_NEAR(*sunspec::mppt_battery_power(model160(0, 345, 1)), 3450, 1e-9);  // discharging, SF +1
  EXPECT_NEAR(*sunspec::mppt_battery_power(model160(1200, 0, 0)), -1200, 1e-9);
  EXPECT_FALSE(sunspec::mppt_battery_power(model160(0, 0xFFFF, 0))) << "not implemented is not 0 W";
  auto pv_only = model160(0, 0, 0);
  pv_only.resize(8 + 2 * 20);  // two PV strings, no battery module
  pv_only[6] = 2;
  EXPECT_FALSE(sunspec::mppt_battery_power(pv_only));
}

TEST(SunSpec, DiscoveryTriesEachBaseAndWalksTheChain) {
  std::map<int, std::uint16_t> regs;
  auto put = [&](int at, std::vector<std::uint16_t> words) {
    for (std::size_t i = 0; i < words.size(); ++i) regs[at + static_cast<int>(i)] = words[i];
  };
  put(50000, {0x5375, 0x6E53, 1, 2, 0x4142, 0x4344, 203, 3, 0, 0, 0, 0xFFFF, 0});
  auto layout = sunspec::discover([&](int a, int n) -> std::optional<std::vector<std::uint16_t>> {
    std::vector<std::uint16_t> out;
    for (int i = 0; i < n; ++i) {
      auto it = regs.find(a + i);
      if (it == regs.end()) return std::nullopt;  // like an illegal address exception
      out.push_back(it->second);
    }
    return out;
  });
  ASSERT_TRUE(layout);
  EXPECT_EQ(layout->base, 50000);
  ASSERT_EQ(layout->models.size(), 2u);
  EXPECT_EQ(layout->models[1].id, 203);
  EXPECT_EQ(layout->models[1].address, 50008);
  EXPECT_TRUE(layout->is_meter());
}

TEST(RegisterMaps, EveryShippedMapIsValid) {
  int n = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(std::string(HEMD_SOURCE_DIR) + "/config/devices")) {
    std::vector<config::Error> errors;
    auto map = load_register_map(e.path().string(), "", errors);
    for (const auto& err : errors) ADD_FAILURE() << err.to_string();
    ASSERT_TRUE(map) << e.path();
    EXPECT_TRUE(map->sunspec || !map->points.empty()) << e.path();
    ++n;
  }
  EXPECT_GE(n, 11);
}

TEST(RegisterMaps, ErrorsNameFileLineAndKey) {
  std::vector<config::Error> errors;
  read_register_map(
      "description: mine\npoints:\n  - {quantity: power, address: 52, type: float}\n"
      "  - {quantity: power_w, adress: 3}\n",
      "/etc/hemd/devices/mine.yaml", errors);
  std::string all;
  for (const auto& e : errors) all += e.to_string() + "\n";
  EXPECT_NE(all.find("/etc/hemd/devices/mine.yaml:3:16: points[0].quantity: found 'power', expected one of:"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("points[0].type: found 'float', expected one of"), std::string::npos) << all;
  EXPECT_NE(all.find("did you mean 'float32'?"), std::string::npos) << all;
  EXPECT_NE(all.find("points[1].adress: unknown key 'adress', did you mean 'address'?"), std::string::npos)
      << all;
  EXPECT_NE(all.find("points[1].address: missing"), std::string::npos) << all;
}

TEST(RegisterMaps, UnknownMapNameSuggestsTheClosest) {
  std::vector<config::Error> errors;
  EXPECT_FALSE(load_register_map("eastron_sdm360", std::string(HEMD_SOURCE_DIR) + "/config/devices", errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("did you mean 'eastron_sdm630'?"), std::string::npos) << errors[0].message;
}

TEST(RegisterMaps, BlocksKeepScaleFactorsWithTheirValues) {
  RegisterMap map;
  map.points = {{"power_w", 100, false, RegType::int16, WordOrder::high_first, 1, 104, 1},
                {"current_l1_a", 10, true, RegType::float32, WordOrder::high_first, 1, std::nullopt, 1},
                {"energy_import_wh", 300, false, RegType::uint32, WordOrder::high_first, 1, std::nullopt, 1}};
  const auto blocks = plan_blocks(map);
  // input 10-11; holding 100-104 (value and its scale factor together); holding 300-301 (too far to join).
  ASSERT_EQ(blocks.size(), 3u);
  std::map<std::pair<bool, int>, std::uint16_t> device = {{{true, 10}, 0x40B0}, {{true, 11}, 0},
                                                          {{false, 100}, 346},  {{false, 104}, 1},
                                                          {{false, 300}, 0},    {{false, 301}, 42}};
  std::vector<std::vector<std::uint16_t>> regs;
  for (const auto& b : blocks) {
    if (!b.input && b.address == 100) {
      EXPECT_EQ(b.count, 5);
    }
    auto& r = regs.emplace_back();
    for (int a = b.address; a < b.address + b.count; ++a)
      r.push_back(device.count({b.input, a}) ? device[{b.input, a}] : 0);
  }
  const Values v = decode_map(map, blocks, regs);
  EXPECT_EQ(*v.power_w, 3460);
  EXPECT_EQ(*v.current_a[0], 5.5);
  EXPECT_EQ(*v.energy_import_wh, 42);
}

}  // namespace
}  // namespace hemd::modbus
