// A grid meter's registers, decoded as hemd decodes them (SunSpec models, a shipped register map, or each
// register type alone), become the snapshot's readings beside a charger whose own report is fuzzed too; the
// readings' range checks and the control decision run on them as in the daemon, half the time with a home
// battery's reading fuzzed as well. Whatever the bytes, no limit
// is above what the fuse allows on the readings hemd trusts, a charger with an untrusted report is never
// raised, and with the grid untrusted nothing is above the safe current.
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "drivers/modbus/register_map.h"
#include "drivers/modbus/sunspec.h"
#include "strategies/control.h"
#include "strategies/plausibility.h"

using namespace hemd;

namespace {

constexpr double fuse_a = 20, margin_a = 0.5;
constexpr TimeMs t0 = 1'790'000'000'000;

const std::vector<modbus::RegisterMap>& maps() {
  static const std::vector<modbus::RegisterMap> all = [] {
    std::vector<modbus::RegisterMap> m;
    std::vector<config::Error> errors;
    for (const char* name : {"eastron_sdm630", "carlo_gavazzi_em24", "huawei_sun2000_meter", "goodwe_et",
                             "huawei_luna2000", "solaredge_storedge"})
      if (auto map =
              modbus::load_register_map(name, std::string(HEMD_SOURCE_DIR) + "/config/devices", errors))
        m.push_back(*map);
    if (m.empty()) std::abort();
    return m;
  }();
  return all;
}

struct Bytes {
  const std::uint8_t* data;
  std::size_t size;
  std::size_t at = 0;
  std::uint8_t byte() { return at < size ? data[at++] : 0; }
  std::uint16_t word() { return static_cast<std::uint16_t>(byte() << 8 | byte()); }
  std::vector<std::uint16_t> words(std::size_t n) {
    std::vector<std::uint16_t> w(n);
    for (auto& x : w) x = word();
    return w;
  }
};

modbus::Values decode(Bytes& in) {
  const int how = in.byte() % 3;
  if (how == 0) {
    static const int models[] = {101, 102, 103, 111, 112, 113, 201, 202, 203, 204, 211, 212, 213, 214};
    const int model = models[in.byte() % 14];
    return modbus::sunspec::parse(model, in.words(in.byte() % 130));
  }
  if (how == 1) {
    const auto& map = maps()[in.byte() % maps().size()];
    const auto blocks = modbus::plan_blocks(map);
    std::vector<std::vector<std::uint16_t>> regs;
    for (const auto& b : blocks) regs.push_back(in.words(static_cast<std::size_t>(b.count)));
    return modbus::decode_map(map, blocks, regs);
  }
  modbus::Values v;
  auto one = [&]() -> std::optional<double> {
    const auto type = static_cast<modbus::RegType>(in.byte() % 10);
    const auto order = in.byte() % 2 ? modbus::WordOrder::low_first : modbus::WordOrder::high_first;
    const auto regs = in.words(4);
    return modbus::decode(regs.data(), type, order, in.byte() % 2);
  };
  v.power_w = one();
  for (auto& a : v.current_a) a = one();
  return v;
}

SiteSnapshot site(TimeMs now, double offered_a) {
  SiteSnapshot s;
  s.now = now;
  s.limits.main_fuse_a = fuse_a;
  ChargerState c;
  c.id = "cp1";
  c.online = c.car_connected = true;
  c.mode = ChargeMode::now;
  c.offered_limit_a = offered_a;
  s.chargers.push_back(c);
  return s;
}

[[noreturn]] void fail(const char* what, const SiteSnapshot& s, const Decision& d) {
  std::fprintf(stderr, "modbus_reading: %s: limit %g (%s); grid %g/%g/%g A %g W (%s), charger %g A (%s)\n",
               what, d.commands[0].limit_a, d.commands[0].reason.c_str(), s.grid.current_a[0].value,
               s.grid.current_a[1].value, s.grid.current_a[2].value, s.grid.power_w.value,
               to_string(s.grid.current_a[0].quality), s.chargers[0].current_a[0],
               s.chargers[0].draw_trusted ? "trusted" : "untrusted");
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes in{data, size};
  const double offered = in.byte() % 17;
  float reported;  // the charger's own report, any float (NaN, inf, 16000...)
  const std::uint32_t bits = static_cast<std::uint32_t>(in.word()) << 16 | in.word();
  std::memcpy(&reported, &bits, sizeof reported);
  const modbus::Values v = decode(in);
  // A home battery half the time: its SunSpec storage model, or what the grid's bytes decoded to.
  std::optional<modbus::Values> battery;
  if (in.byte() % 2) {
    const int model = std::array<int, 3>{802, 124, 160}[in.byte() % 3];
    battery = in.byte() % 2 ? modbus::sunspec::parse_storage(model, in.words(in.byte() % 130)) : decode(in);
  }

  ControlParams params;
  params.fuse_margin_a = margin_a;
  FreezeParams freeze;
  VetState vet;
  ControlState control;
  // A plausible cycle first, so the fuzzed one meets the memory a running hemd has.
  SiteSnapshot before = site(t0, offered);
  for (auto& r : before.grid.current_a) r = Reading{12 + offered, Quality::ok, t0};
  before.grid.power_w = Reading{(12 + offered) * 690, Quality::ok, t0};
  before.chargers[0].current_a = {offered, offered, offered};
  vet_readings(before, freeze, vet);
  decide(before, params, control);

  // The fuzzed cycle: filled as ModbusInput::fill does, then checked as App::cycle does.
  const TimeMs now = t0 + 1000;
  SiteSnapshot s = site(now, offered);
  if (v.power_w) s.grid.power_w = Reading{*v.power_w, Quality::ok, now};
  for (int ph = 0; ph < 3; ++ph)
    if (v.current_a[ph]) s.grid.current_a[ph] = Reading{*v.current_a[ph], Quality::ok, now};
  s.chargers[0].current_a = {reported, reported, reported};
  s.chargers[0].power_w = static_cast<double>(reported) * 690;
  if (battery) {
    BatteryState b;
    b.name = "battery";
    b.max_power_w = 5000;
    if (battery->power_w) b.power_w = Reading{*battery->power_w, Quality::ok, now};
    if (battery->soc_pct) b.soc_pct = Reading{*battery->soc_pct, Quality::ok, now};
    s.batteries.push_back(b);
  }
  vet_readings(s, freeze, vet);
  const Decision d = decide(s, params, control);

  const ChargerState& c = s.chargers[0];
  const double limit = d.commands.at(0).limit_a;
  if (!std::isfinite(limit) || limit < 0 || limit > c.max_current_a) fail("limit out of range", s, d);
  bool grid_ok = s.grid.power_w.ok() && std::isfinite(s.grid.power_w.value);
  for (const auto& r : s.grid.current_a) grid_ok = grid_ok && r.ok() && std::isfinite(r.value);
  if (!grid_ok) {
    if (limit > c.safe_current_a) fail("above the safe current with the grid untrusted", s, d);
    return 0;
  }
  if (!s.batteries.empty() && !s.batteries[0].ok()) {
    if (limit > c.safe_current_a) fail("above the safe current with the battery untrusted", s, d);
    return 0;
  }
  if (!c.draw_trusted) {
    if (limit > offered || limit > c.safe_current_a) fail("an untrusted charger raised", s, d);
    return 0;
  }
  // A discharging battery's share of the house is import the fuse must carry while the car charges.
  const double battery_a =
      s.batteries.empty() ? 0.0 : std::max(0.0, s.batteries[0].power_w.value) / (230.0 * 3);
  for (int ph = 0; ph < 3; ++ph) {
    const double house = std::max(0.0, s.grid.current_a[ph].value - c.current_a[ph]) + battery_a;
    // The house alone may be over the fuse (an overload to cut): then nothing is left, 0.
    if (limit > 0 && house + limit > fuse_a - margin_a + 1e-6) fail("above the fuse", s, d);
  }
  return 0;
}
