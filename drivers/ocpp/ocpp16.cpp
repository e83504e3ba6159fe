// OCPP 1.6J: the messages of a charge point and how hemd's wishes are spelt for it.
#include <fmt/format.h>

#include <cerrno>
#include <climits>
#include <cstdlib>

#include "drivers/ocpp/central.h"

namespace hemd::ocpp {

namespace {

// A sampled value in SI units (W, Wh, A, V, %), whatever unit prefix the charger used.
double sampled_si(const json& sv) {
  double v = std::stod(sv.at("value").get<std::string>());
  const std::string unit = sv.value("unit", "");
  if (unit == "kWh" || unit == "kW" || unit == "kvarh" || unit == "kVA") v *= 1000;
  return v;
}

// A transaction id as 1.6 writes it (an integer); nullopt for one that is not (a 2.0.1 station's, from before
// a charger came back speaking 1.6).
std::optional<int> tx_number(const std::string& transaction) {
  char* end = nullptr;
  errno = 0;
  const long n = std::strtol(transaction.c_str(), &end, 10);
  if (transaction.empty() || *end != '\0' || errno == ERANGE || n < INT_MIN || n > INT_MAX)
    return std::nullopt;
  return static_cast<int>(n);
}

class Ocpp16 final : public Dialect {
 public:
  explicit Ocpp16(Central& central)
      : Dialect(central), next_transaction_(static_cast<int>((central.now() / 1000) % 1'000'000'000)) {}

  const Schemas& schemas() const override { return schemas_; }

  Answer answer(const std::string& id, Session& s, ChargerView& v, const Call& call) override {
    const json& p = call.payload;
    Answer a;
    if (call.action == "BootNotification") {
      c.booted(id, s, v,
               {p.value("chargePointVendor", ""), p.value("chargePointModel", ""),
                p.value("firmwareVersion", ""), p.value("chargePointSerialNumber", "")});
      a.payload = {
          {"status", "Accepted"}, {"currentTime", iso_time(c.now())}, {"interval", c.options().heartbeat_s}};
      a.booted = true;
    } else if (call.action == "Heartbeat") {
      a.payload = {{"currentTime", iso_time(c.now())}};
    } else if (call.action == "StatusNotification") {
      const auto status = parse<ConnectorStatus>(p.value("status", ""));  // one of them: the schema says so
      if (status && (p.value("connectorId", 0) > 0 || v.status == "Unknown"))
        c.connector_status(s, v, *status);
      a.changed = true;
    } else if (call.action == "Authorize") {
      a.payload = {{"idTagInfo", {{"status", c.accepts(p.value("idTag", "")) ? "Accepted" : "Invalid"}}}};
    } else if (call.action == "StartTransaction") {
      const int tx = ++next_transaction_;
      const std::string tag = p.value("idTag", "");
      const bool ok = c.accepts(tag);
      a.payload = {{"transactionId", tx}, {"idTagInfo", {{"status", ok ? "Accepted" : "Invalid"}}}};
      if (ok) c.transaction_started(id, s, v, std::to_string(tx), tag, p.value("meterStart", 0));
      a.changed = true;
    } else if (call.action == "StopTransaction") {
      c.transaction_ended(id, s, v, p.value("idTag", ""), p.value("meterStop", 0),
                          p.value("reason", "Local"));
      a.payload = {{"idTagInfo", {{"status", "Accepted"}}}};
      a.changed = true;
    } else if (call.action == "MeterValues") {
      std::vector<Sample> values;
      for (const auto& mv : p.at("meterValue"))
        for (const auto& sv : mv.at("sampledValue")) try {
            // (No measurand: the energy register, as 1.6 says.)
            const auto measurand = sv.contains("measurand") ? parse<Measurand>(sv.value("measurand", ""))
                                                            : Measurand::Energy_Active_Import_Register;
            if (measurand) values.push_back({*measurand, phase_index(sv.value("phase", "")), sampled_si(sv)});
          } catch (const std::exception&) {
            // a value that is not a number; the schema lets it through as a string
          }
      c.samples(id, s, v, values);
    } else if (call.action == "DataTransfer") {
      a.payload = {{"status", "UnknownVendorId"}};
    }
    return a;
  }

  // The charger's limits, from the keys that can be read; without an answer, hemd's defaults (amps, stack
  // level 1): the floor and the limit go out whatever the charger says about its configuration.
  void learn(const std::string& id) override {
    c.call(
        id, {"GetConfiguration", json::object()},
        [this, id](const json& r) {
          Session& s = c.session(id);
          s.known.unit = RateUnit::A;
          const auto keys = r.is_object() ? r.value("configurationKey", json::array()) : json::array();
          for (const auto& kv : keys.is_array() ? keys : json::array()) try {
              const std::string key = kv.value("key", ""), value = kv.value("value", "");
              if (key == "ChargeProfileMaxStackLevel")
                s.known.stack_level = std::max(0, std::atoi(value.c_str()));
              if (key == "ChargingScheduleMaxPeriods")
                s.known.max_periods = std::max(1, std::atoi(value.c_str()));
              if (key == "ChargingScheduleAllowedChargingRateUnit" &&
                  value.find("Current") == std::string::npos && value.find('A') == std::string::npos &&
                  (value.find("Power") != std::string::npos || value.find('W') != std::string::npos))
                s.known.unit = RateUnit::W;
            } catch (const std::exception&) {
              // a key that cannot be read: the others still count
            }
          c.configure_with(id);
        },
        [this, id] { c.configure_with(id); });
  }

  void set_metering(const std::string& id, const std::vector<std::string>& measurands, int interval_s,
                    std::function<void(bool)> done) override {
    if (!measurands.empty())
      c.call(
          id,
          {"ChangeConfiguration",
           {{"key", "MeterValuesSampledData"}, {"value", fmt::format("{}", fmt::join(measurands, ","))}}},
          [done](const json& r) {
            const std::string status = r.value("status", "");
            done(status == "Accepted" || status == "RebootRequired");
          },
          [done] { done(false); });
    if (interval_s > 0)
      c.call(id, {"ChangeConfiguration",
                  {{"key", "MeterValueSampleInterval"}, {"value", std::to_string(interval_s)}}});
  }

  Request availability(bool operative, bool connector_1) const override {
    return {"ChangeAvailability",
            {{"connectorId", connector_1 ? 1 : 0}, {"type", operative ? "Operative" : "Inoperative"}}};
  }

  Request clear_default_profiles(int stack_level) const override {
    return {"ClearChargingProfile",
            {{"chargingProfilePurpose", word(Purpose::TxDefaultProfile)}, {"stackLevel", stack_level}}};
  }

  Request set_profile(const ProfileSpec& p) const override {
    json periods = json::array();
    for (const auto& x : p.periods) {
      json period = {{"startPeriod", x.start_s}, {"limit", x.limit}};
      if (x.phases) period["numberPhases"] = *x.phases;
      periods.push_back(period);
    }
    json schedule = {{"chargingRateUnit", word(p.unit)}, {"chargingSchedulePeriod", periods}};
    if (p.start_ms) schedule["startSchedule"] = iso_time(*p.start_ms);
    if (p.duration_s) schedule["duration"] = *p.duration_s;
    json profile = {{"chargingProfileId", p.id},
                    {"stackLevel", p.stack_level},
                    {"chargingProfilePurpose", word(p.purpose)},
                    {"chargingProfileKind", p.relative ? "Relative" : "Absolute"},
                    {"chargingSchedule", schedule}};
    if (const auto tx = p.transaction ? tx_number(*p.transaction) : std::nullopt)
      profile["transactionId"] = *tx;
    return {"SetChargingProfile",
            {{"connectorId", p.purpose == Purpose::TxProfile ? 1 : 0}, {"csChargingProfiles", profile}}};
  }

  Request composite_schedule(RateUnit unit, int duration_s) const override {
    return {"GetCompositeSchedule",
            {{"connectorId", 1}, {"duration", duration_s}, {"chargingRateUnit", word(unit)}}};
  }

  std::optional<double> applied_a(const json& r, int phases) const override {
    if (r.value("status", "") != "Accepted" || !r.contains("chargingSchedule")) return std::nullopt;
    const auto& periods = r["chargingSchedule"].value("chargingSchedulePeriod", json::array());
    if (!periods.is_array() || periods.empty()) return std::nullopt;
    double applied = periods[0].value("limit", 0.0);
    if (parse<RateUnit>(r["chargingSchedule"].value("chargingRateUnit", "")) == RateUnit::W)
      applied /= 230.0 * periods[0].value("numberPhases", phases);
    return applied;
  }

  Request start_session(const std::string& id_tag) override {
    return {"RemoteStartTransaction", {{"connectorId", 1}, {"idTag", id_tag}}};
  }
  Request stop_session(const std::string& transaction) const override {
    return {"RemoteStopTransaction", {{"transactionId", tx_number(transaction).value_or(0)}}};
  }
  Request reset(bool hard) const override { return {"Reset", {{"type", hard ? "Hard" : "Soft"}}}; }
  Request unlock() const override { return {"UnlockConnector", {{"connectorId", 1}}}; }
  Request trigger(const std::string& message) const override {
    json p = {{"requestedMessage", message}};
    if (message == "StatusNotification") p["connectorId"] = 1;
    return {"TriggerMessage", p};
  }

 private:
  Schemas schemas_{Version::v16};
  int next_transaction_;
};

}  // namespace

std::unique_ptr<Dialect> make_ocpp16(Central& central) {
  return std::make_unique<Ocpp16>(central);
}

}  // namespace hemd::ocpp
