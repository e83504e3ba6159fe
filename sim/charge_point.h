#pragma once
// An OCPP 1.6J charge point: the charger side of the protocol, on a websocketpp client. It connects to a
// central system, boots, reports status, transactions and meter values, and keeps the charging profiles it
// is sent the way a charger does (stack levels, purposes, durations, A or W), so `limit_a()` is the current
// it would allow its car. The demo's charger is one; the OCPP bench runs hundreds.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace hemd::ocpp {

struct ChargePointOptions {
  std::string url;  // ws://host:port/path/<id>
  std::string id;
  std::string password;  // HTTP Basic when set
  std::string vendor = "hemd-demo";
  std::string model = "Simulated charger";
  std::string id_tag = "demo";
  int phases = 3;
  double max_current_a = 16;  // what it allows without a profile
  double voltage_v = 230;
  int max_stack_level = 8;
  int max_periods = 24;
  std::string rate_units = "Current,Power";
  int reconnect_ms = 2000;
};

// What the car and the charger's own meter say now.
struct ChargePointMeter {
  bool car_plugged = false;
  bool car_wants_energy = true;
  std::array<double, 3> current_a{};
  double energy_wh = 0;  // the charger's energy register
  std::optional<double> soc_pct;
};

struct ChargingProfileRecord {
  int connector = 0;
  nlohmann::json profile;    // csChargingProfiles as received
  std::int64_t received_ms;  // a Relative profile starts here
};

// The limit in amps that `profiles` allow at `now_ms` (wall time) for connector 1: the highest stack level in
// force of TxProfile (inside the transaction) or else TxDefaultProfile, capped by ChargePointMaxProfile;
// `max_a` when none is in force.
double composite_limit_a(const std::vector<ChargingProfileRecord>& profiles, std::int64_t now_ms,
                         std::optional<int> transaction_id, double max_a, int phases, double voltage_v);

class ChargePoint {
 public:
  using WallClock = std::function<std::int64_t()>;
  explicit ChargePoint(ChargePointOptions o, WallClock clock = nullptr);
  ~ChargePoint();
  ChargePoint(const ChargePoint&) = delete;
  ChargePoint& operator=(const ChargePoint&) = delete;

  void start();  // connects now and again whenever the link drops
  void stop();
  void set_meter(const ChargePointMeter& m);
  double limit_a() const;
  bool connected() const;
  bool booted() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hemd::ocpp
